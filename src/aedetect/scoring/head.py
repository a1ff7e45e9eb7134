"""The score head: the fitted statistics of the chosen score parts, and how they add up."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from aedetect.errors import InputError
from aedetect.scoring.parts import (
    LatentGaussian,
    NearestNeighbours,
    PartScale,
    TransformDirichlet,
    TransformDistance,
    TransformKNN,
    whitening,
)

PARTS = ("reconstruction", "latent", "transform", "transform_distance", "transform_dirichlet",
         "transform_knn", "latent_knn", "input_knn")
# computed from the transformed images' encoder passes: need a transform head
TRANSFORM_PARTS = ("transform", "transform_distance", "transform_dirichlet", "transform_knn")
FIT_PARTS = TRANSFORM_PARTS[1:]  # fitted to the transformed features of training images
NEIGHBOUR_PARTS = ("latent_knn", "input_knn")  # distances to a bank of training samples
BANK_SAMPLES = 10_000  # evenly spaced training samples in the bank of NEIGHBOUR_PARTS
NEIGHBOURS = 5  # nearest bank samples NEIGHBOUR_PARTS average the squared distance to
SIGNED_PARTS = ("transform_dirichlet",)  # can be negative: no logarithm (score_log)
COVARIANCE_PARTS = ("transform_distance", "transform_knn")  # whiten the encoder's features
FIT_IMAGES = 1000  # training images (each under every transform) that fit FIT_PARTS
MAX_COVARIANCE_FEATURES = 4096  # encoder features COVARIANCE_PARTS take a covariance of
# format-1 model folders kept these statistics as buffers of the network
FORMAT1_BUFFERS = {"latent_mean": "latent.mean", "latent_precision": "latent.precision",
                   "transform_mean": "distance.mean", "transform_whitening": "distance.whitening",
                   "transform_alpha": "dirichlet.alpha", "transform_loglik_mean": "dirichlet.loglik_mean",
                   "knn_basis": "knn.basis", "knn_bank": "knn.bank",
                   "part_center": "scale.center", "part_scale": "scale.scale"}


def split_score_options(options: dict | None) -> tuple[dict, dict]:
    """Model options -> (the network's options, the score head's: ``parts``, ``transforms``,
    ``log``). ``score_parts``, ``score_transforms`` and ``score_log`` are given with the model
    options (``--model-options``) but belong to the score head, not the network."""
    options = dict(options or {})
    parts = options.pop("score_parts", ("reconstruction",))
    transforms = options.pop("score_transforms", None)
    log = options.pop("score_log", False)
    if isinstance(parts, str) or not isinstance(parts, (list, tuple)):
        raise InputError(f"score_parts must be a list of part names among {PARTS}; got {parts!r}")
    check_part_names(tuple(parts))
    if transforms is not None and (isinstance(transforms, bool) or not isinstance(transforms, int)
                                   or transforms < 1):
        raise InputError(f"score_transforms must be None (all) or a positive whole number; "
                         f"got {transforms!r}")
    if not isinstance(log, bool):
        raise InputError(f"score_log must be true or false; got {log!r}")
    signed = sorted(set(parts) & set(SIGNED_PARTS)) if log else []
    if signed:
        raise InputError(f"score_log=True takes the logarithm of each part; {signed} can be negative: "
                         "leave score_log out with them")
    return options, {"parts": tuple(parts), "transforms": transforms, "log": log}


def spread(n_transforms: int, count: int | None) -> list[int]:
    """``count`` of the ``n_transforms`` transforms, evenly spaced in their order (all with None):
    8 of geom's 72 are 0, 9, 18, ..., 63, which take in every quarter turn, both mirrorings and 7
    of the 8 shifts."""
    count = n_transforms if count is None else count
    return [i * n_transforms // count for i in range(count)]


def check_part_names(parts: tuple[str, ...]) -> None:
    if not parts or any(p not in PARTS for p in parts) or len(set(parts)) != len(parts):
        raise InputError(f"score_parts must name distinct parts among {PARTS}; got {parts!r}")


class ScoreHead(nn.Module):
    """The anomaly score of a network ``net`` (an :class:`~aedetect.models.base.Autoencoder`):
    its reconstruction score, or the standardised sum of several parts (:mod:`aedetect.scoring`).
    Built before training (so that impossible parts are refused at once), fitted after it."""

    def __init__(self, parts: tuple[str, ...], net: nn.Module, transforms: int | None = None,
                 log: bool = False):
        super().__init__()
        parts = tuple(parts)
        check_part_names(parts)
        for part in TRANSFORM_PARTS:
            if part in parts and not net.n_transforms:
                raise InputError(f"score part {part!r} needs a transform head: add model option "
                                 "transforms='rotate'")
        if transforms is not None:
            if not set(parts) & set(TRANSFORM_PARTS):
                raise InputError(f"score_transforms sets how many transforms the parts {TRANSFORM_PARTS} "
                                 f"average over; the score parts {parts} have none of them")
            if transforms > net.n_transforms:
                raise InputError(f"score_transforms={transforms}: the model's transform set has "
                                 f"{net.n_transforms} transforms")
        self.transforms = transforms
        self.ks = spread(net.n_transforms, transforms) if set(parts) & set(TRANSFORM_PARTS) else []
        whitened = [p for p in parts if p in COVARIANCE_PARTS]
        if whitened and net.features > MAX_COVARIANCE_FEATURES:
            raise InputError(f"score part {whitened[0]!r} needs a covariance of the encoder's "
                             f"{net.features} features (at most {MAX_COVARIANCE_FEATURES}): add a "
                             "dense layer to the encoder, e.g. model option hidden=[256]")
        self.parts = parts
        if "latent" in parts:
            self.latent = LatentGaussian(net.latent_size)
        if "transform_distance" in parts:
            self.distance = TransformDistance(len(self.ks), net.features)
        if "transform_dirichlet" in parts:
            self.dirichlet = TransformDirichlet(len(self.ks), net.n_transforms)
        if "transform_knn" in parts:
            self.knn = TransformKNN(len(self.ks), net.features)
        if "latent_knn" in parts:
            self.latent_knn = NearestNeighbours(net.latent_size, NEIGHBOURS)
        if "input_knn" in parts:
            self.input_knn = NearestNeighbours(math.prod(net.input_shape), NEIGHBOURS)
        self.log = log
        if len(parts) > 1:
            self.scale = PartScale(len(parts), log)

    def fit(self, net: nn.Module, X_train, X_val, apply: Callable) -> ScoreHead:
        """Fit the parts' statistics to the training samples and, with several parts, their
        standardisation to the validation samples. ``apply(X, fn)`` runs ``fn`` over X in batches
        of scaled tensors and returns a numpy array."""
        parts = set(self.parts)
        if "latent" in parts:
            self.latent.fit(apply(X_train, net.encode))
        if parts & set(NEIGHBOUR_PARTS):
            bank = X_train[::math.ceil(len(X_train) / BANK_SAMPLES)]
            if "latent_knn" in parts:
                self.latent_knn.fit(apply(bank, net.encode))
            if "input_knn" in parts:
                self.input_knn.fit(apply(bank, lambda x: x))
        if parts & set(FIT_PARTS):  # evenly spaced training images, at most FIT_IMAGES
            step = math.ceil(len(X_train) / FIT_IMAGES)
            features = apply(X_train[::step], lambda x: net.transform_features(x, self.ks))  # (N, ks, F)
            if parts & set(COVARIANCE_PARTS):
                mean, w = whitening(features)
                if "transform_distance" in parts:
                    self.distance.fit(mean, w)
                if "transform_knn" in parts:
                    self.knn.fit(features, w)
            if "transform_dirichlet" in parts:
                self.dirichlet.fit(net.transform_head, features)
        if len(self.parts) > 1:
            self.scale.fit(apply(X_val, lambda x: self.raw_parts(net, x)).astype(np.float64))
        return self

    @property
    def passes(self) -> int:
        """Encoder passes per sample scored: one per transform scored (one without transforms)."""
        return max(1, len(self.ks))

    def _transform_parts(self, net: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """(B,) each, averaged over the transforms ``ks`` of x, from one encoder pass over all of them."""
        features = net.transform_features(x, self.ks).transpose(0, 1)  # (ks, B, F)
        logits = net.transform_head(features).float()  # (ks, B, transforms)
        features = features.float()  # from here on float32 (float64 where said) under any autocast
        with torch.autocast(x.device.type, enabled=False):
            true = nn.functional.one_hot(torch.tensor(self.ks, device=x.device), logits.shape[2])  # (ks, T)
            # in float64 to the mean: near chance (log 72 = 4.28) the part's spread over images can
            # be ~1e-3, a few float32 steps, which would differ between batch sizes and ONNX
            found = {"transform": -(logits.double().log_softmax(dim=2) * true[:, None]).sum(dim=2)}
            if "transform_distance" in self.parts:
                found["transform_distance"] = self.distance(features)
            if "transform_dirichlet" in self.parts:
                found["transform_dirichlet"] = self.dirichlet(logits)
            if "transform_knn" in self.parts:
                found["transform_knn"] = self.knn(features)
            return {name: values.mean(dim=0).float() for name, values in found.items()}

    def raw_parts(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """(B, parts): each part, unscaled, in float32 (the network's passes may run in bfloat16)."""
        columns = {}
        if "reconstruction" in self.parts:
            columns["reconstruction"] = net.reconstruction_score(x).float()
        if set(TRANSFORM_PARTS) & set(self.parts):
            columns.update(self._transform_parts(net, x))
        codes = net.encode(x).float() if {"latent", "latent_knn"} & set(self.parts) else None
        with torch.autocast(x.device.type, enabled=False):
            if "latent" in self.parts:
                columns["latent"] = self.latent(codes)
            if "latent_knn" in self.parts:
                columns["latent_knn"] = self.latent_knn(codes)
            if "input_knn" in self.parts:
                columns["input_knn"] = self.input_knn(x.float())
        return torch.stack([columns[p] for p in self.parts], dim=1)

    def standardised_parts(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """(B, parts): standardised by their validation mean and std (raw with one part)."""
        raw = self.raw_parts(net, x)
        return raw if len(self.parts) == 1 else self.scale(raw)

    def forward(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """(B,) anomaly score, higher = more anomalous."""
        if self.parts == ("reconstruction",):
            return net.reconstruction_score(x)
        return self.standardised_parts(net, x).sum(dim=1)

"""What every model in the registry answers: encode, decode, a training loss, a
per-sample anomaly score (higher = more anomalous) and its own training step.

A family defines ``objective`` (its training loss) and ``reconstruction_score``;
the base class adds the options of :mod:`aedetect.models.scoring` (a
self-supervised transform head, latent-density and combined scores) to every family.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from aedetect.errors import InputError
from aedetect.models.layers import ArchConfig, build_decoder, build_encoder, check_sizes
from aedetect.models.scoring import (
    COVARIANCE_PARTS,
    KNN_DIMS,
    KNN_NEIGHBOURS,
    MAX_DISTANCE_FEATURES,
    TRANSFORM_PARTS,
    check_scoring,
    fit_dirichlet,
    n_transforms,
    transform,
    transform_batch,
)


class Autoencoder(nn.Module):
    """A plain autoencoder on the shared encoder/decoder stacks; families subclass it.

    Inputs are float tensors scaled to [0, 1]: (B, D) vectors or (B, C, H, W)
    images; ``forward`` returns the reconstruction, same shape, values in (0, 1).
    """

    name = "autoencoder"
    Config: type[ArchConfig] = ArchConfig
    needs_latent = False  # True: the family works on a latent vector of its own (latent=None refused)

    def __init__(self, input_shape: tuple[int, ...], config: ArchConfig):
        super().__init__()
        if self.needs_latent and not config.latent:
            raise InputError(f"{type(self).__name__} needs a latent size (option latent), not None")
        check_sizes(config, tuple(input_shape))
        check_scoring(config, tuple(input_shape))
        self.input_shape = tuple(input_shape)
        self.config = config
        self.body, self.features = build_encoder(self.input_shape, config)  # (B, *in) -> (B, F)
        self.latent_size = config.latent or self.features
        # (B, F) -> (B, latent); with latent=None the features are the code
        self.head = nn.Linear(self.features, config.latent) if config.latent else nn.Identity()
        self.decoder = build_decoder(self.input_shape, config, self.latent_size)  # (B, latent) -> (B, *in)
        self.parts = tuple(config.score_parts)
        self.n_transforms = n_transforms(config)
        if self.n_transforms:  # (B, F) -> (B, transforms): which transform was applied
            self.transform_head = nn.Linear(self.features, self.n_transforms)
        if "latent" in self.parts:  # the Gaussian of the training codes, set by fit_latent
            self.register_buffer("latent_mean", torch.zeros(self.latent_size))
            self.register_buffer("latent_precision", torch.eye(self.latent_size))
        whitened = [p for p in self.parts if p in COVARIANCE_PARTS]
        if whitened and self.features > MAX_DISTANCE_FEATURES:
            raise InputError(f"score part {whitened[0]!r} needs a covariance of the encoder's "
                             f"{self.features} features (at most {MAX_DISTANCE_FEATURES}): add a "
                             "dense layer to the encoder, e.g. model option hidden=[256]")
        if "transform_distance" in self.parts:  # per-transform feature means, shared precision
            self.register_buffer("transform_mean", torch.zeros(self.n_transforms, self.features))
            self.register_buffer("transform_whitening", torch.eye(self.features))  # precision = W W^T
        if "transform_dirichlet" in self.parts:  # per transform, the Dirichlet of the head's softmax
            self.register_buffer("transform_alpha", torch.ones(self.n_transforms, self.n_transforms))
            self.register_buffer("transform_loglik_mean", torch.zeros(self.n_transforms))  # of the fit images
        if "transform_knn" in self.parts:  # the whitened leading axes, and the fit images along them
            dims = min(KNN_DIMS, self.features)
            self.register_buffer("knn_basis", torch.zeros(self.features, dims))
            self.register_buffer("knn_bank", torch.zeros(self.n_transforms, 0, dims))  # sized by the fit
        if len(self.parts) > 1:  # validation mean and std of each part, set by fit_part_scale
            self.register_buffer("part_center", torch.zeros(len(self.parts)))
            self.register_buffer("part_scale", torch.ones(len(self.parts)))

    def encode(self, x: torch.Tensor) -> torch.Tensor:  # (B, *input_shape) -> (B, latent)
        return self.head(self.body(x))

    def decode(self, z: torch.Tensor) -> torch.Tensor:  # (B, latent) -> (B, *input_shape)
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def reconstruction_loss(self, x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Mean over pixels and batch: squared error, or binary cross-entropy with loss='bce'."""
        if self.config.loss == "bce":
            return nn.functional.binary_cross_entropy(x_hat, x)
        return nn.functional.mse_loss(x_hat, x)

    def objective(self, x: torch.Tensor) -> torch.Tensor:
        """The family's training loss of a batch (here: the reconstruction loss)."""
        return self.reconstruction_loss(self(x), x)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """Training (and validation) loss of a batch: the family's objective, plus the
        transform head's cross-entropy when the model has one. In training, ``augment="hflip"``
        mirrors a random half of the images first."""
        if self.training and self.config.augment == "hflip":
            x = torch.where(torch.rand(len(x), 1, 1, 1, device=x.device) < 0.5, x.flip(3), x)
        loss = self.objective(x)
        if self.n_transforms and self.config.transform_weight > 0:
            loss = loss + self.config.transform_weight * self.transform_loss(x)
        return loss

    def transform_loss(self, x: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of ``transform_draws`` transforms per image: random ones in training; in
        evaluation (the validation loss) fixed ones, transform ``i % n`` for copy ``i`` of the
        repeated batch, so that every epoch is judged on the same images and transforms at the cost
        of a training batch (not all n transforms of every image)."""
        x = x.repeat(self.config.transform_draws, *([1] * (x.dim() - 1)))  # (draws * B, C, H, W)
        if self.training:
            ks = torch.randint(self.n_transforms, (len(x),), device=x.device)
        else:
            ks = torch.arange(len(x), device=x.device) % self.n_transforms
        return F.cross_entropy(self.transform_head(self.body(transform_batch(x, ks, self.n_transforms))), ks)

    def _each_transform_features(self, x: torch.Tensor):
        """Yield (k, (B, features)): the encoder's features of transform k of x, one pass at a time."""
        for k in range(self.n_transforms):
            yield k, self.body(transform(x, k))

    def transform_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, transforms, features): the encoder's features of every transform of x."""
        return torch.stack([f for _, f in self._each_transform_features(x)], dim=1)

    def transform_parts(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """(B,) each, averaged over every transform of x: "transform", the cross-entropy of the true
        transform; "transform_distance", the squared Mahalanobis distance of the features to that
        transform's training mean; "transform_dirichlet", minus the head's softmax output's
        log-likelihood under that transform's Dirichlet, plus its mean over the fit images;
        "transform_knn", the mean squared distance to the nearest fit images under that transform
        (these three only when they are score parts). One encoder pass per transform."""
        nll, distance, dirichlet, knn = [], [], [], []
        for k, f in self._each_transform_features(x):
            logits = self.transform_head(f)
            nll.append(-logits.log_softmax(dim=1)[:, k])
            if "transform_distance" in self.parts:  # a sum of squares: no cancellation in float32
                distance.append(((f - self.transform_mean[k]) @ self.transform_whitening).pow(2).sum(dim=1))
            if "transform_dirichlet" in self.parts:  # float64, then relative to the fit images' mean:
                log_p = logits.double().log_softmax(dim=1)  # alpha can be ~1e7 and log p ~ -1e-7,
                loglik = log_p @ (self.transform_alpha[k].double() - 1)  # the sum ~1e5 and its spread ~1
                dirichlet.append((self.transform_loglik_mean[k].double() - loglik).to(f.dtype))
            if "transform_knn" in self.parts:
                near = torch.cdist(f @ self.knn_basis, self.knn_bank[k]).pow(2)  # (B, fit images)
                knn.append(near.topk(min(KNN_NEIGHBOURS, near.shape[1]), largest=False).values.mean(dim=1))
        out = {"transform": torch.stack(nll, dim=1).mean(dim=1)}
        if distance:
            out["transform_distance"] = torch.stack(distance, dim=1).mean(dim=1)
        if dirichlet:
            out["transform_dirichlet"] = torch.stack(dirichlet, dim=1).mean(dim=1)
        if knn:
            out["transform_knn"] = torch.stack(knn, dim=1).mean(dim=1)
        return out

    def transform_nll(self, x: torch.Tensor) -> torch.Tensor:
        """(B,) cross-entropy of the true transform, averaged over every transform of x."""
        return self.transform_parts(x)["transform"]

    def reconstruction_score(self, x: torch.Tensor) -> torch.Tensor:
        """(B,) mean squared reconstruction error; higher = more anomalous."""
        return (self(x) - x).pow(2).flatten(1).mean(dim=1)

    def raw_parts(self, x: torch.Tensor) -> torch.Tensor:
        """(B, parts): each score part of ``config.score_parts``, unscaled."""
        columns = {}
        if "reconstruction" in self.parts:
            columns["reconstruction"] = self.reconstruction_score(x)
        if "latent" in self.parts:
            d = self.encode(x) - self.latent_mean
            columns["latent"] = ((d @ self.latent_precision) * d).sum(dim=1)
        if set(TRANSFORM_PARTS) & set(self.parts):
            columns.update(self.transform_parts(x))
        return torch.stack([columns[p] for p in self.parts], dim=1)

    def score_parts(self, x: torch.Tensor) -> torch.Tensor:
        """(B, parts): the parts standardised by their validation mean and std (raw with one part)."""
        raw = self.raw_parts(x)
        return raw if len(self.parts) == 1 else (raw - self.part_center) / self.part_scale

    def score(self, x: torch.Tensor) -> torch.Tensor:
        """Per-sample anomaly score (B,), higher = more anomalous: the reconstruction error by
        default, the sum of the standardised ``score_parts`` when there are several."""
        if self.parts == ("reconstruction",):
            return self.reconstruction_score(x)
        return self.score_parts(x).sum(dim=1)

    def fit_latent(self, codes: np.ndarray) -> None:
        """Fit the latent part's Gaussian to the codes of the training samples."""
        from sklearn.covariance import LedoitWolf

        gauss = LedoitWolf().fit(codes.astype(np.float64))
        self.latent_mean.copy_(torch.from_numpy(gauss.location_))
        self.latent_precision.copy_(torch.from_numpy(gauss.precision_))

    def fit_transform_features(self, features: np.ndarray) -> None:
        """Fit the parts of ``COVARIANCE_PARTS`` among the score parts to the features of training
        images (N, transforms, F), from each transform's mean and the Ledoit-Wolf covariance of the
        features about those means, kept as W = V / sqrt(eigenvalues), its inverse square root
        (defined even when a feature never varies). "transform_distance": the means and W (the
        distance is the squared length of (features - mean) W); "transform_knn": the last
        ``KNN_DIMS`` columns of W (the leading axes) and the features of every fit image along them."""
        from sklearn.covariance import LedoitWolf

        centred = features.astype(np.float64)  # a copy, centred in place
        mean = centred.mean(axis=0)
        centred -= mean
        gauss = LedoitWolf(assume_centered=True).fit(centred.reshape(-1, centred.shape[2]))
        values, vectors = np.linalg.eigh(gauss.covariance_)  # eigenvalues in ascending order
        values = np.maximum(values, values.max() * 1e-12)
        whitening = vectors / np.sqrt(values)
        if "transform_distance" in self.parts:
            self.transform_mean.copy_(torch.from_numpy(mean))
            self.transform_whitening.copy_(torch.from_numpy(whitening))
        if "transform_knn" in self.parts:
            basis = torch.from_numpy(whitening[:, -self.knn_basis.shape[1]:]).float()
            self.knn_basis.copy_(basis)
            bank = torch.from_numpy(features).float().transpose(0, 1) @ basis  # (transforms, N, dims)
            self.knn_bank = bank.to(self.knn_basis.device).contiguous()

    def fit_transform_dirichlet(self, features: np.ndarray) -> None:
        """Fit the "transform_dirichlet" part to the features of training images (N, transforms, F):
        for each transform k, the maximum-likelihood Dirichlet of the head's softmax outputs for the
        images under transform k (its statistic: their mean log), and the mean over those images of
        the log-likelihood without its constant, which the part is measured from."""
        device = self.transform_alpha.device
        with torch.no_grad():
            mean_log = sum(self.transform_head(torch.from_numpy(features[i:i + 256]).to(device))
                           .double().log_softmax(dim=2).sum(dim=0) for i in range(0, len(features), 256))
        mean_log = (mean_log / len(features)).cpu().numpy()  # (transforms applied, transforms predicted)
        alpha = torch.from_numpy(np.stack([fit_dirichlet(row) for row in mean_log])).float()
        self.transform_alpha.copy_(alpha)
        self.transform_loglik_mean.copy_(((alpha.double() - 1) * torch.from_numpy(mean_log)).sum(dim=1))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """Take the size of "transform_knn"'s bank (the number of fit images) from the state loaded."""
        if prefix + "knn_bank" in state_dict and hasattr(self, "knn_bank"):
            self.knn_bank = torch.empty(state_dict[prefix + "knn_bank"].shape, device=self.knn_bank.device)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def fit_part_scale(self, raw: np.ndarray) -> None:
        """Standardise each part by its mean and std over normal validation samples (N, parts)."""
        self.part_center.copy_(torch.from_numpy(raw.mean(axis=0)))
        self.part_scale.copy_(torch.from_numpy(np.maximum(raw.std(axis=0), 1e-12)))

    def start_epoch(self, epoch: int) -> None:
        """Called by the training loop before each epoch (1-based); for schedules such as KL warm-up."""

    def configure_optimizers(self, learning_rate: float) -> list[torch.optim.Optimizer]:
        return [torch.optim.Adam(self.parameters(), lr=learning_rate)]

    def training_step(self, x: torch.Tensor, optimizers: list[torch.optim.Optimizer]) -> torch.Tensor:
        """One update on batch x; returns the (detached) loss of the batch."""
        (optimizer,) = optimizers
        loss = self.loss(x)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.detach()

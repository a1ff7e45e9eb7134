"""The estimator users hold: :class:`AutoencoderDetector`.

Scores, once for the whole package:

- ``anomaly_score(X)``: the raw anomaly score, **higher = more anomalous**: the per-sample
  mean squared reconstruction error of inputs scaled to [0, 1] by default; the model option
  ``score_parts`` (:mod:`aedetect.scoring`) adds latent-density and self-supervised parts, and
  a VAE can score by its negative ELBO (:mod:`aedetect.models.vae`).
- ``reconstruction_error(X)``: the per-sample mean squared reconstruction error, whatever the score.
- ``score_samples``, ``decision_function``, ``predict``: scikit-learn's contract
  (:mod:`aedetect.outlier`), from the anomaly score and ``threshold_``.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator

import aedetect.inputs as inputs
from aedetect.console import progress
from aedetect.data.arrays import as_samples, check_finite
from aedetect.data.splits import group_validation_split, train_validation_split
from aedetect.errors import InputError, NotFittedError
from aedetect.models import build_model, model_config
from aedetect.outlier import AnomalyScoreMixin
from aedetect.patch_memory import sample_images
from aedetect.scoring import ScoreHead, split_score_options
from aedetect.thresholds import METHODS
from aedetect.training import LR_SCHEDULES, train


class AutoencoderDetector(AnomalyScoreMixin, BaseEstimator):
    """Anomaly detector: an autoencoder trained on normal data, scored by reconstruction error.

    Parameters
    ----------
    model : str, a name in :data:`aedetect.models.MODELS`: "dense_ae", "conv_ae", "vae",
        "beta_vae", "aae", "dae". :func:`aedetect.presets.preset_params` gives whole
        reference configurations.
    model_options : dict, fields of the model's Config (e.g. ``{"hidden": [400], "latent": 32}``;
        see :mod:`aedetect.models.layers` and each model's module), and ``score_parts``
        (:mod:`aedetect.scoring`).
    epochs, batch_size, learning_rate : training of the one loop (Adam, the model's loss).
    lr_schedule : "constant" (the learning rate throughout) or "cosine" (annealed each epoch
        from learning_rate to near zero in the last epoch).
    validation_fraction : share of the normal data held out from every gradient step;
        it picks the epoch whose weights are kept, drives early stopping and sets the threshold.
    threshold : method of :mod:`aedetect.thresholds` ("percentile", "mean_std",
        "contamination", "target_fpr", "fixed"); ``threshold_param`` its parameter
        (None: the method's default, e.g. the 95th percentile).
    patience : stop after this many epochs without a lower validation loss (None: run all epochs).
    scaling : how inputs are mapped to [0, 1] (:mod:`aedetect.inputs`): "auto" (default: one
        minimum and maximum per column for (N, D) float vectors, one for all values of images and
        of uint8 / uint16 / bool data), "global" (one for all values), "column", or "none" (already
        scaled, e.g. by :class:`aedetect.table_detector.TableDetector`; pair it with model option
        ``output="linear"`` when values leave [0, 1]).
    trim : share of the training data that may be anomalies (unlabelled data): from the second
        epoch on, that share of samples with the highest reconstruction errors takes no gradient
        step in the epoch. 0 (default): the data are all normal. (Not scikit-learn's
        ``contamination``, which sets a threshold: see ``threshold="contamination"``.)
    device : "auto" (CUDA when present), "cpu" or "cuda".
    precision : "float32" (default) or "bfloat16": the network's passes in training and scoring
        under bfloat16 autocast (faster on CPUs with AMX or AVX-512 BF16 and on GPUs; the score
        parts' statistics stay float32; ONNX export is float32).
    random_state : int seed for the split, the initial weights and the batch order
        (None: a fresh seed, recorded in ``seed_``). Results are repeatable on CPU.
    verbose : 0 silent, 1 a progress bar on stderr.

    Inputs are numpy arrays (or lazy array-likes) of shape (N, D), (N, H, W) or
    (N, H, W, C), scaled as :mod:`aedetect.inputs` says, the same way at scoring time.
    """

    def __init__(self, *, model: str = "dense_ae", model_options: dict | None = None,
                 epochs: int = 20, batch_size: int = 64, learning_rate: float = 1e-3,
                 lr_schedule: str = "constant", validation_fraction: float = 0.1,
                 threshold: str = "percentile",
                 threshold_param: float | None = None, patience: int | None = None,
                 scaling: str = "auto", trim: float = 0.0, device: str = "auto",
                 precision: str = "float32", random_state: int | None = None, verbose: int = 1):
        self.model = model
        self.model_options = model_options
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.validation_fraction = validation_fraction
        self.threshold = threshold
        self.threshold_param = threshold_param
        self.patience = patience
        self.scaling = scaling
        self.trim = trim
        self.device = device
        self.precision = precision
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None, *, groups=None, checkpoint_dir: str | Path | None = None,
            checkpoint_every: int = 5, resume: bool = False):
        """Train on X, which must hold normal samples only (``y`` is ignored).

        A seeded ``validation_fraction`` of X is held out: no gradient step sees
        it; it selects the kept weights and sets ``threshold_``. With ``groups``
        (one label per sample, e.g. the clip each spectrogram frame comes from)
        whole groups are held out, a ``validation_fraction`` of the groups, and
        ``validation_groups_`` holds the group of each validation sample.

        With ``checkpoint_dir`` the whole training state is saved there every
        ``checkpoint_every`` epochs (see :mod:`aedetect.checkpoint`); Ctrl-C then
        raises :class:`aedetect.training.TrainingInterrupted` and keeps the last
        one, and ``resume=True`` continues from it, reaching the same model as an
        uninterrupted run with the same parameters and data.
        """
        from aedetect.checkpoint import load_checkpoint, run_record, save_checkpoint
        from aedetect.diagnostics import check_collapse

        self.check_params()
        X = as_samples(X)
        X = X if isinstance(X, np.ndarray) else np.asarray(X)
        if len(X) < 2:
            raise InputError(f"X has {len(X)} sample: fitting holds a validation share out, so it needs at "
                             "least 2 samples (in practice hundreds of normal ones)")
        check_finite(X)
        state, run = None, run_record(self.get_params(), self.random_state, X)
        if resume:
            if checkpoint_dir is None:
                raise InputError("resume=True needs the checkpoint_dir to resume from")
            state, meta = load_checkpoint(checkpoint_dir)
            if meta.get("run", {}) | {"seed": None} != run | {"seed": None}:
                raise InputError(f"the checkpoint in {checkpoint_dir} belongs to another run (other "
                                 "parameters or data): fit with the same ones, or without resuming")
            run["seed"] = meta["run"]["seed"]
        self.seed_ = run["seed"]
        self.input_shape_ = tuple(int(s) for s in X.shape[1:])
        self.n_features_in_ = math.prod(self.input_shape_)
        self.input_dtype_ = str(X.dtype)
        self.scaling_ = inputs.resolve_scaling(self.scaling, X)
        self.input_range_ = inputs.input_range(X, self.scaling_)
        self.device_ = inputs.resolve_device(self.device)

        torch.manual_seed(self.seed_)
        train_idx, val_idx = self._split(X, groups)
        self._build(self.model_options)
        X_train, X_val = X[train_idx], X[val_idx]
        save = None
        if checkpoint_dir is not None:
            def save(training_state: dict) -> None:
                save_checkpoint(checkpoint_dir, training_state, {"run": run})
        self.history_ = train(self.model_, X_train, X_val, to_tensor=self._to_tensor,
                              epochs=self.epochs, batch_size=self.batch_size,
                              learning_rate=self.learning_rate, patience=self.patience,
                              lr_schedule=self.lr_schedule,
                              seed=self.seed_, verbose=self.verbose, checkpoint=save,
                              checkpoint_every=checkpoint_every, resume=state, trim=self.trim,
                              precision=self.precision)
        if self.model_.memory is not None:  # training images for nearest-patch maps (never X_val)
            keep = sample_images(len(X_train), self.model_.config.patch_memory, self.seed_)
            self.model_.memory.remember(self._to_tensor(np.asarray(X_train[keep])))
        self._fit_score(X_train, X_val)
        check_collapse(self.model_, self.model, X_train, X_val, self._to_tensor, self._scoring_batch_size(),
                       self.history_)
        return self.calibrate_threshold(self.threshold, self.threshold_param)

    def refit_score(self, X, *, score_parts=None, score_transforms=None, groups=None):
        """Fit the score head again, on the same network: other ``score_parts``, or
        ``score_transforms`` (fewer transforms scored: cheaper scoring) without retraining;
        None keeps the model's (``model_.n_transforms`` scores all transforms again).

        ``X`` (and ``groups``) must be what ``fit`` was given: the same seeded split is taken
        again, the parts fitted on its training share and the threshold set on its validation
        share. ``model_options`` is updated so that the saved folder and ``clone`` agree.
        """
        self._check_fitted()
        X = as_samples(X)
        X = X if isinstance(X, np.ndarray) else np.asarray(X)
        check_finite(X)
        if tuple(X.shape[1:]) != self.input_shape_:
            raise InputError(f"X has samples of shape {tuple(X.shape[1:])}; the model was fitted on "
                             f"{self.input_shape_}: refit_score needs the data fit was given")
        options = dict(self.model_options or {})
        options["score_parts"] = score_parts if score_parts is not None else list(self.score_head_.parts)
        if score_transforms is not None:
            options["score_transforms"] = score_transforms
        _, head_options = split_score_options(options)
        head = ScoreHead(net=self.model_, **head_options).to(self.device_)
        self.model_options, self.score_head_ = options, head
        train_idx, val_idx = self._split(X, groups)
        self._fit_score(X[train_idx], X[val_idx])
        return self.calibrate_threshold(self.threshold, self.threshold_param)

    def _split(self, X, groups) -> tuple[np.ndarray, np.ndarray]:
        """The seeded (training, validation) indices of X, whole groups held out with ``groups``."""
        if groups is None:
            return train_validation_split(len(X), self.validation_fraction, self.seed_)
        if np.shape(groups) != (len(X),):
            raise InputError(f"groups must hold one label per sample ({len(X)}); "
                             f"got shape {np.shape(groups)}")
        train_idx, val_idx = group_validation_split(groups, self.validation_fraction, self.seed_)
        self.validation_groups_ = np.asarray(groups)[val_idx]
        return train_idx, val_idx

    def _fit_score(self, X_train, X_val) -> None:
        """Fit the score head's statistics on X_train; keep the validation scores of X_val."""
        self.score_head_.fit(self.model_, X_train, X_val, lambda X, fn: self._map_batches(
            X, fn, "fitting the score parts", self._score_passes()))
        self.validation_scores_ = self.anomaly_score(X_val)

    def _build(self, model_options: dict | None) -> None:
        """The network ``model_`` and its score head ``score_head_``, on ``device_``."""
        network_options, head_options = split_score_options(model_options)
        shape = inputs.network_shape(self.input_shape_)
        self.model_ = build_model(self.model, shape, network_options)
        self.score_head_ = ScoreHead(net=self.model_, **head_options)
        self.model_.to(self.device_, memory_format=inputs.memory_format(shape))
        self.score_head_.to(self.device_)
        self._batch_for_scoring = None

    def check_params(self) -> None:
        """Raise InputError for a parameter that cannot work; ``fit`` calls this first."""
        network_options, _ = split_score_options(self.model_options)
        model_config(self.model, network_options)
        if self.threshold not in METHODS:
            raise InputError(f"unknown threshold method {self.threshold!r}; choose one of "
                             f"{', '.join(METHODS)}")
        if self.threshold == "fixed" and self.threshold_param is None:
            raise InputError("threshold='fixed' needs its value, e.g. threshold_param=0.02")
        inputs.resolve_device(self.device)
        if self.precision not in inputs.PRECISIONS:
            raise InputError(f"precision must be one of {', '.join(inputs.PRECISIONS)}; "
                             f"got {self.precision!r}")
        if self.scaling not in inputs.SCALINGS:
            raise InputError(f"scaling must be one of {', '.join(inputs.SCALINGS)}; got {self.scaling!r}")
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise InputError(f"{name} must be a positive integer; got {value!r}")
        if not self.learning_rate > 0:
            raise InputError(f"learning_rate must be positive; got {self.learning_rate!r}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise InputError(f"lr_schedule must be one of {LR_SCHEDULES}; got {self.lr_schedule!r}")
        if not 0 <= self.trim < 0.5:
            raise InputError(f"trim must be a share in [0, 0.5); got {self.trim!r}")
        if self.patience is not None and self.patience < 1:
            raise InputError(f"patience must be None or a positive integer; got {self.patience!r}")
        if self.threshold == "best_f1":
            raise InputError("threshold='best_f1' needs labelled data: fit with another method, "
                             "then call calibrate_threshold('best_f1', X=X_val, y=y_val)")

    # -------------------------------------------------------------- scoring
    def anomaly_score(self, X) -> np.ndarray:
        """Per-sample anomaly score (float64, shape (N,)); higher = more anomalous: the mean
        squared reconstruction error, or with model option ``score_parts`` naming several
        parts their standardised sum (see :mod:`aedetect.scoring`)."""
        return self._map_batches(X, self._score, passes=self._score_passes()).astype(np.float64)

    def reconstruction_error(self, X) -> np.ndarray:
        """Per-sample mean squared error of the reconstruction of inputs scaled to [0, 1]
        (float64, shape (N,)); the anomaly score unless the model scores otherwise."""
        return self._map_batches(X, self.model_.reconstruction_error).astype(np.float64)

    def score_parts(self, X) -> np.ndarray:
        """(N, parts) float64: each part of the model's ``score_parts``, standardised by its
        validation mean and std when there are several; the anomaly score is their sum."""
        return self._map_batches(X, lambda x: self.score_head_.standardised_parts(self.model_, x),
                                 passes=self._score_passes()).astype(np.float64)

    def anomaly_map(self, X, kind: str = "squared", sigma: float = 4.0, return_scores: bool = False):
        """(N, H, W) float32 per-pixel anomaly maps of images, higher = more anomalous: the squared
        error or 1 - SSIM of the reconstruction, or a segmentation head's defect probability
        (``kind="segment"``), smoothed by a Gaussian of ``sigma`` pixels
        (:mod:`aedetect.maps`). ``return_scores``: ``(anomaly_score(X), maps)`` in one go; when the
        score is the reconstruction error, one reconstruction per image serves both."""
        from aedetect.models.base import Autoencoder

        if len(getattr(self, "input_shape_", (0, 0))) < 2:
            raise InputError("anomaly maps need an image model (fitted on (N, H, W) or (N, H, W, C) images)")
        shared = (self.score_head_.parts == ("reconstruction",)
                  and type(self.model_).reconstruction_score is Autoencoder.reconstruction_score)

        def fn(x):
            recon = self.model_(x)
            maps = self.model_.pixel_map(x, recon, kind, sigma).flatten(1).float()
            if not return_scores:
                return maps
            scores = (recon - x).pow(2).flatten(1).mean(dim=1) if shared else self._score(x)
            return torch.cat([scores.float()[:, None], maps], dim=1)

        out = self._map_batches(X, fn, "mapping", self._score_passes() if return_scores else 1)
        maps = out[:, -math.prod(self.input_shape_[:2]):].reshape(len(out), *self.input_shape_[:2])
        return (out[:, 0].astype(np.float64), maps) if return_scores else maps

    def iter_anomaly_score(self, X, start: int = 0, stop: int | None = None):
        """Yield ``(i, scores)`` batch by batch, ``scores`` as in :meth:`anomaly_score` for
        samples ``i, i + 1, ...`` of ``X[start:stop]``: score inputs larger than memory (a
        lazy array-like such as a large .npy file) and write results as they come."""
        for i, out in self._iter_batches(X, self._score, start, stop, passes=self._score_passes()):
            yield i, out.astype(np.float64)

    def reconstruct(self, X) -> np.ndarray:
        """Reconstructions of X, float32, in X's shape and units (e.g. 0-255 for uint8 input)."""
        lo, hi = self.input_range_
        out = self._map_batches(X, self.model_)  # (N, C, H, W) or (N, D), in [0, 1]
        if out.ndim == 4:
            out = out.transpose(0, 2, 3, 1)
        return (out.reshape(len(out), *self.input_shape_) * (hi - lo) + lo).astype(np.float32)

    def encode(self, X) -> np.ndarray:
        """Latent codes, float32, shape (N, latent)."""
        return self._map_batches(X, self.model_.encode)

    def _score(self, x: torch.Tensor) -> torch.Tensor:
        return self.score_head_(self.model_, x)

    def _map_batches(self, X, fn, description: str = "scoring", passes: int = 1) -> np.ndarray:
        """``fn`` (scaled tensor -> tensor) over X (maybe lazy) in batches; ``passes``: network passes
        per sample ``fn`` makes (batches are that much smaller)."""
        return np.concatenate([out for _, out in self._iter_batches(X, fn, 0, None, description, passes)])

    def _iter_batches(self, X, fn, start: int = 0, stop: int | None = None, description: str = "scoring",
                      passes: int = 1):
        self._check_fitted()
        X = inputs.check_input(X, self.input_shape_, self.input_dtype_, self.input_range_)
        stop = len(X) if stop is None else min(stop, len(X))
        n = stop - start
        size = max(1, self._scoring_batch_size() // passes)
        self.model_.eval()
        with (torch.inference_mode(), inputs.autocast(self.device_, self.precision),
              progress(self.verbose, delay=2.0) as bar):  # shown after 2 s
            task = bar.add_task(description, total=n, info="")
            for i in range(start, stop, size):
                xb = np.asarray(X[i:min(i + size, stop)])
                check_finite(xb, start=i)
                yield i, fn(self._to_tensor(xb)).float().cpu().numpy()
                bar.update(task, advance=len(xb))

    def _scoring_batch_size(self) -> int:
        if getattr(self, "_batch_for_scoring", None) is None:
            self._batch_for_scoring = inputs.scoring_batch_size(
                self.model_, inputs.network_shape(self.input_shape_), self.device_)
        return self._batch_for_scoring

    def _to_tensor(self, batch: np.ndarray) -> torch.Tensor:
        return inputs.to_tensor(batch, self.input_range_, self.device_)

    def _score_passes(self) -> int:
        """Network passes per sample of the anomaly score (one per transform scored)."""
        self._check_fitted()
        return self.score_head_.passes

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError("this detector is not fitted yet: call fit(X) or "
                                 "AutoencoderDetector.load(path)")

    # ---------------------------------------------------------- save / load
    def save(self, path: str | Path, metadata: dict | None = None) -> Path:
        """Write the fitted detector to folder ``path`` (:mod:`aedetect.folders`): ``config.json``
        (parameters, network config, score parts, threshold, scaling, history, ``metadata``) and
        ``model.safetensors`` (weights, score statistics, validation scores). Written to a
        temporary folder and renamed when complete; an existing model folder is replaced."""
        from aedetect.folders import write_folder

        self._check_fitted()
        config = {
            "params": self.get_params(),
            "model": {"name": self.model, "input_shape": list(inputs.network_shape(self.input_shape_)),
                      "config": dataclasses.asdict(self.model_.config)},
            "score": {"parts": list(self.score_head_.parts), "transforms": self.score_head_.transforms,
                      "log": self.score_head_.log},
            "fitted": {"threshold_": self.threshold_, "threshold_method_": self.threshold_method_,
                       "threshold_param_": self.threshold_param_, "input_shape_": list(self.input_shape_),
                       "input_dtype_": self.input_dtype_,
                       "input_range_": inputs.range_to_json(self.input_range_), "scaling_": self.scaling_,
                       "seed_": self.seed_, "history_": self.history_},
            "metadata": metadata or {},
        }
        tensors = {f"model.{k}": v for k, v in self.model_.state_dict().items()}
        tensors |= {f"score.{k}": v for k, v in self.score_head_.state_dict().items()}
        tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
        tensors["validation_scores"] = torch.from_numpy(self.validation_scores_)
        return write_folder(path, config, tensors)

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> AutoencoderDetector:
        """Read a model folder written by :meth:`save` (or by an earlier aedetect); nothing is
        unpickled. ``device`` is where the model runs here ("auto": CUDA when present).
        The saved ``metadata`` is available as ``metadata_``."""
        from aedetect.detector_folder import load_detector

        return load_detector(cls, path, device)

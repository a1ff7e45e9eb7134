"""The estimator users hold: :class:`AutoencoderDetector`.

Scores, once for the whole package:

- ``reconstruction_error(X)``: the raw anomaly score, the per-sample mean squared
  reconstruction error of inputs scaled to [0, 1] (a VAE can score by its
  negative ELBO instead, see :mod:`aedetect.models.vae`; model option
  ``score_parts`` adds latent-density and self-supervised parts, see
  :mod:`aedetect.models.scoring`); **higher = more anomalous**.
- ``score_samples(X)`` = ``-reconstruction_error(X)``: higher = more normal
  (scikit-learn's convention for outlier detectors).
- ``decision_function(X)`` = ``score_samples(X) - offset_`` = ``threshold_ - error``:
  negative for anomalies.
- ``predict(X)``: -1 for anomalies (error > ``threshold_``), +1 for normal samples.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import tempfile
import warnings
import zlib
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, OutlierMixin

from aedetect.data.arrays import as_samples, check_finite
from aedetect.data.splits import train_validation_split
from aedetect.errors import CollapseWarning, InputError, ModelFolderError
from aedetect.files import default_mode
from aedetect.models import build_model, model_config
from aedetect.models.scoring import COVARIANCE_PARTS, DISTANCE_FIT_IMAGES, FIT_PARTS
from aedetect.thresholds import METHODS, compute_threshold
from aedetect.training import LR_SCHEDULES, progress_bar, train

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
FORMAT = "aedetect-model"
FORMAT_VERSION = 1
# Integer dtypes scaled by their full range; any other dtype by the min and max
# of the training data.
_FIXED_RANGES = {"uint8": (0.0, 255.0), "uint16": (0.0, 65535.0), "bool": (0.0, 1.0)}


def _memory_format(model_input_shape: tuple[int, ...]) -> torch.memory_format:
    """Images (C, H, W) run channels-last: 30-40% faster convolutions on CPU (benchmarks/speed.py)."""
    return torch.channels_last if len(model_input_shape) == 3 else torch.preserve_format


def resolve_device(device: str) -> str:
    """'auto' -> 'cuda' when a GPU is usable, else 'cpu'."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("device='cuda' but no CUDA GPU is usable here: use device='auto' or 'cpu'")
    if device not in ("cpu", "cuda"):
        raise InputError(f"device must be 'auto', 'cpu' or 'cuda'; got {device!r}")
    return device


class AnomalyScoreMixin(OutlierMixin):
    """scikit-learn's outlier contract from a raw anomaly score (higher = more anomalous,
    :meth:`anomaly_score`) and ``offset_`` (= -``threshold_``)."""

    def score_samples(self, X) -> np.ndarray:
        """Negative anomaly score: higher = more normal (scikit-learn's convention)."""
        return -self.anomaly_score(X)

    def decision_function(self, X) -> np.ndarray:
        """``threshold_ - anomaly score``: negative for anomalies."""
        return self.score_samples(X) - self.offset_

    def predict(self, X) -> np.ndarray:
        """+1 for normal samples, -1 for anomalies (anomaly score > ``threshold_``)."""
        return np.where(self.decision_function(X) < 0, -1, 1)


class AutoencoderDetector(AnomalyScoreMixin, BaseEstimator):
    """Anomaly detector: an autoencoder trained on normal data, scored by reconstruction error.

    Parameters
    ----------
    model : str, a name in :data:`aedetect.models.MODELS`: "dense_ae", "conv_ae", "vae",
        "beta_vae", "aae", "dae". :func:`aedetect.presets.preset_params` gives whole
        reference configurations.
    model_options : dict, fields of the model's Config (e.g. ``{"hidden": [400], "latent": 32}``;
        see :mod:`aedetect.models.layers` and each model's module).
    epochs, batch_size, learning_rate : training of the one loop (Adam, the model's loss).
    lr_schedule : "constant" (the learning rate throughout) or "cosine" (annealed each epoch
        from learning_rate to near zero in the last epoch).
    validation_fraction : share of the normal data held out from every gradient step;
        it picks the epoch whose weights are kept, drives early stopping and sets the threshold.
    threshold : method of :mod:`aedetect.thresholds` ("percentile", "mean_std",
        "contamination", "target_fpr", "fixed"); ``threshold_param`` its parameter
        (None: the method's default, e.g. the 95th percentile).
    patience : stop after this many epochs without a lower validation loss (None: run all epochs).
    device : "auto" (CUDA when present), "cpu" or "cuda".
    random_state : int seed for the split, the initial weights and the batch order
        (None: a fresh seed, recorded in ``seed_``). Results are repeatable on CPU.
    verbose : 0 silent, 1 a progress bar on stderr.

    Inputs are numpy arrays (or lazy array-likes) of shape (N, D), (N, H, W) or
    (N, H, W, C). uint8 (and uint16) data are scaled by their full range
    (x / 255); any other dtype by the minimum and maximum of the training data.
    The same scaling is applied at scoring time.
    """

    def __init__(self, *, model: str = "dense_ae", model_options: dict | None = None,
                 epochs: int = 20, batch_size: int = 64, learning_rate: float = 1e-3,
                 lr_schedule: str = "constant", validation_fraction: float = 0.1,
                 threshold: str = "percentile",
                 threshold_param: float | None = None, patience: int | None = None,
                 device: str = "auto", random_state: int | None = None, verbose: int = 1):
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
        self.device = device
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
        from aedetect.checkpoint import load_checkpoint, save_checkpoint

        self.check_params()
        X = as_samples(X)
        X = X if isinstance(X, np.ndarray) else np.asarray(X)
        check_finite(X)
        state, run = None, self._run_record(X)
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
        lo, hi = _FIXED_RANGES.get(self.input_dtype_, (float(X.min()), float(X.max())))
        self.input_range_ = (lo, hi if hi > lo else lo + 1.0)
        self.device_ = resolve_device(self.device)

        torch.manual_seed(self.seed_)
        if groups is None:
            train_idx, val_idx = train_validation_split(len(X), self.validation_fraction, self.seed_)
        else:
            groups = np.asarray(groups)
            if groups.shape != (len(X),):
                raise InputError(f"groups must hold one label per sample ({len(X)}); "
                                 f"got shape {groups.shape}")
            names, which = np.unique(groups, return_inverse=True)
            _, val_groups = train_validation_split(len(names), self.validation_fraction, self.seed_)
            is_val = np.isin(which, val_groups)
            train_idx, val_idx = np.flatnonzero(~is_val), np.flatnonzero(is_val)
            self.validation_groups_ = groups[val_idx]
        self.model_ = build_model(self.model, self._model_input_shape(), self.model_options)
        self.model_.to(self.device_, memory_format=_memory_format(self._model_input_shape()))
        self._batch_for_scoring = None
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
                              checkpoint_every=checkpoint_every, resume=state)
        self._fit_score_parts(X_train, X_val)
        self.validation_scores_ = self.reconstruction_error(X_val)
        self._check_collapse(X_train, X_val)
        return self.calibrate_threshold(self.threshold, self.threshold_param)

    def _fit_score_parts(self, X_train: np.ndarray, X_val: np.ndarray) -> None:
        """After training: the Gaussian of the training codes for the "latent" score part, the
        per-transform feature means and precision for "transform_distance", the per-transform
        Dirichlet of the head's outputs for "transform_dirichlet", the fit images' whitened
        features for "transform_knn", and the validation mean
        and std of every part when the score sums several
        (model option ``score_parts``, see :mod:`aedetect.models.scoring`)."""
        parts = self.model_.parts
        if "latent" in parts:
            self.model_.fit_latent(self._map_batches(X_train, "encode"))
        if set(FIT_PARTS) & set(parts):  # evenly spaced training images, at most 1,000
            step = math.ceil(len(X_train) / DISTANCE_FIT_IMAGES)
            features = self._map_batches(X_train[::step], "transform_features")  # (N, transforms, F)
            if set(COVARIANCE_PARTS) & set(parts):
                self.model_.fit_transform_features(features)
            if "transform_dirichlet" in parts:
                self.model_.fit_transform_dirichlet(features)
        if len(parts) > 1:
            self.model_.fit_part_scale(self._map_batches(X_val, "raw_parts").astype(np.float64))

    def _run_record(self, X: np.ndarray) -> dict:
        """What makes two training runs the same: parameters, seed and a fingerprint of the data."""
        params = {k: v for k, v in self.get_params().items() if k not in ("verbose", "device")}
        ends = np.ascontiguousarray(np.concatenate([X[:64], X[-64:]]))
        seed = (int(self.random_state) if self.random_state is not None
                else int(np.random.SeedSequence().generate_state(1)[0] >> 1))
        return json.loads(json.dumps({"params": params, "seed": seed, "shape": list(X.shape),
                                      "dtype": str(X.dtype), "crc": zlib.crc32(ends.tobytes())}))

    def _check_collapse(self, X_train: np.ndarray, X_val: np.ndarray) -> None:
        """Record in ``history_`` whether the model reconstructs the held-out normals no better
        than a constant output (the mean training sample) does, and warn if so."""
        size = self._scoring_batch_size()
        constant, model = [], []
        with torch.inference_mode():
            mean = sum(self._to_tensor(X_train[i:i + size]).sum(0)
                       for i in range(0, len(X_train), size)) / len(X_train)
            for i in range(0, len(X_val), size):
                x = self._to_tensor(X_val[i:i + size])
                constant.append(float((x - mean).pow(2).sum()))
                model.append(float((self.model_(x) - x).pow(2).sum()))
        constant, model = sum(constant) / X_val.size, sum(model) / X_val.size
        self.history_["constant_output_error"] = constant
        self.history_["validation_error"] = model
        self.history_["collapsed"] = bool(model >= 0.9 * constant)
        if self.history_["collapsed"]:
            warnings.warn(
                f"the {self.model} model reconstructs held-out normal samples no better than one "
                f"constant output does (validation error {model:.4g}; the mean training sample: "
                f"{constant:.4g}): it collapsed or is undertrained, so its scores mostly measure how "
                "far an input lies from the average. Try a lower learning_rate, more epochs, "
                "model_options norm='batch' or loss='bce', or (for a VAE) a smaller beta",
                CollapseWarning, stacklevel=3)

    def check_params(self) -> None:
        """Raise InputError for a parameter that cannot work; ``fit`` calls this first."""
        model_config(self.model, self.model_options)
        if self.threshold not in METHODS:
            raise InputError(f"unknown threshold method {self.threshold!r}; choose one of "
                             f"{', '.join(METHODS)}")
        if self.threshold == "fixed" and self.threshold_param is None:
            raise InputError("threshold='fixed' needs its value, e.g. threshold_param=0.02")
        resolve_device(self.device)
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise InputError(f"{name} must be a positive integer; got {value!r}")
        if not self.learning_rate > 0:
            raise InputError(f"learning_rate must be positive; got {self.learning_rate!r}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise InputError(f"lr_schedule must be one of {LR_SCHEDULES}; got {self.lr_schedule!r}")
        if self.patience is not None and self.patience < 1:
            raise InputError(f"patience must be None or a positive integer; got {self.patience!r}")
        if self.threshold == "best_f1":
            raise InputError("threshold='best_f1' needs labelled data: fit with another method, "
                             "then call calibrate_threshold('best_f1', X=X_val, y=y_val)")

    def calibrate_threshold(self, method: str | None = None, param: float | None = None,
                            X=None, y=None):
        """Set ``threshold_`` (and ``offset_``) without retraining.

        By default from the validation scores kept at fit time with the
        detector's own ``threshold``/``threshold_param``. With ``X`` the scores
        of X are used instead: all of them, or those with ``y == 0`` when labels
        (1 = anomaly) are given; ``best_f1`` needs ``X`` and ``y``. Pass
        labelled *validation* data here, never the test set.
        """
        if method is None:
            method, param = self.threshold, self.threshold_param
        scores, labels = self.validation_scores_, None
        if X is not None:
            scores = self.reconstruction_error(X)
            if y is not None:
                labels = np.asarray(y).astype(np.int64)
                if method != "best_f1":
                    scores = scores[labels == 0]
        self.threshold_ = compute_threshold(method, scores, param, labels)
        self.threshold_method_ = method
        self.threshold_param_ = param
        self.offset_ = -self.threshold_
        return self

    # -------------------------------------------------------------- scoring
    def reconstruction_error(self, X) -> np.ndarray:
        """Per-sample anomaly score (float64, shape (N,)); higher = more anomalous: the mean
        squared reconstruction error, or with model option ``score_parts`` naming several
        parts their standardised sum (see :mod:`aedetect.models.scoring`)."""
        return self._map_batches(X, "score").astype(np.float64)

    def score_parts(self, X) -> np.ndarray:
        """(N, parts) float64: each part of the model's ``score_parts``, standardised by its
        validation mean and std when there are several; the anomaly score is their sum."""
        return self._map_batches(X, "score_parts").astype(np.float64)

    def iter_reconstruction_error(self, X, start: int = 0, stop: int | None = None):
        """Yield ``(i, errors)`` batch by batch, ``errors`` as in :meth:`reconstruction_error`
        for samples ``i, i + 1, ...`` of ``X[start:stop]``: score inputs larger than memory (a
        lazy array-like such as a large .npy file) and write results as they come."""
        for i, out in self._iter_batches(X, "score", start, stop):
            yield i, out.astype(np.float64)

    def anomaly_score(self, X) -> np.ndarray:
        """The raw anomaly score of :class:`AnomalyScoreMixin`: :meth:`reconstruction_error`."""
        return self.reconstruction_error(X)

    def reconstruct(self, X) -> np.ndarray:
        """Reconstructions of X, float32, in X's shape and units (e.g. 0-255 for uint8 input)."""
        lo, hi = self.input_range_
        out = self._map_batches(X, "forward")  # (N, C, H, W) or (N, D), in [0, 1]
        if out.ndim == 4:
            out = out.transpose(0, 2, 3, 1)
        return (out.reshape(len(out), *self.input_shape_) * (hi - lo) + lo).astype(np.float32)

    def encode(self, X) -> np.ndarray:
        """Latent codes, float32, shape (N, latent)."""
        return self._map_batches(X, "encode")

    def _map_batches(self, X, method: str) -> np.ndarray:
        """Apply the model's ``method`` to X batch by batch (X may be a lazy array-like)."""
        return np.concatenate([out for _, out in self._iter_batches(X, method)])

    def _iter_batches(self, X, method: str, start: int = 0, stop: int | None = None):
        self._check_fitted()
        fn = getattr(self.model_, method)
        X = self._check_input(X)
        stop = len(X) if stop is None else min(stop, len(X))
        n = stop - start
        size = self._scoring_batch_size()
        self.model_.eval()
        with torch.inference_mode(), progress_bar(self.verbose if n > 20 * size else 0) as bar:
            task = bar.add_task("scoring", total=n, info="")
            for i in range(start, stop, size):
                xb = np.asarray(X[i:min(i + size, stop)])
                check_finite(xb, start=i)
                yield i, fn(self._to_tensor(xb)).float().cpu().numpy()
                bar.update(task, advance=len(xb))

    def _scoring_batch_size(self) -> int:
        """Samples per scoring batch: as many as keep the widest layer's output near 4M values
        (32 to 4,096). Conv nets score fastest on a CPU in batches that stay in cache (64 for
        the 96x96 Caltech net, 4-8x faster than 1,024), dense nets in large ones."""
        if getattr(self, "_batch_for_scoring", None) is None:
            widest = [self.n_features_in_]

            def record(module, inputs, output):
                widest.append(max(t.numel() for t in (output if isinstance(output, tuple) else (output,))))

            leaves = [m for m in self.model_.modules() if not list(m.children())]
            hooks = [m.register_forward_hook(record) for m in leaves]
            try:
                self.model_.eval()
                with torch.inference_mode():
                    self.model_(torch.zeros(1, *self._model_input_shape(), device=self.device_))
            finally:
                for h in hooks:
                    h.remove()
            self._batch_for_scoring = int(np.clip(2**22 // max(widest), 32, 4096))
        return self._batch_for_scoring

    # ------------------------------------------------------ input handling
    def _model_input_shape(self) -> tuple[int, ...]:
        s = self.input_shape_
        return s if len(s) == 1 else (1, *s) if len(s) == 2 else (s[2], s[0], s[1])

    def _to_tensor(self, batch: np.ndarray) -> torch.Tensor:
        """(B, *input_shape_) numpy -> float tensor on the device, scaled, channels first."""
        lo, hi = self.input_range_
        t = torch.from_numpy(np.ascontiguousarray(batch)).to(self.device_)
        t = (t.float() - lo) / (hi - lo)
        if t.ndim == 3:
            t = t.unsqueeze(1)  # (B, H, W) -> (B, 1, H, W)
        elif t.ndim == 4:
            t = t.permute(0, 3, 1, 2)  # (B, H, W, C) -> (B, C, H, W), stored channels last
        return t if t.ndim == 2 else t.contiguous(memory_format=torch.channels_last)

    def _check_input(self, X):
        X = as_samples(X)
        shape = tuple(X.shape[1:])
        if shape != self.input_shape_:
            raise InputError(f"this model was fitted on samples of shape {self.input_shape_}; "
                             f"got {shape}: resize or reshape the input to match")
        fitted, got = self.input_dtype_, str(np.dtype(X.dtype))
        if fitted in _FIXED_RANGES and got != fitted:
            raise InputError(
                f"this model was fitted on {fitted} data scaled by its full range "
                f"{self.input_range_}; got {got}: pass {fitted} (e.g. "
                f"(X * {self.input_range_[1]:g}).round().astype('{fitted}') for data in [0, 1])"
            )
        return X

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise InputError("this detector is not fitted yet: call fit(X) or AutoencoderDetector.load(path)")

    # ---------------------------------------------------------- save / load
    def save(self, path: str | Path, metadata: dict | None = None) -> Path:
        """Write the fitted detector to folder ``path``: ``config.json`` (parameters, model
        config, threshold, scaling, history, ``metadata``) and ``model.safetensors``
        (weights and validation scores). Written to a temporary folder and renamed
        when complete; an existing model folder at ``path`` is replaced.
        """
        from safetensors.torch import save_file

        self._check_fitted()
        path = Path(path)
        if path.exists() and not (path / CONFIG_FILE).exists() and any(path.iterdir()):
            raise InputError(f"{path} exists and is not an aedetect model folder: choose another path")
        config = {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "params": self.get_params(),
            "model": {"name": self.model, "input_shape": list(self._model_input_shape()),
                      "config": dataclasses.asdict(self.model_.config)},
            "fitted": {"threshold_": self.threshold_, "threshold_method_": self.threshold_method_,
                       "threshold_param_": self.threshold_param_, "input_shape_": list(self.input_shape_),
                       "input_dtype_": self.input_dtype_, "input_range_": list(self.input_range_),
                       "seed_": self.seed_, "history_": self.history_},
            "metadata": metadata or {},
        }
        tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in self.model_.state_dict().items()}
        tensors["validation_scores"] = torch.from_numpy(self.validation_scores_)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
        os.chmod(tmp, default_mode(directory=True))
        try:
            (tmp / CONFIG_FILE).write_text(json.dumps(config, indent=2))
            save_file(tensors, str(tmp / WEIGHTS_FILE))
            if path.exists():
                old = path.with_name(f".{path.name}.old")
                path.rename(old)
                tmp.rename(path)
                shutil.rmtree(old)
            else:
                tmp.rename(path)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
        return path

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> AutoencoderDetector:
        """Read a model folder written by :meth:`save`; nothing is unpickled.

        ``device`` is where the model runs here ("auto": CUDA when present).
        The saved ``metadata`` is available as ``metadata_``.
        """
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        path = Path(path)
        if not (path / CONFIG_FILE).is_file():
            raise ModelFolderError(f"{path}: not an aedetect model folder (no {CONFIG_FILE}); "
                                   "make one with `aedetect fit` or AutoencoderDetector.save")
        try:
            config = json.loads((path / CONFIG_FILE).read_text())
            if config.get("format") != FORMAT:
                raise ModelFolderError(f"{path / CONFIG_FILE}: not an aedetect model config")
            if config.get("format_version") != FORMAT_VERSION:
                raise ModelFolderError(f"{path}: model format version {config.get('format_version')}; "
                                       f"this aedetect reads version {FORMAT_VERSION}")
            params, fitted, model_cfg = config["params"], config["fitted"], config["model"]
            known = set(cls().get_params())
            if set(params) != known:
                raise ModelFolderError(f"{path / CONFIG_FILE}: unexpected parameters "
                                       f"{sorted(set(params) ^ known)}")
            det = cls(**{**params, "device": device})
            det.device_ = resolve_device(device)
            det.model_ = build_model(model_cfg["name"], model_cfg["input_shape"], model_cfg["config"])
            tensors = load_file(str(path / WEIGHTS_FILE))
            state = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
            det.model_.load_state_dict(state)
            det.model_.to(det.device_, memory_format=_memory_format(tuple(model_cfg["input_shape"]))).eval()
            det.validation_scores_ = tensors["validation_scores"].numpy().astype(np.float64)
            det.input_shape_ = tuple(fitted["input_shape_"])
            det.n_features_in_ = math.prod(det.input_shape_)
            det.input_dtype_ = fitted["input_dtype_"]
            det.input_range_ = tuple(fitted["input_range_"])
            det.seed_ = fitted["seed_"]
            det.history_ = fitted["history_"]
            det.threshold_ = float(fitted["threshold_"])
            det.threshold_method_ = fitted["threshold_method_"]
            det.threshold_param_ = fitted["threshold_param_"]
            det.offset_ = -det.threshold_
            det.metadata_ = config.get("metadata", {})
        except ModelFolderError:
            raise
        except (OSError, json.JSONDecodeError, KeyError, TypeError, RuntimeError,
                SafetensorError, InputError) as err:
            raise ModelFolderError(f"{path}: incomplete or damaged model folder ({err})") from err
        return det

"""Machine sounds, clip by clip: :class:`AudioDetector`.

An :class:`~aedetect.detector.AutoencoderDetector` learns the log-mel samples
(stacked frames or spectrogram patches, see :mod:`aedetect.data.audio`) of
normal clips. A clip's anomaly score aggregates its per-frame reconstruction
errors (**higher = more anomalous**):

- ``"mean"`` over all frames (the DCASE 2020 baseline),
- ``"max"`` (the worst frame), or
- ``"topk"``: the mean of the ``top_k`` share of frames with the largest errors
  (a short knock drowns in a 10 s mean but not in the top 10%).

Errors are squared reconstruction errors per mel band (inputs scaled to [0, 1]
by the training spectrograms' range): of the stacked-frame vector centred on
the frame (averaged over its frames), or, for patches, of the frame's column.
A frame's error is their mean over bands. Validation clips (a
``validation_fraction`` of the training clips, held out whole) set the clip
threshold ``threshold_`` with the inner detector's threshold method, and the
frame threshold ``frame_threshold_`` (the ``span_percentile`` of their frames'
span statistic: the mean of each frame's ``span_bands`` largest band errors)
that marks *when* a clip sounded wrong: :meth:`flagged_spans`.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

from aedetect.data.audio import AudioFeatures, file_log_mel, log_mel, to_samples
from aedetect.detector import AutoencoderDetector
from aedetect.errors import InputError, ModelFolderError, NotFittedError
from aedetect.outlier import AnomalyScoreMixin
from aedetect.scoring import split_score_options
from aedetect.thresholds import compute_threshold

AGGREGATES = ("mean", "max", "topk")


class AudioDetector(AnomalyScoreMixin, BaseEstimator):
    """Anomaly detector for audio clips: WAV paths, 1-D waveforms at ``features.sample_rate``,
    or log-mel spectrograms (n_mels, T) made by :func:`aedetect.data.audio.log_mel`.

    Parameters
    ----------
    detector : AutoencoderDetector, unfitted; its model, training settings,
        ``validation_fraction`` and ``threshold`` method are used (default: the
        ``dcase-baseline`` preset).
    features : dict of :class:`aedetect.data.audio.AudioFeatures` fields (default: the
        DCASE baseline's log-mel frames).
    aggregate : "mean", "max" or "topk": how frame errors become a clip score.
    top_k : share of frames averaged by "topk" (0 < top_k <= 1).
    span_percentile : percentile of validation frames' span statistic above which a frame is flagged.
    span_bands : how many of a frame's largest band errors the span statistic averages.
    """

    def __init__(self, *, detector=None, features: dict | None = None, aggregate: str = "mean",
                 top_k: float = 0.1, span_percentile: float = 99.9, span_bands: int = 8):
        self.detector = detector
        self.features = features
        self.aggregate = aggregate
        self.top_k = top_k
        self.span_percentile = span_percentile
        self.span_bands = span_bands

    def _check_params(self) -> AudioFeatures:
        if self.aggregate not in AGGREGATES:
            raise InputError(f"aggregate must be one of {', '.join(AGGREGATES)}; got {self.aggregate!r}")
        if not 0 < self.top_k <= 1:
            raise InputError(f"top_k must be a share of frames in (0, 1]; got {self.top_k!r}")
        if not 0 < self.span_percentile <= 100:
            raise InputError(f"span_percentile must be in (0, 100]; got {self.span_percentile!r}")
        if not isinstance(self.span_bands, int) or self.span_bands < 1:
            raise InputError(f"span_bands must be a positive integer; got {self.span_bands!r}")
        return AudioFeatures.from_dict(self.features)

    # ------------------------------------------------------------------ fit
    def fit(self, clips, y=None, *, checkpoint_dir=None, checkpoint_every: int = 5, resume: bool = False):
        """Train on normal ``clips`` (paths or waveforms); ``y`` is ignored."""
        from sklearn.base import clone

        from aedetect.presets import preset_params

        self.features_ = self._check_params()
        inner = (clone(self.detector) if self.detector is not None
                 else AutoencoderDetector(**preset_params("dcase-baseline")))
        inner.check_params()
        if inner.scaling == "auto":  # a spectrogram frame's values share one unit (dB): one range
            inner.set_params(scaling="global")
        network_options, head_options = split_score_options(inner.model_options)
        if network_options.get("transforms") or head_options["parts"] != ("reconstruction",):
            raise InputError("audio clips are scored by the reconstruction error of their frames; the "
                             "image score options transforms / score_parts do not apply: leave them out")
        if len(clips) < 2:
            raise InputError(f"got {len(clips)} normal clip(s); training needs at least 2 (one is held "
                             "out whole for validation)")
        specs = [self._spectrogram(c) for c in clips]
        parts = [to_samples(s, self.features_)[0] for s in specs]
        X = np.concatenate(parts)
        groups = np.repeat(np.arange(len(parts)), [len(p) for p in parts])
        self.detector_ = inner.fit(X, groups=groups, checkpoint_dir=checkpoint_dir,
                                   checkpoint_every=checkpoint_every, resume=resume)
        val = np.unique(inner.validation_groups_)
        errors = [self.frame_errors(specs[i])[0] for i in val]
        self.validation_scores_ = np.asarray([self.clip_score(e) for e in errors])
        self.frame_threshold_ = float(np.percentile(np.concatenate([self.span_statistic(e) for e in errors]),
                                                    self.span_percentile))
        self.n_clips_ = len(clips)
        return self.calibrate_threshold(inner.threshold, inner.threshold_param)

    def calibrate_threshold(self, method: str, param: float | None = None):
        """Set the clip threshold ``threshold_`` from the validation clips' scores."""
        self.threshold_ = compute_threshold(method, self.validation_scores_, param)
        self.threshold_method_, self.threshold_param_ = method, param
        self.offset_ = -self.threshold_
        return self

    # -------------------------------------------------------------- scoring
    def _spectrogram(self, clip) -> np.ndarray:
        """Log-mel spectrogram of a path, a 1-D waveform, or a spectrogram (n_mels, T) itself."""
        if isinstance(clip, (str, Path)):
            return file_log_mel(clip, self.features_)
        y = np.asarray(clip, dtype=np.float32)
        if y.ndim == 2 and y.shape[0] == self.features_.n_mels:
            return y
        if y.ndim != 1:
            raise InputError(f"a waveform must be 1-D (samples,) at {self.features_.sample_rate} Hz; got "
                             f"shape {y.shape}: pass one channel, e.g. y[:, 0]")
        return log_mel(y, self.features_)

    def frame_errors(self, clip) -> tuple[np.ndarray, np.ndarray]:
        """Squared reconstruction errors of one clip per frame and mel band, float64, shape
        (T', n_mels), and the time of each frame in seconds (T',). Higher = more anomalous.
        Their mean over bands is the frame error; :meth:`clip_score` and :meth:`flagged_spans`
        take this array as it is."""
        f = self.features_
        spec = self._spectrogram(clip)
        X, starts = to_samples(spec, f)
        det = self.detector_
        lo, hi = det.input_range_
        sq = ((X - det.reconstruct(X)) / (hi - lo)).astype(np.float64) ** 2
        if f.mode == "frames":  # (N, context * n_mels): mean over the stacked frames
            errors = sq.reshape(len(sq), f.context, f.n_mels).mean(axis=1)
            return errors, (starts + f.context // 2) * f.seconds_per_frame
        total, count = np.zeros(spec.shape), np.zeros(spec.shape[1])  # patches (P, n_mels, width)
        for s, e in zip(starts, sq):
            total[:, s:s + f.patch_frames] += e
            count[s:s + f.patch_frames] += 1
        return (total / count).T, np.arange(spec.shape[1]) * f.seconds_per_frame

    def span_statistic(self, errors: np.ndarray) -> np.ndarray:
        """Per-frame statistic compared with ``frame_threshold_``: the mean of the frame's
        ``span_bands`` largest band errors (a knock lights up a few bands; averaged over all
        128 it fades)."""
        k = min(self.span_bands, errors.shape[1])
        return np.sort(errors, axis=1)[:, -k:].mean(axis=1)

    def reconstruct_spectrogram(self, clip) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A clip's log-mel spectrogram, its reconstruction (both in dB, (n_mels, T')) and the
        time of each column in seconds. Frames mode keeps the centre frame of each stacked
        vector (the first and last ``context // 2`` frames drop out); patches are averaged."""
        f = self.features_
        spec = self._spectrogram(clip)
        X, starts = to_samples(spec, f)
        R = self.detector_.reconstruct(X)
        if f.mode == "frames":
            c = f.context // 2
            recon = R.reshape(len(R), f.context, f.n_mels)[:, c, :].T  # (n_mels, T - context + 1)
            return spec[:, c:c + recon.shape[1]], recon, (starts + c) * f.seconds_per_frame
        total, count = np.zeros(spec.shape), np.zeros(spec.shape[1])
        for s, r in zip(starts, R):
            total[:, s:s + f.patch_frames] += r
            count[s:s + f.patch_frames] += 1
        return spec, (total / count).astype(np.float32), np.arange(spec.shape[1]) * f.seconds_per_frame

    def clip_score(self, errors: np.ndarray) -> float:
        """A clip's score from its frame errors (T', n_mels) or (T',), by ``aggregate``."""
        errors = errors.mean(axis=1) if errors.ndim == 2 else errors
        if self.aggregate == "mean":
            return float(errors.mean())
        if self.aggregate == "max":
            return float(errors.max())
        k = max(1, math.ceil(self.top_k * len(errors)))
        return float(np.sort(errors)[-k:].mean())

    def clip_scores(self, clips) -> np.ndarray:
        """Anomaly score per clip (float64, shape (n,)); higher = more anomalous."""
        self._check_fitted()
        return np.asarray([self.clip_score(self.frame_errors(c)[0]) for c in clips])

    def anomaly_score(self, clips) -> np.ndarray:
        """The raw anomaly score of :class:`AnomalyScoreMixin`: :meth:`clip_scores`."""
        return self.clip_scores(clips)

    def flagged_spans(self, errors: np.ndarray, times: np.ndarray) -> list[tuple[float, float]]:
        """Time spans (start, end) in seconds where :meth:`span_statistic` of the frame errors
        (T', n_mels) exceeds ``frame_threshold_``; flagged frames at most one frame apart merge."""
        half = self.features_.seconds_per_frame / 2
        spans: list[list[float]] = []
        for t in times[self.span_statistic(errors) > self.frame_threshold_]:
            if spans and t - half <= spans[-1][1] + 2 * half:
                spans[-1][1] = t + half
            else:
                spans.append([max(0.0, t - half), t + half])
        return [(round(float(a), 3), round(float(b), 3)) for a, b in spans]

    def _check_fitted(self) -> None:
        if not hasattr(self, "detector_"):
            raise NotFittedError("this detector is not fitted yet: call fit(clips) or "
                                 "AudioDetector.load(path)")

    # ---------------------------------------------------------- save / load
    def save(self, path: str | Path, metadata: dict | None = None) -> Path:
        """A model folder as :meth:`AutoencoderDetector.save` writes it, with the audio settings
        and clip thresholds in ``config.json``'s metadata."""
        self._check_fitted()
        audio = {"features": self.features_.to_dict(), "aggregate": self.aggregate, "top_k": self.top_k,
                 "span_percentile": self.span_percentile, "span_bands": self.span_bands,
                 "threshold_": self.threshold_,
                 "threshold_method_": self.threshold_method_, "threshold_param_": self.threshold_param_,
                 "frame_threshold_": self.frame_threshold_, "n_clips_": self.n_clips_,
                 "validation_scores_": self.validation_scores_.tolist()}
        return self.detector_.save(path, metadata={**(metadata or {}), "audio": audio})

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> AudioDetector:
        """Read a model folder written by :meth:`save`; ``metadata_`` holds its metadata."""
        inner = AutoencoderDetector.load(path, device=device)
        audio = inner.metadata_.get("audio")
        if not isinstance(audio, dict):
            raise ModelFolderError(f"{path}: an image/array model, not an audio model; fit one on WAV files")
        try:
            det = cls(features=audio["features"], aggregate=audio["aggregate"], top_k=audio["top_k"],
                      span_percentile=audio["span_percentile"], span_bands=audio["span_bands"])
            det.features_ = det._check_params()
            det.detector_, det.metadata_ = inner, inner.metadata_
            det.validation_scores_ = np.asarray(audio["validation_scores_"], dtype=np.float64)
            det.frame_threshold_ = float(audio["frame_threshold_"])
            det.n_clips_ = int(audio["n_clips_"])
            det.threshold_ = float(audio["threshold_"])
            det.threshold_method_ = audio["threshold_method_"]
            det.threshold_param_ = audio["threshold_param_"]
            det.offset_ = -det.threshold_
        except (KeyError, TypeError, ValueError) as err:
            raise ModelFolderError(f"{path}: damaged audio settings in config.json ({err!r})") from None
        return det

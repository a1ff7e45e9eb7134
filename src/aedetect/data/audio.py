"""Machine sounds: WAV files -> log-mel spectrograms -> samples for an autoencoder.

Reading (:func:`read_wav`, soundfile): samples become float32 in [-1, 1].
Multi-channel files (MIMII records 8 microphones) are reduced to **channel 0**
by default, the choice DCASE 2020 Task 2 made when it built its data from
MIMII; ``channel="mean"`` averages the channels instead. A file at another
sample rate than the one asked for is resampled (librosa's soxr), or refused
with ``resample=False``. Empty, truncated and non-audio files are refused with
their name.

Features (:func:`log_mel`): as in the DCASE 2020 Task 2 baseline: STFT with
n_fft 1024, hop 512, Hann window, power 2, 128 mel bands (librosa's filter
bank), then ``10 * log10(mel + eps)`` in dB. Then either

- ``frames``: stacked context frames, ``context`` consecutive frames (5 in
  the baseline) -> vectors of ``context * n_mels`` values (640), one per
  frame position, or
- ``patches``: spectrogram patches of ``n_mels x patch_frames`` (the course
  homework: 64 x 312, a whole 10 s clip), for a conv autoencoder. Patches
  start every ``patch_frames`` frames; a remainder gets one more patch aligned
  with the clip's end.

Log-mel spectrograms are cached on disk (:func:`feature_cache_dir`), keyed by
the file's SHA-256 and the reading and STFT parameters.

Folders users did not curate (:func:`aedetect.data.audio_layouts.load_clips`): files that cannot be read
(empty, truncated, not audio, too short for one sample) are skipped with one
warning that counts them, or refused with ``strict=True`` (``--strict``).
Silent clips (:data:`SILENT_DB`) are skipped from training the same way (they
teach nothing about the machine); when scoring they are kept and scored (a
machine that went quiet is news).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from aedetect.errors import InputError

AUDIO_SUFFIXES = {".wav", ".flac"}
#: A clip whose log-mel spectrogram never reaches this level (dB; a full-scale 100 Hz
#: tone reaches about +35 dB with the default STFT, a tone of peak 1e-4 about -45 dB)
#: counts as silent.
SILENT_DB = -45.0
_EPS = np.finfo(np.float32).eps


@dataclass(frozen=True)
class AudioFeatures:
    """How clips become samples; saved with every audio model.

    sample_rate : Hz the audio is read at (others are resampled).
    channel : 0-based channel of multi-channel files, or "mean".
    n_fft, hop_length, n_mels, power : the log-mel spectrogram.
    mode : "frames" (stacked context frames, dense models) or "patches"
        (n_mels x patch_frames spectrogram patches, conv models).
    context : frames per vector in "frames" mode.
    patch_frames : patch width in frames in "patches" mode.
    """

    sample_rate: int = 16000
    channel: int | str = 0
    n_fft: int = 1024
    hop_length: int = 512
    n_mels: int = 128
    power: float = 2.0
    mode: str = "frames"
    context: int = 5
    patch_frames: int = 312

    def check(self) -> AudioFeatures:
        if self.mode not in ("frames", "patches"):
            raise InputError(f"audio feature mode must be 'frames' or 'patches'; got {self.mode!r}")
        if not (isinstance(self.channel, int) and self.channel >= 0) and self.channel != "mean":
            raise InputError(f"channel must be a channel number (0, 1, ...) or 'mean'; got {self.channel!r}")
        for name in ("sample_rate", "n_fft", "hop_length", "n_mels", "context", "patch_frames"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 < value <= 1_000_000:
                raise InputError(f"audio feature {name} must be a positive integer; got {value!r}")
        if self.n_mels > self.n_fft // 2 + 1:
            raise InputError(f"n_mels ({self.n_mels}) cannot exceed n_fft // 2 + 1 ({self.n_fft // 2 + 1})")
        return self

    @classmethod
    def from_dict(cls, d: dict | None) -> AudioFeatures:
        known = set(cls.__dataclass_fields__)
        unknown = set(d or {}) - known
        if unknown:
            raise InputError(f"unknown audio feature option(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(**(d or {})).check()

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def seconds_per_frame(self) -> float:
        return self.hop_length / self.sample_rate


# ---------------------------------------------------------------- reading
def read_wav(path: str | Path, sample_rate: int = 16000, channel: int | str = 0,
             resample: bool = True) -> np.ndarray:
    """Samples of an audio file, float32 in [-1, 1], shape (n,), at ``sample_rate``.

    Raises InputError naming the file when it is empty, not audio, truncated
    (fewer samples than its header declares), holds fewer channels than
    ``channel`` asks for, or has another sample rate and ``resample`` is False.
    """
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such audio file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: empty file (0 bytes); remove it or record it again")
    try:
        with sf.SoundFile(path) as f:
            declared, rate, subtype = f.frames, f.samplerate, f.subtype
            y = f.read(dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as err:
        raise InputError(f"{path}: not a readable audio file ({err}); WAV or FLAC expected") from None
    size, held = _declared_data_size(path), y.size * _BYTES_PER_SAMPLE.get(subtype, 0)
    if size is not None and size > held:
        raise InputError(f"{path}: truncated: its header declares {size:,} bytes of audio, the file "
                         f"holds {held:,}; copy it again or remove it")
    if len(y) == 0 or declared == 0:
        raise InputError(f"{path}: holds no audio samples; remove it or record it again")
    return _one_channel(y, rate, path, sample_rate, channel, resample)


def _one_channel(y: np.ndarray, rate: int, name, sample_rate: int, channel: int | str,
                 resample: bool = True) -> np.ndarray:
    """Samples (n, channels) at ``rate`` -> the channel asked for (or their mean) at ``sample_rate``."""
    channels = y.shape[1]
    if channel == "mean":
        y = y.mean(axis=1)
    elif channel >= channels:
        raise InputError(f"{name}: has {channels} channel(s); channel {channel} was asked for "
                         "(channels count from 0; or use channel='mean')")
    else:
        y = y[:, channel]
    if rate != sample_rate:
        if not resample:
            raise InputError(f"{name}: sample rate {rate} Hz, expected {sample_rate} Hz: resample it, "
                             "or allow resampling")
        import librosa

        y = librosa.resample(y, orig_sr=rate, target_sr=sample_rate)
    return np.ascontiguousarray(y, dtype=np.float32)


def decode_audio(data: bytes, name: str, sample_rate: int = 16000, channel: int | str = 0,
                 max_seconds: float | None = None) -> np.ndarray:
    """Samples of an audio file held in memory (WAV, FLAC, OGG), as :func:`read_wav` gives them.
    Raises InputError naming ``name`` when it is not audio, holds no samples, or runs longer than
    ``max_seconds``."""
    import io

    import soundfile as sf

    try:
        with sf.SoundFile(io.BytesIO(data)) as f:
            if max_seconds is not None and f.frames > max_seconds * f.samplerate:
                seconds = f.frames / f.samplerate
                raise InputError(f"{name}: {seconds:.1f} s of audio; at most {max_seconds:g} s")
            rate, y = f.samplerate, f.read(dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as err:
        raise InputError(f"{name}: not a readable audio file ({err}); WAV or FLAC expected") from None
    if len(y) == 0:
        raise InputError(f"{name}: holds no audio samples")
    return _one_channel(y, rate, name, sample_rate, channel)


_BYTES_PER_SAMPLE = {"PCM_U8": 1, "PCM_S8": 1, "PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4, "DOUBLE": 8}


def _declared_data_size(path: Path) -> int | None:
    """The size of a RIFF/WAVE file's ``data`` chunk as its header declares it (None: not a
    plain WAV). libsndfile reads a truncated WAV without complaint, so we compare."""
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                return None
            size = int.from_bytes(chunk[4:], "little")
            if chunk[:4] == b"data":
                return size if size != 0xFFFFFFFF else None
            f.seek(size + (size & 1), os.SEEK_CUR)


# --------------------------------------------------------------- features
@functools.lru_cache(maxsize=8)
def _mel_basis(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    import librosa

    return librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels).astype(np.float32)


def log_mel(y: np.ndarray, features: AudioFeatures = AudioFeatures()) -> np.ndarray:
    """Log-mel spectrogram in dB, float32, shape (n_mels, frames); frame t is centred at
    ``t * hop_length / sample_rate`` seconds."""
    import librosa

    spec = np.abs(librosa.stft(y, n_fft=features.n_fft, hop_length=features.hop_length)) ** features.power
    mel = _mel_basis(features.sample_rate, features.n_fft, features.n_mels) @ spec
    return (20.0 / features.power * np.log10(mel + _EPS)).astype(np.float32)  # 10 log10 for power 2


def feature_cache_dir() -> Path | None:
    """Where log-mel spectrograms are cached: ``$AEDETECT_CACHE`` (empty: no cache), else
    ``$XDG_CACHE_HOME/aedetect`` or ``~/.cache/aedetect``."""
    env = os.environ.get("AEDETECT_CACHE")
    if env is not None:
        return Path(env) if env else None
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "aedetect"


def file_log_mel(path: str | Path, features: AudioFeatures = AudioFeatures()) -> np.ndarray:
    """:func:`log_mel` of a file, through the on-disk cache (see :func:`feature_cache_dir`)."""
    from aedetect.files import atomic_write

    path = Path(path)
    cache = feature_cache_dir()
    if cache is None:
        return log_mel(read_wav(path, features.sample_rate, features.channel), features)
    params = {k: getattr(features, k) for k in ("sample_rate", "channel", "n_fft", "hop_length",
                                                 "n_mels", "power")}
    key = hashlib.sha256(path.read_bytes())
    key.update(json.dumps(params, sort_keys=True).encode())
    target = cache / "logmel" / f"{key.hexdigest()}.npy"
    if target.is_file():
        try:
            return np.load(target, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            pass  # a damaged cache entry is recomputed
    spec = log_mel(read_wav(path, features.sample_rate, features.channel), features)
    try:
        def write(p: Path) -> None:
            with open(p, "wb") as f:  # np.save(path) would append ".npy" to the temporary name
                np.save(f, spec, allow_pickle=False)

        atomic_write(target, write)
    except OSError:
        pass  # a read-only cache only costs time
    return spec


def to_samples(spec: np.ndarray, features: AudioFeatures) -> tuple[np.ndarray, np.ndarray]:
    """Samples of one clip's log-mel spectrogram (n_mels, T) and the first frame of each.

    frames mode: (T - context + 1, context * n_mels) float32, frame-major (the
    baseline's order: all mel bands of frame t, then of frame t + 1, ...).
    patches mode: (P, n_mels, patch_frames) float32.
    Raises InputError when the clip is shorter than one sample.
    """
    n_mels, T = spec.shape
    width = features.context if features.mode == "frames" else features.patch_frames
    if width > T:
        raise InputError(f"a clip of {T} frames ({T * features.seconds_per_frame:.2f} s) is shorter "
                         f"than one {features.mode[:-1]} of {width} frames "
                         f"({width * features.seconds_per_frame:.2f} s)")
    if features.mode == "frames":
        windows = np.lib.stride_tricks.sliding_window_view(spec, width, axis=1)  # (n_mels, T-w+1, w)
        samples = windows.transpose(1, 2, 0).reshape(T - width + 1, width * n_mels)
        return np.ascontiguousarray(samples), np.arange(T - width + 1)
    starts = list(range(0, T - width + 1, width))
    if starts[-1] + width < T:
        starts.append(T - width)
    return np.stack([spec[:, s:s + width] for s in starts]), np.asarray(starts)


def sample_frames(features: AudioFeatures) -> int:
    """How many spectrogram frames one sample covers."""
    return features.context if features.mode == "frames" else features.patch_frames

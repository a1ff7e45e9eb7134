"""Machine-sound folders: which layout a folder is in, its clips with their labels and parts, and
their spectrograms (:func:`load_clips`, skipping unusable files with one warning).

Layouts (:func:`find_clips`):

- DCASE 2020 Task 2: ``<machine>/train/normal_id_XX_*.wav`` and
  ``<machine>/test/{normal,anomaly}_id_XX_*.wav``;
- MIMII: ``<machine>/id_XX/{normal,abnormal}/*.wav`` (or one ``id_XX`` folder);
- plain: ``normal/`` and ``anomaly/`` (or ``abnormal/``) folders of WAV files.
- named: a flat folder whose every file name says ``normal`` or ``abnormal`` / ``anomaly``
  (MIMII-style ``00000012_abnormal.wav``);
- files: a folder of WAV files without labels: all normal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aedetect.data.audio import (
    AUDIO_SUFFIXES,
    SILENT_DB,
    AudioFeatures,
    file_log_mel,
    sample_frames,
    to_samples,
)
from aedetect.errors import InputError


@dataclass
class Clip:
    """One audio file of a machine data set. ``label``: 0 normal, 1 anomaly, None unknown;
    ``part``: "train" (normal clips to train on) or "test"."""

    path: Path
    label: int | None
    part: str
    machine: str
    machine_id: str


_DCASE_NAME = re.compile(r"^(normal|anomaly)_id_(\w+?)_\d+$")
# a label word in a file name, e.g. MIMII-style "00000012_abnormal.wav" or "pump-normal-3.wav"
_LABEL_IN_NAME = re.compile(r"(?:^|[_\-. ])(normal|abnormal|anomaly|anomalous)(?:$|[_\-. ])", re.IGNORECASE)


def label_from_name(stem: str) -> int | None:
    """0 (normal), 1 (anomaly) or None, from a label word in a file name."""
    m = _LABEL_IN_NAME.search(stem)
    return None if m is None else int(m.group(1).lower() != "normal")


def is_audio(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in AUDIO_SUFFIXES and not path.name.startswith(".")


def list_audio(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if is_audio(p)) if folder.is_dir() else []


def _dcase_clip(path: Path, part: str, machine: str) -> Clip:
    m = _DCASE_NAME.match(path.stem)
    if m is None:
        raise InputError(f"{path}: not a DCASE 2020 name (normal_id_XX_NNNNNNNN.wav or anomaly_id_XX_...): "
                         "rename it or use the plain layout (normal/ and anomaly/ folders)")
    return Clip(path, int(m.group(1) == "anomaly"), part, machine, m.group(2))


def _mimii_id(folder: Path, machine: str) -> list[Clip]:
    ident = folder.name[3:] if folder.name.startswith("id_") else ""
    clips = [Clip(p, 0, "train", machine, ident) for p in list_audio(folder / "normal")]
    anomalous = "abnormal" if (folder / "abnormal").is_dir() else "anomaly"
    return clips + [Clip(p, 1, "test", machine, ident) for p in list_audio(folder / anomalous)]


AUDIO_LAYOUTS = ("the audio layouts read are DCASE 2020 (train/normal_id_00_*.wav, test/normal_id_00_*.wav "
                 "and test/anomaly_id_00_*.wav), MIMII (id_00/normal/*.wav, id_00/abnormal/*.wav), "
                 "normal/ (+ anomaly/) folders, or a folder of WAV files (all normal, or each name "
                 "saying normal or abnormal)")


def audio_layout(path: str | Path) -> str | None:
    """"dcase", "mimii", "plain" (normal/, optionally anomaly/ or abnormal/), "files" (a WAV file or
    a folder of WAV files; :func:`find_clips` calls it "named" when every name carries a label) or
    None (not audio)."""
    path = Path(path)
    if is_audio(path):
        return "files"
    if not path.is_dir():
        return None
    if (path / "train").is_dir() or (path / "test").is_dir():
        if list_audio(path / "train") or list_audio(path / "test"):
            return "dcase"
        return None
    if list_audio(path / "normal"):  # normal/, with or without abnormal/ or anomaly/
        return "mimii" if path.name.startswith("id_") else "plain"
    if any((d / "normal").is_dir() for d in path.iterdir() if d.is_dir() and d.name.startswith("id_")):
        return "mimii"
    return "files" if list_audio(path) else None


def find_clips(path: str | Path) -> tuple[str, list[Clip]]:
    """The layout of ``path`` and its clips, sorted by path.

    DCASE: ``train/`` clips are the normal training clips, ``test/`` clips are
    labelled by their names. MIMII and plain: every normal clip is a training
    candidate (``part="train"``; fitting holds a seeded share out for testing),
    anomalous clips are test clips. "named": a flat folder whose every file name
    carries "normal" or "abnormal"/"anomaly" (MIMII-style ``*_abnormal.wav``), read as
    plain. "files": unlabelled clips (``label=None``), all ``part="train"``: a
    folder of recordings of a healthy machine.
    """
    path = Path(path)
    layout = audio_layout(path)
    if layout is None:
        raise InputError(f"{path}: no audio found; {AUDIO_LAYOUTS}")
    machine = path.name if layout != "mimii" or not path.name.startswith("id_") else path.parent.name
    if layout == "dcase":
        clips = [_dcase_clip(p, part, machine) for part in ("train", "test") for p in list_audio(path / part)]
        bad = [c.path for c in clips if c.part == "train" and c.label == 1]
        if bad:
            raise InputError(f"{bad[0]}: an anomalous clip in train/; training uses normal clips only: "
                             "move it to test/")
    elif layout == "mimii":
        ids = [path] if path.name.startswith("id_") else sorted(
            d for d in path.iterdir() if d.is_dir() and d.name.startswith("id_"))
        clips = [c for d in ids for c in _mimii_id(d, machine)]
    elif layout == "plain":
        clips = _mimii_id(path, machine)
    else:
        files = [path] if path.is_file() else list_audio(path)
        labels = [label_from_name(p.stem) for p in files]
        if path.is_dir() and None not in labels and 1 in labels:  # labels in every name: as plain
            layout = "named"
            clips = [Clip(p, label, "test" if label else "train", machine, "")
                     for p, label in zip(files, labels)]
        else:
            if any(label is not None for label in labels):
                import warnings

                named = sum(label is not None for label in labels)
                warnings.warn(f"{path}: {named} of {len(files)} file names carry a normal/abnormal label "
                              "and the others do not (or none is anomalous): labels not read, every clip "
                              "is normal training data. Name every clip, or use normal/ and anomaly/ "
                              "folders", stacklevel=2)
            clips = [Clip(p, None, "train", machine, "") for p in files]
    return layout, sorted(clips, key=lambda c: str(c.path))


def load_clips(clips: list[Clip], features: AudioFeatures, *, strict: bool = False,
               training: bool = False) -> tuple[list[Clip], list[np.ndarray]]:
    """The usable clips and their log-mel spectrograms (see the module docstring for what
    is skipped, with one warning, or refused with ``strict``)."""
    import warnings

    kept, specs, bad = [], [], []
    for clip in clips:
        try:
            spec = file_log_mel(clip.path, features)
            to_samples(spec[:, : sample_frames(features)], features)  # long enough for one sample?
        except InputError as err:
            bad.append(f"{clip.path}: {str(err).removeprefix(str(clip.path) + ': ')}")
            continue
        if training and float(spec.max()) < SILENT_DB:
            bad.append(f"{clip.path}: silent (no mel band reaches {SILENT_DB:g} dB): nothing to learn from")
            continue
        kept.append(clip)
        specs.append(spec)
    if bad and strict:
        raise InputError(f"{bad[0]}; remove or fix it ({len(bad)} such file(s); without --strict "
                         "they are skipped)")
    if bad:
        warnings.warn(f"skipped {len(bad)} of {len(clips)} audio files that cannot be used (first: "
                      f"{bad[0]}); pass strict=True (--strict) to stop instead", stacklevel=2)
    return kept, specs


def hold_out_normals(clips: list[Clip], test_fraction: float, seed: int) -> list[Clip]:
    """The normal training clips held out for testing: none when the data has normal test clips
    of its own (DCASE's test/), else a seeded ``test_fraction`` of them (at least one)."""
    if any(c.part == "test" and c.label == 0 for c in clips):
        return []
    normal = [c for c in clips if c.part == "train"]
    if not 0 < test_fraction < 1:
        raise InputError(f"test_fraction must be between 0 and 1 (exclusive); got {test_fraction}")
    if len(normal) < 3:
        raise InputError(f"only {len(normal)} normal clip(s): holding some out for testing and some for "
                         "validation needs at least 3")
    n = max(1, int(round(len(normal) * test_fraction)))
    pick = np.random.default_rng(seed).permutation(len(normal))[:n]
    return [normal[i] for i in sorted(pick)]

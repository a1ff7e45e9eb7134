"""Any model folder, opened as the detector it holds."""

from __future__ import annotations

from pathlib import Path

from aedetect.folders import folder_kind


def load(path: str | Path, device: str = "auto"):
    """The detector in the model folder at ``path``, whatever its kind: an
    :class:`~aedetect.audio_detector.AudioDetector` for machine sounds, a
    :class:`~aedetect.table_detector.TableDetector` for tables, an
    :class:`~aedetect.detector.AutoencoderDetector` for images and arrays."""
    kind = folder_kind(path)
    if kind == "audio":
        from aedetect.audio_detector import AudioDetector

        return AudioDetector.load(path, device=device)
    if kind == "table":
        from aedetect.table_detector import TableDetector

        return TableDetector.load(path, device=device)
    from aedetect.detector import AutoencoderDetector

    return AutoencoderDetector.load(path, device=device)

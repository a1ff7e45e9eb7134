"""``aedetect score``: anomaly scores and flags for every sample of a data set."""

from __future__ import annotations

from pathlib import Path

import typer

from aedetect.cli.common import STRICT_HELP, info, open_for_model, user_errors
from aedetect.files import write_csv


def score(
    model_dir: Path = typer.Argument(..., help="Model folder written by `aedetect fit`."),
    data: str = typer.Argument(..., help="Data to score (as for `aedetect fit`)."),
    out: Path = typer.Option(..., "--out", "-o", help="CSV file to write."),
    part: str = typer.Option("all", help="all, train or test (where the data has a test split)."),
    strict: bool = typer.Option(False, "--strict", help=STRICT_HELP),
    frames: bool = typer.Option(False, "--frames", help="Audio: also write OUT.frames.csv (error per "
                                "frame), OUT.timelines.png, and print the flagged time spans."),
) -> None:
    """Write one row per sample: part, index, file, class, score, flagged (score > threshold).
    For an audio model: one row per clip, with its flagged time spans."""
    from aedetect.audio_detector import is_audio_model
    from aedetect.cli.audio import score_audio
    from aedetect.detector import AutoencoderDetector
    from aedetect.errors import InputError

    if is_audio_model(model_dir):
        with user_errors():
            score_audio(model_dir, data, out, frames=frames, strict=strict)
        return
    with user_errors():
        if part not in ("all", "train", "test"):
            raise InputError(f"--part must be all, train or test; got {part!r}")
        detector = AutoencoderDetector.load(model_dir)
        dataset = open_for_model(data, detector.metadata_.get("data", {}), strict)
        parts = [("train", dataset.X_train, dataset.y_train, dataset.files_train),
                 ("test", dataset.X_test, dataset.y_test, dataset.files_test)]
        parts = [p for p in parts if p[1] is not None and part in ("all", p[0])]
        if not parts:
            raise InputError(f"{dataset.name} has no {part} part")
        rows, flagged = [], 0
        for name, X, y, files in parts:
            scores = detector.reconstruction_error(X)
            flagged += int((scores > detector.threshold_).sum())
            for i, s in enumerate(scores):
                rows.append((name, i, files[i] if files else "",
                             dataset.class_names[y[i]] if y is not None else "",
                             f"{s:.8g}", int(s > detector.threshold_)))
        write_csv(out, ["part", "index", "file", "class", "score", "flagged"], rows)
    info(f"scored {len(rows)} samples; {flagged} above the threshold {detector.threshold_:.5g}; "
         f"wrote {out}")

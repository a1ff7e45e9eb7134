"""Evaluation and scoring of machine-sound folders with an :class:`AudioDetector`, as library
code: results are returned, not written (:mod:`aedetect.report.outputs` writes them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aedetect.errors import InputError
from aedetect.fitting import clip_name
from aedetect.metrics import threshold_metrics


@dataclass
class ClipScores:
    """Scored clips: ``names`` (relative to the folder), ``frames`` ((errors per frame and band,
    times) per clip), clip ``scores`` (higher = more anomalous), flagged ``spans`` in seconds."""

    clips: list
    specs: list[np.ndarray]
    names: list[str]
    frames: list[tuple[np.ndarray, np.ndarray]]
    scores: np.ndarray
    spans: list[list[tuple[float, float]]]


@dataclass
class AudioEvaluation:
    """An audio detector's result on the labelled test clips of a folder (``y``: 1 = anomaly)."""

    detector: object
    scored: ClipScores
    y: np.ndarray
    metrics: dict
    data: dict

    @property
    def scores(self) -> np.ndarray:
        return self.scored.scores


def test_clips(root: Path, data_meta: dict):
    """The labelled test clips of ``root`` for a model fitted with ``data_meta``: its test part
    plus the normal clips the fit held out."""
    from aedetect.data.audio_layouts import find_clips

    _, clips = find_clips(root)
    held = set(data_meta.get("held_out", []))
    found = {clip_name(c, root) for c in clips}
    if held - found:
        raise InputError(f"{len(held - found)} normal clip(s) the model held out for testing are missing "
                         f"from {root} (first: {sorted(held - found)[0]}): evaluate on the folder it "
                         "was fitted on")
    test = [c for c in clips if c.part == "test" or clip_name(c, root) in held]
    if not test or any(c.label is None for c in test):
        raise InputError(f"{root}: no labelled test clips; evaluating needs normal and anomalous clips "
                         "(DCASE test/ names, MIMII normal/ + abnormal/, or normal/ + anomaly/)")
    return test


def score_clips(detector, clips, root: Path, strict: bool = False) -> ClipScores:
    """Load ``clips`` with the detector's features and score them."""
    from aedetect.data.audio_layouts import load_clips

    clips, specs = load_clips(clips, detector.features_, strict=strict)
    frames = [detector.frame_errors(s) for s in specs]
    return ClipScores(clips, specs, [clip_name(c, root) for c in clips], frames,
                      np.asarray([detector.clip_score(e) for e, _ in frames]),
                      [detector.flagged_spans(*f) for f in frames])


def score_folder(detector, data: str | Path, strict: bool = False) -> ClipScores:
    """Every clip of ``data`` (a WAV file or any audio folder), scored."""
    from aedetect.data.audio_layouts import find_clips

    root = Path(data)
    _, clips = find_clips(root)
    return score_clips(detector, clips, root, strict)


def per_id(clips, y, scores) -> dict:
    """AUC and pAUC per machine id."""
    from aedetect.metrics import evaluate_scores

    out = {}
    for ident in sorted({c.machine_id for c in clips}):
        sel = np.asarray([c.machine_id == ident for c in clips])
        m = evaluate_scores(y[sel], scores[sel], 0.0)
        out[ident or "-"] = {k: m[k] for k in ("auroc", "pauc", "n_normal", "n_anomalous")}
    return out


def evaluate_audio(detector, data: str | Path, *, sweep: list[float] | None = None,
                   strict: bool = False) -> AudioEvaluation:
    """Score the test clips of ``data`` once (those the model folder's record names)."""
    root = Path(data)
    data_meta = detector.metadata_.get("data", {})
    scored = score_clips(detector, test_clips(root, data_meta), root, strict)
    y = np.asarray([c.label for c in scored.clips])
    ids = per_id(scored.clips, y, scored.scores)
    both = [v for v in ids.values() if v["auroc"] is not None]
    metrics = {**threshold_metrics(detector, y, scored.scores, sweep), "seed": detector.detector_.seed_,
               "part": "test", "per_id": ids,
               "mean_auroc_over_ids": float(np.mean([v["auroc"] for v in both])) if both else None,
               "mean_pauc_over_ids": float(np.mean([v["pauc"] for v in both])) if both else None}
    summary = {"name": root.name, "path": str(root), "layout": data_meta.get("layout", ""),
               "training clips": data_meta.get("n_samples"), "test clips": len(scored.clips),
               "normal clips held out of training": len(data_meta.get("held_out", []))}
    return AudioEvaluation(detector, scored, y, metrics, summary)


def format_spans(spans: list[tuple[float, float]]) -> str:
    """[(1.2, 1.5), (3.0, 3.1)] -> '1.20-1.50;3.00-3.10' (seconds)."""
    return ";".join(f"{a:.2f}-{b:.2f}" for a, b in spans)

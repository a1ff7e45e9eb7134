"""An evaluation written to a folder: ``metrics.json``, ``scores.csv``, PNG plots and
``report.html``; and scored audio clips as CSV files with their frame timelines."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from aedetect.audio_evaluation import AudioEvaluation, ClipScores, format_spans
from aedetect.evaluation import Evaluation
from aedetect.files import write_csv, write_json
from aedetect.report.plots import plot_loss, plot_roc, plot_score_histogram, plot_timelines

WRITTEN = "report.html, metrics.json, scores.csv, loss.png, scores.png, roc.png"


def _plots(history: dict, y, scores, threshold: float, metrics: dict, out: Path) -> None:
    plot_loss(history, out / "loss.png")
    alternatives = {k: v["threshold"] for k, v in metrics["alternative_thresholds"].items()}
    plot_score_histogram(scores, y, threshold, out / "scores.png", extra_thresholds=alternatives)
    if metrics["auroc"] is not None:
        plot_roc(y, scores, out / "roc.png")


def write_evaluation(result: Evaluation | AudioEvaluation, out: str | Path, *, latent: str = "pca") -> Path:
    """Write ``result`` into folder ``out`` (the files of :data:`WRITTEN`); returns ``out``.
    ``latent``: how the report projects the latent codes, "pca" or "tsne"."""
    if isinstance(result, AudioEvaluation):
        return _write_audio(result, Path(out))
    from aedetect.report.detector_report import detector_report

    out, det, m = Path(out), result.detector, result.metrics
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "metrics.json", m)
    labels = result.names if result.names is not None else [""] * len(result.scores)
    write_csv(out / "scores.csv", ["index", "label", "anomaly_true", "score", "flagged"],
              ((i, labels[i], int(y), f"{s:.8g}", int(s > det.threshold_))
               for i, (y, s) in enumerate(zip(result.y, result.scores))))
    _plots(det.history_, result.y, result.scores, det.threshold_, m, out)
    detector_report(det, result.X, result.y, result.scores, m, out / "report.html", labels=result.names,
                    data=result.data, latent=latent, per_class=result.per_class if result.names else None,
                    masks=result.masks)
    return out


def _write_audio(result: AudioEvaluation, out: Path) -> Path:
    from aedetect.report.audio_report import audio_report

    det, s, m = result.detector, result.scored, result.metrics
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "metrics.json", m)
    write_csv(out / "scores.csv", ["file", "machine_id", "anomaly_true", "score", "flagged", "flagged_spans"],
              ((n, c.machine_id, c.label, f"{v:.8g}", int(v > det.threshold_), format_spans(sp))
               for n, c, v, sp in zip(s.names, s.clips, s.scores, s.spans)))
    _plots(det.detector_.history_, result.y, s.scores, det.threshold_, m, out)
    audio_report(det, s.specs, s.names, result.y, s.frames, s.scores, m, out / "report.html",
                 data=result.data)
    return out


def write_clip_scores(detector, scored: ClipScores, out: str | Path, *, frames: bool = False) -> None:
    """One row per clip in ``out``; with ``frames`` also OUT's ``.frames.csv`` (one row per frame:
    its error, the statistic the frame threshold applies to, flagged or not) and a
    ``.timelines.png`` of the eight highest-scoring clips."""
    out = Path(out)
    label = {0: "normal", 1: "anomaly", None: ""}
    s = scored
    write_csv(out, ["part", "file", "machine_id", "label", "score", "flagged", "flagged_spans"],
              ((c.part, n, c.machine_id, label[c.label], f"{v:.8g}", int(v > detector.threshold_),
                format_spans(sp)) for c, n, v, sp in zip(s.clips, s.names, s.scores, s.spans)))
    if not frames:
        return
    stem = out.with_suffix("")
    stats = [detector.span_statistic(e) for e, _ in s.frames]
    write_csv(stem.with_name(stem.name + ".frames.csv"), ["file", "time_s", "error", "band_error", "flagged"],
              ((n, f"{t:.3f}", f"{e:.6g}", f"{b:.6g}", int(b > detector.frame_threshold_))
               for n, (err, times), stat in zip(s.names, s.frames, stats)
               for t, e, b in zip(times, err.mean(axis=1), stat)))
    top = np.argsort(-s.scores, kind="stable")[:8]
    plot_timelines([(s.frames[i][1], stats[i], s.spans[i], f"{s.names[i]}, score {s.scores[i]:.4g}")
                    for i in top], detector.frame_threshold_, stem.with_name(stem.name + ".timelines.png"))

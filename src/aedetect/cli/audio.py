"""The audio side of ``fit``, ``evaluate`` and ``score``: machine-sound folders (DCASE,
MIMII, normal/ + anomaly/, or plain WAV files) with an :class:`AudioDetector`."""

from __future__ import annotations

import shutil
from pathlib import Path

from aedetect.cli.common import info
from aedetect.errors import InputError
from aedetect.files import write_csv, write_json


def _name(clip, root: Path) -> str:
    return clip.path.relative_to(root).as_posix() if root.is_dir() else clip.path.name


def fit_audio(data: str, params: dict, out: Path, *, features: dict, aggregate: str, top_k: float,
              test_fraction: float, split_seed: int, strict: bool, checkpoint_dir: Path | None = None,
              checkpoint_every: int = 0, resume: bool = False):
    """Fit an AudioDetector on the normal training clips of machine folder ``data`` and save it.

    Where the data has no normal test clips (MIMII, normal/ + anomaly/, or a
    DCASE copy whose test/ holds only anomalies) a seeded ``test_fraction`` of
    the normal clips is held out for ``aedetect evaluate`` and recorded by name.
    ``checkpoint_dir`` is removed once ``out`` is written.
    """
    from aedetect.audio_detector import AudioDetector
    from aedetect.data.audio import AudioFeatures, find_clips, hold_out_normals, load_clips
    from aedetect.detector import AutoencoderDetector
    from aedetect.training import is_main_process

    root = Path(data)
    layout, clips = find_clips(root)
    held = hold_out_normals(clips, test_fraction, split_seed) if layout != "files" else []
    train = [c for c in clips if c.part == "train" and c not in held]
    feats = AudioFeatures.from_dict(features)
    train, specs = load_clips(train, feats, strict=strict, training=True)
    info(f"fitting {params['model']} on {len(train)} normal clips of {root.name} ({layout} layout; "
         f"{len(held)} normal clips held out for testing)")
    detector = AudioDetector(detector=AutoencoderDetector(**params), features=features, aggregate=aggregate,
                             top_k=top_k)
    detector.fit(specs, checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every, resume=resume)
    if not is_main_process():
        return detector
    meta = {"path": str(root), "name": root.name, "layout": f"audio-{layout}", "n_samples": len(train),
            "held_out": [_name(c, root) for c in held], "machine_ids": sorted({c.machine_id for c in train})}
    if held:
        meta.update(test_fraction=test_fraction, split_seed=split_seed)
    detector.save(out, metadata={"data": meta})
    if checkpoint_dir is not None and checkpoint_dir.exists():
        shutil.rmtree(checkpoint_dir)
    h = detector.detector_.history_
    info(f"best validation loss {min(h['val_loss']):.5f} at epoch {h['best_epoch']} ({h['seconds']:.1f} s); "
         f"clip threshold {detector.threshold_:.5g} ({detector.threshold_method_}); saved to {out}")
    return detector


def _test_clips(root: Path, data_meta: dict):
    """The labelled test clips of ``root`` for a model fitted with ``data_meta``: its test part
    plus the normal clips the fit held out."""
    from aedetect.data.audio import find_clips

    _, clips = find_clips(root)
    held = set(data_meta.get("held_out", []))
    found = {_name(c, root) for c in clips}
    if held - found:
        raise InputError(f"{len(held - found)} normal clip(s) the model held out for testing are missing "
                         f"from {root} (first: {sorted(held - found)[0]}): evaluate on the folder it "
                         "was fitted on")
    test = [c for c in clips if c.part == "test" or _name(c, root) in held]
    if not test or any(c.label is None for c in test):
        raise InputError(f"{root}: no labelled test clips; evaluating needs normal and anomalous clips "
                         "(DCASE test/ names, MIMII normal/ + abnormal/, or normal/ + anomaly/)")
    return test


def _score_clips(detector, clips, specs, root: Path):
    """Names, (frame errors, times), clip scores and flagged spans of loaded clips."""
    import numpy as np

    frames = [detector.frame_errors(s) for s in specs]
    return ([_name(c, root) for c in clips], frames, np.asarray([detector.clip_score(e) for e, _ in frames]),
            [detector.flagged_spans(*f) for f in frames])


def _per_id(clips, y, scores) -> dict:
    import numpy as np

    from aedetect.metrics import evaluate_scores

    out = {}
    for ident in sorted({c.machine_id for c in clips}):
        sel = np.asarray([c.machine_id == ident for c in clips])
        m = evaluate_scores(y[sel], scores[sel], 0.0)
        out[ident or "-"] = {k: m[k] for k in ("auroc", "pauc", "n_normal", "n_anomalous")}
    return out


def evaluate_audio(model_dir: Path, data: str, out: Path, *, sweep: list[float] | None = None,
                   strict: bool = False) -> dict:
    """Score the test clips of ``data`` once with the audio model in ``model_dir``; write
    metrics.json, scores.csv, loss.png, scores.png, roc.png and report.html into ``out``."""
    import numpy as np

    from aedetect.audio_detector import AudioDetector
    from aedetect.cli.evaluate import threshold_metrics
    from aedetect.data.audio import load_clips
    from aedetect.report.audio_report import audio_report
    from aedetect.report.plots import plot_loss, plot_roc, plot_score_histogram

    detector = AudioDetector.load(model_dir)
    root = Path(data)
    data_meta = detector.metadata_.get("data", {})
    clips, specs = load_clips(_test_clips(root, data_meta), detector.features_, strict=strict)
    y = np.asarray([c.label for c in clips])
    names, frames, scores, spans = _score_clips(detector, clips, specs, root)
    per_id = _per_id(clips, y, scores)
    both = [v for v in per_id.values() if v["auroc"] is not None]
    metrics = {**threshold_metrics(detector, y, scores, sweep), "seed": detector.detector_.seed_,
               "part": "test",
               "per_id": per_id,
               "mean_auroc_over_ids": float(np.mean([v["auroc"] for v in both])) if both else None,
               "mean_pauc_over_ids": float(np.mean([v["pauc"] for v in both])) if both else None}
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "metrics.json", metrics)
    write_csv(out / "scores.csv", ["file", "machine_id", "anomaly_true", "score", "flagged", "flagged_spans"],
              ((n, c.machine_id, c.label, f"{s:.8g}", int(s > detector.threshold_), format_spans(sp))
               for n, c, s, sp in zip(names, clips, scores, spans)))
    plot_loss(detector.detector_.history_, out / "loss.png")
    alternatives = {k: v["threshold"] for k, v in metrics["alternative_thresholds"].items()}
    plot_score_histogram(scores, y, detector.threshold_, out / "scores.png", extra_thresholds=alternatives)
    if metrics["auroc"] is not None:
        plot_roc(y, scores, out / "roc.png")
    summary = {"name": root.name, "path": str(root), "layout": data_meta.get("layout", ""),
               "training clips": data_meta.get("n_samples"), "test clips": len(clips),
               "normal clips held out of training": len(data_meta.get("held_out", []))}
    audio_report(detector, specs, names, y, frames, scores, metrics, out / "report.html", data=summary)
    return metrics


def format_spans(spans: list[tuple[float, float]]) -> str:
    """[(1.2, 1.5), (3.0, 3.1)] -> '1.20-1.50;3.00-3.10' (seconds)."""
    return ";".join(f"{a:.2f}-{b:.2f}" for a, b in spans)


def score_audio(model_dir: Path, data: str, out: Path, *, frames: bool = False, strict: bool = False) -> None:
    """Score every clip of ``data`` (a WAV file or any audio folder); write ``out`` (one row per
    clip) and with ``frames`` also OUT's ``.frames.csv`` (one row per frame: its error, the
    statistic the frame threshold applies to, flagged or not) and a
    ``.timelines.png`` of the highest-scoring clips, and print the flagged spans."""
    import numpy as np

    from aedetect.audio_detector import AudioDetector
    from aedetect.data.audio import find_clips, load_clips
    from aedetect.report.plots import plot_timelines

    detector = AudioDetector.load(model_dir)
    root = Path(data)
    _, clips = find_clips(root)
    clips, specs = load_clips(clips, detector.features_, strict=strict)
    names, errors, scores, spans = _score_clips(detector, clips, specs, root)
    label = {0: "normal", 1: "anomaly", None: ""}
    write_csv(out, ["part", "file", "machine_id", "label", "score", "flagged", "flagged_spans"],
              ((c.part, n, c.machine_id, label[c.label], f"{s:.8g}", int(s > detector.threshold_),
                format_spans(sp)) for c, n, s, sp in zip(clips, names, scores, spans)))
    flagged = int((scores > detector.threshold_).sum())
    if frames:
        stem = out.with_suffix("")
        stats = [detector.span_statistic(e) for e, _ in errors]
        write_csv(stem.with_name(stem.name + ".frames.csv"),
                  ["file", "time_s", "error", "band_error", "flagged"],
                  ((n, f"{t:.3f}", f"{e:.6g}", f"{b:.6g}", int(b > detector.frame_threshold_))
                   for n, (err, times), stat in zip(names, errors, stats)
                   for t, e, b in zip(times, err.mean(axis=1), stat)))
        top = np.argsort(-scores, kind="stable")[:8]
        plot_timelines([(errors[i][1], stats[i], spans[i], f"{names[i]}, score {scores[i]:.4g}")
                        for i in top], detector.frame_threshold_,
                       stem.with_name(stem.name + ".timelines.png"))
        for n, s, sp in zip(names, scores, spans):
            if sp:
                print(f"{n}\tscore {s:.5g}\t{'FLAGGED' if s > detector.threshold_ else 'normal'}\t"
                      f"spans (s): {format_spans(sp).replace(';', ', ')}")
    info(f"scored {len(clips)} clips; {flagged} above the threshold {detector.threshold_:.5g}; wrote {out}")

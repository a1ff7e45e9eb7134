"""The report of one audio detector on labelled test clips: metrics per machine id, the error
histogram, when each clip sounded wrong, and spectrograms with their reconstructions."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from aedetect.report import plots
from aedetect.report.detector_report import alternatives_table, describe_threshold, reading
from aedetect.report.html import figure, table, write_report


def audio_report(detector, specs: list[np.ndarray], names: list[str], y_test, frames: list[tuple],
                 scores: np.ndarray, metrics: dict, out: str | Path, *, data: dict | None = None) -> Path:
    """Write ``out`` (report.html). ``specs``: log-mel spectrogram per test clip; ``names``: the
    clips' file names; ``y_test``: 1 = anomaly; ``frames``: (errors per frame and band, times) per clip;
    ``scores``: clip scores; ``metrics``: from the evaluation (with ``per_id``)."""
    data, y_test = data or {}, np.asarray(y_test)
    inner = detector.detector_
    order = np.argsort(scores, kind="stable")
    worst, best = order[::-1], order
    head = ["n_normal", "n_anomalous", "auroc", "pauc", "aupr", "threshold", "f1", "precision", "recall",
            "accuracy", "tp", "fp", "tn", "fn"]
    alternatives = metrics.get("alternative_thresholds", {})
    result = {"title": "Result", "tables": [table(["metric", "value"], [[k, metrics[k]] for k in head],
                                                  caption="pAUC: AUROC up to 10% false positives, "
                                                          "standardised as in DCASE (0.5 = chance).")],
              "figures": [figure(plots.plot_score_histogram(
                  scores, y_test, detector.threshold_,
                  extra_thresholds={k: v["threshold"] for k, v in alternatives.items()}),
                  "Clip scores of the normal and anomalous test clips; the solid line is the threshold, "
                  "dashed lines other rules, all from held-out normal training clips.")]}
    if metrics["auroc"] is not None:
        result["figures"].append(figure(plots.plot_roc(y_test, scores), "ROC curve (anomaly = positive)."))
    result["figures"].append(figure(plots.plot_confusion(metrics), "Confusion matrix at the threshold."))
    if alternatives:
        result["tables"].append(alternatives_table(alternatives))
    sections = [result]

    per_id = metrics.get("per_id", {})
    if per_id:
        sections.append({"title": "Machine ids", "tables": [table(
            ["machine id", "normal clips", "anomalous clips", "AUC", "pAUC"],
            [[k, v["n_normal"], v["n_anomalous"], v["auroc"], v["pauc"]] for k, v in per_id.items()],
            caption="Each machine id's test clips; the averages are in metrics.json.")]})

    shown = list(dict.fromkeys([*worst[:4], *best[:2]]))
    spans = [detector.flagged_spans(*frames[i]) for i in range(len(names))]
    kind = ["anomaly" if y else "normal" for y in y_test]
    timelines = [(frames[i][1], detector.span_statistic(frames[i][0]), spans[i],
                  f"{names[i]} ({kind[i]}), score {scores[i]:.4g}") for i in shown]
    spectro = []
    for i in shown[:3] + shown[-2:] if len(shown) > 5 else shown:
        spec, recon, times = detector.reconstruct_spectrogram(specs[i])
        spectro.append((spec, recon, times, f"{names[i]}, score {scores[i]:.4g}"))
    sections.append({"title": "When it sounded wrong", "figures": [
        figure(plots.plot_timelines(timelines, detector.frame_threshold_),
               "Frame errors (the mean of each frame's "
               f"{detector.span_bands} largest mel-band errors) of the four highest-scoring and the two "
               "lowest-scoring test clips. The frame threshold is the "
               f"{detector.span_percentile:g}th percentile of held-out normal frames."),
        figure(plots.plot_spectrograms(spectro), "Spectrogram, reconstruction and squared difference of "
                                                 "the highest- and lowest-scoring clips.")]})
    rows = [[names[i], kind[i], float(scores[i]),
             "yes" if scores[i] > detector.threshold_ else "no",
             "; ".join(f"{a:.2f}-{b:.2f}" for a, b in spans[i][:6]) + (" ..." if len(spans[i]) > 6 else "")]
            for i in worst[:25]]
    header = ["file", "true", "score", "flagged", "flagged spans (s)"]
    sections.append({"title": "Clips", "tables": [table(header, rows,
                                                        caption="The 25 highest-scoring test clips.")]})

    h = inner.history_
    f = detector.features_
    rule = describe_threshold(detector.threshold_method_, detector.threshold_param_)
    config = [["model", inner.model], ["model options", inner.model_options or {}],
              ["features", f"log-mel, {f.n_mels} mels, n_fft {f.n_fft}, hop {f.hop_length}, "
                           f"{f.sample_rate} Hz, " + (f"{f.context} stacked frames" if f.mode == "frames"
                                                      else f"patches of {f.patch_frames} frames")],
              ["clip score", f"{detector.aggregate} of frame errors"
                             + (f" (top {detector.top_k:.0%})" if detector.aggregate == "topk" else "")],
              ["training clips", detector.n_clips_], ["epochs run", len(h["train_loss"])],
              ["kept epoch", h["best_epoch"]], ["threshold", f"{detector.threshold_:.6g} ({rule}, clips)"],
              ["frame threshold", f"{detector.frame_threshold_:.6g}"], ["seed", inner.seed_],
              ["training time", f"{h.get('seconds', 0):.1f} s"]]
    sections.append({"title": "Model and training", "tables": [table(["setting", "value"], config)],
                     "figures": [figure(plots.plot_loss(h), "Loss per epoch on training and held-out "
                                                           "normal frames.")]})
    if data:
        rows = [[k, v] for k, v in data.items()]
        sections.append({"title": "Data", "tables": [table(["item", "value"], rows)]})
    warnings = []
    if h.get("collapsed"):
        warnings.append("This model reconstructs held-out normal frames no better than a constant output "
                        "would: it collapsed or is undertrained.")
    subtitle = (f"{inner.model} on {data.get('name', 'machine sounds')}; {metrics['n_normal']} normal and "
                f"{metrics['n_anomalous']} anomalous test clips")
    lines = reading(metrics, detector.threshold_method_, detector.threshold_param_, [])
    if metrics["n_anomalous"] < 10:
        lines.append(f"Only {metrics['n_anomalous']} anomalous clip(s): AUC and pAUC on so few mean little.")
    return write_report(out, title="aedetect audio report", subtitle=subtitle, reading=lines,
                        sections=sections, warnings=warnings)

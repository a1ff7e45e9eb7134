"""Machine sounds, **synthetic**: the DCASE-baseline autoencoder against the rule-based
`audio-anomaly` package, at several anomaly kinds and strengths.

Clips come from aedetect.data.synthetic (a hum with drifting harmonics and pulsing
noise; anomalies: a whine "tone", "clicks", a "pitch" shift, "knock"s). Per seed:
``--train`` normal clips train one `dcase-baseline` model (10% of the clips held out
whole for early stopping and the thresholds); the test set of each kind and strength
is the same ``--test`` normal clips plus ``--test`` anomalous ones, scored once.

Reported: AUC and pAUC (FPR <= 0.1, standardised as DCASE) of the clip scores (mean,
max and top-10% mean of frame errors), and *when*: the share of true anomalous events
overlapped by a flagged time span ("event recall") and flagged spans per normal clip
("false alarms"). `audio-anomaly` gets the same training clips, concatenated, as its
known-good reference; its clip score is its highest frame score, its spans its events.

    python benchmarks/audio_synthetic.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import provenance, write  # noqa: E402

from aedetect.audio_detector import AudioDetector  # noqa: E402
from aedetect.data.synthetic import ANOMALIES, machine_sound  # noqa: E402
from aedetect.detector import AutoencoderDetector  # noqa: E402
from aedetect.metrics import evaluate_scores  # noqa: E402
from aedetect.presets import preset_features, preset_params  # noqa: E402

SR = 16000


def overlaps(spans, true_spans) -> int:
    return sum(any(a <= e and s <= b for a, b in spans) for s, e in true_spans)


def run_seed(seed: int, args) -> list[dict]:
    import audio_anomaly

    train = [machine_sound(args.seconds, seed=seed * 10**6 + i)[0] for i in range(args.train)]
    normals = [machine_sound(args.seconds, seed=seed * 10**6 + 10**5 + i)[0] for i in range(args.test)]
    params = preset_params("dcase-baseline", random_state=seed, verbose=0,
                           **({"epochs": args.epochs} if args.epochs else {}))
    start = time.perf_counter()
    det = AudioDetector(detector=AutoencoderDetector(**params), features=preset_features("dcase-baseline"))
    det.fit(train)
    train_s = time.perf_counter() - start
    monitor = audio_anomaly.Monitor((np.concatenate(train), SR))

    def ours(clips):
        return [det.frame_errors(y) for y in clips]

    def theirs(clips):
        return [monitor.check((y, SR)) for y in clips]

    start = time.perf_counter()
    normal_frames = ours(normals)
    score_s = (time.perf_counter() - start) / len(normals)
    normal_reports = theirs(normals)
    rows = []
    for kind in args.kinds:
        for strength in args.strengths:
            made = [machine_sound(args.seconds, anomaly=kind, strength=strength,
                                  seed=seed * 10**6 + 2 * 10**5 + i) for i in range(args.test)]
            clips = [y for y, _ in made]
            frames, reports = normal_frames + ours(clips), normal_reports + theirs(clips)
            y_true = np.r_[np.zeros(args.test), np.ones(args.test)]
            row = {"seed": seed, "kind": kind, "strength": strength, "train_s": train_s,
                   "score_s_per_clip": score_s}
            for agg in ("mean", "max", "topk"):
                det.aggregate = agg
                m = evaluate_scores(y_true, [det.clip_score(e) for e, _ in frames], 0.0)
                row[f"ae_{agg}_auc"], row[f"ae_{agg}_pauc"] = m["auroc"], m["pauc"]
            det.aggregate = "mean"
            m = evaluate_scores(y_true, [r.scores.max() if len(r.scores) else 0.0 for r in reports], 0.0)
            row["aa_auc"], row["aa_pauc"] = m["auroc"], m["pauc"]
            if kind != "pitch":  # the time-localised kinds
                spans = [det.flagged_spans(*f) for f in frames]
                events = [[(e.start_s, e.end_s) for e in r.anomalies] for r in reports]
                n_true = sum(len(s) for _, s in made)
                row["ae_event_recall"] = sum(overlaps(spans[args.test + i], s)
                                             for i, (_, s) in enumerate(made)) / n_true
                row["aa_event_recall"] = sum(overlaps(events[args.test + i], s)
                                             for i, (_, s) in enumerate(made)) / n_true
                row["ae_false_alarms"] = sum(len(s) for s in spans[:args.test]) / args.test
                row["aa_false_alarms"] = sum(len(s) for s in events[:args.test]) / args.test
            rows.append(row)
            print(f"seed {seed} {kind:6s} {strength:<5g} AE mean {row['ae_mean_auc']:.3f} "
                  f"max {row['ae_max_auc']:.3f} topk {row['ae_topk_auc']:.3f} | "
                  f"audio-anomaly {row['aa_auc']:.3f}", file=sys.stderr)
    return rows


def mean_std(rows: list[dict], key: str) -> str:
    values = [r[key] for r in rows if r.get(key) is not None]
    if not values:
        return "-"
    return f"{np.mean(values):.3f}" + (f" ± {np.std(values):.3f}" if len(values) > 1 else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--kinds", nargs="+", default=list(ANOMALIES))
    parser.add_argument("--strengths", type=float, nargs="+", default=[0.1, 0.25, 0.5, 1.0])
    parser.add_argument("--train", type=int, default=60, help="normal training clips per seed")
    parser.add_argument("--test", type=int, default=20, help="normal and anomalous test clips each")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--epochs", type=int, default=None, help="default: the preset's (100)")
    args = parser.parse_args()

    rows = [r for seed in args.seeds for r in run_seed(seed, args)]
    lines = ["**AUC / pAUC of clip scores** (mean ± std over seeds; pAUC in parentheses)", "",
             "| anomaly | strength | AE mean | AE max | AE top-10% | audio-anomaly (max frame) |",
             "|---|---|---|---|---|---|"]
    groups = {(r["kind"], r["strength"]): [] for r in rows}
    for r in rows:
        groups[(r["kind"], r["strength"])].append(r)
    for (kind, strength), g in groups.items():
        cells = [f"{mean_std(g, f'{p}_auc')} ({mean_std(g, f'{p}_pauc').split(' ')[0]})"
                 for p in ("ae_mean", "ae_max", "ae_topk", "aa")]
        lines.append(f"| {kind} | {strength:g} | " + " | ".join(cells) + " |")
    lines += ["", "**When: event recall / false alarms per normal clip** (time-localised kinds; AE spans: "
              f"frames above the {AudioDetector().span_percentile:g}th percentile of held-out normal frames; "
              "audio-anomaly: its events at its default sensitivity)", "",
              "| anomaly | strength | AE event recall | AE false alarms | audio-anomaly event recall | "
              "audio-anomaly false alarms |", "|---|---|---|---|---|---|"]
    for (kind, strength), g in groups.items():
        if kind != "pitch":
            lines.append(f"| {kind} | {strength:g} | " + " | ".join(
                mean_std(g, k) for k in ("ae_event_recall", "ae_false_alarms", "aa_event_recall",
                                         "aa_false_alarms")) + " |")
    lines += ["", f"Training: {mean_std(rows, 'train_s')} s per model ({args.train} clips of "
              f"{args.seconds:g} s); "
              f"scoring: {1000 * np.mean([r['score_s_per_clip'] for r in rows]):.1f} ms per clip "
              "(log-mel features included)."]
    payload = {"provenance": provenance(args.seeds), "settings": vars(args), "rows": rows}
    write("audio_synthetic", payload, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""Every model family on one network: MNIST digit 1 normal, digit 7 anomalous.

The paper-mnist preset (the paper's Tables 1 and 3, with batch normalisation)
for conv_ae, vae, beta_vae, aae and dae; plus the network built literally
(no batch normalisation), which collapses. Trained on the official training
images of digit 1 (10% held out for early stopping and the threshold), tested
once on the official test images of digits 1 and 7. AUROC and AUPR
(anomaly = positive) and the wall-clock training time, per seed and averaged.

    python benchmarks/model_family.py --seeds 0 1 2 --epochs 10
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import provenance, write  # noqa: E402

from aedetect import AutoencoderDetector  # noqa: E402
from aedetect.data.datasets import open_dataset  # noqa: E402
from aedetect.metrics import evaluate_scores  # noqa: E402
from aedetect.presets import preset_params  # noqa: E402

# The paper's Table 5, class 7 (normal class 1): AUROC, AUPR, training time in s on its hardware.
PAPER = {"conv_ae": (0.9664, 0.9776, 1015.53), "vae": (0.9971, 0.9957, 1055.02),
         "aae": (0.9711, 0.9809, 1748.8)}
RUNS = {
    "conv_ae": ("conv_ae", {}),
    "vae": ("vae", {}),
    "beta_vae": ("beta_vae", {}),
    "aae": ("aae", {}),
    "dae": ("dae", {}),
    "conv_ae, literal (no batch norm)": ("conv_ae", {"norm": None}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("AEDETECT_DATA", "../shared/data"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=None, help="default: the preset's (10)")
    args = parser.parse_args()

    ds = open_dataset(os.path.join(args.data, "mnist"))
    X = ds.X_train[ds.y_train == 1]
    test = np.isin(ds.y_test, [1, 7])
    X_test, y_test = ds.X_test[test], (ds.y_test[test] == 7).astype(int)
    rows = []
    for label, (model, options) in RUNS.items():
        for seed in args.seeds:
            overrides = {"random_state": seed, "verbose": 0, "model_options": options}
            if args.epochs:
                overrides["epochs"] = args.epochs
            det = AutoencoderDetector(**preset_params("paper-mnist", model, **overrides))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # collapses are recorded in the history instead
                start = time.perf_counter()
                det.fit(X)
                seconds = time.perf_counter() - start
            m = evaluate_scores(y_test, det.anomaly_score(X_test), det.threshold_)
            rows.append({"run": label, "model": model, "seed": seed, "auroc": m["auroc"],
                         "aupr": m["aupr"], "f1": m["f1"], "train_seconds": seconds,
                         "epochs": len(det.history_["train_loss"]),
                         "collapsed": det.history_["collapsed"]})
            print(f"{label:35s} seed {seed}: AUROC {m['auroc']:.4f} AUPR {m['aupr']:.4f} "
                  f"{seconds:.1f} s collapsed={det.history_['collapsed']}", flush=True)

    lines = ["| run | AUROC (mean ± sd) | AUPR | training s | collapsed | paper AUROC / AUPR / s |",
             "|---|---|---|---|---|---|"]
    for label, (model, _) in RUNS.items():
        r = [row for row in rows if row["run"] == label]
        au, ap, sec = (np.array([x[k] for x in r]) for k in ("auroc", "aupr", "train_seconds"))
        paper = PAPER.get(model) if label == model else None
        ref = f"{paper[0]:.4f} / {paper[1]:.4f} / {paper[2]:.0f}" if paper else ""
        lines.append(f"| {label} | {au.mean():.4f} ± {au.std():.4f} | {ap.mean():.4f} | "
                     f"{sec.mean():.1f} | {sum(x['collapsed'] for x in r)}/{len(r)} | {ref} |")
    epochs = args.epochs or preset_params("paper-mnist")["epochs"]
    note = (f"MNIST, normal digit 1 (official training images, 10% held out), test: official test "
            f"images of 1 (normal) and 7 (anomalous); paper-mnist preset, {epochs} epochs, batch 128, "
            "Adam 1e-3. The paper's times are on its own hardware and epochs (not stated).\n\n")
    write("model_family", {"provenance": provenance(args.seeds), "epochs": epochs, "rows": rows},
          note + "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""Feature tables: one min-max range for all columns ("global", the old default) against one per
column ("column", the default for (N, D) float vectors), on ADBench tables, same models otherwise.

Novelty protocol: a seeded, stratified 20% of each table is the test set; the detector trains on
the normal rows of the rest (10% of them held out for the threshold). Dense autoencoder,
default sizes, 30 epochs.

    python benchmarks/vector_scaling.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import provenance, write  # noqa: E402

from aedetect import AutoencoderDetector  # noqa: E402
from aedetect.benchmarking.tabular import load_table  # noqa: E402

SETS = ["6_cardio", "38_thyroid", "2_annthyroid", "29_Pima", "44_Wilt", "18_Ionosphere"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("AEDETECT_DATA", "../shared/data"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    run = provenance(args.seeds)
    rows = []
    for name in SETS:
        X, y = load_table(Path(args.data) / "adbench-classical" / f"{name}.npz")
        spread = X.max(axis=0) - X.min(axis=0)
        for seed in args.seeds:
            X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.2, stratify=y,
                                                              random_state=seed)
            for scaling in ("global", "column"):
                start = time.perf_counter()
                det = AutoencoderDetector(epochs=args.epochs, scaling=scaling, random_state=seed, verbose=0)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    det.fit(X_rest[y_rest == 0])
                rows.append({"set": name, "seed": seed, "scaling": scaling, "rows": len(X),
                             "columns": X.shape[1],
                             "spread_ratio": float(spread.max() / max(spread[spread > 0].min(), 1e-12)),
                             "auroc": float(roc_auc_score(y_test, det.anomaly_score(X_test))),
                             "seconds": time.perf_counter() - start})
                print(rows[-1], flush=True)
    lines = ["| set | rows | columns | largest / smallest column spread | AUROC, one range | "
             "AUROC, per column | s per model |", "|---|---|---|---|---|---|---|"]
    for name in SETS:
        mine = [r for r in rows if r["set"] == name]
        mean = {s: statistics.mean(r["auroc"] for r in mine if r["scaling"] == s)
                for s in ("global", "column")}
        shown = {k: f"**{v:.3f}**" if v == max(mean.values()) else f"{v:.3f}" for k, v in mean.items()}
        lines.append(f"| {name} | {mine[0]['rows']} | {mine[0]['columns']} | {mine[0]['spread_ratio']:.3g} "
                     f"| {shown['global']} | {shown['column']} "
                     f"| {statistics.mean(r['seconds'] for r in mine):.1f} |")
    text = (f"**Dense autoencoder, {args.epochs} epochs, mean AUROC over seeds {args.seeds}; same split "
            "and seed for both scalings**\n\n" + "\n".join(lines))
    write("vector_scaling", {"provenance": run, "rows": rows}, text)
    print(text)


if __name__ == "__main__":
    main()

"""Training on unlabelled, contaminated tables: the ``trim`` option (the
worst-reconstructed share of the training rows left out of each epoch) against plain training.

Unsupervised protocol (ADBench's): a seeded, stratified 70% of each table, anomalies included,
trains the table model (robust scaling, dense autoencoder, 30 epochs); the other 30% is scored.

    python benchmarks/contaminated_training.py --seeds 0 1 2
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
from aedetect.table_detector import TableDetector, as_frame  # noqa: E402

SETS = ["6_cardio", "38_thyroid", "2_annthyroid", "23_mammography", "30_satellite", "44_Wilt"]
SHARES = [0.0, 0.05, 0.1]


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
        for seed in args.seeds:
            X_train, X_test, _, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
            for share in SHARES:
                start = time.perf_counter()
                inner = AutoencoderDetector(epochs=args.epochs, trim=share, random_state=seed,
                                            verbose=0)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    det = TableDetector(detector=inner, scaling="robust").fit(as_frame(X_train))
                rows.append({"set": name, "seed": seed, "trim": share,
                             "anomaly_share": float(y.mean()),
                             "auroc": float(roc_auc_score(y_test, det.anomaly_score(as_frame(X_test)))),
                             "seconds": time.perf_counter() - start})
                print(rows[-1], flush=True)
    head = " | ".join(f"AUROC, trim {s:g}" for s in SHARES)
    lines = [f"| set | anomalies in the data | {head} |", "|---|---|" + "---|" * len(SHARES)]
    for name in SETS:
        mine = [r for r in rows if r["set"] == name]
        means = [statistics.mean(r["auroc"] for r in mine if r["trim"] == s) for s in SHARES]
        cells = [f"**{m:.3f}**" if m == max(means) else f"{m:.3f}" for m in means]
        lines.append(f"| {name} | {100 * mine[0]['anomaly_share']:.1f}% | {' | '.join(cells)} |")
    overall = [statistics.mean(r["auroc"] for r in rows if r["trim"] == s) for s in SHARES]
    lines.append(f"| mean | | {' | '.join(f'{m:.3f}' for m in overall)} |")
    text = (f"**Table model trained on 70% of each table, anomalies included; {args.epochs} epochs; "
            f"mean AUROC over seeds {args.seeds} on the other 30%**\n\n" + "\n".join(lines))
    write("contaminated_training", {"provenance": run, "rows": rows}, text)
    print(text)


if __name__ == "__main__":
    main()

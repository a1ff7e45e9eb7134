"""Choosing the table model's defaults on the development tables, by rules fixed before the runs.

Development tables: the 8 ADBench tables this project had already looked at (cardio, thyroid,
annthyroid, mammography, satellite, Wilt, Pima, Ionosphere); novelty protocol of
``aedetect benchmark tabular`` (same 70/30 splits, seeds 0, 1, 2); 50 epochs. The other 25 tables
are not looked at.

Stage ``scaling`` (run first). Variants: A robust scaling, the default dense network (hidden 400),
the default then; B standard scaling; C robust scaling, hidden [64] (PyOD's AutoEncoder is 64-32);
D standard scaling, hidden [64]. Baseline A.

Stage ``parts`` (after ``scaling`` chose B). Variants: B the reconstruction error alone (baseline);
E plus ``latent_knn`` (mean squared distance of the code to its 5 nearest training codes);
F plus ``input_knn`` (the same for the encoded row); G plus both. The score parts are summed after
standardising each on held-out normal rows, as every multi-part score is. PyOD's KNN on
standardised columns runs on the same splits for context; it takes no part in the rule.

Rule (both stages): rank the variants on each table by the mean AUROC over seeds; the variant with
the best average rank (ties: higher mean AUROC) becomes the default if its mean AUROC over the
tables is also above the baseline's; otherwise the baseline stays.

    python benchmarks/tabular_defaults.py --stage parts
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import provenance, write  # noqa: E402

from aedetect import AutoencoderDetector  # noqa: E402
from aedetect.benchmarking.tabular import load_table, make_method  # noqa: E402
from aedetect.table_detector import TableDetector, as_frame  # noqa: E402

DEVELOPMENT = ["6_cardio", "38_thyroid", "2_annthyroid", "23_mammography", "30_satellite", "44_Wilt",
               "29_Pima", "18_Ionosphere"]
RECON = ["reconstruction"]
# stage -> (result name, baseline, {variant: (scaling, model options)})
STAGES = {
    "scaling": ("tabular_defaults", "A robust, hidden 400", {
        "A robust, hidden 400": ("robust", {}), "B standard, hidden 400": ("standard", {}),
        "C robust, hidden 64": ("robust", {"hidden": [64]}),
        "D standard, hidden 64": ("standard", {"hidden": [64]})}),
    "parts": ("tabular_defaults-parts", "B reconstruction", {
        "B reconstruction": ("standard", {}),
        "E + latent_knn": ("standard", {"score_parts": [*RECON, "latent_knn"]}),
        "F + input_knn": ("standard", {"score_parts": [*RECON, "input_knn"]}),
        "G + latent_knn + input_knn": ("standard", {"score_parts": [*RECON, "latent_knn", "input_knn"]})}),
}
CONTEXT = {"parts": ["knn-std"]}  # PyOD methods run beside a stage, outside its rule


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("AEDETECT_DATA", "../shared/data"))
    parser.add_argument("--stage", choices=list(STAGES), default="parts")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    result, baseline, variants = STAGES[args.stage]
    context = CONTEXT.get(args.stage, [])
    run = provenance(args.seeds)
    rows = []
    for name in DEVELOPMENT:
        X, y = load_table(Path(args.data) / "adbench-classical" / f"{name}.npz")
        for seed in args.seeds:
            train, test = train_test_split(np.arange(len(X)), test_size=0.3, stratify=y, random_state=seed)
            normal = train[y[train] == 0]
            for variant, (scaling, options) in variants.items():
                inner = AutoencoderDetector(epochs=50, model_options=options or None, random_state=seed,
                                            verbose=0)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    det = TableDetector(detector=inner, scaling=scaling).fit(as_frame(X[normal]))
                    auroc = roc_auc_score(y[test], det.anomaly_score(as_frame(X[test])))
                rows.append({"set": name, "seed": seed, "variant": variant, "auroc": float(auroc)})
                print(rows[-1], flush=True)
            for method in context:
                model = make_method(method, seed, X.shape[1]).fit(X[normal])
                auroc = roc_auc_score(y[test], model.score(X[test]))
                rows.append({"set": name, "seed": seed, "variant": method, "auroc": float(auroc)})
    shown = [*variants, *context]
    mean = {(v, s): statistics.mean(r["auroc"] for r in rows if r["variant"] == v and r["set"] == s)
            for v in shown for s in DEVELOPMENT}
    ranks = {v: [] for v in variants}
    for s in DEVELOPMENT:
        for rank, v in enumerate(sorted(variants, key=lambda v: -mean[(v, s)]), 1):
            ranks[v].append(rank)
    overall = {v: statistics.mean(mean[(v, s)] for s in DEVELOPMENT) for v in shown}
    best = min(variants, key=lambda v: (statistics.mean(ranks[v]), -overall[v]))
    chosen = best if overall[best] > overall[baseline] else baseline
    names = " | ".join(s.split("_", 1)[1] for s in DEVELOPMENT)
    lines = [f"| variant | {names} | mean AUROC | mean rank |",
             "|---|" + "---|" * (len(DEVELOPMENT) + 2)]
    for v in shown:
        rank = f"{statistics.mean(ranks[v]):.2f}" if v in ranks else "(context)"
        lines.append(f"| {v} | " + " | ".join(f"{mean[(v, s)]:.3f}" for s in DEVELOPMENT)
                     + f" | {overall[v]:.3f} | {rank} |")
    text = (f"**Table model variants ({args.stage}) on the development tables, novelty protocol, mean "
            f"AUROC over seeds {args.seeds}; chosen by the rule: {chosen}**\n\n" + "\n".join(lines))
    write(result, {"provenance": run, "stage": args.stage, "rows": rows, "chosen": chosen}, text)
    print(text)


if __name__ == "__main__":
    main()

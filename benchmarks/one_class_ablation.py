"""Ablation of the score options of aedetect.models.scoring on the one-class protocol
(or on the held-out task of caltech-airplanes: ``--dataset caltech-airplanes``).

Each configuration trains one detector per normal class and seed; every subset of its
score parts is then evaluated from that same model (each part is standardised by its
held-out normal validation statistics, so a subset's sum is exactly the score the
detector gives with ``score_parts`` set to that subset). Writes
benchmarks/results/ablation-<dataset>.{json,md}.

    python benchmarks/one_class_ablation.py --dataset mnist --seeds 0 --configs plain rotate
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from aedetect.benchmarking.protocols import ONE_CLASS_PRESET, protocol_tasks
from aedetect.benchmarking.runner import make_detector, map_jobs, provenance, threads_per_job
from aedetect.training import LR_SCHEDULES

ALL_PARTS = ["reconstruction", "latent", "transform"]
CONFIGS = {  # name -> model options merged into the preset's
    "plain": {"score_parts": ["reconstruction", "latent"]},
    "rotate": {"transforms": "rotate", "score_parts": ALL_PARTS},
    "rotate_flip": {"transforms": "rotate_flip", "score_parts": ALL_PARTS},
    "geom": {"transforms": "geom", "score_parts": ALL_PARTS},
    "geom_x4": {"transforms": "geom", "transform_draws": 4, "score_parts": ALL_PARTS},
    "geom_x4_dist": {"transforms": "geom", "transform_draws": 4,  # geom_x4's training, one part more
                     "score_parts": [*ALL_PARTS, "transform_distance"]},
    "geom_x4_dir": {"transforms": "geom", "transform_draws": 4,  # geom_x4's training, two parts more
                    "score_parts": [*ALL_PARTS, "transform_distance", "transform_dirichlet"]},
    "geom_x4_knn": {"transforms": "geom", "transform_draws": 4,  # the two configurations' parts, and kNN
                    "score_parts": ["reconstruction", "transform", "transform_distance",
                                    "transform_dirichlet", "transform_knn"]},
}
SHORT = {"reconstruction": "rec", "latent": "lat", "transform": "tr", "transform_distance": "td",
         "transform_dirichlet": "tdir", "transform_knn": "tk"}


def subsets(parts: list[str]) -> list[tuple[str, ...]]:
    return [c for r in range(1, len(parts) + 1) for c in itertools.combinations(parts, r)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="mnist", choices=[*sorted(ONE_CLASS_PRESET), "caltech-airplanes"],
                    help="a one-class data set (each class normal in turn), or caltech-airplanes: "
                    "the held-out airplanes task of that protocol")
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--classes", nargs="*", default=None)
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--epochs", type=int, default=None, help="default: the preset's")
    ap.add_argument("--preset", default=None, help="default: the one-class protocol's")
    ap.add_argument("--lr-schedule", default="constant", choices=LR_SCHEDULES)
    ap.add_argument("--configs", nargs="+", default=["plain", "rotate"], choices=sorted(CONFIGS))
    ap.add_argument("--members", type=int, default=1, help="an ensemble of this many models per row "
                    "(seeds SEED, SEED + 100, ...; each part the mean of the members' standardised "
                    "parts); times are the members' sums")
    ap.add_argument("--jobs", type=int, default=1, help="models trained at a time, each in its own "
                    "process with an equal share of the threads")
    ap.add_argument("--out", default="benchmarks/results")
    ap.add_argument("--name", default=None, help="file name stem (default: ablation-DATASET)")
    ap.add_argument("--rewrite", type=Path, default=None, help="only re-render the tables of this "
                    "results .json (and its .md)")
    ap.add_argument("--merge", type=Path, nargs="+", default=None, help="only join these results .json "
                    "(same data set, configurations and epochs; other seeds) into one table: --name")
    args = ap.parse_args()
    if args.members < 1:
        ap.error(f"--members must be at least 1; got {args.members}")
    if args.rewrite:
        return rewrite(args.rewrite)
    if args.merge:
        return merge(args)

    started = provenance(args.seeds, ["python", *sys.argv])  # date and code before the data load
    if args.dataset == "caltech-airplanes":
        if args.classes:
            ap.error("--classes does not apply to caltech-airplanes: its one task has airplanes normal")
        tasks, _, default_preset = protocol_tasks("caltech-airplanes", args.data, classes=["airplanes"])
    else:
        tasks, _, default_preset = protocol_tasks("one-class", args.data, dataset=args.dataset,
                                                  classes=args.classes)
    preset = args.preset or default_preset
    meta = {**started, "dataset": args.dataset, "preset": preset,
            "epochs": args.epochs or "preset", "configs": {c: CONFIGS[c] for c in args.configs},
            "members": args.members, "lr_schedule": args.lr_schedule}
    units = [(task, config, seed) for task in tasks for config in args.configs for seed in args.seeds]
    if args.jobs > 1:
        meta.update(jobs=args.jobs, threads_per_job=threads_per_job(args.jobs))
    start = time.perf_counter()
    rows = [row for rows in map_jobs(run_one, units, args.jobs, preset=preset, epochs=args.epochs,
                                     members=args.members, lr_schedule=args.lr_schedule)
            for row in rows]
    meta["wall_seconds"] = round(time.perf_counter() - start, 1)
    write(args, meta, rows)


def run_one(task, config: str, seed: int, *, preset: str, epochs: int | None, members: int = 1,
            lr_schedule: str = "constant", threads: int | None = None) -> list[dict]:
    """Train one model (or ``members`` models: seeds seed, seed + 100, ...); one row per subset of
    the score parts, all from one scoring pass per model."""
    if threads:
        import torch

        torch.set_num_threads(threads)
    (index, y), = task.tests.values()
    train_s = score_s = 0.0
    parts, dets = 0.0, []
    for m in range(members):
        det = make_detector(preset, "cae", seed + 100 * m, epochs, CONFIGS[config], lr_schedule)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            det.fit(task.X_train)
            train_s += time.perf_counter() - start
        start = time.perf_counter()
        parts = parts + det.score_parts(task.X_test[index]) / members  # each part standardised
        score_s += time.perf_counter() - start
        dets.append(det)
    names = CONFIGS[config]["score_parts"]
    rows = []
    for subset in subsets(names):
        s = parts[:, [names.index(p) for p in subset]].sum(axis=1)
        rows.append({"normal": task.name, "config": config, "parts": "+".join(subset),
                     "seed": seed, "auroc": float(roc_auc_score(y, s)),
                     "train_seconds": train_s, "score_seconds": score_s,
                     "n_test": len(index), "members": members,
                     "best_epoch": float(np.mean([d.history_["best_epoch"] for d in dets])),
                     "val_loss": [d.history_["val_loss"] for d in dets] if members > 1
                     else det.history_["val_loss"]})
    best = max(rows, key=lambda r: r["auroc"])
    print(f"{task.name:>12} {config:>11} seed {seed}: {train_s:5.1f}s train, {score_s:4.1f}s score; "
          + ", ".join(f"{r['parts'].replace('reconstruction', 'rec')} {r['auroc']:.4f}" for r in rows)
          + f" (best {best['parts']})", flush=True)
    return rows


def write(args, meta: dict, rows: list[dict]) -> None:
    """The results of a run whose provenance (taken at its start: date, code) is ``meta``."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = args.name or f"ablation-{args.dataset}"
    summary, text = tables(meta, rows)
    (out / f"{stem}.json").write_text(json.dumps({"provenance": meta, "rows": rows, "summary": summary},
                                                 indent=1))
    (out / f"{stem}.md").write_text(text)
    print(text)


def tables(meta: dict, rows: list[dict]) -> tuple[list[dict], str]:
    """Per-variant summary and the Markdown page of one ablation run."""
    variants = list(dict.fromkeys((r["config"], r["parts"]) for r in rows))
    classes = list(dict.fromkeys(r["normal"] for r in rows))
    lines = ["| config | score parts | " + " | ".join(classes) + " | mean AUROC % | sd over seeds "
             "| train s / class | score s / class | kept epoch |", "|---" * (len(classes) + 7) + "|"]
    summary = []
    for config, parts in variants:
        rs = [r for r in rows if (r["config"], r["parts"]) == (config, parts)]
        per_class = [np.mean([r["auroc"] for r in rs if r["normal"] == c]) for c in classes]
        by_seed = [np.mean([r["auroc"] for r in rs if r["seed"] == s]) for s in meta["seeds"]]
        entry = {"config": config, "parts": parts, "per_class": dict(zip(classes, per_class)),
                 "mean": float(np.mean(per_class)),
                 "sd_over_seeds": float(np.std(by_seed)) if len(by_seed) > 1 else None,
                 "train_seconds": float(np.mean([r["train_seconds"] for r in rs])),
                 "score_seconds": float(np.mean([r["score_seconds"] for r in rs])),
                 # the epoch whose weights were kept (lowest validation loss), mean over the models
                 "best_epoch": float(np.mean([r["best_epoch"] for r in rs]))
                 if "best_epoch" in rs[0] else None}
        summary.append(entry)
        short = "+".join(SHORT[p] for p in parts.split("+"))
        sd = "one seed" if entry["sd_over_seeds"] is None else f"{100 * entry['sd_over_seeds']:.2f}"
        lines.append(f"| {config} | {short} | " + " | ".join(f"{100 * a:.1f}" for a in per_class)
                     + f" | **{100 * entry['mean']:.2f}** | {sd} "
                     f"| {entry['train_seconds']:.1f} | {entry['score_seconds']:.1f} "
                     f"| {'-' if entry['best_epoch'] is None else format(entry['best_epoch'], '.1f')} |")
    head = "\n".join(f"- {k}: {v}" for k, v in meta.items())
    return summary, (f"# One-class ablation: {meta['dataset']}\n\n{head}\n\n"
                     "rec = reconstruction error, lat = latent Mahalanobis distance, "
                     "tr = transform-prediction cross-entropy, td = distance of the transformed "
                     "images' features to their transform's training mean, tdir = minus the Dirichlet "
                     "log-likelihood of the transform head's output, tk = squared distance to the nearest "
                     "training images under the same transform; several parts: sum of "
                     "parts standardised on validation normals.\n\n" + "\n".join(lines) + "\n")


def merge(args) -> None:
    """One table from runs of the same configurations on other seeds (each run's provenance kept)."""
    if not args.name:
        sys.exit("--merge needs --name: the file name stem of the joined table")
    runs = [json.loads(p.read_text()) for p in args.merge]
    # runs before --members / --lr-schedule had one member / a constant rate
    metas = [{"members": 1, "lr_schedule": "constant", **r["provenance"]} for r in runs]
    same = ("dataset", "preset", "epochs", "configs", "members", "lr_schedule")
    for p, m in zip(args.merge[1:], metas[1:]):
        if any(m[k] != metas[0][k] for k in same):
            sys.exit(f"{p}: its {', '.join(same)} differ from {args.merge[0]}'s; only runs of the same "
                     "configurations on other seeds can be merged")
    seeds = [s for m in metas for s in m["seeds"]]
    if len(set(seeds)) != len(seeds):
        sys.exit(f"seeds {seeds}: a seed appears in two runs; merge runs of different seeds")
    meta = {"command": " ".join(["python", *sys.argv]), "seeds": seeds,
            **{k: metas[0][k] for k in same},
            "runs": [{k: m.get(k) for k in ("command", "code", "date", "machine", "seeds", "jobs",
                                            "wall_seconds")} for m in metas]}
    write(args, meta, [row for r in runs for row in r["rows"]])


def rewrite(path: Path) -> None:
    """Re-render FILE.md from FILE.json (the Markdown layout changed, the numbers did not)."""
    data = json.loads(path.read_text())
    summary, text = tables(data["provenance"], data["rows"])
    path.write_text(json.dumps({**data, "summary": summary}, indent=1))
    path.with_suffix(".md").write_text(text)


if __name__ == "__main__":
    main()

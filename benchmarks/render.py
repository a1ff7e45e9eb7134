"""Render benchmarks/README.md and the study pages in benchmarks/studies/ from the Jinja2
templates in benchmarks/templates/ and the result files in benchmarks/results/.

    python benchmarks/render.py           # rewrite the pages
    python benchmarks/render.py --check   # exit 1 when a page differs from what the results give

Every number on the pages comes from a result file or from published.json; none is typed in.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from aedetect.benchmarking import PUBLISHED

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PAGES = {"README.md.j2": HERE / "README.md"} | {
    p.name: HERE / "studies" / p.name.removesuffix(".j2") for p in (HERE / "templates").glob("*.md.j2")
    if p.name != "README.md.j2"}
HEADER_KEYS = ("command", "code", "date", "machine", "torch_threads", "seeds", "jobs", "threads_per_job",
               "wall_seconds")


def _lines(name: str) -> list[str] | None:
    path = RESULTS / name
    return path.read_text().splitlines() if path.exists() else None


def _missing(name: str) -> str:
    runner = f"python benchmarks/{name}" if name.endswith(".py") else f"bash benchmarks/protocols.sh {name}"
    return f"_not measured yet: run `{runner}`_"


def header(name: str, resumed: bool = False) -> str:
    """The provenance lines of a result table (command, code, date, machine, threads, seeds)."""
    keys = HEADER_KEYS + (("resumed",) if resumed else ())
    return "\n".join(line for line in _lines(name) or [] if re.match(rf"- ({'|'.join(keys)}):", line))


def from_line(name: str, pattern: str, runner: str) -> str:
    """A result file from the first line matching `pattern` to its end."""
    lines = _lines(name)
    if lines is None:
        return _missing(runner)
    start = next(i for i, line in enumerate(lines) if re.match(pattern, line))
    return "\n".join(lines[start:])


def tables(name: str, runner: str) -> str:
    return from_line(name, r"\*\*", runner)


def seed_means(name: str) -> str:
    """One-class: the mean AUROC over the ten classes, seed by seed, per model."""
    path = RESULTS / name
    if not path.exists():
        return ""
    rows = json.loads(path.read_text())["rows"]
    out = []
    for model in dict.fromkeys(r["model"] for r in rows):
        seeds = sorted({r["seed"] for r in rows if r["model"] == model})
        means = [100 * statistics.mean(r["auroc"] for r in rows if r["model"] == model and r["seed"] == s)
                 for s in seeds]
        out.append(f"- {model}: mean AUROC over the classes, seed by seed: "
                   f"{' / '.join(f'{v:.2f}' for v in means)} "
                   f"(mean {statistics.mean(means):.2f}, sd {statistics.pstdev(means):.2f})")
    return "\n".join(out)


def section(folder: str, runner: str, heading: str | None = None, note: str = "") -> str:
    """One `aedetect benchmark` folder: heading, provenance, tables and, for one-class, seed means."""
    parts = [heading or f"### {folder}"]
    if note:
        parts.append(note)
    if (RESULTS / folder / "results.md").exists():
        parts.append(header(f"{folder}/results.md", resumed=True))
    parts.append(tables(f"{folder}/results.md", runner))
    if folder.startswith("one-class"):
        parts.append(seed_means(f"{folder}/results.json"))
    return "\n\n".join(p for p in parts if p)


def ablation(name: str) -> str:
    """One one_class_ablation.py table, headed by what it ran."""
    if not (RESULTS / f"{name}.md").exists():
        return ""
    run = json.loads((RESULTS / f"{name}.json").read_text())["provenance"]
    epochs, members = run["epochs"], run.get("members", 1)
    title = f"## {run['dataset']}: {', '.join(run['configs'])}"
    title += "" if epochs == "preset" else f", {epochs} epochs"
    title += f", ensembles of {members}" if members > 1 else ""
    title += ", cosine learning rate" if run.get("lr_schedule", "constant") == "cosine" else ""
    title += (", seeds " if len(run["seeds"]) > 1 else ", seed ") + ", ".join(map(str, run["seeds"]))
    return "\n\n".join([title, header(f"{name}.md"), from_line(f"{name}.md", r"\| config", name)])


def _rows(folder: str, model: str) -> list[dict]:
    path = RESULTS / folder / "results.json"
    rows = json.loads(path.read_text())["rows"] if path.exists() else []
    return [r for r in rows if r["model"] == model and "leaky" not in str(r.get("normal"))]


def _mean(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.mean(values) if values else None


def _published(protocol: str, dataset: str | None) -> str:
    entry = PUBLISHED.get(protocol, {})
    if protocol in ("paper-mnist", "paper-cifar"):
        means = {m: statistics.mean(v[i] for v in entry["auroc"].values())
                 for i, m in enumerate(entry["models"])}
        best = max(means, key=means.get)
        return f"{100 * means[best]:.2f} ({best.upper()}, the paper)"
    if protocol == "one-class":
        values = entry[dataset]
        best = max(values, key=values.get)
        return f"{values[best]:.1f} ({best})"
    if protocol == "caltech-airplanes":
        value = entry["reference notebook (evaluated on its training images)"]
        return f"{100 * value:.1f} (notebook, on its training images)"
    return ""


def summary(rows_spec: list[dict]) -> str:
    """The headline table: ours against the published best and PyOD's AutoEncoder, same splits."""
    out = ["| task | configuration | aedetect AUROC % | published best | PyOD AutoEncoder | seeds "
           "| s per model: train + score (threads) | page | rerun |", "|---|---|---|---|---|---|---|---|---|"]
    for spec in rows_spec:
        ours = _rows(spec["folder"], spec.get("model", "cae"))
        if not ours:
            out.append(f"| {spec['task']} | {spec['config']} | {_missing(spec['runner'])} | | | | | | |")
            continue
        run = json.loads((RESULTS / spec["folder"] / "results.json").read_text())["provenance"]
        by_seed = [statistics.mean(r["auroc"] for r in ours if r["seed"] == s) for s in run["seeds"]]
        sd = f" ± {100 * statistics.pstdev(by_seed):.2f}" if len(by_seed) > 1 else ""
        pyod = _rows(spec.get("pyod", spec["folder"]), "pyod-ae")
        pyod_auroc = f"{100 * _mean(pyod, 'auroc'):.2f}" if pyod else ""
        score = _mean(ours, "score_seconds")
        cost = f"{_mean(ours, 'train_seconds'):.0f}" + (f" + {score:.0f}" if score is not None else "")
        threads = run.get("threads_per_job") or run.get("torch_threads")
        out.append(f"| {spec['task']} | {spec['config']} | **{100 * statistics.mean(by_seed):.2f}**{sd} "
                   f"| {_published(run['protocol'], spec.get('dataset'))} "
                   f"| {pyod_auroc} | {len(by_seed)} "
                   f"| {cost} ({threads}) | [{spec['page']}](studies/{spec['page']}.md) "
                   f"| `{spec['runner']}` |")
    return "\n".join(out)


def tabular_headline(folder: str, link: bool = True) -> str:
    """ADBench: aedetect's mean AUROC and average rank per protocol beside each PyOD detector's
    (``link``: with the link to the study page, for benchmarks/README.md)."""
    path = RESULTS / folder / "results.json"
    if not path.exists():
        return _missing("tabular")
    found = json.loads(path.read_text())
    tables = len({r["set"] for r in found["rows"]})
    methods = list(found["summary"]["novelty"])
    out = ["| protocol | " + " | ".join(methods) + " |", "|---|" + "---|" * len(methods)]
    for protocol, by_method in found["summary"].items():
        best = min(by_method, key=lambda m: by_method[m]["rank"])
        cells = [f"{'**' if m == best else ''}{v['auroc']:.3f} / {v['rank']:.2f}{'**' if m == best else ''}"
                 for m, v in ((m, by_method[m]) for m in methods)]
        out.append(f"| {protocol} | " + " | ".join(cells) + " |")
    return (f"Mean AUROC over the {tables} tables / average rank among the {len(methods)} methods (1 = best; "
            f"the best rank in bold), {len(found['provenance']['seeds'])} seeds"
            + ("; [tables](studies/tables.md), rerun `tabular`." if link else ".") + "\n\n" + "\n".join(out))


def inspection_choice(folder: str) -> str:
    """What the localisation rule (aedetect.benchmarking.inspection.choose) picks from a run."""
    from aedetect.benchmarking.inspection import RULE_SETS, choose

    path = RESULTS / folder / "results.json"
    if not path.exists():
        return ""
    summary = json.loads(path.read_text())["summary"]
    if not all(s in summary and "mean-image" in summary[s] for s in RULE_SETS):
        return "The rule needs tire and magnetic tile with the mean-image floor in the same run."
    chosen, ranks = choose(summary)
    listed = ", ".join(f"{c} {r:.2f}" for c, r in sorted(ranks.items(), key=lambda kv: kv[1]))
    verdict = (f"**chosen: {chosen}**" if chosen else
               "**none chosen**: the best-ranked configuration beats the mean-image floor on fewer than "
               "4 of the 6 tire / magnetic tile metrics")
    return (f"The rule's mean ranks (image AUROC, pixel AUROC, AUPRO on tire and magnetic tile): {listed}; "
            f"{verdict}.")


# the inspection issue's targets (issue 29), not results: (set, metric) -> target
INSPECTION_TARGETS = {("tire", "image_auroc"): 0.85, ("tire", "pixel_auroc"): 0.98, ("tire", "aupro"): 0.92,
                      ("magnetic-tile", "image_auroc"): 0.90, ("magnetic-tile", "pixel_auroc"): 0.90,
                      ("magnetic-tile", "aupro"): 0.75}


def published_inspection(names: tuple[str, ...] | None = None) -> str:
    """The published MVTec AD means of published.json's inspection entry (``names``: those methods),
    as one sentence for context."""
    entry = PUBLISHED["inspection"]
    shown = [(m, v) for m, v in entry["methods"].items() if names is None or m in names]
    return "; ".join(f"{m} " + " / ".join(f"{k} {x:.1f}" for k, x in v.items() if k != "source")
                     for m, v in shown)


def inspection_headline(folder: str) -> str:
    """Per inspection set and metric: the mean-image floor, the best trained configuration of a run
    (means over its seeds) and the issue's target."""
    from aedetect.benchmarking.inspection import CONFIGS

    path = RESULTS / folder / "results.json"
    if not path.exists():
        return _missing("inspection")
    summary = json.loads(path.read_text())["summary"]
    out = ["| set | metric | mean-image floor | best trained configuration | target |",
           "|---|---|---|---|---|"]
    for s, by_config in summary.items():
        for k in ("image_auroc", "pixel_auroc", "aupro"):
            trained = {c: v[k]["mean"] for c, v in by_config.items() if CONFIGS[c][0] and v[k]}
            if not trained:
                continue
            best = max(trained, key=trained.get)
            target = INSPECTION_TARGETS.get((s, k))
            out.append(f"| {s} | {k.replace('_', ' ').replace('auroc', 'AUROC').replace('aupro', 'AUPRO')} | "
                       f"{by_config['mean-image'][k]['mean']:.3f} | {trained[best]:.3f} ({best}) | "
                       f"{f'{target:.2f}' if target else 'reported'} |")
    return "\n".join(out)


def render() -> dict[Path, str]:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), keep_trailing_newline=True,
                      undefined=StrictUndefined, autoescape=False)
    env.globals.update(header=header, from_line=from_line, tables=tables, seed_means=seed_means,
                       section=section, ablation=ablation, summary=summary,
                       tabular_headline=tabular_headline, inspection_choice=inspection_choice,
                       inspection_headline=inspection_headline, published_inspection=published_inspection)
    return {path: env.get_template(name).render() for name, path in PAGES.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; write nothing")
    args = parser.parse_args(argv)
    pages = render()
    stale = [p for p, text in pages.items() if not p.exists() or p.read_text() != text]
    if args.check:
        for path in stale:
            print(f"{path.relative_to(HERE.parent)} is out of date: run python benchmarks/render.py")
        return 1 if stale else 0
    (HERE / "studies").mkdir(exist_ok=True)
    for path in stale:
        path.write_text(pages[path])
    print(f"{len(pages)} pages, {len(stale)} rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Tables (Markdown and HTML) of a protocol's results next to the published numbers."""

from __future__ import annotations

from pathlib import Path

from aedetect.benchmarking import PUBLISHED
from aedetect.report import plots
from aedetect.report.html import figure, table, write_report


def _pm(entry: dict, key: str = "auroc") -> str:
    return "" if entry.get(key) is None else f"{entry[key]:.4f} ± {entry[f'{key}_sd']:.4f}"


def _seconds(entry: dict, key: str) -> str:
    return "" if entry.get(key) is None else f"{entry[key]:.1f}"


def result_tables(protocol: str, summary: list[dict], dataset: str) -> list[tuple]:
    """(caption, header, rows) tables: rows are test sets (or normal classes), columns models."""
    models = list(dict.fromkeys(e["model"] for e in summary))
    by = {(e["model"], e["normal"], e["anomalous"]): e for e in summary}
    published = PUBLISHED.get(protocol, {})
    tables = []
    if protocol in ("paper-mnist", "paper-cifar"):
        normal = summary[0]["normal"]
        tests = list(dict.fromkeys(e["anomalous"] for e in summary))
        header = ["anomalous class", *[f"{m} AUROC" for m in models], *[f"{m} AUPR" for m in models],
                  "paper AUROC CAE / VAE / AAE"]
        rows = []
        for t in tests:
            paper = published["auroc"].get(t)
            rows.append([t, *[_pm(by[(m, normal, t)]) for m in models],
                         *[f"{by[(m, normal, t)]['aupr']:.4f}" for m in models],
                         " / ".join(f"{v:.4f}" for v in paper) if paper else ""])
        means = [sum(by[(m, normal, t)]["auroc"] for t in tests) / len(tests) for m in models]
        paper_means = [sum(v[i] for v in published["auroc"].values()) / 9 for i in range(3)]
        rows.append(["mean", *[f"{v:.4f}" for v in means], *[""] * len(models),
                     " / ".join(f"{v:.4f}" for v in paper_means)])
        rows.append(["training s", *[f"{by[(m, normal, tests[0])]['train_seconds']:.1f}" for m in models],
                     *[""] * len(models), " / ".join(f"{v:.0f}" for v in published["train_seconds"])])
        rows.append(["scoring s (all test sets)", *[_seconds(by[(m, normal, tests[0])], "score_seconds")
                                                   for m in models], *[""] * len(models), ""])
        tables.append((f"{dataset}, normal class {normal}: AUROC mean ± sd over seeds", header, rows))
    elif protocol == "one-class":
        normals = list(dict.fromkeys(e["normal"] for e in summary))
        header = ["normal class", *[f"{m} AUROC" for m in models], *[f"{m} training s" for m in models],
                  *[f"{m} scoring s" for m in models]]
        rows = [[n, *[_pm(by[(m, n, "all others")]) for m in models],
                 *[f"{by[(m, n, 'all others')]['train_seconds']:.1f}" for m in models],
                 *[_seconds(by[(m, n, "all others")], "score_seconds") for m in models]] for n in normals]
        mean = [100 * sum(by[(m, n, "all others")]["auroc"] for n in normals) / len(normals) for m in models]
        total = [sum(by[(m, n, "all others")][key] or 0 for n in normals)
                 for key in ("train_seconds", "score_seconds") for m in models]
        rows.append(["mean", *[f"{v:.2f}%" for v in mean], *[f"{v:.0f} (total)" for v in total]])
        tables.append((f"{dataset}: each class normal, tested on the whole test set", header, rows))
        key = dataset.split(" ")[0]
        lit = published.get(key, {})
        if lit:
            tables.append(("published mean AUROC (%)", ["method", "mean AUROC %"],
                           [[k, v] for k, v in lit.items()]))
    else:
        header = ["model", "task", "AUROC", "AUPR", "F1 (calibrated)", "F1 at 0.02", "accuracy at 0.02",
                  "training s", "scoring s"]
        rows = []
        for e in summary:
            rows.append([e["model"], e["normal"], _pm(e), _pm(e, "aupr"), _pm(e, "f1"),
                         _pm(e, "f1_at_0.02"), _pm(e, "accuracy_at_0.02"), f"{e['train_seconds']:.1f}",
                         _seconds(e, "score_seconds")])
        leaky = any(e["normal"].endswith("(leaky)") for e in summary)
        note = " (leaky: the reference's procedure, for contrast)" if leaky else ""
        tables.append((f"{dataset}: airplanes normal{note}", header, rows))
        for e in summary:
            if e["normal"] == "airplanes" and e.get("sweep"):
                keys = ["threshold", "accuracy", "precision", "recall", "f1", "tp", "fp", "tn", "fn"]
                tables.append((f"{e['model']}: threshold sweep on the held-out test set (mean over seeds)",
                               keys, [[f"{p[k]:.4g}" for k in keys] for p in e["sweep"]]))
    return tables


def markdown(tables) -> str:
    out = []
    for caption, header, rows in tables:
        out.append(f"**{caption}**\n")
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" * len(header))
        out += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
        out.append("")
    return "\n".join(out)


def benchmark_report(protocol: str, summary: list[dict], tables, out: str | Path, *, dataset: str,
                     provenance: dict) -> Path:
    """HTML comparison across models and classes."""
    sections = [{"title": "Results", "tables": [table(h, r, caption=c) for c, h, r in tables]}]
    models = list(dict.fromkeys(e["model"] for e in summary))
    groups = list(dict.fromkeys((e["normal"], e["anomalous"]) for e in summary))
    label = (lambda g: g[1]) if protocol.startswith("paper") else (lambda g: g[0])  # noqa: E731
    auroc = {(e["model"], e["normal"], e["anomalous"]): e["auroc"] for e in summary}
    values = {m: [auroc[(m, *g)] for g in groups] for m in models}
    sections.append({"title": "AUROC by model", "figures": [figure(plots.plot_grouped_bars(
        [label(g) for g in groups], values, "AUROC", f"{protocol}: AUROC by model", reference=0.5),
        "Mean over seeds; 0.5 is chance.")]})
    measured = table(["item", "value"], [[k, v] for k, v in provenance.items()])
    sections.append({"title": "How it was measured", "tables": [measured]})
    best = max(models, key=lambda m: sum(values[m]))
    reading = [f"Best mean AUROC on {dataset}: {best} ({sum(values[best]) / len(groups):.4f} over "
               f"{len(groups)} test sets).",
               "Every model trained on normal training data only; thresholds and early model selection "
               "used a held-out slice of it; test data were scored once per trained model."]
    return write_report(out, title=f"aedetect benchmark: {protocol}",
                        subtitle=f"{', '.join(models)} on {dataset}", reading=reading, sections=sections)

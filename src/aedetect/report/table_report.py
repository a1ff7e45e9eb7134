"""The report's sections for a table model: which columns drive the flags over the whole test
set, and for the most anomalous rows each column's share of the reconstruction error with the
observed and the reconstructed (expected) values."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from aedetect.report.html import figure, table


def _bars(names: list[str], values: np.ndarray, title: str, xlabel: str) -> Figure:
    fig = Figure(figsize=(6.5, 0.35 * len(names) + 1.2))
    ax = fig.add_subplot()
    ax.barh(range(len(names))[::-1], values, color="#c0504d")
    ax.set_yticks(range(len(names))[::-1], names)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def table_sections(detector, X_test, scores: np.ndarray, rows: int = 5, columns: int = 12) -> list[dict]:
    c = detector.feature_contributions(X_test)
    error = c.error.to_numpy()
    share = error / np.maximum(error.sum(axis=1, keepdims=True), 1e-300)
    flagged = scores > detector.threshold_
    basis = share[flagged] if flagged.any() else share
    mean = basis.mean(axis=0)
    order = np.argsort(-mean)[:columns]
    names = list(c.error.columns)
    which = "flagged" if flagged.any() else "all"
    drivers = figure(_bars([names[j] for j in order], mean[order],
                           f"Mean share of the reconstruction error, {which} test rows",
                           "share of the error"),
                     "Which columns drive the flags: each column's mean share of the reconstruction error "
                     f"over the {int(basis.shape[0])} {'flagged' if flagged.any() else ''} test rows.")
    sections = [{"title": "Columns", "figures": [drivers]}]
    figures, tables = [], []
    for i in np.argsort(-scores)[:rows]:
        row = X_test.index[i]  # the row's number in the table
        top = np.argsort(-share[i])[:columns]
        bars = _bars([names[j] for j in top], share[i][top], f"row {row}, score {scores[i]:.4g}",
                     "share of the error")
        figures.append(figure(bars, f"Table row {row}: each column's share of its reconstruction error."))
        tables.append(table(["column", "share", "observed", "expected"],
                            [[names[j], float(share[i][j]), c.observed.iloc[i, j], c.expected.iloc[i, j]]
                             for j in top[:6]], caption=f"Table row {row}: observed and expected values"))
    sections.append({"title": "Most anomalous rows", "figures": figures, "tables": tables})
    return sections

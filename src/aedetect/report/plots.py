"""Plots of training and scores. Each function returns a matplotlib Figure and,
given ``path``, also writes it as PNG. No global pyplot state is touched, so
they are safe in scripts, notebooks and threads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure


def _finish(fig: Figure, path: str | Path | None) -> Figure:
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig


def plot_loss(history: dict, path: str | Path | None = None) -> Figure:
    """Training and validation loss per epoch, the kept epoch marked."""
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    ax.plot(epochs, history["train_loss"], label="training")
    ax.plot(epochs, history["val_loss"], label="validation (held-out normals)")
    if history.get("best_epoch"):
        ax.axvline(history["best_epoch"], color="grey", ls=":", label="kept weights")
    ax.set(xlabel="epoch", ylabel="loss", title="Loss per epoch")
    ax.set_yscale("log")
    ax.legend()
    return _finish(fig, path)


def plot_score_histogram(scores, y_true, threshold: float, path: str | Path | None = None,
                         extra_thresholds: dict[str, float] | None = None) -> Figure:
    """Histogram of anomaly scores of normal (y=0) and anomalous (y=1) samples,
    with the threshold (solid) and any ``extra_thresholds`` (dashed)."""
    scores, y_true = np.asarray(scores), np.asarray(y_true)
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    bins = np.histogram_bin_edges(scores, bins=50)
    for label, name, color in ((0, "normal", "tab:blue"), (1, "anomalous", "tab:red")):
        if (y_true == label).any():
            ax.hist(scores[y_true == label], bins=bins, alpha=0.6, color=color, density=True,
                    label=f"{name} ({int((y_true == label).sum())})")
    ax.axvline(threshold, color="black", label=f"threshold {threshold:.4g}")
    for (name, value), color in zip((extra_thresholds or {}).items(), ("tab:green", "tab:purple",
                                                                      "tab:orange", "tab:brown")):
        ax.axvline(value, color=color, ls="--", label=f"{name} {value:.4g}")
    ax.set(xlabel="anomaly score (reconstruction error)", ylabel="density",
           title="Scores of the test samples")
    ax.legend()
    return _finish(fig, path)


def plot_roc(y_true, scores, path: str | Path | None = None) -> Figure:
    """ROC curve (anomaly = positive) with its AUROC."""
    from sklearn.metrics import roc_auc_score, roc_curve

    fpr, tpr, _ = roc_curve(y_true, scores)
    fig = Figure(figsize=(4.5, 4.5))
    ax = fig.add_subplot()
    ax.plot(fpr, tpr, label=f"AUROC {roc_auc_score(y_true, scores):.3f}")
    ax.plot([0, 1], [0, 1], color="grey", ls=":", label="chance")
    ax.set(xlabel="false-positive rate", ylabel="true-positive rate", title="ROC",
           xlim=(0, 1), ylim=(0, 1.01))
    ax.legend(loc="lower right")
    return _finish(fig, path)

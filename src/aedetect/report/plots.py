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


def plot_pr(y_true, scores, path: str | Path | None = None) -> Figure:
    """Precision-recall curve (anomaly = positive) with its AUPR (average precision)."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    precision, recall, _ = precision_recall_curve(y_true, scores)
    fig = Figure(figsize=(4.5, 4.5))
    ax = fig.add_subplot()
    ax.plot(recall, precision, label=f"AUPR {average_precision_score(y_true, scores):.3f}")
    ax.axhline(np.mean(y_true), color="grey", ls=":", label="chance (share of anomalies)")
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall", xlim=(0, 1), ylim=(0, 1.01))
    ax.legend(loc="lower left")
    return _finish(fig, path)


def plot_confusion(metrics: dict, path: str | Path | None = None) -> Figure:
    """Confusion matrix at the threshold, from ``tp``, ``fp``, ``tn``, ``fn`` of a metrics dict."""
    counts = np.array([[metrics["tn"], metrics["fp"]], [metrics["fn"], metrics["tp"]]])
    fig = Figure(figsize=(4, 3.6))
    ax = fig.add_subplot()
    ax.imshow(counts, cmap="Blues")
    for (i, j), v in np.ndenumerate(counts):
        ax.text(j, i, str(v), ha="center", va="center",
                color="white" if v > counts.max() / 2 else "black", fontsize=12)
    ax.set_xticks([0, 1], ["flagged normal", "flagged anomaly"])
    ax.set_yticks([0, 1], ["normal", "anomaly"])
    ax.set(xlabel="prediction", ylabel="truth",
           title=f"At threshold {metrics['threshold']:.4g}")
    return _finish(fig, path)


def plot_sweep(rows: list[dict], threshold: float | None = None,
               path: str | Path | None = None) -> Figure:
    """Accuracy, precision, recall and F1 against the threshold (rows of a threshold sweep)."""
    t = [r["threshold"] for r in rows]
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    for key in ("accuracy", "precision", "recall", "f1"):
        ax.plot(t, [r[key] for r in rows], marker="o", label=key)
    if threshold is not None:
        ax.axvline(threshold, color="black", label=f"threshold {threshold:.4g}")
    ax.set(xlabel="threshold on the anomaly score", ylabel="value", ylim=(0, 1.02),
           title="Threshold sweep")
    ax.legend()
    return _finish(fig, path)


def to_display(images: np.ndarray, value_range: tuple[float, float]) -> np.ndarray:
    """Images in input units -> float in [0, 1], (N, H, W) grey or (N, H, W, 3) RGB."""
    lo, hi = value_range
    out = (np.asarray(images, dtype=np.float32) - lo) / (hi - lo)
    if out.ndim == 4 and out.shape[-1] == 1:
        out = out[..., 0]
    return np.clip(out, 0.0, 1.0)


def plot_sample_grid(images: np.ndarray, captions: list[str], title: str,
                     path: str | Path | None = None, cols: int = 8) -> Figure:
    """Images (N, H, W) or (N, H, W, 3) in [0, 1] with a caption under each."""
    n = len(images)
    rows = max(1, -(-n // cols))
    fig = Figure(figsize=(1.3 * cols, 1.55 * rows + 0.4))
    for i in range(rows * cols):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap="gray", vmin=0, vmax=1)
            ax.set_title(captions[i], fontsize=7)
    fig.suptitle(title)
    return _finish(fig, path)


def plot_reconstructions(inputs: np.ndarray, reconstructions: np.ndarray, captions: list[str],
                         path: str | Path | None = None) -> Figure:
    """One row per sample: input, reconstruction, and a heat map of the per-pixel squared
    error (summed over colour channels). All images in [0, 1]."""
    n = len(inputs)
    fig = Figure(figsize=(6.2, 2.0 * n + 0.3))
    error = (inputs - reconstructions) ** 2
    if error.ndim == 4:
        error = error.sum(axis=-1)
    vmax = float(error.max()) or 1.0
    for i in range(n):
        for j, (img, name) in enumerate(((inputs[i], "input"), (reconstructions[i], "reconstruction"))):
            ax = fig.add_subplot(n, 3, 3 * i + j + 1)
            ax.imshow(img, cmap="gray", vmin=0, vmax=1, aspect="auto")
            ax.set_title(f"{name}\n{captions[i]}" if j == 0 else name, fontsize=8)
            ax.axis("off")
        ax = fig.add_subplot(n, 3, 3 * i + 3)
        heat = ax.imshow(error[i], cmap="inferno", vmin=0, vmax=vmax, aspect="auto")
        ax.set_title("squared error", fontsize=8)
        ax.axis("off")
        fig.colorbar(heat, ax=ax, fraction=0.046)
    return _finish(fig, path)


def plot_class_counts(names: list[str], counts: list[int], normal: set[str],
                      path: str | Path | None = None) -> Figure:
    """Bar chart of samples per class; normal classes in blue, the others red."""
    fig = Figure(figsize=(max(5.0, 0.12 * len(names) + 2), 3.6))
    ax = fig.add_subplot()
    colors = ["tab:blue" if n in normal else "tab:red" for n in names]
    ax.bar(range(len(names)), counts, color=colors)
    _class_ticks(ax, names)
    ax.set(ylabel="test samples", title="Test set by class (blue: normal)")
    return _finish(fig, path)


def plot_per_class(names: list[str], values: list[float], ylabel: str, title: str,
                   path: str | Path | None = None, reference: float | None = None) -> Figure:
    """Bar chart of one number per class (e.g. AUROC against the normal class)."""
    fig = Figure(figsize=(max(5.0, 0.12 * len(names) + 2), 3.6))
    ax = fig.add_subplot()
    ax.bar(range(len(names)), values, color="tab:purple")
    if reference is not None:
        ax.axhline(reference, color="grey", ls=":")
    _class_ticks(ax, names)
    ax.set(ylabel=ylabel, title=title)
    return _finish(fig, path)


def _class_ticks(ax, names: list[str]) -> None:
    if len(names) <= 40:
        ax.set_xticks(range(len(names)), names, rotation=60 if len(names) > 8 else 0, ha="right"
                      if len(names) > 8 else "center", fontsize=7 if len(names) > 20 else 9)
    else:
        ax.set_xticks([])
        ax.set_xlabel(f"{len(names)} classes")


def plot_latent(codes: np.ndarray, labels: list[str], method: str = "pca",
                path: str | Path | None = None, seed: int = 0) -> Figure:
    """2-D projection of latent codes (PCA, or t-SNE with method="tsne"), coloured by label."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    if codes.shape[1] <= 2:
        xy = np.pad(codes, ((0, 0), (0, 2 - codes.shape[1])))
    elif method == "tsne":
        xy = TSNE(2, init="pca", random_state=seed, perplexity=min(30, len(codes) - 1)).fit_transform(codes)
    else:
        xy = PCA(2, random_state=seed).fit_transform(codes)
    labels = np.asarray(labels)
    fig = Figure(figsize=(6, 5))
    ax = fig.add_subplot()
    names = list(dict.fromkeys(labels))
    for i, name in enumerate(names[:20]):
        sel = labels == name
        ax.scatter(xy[sel, 0], xy[sel, 1], s=6, alpha=0.6, color=f"C{i % 10}",
                   marker="o" if i < 10 else "^", label=name)
    if len(names) > 20:
        sel = ~np.isin(labels, names[:20])
        ax.scatter(xy[sel, 0], xy[sel, 1], s=6, alpha=0.3, color="lightgrey", label="other classes")
    ax.set(title=f"Latent codes ({'t-SNE' if method == 'tsne' else 'PCA'})", xticks=[], yticks=[])
    ax.legend(fontsize=7, markerscale=2, loc="best")
    return _finish(fig, path)


def plot_roc_comparison(curves: dict[str, tuple], path: str | Path | None = None) -> Figure:
    """ROC curves of several detectors on one plot: ``{name: (y_true, scores)}``."""
    from sklearn.metrics import roc_auc_score, roc_curve

    fig = Figure(figsize=(5, 5))
    ax = fig.add_subplot()
    for name, (y, s) in curves.items():
        fpr, tpr, _ = roc_curve(y, s)
        ax.plot(fpr, tpr, label=f"{name} (AUROC {roc_auc_score(y, s):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", ls=":")
    ax.set(xlabel="false-positive rate", ylabel="true-positive rate", title="ROC by model",
           xlim=(0, 1), ylim=(0, 1.01))
    ax.legend(loc="lower right", fontsize=8)
    return _finish(fig, path)


def plot_reconstruction_comparison(inputs: np.ndarray, reconstructions: dict[str, np.ndarray],
                                   captions: list[str], aurocs: dict[str, str] | None = None,
                                   path: str | Path | None = None) -> Figure:
    """The same inputs (rows) reconstructed by each model (columns), each model's AUROC
    under its column, as in the comparative paper's Figures 3 and 4. Images in [0, 1]."""
    names = list(reconstructions)
    n, cols = len(inputs), len(names) + 1
    fig = Figure(figsize=(1.6 * cols, 1.6 * n + 0.6))
    for i in range(n):
        for j in range(cols):
            ax = fig.add_subplot(n, cols, i * cols + j + 1)
            ax.imshow(inputs[i] if j == 0 else reconstructions[names[j - 1]][i], cmap="gray",
                      vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title("input" if j == 0 else names[j - 1], fontsize=8)
            if j == 0:
                ax.set_ylabel(captions[i], fontsize=8)
            if i == n - 1 and j > 0 and aurocs:
                ax.set_xlabel(aurocs.get(names[j - 1], ""), fontsize=7)
    return _finish(fig, path)


def plot_grouped_bars(categories: list[str], series: dict[str, list[float]], ylabel: str, title: str,
                      path: str | Path | None = None, reference: float | None = None) -> Figure:
    """One group of bars per category, one bar per series (e.g. AUROC per class per model)."""
    fig = Figure(figsize=(max(6.0, 0.35 * len(categories) * max(1, len(series)) / 2 + 2), 4))
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        ax.bar(np.arange(len(categories)) + (i - (len(series) - 1) / 2) * width, values, width, label=name)
    if reference is not None:
        ax.axhline(reference, color="grey", ls=":")
    _class_ticks(ax, categories)
    ax.set(ylabel=ylabel, title=title)
    ax.legend(fontsize=8)
    return _finish(fig, path)


def plot_timelines(items: list[tuple[np.ndarray, np.ndarray, list, str]], threshold: float,
                   path: str | Path | None = None) -> Figure:
    """One panel per clip: frame errors against time (s), the frame threshold as a line and
    the flagged time spans shaded. ``items``: (times, errors, spans, caption) per clip."""
    n = max(len(items), 1)
    fig = Figure(figsize=(7, 1.7 * n + 0.4))
    top = max([float(np.max(e)) for _, e, _, _ in items] + [threshold]) * 1.05
    for i, (times, errors, spans, caption) in enumerate(items):
        ax = fig.add_subplot(n, 1, i + 1)
        ax.plot(times, errors, lw=0.8, color="tab:blue")
        ax.axhline(threshold, color="black", lw=0.8, ls="--")
        for a, b in spans:
            ax.axvspan(a, b, color="tab:red", alpha=0.25, lw=0)
        ax.set_ylim(0, top)
        ax.set_title(caption, fontsize=8, loc="left")
        ax.set_ylabel("error", fontsize=8)
        ax.tick_params(labelsize=7)
    if items:
        ax.set_xlabel("time (s)")
    fig.suptitle("Reconstruction error over time (dashed: frame threshold; red: flagged spans)", fontsize=9)
    return _finish(fig, path)


def plot_spectrograms(items: list[tuple[np.ndarray, np.ndarray, np.ndarray, str]],
                      path: str | Path | None = None) -> Figure:
    """One row per clip: log-mel spectrogram, its reconstruction (dB, shared colour scale) and
    the squared difference. ``items``: (spectrogram, reconstruction, times, caption)."""
    n = max(len(items), 1)
    fig = Figure(figsize=(9, 2.1 * n + 0.3))
    for i, (spec, recon, times, caption) in enumerate(items):
        extent = (float(times[0]), float(times[-1]), 0, spec.shape[0])
        lo, hi = float(min(spec.min(), recon.min())), float(max(spec.max(), recon.max()))
        diff = (spec - recon) ** 2
        panels = ((spec, "log-mel (dB)", "magma", lo, hi), (recon, "reconstruction", "magma", lo, hi),
                  (diff, "squared difference", "inferno", 0, float(diff.max()) or 1.0))
        for j, (img, name, cmap, vmin, vmax) in enumerate(panels):
            ax = fig.add_subplot(n, 3, 3 * i + j + 1)
            im = ax.imshow(img, origin="lower", aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax, extent=extent)
            ax.set_title(f"{name}\n{caption}" if j == 0 else name, fontsize=8)
            ax.tick_params(labelsize=7)
            if j == 0:
                ax.set_ylabel("mel band", fontsize=8)
            if i == n - 1:
                ax.set_xlabel("time (s)", fontsize=8)
            fig.colorbar(im, ax=ax, fraction=0.046)
    return _finish(fig, path)

"""Figures of anomaly detection (see :mod:`scratchae.anomaly`): ROC curves, the scores of normal and
anomalous images, and the images that scored highest and those that slipped through."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from . import image_stack


def roc_figure(curves: dict, *, title: str | None = None) -> Figure:
    """ROC curves: ``curves`` maps a label to ``(fpr, tpr, auroc)`` (see :func:`scratchae.anomaly.roc_curve`).
    The first curve is drawn thickest; the diagonal is a score that knows nothing (AUROC 0.5)."""
    fig = Figure(figsize=(5.2, 5.0), layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], ":", color="grey", label="chance (0.5)")
    for i, (label, (fpr, tpr, area)) in enumerate(curves.items()):
        ax.plot(fpr, tpr, linewidth=2.2 if i == 0 else 1.0, label=f"{label}: AUROC {area:.3f}")
    ax.set_xlabel("false-positive rate (normal images flagged)")
    ax.set_ylabel("true-positive rate (anomalies flagged)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_aspect("equal")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def score_histograms(scores, is_anomaly, *, score_name: str = "score", title: str | None = None) -> Figure:
    """The distribution of the scores of normal and of anomalous images, each as the fraction of its images
    per bin (logarithmic bins when every score is positive: errors span orders of magnitude)."""
    scores, is_anomaly = np.asarray(scores, dtype=np.float64), np.asarray(is_anomaly, dtype=bool)
    finite = scores[np.isfinite(scores)]
    if len(finite) == 0:
        raise ValueError("score_histograms: no finite score to draw")
    fig = Figure(figsize=(6.4, 3.8), layout="constrained")
    ax = fig.subplots()
    positive = finite.min() > 0 and finite.max() > finite.min()
    if positive:
        bins = np.geomspace(finite.min(), finite.max(), 50)
        ax.set_xscale("log")
    else:
        bins = np.linspace(finite.min(), finite.max() if finite.max() > finite.min() else finite.min() + 1, 50)
    for mask, label, color in ((~is_anomaly, "normal", "tab:blue"), (is_anomaly, "anomalous", "tab:red")):
        values = scores[mask & np.isfinite(scores)]
        if len(values):
            ax.hist(values, bins=bins, weights=np.full(len(values), 1 / len(values)), histtype="stepfilled",
                    alpha=0.45, color=color, label=f"{label} ({mask.sum()})")
    ax.set_xlabel(score_name)
    ax.set_ylabel("fraction of the images")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def _image_pairs(subfig, images, reconstructed, captions, label: str) -> None:
    """Two rows: images above, their reconstructions below, a caption over each column."""
    axes = subfig.subplots(2, len(images), squeeze=False, gridspec_kw=dict(wspace=0.05, hspace=0.05))
    for c in range(len(images)):
        for r, picture in enumerate((images[c], reconstructed[c])):
            axes[r, c].imshow(picture, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
        axes[0, c].set_title(captions[c], fontsize=6.5)
    axes[0, 0].set_ylabel("image", fontsize=8)
    axes[1, 0].set_ylabel("reconstructed", fontsize=8)
    subfig.suptitle(label, fontsize=9)


def extreme_images(images, reconstructed, scores, is_anomaly, labels, classes=None, *, n: int = 8,
                   title: str | None = None) -> Figure:
    """Three panels of images with their reconstructions: the ``n`` highest scores, the normal images
    that scored highest (false alarms), and the anomalies that scored lowest (the ones that slip through).
    """
    images, reconstructed = image_stack(images, "images"), image_stack(reconstructed, "reconstructed")
    scores, is_anomaly = np.asarray(scores, dtype=np.float64), np.asarray(is_anomaly, dtype=bool)
    order = np.argsort(-np.nan_to_num(scores, nan=-np.inf), kind="stable")       # highest score first
    normal_first = [i for i in order if not is_anomaly[i]]
    anomalies_last = [i for i in order[::-1] if is_anomaly[i]]
    panels = [("highest scores", list(order[:n])),
              ("normal images with the highest scores (false alarms)", normal_first[:n]),
              ("anomalies with the lowest scores (missed)", anomalies_last[:n])]
    panels = [(label, picked) for label, picked in panels if picked]
    columns = max(len(picked) for _, picked in panels)
    fig = Figure(figsize=(0.95 * columns + 1.0, 2.35 * len(panels) + 0.3), layout="constrained")
    for subfig, (label, picked) in zip(fig.subfigures(len(panels), 1, squeeze=False)[:, 0], panels, strict=True):
        def name(i):
            label_i = int(labels[i])
            return classes[label_i] if classes is not None and 0 <= label_i < len(classes) else str(label_i)
        captions = [f"{name(i)[:11]}\n{scores[i]:.3g}" for i in picked]
        _image_pairs(subfig, images[picked], reconstructed[picked], captions, label)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def auroc_bars(table: dict, *, title: str | None = None) -> Figure:
    """The AUROC of each one-class setting: ``table`` maps a setting's label to ``{score name: auroc}``;
    one group of bars per setting, one bar per score."""
    settings = list(table)
    names = list(next(iter(table.values())))
    fig = Figure(figsize=(1.0 + 0.8 * len(settings), 3.8), layout="constrained")
    ax = fig.subplots()
    width = 0.8 / len(names)
    for j, name in enumerate(names):
        ax.bar(np.arange(len(settings)) + (j - (len(names) - 1) / 2) * width, [table[s][name] for s in settings],
               width, label=name)
    ax.axhline(0.5, color="grey", linestyle=":", linewidth=1)
    ax.set_xticks(np.arange(len(settings)), settings, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("AUROC")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, ncol=len(names))
    if title:
        ax.set_title(title, fontsize=9)
    return fig

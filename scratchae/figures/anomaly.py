"""Figures of anomaly detection (see :mod:`scratchae.anomaly`): ROC curves, the scores of normal and
anomalous images, and the images that scored highest and those that slipped through."""

from __future__ import annotations

import numpy as np

from . import image_stack
from .figure import Figure
from .inspect import blank_gaps, montage


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
            ax.hist(
                values,
                bins=bins.tolist(),  # the edges (matplotlib's stubs want a sequence, not an array)
                weights=np.full(len(values), 1 / len(values)),
                histtype="stepfilled",
                alpha=0.45,
                color=color,
                label=f"{label} ({mask.sum()})",
            )
    ax.set_xlabel(score_name)
    ax.set_ylabel("fraction of the images")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def extreme_images(
    images, reconstructed, scores, is_anomaly, labels, classes=None, *, n: int = 8, title: str | None = None
) -> Figure:
    """Three panels of images above their reconstructions: the ``n`` highest scores, the normal images
    that scored highest (false alarms), and the anomalies that scored lowest (the ones that slip through).
    Each image is captioned with its class and its score.
    """
    images, reconstructed = image_stack(images, "images"), image_stack(reconstructed, "reconstructed")
    scores, is_anomaly = np.asarray(scores, dtype=np.float64), np.asarray(is_anomaly, dtype=bool)
    order = np.argsort(-np.nan_to_num(scores, nan=-np.inf), kind="stable")  # highest score first
    panels = [
        ("highest scores", order[:n]),
        ("normal images with the highest scores (false alarms)", order[~is_anomaly[order]][:n]),
        ("anomalies with the lowest scores (missed)", order[::-1][is_anomaly[order[::-1]]][:n]),
    ]
    panels = [(label, picked) for label, picked in panels if len(picked)]

    def name(i):
        label = int(labels[i])
        return classes[label] if classes is not None and 0 <= label < len(classes) else str(label)

    height, width = images.shape[1:]
    gap = max(1, width // 8)
    fig = Figure(figsize=(0.95 * n + 1.2, 2.45 * len(panels) + 0.3), layout="constrained")
    for ax, (label, picked) in zip(fig.subplots(len(panels), 1, squeeze=False)[:, 0], panels, strict=True):
        columns = len(picked)
        stacked = np.full((2 * n, height, width), np.nan)  # first row the images, then theirs
        stacked[:columns], stacked[n : n + columns] = images[picked], reconstructed[picked]
        ax.imshow(montage(stacked, n, gap), cmap=blank_gaps("gray"), vmin=0, vmax=1, interpolation="nearest")
        for c in range(columns):
            ax.text(
                c * (width + gap) + width / 2,
                -1,
                f"{name(picked[c])[:11]}\n{scores[picked[c]]:.3g}",
                fontsize=6.5,
                ha="center",
                va="bottom",
            )
        ax.set_xticks([])
        ax.set_yticks([height / 2, height + gap + height / 2], ["image", "reconstructed"], fontsize=8)
        ax.tick_params(length=0)
        ax.set_frame_on(False)
        ax.set_title(label, fontsize=9, pad=24)
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
        ax.bar(
            np.arange(len(settings)) + (j - (len(names) - 1) / 2) * width,
            [table[s][name] for s in settings],
            width,
            label=name,
        )
    ax.axhline(0.5, color="grey", linestyle=":", linewidth=1)
    ax.set_xticks(np.arange(len(settings)), settings, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("AUROC")
    ax.set_ylim(0, 1.13)  # room for the legend above the bars
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.legend(fontsize=7, ncol=len(names), loc="upper center")
    if title:
        ax.set_title(title, fontsize=9)
    return fig

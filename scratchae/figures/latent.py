"""Figures of the latent space (see :mod:`scratchae.latent`): the codes of test images scattered by
class, and an interpolation between two images."""

from __future__ import annotations

import numpy as np

from . import image_rows
from .figure import Figure


def latent_scatter(points: np.ndarray, labels: np.ndarray, *, classes=None, explained=None,
                   title: str | None = None) -> Figure:
    """Each image's code as a point (``points``: (N, 2)), coloured by its class (``labels``: (N,) ints).

    ``classes`` names the classes for the legend; ``explained`` (2,), if the points are principal
    components, labels the axes with the fraction of the variance each one explains.
    """
    points, labels = np.asarray(points), np.asarray(labels)
    if points.ndim != 2 or points.shape[1] != 2 or len(labels) != len(points):
        raise ValueError(f"latent_scatter expected (N, 2) points and N labels, got {points.shape} and "
                         f"{labels.shape}")
    fig = Figure(figsize=(6.4, 5.2), layout="constrained")
    ax = fig.subplots()
    colors = [f"C{i}" for i in range(10)]
    for label in np.unique(labels):
        mine = labels == label
        name = classes[label] if classes is not None and 0 <= label < len(classes) else str(label)
        ax.scatter(points[mine, 0], points[mine, 1], s=6, alpha=0.7, color=colors[int(label) % 10], label=name)
    if explained is not None:
        ax.set_xlabel(f"principal component 1 ({100 * explained[0]:.0f}% of the variance)")
        ax.set_ylabel(f"principal component 2 ({100 * explained[1]:.0f}% of the variance)")
    else:
        ax.set_xlabel("z[0]")
        ax.set_ylabel("z[1]")
    ax.legend(markerscale=2.5, fontsize=7, loc="best", framealpha=0.8)
    if title:
        fig.suptitle(title)
    return fig


def interpolation_strip(images: np.ndarray, *, title: str | None = None) -> Figure:
    """One row of images (N, 1, 28, 28): the decoded path from the first image's code to the last's."""
    fig = Figure(figsize=(1.0 * len(images) + 1.2, 1.6), layout="constrained")
    image_rows(fig, [("interpolation", images)])
    if title:
        fig.suptitle(title)
    return fig

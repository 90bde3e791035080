"""Figures of the latent space (see :mod:`scratchae.latent`): the codes of test images scattered by
class, an interpolation between two images, and for a VAE, samples from its prior and the images it
decodes over a grid of its 2-D latent space."""

from __future__ import annotations

import numpy as np

from . import image_rows, image_stack
from .figure import Figure


def latent_scatter(
    points: np.ndarray, labels: np.ndarray, *, classes=None, explained=None, title: str | None = None
) -> Figure:
    """Each image's code as a point (``points``: (N, 2)), coloured by its class (``labels``: (N,) ints).

    ``classes`` names the classes for the legend; ``explained`` (2,), if the points are principal
    components, labels the axes with the fraction of the variance each one explains.
    """
    points, labels = np.asarray(points), np.asarray(labels)
    if points.ndim != 2 or points.shape[1] != 2 or len(labels) != len(points):
        raise ValueError(f"latent_scatter expected (N, 2) points and N labels, got {points.shape} and {labels.shape}")
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


def mosaic(images: np.ndarray, columns: int) -> np.ndarray:
    """One grey image of images (N, 1, h, w) tiled ``columns`` to a row (the last row padded with 0)."""
    images = image_stack(images, "mosaic")
    n, h, w = images.shape
    rows = -(-n // columns)
    tiles = np.zeros((rows * columns, h, w), images.dtype)
    tiles[:n] = images
    return tiles.reshape(rows, columns, h, w).transpose(0, 2, 1, 3).reshape(rows * h, columns * w)


def image_grid(images: np.ndarray, *, columns: int = 8, title: str | None = None) -> Figure:
    """Images (N, 1, 28, 28) in a grid of ``columns`` columns, e.g. a VAE's samples from its prior."""
    picture = mosaic(images, columns)
    fig = Figure(figsize=(0.7 * columns + 0.4, 0.7 * picture.shape[0] / images.shape[-2] + 0.6), layout="constrained")
    ax = fig.subplots()
    ax.imshow(picture, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def manifold_grid(images: np.ndarray, values: np.ndarray, *, title: str | None = None) -> Figure:
    """The images decoded on an n x n grid of 2-D codes (:func:`scratchae.latent.decoded_manifold`),
    with the codes' values on the axes (:math:`z_0` left to right, :math:`z_1` bottom to top)."""
    n = len(values)
    images = image_stack(images, "manifold_grid")
    if len(images) != n * n:
        raise ValueError(f"manifold_grid expected {n * n} images for {n} values per axis, got {len(images)}")
    size = images.shape[-1]
    fig = Figure(figsize=(7.2, 7.2), layout="constrained")
    ax = fig.subplots()
    ax.imshow(mosaic(images, n), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    centres = size * np.arange(n) + (size - 1) / 2
    every = max(1, n // 8)
    ax.set_xticks(centres[::every], [f"{round(v, 2) + 0.0:.2f}" for v in values[::every]], fontsize=7)
    ax.set_yticks(centres[::every], [f"{round(v, 2) + 0.0:.2f}" for v in values[::-1][::every]], fontsize=7)
    ax.set_xlabel("z[0] (quantiles of N(0, 1))")
    ax.set_ylabel("z[1]")
    if title:
        ax.set_title(title, fontsize=10)
    return fig

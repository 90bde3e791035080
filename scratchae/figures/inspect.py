"""Figures of what a model learned: its first layer's filters, and the feature maps of one image through
every layer (from :func:`scratchae.summary.layer_calls`). The latent space is drawn by
:mod:`scratchae.figures.latent`."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from ..summary import LayerCall


def _bare(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def filter_images(weight: np.ndarray, image_shape=(28, 28)) -> tuple[np.ndarray, list[str]]:
    """The filters of a first layer as grey images (K, h, w), with a caption for each.

    - a convolution's weight (out, in, kh, kw): one kh x kw image per (output, input) channel pair;
    - a linear layer's weight (out, in): each row (the weights from every pixel to one output) as an
      image of ``image_shape`` when ``in`` is its number of pixels, else as a strip 1 x in.
    """
    weight = np.asarray(weight)
    if weight.ndim == 4:
        out_channels, in_channels = weight.shape[:2]
        captions = [f"{o}" if in_channels == 1 else f"{o}<-{i}" for o in range(out_channels)
                    for i in range(in_channels)]
        return weight.reshape(-1, *weight.shape[2:]), captions
    if weight.ndim == 2:
        pixels = math.prod(image_shape)
        images = weight.reshape(len(weight), *image_shape) if weight.shape[1] == pixels else weight[:, None, :]
        return images, [str(o) for o in range(len(weight))]
    raise ValueError(f"filter_images expected a weight of shape (out, in) or (out, in, kh, kw), got {weight.shape}")


def filters_figure(weight: np.ndarray, *, layer: str = "first layer", max_filters: int = 64,
                   title: str | None = None) -> Figure:
    """The filters of ``weight`` (see :func:`filter_images`) in a grid, on one colour scale centred on 0
    (red positive, blue negative), so that their strengths can be compared."""
    images, captions = filter_images(weight)
    shown = min(len(images), max_filters)
    columns = min(shown, 8)
    rows = math.ceil(shown / columns)
    size = 1.1 if images.shape[1] > 1 else 0.6
    fig = Figure(figsize=(size * columns + 1.4, size * rows + 0.8), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False)
    limit = float(np.abs(images[:shown]).max()) or 1.0
    for k, ax in enumerate(axes.ravel()):
        _bare(ax)
        if k >= shown:
            ax.set_axis_off()
            continue
        drawn = ax.imshow(images[k], cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest",
                          aspect="equal" if images.shape[1] > 1 else "auto")
        ax.set_title(captions[k], fontsize=7)
    fig.colorbar(drawn, ax=axes, shrink=0.8, label="weight")
    more = f" (the first {shown} of {len(images)})" if shown < len(images) else ""
    fig.suptitle(title or f"{layer}: {len(images)} filters{more}, {weight.shape} weight", fontsize=10)
    return fig


def feature_maps_figure(image: np.ndarray, calls: list[LayerCall], *, max_channels: int = 16,
                        title: str | None = None) -> Figure:
    """One image (1, H, W) and the output of every layer for it (``calls`` from
    :func:`scratchae.summary.layer_calls` on that one image), a row per layer.

    Image-like outputs (1, C, h, w) show up to ``max_channels`` channels, on one colour scale per layer
    (so a channel that stays dark is one the layer switched off for this image); vectors (1, D) show as a
    heat strip, or as an image when D is the number of pixels.
    """
    image = np.asarray(image)
    pixels = image.size
    rows = [("input", image[None])] + [(f"{c.name} ({type(c.module).__name__})", c.output) for c in calls
                                       if isinstance(c.output, np.ndarray)]
    columns = max([8] + [min(o.shape[1], max_channels) for _, o in rows if o.ndim == 4])
    fig = Figure(figsize=(0.75 * columns + 2.2, 0.8 * len(rows) + 0.8), layout="constrained")
    grid = fig.add_gridspec(len(rows), columns)
    for r, (label, output) in enumerate(rows):
        output = output[0]
        low, high = float(output.min()), float(output.max())
        high = high if high > low else low + 1
        shape = "x".join(map(str, output.shape))
        if output.ndim == 3:
            channels = min(len(output), max_channels)
            for c in range(channels):
                ax = fig.add_subplot(grid[r, c])
                ax.imshow(output[c], cmap="gray" if r == 0 else "viridis", vmin=low, vmax=high,
                          interpolation="nearest")
                _bare(ax)
            first = fig.axes[-channels]
            more = f", {channels} of {len(output)} channels" if channels < len(output) else ""
        else:
            vector = output.reshape(-1)
            ax = fig.add_subplot(grid[r, :] if vector.size != pixels else grid[r, 0])
            picture = vector.reshape(image.shape[-2:]) if vector.size == pixels else vector[None]
            ax.imshow(picture, cmap="viridis", vmin=low, vmax=high, interpolation="nearest",
                      aspect="equal" if vector.size == pixels else "auto")
            _bare(ax)
            first, more = ax, ""
        first.set_ylabel(f"{label}\n{shape}{more}", rotation=0, ha="right", va="center", fontsize=7)
    fig.suptitle(title or "one image through every layer", fontsize=10)
    return fig

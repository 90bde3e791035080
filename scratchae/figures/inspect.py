"""Figures of what a model learned: its first layer's filters, and the feature maps of one image through
every layer (from :func:`scratchae.summary.layer_calls`). The latent space is drawn by
:mod:`scratchae.figures.latent`."""

from __future__ import annotations

import math

import numpy as np

from ..summary import LayerCall
from .figure import Figure


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
        captions = [
            f"{o}" if in_channels == 1 else f"{o}<-{i}" for o in range(out_channels) for i in range(in_channels)
        ]
        return weight.reshape(-1, *weight.shape[2:]), captions
    if weight.ndim == 2:
        pixels = math.prod(image_shape)
        images = weight.reshape(len(weight), *image_shape) if weight.shape[1] == pixels else weight[:, None, :]
        return images, [str(o) for o in range(len(weight))]
    raise ValueError(f"filter_images expected a weight of shape (out, in) or (out, in, kh, kw), got {weight.shape}")


def montage(images: np.ndarray, columns: int, gap: int = 1) -> np.ndarray:
    """Images (K, h, w) tiled row by row into one array, ``columns`` per row, with ``gap`` pixels of NaN
    between them (drawn blank). One picture in one axes draws far faster than an axes per image."""
    images = np.asarray(images, dtype=np.float64)
    count, height, width = images.shape
    rows = math.ceil(count / columns)
    sheet = np.full((rows * (height + gap) - gap, columns * (width + gap) - gap), np.nan)
    for k in range(count):
        r, c = divmod(k, columns)
        sheet[r * (height + gap) : r * (height + gap) + height, c * (width + gap) : c * (width + gap) + width] = images[
            k
        ]
    return sheet


def blank_gaps(colormap: str):
    """The matplotlib colormap ``colormap`` drawing NaN (the gaps of a :func:`montage`) in white."""
    import matplotlib

    return matplotlib.colormaps[colormap].with_extremes(bad="white")


def filters_figure(
    weight: np.ndarray, *, layer: str = "first layer", max_filters: int = 64, title: str | None = None
) -> Figure:
    """The filters of ``weight`` (see :func:`filter_images`) in a grid, numbered, on one colour scale
    centred on 0 (red positive, blue negative), so that their strengths can be compared."""
    images, captions = filter_images(weight)
    shown = min(len(images), max_filters)
    columns = min(shown, 8)
    rows = math.ceil(shown / columns)
    height, width = images.shape[1:]
    gap = max(1, height // 3)  # room for each filter's number above it
    size = 1.1 if height > 1 else 0.6
    fig = Figure(figsize=(size * columns + 1.6, (size if height > 1 else 0.3) * rows + 0.9), layout="constrained")
    ax = fig.subplots()
    limit = float(np.abs(images[:shown]).max()) or 1.0
    drawn = ax.imshow(
        montage(images[:shown], columns, gap),
        cmap=blank_gaps("RdBu_r"),
        vmin=-limit,
        vmax=limit,
        interpolation="nearest",
        aspect="equal" if height > 1 else "auto",
    )
    for k in range(shown):
        r, c = divmod(k, columns)
        ax.text(c * (width + gap) - 0.5, r * (height + gap) - 0.5, captions[k], fontsize=6, va="bottom", ha="left")
    _bare(ax)
    ax.set_frame_on(False)
    fig.colorbar(drawn, ax=ax, shrink=0.8, label="weight")
    more = f" (the first {shown} of {len(images)})" if shown < len(images) else ""
    fig.suptitle(title or f"{layer}: {len(images)} filters{more}, weight of shape {weight.shape}", fontsize=10)
    return fig


def feature_maps_figure(
    image: np.ndarray, calls: list[LayerCall], *, max_channels: int = 16, title: str | None = None
) -> Figure:
    """One image (1, H, W) and the output of every layer for it (``calls`` from
    :func:`scratchae.summary.layer_calls` on that one image), a row per layer.

    Image-like outputs (1, C, h, w) show up to ``max_channels`` channels side by side, on one colour scale
    per layer (so a channel that stays dark is one the layer switched off for this image); vectors (1, D)
    show as a heat strip, or as an image when D is the number of pixels.
    """
    image = np.asarray(image)
    pixels = image.size
    rows = [("input", image[None])] + [
        (f"{c.name} ({type(c.module).__name__})", c.output) for c in calls if isinstance(c.output, np.ndarray)
    ]
    columns = max([1] + [min(len(o[0]), max_channels) for _, o in rows if o.ndim == 4])
    fig = Figure(figsize=(min(11, 0.7 * columns + 2), 0.85 * len(rows) + 0.6), layout="constrained")
    axes = fig.subplots(len(rows), 1, squeeze=False)[:, 0]
    for r, (ax, (label, output)) in enumerate(zip(axes, rows, strict=True)):
        output = output[0]
        low, high = float(output.min()), float(output.max())
        high = high if high > low else low + 1
        shape, more = "x".join(map(str, output.shape)), ""
        if output.ndim == 1 and output.size == pixels:
            output = output.reshape(1, *image.shape[-2:])
        if output.ndim == 3:  # channels side by side, every map drawn about 28 pixels wide
            channels = min(len(output), max_channels)
            more = f"\n{channels} of {len(output)} channels" if channels < len(output) else ""
            scale = max(1, round(28 / output.shape[-1]))
            tiles = output[:channels].repeat(scale, axis=1).repeat(scale, axis=2)
            picture, aspect = montage(tiles, columns, gap=3), "equal"  # the unused tiles stay blank
        else:
            picture, aspect = output.reshape(1, -1), "auto"
        ax.imshow(
            picture,
            cmap=blank_gaps("gray" if r == 0 else "viridis"),
            vmin=low,
            vmax=high,
            interpolation="nearest",
            aspect=aspect,
        )
        _bare(ax)
        ax.set_frame_on(aspect == "auto")
        ax.set_ylabel(f"{label}\n{shape}{more}", rotation=0, ha="right", va="center", fontsize=7)
    fig.suptitle(title or "one image through every layer", fontsize=10)
    return fig

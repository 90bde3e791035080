"""Figures of trained autoencoders, drawn with matplotlib without any display.

Every function returns a :class:`matplotlib.figure.Figure` built directly (not through ``pyplot``), so
nothing here needs a window, changes the user's backend, or keeps figures alive in a global registry:
save one with :func:`save` (the PNG is rendered by the Agg backend) or show it in a notebook.

- :func:`reconstruction_grid`: inputs above their reconstructions.
- :func:`denoising_grid`: noisy input, the denoiser's output, the clean image.
- :func:`loss_curves`: training and test loss per epoch, for one run or several.
- :func:`latent_maps`: the channels of the code of the convolutional models, for a few images.
- :func:`demo_figure`: the one-page summary written by ``scratchae demo``.

:func:`image_stack` and :func:`image_rows` are the building blocks of the image grids; the modules of
this package draw the figures of other parts of the library with them.
"""

from __future__ import annotations

import os

import numpy as np

from .figure import Figure

#: colours of the models in every figure
MODEL_COLORS = {
    "linear": "tab:blue",
    "conv": "tab:orange",
    "upsample": "tab:green",
    "denoise": "tab:red",
    "deep-conv": "tab:pink",
    "vae": "tab:purple",
    "conv-vae": "tab:brown",
}


def image_stack(array, name: str) -> np.ndarray:
    """(N, H, W) grey images from (N, 1, H, W) or (N, H, W)."""
    array = np.asarray(array)
    if array.ndim == 4 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 3:
        raise ValueError(f"{name}: expected images of shape (N, 1, H, W) or (N, H, W), got {array.shape}")
    return array


def image_rows(fig_or_subfig, rows: list[tuple[str, np.ndarray]], n: int | None = None, fontsize: float = 9) -> None:
    """One row of grey images per (label, images) pair, the label at the left of the row."""
    rows = [(label, image_stack(images, label)) for label, images in rows]
    n = min(len(images) for _, images in rows) if n is None else min([n] + [len(i) for _, i in rows])
    axes = fig_or_subfig.subplots(len(rows), n, squeeze=False, gridspec_kw=dict(wspace=0.05, hspace=0.05))
    for r, (label, images) in enumerate(rows):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(images[c], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=fontsize)


def reconstruction_grid(inputs, outputs, *, n: int = 10, title: str | None = None) -> Figure:
    """Inputs (top row) and their reconstructions (bottom row)."""
    fig = Figure(figsize=(1.0 * min(n, len(inputs)) + 1.2, 2.4), layout="constrained")
    image_rows(fig, [("input", inputs), ("reconstruction", outputs)], n)
    if title:
        fig.suptitle(title)
    return fig


def denoising_grid(noisy, denoised, clean, *, n: int = 10, title: str | None = None) -> Figure:
    """Noisy inputs, the denoiser's outputs and the clean images, one row each."""
    fig = Figure(figsize=(1.0 * min(n, len(noisy)) + 1.2, 3.4), layout="constrained")
    image_rows(fig, [("noisy", noisy), ("denoised", denoised), ("clean", clean)], n)
    if title:
        fig.suptitle(title)
    return fig


def _plot_history(ax, history: dict, label: str, color=None) -> None:
    epochs = history["epoch"]
    ax.plot(epochs, history["train_loss"], "-o", color=color, markersize=3, label=f"{label} train")
    test = [np.nan if v is None else v for v in history.get("test_loss", [])]
    if test and not np.all(np.isnan(test)):
        ax.plot(epochs, test, "--s", color=color, markersize=3, label=f"{label} test")


def _style_loss_axes(ax) -> None:
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean per-pixel loss")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize=8, ncol=2)


def loss_curves(histories, *, title: str | None = None) -> Figure:
    """Training (solid) and test (dashed) loss per epoch.

    ``histories`` is one history (a dict with ``epoch``, ``train_loss``, ``test_loss``) or a mapping
    ``{label: history}`` to compare runs.
    """
    if "epoch" in histories:
        histories = {"": histories}
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.add_subplot()
    for label, history in histories.items():
        _plot_history(ax, history, label or "", MODEL_COLORS.get(label))
    _style_loss_axes(ax)
    if title:
        ax.set_title(title)
    return fig


def latent_maps(images, codes, *, n: int = 4, title: str | None = None) -> Figure:
    """For each of ``n`` images, the image and each channel of its code (N, C, h, w) as a small map.

    Each channel has one colour scale (its minimum to its maximum over the images shown), so a channel
    that is uniformly dark is one that the ReLU switched off for these images.
    """
    images = image_stack(images, "images")
    codes = np.asarray(codes)
    if codes.ndim != 4 or len(codes) != len(images):
        raise ValueError(
            f"latent_maps expected codes of shape (N, C, h, w) for {len(images)} images, got {codes.shape}"
        )
    n = min(n, len(images))
    channels = codes.shape[1]
    fig = Figure(figsize=(1.1 * (channels + 1) + 0.5, 1.2 * n + 0.6), layout="constrained")
    axes = fig.subplots(n, channels + 1, squeeze=False)
    # one colour scale per channel, shared by the images, so that the rows can be compared
    low, high = codes[:n].min(axis=(0, 2, 3)), codes[:n].max(axis=(0, 2, 3))
    high = np.where(high > low, high, low + 1)
    for r in range(n):
        axes[r, 0].imshow(images[r], cmap="gray", vmin=0, vmax=1)
        for c in range(channels):
            axes[r, c + 1].imshow(codes[r, c], cmap="viridis", vmin=low[c], vmax=high[c], interpolation="nearest")
            if r == 0:
                axes[r, c + 1].set_title(f"channel {c}", fontsize=8)
        for ax in axes[r]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_title("input", fontsize=8)
    fig.suptitle(title or f"latent code: {channels} channels of {codes.shape[2]}x{codes.shape[3]}", fontsize=10)
    return fig


def demo_figure(results: list[dict], *, n: int = 8, title: str = "scratchae demo") -> Figure:
    """One A4 page: inputs vs. reconstructions per model, noisy/denoised/clean, loss curves.

    ``results`` holds one dict per model with keys ``name``, ``label`` (the panel's title),
    ``inputs``, ``outputs``, ``targets`` (the clean images, for the denoiser; otherwise omitted)
    and ``history``; or, instead of the images, ``rows``: a list of (label, images) drawn as they are.
    Only the histories given are plotted (a VAE's loss, in nats per image, is left out).
    """
    fig = Figure(figsize=(8.27, 11.69), layout="constrained")
    rows_of = [_demo_rows(r) for r in results]
    heights = [len(rows) for rows in rows_of] + [5]
    # squeeze=False: a column of panels even when there is only the losses' (no results)
    panels = fig.subfigures(len(results) + 1, 1, squeeze=False, height_ratios=heights, hspace=0.02)[:, 0]
    for panel, result, rows in zip(panels, results, rows_of, strict=False):  # the last panel: the losses
        image_rows(panel, rows, n, fontsize=8)
        panel.suptitle(result["label"], fontsize=10, color=MODEL_COLORS.get(result["name"], "black"))
    ax = panels[-1].add_subplot()
    for result in results:
        if "history" in result:
            _plot_history(ax, result["history"], result["name"], MODEL_COLORS.get(result["name"]))
    _style_loss_axes(ax)
    ax.set_title("loss per epoch (solid: training, dashed: test)", fontsize=10)
    fig.suptitle(title, fontsize=13)
    return fig


def _demo_rows(result: dict) -> list[tuple[str, np.ndarray]]:
    if "rows" in result:
        return result["rows"]
    if "targets" in result:
        return [("noisy input", result["inputs"]), ("denoised", result["outputs"]), ("clean", result["targets"])]
    return [("input", result["inputs"]), ("reconstruction", result["outputs"])]


def save(fig: Figure, path, *, dpi: int = 120) -> str:
    """Write ``fig`` to ``path`` (the format follows the extension, e.g. ``.png`` or ``.pdf``)."""
    path = os.fspath(path)
    fig.savefig(path, dpi=dpi)
    return path

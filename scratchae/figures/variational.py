"""Figures of variational autoencoders: reconstructions from the mean and from a sampled code, and the
negative ELBO per epoch with its two terms."""

from __future__ import annotations

import numpy as np

from . import image_rows
from .figure import Figure


def vae_reconstructions(inputs, means, samples, *, n: int = 10, title: str | None = None) -> Figure:
    """Inputs, the images decoded from their mean codes :math:`\\mu`, and from codes sampled from
    :math:`q(z|x)`: one row each."""
    fig = Figure(figsize=(1.0 * min(n, len(inputs)) + 1.6, 3.4), layout="constrained")
    image_rows(fig, [("input", inputs), ("decoded mean", means), ("decoded sample", samples)], n)
    if title:
        fig.suptitle(title)
    return fig


def elbo_curves(history: dict, *, title: str | None = None) -> Figure:
    """Three panels per epoch, training (solid) and test (dashed): the negative ELBO per image, its
    reconstruction term and its KL term, in nats."""
    fig = Figure(figsize=(11, 3.6), layout="constrained")
    axes = fig.subplots(1, 3)
    epochs = history["epoch"]
    panels = [
        ("negative ELBO", "loss"),
        ("reconstruction (BCE summed over pixels)", "reconstruction"),
        ("KL(q(z|x) || N(0, I))", "kl"),
    ]
    for ax, (label, key) in zip(axes, panels, strict=True):
        for split, style in (("train", "-o"), ("test", "--s")):
            values = [np.nan if v is None else v for v in history.get(f"{split}_{key}", [])]
            if values and not np.all(np.isnan(values)):
                ax.plot(epochs, values, style, markersize=3, label=split)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("epoch")
        ax.grid(True, alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("nats per image")
    if title:
        fig.suptitle(title)
    return fig

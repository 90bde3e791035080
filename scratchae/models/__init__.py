"""The four autoencoders of the course, a deeper one, two variational autoencoders, and a table from
their names on the command line to their classes.

>>> from scratchae.models import build
>>> model = build("linear")                       # same as LinearAutoencoder()
>>> [name for name, _ in model.named_parameters()]
['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .base import IMAGE_SHAPE, Autoencoder
from .conv import ConvAutoencoder
from .conv_vae import ConvVAE
from .deep_conv import DeepConvAutoencoder
from .denoising import DenoisingAutoencoder
from .linear import LinearAutoencoder
from .upsample import UpsampleAutoencoder
from .variational import VAE, VariationalAutoencoder

#: CLI name -> model class
MODELS: dict[str, type[Autoencoder]] = {
    "linear": LinearAutoencoder,
    "conv": ConvAutoencoder,
    "upsample": UpsampleAutoencoder,
    "denoise": DenoisingAutoencoder,
    "deep-conv": DeepConvAutoencoder,
    "vae": VAE,
    "conv-vae": ConvVAE,
}


def build(name: str, config: dict | None = None, *, dtype=np.float32, rng=None) -> Autoencoder:
    """A new model from its registry name and constructor arguments (``model.config()``)."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of {', '.join(MODELS)}")
    # each model class takes its own keyword arguments (those of its config()), and dtype and rng
    model_class: Callable[..., Autoencoder] = MODELS[name]
    try:
        return model_class(**(config or {}), dtype=dtype, rng=rng)
    except TypeError as error:
        raise ValueError(f"bad configuration {config!r} for model {name!r}: {error}") from None


__all__ = [
    "Autoencoder",
    "IMAGE_SHAPE",
    "MODELS",
    "build",
    "LinearAutoencoder",
    "ConvAutoencoder",
    "UpsampleAutoencoder",
    "DenoisingAutoencoder",
    "DeepConvAutoencoder",
    "VariationalAutoencoder",
    "VAE",
    "ConvVAE",
]

"""The course's first autoencoder: one fully connected layer down to 32 numbers, one back up."""

from __future__ import annotations

import numpy as np

from ..nn import Flatten, Linear, ReLU, Sigmoid, Unflatten
from .base import IMAGE_SHAPE, Autoencoder


class LinearAutoencoder(Autoencoder):
    r"""784 -> ``encoding_dim`` (ReLU) -> 784 (Sigmoid).

    .. math::

        z = \mathrm{ReLU}(W_1 x + b_1), \qquad \hat x = \sigma(W_2 z + b_2)

    Parameters are ``fc1.weight`` (encoding_dim, 784), ``fc1.bias``, ``fc2.weight`` (784, encoding_dim),
    ``fc2.bias``, as in the course's PyTorch model. Unlike the course, which flattens the images before
    calling the model, this model takes and returns images of shape (N, 1, 28, 28), like the three
    convolutional ones; :meth:`encode` returns codes of shape (N, encoding_dim).

    Parameters
    ----------
    encoding_dim : int, default 32
        Size of the code.
    dtype : numpy dtype, default float32
    rng : numpy.random.Generator, optional
        Source of the initial weights (default: the generator of :func:`scratchae.manual_seed`).
    """

    name = "linear"
    encoder_layers = ("flatten", "fc1", "relu1")
    decoder_layers = ("fc2", "sigmoid", "unflatten")

    def __init__(self, encoding_dim: int = 32, *, dtype=np.float32, rng=None):
        pixels = int(np.prod(IMAGE_SHAPE))
        self.encoding_dim = encoding_dim
        self.flatten = Flatten()
        self.fc1 = Linear(pixels, encoding_dim, dtype=dtype, rng=rng)
        self.relu1 = ReLU()
        self.fc2 = Linear(encoding_dim, pixels, dtype=dtype, rng=rng)
        self.sigmoid = Sigmoid()
        self.unflatten = Unflatten(1, IMAGE_SHAPE)

    def config(self) -> dict:
        return {"encoding_dim": self.encoding_dim}

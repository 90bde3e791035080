"""The course's first autoencoder: one fully connected layer down to 32 numbers, one back up."""

from __future__ import annotations

import numpy as np

from ..nn import Flatten, Linear, ReLU, Sigmoid, Unflatten
from .base import IMAGE_SHAPE, Autoencoder, computed


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

    def __init__(self, encoding_dim: int = 32, *, dtype=np.float32, rng=None):
        pixels = int(np.prod(IMAGE_SHAPE))
        self.encoding_dim = encoding_dim
        self.flatten = Flatten()
        self.fc1 = Linear(pixels, encoding_dim, dtype=dtype, rng=rng)
        self.relu1 = ReLU()
        self.fc2 = Linear(encoding_dim, pixels, dtype=dtype, rng=rng)
        self.sigmoid = Sigmoid()
        self.unflatten = Unflatten(1, IMAGE_SHAPE)
        self.needs_input_grad = False  # images are data: no dL/d(images) (see Autoencoder)

    def encode(self, x: np.ndarray) -> np.ndarray:
        x = self.flatten(self.check_images(x))  # (N, 784)
        return self.relu1(self.fc1(x))  # (N, encoding_dim)

    def decode(self, z: np.ndarray) -> np.ndarray:
        return self.unflatten(self.sigmoid(self.fc2(z)))  # (N, 784) -> (N, 1, 28, 28)

    def backward_decode(self, grad_out: np.ndarray) -> np.ndarray:
        grad = self.sigmoid.backward(self.unflatten.backward(grad_out))
        return computed(self.fc2.backward(grad))

    def backward_encode(self, grad_code: np.ndarray) -> np.ndarray | None:
        grad = self.fc1.backward(self.relu1.backward(grad_code))
        return None if grad is None else self.flatten.backward(grad)  # None: fc1 skipped dL/dx

    def config(self) -> dict:
        return {"encoding_dim": self.encoding_dim}

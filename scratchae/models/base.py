"""What every autoencoder here shares: an encoder and a decoder made of named layers.

A model assigns its layers as attributes in the order the course's PyTorch model creates its parameters
(``self.conv1 = ...``), so :meth:`~scratchae.nn.Module.named_parameters` yields ``conv1.weight``,
``conv1.bias``, ... exactly as ``torch.nn.Module.named_parameters`` does, and lists the names of the
layers its encoder and decoder apply, in order. Then

.. math::

    \\hat x = \\text{decode}(\\text{encode}(x)), \\qquad
    \\frac{\\partial L}{\\partial x} = J_\\text{encode}^\\top\\, J_\\text{decode}^\\top\\,
    \\frac{\\partial L}{\\partial \\hat x},

so :meth:`Autoencoder.backward` runs the decoder's layers backwards, then the encoder's.
"""

from __future__ import annotations

import numpy as np

from ..nn import _checks
from ..nn.module import Module

#: the shape of one image: (channels, height, width)
IMAGE_SHAPE = (1, 28, 28)


class Autoencoder(Module):
    """Base class of the four models: ``encode``, ``decode``, ``forward`` and ``backward``.

    Subclasses set :attr:`name` (the registry key), :attr:`encoder_layers` and :attr:`decoder_layers`
    (attribute names, in the order they are applied), and :meth:`config` (the constructor's arguments).
    """

    name: str = ""
    encoder_layers: tuple[str, ...] = ()
    decoder_layers: tuple[str, ...] = ()

    def _run(self, names, x):
        for name in names:
            x = getattr(self, name)(x)
        return x

    def _run_backward(self, names, grad):
        for name in reversed(names):
            grad = getattr(self, name).backward(grad)
        return grad

    def _check_images(self, x) -> None:
        dtype = self.parameters()[0].dtype
        _checks.floating_input(self._name(), x, dtype)
        if x.ndim != 4 or x.shape[1:] != IMAGE_SHAPE:
            raise ValueError(
                f"{self._name()} expected images of shape (N, 1, 28, 28), got {x.shape}"
            )

    def encode(self, x: np.ndarray) -> np.ndarray:
        """The code (latent representation) of images ``x`` of shape (N, 1, 28, 28)."""
        self._check_images(x)
        return self._run(self.encoder_layers, x)

    def decode(self, z: np.ndarray) -> np.ndarray:
        """Images of shape (N, 1, 28, 28), values in (0, 1), reconstructed from codes ``z``."""
        return self._run(self.decoder_layers, z)

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.decode(self.encode(x))

    def backward_decode(self, grad_out: np.ndarray) -> np.ndarray:
        """dL/dz from dL/d(reconstruction), adding into the decoder's parameter gradients."""
        return self._run_backward(self.decoder_layers, grad_out)

    def backward_encode(self, grad_code: np.ndarray) -> np.ndarray:
        """dL/dx from dL/dz, adding into the encoder's parameter gradients."""
        return self._run_backward(self.encoder_layers, grad_code)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return self.backward_encode(self.backward_decode(grad_out))

    @property
    def dtype(self) -> np.dtype:
        return self.parameters()[0].dtype

    def config(self) -> dict:
        """The constructor's keyword arguments (JSON-serializable), without dtype and rng."""
        return {}

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
            if grad is None:            # the input layer was told not to compute dL/dx
                return None
        return grad

    def _input_layer(self) -> Module:
        """The first layer with parameters: the one that would compute dL/d(images)."""
        for name in self.encoder_layers:
            layer = getattr(self, name)
            if layer.parameters():
                return layer
        raise RuntimeError(f"{self._name()} has no layer with parameters")

    @property
    def needs_input_grad(self) -> bool:
        """Whether :meth:`backward` returns dL/d(images); ``False`` for a new model.

        The images are data, not trained, so by default the first layer with parameters skips its input
        gradient and :meth:`backward` returns ``None`` (in PyTorch, ``images.grad`` stays ``None``
        unless ``images.requires_grad``). Set ``model.needs_input_grad = True`` to get dL/d(images),
        e.g. for a gradient check or a saliency map.
        """
        return self._input_layer().needs_input_grad

    @needs_input_grad.setter
    def needs_input_grad(self, value: bool) -> None:
        self._input_layer().needs_input_grad = bool(value)

    def _check_images(self, x) -> None:
        _checks.floating_input(self._name(), x, self.dtype)
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

    def backward_encode(self, grad_code: np.ndarray) -> np.ndarray | None:
        """dL/dx from dL/dz (None unless :attr:`needs_input_grad`), adding into the encoder's parameter
        gradients."""
        return self._run_backward(self.encoder_layers, grad_code)

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        """Add every parameter's gradient; return dL/d(images) if :attr:`needs_input_grad`, else None."""
        return self.backward_encode(self.backward_decode(grad_out))

    @property
    def dtype(self) -> np.dtype:
        _, first = next(self.named_parameters())     # not parameters(): this runs on every batch
        return first.dtype

    def config(self) -> dict:
        """The constructor's keyword arguments (JSON-serializable), without dtype and rng."""
        return {}

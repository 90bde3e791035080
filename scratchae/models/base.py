"""What every autoencoder here shares: an encoder and a decoder made of layers held as attributes.

A model assigns its layers as attributes in the order the course's PyTorch model creates its parameters
(``self.conv1 = ...``), so :meth:`~scratchae.nn.Module.named_parameters` yields ``conv1.weight``,
``conv1.bias``, ... exactly as ``torch.nn.Module.named_parameters`` does. Each model then writes out, top
to bottom, what its encoder and decoder apply (:meth:`~Autoencoder.encode`, :meth:`~Autoencoder.decode`)
and, in reverse order, their backward passes (:meth:`~Autoencoder.backward_decode`,
:meth:`~Autoencoder.backward_encode`). By the chain rule,

.. math::

    \\hat x = \\text{decode}(\\text{encode}(x)), \\qquad
    \\frac{\\partial L}{\\partial x} = J_\\text{encode}^\\top\\, J_\\text{decode}^\\top\\,
    \\frac{\\partial L}{\\partial \\hat x},

so :meth:`Autoencoder.backward` runs the decoder's backward, then the encoder's.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ..nn import Dropout, MSELoss, Reparameterize, checks
from ..nn.losses import Loss
from ..nn.module import Module

#: the shape of one image: (channels, height, width)
IMAGE_SHAPE = (1, 28, 28)


def computed(grad: np.ndarray | None) -> np.ndarray:
    """``grad``, the dL/dx returned by a layer inside a model, after checking the layer computed it.

    A layer with parameters returns None instead of dL/dx when its ``needs_input_grad`` is False, which
    a model sets on its first layer only (:attr:`Autoencoder.needs_input_grad`): every other layer's
    input gradient is what the layer before it needs. Written around those layers' ``backward`` in a
    model's backward pass, this says so to the reader and to the type checker.
    """
    if grad is None:
        raise RuntimeError(
            "a layer inside the model returned no input gradient (needs_input_grad=False): "
            "only a model's first layer may skip it"
        )
    return grad


class Autoencoder(Module):
    """Base class of the models: ``forward`` and ``backward`` from the four methods a model writes.

    Subclasses set :attr:`name` (the CLI's name for the model), implement :meth:`encode`,
    :meth:`decode`, :meth:`backward_decode` and :meth:`backward_encode`, and :meth:`config` if their
    constructor takes arguments.
    """

    name: str = ""

    def encode(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        """The code (latent representation) of images ``x`` of shape (N, 1, 28, 28)."""
        raise NotImplementedError(f"{self._name()} does not implement encode")

    def decode(self, z: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        """Images of shape (N, 1, 28, 28), values in (0, 1), reconstructed from codes ``z``."""
        raise NotImplementedError(f"{self._name()} does not implement decode")

    def backward_decode(self, grad_out: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        """dL/dz from dL/d(reconstruction), adding into the decoder's parameter gradients."""
        raise NotImplementedError(f"{self._name()} does not implement backward_decode")

    def backward_encode(self, grad_code: np.ndarray) -> np.ndarray | None:  # pragma: no cover - abstract
        """dL/dx from dL/dz (None unless :attr:`needs_input_grad`), adding into the encoder's parameter
        gradients."""
        raise NotImplementedError(f"{self._name()} does not implement backward_encode")

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.decode(self.encode(x))

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        """Add every parameter's gradient; return dL/d(images) if :attr:`needs_input_grad`, else None."""
        return self.backward_encode(self.backward_decode(grad_out))

    # -- the loss: what the trainer minimizes ------------------------------------------------------
    def default_criterion(self) -> Loss:
        """The reconstruction loss this model is trained with by default: the mean per-pixel squared
        error, as in the course (a VAE: the binary cross-entropy summed over the pixels of each image)."""
        return MSELoss()

    def latent_loss(self) -> float:
        """The model's own term of the loss, for its last forward pass, added to the reconstruction loss.

        0.0 for a plain autoencoder. A variational autoencoder returns :math:`\\beta` times the KL divergence
        of its codes' distribution from the prior, and its :meth:`backward` adds that term's gradient.
        """
        return 0.0

    def latent_loss_parts(self) -> dict[str, float]:
        """What :meth:`latent_loss` is made of, unweighted, for the training history: ``{}`` here,
        ``{"kl": ...}`` for a variational autoencoder."""
        return {}

    @contextlib.contextmanager
    def sampling_from(self, rng: np.random.Generator):
        """Within the block, the layers that draw random numbers in their forward pass (the sampling of
        a variational autoencoder, dropout's masks) draw them from ``rng``; as they were afterwards.

        The :class:`~scratchae.training.Trainer` runs each epoch inside one, with the generator of that
        epoch, so that a resumed run samples what an uninterrupted one would. Plain autoencoders draw
        nothing: the block changes nothing for them.
        """
        samplers = [module for _, module in self.named_modules() if isinstance(module, (Reparameterize, Dropout))]
        before = [sampler.rng for sampler in samplers]
        for sampler in samplers:
            sampler.rng = rng
        try:
            yield self
        finally:
            for sampler, old in zip(samplers, before, strict=True):
                sampler.rng = old

    def check_images(self, x) -> np.ndarray:
        """``x`` after checking it is a batch of images (N, 1, 28, 28) of the model's dtype."""
        checks.floating_input(self._name(), x, self.dtype)
        if x.ndim != 4 or x.shape[1:] != IMAGE_SHAPE:
            raise ValueError(f"{self._name()} expected images of shape (N, 1, 28, 28), got {x.shape}")
        return x

    def _input_layer(self) -> Module:
        """The first layer with parameters: the one that would compute dL/d(images)."""
        for _, layer in self.named_children():
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

    @property
    def dtype(self) -> np.dtype:
        _, first = next(self.named_parameters())  # not parameters(): this runs on every batch
        return first.dtype

    def summary(self, input_shape=(1, *IMAGE_SHAPE)):
        """The table of :meth:`Module.summary <scratchae.nn.Module.summary>` for one image (1, 1, 28, 28),
        with the code marked between the encoder's rows and the decoder's."""
        return super().summary(input_shape)

    def config(self) -> dict:
        """The constructor's keyword arguments (JSON-serializable), without dtype and rng."""
        return {}

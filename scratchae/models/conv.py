"""The course's convolutional autoencoder: convolutions and max-pooling down, transposed convolutions up."""

from __future__ import annotations

import numpy as np

from ..nn import Conv2dReLUMaxPool2d, ConvTranspose2d, ConvTranspose2dReLU, Sigmoid
from .base import Autoencoder


class ConvAutoencoder(Autoencoder):
    r"""28x28 -> 4 channels of 7x7 -> 28x28, decoded with transposed convolutions.

    ==========  ==================================================  ==============
    layer       operation                                           output shape
    ==========  ==================================================  ==============
    conv1       Conv2d(1, 16, 3, padding=1), ReLU, MaxPool2d(2, 2)  (N, 16, 14, 14)
    conv2       Conv2d(16, 4, 3, padding=1), ReLU, MaxPool2d(2, 2)  (N, 4, 7, 7) **code**
    t_conv1     ConvTranspose2d(4, 16, 2, stride=2), ReLU           (N, 16, 14, 14)
    t_conv2     ConvTranspose2d(16, 1, 2, stride=2), σ              (N, 1, 28, 28)
    ==========  ==================================================  ==============

    A transposed convolution with kernel 2 and stride 2 gives each input pixel its own 2x2 block of
    output, :math:`o = (i - 1)\,s + k = 2i` (Dumoulin & Visin, 2016, relationship 8), so it exactly
    undoes the 2x2 pooling's change of size.

    The course's PyTorch model reuses one ``self.pool`` for both poolings and applies ``F.relu`` between
    the layers; here each convolution and the ReLU and pooling after it are one layer
    (:class:`~scratchae.nn.Conv2dReLUMaxPool2d`, :class:`~scratchae.nn.ConvTranspose2dReLU`: the same
    math as the plain layers in a row, computed in one pass, see :mod:`scratchae.nn.fused`). Pooling and
    ReLU have no parameters, so ``named_parameters()`` is the course's: ``conv1``, ``conv2``, ``t_conv1``,
    ``t_conv2``.
    """

    name = "conv"

    def __init__(self, *, dtype=np.float32, rng=None):
        self.conv1 = Conv2dReLUMaxPool2d(1, 16, 3, padding=1, dtype=dtype, rng=rng)  # conv, ReLU, 2x2 pool
        self.conv2 = Conv2dReLUMaxPool2d(16, 4, 3, padding=1, dtype=dtype, rng=rng)
        self.t_conv1 = ConvTranspose2dReLU(4, 16, 2, stride=2, dtype=dtype, rng=rng)  # transposed conv, ReLU
        self.t_conv2 = ConvTranspose2d(16, 1, 2, stride=2, dtype=dtype, rng=rng)
        self.sigmoid = Sigmoid()
        self.needs_input_grad = False  # images are data: no dL/d(images) (see Autoencoder)

    def encode(self, x: np.ndarray) -> np.ndarray:
        x = self.conv1(self.check_images(x))  # (N, 16, 14, 14)
        return self.conv2(x)  # (N, 4, 7, 7)

    def decode(self, z: np.ndarray) -> np.ndarray:
        x = self.t_conv1(z)  # (N, 16, 14, 14)
        return self.sigmoid(self.t_conv2(x))  # (N, 1, 28, 28)

    def backward_decode(self, grad_out: np.ndarray) -> np.ndarray:
        grad = self.t_conv2.backward(self.sigmoid.backward(grad_out))
        return self.t_conv1.backward(grad)

    def backward_encode(self, grad_code: np.ndarray) -> np.ndarray | None:
        return self.conv1.backward(self.conv2.backward(grad_code))

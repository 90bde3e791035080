"""The course's convolutional autoencoder: convolutions and max-pooling down, transposed convolutions up."""

from __future__ import annotations

import numpy as np

from ..nn import Conv2d, ConvTranspose2d, MaxPool2d, ReLU, Sigmoid
from .base import Autoencoder


class ConvAutoencoder(Autoencoder):
    r"""28x28 -> 4 channels of 7x7 -> 28x28, decoded with transposed convolutions.

    ==========  =========================================  ==============
    layer       operation                                  output shape
    ==========  =========================================  ==============
    conv1       Conv2d(1, 16, 3, padding=1), ReLU          (N, 16, 28, 28)
    pool1       MaxPool2d(2, 2)                            (N, 16, 14, 14)
    conv2       Conv2d(16, 4, 3, padding=1), ReLU          (N, 4, 14, 14)
    pool2       MaxPool2d(2, 2)                 **code**   (N, 4, 7, 7)
    t_conv1     ConvTranspose2d(4, 16, 2, stride=2), ReLU  (N, 16, 14, 14)
    t_conv2     ConvTranspose2d(16, 1, 2, stride=2), σ     (N, 1, 28, 28)
    ==========  =========================================  ==============

    A transposed convolution with kernel 2 and stride 2 gives each input pixel its own 2x2 block of
    output, :math:`o = (i - 1)\,s + k = 2i` (Dumoulin & Visin, 2016, relationship 8), so it exactly
    undoes the 2x2 pooling's change of size.

    The course's PyTorch model reuses one ``self.pool`` for both poolings; here each use has its own
    layer, because a layer keeps what its backward needs from its forward. Pooling has no parameters,
    so ``named_parameters()`` is the course's: ``conv1``, ``conv2``, ``t_conv1``, ``t_conv2``.
    """

    name = "conv"

    def __init__(self, *, dtype=np.float32, rng=None):
        self.conv1 = Conv2d(1, 16, 3, padding=1, dtype=dtype, rng=rng)
        self.relu1 = ReLU()
        self.pool1 = MaxPool2d(2, 2)
        self.conv2 = Conv2d(16, 4, 3, padding=1, dtype=dtype, rng=rng)
        self.relu2 = ReLU()
        self.pool2 = MaxPool2d(2, 2)
        self.t_conv1 = ConvTranspose2d(4, 16, 2, stride=2, dtype=dtype, rng=rng)
        self.relu3 = ReLU()
        self.t_conv2 = ConvTranspose2d(16, 1, 2, stride=2, dtype=dtype, rng=rng)
        self.sigmoid = Sigmoid()
        self.needs_input_grad = False     # images are data: no dL/d(images) (see Autoencoder)

    def encode(self, x: np.ndarray) -> np.ndarray:
        x = self.pool1(self.relu1(self.conv1(self.check_images(x))))   # (N, 16, 14, 14)
        return self.pool2(self.relu2(self.conv2(x)))                    # (N, 4, 7, 7)

    def decode(self, z: np.ndarray) -> np.ndarray:
        x = self.relu3(self.t_conv1(z))                                 # (N, 16, 14, 14)
        return self.sigmoid(self.t_conv2(x))                            # (N, 1, 28, 28)

    def backward_decode(self, grad_out: np.ndarray) -> np.ndarray:
        grad = self.t_conv2.backward(self.sigmoid.backward(grad_out))
        return self.t_conv1.backward(self.relu3.backward(grad))

    def backward_encode(self, grad_code: np.ndarray) -> np.ndarray | None:
        grad = self.conv2.backward(self.relu2.backward(self.pool2.backward(grad_code)))
        return self.conv1.backward(self.relu1.backward(self.pool1.backward(grad)))

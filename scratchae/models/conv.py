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
    encoder_layers = ("conv1", "relu1", "pool1", "conv2", "relu2", "pool2")
    decoder_layers = ("t_conv1", "relu3", "t_conv2", "sigmoid")

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

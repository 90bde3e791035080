"""The course's upsampling autoencoder: the same encoder, decoded by nearest upsampling + convolution."""

from __future__ import annotations

import numpy as np

from ..nn import Conv2d, MaxPool2d, ReLU, Sigmoid, Upsample
from .base import Autoencoder


class UpsampleAutoencoder(Autoencoder):
    r"""28x28 -> 4 channels of 7x7 -> 28x28, decoded with nearest-neighbour upsampling and convolutions.

    ==========  =========================================  ==============
    layer       operation                                  output shape
    ==========  =========================================  ==============
    conv1       Conv2d(1, 16, 3, padding=1), ReLU          (N, 16, 28, 28)
    pool1       MaxPool2d(2, 2)                            (N, 16, 14, 14)
    conv2       Conv2d(16, 4, 3, padding=1), ReLU          (N, 4, 14, 14)
    pool2       MaxPool2d(2, 2)                 **code**   (N, 4, 7, 7)
    up1         Upsample(scale_factor=2, nearest)          (N, 4, 14, 14)
    conv4       Conv2d(4, 16, 3, padding=1), ReLU          (N, 16, 14, 14)
    up2         Upsample(scale_factor=2, nearest)          (N, 16, 28, 28)
    conv5       Conv2d(16, 1, 3, padding=1), σ             (N, 1, 28, 28)
    ==========  =========================================  ==============

    The course proposed this decoder to avoid the checkerboard artifacts that transposed convolutions
    with overlapping or unevenly covering kernels can produce (Odena, Dumoulin & Olah, "Deconvolution and
    Checkerboard Artifacts", Distill, 2016). Parameter names follow the course: ``conv1``, ``conv2``,
    ``conv4``, ``conv5`` (there is no ``conv3``).
    """

    name = "upsample"
    encoder_layers = ("conv1", "relu1", "pool1", "conv2", "relu2", "pool2")
    decoder_layers = ("up1", "conv4", "relu4", "up2", "conv5", "sigmoid")

    def __init__(self, *, dtype=np.float32, rng=None):
        self.conv1 = Conv2d(1, 16, 3, padding=1, dtype=dtype, rng=rng)
        self.relu1 = ReLU()
        self.pool1 = MaxPool2d(2, 2)
        self.conv2 = Conv2d(16, 4, 3, padding=1, dtype=dtype, rng=rng)
        self.relu2 = ReLU()
        self.pool2 = MaxPool2d(2, 2)
        self.up1 = Upsample(scale_factor=2, mode="nearest")
        self.conv4 = Conv2d(4, 16, 3, padding=1, dtype=dtype, rng=rng)
        self.relu4 = ReLU()
        self.up2 = Upsample(scale_factor=2, mode="nearest")
        self.conv5 = Conv2d(16, 1, 3, padding=1, dtype=dtype, rng=rng)
        self.sigmoid = Sigmoid()

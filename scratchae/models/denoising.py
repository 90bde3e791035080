"""The course's denoising autoencoder: a deeper convolutional network trained on noisy inputs."""

from __future__ import annotations

import numpy as np

from ..nn import Conv2d, ConvTranspose2d, MaxPool2d, ReLU, Sigmoid
from .base import Autoencoder


class DenoisingAutoencoder(Autoencoder):
    r"""Noisy 28x28 -> 8 channels of 3x3 -> clean 28x28.

    ==========  ==========================================  ==============
    layer       operation                                   output shape
    ==========  ==========================================  ==============
    conv1       Conv2d(1, 32, 3, padding=1), ReLU, pool     (N, 32, 14, 14)
    conv2       Conv2d(32, 16, 3, padding=1), ReLU, pool    (N, 16, 7, 7)
    conv3       Conv2d(16, 8, 3, padding=1), ReLU, pool     (N, 8, 3, 3)  **code**
    t_conv1     ConvTranspose2d(8, 8, 3, stride=2), ReLU    (N, 8, 7, 7)
    t_conv2     ConvTranspose2d(8, 16, 2, stride=2), ReLU   (N, 16, 14, 14)
    t_conv3     ConvTranspose2d(16, 32, 2, stride=2), ReLU  (N, 32, 28, 28)
    conv_out    Conv2d(32, 1, 3, padding=1), σ              (N, 1, 28, 28)
    ==========  ==========================================  ==============

    The third pooling floors 7/2 to 3 (its last row and column are dropped), and ``t_conv1`` grows 3 to
    :math:`(3 - 1) \cdot 2 + 3 = 7` (Dumoulin & Visin, 2016, relationship 8), which is why its kernel is 3.
    Trained with :class:`~scratchae.training.Trainer` and ``noise_factor=0.5``: the input is
    ``clip(x + 0.5 * randn, 0, 1)`` and the target the clean ``x``.
    """

    name = "denoise"
    encoder_layers = ("conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "conv3", "relu3", "pool3")
    decoder_layers = ("t_conv1", "relu4", "t_conv2", "relu5", "t_conv3", "relu6", "conv_out", "sigmoid")

    def __init__(self, *, dtype=np.float32, rng=None):
        self.conv1 = Conv2d(1, 32, 3, padding=1, dtype=dtype, rng=rng)
        self.relu1 = ReLU()
        self.pool1 = MaxPool2d(2, 2)
        self.conv2 = Conv2d(32, 16, 3, padding=1, dtype=dtype, rng=rng)
        self.relu2 = ReLU()
        self.pool2 = MaxPool2d(2, 2)
        self.conv3 = Conv2d(16, 8, 3, padding=1, dtype=dtype, rng=rng)
        self.relu3 = ReLU()
        self.pool3 = MaxPool2d(2, 2)
        self.t_conv1 = ConvTranspose2d(8, 8, 3, stride=2, dtype=dtype, rng=rng)
        self.relu4 = ReLU()
        self.t_conv2 = ConvTranspose2d(8, 16, 2, stride=2, dtype=dtype, rng=rng)
        self.relu5 = ReLU()
        self.t_conv3 = ConvTranspose2d(16, 32, 2, stride=2, dtype=dtype, rng=rng)
        self.relu6 = ReLU()
        self.conv_out = Conv2d(32, 1, 3, padding=1, dtype=dtype, rng=rng)
        self.sigmoid = Sigmoid()

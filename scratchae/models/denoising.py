"""The course's denoising autoencoder: a deeper convolutional network trained on noisy inputs."""

from __future__ import annotations

import numpy as np

from ..nn import Conv2d, Conv2dReLUMaxPool2d, ConvTranspose2dReLU, Sigmoid
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
    ``clip(x + 0.5 * randn, 0, 1)`` and the target the clean ``x``. Each convolution and the ReLU (and
    pooling) after it are one layer (:class:`~scratchae.nn.Conv2dReLUMaxPool2d`,
    :class:`~scratchae.nn.ConvTranspose2dReLU`: the same math as the plain layers in a row, computed in
    one pass, see :mod:`scratchae.nn.fused`).
    """

    name = "denoise"

    def __init__(self, *, dtype=np.float32, rng=None):
        self.conv1 = Conv2dReLUMaxPool2d(1, 32, 3, padding=1, dtype=dtype, rng=rng)  # conv, ReLU, 2x2 pool
        self.conv2 = Conv2dReLUMaxPool2d(32, 16, 3, padding=1, dtype=dtype, rng=rng)
        self.conv3 = Conv2dReLUMaxPool2d(16, 8, 3, padding=1, dtype=dtype, rng=rng)
        self.t_conv1 = ConvTranspose2dReLU(8, 8, 3, stride=2, dtype=dtype, rng=rng)  # transposed conv, ReLU
        self.t_conv2 = ConvTranspose2dReLU(8, 16, 2, stride=2, dtype=dtype, rng=rng)
        self.t_conv3 = ConvTranspose2dReLU(16, 32, 2, stride=2, dtype=dtype, rng=rng)
        self.conv_out = Conv2d(32, 1, 3, padding=1, dtype=dtype, rng=rng)
        self.sigmoid = Sigmoid()
        self.needs_input_grad = False  # images are data: no dL/d(images) (see Autoencoder)

    def encode(self, x: np.ndarray) -> np.ndarray:
        x = self.conv1(self.check_images(x))  # (N, 32, 14, 14)
        x = self.conv2(x)  # (N, 16, 7, 7)
        return self.conv3(x)  # (N, 8, 3, 3)

    def decode(self, z: np.ndarray) -> np.ndarray:
        x = self.t_conv1(z)  # (N, 8, 7, 7)
        x = self.t_conv2(x)  # (N, 16, 14, 14)
        x = self.t_conv3(x)  # (N, 32, 28, 28)
        return self.sigmoid(self.conv_out(x))  # (N, 1, 28, 28)

    def backward_decode(self, grad_out: np.ndarray) -> np.ndarray:
        grad = self.conv_out.backward(self.sigmoid.backward(grad_out))
        grad = self.t_conv3.backward(grad)
        grad = self.t_conv2.backward(grad)
        return self.t_conv1.backward(grad)

    def backward_encode(self, grad_code: np.ndarray) -> np.ndarray | None:
        grad = self.conv3.backward(grad_code)
        grad = self.conv2.backward(grad)
        return self.conv1.backward(grad)

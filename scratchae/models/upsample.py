"""The course's upsampling autoencoder: the same encoder, decoded by nearest upsampling + convolution."""

from __future__ import annotations

import numpy as np

from ..nn import Conv2d, Conv2dReLU, Conv2dReLUMaxPool2d, Sigmoid, Upsample
from .base import Autoencoder


class UpsampleAutoencoder(Autoencoder):
    r"""28x28 -> 4 channels of 7x7 -> 28x28, decoded with nearest-neighbour upsampling and convolutions.

    ==========  ==================================================  ==============
    layer       operation                                           output shape
    ==========  ==================================================  ==============
    conv1       Conv2d(1, 16, 3, padding=1), ReLU, MaxPool2d(2, 2)  (N, 16, 14, 14)
    conv2       Conv2d(16, 4, 3, padding=1), ReLU, MaxPool2d(2, 2)  (N, 4, 7, 7) **code**
    up1         Upsample(scale_factor=2, nearest)                   (N, 4, 14, 14)
    conv4       Conv2d(4, 16, 3, padding=1), ReLU                   (N, 16, 14, 14)
    up2         Upsample(scale_factor=2, nearest)                   (N, 16, 28, 28)
    conv5       Conv2d(16, 1, 3, padding=1), σ                      (N, 1, 28, 28)
    ==========  ==================================================  ==============

    The course proposed this decoder to avoid the checkerboard artifacts that transposed convolutions
    with overlapping or unevenly covering kernels can produce (Odena, Dumoulin & Olah, "Deconvolution and
    Checkerboard Artifacts", Distill, 2016). Parameter names follow the course: ``conv1``, ``conv2``,
    ``conv4``, ``conv5`` (there is no ``conv3``). A convolution and the ReLU (and pooling) after it are
    one layer (:class:`~scratchae.nn.Conv2dReLUMaxPool2d`, :class:`~scratchae.nn.Conv2dReLU`: the same
    math as the plain layers in a row, computed in one pass, see :mod:`scratchae.nn.fused`).
    """

    name = "upsample"

    def __init__(self, *, dtype=np.float32, rng=None):
        self.conv1 = Conv2dReLUMaxPool2d(1, 16, 3, padding=1, dtype=dtype, rng=rng)  # conv, ReLU, 2x2 pool
        self.conv2 = Conv2dReLUMaxPool2d(16, 4, 3, padding=1, dtype=dtype, rng=rng)
        self.up1 = Upsample(scale_factor=2, mode="nearest")
        self.conv4 = Conv2dReLU(4, 16, 3, padding=1, dtype=dtype, rng=rng)  # conv, ReLU
        self.up2 = Upsample(scale_factor=2, mode="nearest")
        self.conv5 = Conv2d(16, 1, 3, padding=1, dtype=dtype, rng=rng)
        self.sigmoid = Sigmoid()
        self.needs_input_grad = False  # images are data: no dL/d(images) (see Autoencoder)

    def encode(self, x: np.ndarray) -> np.ndarray:
        x = self.conv1(self.check_images(x))  # (N, 16, 14, 14)
        return self.conv2(x)  # (N, 4, 7, 7)

    def decode(self, z: np.ndarray) -> np.ndarray:
        x = self.conv4(self.up1(z))  # (N, 16, 14, 14)
        return self.sigmoid(self.conv5(self.up2(x)))  # (N, 1, 28, 28)

    def backward_decode(self, grad_out: np.ndarray) -> np.ndarray:
        grad = self.up2.backward(self.conv5.backward(self.sigmoid.backward(grad_out)))
        return self.up1.backward(self.conv4.backward(grad))

    def backward_encode(self, grad_code: np.ndarray) -> np.ndarray | None:
        return self.conv1.backward(self.conv2.backward(grad_code))

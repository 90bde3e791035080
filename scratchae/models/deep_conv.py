"""A deeper convolutional autoencoder: batch normalization, leaky ReLUs, and bilinear upsampling + convolution."""

from __future__ import annotations

import numpy as np

from ..nn import BatchNorm2d, Conv2d, Identity, LeakyReLU, MaxPool2d, Sigmoid, Upsample
from ..nn.module import Module
from .base import Autoencoder, computed


class DeepConvAutoencoder(Autoencoder):
    r"""28x28 -> 4 channels of 7x7 (the course's code size) -> 28x28, with what autoencoders use after the
    course: ``'same'`` convolutions followed by batch normalization and leaky ReLUs, and a decoder that
    resizes bilinearly then convolves instead of using transposed convolutions.

    ==========  ====================================================  ==============
    layer       operation                                             output shape
    ==========  ====================================================  ==============
    conv1       Conv2d(1, 16, 3, padding='same', bias=False)          (N, 16, 28, 28)
    bn1, act1   BatchNorm2d(16), LeakyReLU(0.2)                       (N, 16, 28, 28)
    pool1       MaxPool2d(2)                                          (N, 16, 14, 14)
    conv2       Conv2d(16, 32, 3, padding='same', bias=False)         (N, 32, 14, 14)
    bn2, act2   BatchNorm2d(32), LeakyReLU(0.2)                       (N, 32, 14, 14)
    pool2       MaxPool2d(2)                                          (N, 32, 7, 7)
    conv3       Conv2d(32, 4, 3, padding='same')             **code** (N, 4, 7, 7)
    up1         Upsample(scale_factor=2, mode='bilinear')             (N, 4, 14, 14)
    conv4       Conv2d(4, 32, 3, padding='same', bias=False)          (N, 32, 14, 14)
    bn4, act4   BatchNorm2d(32), LeakyReLU(0.2)                       (N, 32, 14, 14)
    up2         Upsample(scale_factor=2, mode='bilinear')             (N, 32, 28, 28)
    conv5       Conv2d(32, 16, 3, padding='same', bias=False)         (N, 16, 28, 28)
    bn5, act5   BatchNorm2d(16), LeakyReLU(0.2)                       (N, 16, 28, 28)
    conv6       Conv2d(16, 1, 3, padding='same'), σ                   (N, 1, 28, 28)
    ==========  ====================================================  ==============

    What each addition changes (``docs/building-blocks.md`` measures it against the course's ``conv``):

    - **Batch normalization** after each hidden convolution gives every channel zero mean and unit
      variance over the batch, then a learned scale and shift; the layers below can change without
      moving the distribution the layers above see, which lets a deeper network train at the same
      learning rate. The convolutions before it have no bias: its mean subtraction would cancel one, and
      its shift :math:`\beta` takes that role. The code (``conv3``) and the output (``conv6``) are not
      normalized: the code is whatever the encoder makes of the image, the output a probability per pixel.
    - **Leaky ReLU** (slope 0.2) lets a unit with negative input still pass a gradient.
    - **Bilinear upsampling + a 3x3 convolution** replaces the 2x2 transposed convolution: each output
      pixel is a smooth blend of its neighbours before the convolution, so no pattern repeats with the
      stride (the checkerboard of Odena, Dumoulin & Olah, 2016).
    - **'same' padding** keeps every convolution's size, so only pooling and upsampling change it.

    In evaluation mode (``model.eval()``, as :class:`~scratchae.training.Trainer` evaluates) the batch
    normalizations use their running statistics, so an image's reconstruction does not depend on the
    other images of its batch. The running statistics are buffers, saved in checkpoints with the weights.

    Parameters
    ----------
    batch_norm : bool, default True
        False replaces each BatchNorm2d by an :class:`~scratchae.nn.Identity` (and gives the convolutions
        before it a bias): the same model without batch normalization, to measure what it changes.
    negative_slope : float, default 0.2
        Of the leaky ReLUs; 0 makes them plain ReLUs.
    upsampling : {"bilinear", "nearest"}, default "bilinear"
        The decoder's :class:`~scratchae.nn.Upsample` mode.
    dtype : numpy dtype, default float32
    rng : numpy.random.Generator, optional
    """

    name = "deep-conv"

    def __init__(
        self,
        *,
        batch_norm: bool = True,
        negative_slope: float = 0.2,
        upsampling: str = "bilinear",
        dtype=np.float32,
        rng=None,
    ):
        self.batch_norm, self.negative_slope, self.upsampling = bool(batch_norm), negative_slope, upsampling

        # no bias before a batch norm: its shift beta is one
        def conv(c_in: int, c_out: int, normalized: bool = True) -> Conv2d:
            return Conv2d(c_in, c_out, 3, padding="same", bias=not (normalized and batch_norm), dtype=dtype, rng=rng)

        def norm(channels: int) -> Module:
            return BatchNorm2d(channels, dtype=dtype) if batch_norm else Identity()

        self.conv1 = conv(1, 16)
        self.bn1 = norm(16)
        self.act1 = LeakyReLU(negative_slope)
        self.pool1 = MaxPool2d(2)
        self.conv2 = conv(16, 32)
        self.bn2 = norm(32)
        self.act2 = LeakyReLU(negative_slope)
        self.pool2 = MaxPool2d(2)
        self.conv3 = conv(32, 4, normalized=False)
        self.up1 = Upsample(scale_factor=2, mode=upsampling)
        self.conv4 = conv(4, 32)
        self.bn4 = norm(32)
        self.act4 = LeakyReLU(negative_slope)
        self.up2 = Upsample(scale_factor=2, mode=upsampling)
        self.conv5 = conv(32, 16)
        self.bn5 = norm(16)
        self.act5 = LeakyReLU(negative_slope)
        self.conv6 = conv(16, 1, normalized=False)
        self.sigmoid = Sigmoid()
        self.needs_input_grad = False  # images are data: no dL/d(images) (see Autoencoder)

    def config(self) -> dict:
        return {"batch_norm": self.batch_norm, "negative_slope": self.negative_slope, "upsampling": self.upsampling}

    def encode(self, x: np.ndarray) -> np.ndarray:
        x = self.pool1(self.act1(self.bn1(self.conv1(self.check_images(x)))))  # (N, 16, 14, 14)
        x = self.pool2(self.act2(self.bn2(self.conv2(x))))  # (N, 32, 7, 7)
        return self.conv3(x)  # (N, 4, 7, 7)

    def decode(self, z: np.ndarray) -> np.ndarray:
        x = self.act4(self.bn4(self.conv4(self.up1(z))))  # (N, 32, 14, 14)
        x = self.act5(self.bn5(self.conv5(self.up2(x))))  # (N, 16, 28, 28)
        return self.sigmoid(self.conv6(x))  # (N, 1, 28, 28)

    def backward_decode(self, grad_out: np.ndarray) -> np.ndarray:
        grad = computed(self.conv6.backward(self.sigmoid.backward(grad_out)))
        grad = self.up2.backward(computed(self.conv5.backward(self.bn5.backward(self.act5.backward(grad)))))
        return self.up1.backward(computed(self.conv4.backward(self.bn4.backward(self.act4.backward(grad)))))

    def backward_encode(self, grad_code: np.ndarray) -> np.ndarray | None:
        grad = computed(self.conv3.backward(grad_code))
        grad = computed(self.conv2.backward(self.bn2.backward(self.act2.backward(self.pool2.backward(grad)))))
        return self.conv1.backward(self.bn1.backward(self.act1.backward(self.pool1.backward(grad))))

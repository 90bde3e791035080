"""A convolutional VAE with a 2-D latent space, after the VAE example of Keras."""

from __future__ import annotations

import numpy as np

from ..nn import Conv2d, ConvTranspose2d, Flatten, GaussianKL, Linear, ReLU, Reparameterize, Sigmoid, Unflatten
from .base import computed
from .variational import VariationalAutoencoder, checked_beta

#: the shape of the feature maps between the convolutions and the dense layers: (channels, height, width)
FEATURES = (64, 7, 7)


class ConvVAE(VariationalAutoencoder):
    r"""28x28 -> strided convolutions -> :math:`\mu`, :math:`\log\sigma^2` of 2 -> transposed
    convolutions -> 28x28.

    ==============  ========================================================================  ===============
    layer           operation                                                                 output shape
    ==============  ========================================================================  ===============
    conv1           Conv2d(1, 32, 3, stride=2, padding=1), ReLU                               (N, 32, 14, 14)
    conv2           Conv2d(32, 64, 3, stride=2, padding=1), ReLU                              (N, 64, 7, 7)
    fc1             Flatten, Linear(3136, 16), ReLU                                           (N, 16)
    fc21, fc22      Linear(16, 2) each: :math:`\mu`, :math:`\log\sigma^2`                     (N, 2) each
    reparameterize  :math:`z = \mu + \sigma\varepsilon`                                       (N, 2)
    fc3             Linear(2, 3136), ReLU, Unflatten                                          (N, 64, 7, 7)
    t_conv1         ConvTranspose2d(64, 64, 3, stride=2, padding=1, output_padding=1), ReLU   (N, 64, 14, 14)
    t_conv2         ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1), ReLU   (N, 32, 28, 28)
    t_conv3         ConvTranspose2d(32, 1, 3, padding=1), σ                                   (N, 1, 28, 28)
    ==============  ========================================================================  ===============

    The Keras example's layers, with PyTorch's arguments: a stride-2 convolution with kernel 3 and
    padding 1 halves 28 to :math:`\lfloor (28 + 2 - 3)/2 \rfloor + 1 = 14`, and a stride-2 transposed
    convolution doubles 7 to :math:`(7 - 1) \cdot 2 - 2 + 3 + 1 = 14` thanks to ``output_padding=1``
    (see ``docs/transposed-convolution.md``). Keras's ``padding="same"`` pads the bottom and right more
    than the top and left where PyTorch pads evenly, so the two place their windows one pixel apart;
    the sizes, the parameter counts and the idea are the same. The dense layers are named as in the
    fully connected :class:`~scratchae.models.VAE`.

    A 2-D latent space can be drawn as it is: the codes of test images scattered by class, and the
    images decoded on a grid over it (:mod:`scratchae.latent`).

    Parameters
    ----------
    latent_dim : int, default 2
    hidden : int, default 16
        Width of the dense layer between the convolutions and the code.
    beta : float, default 1.0
        Weight of the KL term.
    dtype, rng
        As for the other models.

    References
    ----------
    F. Chollet, "Variational AutoEncoder", keras.io/examples/generative/vae (2020).
    """

    name = "conv-vae"

    def __init__(self, latent_dim: int = 2, hidden: int = 16, beta: float = 1.0, *, dtype=np.float32, rng=None):
        channels, height, width = FEATURES
        features = channels * height * width
        self.latent_dim, self.hidden, self.beta = latent_dim, hidden, checked_beta(beta)
        self.conv1 = Conv2d(1, 32, 3, stride=2, padding=1, dtype=dtype, rng=rng)
        self.relu1 = ReLU()
        self.conv2 = Conv2d(32, channels, 3, stride=2, padding=1, dtype=dtype, rng=rng)
        self.relu2 = ReLU()
        self.flatten = Flatten()
        self.fc1 = Linear(features, hidden, dtype=dtype, rng=rng)
        self.relu3 = ReLU()
        self.fc21 = Linear(hidden, latent_dim, dtype=dtype, rng=rng)
        self.fc22 = Linear(hidden, latent_dim, dtype=dtype, rng=rng)
        self.reparameterize = Reparameterize()
        self.kl = GaussianKL(reduction="batchmean")
        self.fc3 = Linear(latent_dim, features, dtype=dtype, rng=rng)
        self.relu4 = ReLU()
        self.unflatten = Unflatten(1, FEATURES)
        self.t_conv1 = ConvTranspose2d(channels, 64, 3, stride=2, padding=1, output_padding=1, dtype=dtype, rng=rng)
        self.relu5 = ReLU()
        self.t_conv2 = ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1, dtype=dtype, rng=rng)
        self.relu6 = ReLU()
        self.t_conv3 = ConvTranspose2d(32, 1, 3, padding=1, dtype=dtype, rng=rng)
        self.sigmoid = Sigmoid()
        self.needs_input_grad = False  # images are data: no dL/d(images) (see Autoencoder)

    def encode_distribution(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = self.relu1(self.conv1(self.check_images(x)))  # (N, 32, 14, 14)
        x = self.relu2(self.conv2(x))  # (N, 64, 7, 7)
        h = self.relu3(self.fc1(self.flatten(x)))  # (N, 16)
        return self.fc21(h), self.fc22(h)  # mu, logvar: (N, 2) each

    def decode(self, z: np.ndarray) -> np.ndarray:
        x = self.unflatten(self.relu4(self.fc3(z)))  # (N, 64, 7, 7)
        x = self.relu5(self.t_conv1(x))  # (N, 64, 14, 14)
        x = self.relu6(self.t_conv2(x))  # (N, 32, 28, 28)
        return self.sigmoid(self.t_conv3(x))  # (N, 1, 28, 28)

    def backward_decode(self, grad_out: np.ndarray) -> np.ndarray:
        grad = computed(self.t_conv3.backward(self.sigmoid.backward(grad_out)))
        grad = computed(self.t_conv2.backward(self.relu6.backward(grad)))
        grad = computed(self.t_conv1.backward(self.relu5.backward(grad)))
        return computed(self.fc3.backward(self.relu4.backward(self.unflatten.backward(grad))))

    def backward_encode_distribution(self, grad_mu: np.ndarray, grad_logvar: np.ndarray) -> np.ndarray | None:
        grad_h = computed(self.fc21.backward(grad_mu)) + computed(self.fc22.backward(grad_logvar))  # both heads
        grad = self.flatten.backward(computed(self.fc1.backward(self.relu3.backward(grad_h))))
        grad = computed(self.conv2.backward(self.relu2.backward(grad)))
        return self.conv1.backward(self.relu1.backward(grad))

    def config(self) -> dict:
        return {"latent_dim": self.latent_dim, "hidden": self.hidden, "beta": self.beta}

r"""Variational autoencoders: an encoder that outputs a Gaussian over codes, a sampled code, a KL term.

A variational autoencoder (Kingma & Welling, 2014) encodes an image :math:`x` into the mean
:math:`\mu` and the log-variance :math:`\log\sigma^2` of a Gaussian :math:`q(z|x)`, decodes a code
:math:`z` *sampled* from it, and is trained to minimize the negative evidence lower bound per image,

.. math::

    L = \underbrace{-\log p(x|z)}_{\text{BCE summed over the pixels}}
        + \beta\, \underbrace{\mathrm{KL}\big(q(z|x)\,\|\,\mathcal N(0, I)\big)}_{\text{closed form}},
    \qquad z = \mu + \sigma \odot \varepsilon,\ \varepsilon \sim \mathcal N(0, I),

averaged over the images of a batch (:math:`\beta = 1` is the ELBO; other values give the
:math:`\beta`-VAE of Higgins et al., 2017). The decoder's pixels are Bernoulli probabilities, so
:math:`-\log p(x|z)` is the binary cross-entropy summed over the 784 pixels: the model's
:meth:`~VariationalAutoencoder.default_criterion` is ``BCELoss(reduction='batchmean')``.

:class:`VariationalAutoencoder` writes the forward and backward passes every VAE shares; a model
writes its encoder (:meth:`~VariationalAutoencoder.encode_distribution`, returning :math:`\mu` and
:math:`\log\sigma^2`) and decoder, and their backward passes, top to bottom as the other models do.
:class:`VAE` is the classic fully connected one of PyTorch's examples.
"""

from __future__ import annotations

import math

import numpy as np

from ..nn import BCELoss, Flatten, GaussianKL, Linear, ReLU, Reparameterize, Sigmoid, Unflatten
from ..nn.losses import Loss
from ..random import resolve
from .base import IMAGE_SHAPE, Autoencoder, computed


def checked_beta(beta) -> float:
    """``beta`` as a float after checking it is a finite number >= 0."""
    if (
        isinstance(beta, bool)
        or not isinstance(beta, (int, float, np.integer, np.floating))
        or not math.isfinite(beta)
        or beta < 0
    ):
        raise ValueError(f"a variational autoencoder expected a weight beta >= 0 for its KL term, got {beta!r}")
    return float(beta)


class VariationalAutoencoder(Autoencoder):
    r"""Base class of the VAEs: ``forward`` samples a code, ``backward`` adds the KL term's gradient.

    Forward, for images :math:`x`:

    .. math::

        (\mu, \log\sigma^2) = \text{encoder}(x), \qquad
        z = \mu + e^{\frac12\log\sigma^2} \odot \varepsilon, \qquad
        \hat x = \text{decoder}(z),

    keeping :math:`\mathrm{KL} = -\frac12 \sum_j (1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2)` per image
    (:meth:`latent_loss` returns :math:`\beta\,\mathrm{KL}`). Backward, given
    :math:`G = \partial L/\partial \hat x` of the reconstruction loss, applies the chain rule through the
    decoder and the sampling, and adds the KL term's own gradient where :math:`\mu` and
    :math:`\log\sigma^2` come out of the encoder:

    .. math::

        \frac{\partial L}{\partial \mu} = \frac{\partial L}{\partial z} + \beta\,\mu, \qquad
        \frac{\partial L}{\partial \log\sigma^2} = \frac{\partial L}{\partial z} \odot \varepsilon
            \odot \frac{\sigma}{2} + \frac{\beta}{2}\big(\sigma^2 - 1\big)
        \quad\text{(each divided by the batch size)}.

    So ``backward(G)`` is the gradient of ``<G, forward(x)> + latent_loss()``. :meth:`encode` returns
    the mean :math:`\mu`: the code the latent-space tools (:mod:`scratchae.latent`) show for every model.

    Subclasses implement :meth:`encode_distribution`, :meth:`decode`, :meth:`backward_decode` and
    :meth:`backward_encode_distribution`, and hold ``self.reparameterize = Reparameterize()``,
    ``self.kl = GaussianKL()`` and ``self.beta``.
    """

    latent_dim: int
    beta: float
    reparameterize: Reparameterize
    kl: GaussianKL
    #: the KL divergence per image of the last forward pass (None before the first)
    kl_divergence: float | None = None

    def encode_distribution(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
        """``(mu, logvar)``, each (N, latent_dim): the Gaussian :math:`q(z|x)` of each image."""
        raise NotImplementedError(f"{self._name()} does not implement encode_distribution")

    def backward_encode_distribution(
        self, grad_mu: np.ndarray, grad_logvar: np.ndarray
    ) -> np.ndarray | None:  # pragma: no cover
        """dL/dx from dL/dmu and dL/dlogvar (None unless :attr:`needs_input_grad`), adding into the
        encoder's parameter gradients."""
        raise NotImplementedError(f"{self._name()} does not implement backward_encode_distribution")

    def encode(self, x: np.ndarray) -> np.ndarray:
        """The mean :math:`\\mu` (N, latent_dim) of each image's code: no noise."""
        mu, _ = self.encode_distribution(x)
        return mu

    def forward(self, x: np.ndarray) -> np.ndarray:
        mu, logvar = self.encode_distribution(x)
        z = self.reparameterize(mu, logvar)  # z = mu + sigma * eps, eps drawn (or fixed)
        self.kl_divergence = self.kl(mu, logvar)  # per image, kept for latent_loss()
        return self.decode(z)

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        grad_z = self.backward_decode(grad_out)
        grad_mu, grad_logvar = self.reparameterize.backward(grad_z)  # through the sampling
        kl_mu, kl_logvar = self.kl.backward(self.beta)  # the KL term's own gradient, times beta
        return self.backward_encode_distribution(grad_mu + kl_mu, grad_logvar + kl_logvar)

    def backward_encode(self, grad_code: np.ndarray) -> np.ndarray | None:
        raise TypeError(
            f"{self._name()} has two codes, mu and logvar: call backward_encode_distribution(grad_mu, grad_logvar)"
        )

    # -- the loss ---------------------------------------------------------------------------------------
    def default_criterion(self) -> Loss:
        """Binary cross-entropy summed over the pixels of each image, averaged over the images: the
        reconstruction term :math:`-\\log p(x|z)` of the per-image negative ELBO, in nats."""
        return BCELoss(reduction="batchmean")

    def latent_loss(self) -> float:
        """:math:`\\beta` times the KL divergence per image of the last forward pass."""
        return self.beta * self.latent_loss_parts()["kl"]

    def latent_loss_parts(self) -> dict[str, float]:
        if self.kl_divergence is None:
            raise RuntimeError(f"{self._name()} has no loss yet: call it on images first")
        return {"kl": self.kl_divergence}

    def sample(self, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """``n`` new images: codes drawn from the prior :math:`\\mathcal N(0, I)`, decoded (in the
        current mode). ``rng`` as for :class:`~scratchae.nn.Reparameterize`."""
        return self.decode(resolve(rng).standard_normal((n, self.latent_dim), dtype=self.dtype))


class VAE(VariationalAutoencoder):
    r"""The fully connected VAE of PyTorch's examples: 784 -> 400 (ReLU) -> :math:`\mu`, :math:`\log\sigma^2`
    of 20 each; 20 -> 400 (ReLU) -> 784 (sigmoid).

    ==============  =======================================  ===============
    layer           operation                                output shape
    ==============  =======================================  ===============
    fc1             Linear(784, 400), ReLU                   (N, 400)
    fc21            Linear(400, 20)              :math:`\mu`  (N, 20)
    fc22            Linear(400, 20)     :math:`\log\sigma^2`  (N, 20)
    reparameterize  :math:`z = \mu + \sigma\varepsilon`       (N, 20)
    fc3             Linear(20, 400), ReLU                    (N, 400)
    fc4             Linear(400, 784), σ                      (N, 784) -> (N, 1, 28, 28)
    ==============  =======================================  ===============

    Parameter names and layouts are those of the PyTorch example (``fc1``, ``fc21``, ``fc22``, ``fc3``,
    ``fc4``), so its ``state_dict`` loads either way. Trained there with Adam (lr 1e-3), batches of 128,
    for 10 epochs on MNIST.

    Parameters
    ----------
    latent_dim : int, default 20
    hidden : int, default 400
    beta : float, default 1.0
        Weight of the KL term (1: the ELBO).
    dtype : numpy dtype, default float32
    rng : numpy.random.Generator, optional
        Source of the initial weights (default: the generator of :func:`scratchae.manual_seed`). The
        sampling noise is drawn from ``self.reparameterize.rng`` (see :class:`~scratchae.nn.Reparameterize`).

    References
    ----------
    PyTorch examples, ``vae/main.py``; D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes",
    ICLR 2014 (the same architecture, section 5).
    """

    name = "vae"

    def __init__(self, latent_dim: int = 20, hidden: int = 400, beta: float = 1.0, *, dtype=np.float32, rng=None):
        pixels = math.prod(IMAGE_SHAPE)
        self.latent_dim, self.hidden, self.beta = latent_dim, hidden, checked_beta(beta)
        self.flatten = Flatten()
        self.fc1 = Linear(pixels, hidden, dtype=dtype, rng=rng)
        self.relu1 = ReLU()
        self.fc21 = Linear(hidden, latent_dim, dtype=dtype, rng=rng)
        self.fc22 = Linear(hidden, latent_dim, dtype=dtype, rng=rng)
        self.reparameterize = Reparameterize()
        self.kl = GaussianKL(reduction="batchmean")
        self.fc3 = Linear(latent_dim, hidden, dtype=dtype, rng=rng)
        self.relu3 = ReLU()
        self.fc4 = Linear(hidden, pixels, dtype=dtype, rng=rng)
        self.sigmoid = Sigmoid()
        self.unflatten = Unflatten(1, IMAGE_SHAPE)
        self.needs_input_grad = False  # images are data: no dL/d(images) (see Autoencoder)

    def encode_distribution(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h = self.relu1(self.fc1(self.flatten(self.check_images(x))))  # (N, 400)
        return self.fc21(h), self.fc22(h)  # mu, logvar: (N, 20) each

    def decode(self, z: np.ndarray) -> np.ndarray:
        h = self.relu3(self.fc3(z))  # (N, 400)
        return self.unflatten(self.sigmoid(self.fc4(h)))  # (N, 784) -> (N, 1, 28, 28)

    def backward_decode(self, grad_out: np.ndarray) -> np.ndarray:
        grad = computed(self.fc4.backward(self.sigmoid.backward(self.unflatten.backward(grad_out))))
        return computed(self.fc3.backward(self.relu3.backward(grad)))

    def backward_encode_distribution(self, grad_mu: np.ndarray, grad_logvar: np.ndarray) -> np.ndarray | None:
        grad_h = computed(self.fc21.backward(grad_mu)) + computed(self.fc22.backward(grad_logvar))  # both heads
        grad = self.fc1.backward(self.relu1.backward(grad_h))
        return None if grad is None else self.flatten.backward(grad)  # None: fc1 skipped dL/dx

    def config(self) -> dict:
        return {"latent_dim": self.latent_dim, "hidden": self.hidden, "beta": self.beta}

r"""The two pieces a variational autoencoder adds to an autoencoder: sampling a code, and the KL term.

The encoder of a VAE outputs, for each image, a Gaussian over codes: a mean :math:`\mu` and a
log-variance :math:`\log\sigma^2` per latent dimension. Training maximizes the evidence lower bound
(Kingma & Welling, 2014)

.. math::

    \text{ELBO}(x) = \mathbb{E}_{z \sim q(z|x)}\big[\log p(x|z)\big]
                   - \mathrm{KL}\big(q(z|x)\,\|\,\mathcal N(0, I)\big),

so the loss has two parts: a reconstruction term, computed on a code :math:`z` *sampled* from
:math:`q(z|x)` (:class:`Reparameterize`), and the KL divergence of :math:`q(z|x)` from the prior
(:class:`GaussianKL`), in closed form. ``docs/variational-autoencoder.md`` derives both, with their
gradients.

References
----------
D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes", ICLR 2014, arXiv:1312.6114
(section 2.4, the reparameterization trick; appendix B, the KL term).
"""

from __future__ import annotations

import numpy as np

from .. import random
from . import checks
from .losses import Loss
from .module import Module


def _mean_and_log_variance(layer: str, mu, logvar) -> tuple[np.ndarray, np.ndarray]:
    """``(mu, logvar)`` after checking they are float arrays of one dtype and one shape (N, ...)."""
    checks.floating_input(f"{layer} mu", mu)
    checks.floating_input(f"{layer} logvar", logvar, mu.dtype)
    if mu.ndim == 0 or mu.size == 0:
        raise ValueError(f"{layer} expected a non-empty mean mu of shape (N, latent_dim), got {mu.shape}")
    if logvar.shape != mu.shape:
        raise ValueError(f"{layer} expected a log-variance of the shape of the mean mu {mu.shape}, got {logvar.shape}")
    return mu, logvar


class Reparameterize(Module):
    r"""A code sampled from :math:`\mathcal N(\mu, \sigma^2)` as a differentiable function of
    :math:`\mu` and :math:`\log\sigma^2`: the reparameterization trick.

    .. math::

        \sigma = e^{\frac12 \log\sigma^2}, \qquad \varepsilon \sim \mathcal N(0, I), \qquad
        z = \mu + \sigma \odot \varepsilon

    The randomness is in :math:`\varepsilon`, drawn *before* and independently of :math:`\mu` and
    :math:`\sigma`, so :math:`z` is an ordinary function of them and the chain rule goes through it:

    .. math::

        \frac{\partial L}{\partial \mu} = \frac{\partial L}{\partial z}, \qquad
        \frac{\partial L}{\partial \log\sigma^2} = \frac{\partial L}{\partial z} \odot \varepsilon
            \odot \frac{\sigma}{2}.

    Parameters
    ----------
    rng : numpy.random.Generator, optional
        Where :math:`\varepsilon` is drawn from; default: the generator of :func:`scratchae.manual_seed`,
        looked up at each call. The attribute :attr:`rng` can be changed at any time (the
        :class:`~scratchae.training.Trainer` sets it to the generator of each epoch, so that a resumed
        run draws the same noise as an uninterrupted one).

    Attributes
    ----------
    fixed_eps : numpy.ndarray or None
        If set, this :math:`\varepsilon` (of the shape of :math:`\mu`, cast to its dtype) is used at
        every call instead of a new draw: for gradient checks, which call the forward pass many times,
        and to give a PyTorch twin the same noise.
    eps : numpy.ndarray or None
        The :math:`\varepsilon` of the last forward pass.

    Shapes
    ------
    mu, logvar : (N, latent_dim) (or any shape, the same for both) -> z : same shape.

    Notes
    -----
    It samples in evaluation mode too, as PyTorch's and Keras's VAE examples do: the loss of an
    evaluation is then the same one-sample estimate of the negative ELBO as in training. To decode a
    code without noise, decode :math:`\mu` (a VAE's ``encode`` returns it).
    """

    def __init__(self, rng: np.random.Generator | None = None):
        self.rng = rng
        self.fixed_eps: np.ndarray | None = None
        self.eps: np.ndarray | None = None
        self._std: np.ndarray | None = None

    def forward(self, mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
        mu, logvar = _mean_and_log_variance("Reparameterize", mu, logvar)
        eps = self.fixed_eps
        if eps is None:
            eps = random.resolve(self.rng).standard_normal(mu.shape, dtype=mu.dtype)
        else:
            if np.shape(eps) != mu.shape:
                raise ValueError(f"Reparameterize.fixed_eps has shape {np.shape(eps)}, but mu has shape {mu.shape}")
            eps = np.asarray(eps, dtype=mu.dtype)  # a float64 noise may drive a float32 model
        std = np.exp(mu.dtype.type(0.5) * logvar)  # sigma = e^{logvar / 2}
        self.eps, self._std = eps, std
        return mu + std * eps  # z = mu + sigma * eps

    def backward(self, grad_z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(dL/dmu, dL/dlogvar)`` from ``dL/dz``."""
        std, eps = self._cached(self._std), self._cached(self.eps)
        checks.upstream("Reparameterize", grad_z, std.shape, std.dtype)
        half = std.dtype.type(0.5)
        return grad_z, grad_z * eps * (half * std)  # dz/dmu = 1, dz/dlogvar = eps * sigma / 2

    def extra_repr(self) -> str:
        return "fixed_eps" if self.fixed_eps is not None else ""


class GaussianKL(Loss):
    r"""KL divergence of :math:`\mathcal N(\mu, \mathrm{diag}\,\sigma^2)` from the prior
    :math:`\mathcal N(0, I)`, in closed form, per image by default.

    For one image with a :math:`D`-dimensional code (Kingma & Welling, 2014, appendix B):

    .. math::

        \mathrm{KL} = -\frac12 \sum_{j=1}^{D} \big(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\big),
        \qquad
        \frac{\partial\,\mathrm{KL}}{\partial \mu_j} = \mu_j, \qquad
        \frac{\partial\,\mathrm{KL}}{\partial \log\sigma_j^2} = \frac12\big(\sigma_j^2 - 1\big).

    Each term is :math:`\ge 0`, and 0 exactly when :math:`\mu_j = 0, \sigma_j = 1`.

    Parameters
    ----------
    reduction : {'batchmean', 'sum', 'mean'}, default 'batchmean'
        ``'batchmean'``: the KL summed over the latent dimensions of each image and averaged over the
        images, the term of the per-image ELBO (``torch.nn.KLDivLoss`` calls this reduction
        ``'batchmean'`` for the same reason); ``'sum'``: summed over the batch too (PyTorch's VAE
        example); ``'mean'``: averaged over every element (N times D).

    Called as ``kl = criterion(mu, logvar)`` (a Python float); ``criterion.backward(grad=1.0)`` returns
    ``(dL/dmu, dL/dlogvar)`` for :math:`L = \text{grad} \cdot \text{kl}`: a VAE passes its weight
    :math:`\beta` as ``grad``.
    """

    _saved: tuple[np.ndarray, np.ndarray] | None  # (mu, sigma^2)

    def __init__(self, reduction: str = "batchmean"):
        super().__init__(reduction)

    def forward(self, mu: np.ndarray, logvar: np.ndarray) -> float:
        mu, logvar = _mean_and_log_variance("GaussianKL", mu, logvar)
        self._check_batch(mu)
        f = mu.dtype.type
        variance = np.exp(logvar)  # sigma^2
        self._saved = (mu, variance)
        return self._reduce(f(-0.5) * (f(1) + logvar - mu * mu - variance))

    def backward(self, grad: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        mu, variance = self._cached(self._saved)
        f = mu.dtype.type
        scale = f(grad * self._scale(mu.shape))
        return mu * scale, (variance - f(1)) * (f(0.5) * scale)

r"""The latent space of a trained autoencoder: codes, their principal components, and interpolation.

An autoencoder's ``encode`` maps each image to a code (a vector for the linear model, a small stack of
feature maps for the convolutional ones). These functions work on any model of :mod:`scratchae.models`:

- :func:`encode_all`: the codes of many images, flattened to one row per image;
- :func:`principal_components`: the codes projected on their first principal components, so that a
  code of any size can be drawn in two dimensions;
- :func:`interpolate`: the images decoded along the straight line between the codes of two images;
- :func:`gaussian_grid` and :func:`decoded_manifold`: for a 2-D latent space, the images decoded on a
  grid of codes at quantiles of the standard normal, the prior of a VAE (Kingma & Welling, 2014,
  figure 4): the whole space the decoder learned, in one picture;
- :func:`prior_samples`: new images from a VAE, decoded from codes drawn from its prior.

Principal component analysis (Pearson, 1901): with :math:`Z` the :math:`N \times D` matrix of codes and
:math:`\bar z` their mean, the singular value decomposition :math:`Z - \bar z = U S V^\top` gives the
directions of largest variance as the rows of :math:`V^\top`; the projection on the first :math:`k` is
:math:`(Z - \bar z) V_{:, :k} = U_{:, :k} S_{:k}`, and component :math:`j` explains a fraction
:math:`s_j^2 / \sum_i s_i^2` of the variance.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from .models import VariationalAutoencoder
from .random import resolve


def encode_all(model, images: np.ndarray, batch_size: int = 200) -> np.ndarray:
    """The codes of ``images`` (N, 1, 28, 28), in evaluation mode, flattened to (N, D).

    The model's mode is restored afterwards.
    """
    was_training = model.training
    model.eval()
    try:
        codes = [model.encode(images[start : start + batch_size]) for start in range(0, len(images), batch_size)]
    finally:
        model.train(was_training)
    return np.concatenate(codes).reshape(len(images), -1)


def principal_components(codes: np.ndarray, k: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """``(points, explained)``: the (N, D) ``codes`` projected on their first ``k`` principal
    components, (N, k), and the fraction of the variance each component explains, (k,).

    Codes of ``k`` dimensions or fewer are returned as they are (with zeros added up to ``k``
    columns), centred, and their exact variance fractions. The sign of each component is fixed so that
    its largest coefficient is positive (the decomposition leaves it free).
    """
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2 or len(codes) < 2:
        raise ValueError(f"principal_components expected codes of shape (N, D) with N >= 2, got {codes.shape}")
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"principal_components expected a positive number of components k, got {k!r}")
    centred = codes - codes.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    signs = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])
    vt = vt * np.where(signs == 0, 1, signs)[:, None]
    variance = s**2
    explained = variance / variance.sum() if variance.sum() > 0 else np.zeros_like(variance)
    points = centred @ vt[:k].T
    if points.shape[1] < k:
        points = np.pad(points, ((0, 0), (0, k - points.shape[1])))
        explained = np.pad(explained, (0, k - len(explained)))
    return points, explained[:k]


def interpolate(model, first: np.ndarray, second: np.ndarray, steps: int = 8) -> np.ndarray:
    r"""Decode :math:`z_t = (1 - t)\, z_a + t\, z_b` for ``steps`` values of :math:`t` from 0 to 1, where
    :math:`z_a, z_b` are the codes of the images ``first`` and ``second`` (each (1, 28, 28)).

    Returns the decoded images, (steps, 1, 28, 28), in evaluation mode (the mode is restored).
    """
    if steps < 2:
        raise ValueError(f"interpolate expected at least 2 steps, got {steps}")
    was_training = model.training
    model.eval()
    try:
        codes = model.encode(np.stack([first, second]))
        t = np.linspace(0, 1, steps, dtype=codes.dtype).reshape(-1, *([1] * (codes.ndim - 1)))
        return model.decode((1 - t) * codes[:1] + t * codes[1:])
    finally:
        model.train(was_training)


def gaussian_grid(n: int = 15, low: float = 0.05, high: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    r"""``(codes, values)``: an ``n`` x ``n`` grid of 2-D codes, (n * n, 2), and the ``n`` values
    :math:`\Phi^{-1}(u)` each axis takes, for ``u`` evenly spaced from ``low`` to ``high``
    (:math:`\Phi^{-1}` is the inverse of the standard normal's cumulative distribution function).

    Evenly spaced probabilities give codes that are dense near 0, where the prior
    :math:`\mathcal N(0, I)` puts most of its mass, and sparse in its tails. The codes are in reading
    order for a picture whose axes are those of a plot: row ``r`` from the top holds
    :math:`z_1` = ``values[n - 1 - r]``, column ``c`` holds :math:`z_0` = ``values[c]``.
    """
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"gaussian_grid expected an integer n >= 2, got {n!r}")
    if not 0 < low < high < 1:
        raise ValueError(f"gaussian_grid expected 0 < low < high < 1, got low={low}, high={high}")
    probabilities = np.linspace(low, high, n)
    values = np.array([NormalDist().inv_cdf(u) for u in probabilities])
    values[np.abs(probabilities - 0.5) < 1e-12] = 0.0  # the median exactly (linspace may miss 0.5 by 1 ulp)
    z1, z0 = np.meshgrid(values[::-1], values, indexing="ij")
    return np.stack([z0.ravel(), z1.ravel()], axis=1), values


def decoded_manifold(model, n: int = 15, low: float = 0.05, high: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """``(images, values)``: the images (n * n, 1, 28, 28) ``model`` decodes from the codes of
    :func:`gaussian_grid` (in evaluation mode), and the grid's values along each axis.

    The model must be a variational autoencoder with a 2-D code (a :class:`~scratchae.models.ConvVAE`,
    or a :class:`~scratchae.models.VAE` built with ``latent_dim=2``).
    """
    if not isinstance(model, VariationalAutoencoder) or model.latent_dim != 2:
        dims = f" with latent_dim={model.latent_dim}" if isinstance(model, VariationalAutoencoder) else ""
        raise ValueError(
            f"decoded_manifold needs a variational autoencoder with a 2-D code (latent_dim=2), "
            f"whose prior the grid follows; got {type(model).__name__}{dims}"
        )
    codes, values = gaussian_grid(n, low, high)
    return _decoded(model, codes.astype(model.dtype)), values


def prior_samples(model, n: int = 64, rng: np.random.Generator | None = None) -> np.ndarray:
    """``n`` images (n, 1, 28, 28) decoded (in evaluation mode) from codes drawn from the prior
    :math:`\\mathcal N(0, I)` of a variational autoencoder; ``rng`` as in :func:`scratchae.random.resolve`."""
    if not isinstance(model, VariationalAutoencoder):
        raise ValueError(
            f"prior_samples needs a variational autoencoder, whose codes have a prior; {type(model).__name__} has none"
        )
    codes = resolve(rng).standard_normal((n, model.latent_dim), dtype=model.dtype)
    return _decoded(model, codes)


def _decoded(model, codes: np.ndarray) -> np.ndarray:
    was_training = model.training
    model.eval()
    try:
        return model.decode(codes)
    finally:
        model.train(was_training)

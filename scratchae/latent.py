r"""The latent space of a trained autoencoder: codes, their principal components, and interpolation.

An autoencoder's ``encode`` maps each image to a code (a vector for the linear model, a small stack of
feature maps for the convolutional ones). These functions work on any model of :mod:`scratchae.models`:

- :func:`encode_all`: the codes of many images, flattened to one row per image;
- :func:`principal_components`: the codes projected on their first principal components, so that a
  code of any size can be drawn in two dimensions;
- :func:`interpolate`: the images decoded along the straight line between the codes of two images.

Principal component analysis (Pearson, 1901): with :math:`Z` the :math:`N \times D` matrix of codes and
:math:`\bar z` their mean, the singular value decomposition :math:`Z - \bar z = U S V^\top` gives the
directions of largest variance as the rows of :math:`V^\top`; the projection on the first :math:`k` is
:math:`(Z - \bar z) V_{:, :k} = U_{:, :k} S_{:k}`, and component :math:`j` explains a fraction
:math:`s_j^2 / \sum_i s_i^2` of the variance.
"""

from __future__ import annotations

import numpy as np


def encode_all(model, images: np.ndarray, batch_size: int = 200) -> np.ndarray:
    """The codes of ``images`` (N, 1, 28, 28), in evaluation mode, flattened to (N, D).

    The model's mode is restored afterwards.
    """
    was_training = model.training
    model.eval()
    try:
        codes = [model.encode(images[start:start + batch_size]) for start in range(0, len(images), batch_size)]
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
    variance = s ** 2
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

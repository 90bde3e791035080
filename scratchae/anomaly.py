r"""Anomaly detection with an autoencoder: train it on normal images only, score every image, measure.

An autoencoder trained on images of one kind reconstructs images of that kind well; the hope is that it
reconstructs anything else badly, so that the reconstruction error is an anomaly score. This module
computes such scores and measures how well they separate anomalies from normal images:

- :func:`reconstruction_errors`: the mean squared error of each image's reconstruction, and
  :func:`relative_errors`, the same divided by the image's mean squared pixel (its "ink");
- :func:`gaussian_scores`: the squared Mahalanobis distance of feature vectors (the autoencoder's codes,
  or the pixels themselves) to a Gaussian fitted to those of the normal training images;
- :func:`auroc` and :func:`roc_curve`: the area under the ROC curve and the curve, with ties handled.

The AUROC is the probability that a randomly drawn anomaly scores higher than a randomly drawn normal
image, a tie counting one half. That is the Mann-Whitney :math:`U` statistic divided by the number of
pairs (Hanley & McNeil, 1982): with the scores of all :math:`n = n_+ + n_-` images ranked from 1 to
:math:`n` (tied scores sharing the average of their ranks) and :math:`R_+` the sum of the anomalies' ranks,

.. math::

    \text{AUROC} = \frac{U}{n_+ n_-}, \qquad U = R_+ - \frac{n_+ (n_+ + 1)}{2}.

It is 1 for a perfect score, 0.5 for a score that knows nothing (or is the same for every image), and 0
for a score that is perfectly reversed.

References: J. A. Hanley and B. J. McNeil, "The meaning and use of the area under a receiver operating
characteristic (ROC) curve", Radiology 143, 1982. T. Fawcett, "An introduction to ROC analysis",
Pattern Recognition Letters 27, 2006 (the curve with tied scores as one step). K. Lee et al., "A simple
unified framework for detecting out-of-distribution samples and adversarial attacks", NeurIPS 2018
(Mahalanobis distance to class Gaussians of a network's features).
"""

from __future__ import annotations

import numpy as np

from .latent import encode_all


# -- scores ---------------------------------------------------------------------------------------------
def reconstructions(model, images: np.ndarray, batch_size: int = 200) -> np.ndarray:
    """``model``'s reconstructions of ``images`` (N, 1, 28, 28), in evaluation mode (the mode is restored)."""
    was_training = model.training
    model.eval()
    try:
        outputs = []
        for start in range(0, len(images), batch_size):
            output = model(images[start : start + batch_size])
            outputs.append(output[0] if isinstance(output, tuple) else output)  # a model may return more
    finally:
        model.train(was_training)
    return np.concatenate(outputs)


def reconstruction_errors(images: np.ndarray, reconstructed: np.ndarray) -> np.ndarray:
    r"""The mean squared error of each image's reconstruction, (N,) float64:
    :math:`s_i = \frac{1}{P} \sum_p (\hat x_{ip} - x_{ip})^2` over the :math:`P` pixels of image :math:`i`."""
    if images.shape != reconstructed.shape:
        raise ValueError(
            f"reconstruction_errors expected reconstructions of the images' shape {images.shape}, "
            f"got {reconstructed.shape}"
        )
    difference = reconstructed.astype(np.float64) - images
    return np.mean(difference.reshape(len(images), -1) ** 2, axis=1)


def relative_errors(images: np.ndarray, reconstructed: np.ndarray) -> np.ndarray:
    r"""The reconstruction error divided by the image's mean squared pixel:
    :math:`s_i = \sum_p (\hat x_{ip} - x_{ip})^2 / \sum_p x_{ip}^2`.

    An image with little ink (a sandal, a pair of trousers) is easy to reconstruct whatever the model
    learned; this divides that advantage out. A blank image scores ``inf`` (or ``nan`` if reconstructed
    exactly).
    """
    ink = np.mean(images.astype(np.float64).reshape(len(images), -1) ** 2, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return reconstruction_errors(images, reconstructed) / ink


def gaussian_scores(normal: np.ndarray, features: np.ndarray, ridge: float = 1e-3) -> np.ndarray:
    r"""The squared Mahalanobis distance of each row of ``features`` (N, D) to a Gaussian fitted to the
    rows of ``normal`` (M, D):

    .. math::

        s_i = (f_i - \mu)^\top (\Sigma + \lambda I)^{-1} (f_i - \mu), \qquad
        \lambda = \text{ridge} \cdot \operatorname{tr}(\Sigma) / D,

    where :math:`\mu` and :math:`\Sigma` are the mean and covariance of the normal rows. The ridge keeps
    the inverse finite when some directions never vary among the normal images (a ReLU that never fires,
    a pixel that is always black).
    """
    normal = np.asarray(normal, dtype=np.float64).reshape(len(normal), -1)
    features = np.asarray(features, dtype=np.float64).reshape(len(features), -1)
    if len(normal) < 2 or normal.shape[1] != features.shape[1]:
        raise ValueError(
            f"gaussian_scores expected at least 2 normal rows of the features' width "
            f"{features.shape[1]}, got {normal.shape}"
        )
    if not ridge > 0:
        raise ValueError(f"gaussian_scores expected a positive ridge, got {ridge!r}")
    mean = normal.mean(axis=0)
    covariance = np.cov(normal, rowvar=False).reshape(normal.shape[1], normal.shape[1])
    covariance += ridge * max(np.trace(covariance) / len(covariance), 1e-12) * np.eye(len(covariance))
    # with the Cholesky factor L L^T = Sigma + lambda I, the distance is |L^-1 (f - mu)|^2
    whitening = np.linalg.inv(np.linalg.cholesky(covariance))
    whitened = (features - mean) @ whitening.T  # coordinates with unit variance
    return np.sum(whitened**2, axis=1)


#: the scores :func:`score_images` computes, with what each one is
SCORES = {
    "error": "reconstruction error (mean squared error per pixel)",
    "relative": "reconstruction error / mean squared pixel of the image",
    "latent": "Mahalanobis distance of the code to the normal training codes",
    "pixels": "Mahalanobis distance of the pixels to the normal training images (no autoencoder)",
}


def score_images(model, normal_train: np.ndarray, images: np.ndarray) -> dict[str, np.ndarray]:
    """Every score of :data:`SCORES` for ``images``, given the normal training images; (N,) each.

    Returns the scores and, under ``"reconstructions"``, the model's reconstructions of ``images``.
    """
    reconstructed = reconstructions(model, images)
    return {
        "error": reconstruction_errors(images, reconstructed),
        "relative": relative_errors(images, reconstructed),
        "latent": gaussian_scores(encode_all(model, normal_train), encode_all(model, images)),
        "pixels": gaussian_scores(normal_train, images),
        "reconstructions": reconstructed,
    }


# -- how well a score separates ---------------------------------------------------------------------------
def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1 to N of ``values`` (N,), tied values sharing the average of the ranks they span:
    ``average_ranks([10, 20, 20, 5]) == [2, 3.5, 3.5, 1]``."""
    values = np.asarray(values).ravel()
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])  # where each run of ties begins
    ends = np.r_[starts[1:], len(values)]
    ranks = np.empty(len(values))
    ranks[order] = np.repeat((starts + 1 + ends) / 2, ends - starts)  # mean of ranks start+1 .. end
    return ranks


def _check_scores(scores, is_anomaly, name: str) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(is_anomaly).ravel()
    if labels.dtype != bool:
        if not np.isin(labels, (0, 1)).all():
            raise ValueError(f"{name} expected is_anomaly of booleans or 0/1, got values {np.unique(labels)[:5]}")
        labels = labels.astype(bool)
    if len(scores) != len(labels):
        raise ValueError(f"{name} expected one label per score, got {len(scores)} scores and {len(labels)} labels")
    if np.isnan(scores).any():
        raise ValueError(f"{name}: {int(np.isnan(scores).sum())} scores are NaN")
    if labels.all() or not labels.any():
        raise ValueError(
            f"{name} needs both normal and anomalous images, got {int(labels.sum())} anomalous of {len(labels)}"
        )
    return scores, labels


def auroc(scores, is_anomaly) -> float:
    """The area under the ROC curve of ``scores`` (higher = more anomalous) for the labels ``is_anomaly``
    (booleans or 0/1), from the Mann-Whitney U statistic with average ranks for ties (module docstring).

    Raises
    ------
    ValueError
        If a score is NaN, or if the images are all normal or all anomalous (the AUROC is undefined).
    """
    scores, labels = _check_scores(scores, is_anomaly, "auroc")
    positives, negatives = int(labels.sum()), int((~labels).sum())
    u = average_ranks(scores)[labels].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))


def roc_curve(scores, is_anomaly) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(fpr, tpr, thresholds)``: the ROC curve of ``scores``, one point per distinct score.

    Calling an image anomalous when its score is ``>= thresholds[j]`` gives the false-positive rate
    ``fpr[j]`` (normal images flagged / normal images) and the true-positive rate ``tpr[j]`` (anomalies
    flagged / anomalies). The first point is ``(0, 0)`` at threshold ``inf``; tied scores move the curve in
    one diagonal step, so the area under it (trapezoids) equals :func:`auroc`.
    """
    scores, labels = _check_scores(scores, is_anomaly, "roc_curve")
    order = np.argsort(-scores, kind="stable")
    ordered, hits = scores[order], labels[order]
    last_of_tie = np.r_[ordered[1:] != ordered[:-1], True]  # the last index of each distinct score
    true_positives = np.cumsum(hits)[last_of_tie]
    false_positives = np.cumsum(~hits)[last_of_tie]
    fpr = np.r_[0.0, false_positives / (~labels).sum()]
    tpr = np.r_[0.0, true_positives / labels.sum()]
    return fpr, tpr, np.r_[np.inf, ordered[last_of_tie]]

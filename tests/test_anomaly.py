"""Anomaly scores and their AUROC: hand cases, an independent pairwise count, the ROC curve, bad input."""

import itertools

import numpy as np
import pytest

from scratchae import anomaly
from scratchae.models import MODELS, build
from tests.helpers_models import images


def pairwise_auroc(scores, is_anomaly):
    """The definition, counted pair by pair: P(anomaly scores higher than normal), a tie counting 1/2."""
    positives = [s for s, a in zip(scores, is_anomaly, strict=True) if a]
    negatives = [s for s, a in zip(scores, is_anomaly, strict=True) if not a]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(positives, negatives))
    return wins / (len(positives) * len(negatives))


@pytest.mark.parametrize(
    "scores, labels, expected",
    [
        ([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1], 1.0),  # perfect
        ([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1], 0.0),  # reversed
        ([0.5, 0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1, 1], 0.5),  # all tied: knows nothing
        ([1, 2, 3, 4], [0, 1, 0, 1], 0.75),  # pairs (2>1, 2<3, 4>1, 4>3): 3 of 4
        ([1, 2, 2, 3], [0, 0, 1, 1], 0.875),  # one tie: (2 vs 1) 1, (2 vs 2) 1/2, 3 wins 2
        ([3, 1], [True, False], 1.0),
    ],
)
def test_auroc_of_hand_cases(scores, labels, expected):
    assert anomaly.auroc(scores, labels) == pytest.approx(expected)
    assert pairwise_auroc(scores, labels) == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(6))
def test_auroc_equals_the_pairwise_count_with_many_ties(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 60))
    scores = rng.integers(0, 6, n).astype(float)  # few distinct values: many ties
    labels = rng.random(n) < 0.3
    labels[:2] = [True, False]
    assert anomaly.auroc(scores, labels) == pytest.approx(pairwise_auroc(scores, labels), abs=1e-12)
    # higher is more anomalous: flipping the sign of the scores gives 1 - AUROC
    assert anomaly.auroc(-scores, labels) == pytest.approx(1 - anomaly.auroc(scores, labels), abs=1e-12)


def test_average_ranks_share_ties():
    np.testing.assert_array_equal(anomaly.average_ranks([10, 20, 20, 5]), [2, 3.5, 3.5, 1])
    np.testing.assert_array_equal(anomaly.average_ranks([7, 7, 7]), [2, 2, 2])
    values = np.random.default_rng(0).permutation(10)
    np.testing.assert_array_equal(anomaly.average_ranks(values), values + 1)


@pytest.mark.parametrize("seed", range(4))
def test_roc_curve_steps_once_per_distinct_score_and_its_area_is_the_auroc(seed):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 8, 40).astype(float)
    labels = rng.random(40) < 0.5
    labels[:2] = [True, False]
    fpr, tpr, thresholds = anomaly.roc_curve(scores, labels)
    assert len(fpr) == len(np.unique(scores)) + 1 and thresholds[0] == np.inf
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0, 0, 1, 1)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0) and np.all(np.diff(thresholds) < 0)
    for j in range(1, len(thresholds)):  # each point: the images scoring >= its threshold are flagged
        flagged = scores >= thresholds[j]
        assert fpr[j] == pytest.approx((flagged & ~labels).sum() / (~labels).sum())
        assert tpr[j] == pytest.approx((flagged & labels).sum() / labels.sum())
    area = np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2)
    assert area == pytest.approx(anomaly.auroc(scores, labels), abs=1e-12)


@pytest.mark.parametrize(
    "scores, labels, message",
    [
        ([1, 2, 3], [1, 1, 1], "needs both normal and anomalous images"),
        ([1, 2, 3], [0, 0, 0], "needs both normal and anomalous images"),
        ([1, np.nan, 3], [0, 1, 0], "1 scores are NaN"),
        ([1, 2], [0, 1, 1], "one label per score"),
        ([1, 2], [0, 2], "booleans or 0/1"),
    ],
)
def test_auroc_and_roc_refuse_bad_input(scores, labels, message):
    with pytest.raises(ValueError, match=message):
        anomaly.auroc(scores, labels)
    with pytest.raises(ValueError, match=message):
        anomaly.roc_curve(scores, labels)


def test_reconstruction_and_relative_errors():
    rng = np.random.default_rng(0)
    x = rng.random((3, 1, 4, 4)).astype(np.float32)
    y = rng.random((3, 1, 4, 4)).astype(np.float32)
    expected = [np.mean((y[i].astype(float) - x[i]) ** 2) for i in range(3)]
    np.testing.assert_allclose(anomaly.reconstruction_errors(x, y), expected, rtol=1e-12)
    np.testing.assert_allclose(
        anomaly.relative_errors(x, y),
        [e / np.mean(x[i].astype(float) ** 2) for i, e in enumerate(expected)],
        rtol=1e-12,
    )
    with pytest.raises(ValueError, match="reconstructions of the images' shape"):
        anomaly.reconstruction_errors(x, y[:2])


def test_gaussian_scores_are_squared_mahalanobis_distances():
    rng = np.random.default_rng(1)
    normal = rng.standard_normal((200, 3)) @ np.array([[2.0, 0, 0], [0.5, 1, 0], [0, 0, 0.1]]) + 4
    features = rng.standard_normal((7, 3))
    covariance = np.cov(normal, rowvar=False)
    covariance += 1e-3 * np.trace(covariance) / 3 * np.eye(3)
    difference = features - normal.mean(axis=0)
    expected = np.einsum("ij,jk,ik->i", difference, np.linalg.inv(covariance), difference)
    np.testing.assert_allclose(anomaly.gaussian_scores(normal, features), expected, rtol=1e-10)
    # a direction that never varies among the normal rows: the ridge keeps the distance finite, and large
    constant = np.c_[normal, np.zeros(200)]
    far = anomaly.gaussian_scores(constant, np.c_[np.tile(normal.mean(0), (2, 1)), [0.0, 1.0]])
    assert np.isfinite(far).all() and far[1] > 1e3 * far[0] + 1
    with pytest.raises(ValueError, match="at least 2 normal rows"):
        anomaly.gaussian_scores(normal[:1], features)


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_gives_every_score(name):
    model = build(name, rng=np.random.default_rng(0))
    x = images(6).astype(model.dtype)
    model.train()
    scores = anomaly.score_images(model, images(5, seed=3).astype(model.dtype), x)
    assert set(scores) == set(anomaly.SCORES) | {"reconstructions"}
    for key in anomaly.SCORES:
        assert scores[key].shape == (6,) and np.all(scores[key] >= 0), key
    assert scores["reconstructions"].shape == x.shape and model.training  # the mode is restored


def test_a_trained_autoencoder_tells_trousers_from_other_clothes():
    """On the embedded sample: trained on trousers only (2 epochs), the latent score separates the other
    classes well, and the AUROCs are those of the scores' ranks (not a constant)."""
    from scratchae import manual_seed
    from scratchae.data import load_dataset
    from scratchae.training import Trainer

    train, test = load_dataset("sample", "train"), load_dataset("sample", "test")
    normal = train.images[train.labels == 1][:200]
    manual_seed(0)
    model = build("conv")
    Trainer(model, progress=False).fit(normal, None, 2)
    x, is_anomaly = test.images[:300], test.labels[:300] != 1
    scores = anomaly.score_images(model, normal, x)
    assert anomaly.auroc(scores["latent"], is_anomaly) > 0.9
    assert 0 < anomaly.auroc(scores["error"], is_anomaly) < 1

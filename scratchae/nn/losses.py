"""Losses: mean squared error, mean absolute error and binary cross-entropy, with PyTorch's formulas.

A loss is called as ``loss = criterion(prediction, target)`` and returns a Python float;
``criterion.backward()`` then returns :math:`\\partial L / \\partial \\text{prediction}`.

Every loss reduces its element-wise terms in one of three ways: ``'mean'`` (PyTorch's default, over
every element), ``'sum'``, or ``'batchmean'``: the sum divided by the batch size (the first
dimension), i.e. the loss *per example*, as ``torch.nn.KLDivLoss(reduction='batchmean')``. PyTorch's
``MSELoss`` and ``BCELoss`` have no ``'batchmean'``; there it is written
``F.binary_cross_entropy(p, t, reduction='sum') / len(p)``. A variational autoencoder's reconstruction
term is the binary cross-entropy summed over the pixels of each image, averaged over the images:
``BCELoss(reduction='batchmean')``.
"""

from __future__ import annotations

import math

import numpy as np

from . import checks
from .module import Module

_REDUCTIONS = ("mean", "sum", "batchmean")


class Loss(Module):
    """Base of the losses: validates the pair of arrays and the reduction."""

    #: what forward keeps for backward (each loss declares its type); None until the first forward
    _saved: object

    def __init__(self, reduction: str = "mean"):
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{self._name()} expected reduction 'mean', 'sum' or 'batchmean', got {reduction!r}")
        self.reduction = reduction
        self._saved = None

    def _prediction_and_target(self, prediction, target) -> tuple[np.ndarray, np.ndarray]:
        checks.floating_input(self._name(), prediction)
        checks.floating_input(f"{self._name()} target", target, prediction.dtype)
        if prediction.shape != target.shape:
            raise ValueError(
                f"{self._name()} expected prediction and target of the same shape, got "
                f"{prediction.shape} and {target.shape}"
            )
        if prediction.size == 0:
            raise ValueError(f"{self._name()} got an empty prediction of shape {prediction.shape}")
        self._check_batch(prediction)
        return prediction, target

    def _check_batch(self, prediction: np.ndarray) -> None:
        if self.reduction == "batchmean" and prediction.ndim == 0:
            raise ValueError(f"{self._name()}(reduction='batchmean') needs a batch dimension, got a 0-d array")

    def _divisor(self, shape: tuple[int, ...]) -> int:
        """What the sum is divided by: every element for 'mean', the batch for 'batchmean', 1 for 'sum'."""
        if self.reduction == "mean":
            return math.prod(shape)
        return shape[0] if self.reduction == "batchmean" else 1

    def _scale(self, shape: tuple[int, ...]) -> float:
        """d(reduction)/d(element): 1/(number of elements) for the mean, 1/N for 'batchmean', 1 for the sum."""
        return 1.0 / self._divisor(shape)

    def _reduce(self, elementwise: np.ndarray) -> float:
        # the sum and the mean of ndarray.sum() / .mean(), to the bit, without their Python wrappers
        # (~25 us of a training step: the first NumPy reduction after the convolution kernels runs cold)
        total = np.add.reduce(elementwise, axis=None)
        if self.reduction != "sum":
            total = total.dtype.type(float(total) / self._divisor(elementwise.shape))  # as NumPy rounds a mean
        return float(total)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(Loss):
    r"""Mean squared error, as ``torch.nn.MSELoss``.

    Notes
    -----
    With :math:`r = 1/(\text{number of elements})` for ``'mean'``, :math:`r = 1/N` (:math:`N` the batch
    size) for ``'batchmean'`` and :math:`r = 1` for ``'sum'``:

    .. math::

        L = r \sum_i (\hat y_i - y_i)^2, \qquad
        \frac{\partial L}{\partial \hat y_i} = 2 r (\hat y_i - y_i).
    """

    _saved: np.ndarray | None  # prediction - target

    def forward(self, prediction: np.ndarray, target: np.ndarray) -> float:
        prediction, target = self._prediction_and_target(prediction, target)
        diff = prediction - target
        self._saved = diff
        return self._reduce(diff * diff)

    def backward(self, grad: float = 1.0) -> np.ndarray:
        diff = self._cached(self._saved)
        return diff * diff.dtype.type(2.0 * grad * self._scale(diff.shape))


class L1Loss(Loss):
    r"""Mean absolute error, as ``torch.nn.L1Loss``.

    Notes
    -----
    With :math:`N` elements and :math:`r = 1/N` for ``'mean'`` (:math:`r = 1` for ``'sum'``):

    .. math::

        L = r \sum_i |\hat y_i - y_i|, \qquad
        \frac{\partial L}{\partial \hat y_i} = r \operatorname{sign}(\hat y_i - y_i),

    with :math:`\operatorname{sign}(0) = 0`, as in PyTorch (the absolute value has no derivative there).
    Every element pulls with the same strength whatever its error, where the squared error pulls in
    proportion to it: an L1 reconstruction is less dominated by a few large errors, and tends to be
    sharper.
    """

    _saved: np.ndarray | None  # prediction - target

    def forward(self, prediction: np.ndarray, target: np.ndarray) -> float:
        prediction, target = self._prediction_and_target(prediction, target)
        diff = prediction - target
        self._saved = diff
        return self._reduce(np.abs(diff))

    def backward(self, grad: float = 1.0) -> np.ndarray:
        diff = self._cached(self._saved)
        return np.sign(diff) * diff.dtype.type(grad * self._scale(diff.shape))


class BCELoss(Loss):
    r"""Binary cross-entropy between probabilities and targets, as ``torch.nn.BCELoss``.

    Notes
    -----
    PyTorch clamps each logarithm at :math:`-100` so that a prediction of exactly 0 or 1 gives a finite
    loss, and divides by :math:`\max(\hat y(1-\hat y), 10^{-12})` in the backward:

    .. math::

        L = -r \sum_i \big[y_i \max(\log \hat y_i, -100) + (1-y_i)\max(\log(1-\hat y_i), -100)\big],

        \frac{\partial L}{\partial \hat y_i} = r\,\frac{\hat y_i - y_i}{\max(\hat y_i (1-\hat y_i), 10^{-12})},

    with :math:`r` as for :class:`MSELoss`. Predictions must lie in :math:`[0, 1]` (a ValueError
    otherwise, as in PyTorch).
    """

    #: PyTorch keeps this constant as a C ``float``, so even float64 sees float32's nearest value to 1e-12
    EPSILON = float(np.float32(1e-12))

    _saved: tuple[np.ndarray, np.ndarray] | None  # (prediction, target)

    def forward(self, prediction: np.ndarray, target: np.ndarray) -> float:
        prediction, target = self._prediction_and_target(prediction, target)
        if not (prediction.min() >= 0 and prediction.max() <= 1):  # (False for NaN too)
            bad = prediction[~((prediction >= 0) & (prediction <= 1))].ravel()[0]
            raise ValueError(f"BCELoss expected every prediction in [0, 1], got {bad} (apply a Sigmoid first)")
        one = prediction.dtype.type(1)
        floor = prediction.dtype.type(-100)
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(prediction), floor)
            log_1mp = np.maximum(np.log(one - prediction), floor)
        self._saved = (prediction, target)
        return self._reduce(-(target * log_p + (one - target) * log_1mp))

    def backward(self, grad: float = 1.0) -> np.ndarray:
        prediction, target = self._cached(self._saved)
        f = prediction.dtype.type
        denom = np.maximum((f(1) - prediction) * prediction, f(self.EPSILON))
        grad_input = f(grad) * (prediction - target) / denom
        if self.reduction != "sum":  # divided last, in PyTorch's order, so huge values round alike
            grad_input /= f(self._divisor(prediction.shape))
        return grad_input

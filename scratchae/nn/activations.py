"""Element-wise activations: ReLU and Sigmoid."""

from __future__ import annotations

import numpy as np

from . import _checks
from .module import Module


class ReLU(Module):
    r"""Rectified linear unit, :math:`y = \max(x, 0)`.

    Notes
    -----
    .. math::

        \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} \cdot [x > 0]

    At :math:`x = 0` the derivative is taken as 0, as in PyTorch. Any shape; dtype is kept.
    NaN stays NaN and :math:`-\infty` gives 0, as in PyTorch.
    """

    def __init__(self):
        self._positive = None
        self._dtype = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        _checks.floating_input("ReLU", x)
        self._positive, self._dtype = x > 0, x.dtype
        # np.maximum, not x * mask: -inf * 0 would be NaN. asarray keeps a 0-d input an array.
        return np.asarray(np.maximum(x, x.dtype.type(0)))

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        positive = self._cached(self._positive)
        _checks.upstream("ReLU", grad_out, positive.shape, self._dtype)
        return np.asarray(grad_out * positive)  # a multiply by the 0/1 mask: branch-free


class Sigmoid(Module):
    r"""Logistic function :math:`y = \sigma(x) = 1 / (1 + e^{-x})`.

    Notes
    -----
    .. math::

        \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\, y\,(1 - y)

    Computed as :math:`e^{\min(x, 0)} / (1 + e^{-|x|})`, which is :math:`1/(1+e^{-x})` for
    :math:`x \ge 0` and :math:`e^{x}/(1+e^{x})` otherwise: no exponential overflows, the limits 0 and 1
    are reached without warnings, and no branch is needed. For very negative :math:`x` the result
    underflows to 0 (its correct limit); that underflow is expected, so it is silenced even under
    ``np.errstate(all="raise")``.
    """

    def __init__(self):
        self._y = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        _checks.floating_input("Sigmoid", x)
        zero, one = x.dtype.type(0), x.dtype.type(1)
        with np.errstate(under="ignore"):
            y = np.minimum(x, zero, out=np.empty_like(x))        # numerator e^{min(x, 0)}
            np.exp(y, out=y)
            denom = np.abs(x, out=np.empty_like(x))              # 1 + e^{-|x|}, in place
            np.negative(denom, out=denom)
            np.exp(denom, out=denom)
            denom += one
            y /= denom
        self._y = y
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        y = self._cached(self._y)
        _checks.upstream("Sigmoid", grad_out, y.shape, y.dtype)
        with np.errstate(under="ignore"):
            return np.asarray(grad_out * y * (y.dtype.type(1) - y))

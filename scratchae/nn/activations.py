"""Element-wise activations: ReLU and Sigmoid."""

from __future__ import annotations

import numpy as np

from . import checks
from .functional import relu, relu_backward, sigmoid, sigmoid_backward
from .module import Module


class ReLU(Module):
    r"""Rectified linear unit, :math:`y = \max(x, 0)`.

    Notes
    -----
    .. math::

        \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} \cdot [x > 0]

    At :math:`x = 0` the derivative is taken as 0, as in PyTorch. Any shape; dtype is kept.
    NaN stays NaN and :math:`-\infty` gives 0, as in PyTorch. The element-wise loops are in
    :mod:`scratchae.kernels.reference.activations` (NumPy) and :mod:`scratchae.kernels.numba.activations`,
    called through :func:`scratchae.nn.functional.relu`.
    """

    def __init__(self):
        self._positive = None
        self._dtype = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        checks.floating_input("ReLU", x)
        y, self._positive = relu(x)
        self._dtype = x.dtype
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        positive = self._cached(self._positive)
        checks.upstream("ReLU", grad_out, positive.shape, self._dtype)
        return relu_backward(grad_out, positive)


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
        checks.floating_input("Sigmoid", x)
        y = sigmoid(x)
        self._y = y
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        y = self._cached(self._y)
        checks.upstream("Sigmoid", grad_out, y.shape, y.dtype)
        return sigmoid_backward(grad_out, y)

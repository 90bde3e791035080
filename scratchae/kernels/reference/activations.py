"""ReLU and the sigmoid, element by element, in plain NumPy.

.. math::

    y = \\max(x, 0), \\qquad \\frac{\\partial L}{\\partial x} = \\frac{\\partial L}{\\partial y} \\cdot [x > 0]

    y = \\sigma(x) = \\frac{e^{\\min(x, 0)}}{1 + e^{-|x|}}, \\qquad
    \\frac{\\partial L}{\\partial x} = \\frac{\\partial L}{\\partial y}\\, y\\,(1 - y)
"""

from __future__ import annotations

import numpy as np


def relu(x):
    """``(y, positive)``: ``y = max(x, 0)`` (NaN stays NaN, -inf gives 0) and the mask ``x > 0``."""
    # np.maximum, not x * mask: -inf * 0 would be NaN. asarray keeps a 0-d input an array.
    return np.asarray(np.maximum(x, x.dtype.type(0))), x > 0


def relu_backward(grad_y, positive):
    """``grad_y * [x > 0]``: the gradient passes where the input was positive."""
    return np.asarray(grad_y * positive)


def sigmoid(x):
    """``1 / (1 + e^-x)`` computed as ``e^min(x, 0) / (1 + e^-|x|)``: no exponential overflows, and the
    underflow of very negative inputs to 0 (their correct limit) raises no warning."""
    zero, one = x.dtype.type(0), x.dtype.type(1)
    with np.errstate(under="ignore"):
        y = np.minimum(x, zero, out=np.empty_like(x))  # numerator e^{min(x, 0)}
        np.exp(y, out=y)
        denom = np.abs(x, out=np.empty_like(x))  # 1 + e^{-|x|}, in place
        np.negative(denom, out=denom)
        np.exp(denom, out=denom)
        denom += one
        y /= denom
    return y


def sigmoid_backward(grad_y, y):
    """``grad_y * y * (1 - y)``."""
    with np.errstate(under="ignore"):
        return np.asarray(grad_y * y * (y.dtype.type(1) - y))

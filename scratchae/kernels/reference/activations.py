"""ReLU, element by element, in plain NumPy.

.. math::

    y = \\max(x, 0), \\qquad \\frac{\\partial L}{\\partial x} = \\frac{\\partial L}{\\partial y} \\cdot [x > 0]
"""

from __future__ import annotations

import numpy as np


def relu_forward(x):
    """``(y, positive)``: ``y = max(x, 0)`` (NaN stays NaN, -inf gives 0) and the mask ``x > 0``."""
    # np.maximum, not x * mask: -inf * 0 would be NaN. asarray keeps a 0-d input an array.
    return np.asarray(np.maximum(x, x.dtype.type(0))), x > 0


def relu_backward(grad_y, positive):
    """``grad_y * [x > 0]``: the gradient passes where the input was positive."""
    return np.asarray(grad_y * positive)

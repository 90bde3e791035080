"""ReLU compiled with Numba: same math and signatures as :mod:`scratchae.kernels.reference.activations`.

One pass writes both the output and the mask (NumPy needs two, and its float-times-bool product in
the backward converts the mask first): 3-5x faster on a 20x32x28x28 float32 batch.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def relu_forward_flat(x, y, positive):
    for i in range(x.size):
        value = x[i]
        positive[i] = value > 0
        y[i] = value if not value <= 0 else 0          # NaN is not <= 0: it stays NaN; -inf gives 0


@njit(cache=True, nogil=True)
def relu_backward_flat(grad_y, positive, grad_x):
    for i in range(grad_y.size):
        grad_x[i] = grad_y[i] if positive[i] else 0


# -- the interface shared with scratchae.kernels.reference.activations ---------------------------------

def _contiguous(a):
    return a if a.flags.c_contiguous else a.copy()      # (np.ascontiguousarray makes 0-d arrays 1-d)


def relu_forward(x):
    x = _contiguous(x)
    y, positive = np.empty_like(x), np.empty(x.shape, np.bool_)
    relu_forward_flat(x.reshape(-1), y.reshape(-1), positive.reshape(-1))
    return y, positive


def relu_backward(grad_y, positive):
    grad_y, positive = _contiguous(grad_y), _contiguous(positive)
    grad_x = np.empty_like(grad_y)
    relu_backward_flat(grad_y.reshape(-1), positive.reshape(-1), grad_x.reshape(-1))
    return grad_x

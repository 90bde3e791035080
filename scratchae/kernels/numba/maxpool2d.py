"""Max pooling compiled with Numba: same math and signatures as :mod:`scratchae.kernels.reference.maxpool2d`.

Instead of padding with -inf, each window is clipped to the input (the same thing, since padding never
wins and ``padding <= kernel_size / 2`` keeps at least one real pixel in every window). The scan is in
row-major order with a strict ``>``, so a tie keeps the first maximum; a NaN always wins (the last NaN
of a window), as in PyTorch.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def maxpool2d_forward(x, kh, kw, sh, sw, ph, pw, ho, wo):
    n_img, n_ch, h, w = x.shape
    y = np.empty((n_img, n_ch, ho, wo), x.dtype)
    indices = np.empty((n_img, n_ch, ho, wo), np.int64)
    for n in range(n_img):
        for c in range(n_ch):
            plane = x[n, c]
            for i in range(ho):
                r_lo = max(i * sh - ph, 0)
                r_hi = min(i * sh - ph + kh, h)
                for j in range(wo):
                    q_lo = max(j * sw - pw, 0)
                    q_hi = min(j * sw - pw + kw, w)
                    best = plane[r_lo, q_lo]
                    at = r_lo * w + q_lo
                    for r in range(r_lo, r_hi):
                        for q in range(q_lo, q_hi):
                            value = plane[r, q]
                            if value > best or value != value:      # value != value: NaN wins
                                best = value
                                at = r * w + q
                    y[n, c, i, j] = best
                    indices[n, c, i, j] = at
    return y, indices


@njit(cache=True)
def maxpool2d_forward_2x2(x, ho, wo):
    """The autoencoders' MaxPool2d(2, 2) without padding, unrolled: about 3x faster than the loop above."""
    n_img, n_ch, h, w = x.shape
    y = np.empty((n_img, n_ch, ho, wo), x.dtype)
    indices = np.empty((n_img, n_ch, ho, wo), np.int64)
    for n in range(n_img):
        for c in range(n_ch):
            for i in range(ho):
                top, bottom = x[n, c, 2 * i], x[n, c, 2 * i + 1]
                y_row, at_row = y[n, c, i], indices[n, c, i]
                corner = 2 * i * w
                for j in range(wo):
                    best, at = top[2 * j], corner + 2 * j
                    value = top[2 * j + 1]
                    if value > best or value != value:
                        best, at = value, corner + 2 * j + 1
                    value = bottom[2 * j]
                    if value > best or value != value:
                        best, at = value, corner + w + 2 * j
                    value = bottom[2 * j + 1]
                    if value > best or value != value:
                        best, at = value, corner + w + 2 * j + 1
                    y_row[j], at_row[j] = best, at
    return y, indices


@njit(cache=True)
def maxpool2d_backward(grad_y, indices, h, w):
    n_img, n_ch, ho, wo = grad_y.shape
    grad_x = np.zeros((n_img, n_ch, h * w), grad_y.dtype)
    for n in range(n_img):
        for c in range(n_ch):
            for i in range(ho):
                for j in range(wo):
                    grad_x[n, c, indices[n, c, i, j]] += grad_y[n, c, i, j]
    return grad_x.reshape(n_img, n_ch, h, w)


# -- the interface shared with scratchae.kernels.reference.maxpool2d ----------------------------------

def forward(x, kernel_hw, stride, padding, out_hw):
    if kernel_hw == (2, 2) and stride == (2, 2) and padding == (0, 0):
        return maxpool2d_forward_2x2(np.ascontiguousarray(x), *out_hw)
    return maxpool2d_forward(np.ascontiguousarray(x), *kernel_hw, *stride, *padding, *out_hw)


def backward(grad_y, indices, in_hw):
    return maxpool2d_backward(np.ascontiguousarray(grad_y), np.ascontiguousarray(indices), *in_hw)

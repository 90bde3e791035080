"""Max pooling compiled with Numba: same math and signatures as :mod:`scratchae.kernels.reference.maxpool2d`.

Instead of padding with -inf, each window is clipped to the input (the same thing, since padding never
wins and ``padding <= kernel_size / 2`` keeps at least one real pixel in every window; so does
``ceil_mode``, whose last window starts inside the input or its left padding). The scan is in
row-major order with a strict ``>``, so a tie keeps the first maximum; a NaN always wins (the last NaN
of a window), as in PyTorch.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, parallel=True)
def maxpool2d_forward(x, kh, kw, sh, sw, ph, pw, y, indices):
    n_img, n_ch, h, w = x.shape
    ho, wo = y.shape[2:]
    for n in prange(n_img):
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
                            if value > best or value != value:  # value != value: NaN wins
                                best = value
                                at = r * w + q
                    y[n, c, i, j] = best
                    indices[n, c, i, j] = at


@njit(cache=True, nogil=True, parallel=True)
def maxpool2d_forward_2x2(x, y, indices):
    """The autoencoders' MaxPool2d(2, 2) without padding, unrolled and branch-free.

    The four values of a window are compared in row-major order with selects (``a if c else b``)
    instead of branches, and positions are int32: then LLVM vectorizes the loop over windows (branches,
    or 64-bit positions next to 32-bit floats, keep it scalar).
    """
    n_img, n_ch, _, w = x.shape
    ho, wo = y.shape[2:]
    right, below, diagonal = np.int32(1), np.int32(w), np.int32(w + 1)
    for n in prange(n_img):
        for c in range(n_ch):
            for i in range(ho):
                top, bottom = x[n, c, 2 * i], x[n, c, 2 * i + 1]
                y_row, at_row = y[n, c, i], indices[n, c, i]
                corner = np.int32(2 * i * w)
                for j in range(wo):
                    best, at = top[2 * j], np.int32(0)
                    value = top[2 * j + 1]
                    wins = (value > best) | (value != value)  # value != value: NaN wins
                    best, at = (value, right) if wins else (best, at)
                    value = bottom[2 * j]
                    wins = (value > best) | (value != value)
                    best, at = (value, below) if wins else (best, at)
                    value = bottom[2 * j + 1]
                    wins = (value > best) | (value != value)
                    best, at = (value, diagonal) if wins else (best, at)
                    y_row[j] = best
                    at_row[j] = corner + np.int32(2 * j) + at


@njit(cache=True, nogil=True, parallel=True)
def maxpool2d_backward(grad_y, indices, grad_x):
    """grad_x (N, C, H * W) is cleared, then receives each output gradient at its maximum's place (the
    clearing is done here, image by image in parallel, rather than by a serial np.zeros)."""
    n_img, n_ch, ho, wo = grad_y.shape
    for n in prange(n_img):
        grad_x[n] = 0
        for c in range(n_ch):
            for i in range(ho):
                for j in range(wo):
                    grad_x[n, c, indices[n, c, i, j]] += grad_y[n, c, i, j]


# -- the interface shared with scratchae.kernels.reference.maxpool2d ----------------------------------


def max_pool2d(x, kernel_hw, stride, padding, out_hw):
    x = np.ascontiguousarray(x)
    y = np.empty((*x.shape[:2], *out_hw), x.dtype)
    indices = np.empty(y.shape, np.int32)  # flat positions in a plane (< 2**31 pixels)
    if (
        kernel_hw == (2, 2)
        and stride == (2, 2)
        and padding == (0, 0)
        and 2 * out_hw[0] <= x.shape[2]
        and 2 * out_hw[1] <= x.shape[3]
    ):  # not ceil_mode's half window
        maxpool2d_forward_2x2(x, y, indices)
    else:
        maxpool2d_forward(x, *kernel_hw, *stride, *padding, y, indices)
    return y, indices


def max_pool2d_backward(grad_y, indices, in_hw):
    grad_y, indices = np.ascontiguousarray(grad_y), np.ascontiguousarray(indices)
    grad_x = np.empty((*grad_y.shape[:2], in_hw[0] * in_hw[1]), grad_y.dtype)
    maxpool2d_backward(grad_y, indices, grad_x)
    return grad_x.reshape(*grad_y.shape[:2], *in_hw)

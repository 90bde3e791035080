"""Nearest upsampling compiled with Numba: same math and signatures as
:mod:`scratchae.kernels.reference.upsample`."""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, parallel=True)
def upsample_forward(x, fh, fw, y):
    n_img, n_ch, h, w = x.shape
    for n in prange(n_img):
        for c in range(n_ch):
            for r in range(h):
                for a in range(fh):
                    row = y[n, c, r * fh + a]
                    for q in range(w):
                        value = x[n, c, r, q]
                        for b in range(fw):
                            row[q * fw + b] = value


@njit(cache=True, nogil=True, parallel=True)
def upsample_backward(grad_y, fh, fw, grad_x):
    """grad_x (N, C, H, W), zeros on entry, receives the sum of each block of grad_y."""
    n_img, n_ch, h, w = grad_x.shape
    for n in prange(n_img):
        for c in range(n_ch):
            for r in range(h):
                out = grad_x[n, c, r]
                for a in range(fh):
                    row = grad_y[n, c, r * fh + a]
                    for q in range(w):
                        for b in range(fw):
                            out[q] += row[q * fw + b]


@njit(cache=True, nogil=True, parallel=True)
def upsample_forward_2x2(x, y):
    """Factor (2, 2), the autoencoders' case: the same loops with the block width fixed at 2, which
    LLVM vectorizes (the generic loop over a block width known only at run time stays scalar)."""
    n_img, n_ch, h, w = x.shape
    for n in prange(n_img):
        for c in range(n_ch):
            for r in range(h):
                src, top, bottom = x[n, c, r], y[n, c, 2 * r], y[n, c, 2 * r + 1]
                for q in range(w):
                    value = src[q]
                    top[2 * q] = value
                    top[2 * q + 1] = value
                    bottom[2 * q] = value
                    bottom[2 * q + 1] = value


@njit(cache=True, nogil=True, parallel=True)
def upsample_backward_2x2(grad_y, grad_x):
    """Factor (2, 2): grad_x[n, c, r, q] = sum of the 2x2 block of grad_y, vectorized as above."""
    n_img, n_ch, h, w = grad_x.shape
    for n in prange(n_img):
        for c in range(n_ch):
            for r in range(h):
                out, top, bottom = grad_x[n, c, r], grad_y[n, c, 2 * r], grad_y[n, c, 2 * r + 1]
                for q in range(w):
                    out[q] = (top[2 * q] + top[2 * q + 1]) + (bottom[2 * q] + bottom[2 * q + 1])


# -- the interface shared with scratchae.kernels.reference.upsample -----------------------------------


def upsample_nearest(x, factor):
    x = np.ascontiguousarray(x)
    n_img, n_ch, h, w = x.shape
    y = np.empty((n_img, n_ch, h * factor[0], w * factor[1]), x.dtype)
    if tuple(factor) == (2, 2):
        upsample_forward_2x2(x, y)
    else:
        upsample_forward(x, *factor, y)
    return y


def upsample_nearest_backward(grad_y, factor):
    grad_y = np.ascontiguousarray(grad_y)
    n_img, n_ch, ho, wo = grad_y.shape
    if tuple(factor) == (2, 2):
        grad_x = np.empty((n_img, n_ch, ho // 2, wo // 2), grad_y.dtype)
        upsample_backward_2x2(grad_y, grad_x)
        return grad_x
    grad_x = np.zeros((n_img, n_ch, ho // factor[0], wo // factor[1]), grad_y.dtype)
    upsample_backward(grad_y, *factor, grad_x)
    return grad_x

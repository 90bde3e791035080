"""Bilinear upsampling compiled with Numba: same math and signatures as
:mod:`scratchae.kernels.reference.bilinear`.

The source rows and columns and their weights come from the same
:func:`~scratchae.arithmetic.linear_source_indices`; the loops then visit each output pixel once. The
backward pass scatters into the input gradient of its own image only, so the images of a batch can go
to different threads without two threads ever adding into the same pixel.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ...arithmetic import linear_source_indices


@njit(cache=True, nogil=True, parallel=True)
def bilinear_forward(x, r0, r1, a0, a1, q0, q1, b0, b1, y):
    n_img, n_ch = x.shape[:2]
    ho, wo = y.shape[2:]
    for n in prange(n_img):
        for c in range(n_ch):
            plane, out = x[n, c], y[n, c]
            for i in range(ho):
                top, bottom = plane[r0[i]], plane[r1[i]]
                for j in range(wo):
                    out[i, j] = a0[i] * (b0[j] * top[q0[j]] + b1[j] * top[q1[j]]) + a1[i] * (
                        b0[j] * bottom[q0[j]] + b1[j] * bottom[q1[j]]
                    )


@njit(cache=True, nogil=True, parallel=True)
def bilinear_backward(grad_y, r0, r1, a0, a1, q0, q1, b0, b1, grad_x):
    """grad_x (N, C, H, W), zeros on entry, receives each output gradient at the four neighbours."""
    n_img, n_ch = grad_y.shape[:2]
    ho, wo = grad_y.shape[2:]
    for n in prange(n_img):
        for c in range(n_ch):
            g, out = grad_y[n, c], grad_x[n, c]
            for i in range(ho):
                top, bottom = out[r0[i]], out[r1[i]]
                for j in range(wo):
                    upper, lower = a0[i] * g[i, j], a1[i] * g[i, j]
                    top[q0[j]] += b0[j] * upper
                    top[q1[j]] += b1[j] * upper
                    bottom[q0[j]] += b0[j] * lower
                    bottom[q1[j]] += b1[j] * lower


def _indices(in_hw, out_hw, align_corners, scales, dtype):
    rows = linear_source_indices(in_hw[0], out_hw[0], align_corners, scales[0], dtype)
    cols = linear_source_indices(in_hw[1], out_hw[1], align_corners, scales[1], dtype)
    return (*rows, *cols)


# -- the interface shared with scratchae.kernels.reference.bilinear -----------------------------------


def upsample_bilinear(x, out_hw, align_corners, scales):
    x = np.ascontiguousarray(x)
    y = np.empty((*x.shape[:2], *out_hw), x.dtype)
    bilinear_forward(x, *_indices(x.shape[2:], out_hw, align_corners, scales, x.dtype), y)
    return y


def upsample_bilinear_backward(grad_y, in_hw, align_corners, scales):
    grad_y = np.ascontiguousarray(grad_y)
    grad_x = np.zeros((*grad_y.shape[:2], *in_hw), grad_y.dtype)
    bilinear_backward(grad_y, *_indices(in_hw, grad_y.shape[2:], align_corners, scales, grad_y.dtype), grad_x)
    return grad_x

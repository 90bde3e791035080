"""Nearest upsampling compiled with Numba: same math and signatures as
:mod:`scratchae.kernels.reference.upsample`."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def upsample_forward(x, fh, fw):
    n_img, n_ch, h, w = x.shape
    y = np.empty((n_img, n_ch, h * fh, w * fw), x.dtype)
    for n in range(n_img):
        for c in range(n_ch):
            for r in range(h):
                for a in range(fh):
                    row = y[n, c, r * fh + a]
                    for q in range(w):
                        value = x[n, c, r, q]
                        for b in range(fw):
                            row[q * fw + b] = value
    return y


@njit(cache=True)
def upsample_backward(grad_y, fh, fw):
    n_img, n_ch, ho, wo = grad_y.shape
    h, w = ho // fh, wo // fw
    grad_x = np.zeros((n_img, n_ch, h, w), grad_y.dtype)
    for n in range(n_img):
        for c in range(n_ch):
            for r in range(h):
                out = grad_x[n, c, r]
                for a in range(fh):
                    row = grad_y[n, c, r * fh + a]
                    for q in range(w):
                        for b in range(fw):
                            out[q] += row[q * fw + b]
    return grad_x


# -- the interface shared with scratchae.kernels.reference.upsample -----------------------------------

def forward(x, factor):
    return upsample_forward(np.ascontiguousarray(x), *factor)


def backward(grad_y, factor):
    return upsample_backward(np.ascontiguousarray(grad_y), *factor)

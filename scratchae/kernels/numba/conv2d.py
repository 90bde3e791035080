r"""Convolution kernels compiled with Numba: same math and signatures as
:mod:`scratchae.kernels.reference.conv2d`, arranged for speed.

How they are fast
-----------------
Every image plane is zero-padded once and handled as a *flat* array of ``H_p * W_p`` numbers
(:math:`H_p = H + 2p_h`, :math:`W_p = W + 2p_w`). With stride 1, output pixel :math:`(i, j)` reads the
input at :math:`(i + d_h u)W_p + (j + d_w v) = t + \text{off}_{u,v}` with :math:`t = iW_p + j`: for one
kernel offset the whole output plane is **one contiguous shifted copy** of the input plane, which LLVM
vectorizes. The output is computed "wide" (row stride :math:`W_p`, the last :math:`W_p - W_{out}`
columns of each row are garbage) and cropped at the end. Strided convolutions use plain row loops.

The input gradient (the transposed convolution) is the same shifted loop with the roles of source and
destination exchanged; the weight gradient is a dot product of the (wide, zero-padded) output gradient
with each shifted input plane. Loops go image -> channel -> kernel offset -> pixels, so that the innermost
loop runs over contiguous pixels and the plane being accumulated stays in the L1 cache.

Reductions use ``fastmath`` re-association so that LLVM may vectorize sums; that changes the rounding
of float32 sums (not their accuracy), as any BLAS does.
"""

from __future__ import annotations

import numpy as np
from numba import njit

FASTMATH = {"reassoc", "contract", "nsz"}


@njit(cache=True)
def _flat_padded(x, ph, pw):
    """Zero-padded copy of x (N, C, H, W) as (N, C, (H+2ph) * (W+2pw))."""
    n_img, n_ch, h, w = x.shape
    hp, wp = h + 2 * ph, w + 2 * pw
    xp = np.zeros((n_img, n_ch, hp, wp), x.dtype)
    xp[:, :, ph:ph + h, pw:pw + w] = x
    return xp.reshape(n_img, n_ch, hp * wp)


@njit(cache=True)
def _flat_wide(g, wp):
    """g (N, C, H_out, W_out) as (N, C, H_out * W_p): each row widened to W_p with zeros."""
    n_img, n_ch, ho, wo = g.shape
    gw = np.zeros((n_img, n_ch, ho, wp), g.dtype)
    gw[:, :, :, :wo] = g
    return gw.reshape(n_img, n_ch, ho * wp)


@njit(cache=True, fastmath=FASTMATH)
def conv2d_forward(x, weight, sh, sw, ph, pw, dh, dw, ho, wo):
    n_img, c_in, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    wp = w + 2 * pw
    xp = _flat_padded(x, ph, pw)
    y = np.empty((n_img, c_out, ho, wo), x.dtype)
    if sh == 1 and sw == 1:
        span = (ho - 1) * wp + wo                       # wide output: t = i * wp + j
        acc = np.empty(span, x.dtype)
        for n in range(n_img):
            for o in range(c_out):
                acc[:] = 0
                for c in range(c_in):
                    plane = xp[n, c]
                    for u in range(kh):
                        for v in range(kw):
                            wv = weight[o, c, u, v]
                            off = u * dh * wp + v * dw
                            for t in range(span):
                                acc[t] += wv * plane[off + t]
                for i in range(ho):
                    for j in range(wo):
                        y[n, o, i, j] = acc[i * wp + j]
    else:
        acc = np.empty(ho * wo, x.dtype)
        for n in range(n_img):
            for o in range(c_out):
                acc[:] = 0
                for c in range(c_in):
                    plane = xp[n, c]
                    for u in range(kh):
                        for v in range(kw):
                            wv = weight[o, c, u, v]
                            for i in range(ho):
                                base = (i * sh + u * dh) * wp + v * dw
                                for j in range(wo):
                                    acc[i * wo + j] += wv * plane[base + j * sw]
                for i in range(ho):
                    for j in range(wo):
                        y[n, o, i, j] = acc[i * wo + j]
    return y


@njit(cache=True, fastmath=FASTMATH)
def conv2d_input_grad(grad_y, weight, sh, sw, ph, pw, dh, dw, h, w):
    n_img, c_out, ho, wo = grad_y.shape
    _, c_in, kh, kw = weight.shape
    hp, wp = h + 2 * ph, w + 2 * pw
    grad_x = np.empty((n_img, c_in, h, w), grad_y.dtype)
    acc = np.empty(hp * wp, grad_y.dtype)              # one padded input-gradient plane
    if sh == 1 and sw == 1:
        span = (ho - 1) * wp + wo
        g = _flat_wide(grad_y, wp)
        for n in range(n_img):
            for c in range(c_in):
                acc[:] = 0
                for o in range(c_out):
                    gplane = g[n, o]
                    for u in range(kh):
                        for v in range(kw):
                            wv = weight[o, c, u, v]
                            off = u * dh * wp + v * dw
                            for t in range(span):
                                acc[off + t] += wv * gplane[t]
                for r in range(h):
                    for q in range(w):
                        grad_x[n, c, r, q] = acc[(r + ph) * wp + q + pw]
    else:
        g = grad_y.reshape(n_img, c_out, ho * wo)
        for n in range(n_img):
            for c in range(c_in):
                acc[:] = 0
                for o in range(c_out):
                    gplane = g[n, o]
                    for u in range(kh):
                        for v in range(kw):
                            wv = weight[o, c, u, v]
                            for i in range(ho):
                                base = (i * sh + u * dh) * wp + v * dw
                                for j in range(wo):
                                    acc[base + j * sw] += wv * gplane[i * wo + j]
                for r in range(h):
                    for q in range(w):
                        grad_x[n, c, r, q] = acc[(r + ph) * wp + q + pw]
    return grad_x


@njit(cache=True, fastmath=FASTMATH)
def conv2d_weight_grad(x, grad_y, sh, sw, ph, pw, dh, dw, kh, kw):
    n_img, c_in, h, w = x.shape
    _, c_out, ho, wo = grad_y.shape
    wp = w + 2 * pw
    xp = _flat_padded(x, ph, pw)
    grad_w = np.zeros((c_out, c_in, kh, kw), x.dtype)
    zero = grad_w[0, 0, 0, 0]                            # a 0 of the input's dtype: sums stay in it
    if sh == 1 and sw == 1:
        span = (ho - 1) * wp + wo
        g = _flat_wide(grad_y, wp)                       # zeros in the garbage columns
        for n in range(n_img):
            for o in range(c_out):
                gplane = g[n, o]
                for c in range(c_in):
                    plane = xp[n, c]
                    for u in range(kh):
                        for v in range(kw):
                            off = u * dh * wp + v * dw
                            s = zero
                            for t in range(span):
                                s += gplane[t] * plane[off + t]
                            grad_w[o, c, u, v] += s
    else:
        g = grad_y.reshape(n_img, c_out, ho * wo)
        for n in range(n_img):
            for o in range(c_out):
                gplane = g[n, o]
                for c in range(c_in):
                    plane = xp[n, c]
                    for u in range(kh):
                        for v in range(kw):
                            s = zero
                            for i in range(ho):
                                base = (i * sh + u * dh) * wp + v * dw
                                for j in range(wo):
                                    s += gplane[i * wo + j] * plane[base + j * sw]
                            grad_w[o, c, u, v] += s
    return grad_w


# -- the interface shared with scratchae.kernels.reference.conv2d -------------------------------------

def forward(x, weight, stride, padding, dilation, out_hw):
    return conv2d_forward(np.ascontiguousarray(x), np.ascontiguousarray(weight),
                          *stride, *padding, *dilation, *out_hw)


def input_grad(grad_y, weight, stride, padding, dilation, in_hw):
    return conv2d_input_grad(np.ascontiguousarray(grad_y), np.ascontiguousarray(weight),
                             *stride, *padding, *dilation, *in_hw)


def weight_grad(x, grad_y, stride, padding, dilation, kernel_hw):
    return conv2d_weight_grad(np.ascontiguousarray(x), np.ascontiguousarray(grad_y),
                              *stride, *padding, *dilation, *kernel_hw)

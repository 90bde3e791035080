r"""Convolution kernels compiled with Numba: the math and signatures of
:mod:`scratchae.kernels.reference.conv2d`, arranged so that every inner loop is a contiguous,
vectorizable ``a[t] += w * b[t]``.

The trick: strided, padded, dilated convolution as stride-1 shifted copies
--------------------------------------------------------------------------
Output pixel :math:`(i, j)` reads padded-input pixel :math:`(s_h i + d_h u,\ s_w j + d_w v)` for kernel tap
:math:`(u, v)`. Split the padded input into its :math:`s_h s_w` *phases* (``space-to-depth``): phase
:math:`(a, b)` keeps the rows :math:`r \equiv a \pmod{s_h}` and columns :math:`q \equiv b \pmod{s_w}`,
as a plane of :math:`H_q \times W_q` pixels (:math:`H_q = \lceil H_p / s_h \rceil`,
:math:`W_q = \lceil W_p / s_w \rceil`, with :math:`H_p = H + 2p_h`, :math:`W_p = W + 2p_w`). Tap
:math:`(u, v)` then reads phase :math:`(d_h u \bmod s_h,\ d_w v \bmod s_w)` at row
:math:`i + \lfloor d_h u / s_h \rfloor` and column :math:`j + \lfloor d_w v / s_w \rfloor`: a stride-1
access. Storing each plane flat, row after row, and the output "wide" with the same row length
:math:`W_q` (its last :math:`W_q - W_{out}` columns are don't-care, cropped at the end), pixel
:math:`t = i W_q + j` of the output reads pixel :math:`t + \text{offset}(u, v)` of a phase: for one tap
and one channel pair the whole output plane is **one shifted contiguous slice** of one phase plane.

- forward: ``y_wide[n, o] += w[o, c, u, v] * phase_slice(x[n, c], u, v)``
- input gradient (the transposed convolution): the same with source and destination exchanged,
  ``phase_slice(grad_x[n, c], u, v) += w[o, c, u, v] * grad_y_wide[n, o]``, then the phases are put back
  in place;
- weight gradient: ``grad_w[o, c, u, v] += dot(grad_y_wide[n, o], phase_slice(x[n, c], u, v))``, with zeros
  in the don't-care columns of ``grad_y_wide``.

With stride 1 there is a single phase: the padded plane itself. Loops run image -> channel -> tap ->
pixels, so the innermost loop walks contiguous memory and the plane being accumulated stays in L1.

Two ways to run these loops, chosen per call by channel count (:data:`GEMM_MIN_CHANNELS`):

- direct Numba loops, as written above (best when a layer has 1 input or 1 output channel);
- one BLAS matrix product per kernel tap: for tap :math:`(u, v)` the shifted slices of all :math:`C_{in}`
  phase planes of an image form a :math:`C_{in} \times \text{span}` matrix (a view, unit column stride),
  so ``y_wide[n] += w[:, :, u, v] @ slices[n]`` runs in BLAS without copying the input :math:`k_h k_w`
  times as im2col would (best when both channel counts are 4 or more).

Reductions use ``fastmath`` re-association so that LLVM may vectorize sums: float32 sums are rounded
in a different order than a plain loop (as in any BLAS), not less accurately.
"""

from __future__ import annotations

import numpy as np
from numba import njit

FASTMATH = {"reassoc", "contract", "nsz"}


@njit(cache=True)
def _phase_geometry(h, w, sh, sw, ph, pw):
    """Rows and columns (H_q, W_q) of one phase plane of the padded input."""
    return (h + 2 * ph + sh - 1) // sh, (w + 2 * pw + sw - 1) // sw


@njit(cache=True)
def _phase_span(size, pad, stride, phase, rows):
    """For phase ``phase`` along one dimension: the first and last-plus-one phase index whose padded
    position ``index * stride + phase`` is a real (unpadded) pixel, and that first pixel's position."""
    first = max(0, (pad - phase + stride - 1) // stride)
    last = min(rows, (size + pad - phase + stride - 1) // stride)
    return first, max(first, last), first * stride + phase - pad


@njit(cache=True)
def _to_phases(x, sh, sw, ph, pw):
    """Zero-padded x (N, C, H, W) split into phases: (N, C, s_h, s_w, H_q * W_q)."""
    n_img, n_ch, h, w = x.shape
    hq, wq = _phase_geometry(h, w, sh, sw, ph, pw)
    phases = np.zeros((n_img, n_ch, sh, sw, hq * wq), x.dtype)
    for a in range(sh):
        i_lo, i_hi, r_lo = _phase_span(h, ph, sh, a, hq)
        for b in range(sw):
            j_lo, j_hi, q_lo = _phase_span(w, pw, sw, b, wq)
            width = j_hi - j_lo
            for n in range(n_img):
                for c in range(n_ch):
                    plane = phases[n, c, a, b]
                    for i in range(i_lo, i_hi):
                        r = r_lo + (i - i_lo) * sh
                        plane[i * wq + j_lo:i * wq + j_hi] = x[n, c, r, q_lo:q_lo + sw * width:sw]
    return phases


@njit(cache=True)
def _from_phases(phases, h, w, sh, sw, ph, pw):
    """The inverse of :func:`_to_phases` without the padding: (N, C, s_h, s_w, H_q * W_q) -> (N, C, H, W)."""
    n_img, n_ch = phases.shape[:2]
    hq, wq = _phase_geometry(h, w, sh, sw, ph, pw)
    x = np.empty((n_img, n_ch, h, w), phases.dtype)
    for a in range(sh):
        i_lo, i_hi, r_lo = _phase_span(h, ph, sh, a, hq)
        for b in range(sw):
            j_lo, j_hi, q_lo = _phase_span(w, pw, sw, b, wq)
            width = j_hi - j_lo
            for n in range(n_img):
                for c in range(n_ch):
                    plane = phases[n, c, a, b]
                    for i in range(i_lo, i_hi):
                        r = r_lo + (i - i_lo) * sh
                        x[n, c, r, q_lo:q_lo + sw * width:sw] = plane[i * wq + j_lo:i * wq + j_hi]
    return x


@njit(cache=True)
def _widened(g, wq):
    """g (N, C, H_out, W_out) as (N, C, H_out * W_q): rows widened to W_q with zeros."""
    n_img, n_ch, ho, wo = g.shape
    wide = np.zeros((n_img, n_ch, ho, wq), g.dtype)
    wide[:, :, :, :wo] = g
    return wide.reshape(n_img, n_ch, ho * wq)


@njit(cache=True)
def _tap(u, v, sh, sw, dh, dw, wq):
    """Phase (a, b) and flat offset in that phase plane read by kernel tap (u, v)."""
    return (u * dh) % sh, (v * dw) % sw, ((u * dh) // sh) * wq + (v * dw) // sw


@njit(cache=True, fastmath=FASTMATH)
def conv2d_forward(x, weight, sh, sw, ph, pw, dh, dw, ho, wo):
    n_img, c_in, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    wq = _phase_geometry(h, w, sh, sw, ph, pw)[1]
    phases = _to_phases(x, sh, sw, ph, pw)
    span = (ho - 1) * wq + wo                            # wide output: t = i * wq + j
    acc = np.empty(span, x.dtype)
    y = np.empty((n_img, c_out, ho, wo), x.dtype)
    for n in range(n_img):
        for o in range(c_out):
            acc[:] = 0
            for c in range(c_in):
                for u in range(kh):
                    for v in range(kw):
                        a, b, off = _tap(u, v, sh, sw, dh, dw, wq)
                        src = phases[n, c, a, b, off:off + span]
                        wv = weight[o, c, u, v]
                        for t in range(span):
                            acc[t] += wv * src[t]
            for i in range(ho):
                y[n, o, i, :] = acc[i * wq:i * wq + wo]
    return y


@njit(cache=True, fastmath=FASTMATH)
def conv2d_input_grad(grad_y, weight, sh, sw, ph, pw, dh, dw, h, w):
    n_img, c_out, ho, wo = grad_y.shape
    _, c_in, kh, kw = weight.shape
    hq, wq = _phase_geometry(h, w, sh, sw, ph, pw)
    g = _widened(grad_y, wq)
    span = (ho - 1) * wq + wo
    grad_phases = np.zeros((n_img, c_in, sh, sw, hq * wq), grad_y.dtype)
    for n in range(n_img):
        for c in range(c_in):
            for o in range(c_out):
                src = g[n, o, :span]
                for u in range(kh):
                    for v in range(kw):
                        a, b, off = _tap(u, v, sh, sw, dh, dw, wq)
                        dst = grad_phases[n, c, a, b, off:off + span]
                        wv = weight[o, c, u, v]
                        for t in range(span):
                            dst[t] += wv * src[t]
    return _from_phases(grad_phases, h, w, sh, sw, ph, pw)


@njit(cache=True, fastmath=FASTMATH)
def conv2d_weight_grad(x, grad_y, sh, sw, ph, pw, dh, dw, kh, kw):
    n_img, c_in, h, w = x.shape
    _, c_out, ho, wo = grad_y.shape
    wq = _phase_geometry(h, w, sh, sw, ph, pw)[1]
    phases = _to_phases(x, sh, sw, ph, pw)
    g = _widened(grad_y, wq)                             # zeros in the don't-care columns
    span = (ho - 1) * wq + wo
    grad_w = np.zeros((c_out, c_in, kh, kw), x.dtype)
    for n in range(n_img):
        for o in range(c_out):
            gy = g[n, o, :span]
            for c in range(c_in):
                for u in range(kh):
                    for v in range(kw):
                        a, b, off = _tap(u, v, sh, sw, dh, dw, wq)
                        src = phases[n, c, a, b, off:off + span]
                        s = grad_w[o, c, u, v]
                        for t in range(span):
                            s += gy[t] * src[t]
                        grad_w[o, c, u, v] = s
    return grad_w


@njit(cache=True)
def _cropped(wide, ho, wo, wq):
    """Wide rows (N, C, >= (H_out - 1) * W_q + W_out) -> (N, C, H_out, W_out)."""
    n_img, n_ch = wide.shape[:2]
    y = np.empty((n_img, n_ch, ho, wo), wide.dtype)
    for n in range(n_img):
        for c in range(n_ch):
            for i in range(ho):
                y[n, c, i, :] = wide[n, c, i * wq:i * wq + wo]
    return y


# -- the same three operations as one small matrix product per kernel tap (BLAS) ----------------------
# For tap (u, v), the shifted slices of all C_in phase planes of image n form a (C_in, span) matrix with
# unit column stride, so  y_wide[n] += w[:, :, u, v] @ slices[n]  is a BLAS call on views, without the
# kH*kW-fold copy of im2col. Worth it when both channel counts are large enough to fill a matrix product.

def _taps(kh, kw, sh, sw, dh, dw, wq):
    return [(u, v, *_tap(u, v, sh, sw, dh, dw, wq)) for u in range(kh) for v in range(kw)]


def _forward_gemm(x, weight, sh, sw, ph, pw, dh, dw, ho, wo):
    n_img, _, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    wq = _phase_geometry(h, w, sh, sw, ph, pw)[1]
    span = (ho - 1) * wq + wo
    phases = _to_phases(x, sh, sw, ph, pw)
    taps = np.ascontiguousarray(weight.transpose(2, 3, 0, 1))           # (kH, kW, C_out, C_in)
    wide = np.zeros((n_img, c_out, span), x.dtype)
    product = np.empty_like(wide)
    for u, v, a, b, off in _taps(kh, kw, sh, sw, dh, dw, wq):
        np.matmul(taps[u, v], phases[:, :, a, b, off:off + span], out=product)
        wide += product
    return _cropped(wide, ho, wo, wq)


def _input_grad_gemm(grad_y, weight, sh, sw, ph, pw, dh, dw, h, w):
    n_img, _, ho, wo = grad_y.shape
    _, c_in, kh, kw = weight.shape
    hq, wq = _phase_geometry(h, w, sh, sw, ph, pw)
    span = (ho - 1) * wq + wo
    g = _widened(grad_y, wq)[:, :, :span]
    taps = np.ascontiguousarray(weight.transpose(2, 3, 1, 0))           # (kH, kW, C_in, C_out)
    grad_phases = np.zeros((n_img, c_in, sh, sw, hq * wq), grad_y.dtype)
    product = np.empty((n_img, c_in, span), grad_y.dtype)
    for u, v, a, b, off in _taps(kh, kw, sh, sw, dh, dw, wq):
        np.matmul(taps[u, v], g, out=product)
        grad_phases[:, :, a, b, off:off + span] += product
    return _from_phases(grad_phases, h, w, sh, sw, ph, pw)


def _weight_grad_gemm(x, grad_y, sh, sw, ph, pw, dh, dw, kh, kw):
    n_img, c_in, h, w = x.shape
    _, c_out, ho, wo = grad_y.shape
    wq = _phase_geometry(h, w, sh, sw, ph, pw)[1]
    span = (ho - 1) * wq + wo
    phases = _to_phases(x, sh, sw, ph, pw)
    g = _widened(grad_y, wq)[:, :, :span]
    grad_w = np.empty((c_out, c_in, kh, kw), x.dtype)
    for u, v, a, b, off in _taps(kh, kw, sh, sw, dh, dw, wq):
        per_image = np.matmul(g, phases[:, :, a, b, off:off + span].transpose(0, 2, 1))   # (N, C_out, C_in)
        grad_w[:, :, u, v] = per_image.sum(axis=0)
    return grad_w


GEMM_MIN_CHANNELS = 4


def _gemm_pays(c_a, c_b):
    return min(c_a, c_b) >= GEMM_MIN_CHANNELS


# -- the interface shared with scratchae.kernels.reference.conv2d -------------------------------------

def forward(x, weight, stride, padding, dilation, out_hw):
    kernel = _forward_gemm if _gemm_pays(*weight.shape[:2]) else conv2d_forward
    return kernel(np.ascontiguousarray(x), np.ascontiguousarray(weight),
                          *stride, *padding, *dilation, *out_hw)


def input_grad(grad_y, weight, stride, padding, dilation, in_hw):
    kernel = _input_grad_gemm if _gemm_pays(*weight.shape[:2]) else conv2d_input_grad
    return kernel(np.ascontiguousarray(grad_y), np.ascontiguousarray(weight),
                             *stride, *padding, *dilation, *in_hw)


def weight_grad(x, grad_y, stride, padding, dilation, kernel_hw):
    kernel = _weight_grad_gemm if _gemm_pays(x.shape[1], grad_y.shape[1]) else conv2d_weight_grad
    return kernel(np.ascontiguousarray(x), np.ascontiguousarray(grad_y),
                              *stride, *padding, *dilation, *kernel_hw)

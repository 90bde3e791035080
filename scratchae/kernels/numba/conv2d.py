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
  in place (with stride 1 it is instead computed as a forward convolution with the flipped kernel:
  see :func:`input_grad`);
- weight gradient: ``grad_w[o, c, u, v] += dot(grad_y_wide[n, o], phase_slice(x[n, c], u, v))``, with zeros
  in the don't-care columns of ``grad_y_wide``.

With stride 1 there is a single phase: the padded plane itself. Loops run image -> channel -> taps
(three at a time) -> pixels, so the innermost loop walks contiguous memory and the plane being
accumulated stays in L1.

Two ways to run these loops, chosen per call by channel count (:data:`GEMM_MIN_CHANNELS`):

- direct Numba loops, as written above (best when a layer has 1 input or 1 output channel);
- one BLAS matrix product per kernel tap: for tap :math:`(u, v)` the shifted slices of all :math:`C_{in}`
  phase planes of an image form a :math:`C_{in} \times \text{span}` matrix (a view, unit column stride),
  so ``y_wide[n] += w[:, :, u, v] @ slices[n]`` runs in BLAS without copying the input :math:`k_h k_w`
  times as im2col would (best when both channel counts are 4 or more).

Division of labour: the layout changes (zero padding, the phase split and its inverse, widening and
cropping rows) are NumPy slice assignments, which copy strided memory at C speed; the Numba kernels only
run the multiply-add loops, each over two contiguous 1-D slices (a loop that LLVM vectorizes). Element-
by-element index arithmetic inside Numba (``out[i * W + j] = ...``) was measured to be several times
slower than either.

Reductions use ``fastmath`` re-association so that LLVM may vectorize sums: float32 sums are rounded
in a different order than a plain loop (as in any BLAS), not less accurately.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import njit

from . import batch_threads
from .workspace import scratch

FASTMATH = {"reassoc", "contract", "nsz"}


# -- layout: phases, widened rows, cropping (NumPy slicing) -------------------------------------------

def _phase_geometry(h, w, sh, sw, ph, pw):
    """Rows and columns (H_q, W_q) of one phase plane of the padded input."""
    return (h + 2 * ph + sh - 1) // sh, (w + 2 * pw + sw - 1) // sw


def _phase_span(size, pad, stride, phase, rows):
    """For phase ``phase`` along one dimension: the slice of phase indices whose padded position
    ``index * stride + phase`` is a real (unpadded) pixel, and the slice of those pixels in the input."""
    first = max(0, (pad - phase + stride - 1) // stride)
    last = max(first, min(rows, (size + pad - phase + stride - 1) // stride))
    start = first * stride + phase - pad
    return slice(first, last), slice(start, start + (last - first - 1) * stride + 1, stride)


def _to_phases(x, sh, sw, ph, pw):
    """Zero-padded x (N, C, H, W) split into phases: (N, C, s_h * s_w, H_q * W_q), phase a * s_w + b."""
    n_img, n_ch, h, w = x.shape
    hq, wq = _phase_geometry(h, w, sh, sw, ph, pw)
    # the padding stays zero: every call with this geometry writes the same interior elements
    phases = scratch(("phases", h, w, ph, pw), (n_img, n_ch, sh, sw, hq, wq), x.dtype, zeroed=True)
    if _plain_2x2(h, w, sh, sw, ph, pw):
        _split_2x2(x, phases)
        return phases.reshape(n_img, n_ch, 4, hq * wq)
    for a in range(sh):
        rows_q, rows_x = _phase_span(h, ph, sh, a, hq)
        for b in range(sw):
            cols_q, cols_x = _phase_span(w, pw, sw, b, wq)
            phases[:, :, a, b, rows_q, cols_q] = x[:, :, rows_x, cols_x]
    return phases.reshape(n_img, n_ch, sh * sw, hq * wq)


def _from_phases(phases, h, w, sh, sw, ph, pw, x):
    """The inverse of :func:`_to_phases` without the padding: (N, C, s_h * s_w, H_q * W_q) -> x (N, C, H, W)."""
    n_img, n_ch = phases.shape[:2]
    hq, wq = _phase_geometry(h, w, sh, sw, ph, pw)
    planes = phases.reshape(n_img, n_ch, sh, sw, hq, wq)
    if _plain_2x2(h, w, sh, sw, ph, pw):
        _merge_2x2(planes, x)
        return x
    for a in range(sh):
        rows_q, rows_x = _phase_span(h, ph, sh, a, hq)
        for b in range(sw):
            cols_q, cols_x = _phase_span(w, pw, sw, b, wq)
            x[:, :, rows_x, cols_x] = planes[:, :, a, b, rows_q, cols_q]
    return x


def _plain_2x2(h, w, sh, sw, ph, pw):
    """Stride 2 without padding on even sizes: the autoencoders' strided layers."""
    return (sh, sw, ph, pw) == (2, 2, 0, 0) and h % 2 == 0 and w % 2 == 0


@njit(cache=True, nogil=True)
def _split_2x2(x, phases):
    """phases[n, c, a, b, i, j] = x[n, c, 2i + a, 2j + b]: the four phases of stride 2, in one pass.

    A special case of :func:`_to_phases` because NumPy's four stride-2 slice copies are 2.3x slower
    than this loop, whose constant stride 2 LLVM vectorizes.
    """
    n_img, n_ch, hq, wq = x.shape[0], x.shape[1], x.shape[2] // 2, x.shape[3] // 2
    for n in range(n_img):
        for c in range(n_ch):
            for i in range(hq):
                for a in range(2):
                    row, even, odd = x[n, c, 2 * i + a], phases[n, c, a, 0, i], phases[n, c, a, 1, i]
                    for j in range(wq):
                        even[j] = row[2 * j]
                        odd[j] = row[2 * j + 1]


@njit(cache=True, nogil=True)
def _merge_2x2(planes, x):
    """The inverse of :func:`_split_2x2`: x[n, c, 2i + a, 2j + b] = planes[n, c, a, b, i, j]."""
    n_img, n_ch, hq, wq = x.shape[0], x.shape[1], x.shape[2] // 2, x.shape[3] // 2
    for n in range(n_img):
        for c in range(n_ch):
            for i in range(hq):
                for a in range(2):
                    row, even, odd = x[n, c, 2 * i + a], planes[n, c, a, 0, i], planes[n, c, a, 1, i]
                    for j in range(wq):
                        row[2 * j] = even[j]
                        row[2 * j + 1] = odd[j]


def _widened(g, wq):
    """g (N, C, H_out, W_out) as (N, C, H_out * W_q): rows widened to W_q with zeros."""
    n_img, n_ch, ho, wo = g.shape
    wide = scratch(("widened", wo), (n_img, n_ch, ho, wq), g.dtype, zeroed=True)   # zero columns stay
    wide[:, :, :, :wo] = g
    return wide.reshape(n_img, n_ch, ho * wq)


def _crop(wide, ho, wo, wq, y):
    """Wide rows (N, C, H_out * W_q) -> y (N, C, H_out, W_out)."""
    y[...] = wide.reshape(wide.shape[0], wide.shape[1], ho, wq)[:, :, :, :wo]


@functools.lru_cache(maxsize=256)
def _tap_table(kh, kw, sh, sw, dh, dw, wq):
    """For every kernel tap (u, v): the phase it reads and its flat offset in that phase plane.

    Tap (u, v) reads phase ((d_h u) mod s_h, (d_w v) mod s_w) at row i + floor(d_h u / s_h) and column
    j + floor(d_w v / s_w), i.e. at flat offset floor(d_h u / s_h) * W_q + floor(d_w v / s_w) from t.
    """
    u, v = np.meshgrid(np.arange(kh) * dh, np.arange(kw) * dw, indexing="ij")
    tap_phase, tap_offset = (u % sh) * sw + v % sw, (u // sh) * wq + v // sw
    tap_phase.flags.writeable = tap_offset.flags.writeable = False          # shared by every call
    return tap_phase, tap_offset


# -- the multiply-add loops (Numba) -------------------------------------------------------------------
# The kernels walk a flat list of the C_in * kH * kW "taps" (c, u, v), in the order of
# weight.reshape(C_out, -1): tap k reads channel tap_channel[k], phase tap_phase[k], from flat offset
# tap_offset[k] on. Taps are taken three at a time, so that each pass over a plane does three
# multiply-adds per load and store of the accumulated plane (one at a time, the loop is limited by those
# loads and stores: three at a time measured ~30% faster; six was no better than three).

@functools.lru_cache(maxsize=256)
def _flat_taps(c_in, kh, kw, sh, sw, dh, dw, wq):
    """(tap_channel, tap_phase, tap_offset), each of length C_in * kH * kW, in (c, u, v) order."""
    tap_phase, tap_offset = _tap_table(kh, kw, sh, sw, dh, dw, wq)
    flat = (np.repeat(np.arange(c_in), kh * kw), np.tile(tap_phase.ravel(), c_in),
            np.tile(tap_offset.ravel(), c_in))
    for array in flat:
        array.flags.writeable = False
    return flat


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def _add_scaled(acc, w, s):
    """acc += w * s."""
    for t in range(acc.size):
        acc[t] += w * s[t]


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def _add_scaled3(acc, w0, s0, w1, s1, w2, s2):
    """acc += w0 * s0 + w1 * s1 + w2 * s2: one load and store of acc for three multiply-adds."""
    for t in range(acc.size):
        acc[t] += w0 * s0[t] + w1 * s1[t] + w2 * s2[t]


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def _dot(g, s):
    total = g.dtype.type(0)
    for t in range(g.size):
        total += g[t] * s[t]
    return total


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def _dot3(g, s0, s1, s2):
    """(g . s0, g . s1, g . s2) with one load of g for three products."""
    a = b = c = g.dtype.type(0)
    for t in range(g.size):
        a += g[t] * s0[t]
        b += g[t] * s1[t]
        c += g[t] * s2[t]
    return a, b, c


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def conv2d_forward_wide(phases, weight, tap_channel, tap_phase, tap_offset, span, y):
    """y[n, o, t] = sum over taps k of w[o, k] * phase_plane[n, c_k, phase_k][t + offset_k], t < span."""
    n_img = phases.shape[0]
    c_out, n_taps = weight.shape
    for n in range(n_img):
        planes = phases[n]
        for o in range(c_out):
            acc = y[n, o, :span]
            acc[:] = 0
            w = weight[o]
            k = 0
            while k + 3 <= n_taps:
                a, b, c = tap_offset[k], tap_offset[k + 1], tap_offset[k + 2]
                _add_scaled3(acc, w[k], planes[tap_channel[k], tap_phase[k], a:a + span],
                             w[k + 1], planes[tap_channel[k + 1], tap_phase[k + 1], b:b + span],
                             w[k + 2], planes[tap_channel[k + 2], tap_phase[k + 2], c:c + span])
                k += 3
            for k in range(k, n_taps):
                a = tap_offset[k]
                _add_scaled(acc, w[k], planes[tap_channel[k], tap_phase[k], a:a + span])


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def conv2d_input_grad_phases(g, weight, tap_channel, tap_phase, tap_offset, span, grad_phases):
    """grad_phase_plane[n, c_k, phase_k][t + offset_k] = sum over o of w[o, k] * g_wide[n, o, t]:
    the forward's scatter, three output channels at a time."""
    n_img, c_out = g.shape[:2]
    n_taps = weight.shape[1]
    for n in range(n_img):
        grad_phases[n] = 0
        for k in range(n_taps):
            a = tap_offset[k]
            dst = grad_phases[n, tap_channel[k], tap_phase[k], a:a + span]
            o = 0
            while o + 3 <= c_out:
                _add_scaled3(dst, weight[o, k], g[n, o, :span], weight[o + 1, k], g[n, o + 1, :span],
                             weight[o + 2, k], g[n, o + 2, :span])
                o += 3
            for o in range(o, c_out):
                _add_scaled(dst, weight[o, k], g[n, o, :span])


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def conv2d_weight_grad_phases(phases, g, tap_channel, tap_phase, tap_offset, span):
    """grad_w[o, k] = sum over n, t of g_wide[n, o, t] * phase_plane[n, c_k, phase_k][t + offset_k]."""
    n_img, c_out = g.shape[:2]
    n_taps = tap_channel.size
    grad_w = np.zeros((c_out, n_taps), phases.dtype)
    for n in range(n_img):
        planes = phases[n]
        for o in range(c_out):
            gy = g[n, o, :span]
            k = 0
            while k + 3 <= n_taps:
                a, b, c = tap_offset[k], tap_offset[k + 1], tap_offset[k + 2]
                d0, d1, d2 = _dot3(gy, planes[tap_channel[k], tap_phase[k], a:a + span],
                                   planes[tap_channel[k + 1], tap_phase[k + 1], b:b + span],
                                   planes[tap_channel[k + 2], tap_phase[k + 2], c:c + span])
                grad_w[o, k] += d0
                grad_w[o, k + 1] += d1
                grad_w[o, k + 2] += d2
                k += 3
            for k in range(k, n_taps):
                a = tap_offset[k]
                grad_w[o, k] += _dot(gy, planes[tap_channel[k], tap_phase[k], a:a + span])
    return grad_w


# -- the same three operations as one small matrix product per kernel tap (BLAS) ----------------------
# For tap (u, v), the shifted slices of all C_in phase planes of image n form a (C_in, span) matrix with
# unit column stride, so  y_wide[n] += w[:, :, u, v] @ slices[n]  is a BLAS call on views, without the
# kH*kW-fold copy of im2col. Worth it when both channel counts are large enough to fill a matrix product.

def _forward_gemm(phases, weight, tap_phase, tap_offset, span, wide_len):
    n_img = phases.shape[0]
    c_out, _, kh, kw = weight.shape
    taps = np.ascontiguousarray(weight.transpose(2, 3, 0, 1))           # (kH, kW, C_out, C_in)
    acc = scratch("acc", (n_img, c_out, span), phases.dtype)
    product = scratch("product", (n_img, c_out, span), phases.dtype)
    for u in range(kh):
        for v in range(kw):
            off = tap_offset[u, v]
            first = u == 0 and v == 0
            np.matmul(taps[u, v], phases[:, :, tap_phase[u, v], off:off + span], out=acc if first else product)
            if not first:
                acc += product
    wide = scratch("wide", (n_img, c_out, wide_len), phases.dtype)
    wide[:, :, :span] = acc
    return wide


def _input_grad_gemm(g, weight, tap_phase, tap_offset, span, n_phases, plane_len):
    n_img = g.shape[0]
    _, c_in, kh, kw = weight.shape
    taps = np.ascontiguousarray(weight.transpose(2, 3, 1, 0))           # (kH, kW, C_in, C_out)
    grad_phases = scratch("grad_phases", (n_img, c_in, n_phases, plane_len), g.dtype)
    g = g[:, :, :span]
    if _one_tap_per_phase(tap_phase, tap_offset, n_phases) and span == plane_len:
        # kernel size == stride (e.g. a 2x2, stride-2 transposed convolution): every phase plane is
        # exactly one tap's product, written in place
        for u in range(kh):
            for v in range(kw):
                np.matmul(taps[u, v], g, out=grad_phases[:, :, tap_phase[u, v], :])
        return grad_phases
    grad_phases.fill(0)
    product = scratch("product", (n_img, c_in, span), g.dtype)
    for u in range(kh):
        for v in range(kw):
            off = tap_offset[u, v]
            np.matmul(taps[u, v], g, out=product)
            grad_phases[:, :, tap_phase[u, v], off:off + span] += product
    return grad_phases


def _one_tap_per_phase(tap_phase, tap_offset, n_phases):
    """Whether each phase plane is read by exactly one tap, from its start (non-overlapping taps)."""
    return sorted(tap_phase.ravel().tolist()) == list(range(n_phases)) and not tap_offset.any()


def _weight_grad_gemm(phases, g, tap_phase, tap_offset, span, kh, kw):
    c_in, c_out = phases.shape[1], g.shape[1]
    g = g[:, :, :span]
    grad_w = np.empty((c_out, c_in, kh, kw), phases.dtype)
    for u in range(kh):
        for v in range(kw):
            off = tap_offset[u, v]
            slices = phases[:, :, tap_phase[u, v], off:off + span]
            grad_w[:, :, u, v] = np.matmul(g, slices.transpose(0, 2, 1)).sum(axis=0)   # (C_out, C_in)
    return grad_w


def _weight_grad_side_by_side(x, grad_y, padding, dilation, kernel_hw):
    r"""Weight gradient of a light stride-1 layer: one matrix product per tap for the whole batch.

    The padded images of each channel are laid side by side in one row, ``xs`` (C_in, N H_p W_p), and
    grad_y likewise, widened with zeros to the same plane size, ``gs`` (C_out, N H_p W_p). Tap (u, v) then
    reads all images at once at one flat offset, so
    :math:`
abla W_{:, :, u, v} = gs_{:, :L}\, xs_{:, o_{uv} : o_{uv} + L}^T` with
    :math:`o_{uv} = d_h u W_p + d_w v`: the zero columns of ``gs`` cancel the reads that cross into the
    next image. Instead of N small products per tap: measured ~25-35% faster on the autoencoders' light
    layers at batch 20, but slower on heavy ones (where one large product is slower than N small ones).
    """
    (ph, pw), (dh, dw), (kh, kw) = padding, dilation, kernel_hw
    n_img, c_in, h, w = x.shape
    _, c_out, ho, wo = grad_y.shape
    hp, wp = h + 2 * ph, w + 2 * pw
    length = (n_img - 1) * hp * wp + (ho - 1) * wp + wo
    xs = scratch(("side_by_side_x", ph, pw), (c_in, n_img, hp, wp), x.dtype, zeroed=True)
    xs[:, :, ph:ph + h, pw:pw + w] = x.transpose(1, 0, 2, 3)              # the padding stays zero
    gs = scratch(("side_by_side_g", ho, wo), (c_out, n_img, hp, wp), x.dtype, zeroed=True)
    gs[:, :, :ho, :wo] = grad_y.transpose(1, 0, 2, 3)                     # the rest stays zero
    xs, gs = xs.reshape(c_in, -1), gs.reshape(c_out, -1)[:, :length]
    grad_w = np.empty((c_out, c_in, kh, kw), x.dtype)
    for u in range(kh):
        for v in range(kw):
            offset = dh * u * wp + dw * v
            grad_w[:, :, u, v] = gs @ xs[:, offset:offset + length].T
    return grad_w


GEMM_MIN_CHANNELS = 4


def _gemm_pays(c_a, c_b):
    return min(c_a, c_b) >= GEMM_MIN_CHANNELS


# -- the interface shared with scratchae.kernels.reference.conv2d -------------------------------------
# Each function computes its batch in one or two parts (batch_threads.split: two halves at the same time
# for a large or heavy batch), every part writing its own images of the result.


#: BLAS runs the matrix-product path about this many times more FLOP/s than the direct loops (measured
#: 50-70 vs ~24 GFLOP/s on one core): a BLAS call is worth two threads only at as many times more work
BLAS_SPEEDUP = 3


def _cost(n_img, c_out, c_in, kh, kw, ho, wo):
    """The cost of one of the three products for :func:`batch_threads.split`: its floating-point
    operations (a multiply and an add per weight and output pixel), in direct-loop equivalents."""
    flops = 2 * n_img * c_out * c_in * kh * kw * ho * wo
    return flops / BLAS_SPEEDUP if _gemm_pays(c_out, c_in) else flops


def forward(x, weight, stride, padding, dilation, out_hw):
    (sh, sw), (ph, pw), (dh, dw), (ho, wo) = stride, padding, dilation, out_hw
    c_out, c_in, kh, kw = weight.shape
    wq = _phase_geometry(x.shape[2], x.shape[3], sh, sw, ph, pw)[1]
    span = (ho - 1) * wq + wo
    weight = np.ascontiguousarray(weight)
    y = np.empty((x.shape[0], c_out, ho, wo), x.dtype)

    def images(part):
        phases = _to_phases(x[part], sh, sw, ph, pw)
        if _gemm_pays(c_out, c_in):
            wide = _forward_gemm(phases, weight, *_tap_table(kh, kw, sh, sw, dh, dw, wq), span, ho * wq)
        else:
            wide = scratch("wide", (phases.shape[0], c_out, ho * wq), x.dtype)
            conv2d_forward_wide(phases, weight.reshape(c_out, -1),
                                *_flat_taps(c_in, kh, kw, sh, sw, dh, dw, wq), span, wide)
        _crop(wide, ho, wo, wq, y[part])

    batch_threads.run(images, batch_threads.split(len(x), _cost(len(x), c_out, c_in, kh, kw, ho, wo)))
    return y


def input_grad(grad_y, weight, stride, padding, dilation, in_hw):
    (sh, sw), (ph, pw), (dh, dw), (h, w) = stride, padding, dilation, in_hw
    _, _, ho, wo = grad_y.shape
    c_out, c_in, kh, kw = weight.shape
    full_padding = (dh * (kh - 1) - ph, dw * (kw - 1) - pw)
    natural_hw = (ho + dh * (kh - 1) - 2 * ph, wo + dw * (kw - 1) - 2 * pw)     # no output_padding
    if stride == (1, 1) and min(full_padding) >= 0 and (h, w) == natural_hw:
        # With stride 1 the transposed convolution is a plain convolution of grad_y, padded by
        # d(k - 1) - p, with the kernel flipped and its two channel axes exchanged (Dumoulin & Visin,
        # 2016, section 4.1): a forward pass, which accumulates in contiguous memory (the scatter below
        # adds into shifted, strided slices, measured ~1.7x slower for the 32->16 layer at 14x14).
        flipped = weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
        return forward(grad_y, flipped, stride, full_padding, dilation, in_hw)
    hq, wq = _phase_geometry(h, w, sh, sw, ph, pw)
    span = (ho - 1) * wq + wo
    weight = np.ascontiguousarray(weight)
    grad_x = np.empty((grad_y.shape[0], c_in, h, w), grad_y.dtype)

    def images(part):
        g = _widened(grad_y[part], wq)
        if _gemm_pays(c_out, c_in):
            grad_phases = _input_grad_gemm(g, weight, *_tap_table(kh, kw, sh, sw, dh, dw, wq), span,
                                           sh * sw, hq * wq)
        else:
            grad_phases = scratch("grad_phases", (g.shape[0], c_in, sh * sw, hq * wq), g.dtype)
            conv2d_input_grad_phases(g, weight.reshape(c_out, -1),
                                     *_flat_taps(c_in, kh, kw, sh, sw, dh, dw, wq), span, grad_phases)
        _from_phases(grad_phases, h, w, sh, sw, ph, pw, grad_x[part])

    parts = batch_threads.split(len(grad_y), _cost(len(grad_y), c_out, c_in, kh, kw, ho, wo))
    batch_threads.run(images, parts)
    return grad_x


def weight_grad(x, grad_y, stride, padding, dilation, kernel_hw):
    (sh, sw), (ph, pw), (dh, dw), (kh, kw) = stride, padding, dilation, kernel_hw
    _, c_out, ho, wo = grad_y.shape
    c_in = x.shape[1]
    wq = _phase_geometry(x.shape[2], x.shape[3], sh, sw, ph, pw)[1]
    span = (ho - 1) * wq + wo

    def images(part):
        phases, g = _to_phases(x[part], sh, sw, ph, pw), _widened(grad_y[part], wq)
        if _gemm_pays(c_in, c_out):
            return _weight_grad_gemm(phases, g, *_tap_table(kh, kw, sh, sw, dh, dw, wq), span, kh, kw)
        grad_w = conv2d_weight_grad_phases(phases, g, *_flat_taps(c_in, kh, kw, sh, sw, dh, dw, wq), span)
        return grad_w.reshape(c_out, c_in, kh, kw)

    cost = _cost(len(x), c_out, c_in, kh, kw, ho, wo)
    if stride == (1, 1) and _gemm_pays(c_in, c_out) and cost < batch_threads.MIN_SPLIT_FLOPS:
        return _weight_grad_side_by_side(x, grad_y, padding, dilation, kernel_hw)
    grad_w, *others = batch_threads.run(images, batch_threads.split(len(x), cost))
    for other in others:                   # the halves' gradients, each computed privately
        grad_w += other
    return grad_w

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

- forward: ``y_wide[o] += w[o, c, u, v] * phase_slice(x[c], u, v)``
- input gradient (the transposed convolution): the same with source and destination exchanged,
  ``phase_slice(grad_x[c], u, v) += w[o, c, u, v] * grad_y_wide[o]``, then the phases are put back
  in place (with stride 1 it is instead computed as a forward convolution with the flipped kernel:
  see :func:`input_grad`; with a 2x2 kernel and stride 2, whose taps never reach the same pixel, as a
  1x1 convolution into the four phases: see :func:`conv2d_input_grad_2x2`);
- weight gradient: ``grad_w[o, c, u, v] += dot(grad_y_wide[o], phase_slice(x[c], u, v))``, with zeros
  in the don't-care columns of ``grad_y_wide``. For a layer of few input taps and a large output (a
  model's first layer) the phase slices are instead copied out at the output's row length (im2col
  columns) and dotted with ``grad_y`` as it is: :func:`conv2d_weight_grad_columns`.

With stride 1 there is a single phase: the padded plane itself.

**Images side by side.** The planes are stored channel-major: for each channel and phase, the planes
of all N images one after the other, each :math:`L = H_q W_q` long, and the wide output likewise with
the same plane length :math:`L` (its rows :math:`H_{out}` to :math:`H_q` are don't-care too). Pixel
:math:`t` of image :math:`n` is then at :math:`nL + t`, and a tap's offset is the same for every image,
so one slice covers a whole *group* of consecutive images: reads that cross into the next image only
reach don't-care outputs. Small images gain most (a 7x7 layer runs 20 loops of 1,600 pixels instead of
400 of 61: measured ~3x faster).

Loops run group -> channel -> taps (three at a time) -> pixels, so the innermost loop walks contiguous
memory. Each pass serves four planes at once where it can (four output channels in the forward and the
weight gradient, four input channels in the scatter): the three source slices are loaded once for all
four. The groups are handed out to threads by ``prange`` (see :mod:`scratchae.kernels.numba` for the
threading choices); so are the images in the layout changes (zero padding, the stride-2 phase split,
widening and cropping rows), written as plain loops.

Reductions use ``fastmath`` re-association so that LLVM may vectorize sums: float32 sums are rounded
in a different order than a plain loop (as in any BLAS), not less accurately.
"""

from __future__ import annotations

import functools
import threading

import numpy as np
from numba import njit, prange

from .workspace import scratch

FASTMATH = {"reassoc", "contract", "nsz"}


# -- layout: phases side by side, widened rows, cropping ---------------------------------------------

def _phase_geometry(h, w, sh, sw, ph, pw):
    """Rows and columns (H_q, W_q) of one phase plane of the padded input."""
    return (h + 2 * ph + sh - 1) // sh, (w + 2 * pw + sw - 1) // sw


#: a weight gradient over at most this many taps C_in * kH * kW (a first layer on 1- or 3-channel images)
#: uses im2col columns of the input instead of a widened copy of grad_y (see
#: :func:`conv2d_weight_grad_columns`): the denoiser's training step measured 4-5% faster
COLUMN_TAPS = 27

#: the input gradient of a 2x2 kernel with stride 2 (the forward pass of the autoencoders' transposed
#: convolutions) by :func:`conv2d_input_grad_2x2` instead of the scatter: ``t_conv3``'s forward pass
#: measured ~1.2x faster alone, the denoiser's training step 4-6%
TRANSPOSED_2X2 = True

#: a group of images is made about as long as this many pixels (the four accumulated planes and three
#: sources of a pass then stay within a 48 KiB L1 cache)
GROUP_PIXELS = 1600


@functools.lru_cache(maxsize=256)
def _image_groups(n_img, plane_len):
    """Starts of the groups of consecutive images, and N at the end: an even number of groups (so that
    two threads get equal shares) of near-equal sizes, about :data:`GROUP_PIXELS` long. It depends on
    the sizes only, never on the number of threads, so that the weight gradient (summed group by group)
    has the same bits on any of them."""
    wanted = -(-n_img * plane_len // GROUP_PIXELS)
    n_groups = min(n_img, max(2, wanted + wanted % 2))
    starts = np.array([round(i * n_img / n_groups) for i in range(n_groups + 1)] if n_img else [0], np.int64)
    starts.flags.writeable = False                                          # shared by every call
    return starts


# For each scratch array of phases (one per input shape, dtype and geometry), the array last split into
# it on this thread: {(shape, dtype, sh, sw, ph, pw): (x, phases)}.
_last_splits = threading.local()


def _to_phases(x, sh, sw, ph, pw):
    """Zero-padded x (N, C, H, W) split into phases, side by side: (C, s_h * s_w, N * H_q * W_q)."""
    phases = _split_into_scratch(x, sh, sw, ph, pw)
    _last_splits.__dict__.setdefault("entries", {})[(x.shape, x.dtype, sh, sw, ph, pw)] = (x, phases)
    return phases


def _phases_for_weight_grad(x, sh, sw, ph, pw):
    """The phases of x for a weight gradient: without splitting again when the scratch array still
    holds the split of this very array.

    That is the usual case: a convolution's forward pass, then its backward pass, with no other split
    of the same shape and geometry in between; and a transposed convolution's backward, which splits
    its output gradient for the input gradient and again for the weight gradient. Measured on the
    denoiser at batch 20 (a ~3.3 ms step): the padded copy of ``conv_out``'s 32 x 28 x 28 input takes
    ~60 us, the stride-2 split of ``t_conv3``'s output gradient ~100 us, ``conv2``'s padding ~30 us.

    Only a weight gradient reuses a split, never a forward pass: a caller may refill the same input
    array between two forward passes. The entry holds ``x``, so its identity cannot pass to a new
    array; as in PyTorch, which saves a convolution's input for its backward, ``x`` must not be
    modified in place in between (this computes the gradient of the forward pass that was run).
    """
    entry = _last_splits.__dict__.setdefault("entries", {}).pop((x.shape, x.dtype, sh, sw, ph, pw), None)
    if entry is not None and entry[0] is x:
        return entry[1]
    return _to_phases(x, sh, sw, ph, pw)


def _split_into_scratch(x, sh, sw, ph, pw):
    n_img, n_ch, h, w = x.shape
    hq, wq = _phase_geometry(h, w, sh, sw, ph, pw)
    # the padding stays zero: every call with this geometry writes the same interior elements
    phases = scratch(("phases", h, w, ph, pw), (n_ch, sh, sw, n_img, hq, wq), x.dtype, zeroed=True)
    if (sh, sw) == (1, 1):
        _pad_into(x, ph, pw, hq * wq, wq, phases.reshape(n_ch, n_img * hq * wq))
    elif _plain_2x2(h, w, sh, sw, ph, pw):
        _split_2x2(x, phases)
    else:
        _split_any(x, ph, pw, phases)
    return phases.reshape(n_ch, sh * sw, n_img * hq * wq)


def _from_phases(phases, h, w, sh, sw, ph, pw, x, bias=None):
    """The inverse of :func:`_to_phases` without the padding: (C, s_h * s_w, N * H_q * W_q) -> x (N, C, H, W),
    plus ``bias`` (C,) if given."""
    n_img, n_ch = x.shape[:2]
    hq, wq = _phase_geometry(h, w, sh, sw, ph, pw)
    planes = phases.reshape(n_ch, sh, sw, n_img, hq, wq)
    bias = _bias_or_zeros(bias, n_ch, x.dtype)
    if _plain_2x2(h, w, sh, sw, ph, pw):
        _merge_2x2(planes, bias, x)
    else:
        _merge_any(planes, ph, pw, bias, x)
    return x


def _bias_or_zeros(bias, n_ch, dtype):
    """The bias to add in a kernel's last copy: ``bias``, or zeros for a layer without one."""
    return np.zeros(n_ch, dtype) if bias is None else bias


def _plain_2x2(h, w, sh, sw, ph, pw):
    """Stride 2 without padding on even sizes: the autoencoders' strided layers."""
    return (sh, sw, ph, pw) == (2, 2, 0, 0) and h % 2 == 0 and w % 2 == 0


# The copies that change layout are parallel loops over the images: measured 2-5x faster than the same
# copies as NumPy slice assignments (which run on one thread); the crop adds the bias on the way.

@njit(cache=True, nogil=True, parallel=True)
def _split_2x2(x, phases):
    """phases[c, a, b, n, i, j] = x[n, c, 2i + a, 2j + b]: the four phases of stride 2, in one pass.

    A special case of :func:`_to_phases` because NumPy's four stride-2 slice copies are 2.3x slower
    than this loop, whose constant stride 2 LLVM vectorizes.
    """
    n_img, n_ch, hq, wq = x.shape[0], x.shape[1], x.shape[2] // 2, x.shape[3] // 2
    for n in prange(n_img):
        for c in range(n_ch):
            for i in range(hq):
                for a in range(2):
                    row, even, odd = x[n, c, 2 * i + a], phases[c, a, 0, n, i], phases[c, a, 1, n, i]
                    for j in range(wq):
                        even[j] = row[2 * j]
                        odd[j] = row[2 * j + 1]


@njit(cache=True, nogil=True, parallel=True)
def _merge_2x2(planes, bias, x):
    """The inverse of :func:`_split_2x2`, plus a bias: x[n, c, 2i + a, 2j + b] = planes[c, a, b, n, i, j] + bias[c]."""
    for n in prange(x.shape[0]):
        for c in range(x.shape[1]):
            _merge_2x2_plane(planes, n, c, bias[c], x)


@njit(cache=True, nogil=True)
def _merge_2x2_plane(planes, n, c, bias_c, x):
    """:func:`_merge_2x2` for image n and channel c."""
    for i in range(x.shape[2] // 2):
        for a in range(2):
            row, even, odd = x[n, c, 2 * i + a], planes[c, a, 0, n, i], planes[c, a, 1, n, i]
            for j in range(x.shape[3] // 2):
                row[2 * j] = even[j] + bias_c
                row[2 * j + 1] = odd[j] + bias_c


@njit(cache=True, nogil=True, parallel=True)
def _split_any(x, ph, pw, phases):
    """phases[c, a, b, n, i, j] = x[n, c, s_h i + a - p_h, s_w j + b - p_w], zero outside x: any stride
    and padding (the loop that :func:`_split_2x2` unrolls)."""
    n_img, n_ch, h, w = x.shape
    sh, sw, hq, wq = phases.shape[1], phases.shape[2], phases.shape[4], phases.shape[5]
    for n in prange(n_img):
        for c in range(n_ch):
            for a in range(sh):
                for b in range(sw):
                    for i in range(hq):
                        r = sh * i + a - ph
                        row = phases[c, a, b, n, i]
                        for j in range(wq):
                            q = sw * j + b - pw
                            row[j] = x[n, c, r, q] if 0 <= r < h and 0 <= q < w else 0


@njit(cache=True, nogil=True, parallel=True)
def _merge_any(planes, ph, pw, bias, x):
    """The inverse of :func:`_split_any` (the same loop, copying the other way), plus a bias:
    x[n, c, s_h i + a - p_h, s_w j + b - p_w] = planes[c, a, b, n, i, j] + bias[c] inside x."""
    n_img, n_ch, h, w = x.shape
    sh, sw, hq, wq = planes.shape[1], planes.shape[2], planes.shape[4], planes.shape[5]
    for n in prange(n_img):
        for c in range(n_ch):
            for a in range(sh):
                for b in range(sw):
                    for i in range(hq):
                        r = sh * i + a - ph
                        if 0 <= r < h:
                            row = planes[c, a, b, n, i]
                            for j in range(wq):
                                q = sw * j + b - pw
                                if 0 <= q < w:
                                    x[n, c, r, q] = row[j] + bias[c]


@njit(cache=True, nogil=True)
def _pad_group(x, first, last, ph, pw, plane_len, wq, planes):
    """planes[c, n * L + (ph + i) * W_q + pw + j] = x[n, c, i, j] for the images first <= n < last; the
    other elements of planes (zero since it was made: the padding, the don't-care columns) are not
    touched. With ph = pw = 0 this widens an output gradient's rows to W_q."""
    n_ch, h, w = x.shape[1:]
    for n in range(first, last):
        for c in range(n_ch):
            for i in range(h):
                start = n * plane_len + (ph + i) * wq + pw
                src, dst = x[n, c, i], planes[c, start:start + w]
                for j in range(w):
                    dst[j] = src[j]


@njit(cache=True, nogil=True, parallel=True)
def _pad_into(x, ph, pw, plane_len, wq, planes):
    """:func:`_pad_group` for all the images, in parallel."""
    for n in prange(x.shape[0]):
        _pad_group(x, n, n + 1, ph, pw, plane_len, wq, planes)


def _wide_scratch(purpose, n_ch, n_img, hq, wq, dtype):
    """A (C, N * H_q * W_q) side-by-side array for ``purpose``, uninitialised."""
    return scratch(purpose, (n_ch, n_img * hq * wq), dtype)


def _widened_scratch(n_ch, n_img, hq, wq, out_hw, dtype):
    """The zero-padded array that :func:`_pad_group` widens into: zeros everywhere but at the valid pixels,
    which are the same at every call, since the key holds the whole geometry."""
    return scratch(("widened", hq, wq, *out_hw), (n_ch, n_img * hq * wq), dtype, zeroed=True)


# Widening (:func:`_pad_group` with no padding) and cropping are done by the kernels group by group,
# right before (widen) or after (crop) the group's multiply-adds, while its planes are still in cache.

@njit(cache=True, nogil=True)
def _crop_group(wide, first, last, plane_len, wq, bias, y):
    """y[n, o, i, j] = wide[o, n * L + i * W_q + j] + bias[o] for the images first <= n < last."""
    n_ch, ho, wo = y.shape[1:]
    for n in range(first, last):
        for o in range(n_ch):
            b = bias[o]
            for i in range(ho):
                start = n * plane_len + i * wq
                src, dst = wide[o, start:start + wo], y[n, o, i]
                for j in range(wo):
                    dst[j] = src[j] + b


@njit(cache=True, nogil=True, fastmath=FASTMATH, parallel=True)
def _plane_sums(g):
    """sums[n, o] = the sum of plane g[n, o] (N, C, H, W)."""
    n_img, n_ch = g.shape[:2]
    sums = np.empty((n_img, n_ch), g.dtype)
    for n in prange(n_img):
        for o in range(n_ch):
            plane = g[n, o].reshape(-1)
            total = g.dtype.type(0)
            for t in range(plane.size):
                total += plane[t]
            sums[n, o] = total
    return sums


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
# Every slice below is written phases[c, p, start:stop] (an integer index on all but the last axis), so
# that Numba knows it is contiguous and LLVM vectorizes the loop over it.

@functools.lru_cache(maxsize=256)
def _column_taps(n_taps):
    """(0, 1, ..., n_taps - 1) and n_taps zeros: im2col column k as tap k, at offset 0 (read-only, like
    the tables of :func:`_flat_taps`, so that the loops compiled for those serve them too)."""
    own, zero = np.arange(n_taps), np.zeros(n_taps, np.int64)
    own.flags.writeable = zero.flags.writeable = False
    return own, zero


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
def _add_scaled3_quad(acc0, acc1, acc2, acc3, w, s0, s1, s2):
    """acc_i += w[i, 0] * s0 + w[i, 1] * s1 + w[i, 2] * s2 for i = 0, 1, 2, 3: each source element is
    loaded once for twelve multiply-adds into four planes."""
    w00, w01, w02 = w[0, 0], w[0, 1], w[0, 2]
    w10, w11, w12 = w[1, 0], w[1, 1], w[1, 2]
    w20, w21, w22 = w[2, 0], w[2, 1], w[2, 2]
    w30, w31, w32 = w[3, 0], w[3, 1], w[3, 2]
    for t in range(acc0.size):
        x0, x1, x2 = s0[t], s1[t], s2[t]
        acc0[t] += w00 * x0 + w01 * x1 + w02 * x2
        acc1[t] += w10 * x0 + w11 * x1 + w12 * x2
        acc2[t] += w20 * x0 + w21 * x1 + w22 * x2
        acc3[t] += w30 * x0 + w31 * x1 + w32 * x2


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def _add_scaled_quad(acc0, acc1, acc2, acc3, w, s):
    """acc_i += w[i] * s for i = 0, 1, 2, 3: the last taps of a four-plane pass, one load of s for all four."""
    w0, w1, w2, w3 = w[0], w[1], w[2], w[3]
    for t in range(acc0.size):
        x = s[t]
        acc0[t] += w0 * x
        acc1[t] += w1 * x
        acc2[t] += w2 * x
        acc3[t] += w3 * x


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
def _dot3_quad(g0, g1, g2, g3, s0, s1, s2):
    """The twelve products g_i . s_j (i < 4, j < 3), in the order (g0 . s0, g0 . s1, g0 . s2, g1 . s0, ...),
    with one load of each element for all of them."""
    zero = g0.dtype.type(0)
    a0 = a1 = a2 = b0 = b1 = b2 = c0 = c1 = c2 = d0 = d1 = d2 = zero
    for t in range(g0.size):
        x0, x1, x2 = s0[t], s1[t], s2[t]
        u = g0[t]
        a0, a1, a2 = a0 + u * x0, a1 + u * x1, a2 + u * x2
        u = g1[t]
        b0, b1, b2 = b0 + u * x0, b1 + u * x1, b2 + u * x2
        u = g2[t]
        c0, c1, c2 = c0 + u * x0, c1 + u * x1, c2 + u * x2
        u = g3[t]
        d0, d1, d2 = d0 + u * x0, d1 + u * x1, d2 + u * x2
    return a0, a1, a2, b0, b1, b2, c0, c1, c2, d0, d1, d2


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def _dot_quad(g0, g1, g2, g3, s):
    """(g0 . s, g1 . s, g2 . s, g3 . s) with one load of s for all four."""
    zero = g0.dtype.type(0)
    a = b = c = d = zero
    for t in range(g0.size):
        x = s[t]
        a, b, c, d = a + g0[t] * x, b + g1[t] * x, c + g2[t] * x, d + g3[t] * x
    return a, b, c, d


# One group of images (pixels start .. start + length of every plane) at a time, for one output channel
# or for four (o .. o + 3) at once. Four share every load of the three source slices: measured 1.5-2x
# faster forward and ~1.4x faster weight gradients than one channel at a time on the autoencoders'
# layers (two at a time gave about half of that); the one-channel loops serve the last C_out mod 4.

@njit(cache=True, nogil=True, fastmath=FASTMATH)
def _forward_plane(y, o, w, phases, tap_channel, tap_phase, tap_offset, start, length):
    """y[o, start + t] = sum over taps k of w[k] * phases[c_k, phase_k, start + t + offset_k]."""
    acc = y[o, start:start + length]
    acc[:] = 0
    k = 0
    while k + 3 <= w.size:
        a, b, c = start + tap_offset[k], start + tap_offset[k + 1], start + tap_offset[k + 2]
        _add_scaled3(acc, w[k], phases[tap_channel[k], tap_phase[k], a:a + length],
                     w[k + 1], phases[tap_channel[k + 1], tap_phase[k + 1], b:b + length],
                     w[k + 2], phases[tap_channel[k + 2], tap_phase[k + 2], c:c + length])
        k += 3
    for k in range(k, w.size):
        a = start + tap_offset[k]
        _add_scaled(acc, w[k], phases[tap_channel[k], tap_phase[k], a:a + length])


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def _forward_planes4(y, o, w, phases, tap_channel, tap_phase, tap_offset, start, length):
    """:func:`_forward_plane` for the four output channels o .. o + 3 at once (w: their 4 weight rows)."""
    stop = start + length
    acc0, acc1, acc2, acc3 = y[o, start:stop], y[o + 1, start:stop], y[o + 2, start:stop], y[o + 3, start:stop]
    acc0[:] = 0
    acc1[:] = 0
    acc2[:] = 0
    acc3[:] = 0
    n_taps = w.shape[1]
    k = 0
    while k + 3 <= n_taps:
        a, b, c = start + tap_offset[k], start + tap_offset[k + 1], start + tap_offset[k + 2]
        _add_scaled3_quad(acc0, acc1, acc2, acc3, w[:, k:k + 3],
                          phases[tap_channel[k], tap_phase[k], a:a + length],
                          phases[tap_channel[k + 1], tap_phase[k + 1], b:b + length],
                          phases[tap_channel[k + 2], tap_phase[k + 2], c:c + length])
        k += 3
    for k in range(k, n_taps):
        a = start + tap_offset[k]
        _add_scaled_quad(acc0, acc1, acc2, acc3, w[:, k], phases[tap_channel[k], tap_phase[k], a:a + length])


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def _weight_grad_row(grad_w, g, o, phases, tap_channel, tap_phase, tap_offset, start, length):
    """grad_w[k] += g[o, start:start + length] . phases[c_k, phase_k, start + offset_k:...] for every tap k."""
    gy = g[o, start:start + length]
    k = 0
    while k + 3 <= grad_w.size:
        a, b, c = start + tap_offset[k], start + tap_offset[k + 1], start + tap_offset[k + 2]
        d0, d1, d2 = _dot3(gy, phases[tap_channel[k], tap_phase[k], a:a + length],
                           phases[tap_channel[k + 1], tap_phase[k + 1], b:b + length],
                           phases[tap_channel[k + 2], tap_phase[k + 2], c:c + length])
        grad_w[k] += d0
        grad_w[k + 1] += d1
        grad_w[k + 2] += d2
        k += 3
    for k in range(k, grad_w.size):
        a = start + tap_offset[k]
        grad_w[k] += _dot(gy, phases[tap_channel[k], tap_phase[k], a:a + length])


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def _weight_grad_rows4(grad_w, g, o, phases, tap_channel, tap_phase, tap_offset, start, length):
    """:func:`_weight_grad_row` for the four output channels o .. o + 3 at once (grad_w: their 4 rows)."""
    stop = start + length
    g0, g1, g2, g3 = g[o, start:stop], g[o + 1, start:stop], g[o + 2, start:stop], g[o + 3, start:stop]
    n_taps = grad_w.shape[1]
    k = 0
    while k + 3 <= n_taps:
        a, b, c = start + tap_offset[k], start + tap_offset[k + 1], start + tap_offset[k + 2]
        d = _dot3_quad(g0, g1, g2, g3, phases[tap_channel[k], tap_phase[k], a:a + length],
                       phases[tap_channel[k + 1], tap_phase[k + 1], b:b + length],
                       phases[tap_channel[k + 2], tap_phase[k + 2], c:c + length])
        for i in range(4):
            grad_w[i, k] += d[3 * i]
            grad_w[i, k + 1] += d[3 * i + 1]
            grad_w[i, k + 2] += d[3 * i + 2]
        k += 3
    for k in range(k, n_taps):
        a = start + tap_offset[k]
        d0, d1, d2, d3 = _dot_quad(g0, g1, g2, g3, phases[tap_channel[k], tap_phase[k], a:a + length])
        grad_w[0, k] += d0
        grad_w[1, k] += d1
        grad_w[2, k] += d2
        grad_w[3, k] += d3


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def _weight_grad_all_rows(grad_w, g, phases, tap_channel, tap_phase, tap_offset, start, length):
    """:func:`_weight_grad_rows4` for every four output channels, :func:`_weight_grad_row` for the rest."""
    c_out = g.shape[0]
    fours = c_out - c_out % 4
    for o in range(0, fours, 4):
        _weight_grad_rows4(grad_w[o:o + 4], g, o, phases, tap_channel, tap_phase, tap_offset, start, length)
    for o in range(fours, c_out):
        _weight_grad_row(grad_w[o], g, o, phases, tap_channel, tap_phase, tap_offset, start, length)


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def _scatter_plane(grad_phases, c, p, offset, w, g, start, length):
    """grad_phases[c, p, start + offset + t] += sum over o of w[o] * g[o, start + t], for t < length:
    three output channels per pass."""
    dst = grad_phases[c, p, start + offset:start + offset + length]
    stop = start + length
    c_out = w.size
    o = 0
    while o + 3 <= c_out:
        _add_scaled3(dst, w[o], g[o, start:stop], w[o + 1], g[o + 1, start:stop], w[o + 2], g[o + 2, start:stop])
        o += 3
    for o in range(o, c_out):
        _add_scaled(dst, w[o], g[o, start:stop])


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def _scatter_planes4(grad_phases, c, p, offset, w, g, start, length):
    """:func:`_scatter_plane` into the planes of the four input channels c .. c + 3 at once (w: C_out x 4)."""
    first, stop = start + offset, start + length
    dst0, dst1 = grad_phases[c, p, first:first + length], grad_phases[c + 1, p, first:first + length]
    dst2, dst3 = grad_phases[c + 2, p, first:first + length], grad_phases[c + 3, p, first:first + length]
    c_out = w.shape[0]
    o = 0
    while o + 3 <= c_out:
        _add_scaled3_quad(dst0, dst1, dst2, dst3, w[o:o + 3].T, g[o, start:stop], g[o + 1, start:stop],
                          g[o + 2, start:stop])
        o += 3
    for o in range(o, c_out):
        _add_scaled_quad(dst0, dst1, dst2, dst3, w[o], g[o, start:stop])


# The whole-batch kernels: prange hands the groups of images out to the threads (OpenMP threads, see
# scratchae.kernels.numba). Group g covers the pixels start .. start + length of every side-by-side
# plane, from its first image's first pixel to its last image's last valid output pixel; groups never
# write into each other's pixels. The weight gradient, a sum over images, keeps one private term per
# group, so that threads never add into the same memory.

@njit(cache=True, nogil=True)
def _group(groups, i, plane_len, span):
    """(start, length) of group i."""
    return groups[i] * plane_len, (groups[i + 1] - groups[i] - 1) * plane_len + span


@njit(cache=True, nogil=True, fastmath=FASTMATH, parallel=True)
def conv2d_forward_wide(phases, weight, tap_channel, tap_phase, tap_offset, groups, plane_len, wq, span, wide,
                        bias, y):
    """wide[o, t] = sum over taps k of w[o, k] * phases[c_k, phase_k, t + offset_k], group by group, each
    group then cropped into y (N, C_out, H_out, W_out) with the bias added."""
    c_out = weight.shape[0]
    fours = c_out - c_out % 4
    for i in prange(groups.size - 1):
        start, length = _group(groups, i, plane_len, span)
        for o in range(0, fours, 4):
            _forward_planes4(wide, o, weight[o:o + 4], phases, tap_channel, tap_phase, tap_offset, start, length)
        for o in range(fours, c_out):
            _forward_plane(wide, o, weight[o], phases, tap_channel, tap_phase, tap_offset, start, length)
        _crop_group(wide, groups[i], groups[i + 1], plane_len, wq, bias, y)


@njit(cache=True, nogil=True, fastmath=FASTMATH, parallel=True)
def conv2d_input_grad_phases(grad_y, weight, tap_phase, tap_offset, groups, plane_len, wq, span, g, grad_phases):
    """grad_phases[c, phase_uv, t + offset_uv] = sum over o of w[o, c, uv] * g_wide[o, t]: the forward's
    scatter, for each kernel tap uv four input channels (distinct planes, so never overlapping) by three
    output channels at a time. weight (C_out, C_in, kH * kW); g: grad_y widened here, group by group."""
    c_in, n_uv = weight.shape[1], weight.shape[2]
    fours = c_in - c_in % 4
    for i in prange(groups.size - 1):
        start, length = _group(groups, i, plane_len, span)
        _pad_group(grad_y, groups[i], groups[i + 1], 0, 0, plane_len, wq, g)
        grad_phases[:, :, start:groups[i + 1] * plane_len] = 0
        for uv in range(n_uv):
            offset, p = tap_offset[uv], tap_phase[uv]
            for c in range(0, fours, 4):
                _scatter_planes4(grad_phases, c, p, offset, weight[:, c:c + 4, uv], g, start, length)
            for c in range(fours, c_in):
                _scatter_plane(grad_phases, c, p, offset, weight[:, c, uv], g, start, length)


@njit(cache=True, nogil=True, fastmath=FASTMATH, parallel=True)
def conv2d_weight_grad_phases(phases, grad_y, tap_channel, tap_phase, tap_offset, groups, plane_len, wq, span, g):
    """grad_w[o, k] = sum over t of g_wide[o, t] * phases[c_k, phase_k, t + offset_k], with g: grad_y
    widened here, group by group.

    Each group's term is computed privately (in parallel), then the terms are summed in group order:
    the same bits on any number of threads.
    """
    c_out, n_taps, n_groups = g.shape[0], tap_channel.size, groups.size - 1
    per_group = np.zeros((n_groups, c_out, n_taps), phases.dtype)
    for i in prange(n_groups):
        start, length = _group(groups, i, plane_len, span)
        _pad_group(grad_y, groups[i], groups[i + 1], 0, 0, plane_len, wq, g)
        _weight_grad_all_rows(per_group[i], g, phases, tap_channel, tap_phase, tap_offset, start, length)
    total = np.zeros((c_out, n_taps), phases.dtype)
    for i in range(n_groups):
        total += per_group[i]
    return total


@njit(cache=True, nogil=True, fastmath=FASTMATH, parallel=True)
def conv2d_input_grad_2x2(grad_y, weight, tap_channel, tap_phase, tap_offset, groups, plane_len, g, planes,
                          bias, grad_x):
    """grad_x[n, c, 2i + a, 2j + b] = bias[c] + sum over o of w[c, 2a + b, o] * grad_y[n, o, i, j]: the
    input gradient of a convolution with a 2x2 kernel and stride 2, i.e. the transposed convolution that
    doubles the size. Its windows do not overlap, so tap (a, b) alone makes phase (a, b) of grad_x: for
    each channel c, its four phases are a 1x1 convolution of grad_y (the forward's four-plane gather,
    with taps at offset 0), put in place right away (depth-to-space). No scatter into zeroed planes, and
    no separate merge pass over the output. weight (C_in, 4, C_out); g: grad_y side by side, made here
    group by group; planes (C_in, 2, 2, N, H_out, W_out), scratch."""
    flat, sources = planes.reshape(planes.shape[0], 4, -1), g.reshape(g.shape[0], 1, -1)
    for i in prange(groups.size - 1):
        first, last = groups[i], groups[i + 1]
        _pad_group(grad_y, first, last, 0, 0, plane_len, grad_y.shape[3], g)
        for c in range(weight.shape[0]):
            _forward_planes4(flat[c], 0, weight[c], sources, tap_channel, tap_phase, tap_offset, first * plane_len,
                             (last - first) * plane_len)
            for n in range(first, last):
                _merge_2x2_plane(planes, n, c, bias[c], grad_x)


# The weight gradient of a layer of few taps C_in * kH * kW and a large output (a model's first layer, on
# 1-channel images) copies each image's phase slices out at the output's row length W_out instead: the
# im2col columns, (n_taps, 1, H_out * W_out) per image, small for so few taps. It then dots grad_y as it
# is, with no widened copy of it (a 2 MB array for the denoiser's first layer). (The same columns for the
# forward pass, written straight into y with no wide rows to crop, measured no faster: not kept.)

@njit(cache=True, nogil=True)
def _image_columns(phases, tap_channel, tap_phase, tap_offset, n, plane_len, wq, wo, columns):
    """columns[k, 0, i * W_out + j] = phases[c_k, phase_k, n * L + i * W_q + j + offset_k] for image n."""
    n_px = columns.shape[2]
    for k in range(tap_channel.size):
        src, dst = phases[tap_channel[k], tap_phase[k]], columns[k, 0]
        for r in range(n_px // wo):
            a, b = n * plane_len + r * wq + tap_offset[k], r * wo
            for j in range(wo):
                dst[b + j] = src[a + j]


@njit(cache=True, nogil=True, fastmath=FASTMATH, parallel=True)
def conv2d_weight_grad_columns(phases, grad_y, tap_channel, tap_phase, tap_offset, groups, plane_len, wq, wo,
                               columns, own, zero):
    """grad_w[o, k] = sum over images n of grad_y[n, o] . columns[n, k], with grad_y (N, C_out,
    H_out * W_out) as it is; private terms per group of images, summed in group order. Column k is
    tap k at offset 0 (own = 0, 1, 2, ..., zero = 0, 0, 0, ...)."""
    c_out, n_px, n_taps, n_groups = grad_y.shape[1], grad_y.shape[2], tap_channel.size, groups.size - 1
    per_group = np.zeros((n_groups, c_out, n_taps), phases.dtype)
    first = zero[0]     # pixel 0, as a run-time int64: a literal 0 would compile the loops a second time
    for i in prange(n_groups):
        for n in range(groups[i], groups[i + 1]):
            _image_columns(phases, tap_channel, tap_phase, tap_offset, n, plane_len, wq, wo, columns[n])
            _weight_grad_all_rows(per_group[i], grad_y[n], columns[n], own, zero, zero, first, n_px)
    total = np.zeros((c_out, n_taps), phases.dtype)
    for i in range(n_groups):
        total += per_group[i]
    return total


# -- the interface shared with scratchae.kernels.reference.conv2d -------------------------------------

def forward(x, weight, stride, padding, dilation, out_hw, bias=None):
    (sh, sw), (ph, pw), (dh, dw), (ho, wo) = stride, padding, dilation, out_hw
    n_img, c_out, (_, c_in, kh, kw) = len(x), weight.shape[0], weight.shape
    hq, wq = _phase_geometry(x.shape[2], x.shape[3], sh, sw, ph, pw)
    phases = _to_phases(x, sh, sw, ph, pw)
    y = np.empty((n_img, c_out, ho, wo), x.dtype)
    conv2d_forward_wide(phases, np.ascontiguousarray(weight).reshape(c_out, -1),
                        *_flat_taps(c_in, kh, kw, sh, sw, dh, dw, wq), _image_groups(n_img, hq * wq),
                        hq * wq, wq, (ho - 1) * wq + wo, _wide_scratch("wide", c_out, n_img, hq, wq, x.dtype),
                        _bias_or_zeros(bias, c_out, x.dtype), y)
    return y


def input_grad(grad_y, weight, stride, padding, dilation, in_hw, bias=None):
    (sh, sw), (ph, pw), (dh, dw), (h, w) = stride, padding, dilation, in_hw
    n_img, _, ho, wo = grad_y.shape
    c_out, c_in, kh, kw = weight.shape
    full_padding = (dh * (kh - 1) - ph, dw * (kw - 1) - pw)
    natural_hw = (ho + dh * (kh - 1) - 2 * ph, wo + dw * (kw - 1) - 2 * pw)     # no output_padding
    if stride == (1, 1) and min(full_padding) >= 0 and (h, w) == natural_hw:
        # With stride 1 the transposed convolution is a plain convolution of grad_y, padded by
        # d(k - 1) - p, with the kernel flipped and its two channel axes exchanged (Dumoulin & Visin,
        # 2016, section 4.1): a forward pass, which accumulates in contiguous memory (the scatter below
        # adds into shifted, strided slices, measured ~1.7x slower for the 32->16 layer at 14x14).
        flipped = weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
        return forward(grad_y, flipped, stride, full_padding, dilation, in_hw, bias)
    if (TRANSPOSED_2X2 and (kh, kw) == stride == (2, 2) and padding == (0, 0) and dilation == (1, 1)
            and (h, w) == (2 * ho, 2 * wo)):
        return _input_grad_2x2(grad_y, weight, bias)
    hq, wq = _phase_geometry(h, w, sh, sw, ph, pw)
    grad_phases = scratch("grad_phases", (c_in, sh * sw, n_img * hq * wq), grad_y.dtype)
    tap_phase, tap_offset = _tap_table(kh, kw, sh, sw, dh, dw, wq)
    conv2d_input_grad_phases(np.ascontiguousarray(grad_y), np.ascontiguousarray(weight).reshape(c_out, c_in, kh * kw),
                             tap_phase.ravel(), tap_offset.ravel(), _image_groups(n_img, hq * wq), hq * wq, wq,
                             (ho - 1) * wq + wo, _widened_scratch(c_out, n_img, hq, wq, (ho, wo), grad_y.dtype),
                             grad_phases)
    grad_x = np.empty((n_img, c_in, h, w), grad_y.dtype)
    return _from_phases(grad_phases, h, w, sh, sw, ph, pw, grad_x, bias)


def _input_grad_2x2(grad_y, weight, bias):
    """:func:`input_grad` for a 2x2 kernel with stride 2 and no padding: see :func:`conv2d_input_grad_2x2`."""
    n_img, c_out, ho, wo = grad_y.shape
    c_in, dtype = weight.shape[1], grad_y.dtype
    grad_x = np.empty((n_img, c_in, 2 * ho, 2 * wo), dtype)
    conv2d_input_grad_2x2(np.ascontiguousarray(grad_y), weight.reshape(c_out, c_in, 4).transpose(1, 2, 0).copy(),
                          *_flat_taps(c_out, 1, 1, 1, 1, 1, 1, wo), _image_groups(n_img, ho * wo), ho * wo,
                          _wide_scratch("side by side", c_out, n_img, ho, wo, dtype),
                          scratch("grad_phases", (c_in, 2, 2, n_img, ho, wo), dtype),
                          _bias_or_zeros(bias, c_in, dtype), grad_x)
    return grad_x


def weight_grad(x, grad_y, stride, padding, dilation, kernel_hw):
    (sh, sw), (ph, pw), (dh, dw), (kh, kw) = stride, padding, dilation, kernel_hw
    n_img, c_out, ho, wo = grad_y.shape
    c_in, n_taps = x.shape[1], x.shape[1] * kh * kw
    hq, wq = _phase_geometry(x.shape[2], x.shape[3], sh, sw, ph, pw)
    phases, taps = _phases_for_weight_grad(x, sh, sw, ph, pw), _flat_taps(c_in, kh, kw, sh, sw, dh, dw, wq)
    grad_y = np.ascontiguousarray(grad_y)
    if n_taps <= COLUMN_TAPS:
        grad_w = conv2d_weight_grad_columns(phases, grad_y.reshape(n_img, c_out, ho * wo), *taps,
                                            _image_groups(n_img, ho * wo), hq * wq, wq, wo,
                                            scratch("columns", (n_img, n_taps, 1, ho * wo), grad_y.dtype),
                                            *_column_taps(n_taps))
    else:
        grad_w = conv2d_weight_grad_phases(phases, grad_y, *taps, _image_groups(n_img, hq * wq), hq * wq, wq,
                                           (ho - 1) * wq + wo,
                                           _widened_scratch(c_out, n_img, hq, wq, (ho, wo), grad_y.dtype))
    return grad_w.reshape(c_out, c_in, kh, kw)


def bias_grad(grad_y):
    # each plane's sum in parallel, then the sums over images in image order (the same bits on any
    # number of threads)
    return _plane_sums(np.ascontiguousarray(grad_y)).sum(axis=0)

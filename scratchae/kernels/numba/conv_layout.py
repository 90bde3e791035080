r"""How the Numba convolution kernels lay out their data: phase planes, side by side.

Strided, padded, dilated convolution as stride-1 shifted copies
----------------------------------------------------------------
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
and one channel pair the whole output plane is **one shifted contiguous slice** of one phase plane,
and every inner loop (:mod:`.conv_loops`) a vectorizable ``a[t] += w * b[t]``. With stride 1 there is a
single phase: the padded plane itself.

Images side by side
-------------------
The planes are stored channel-major: for each channel and phase, the planes of all N images one after
the other, each :math:`L = H_q W_q` long, and the wide output likewise with the same plane length
:math:`L` (its rows :math:`H_{out}` to :math:`H_q` are don't-care too). Pixel :math:`t` of image
:math:`n` is then at :math:`nL + t`, and a tap's offset is the same for every image, so one slice covers
a whole *group* of consecutive images (:func:`image_groups`): reads that cross into the next image only
reach don't-care outputs. Small images gain most: a 7x7 layer's loops run over a group of images
instead of 49 pixels.

This module holds the tables of taps, the groups, and the copies into and out of this layout (zero
padding, the phase split and merge, widening and cropping rows). The arrays it fills are scratch
arrays reused from call to call (:mod:`.workspace`).
"""

from __future__ import annotations

import functools
import threading
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from .workspace import scratch


def phase_geometry(h, w, sh, sw, ph, pw):
    """Rows and columns (H_q, W_q) of one phase plane of the padded input."""
    return (h + 2 * ph + sh - 1) // sh, (w + 2 * pw + sw - 1) // sw


#: a group of images is made about as long as this many pixels (the four accumulated planes and three
#: sources of a pass then stay within a 48 KiB L1 cache)
GROUP_PIXELS = 1600


@functools.lru_cache(maxsize=256)
def image_groups(n_img, plane_len):
    """Starts of the groups of consecutive images, and N at the end: an even number of groups (so that
    two threads get equal shares) of near-equal sizes, about :data:`GROUP_PIXELS` long. It depends on
    the sizes only, never on the number of threads, so that the weight gradient (summed group by group)
    has the same bits on any of them."""
    wanted = -(-n_img * plane_len // GROUP_PIXELS)
    n_groups = min(n_img, max(2, wanted + wanted % 2))
    starts = np.array([round(i * n_img / n_groups) for i in range(n_groups + 1)] if n_img else [0], np.int64)
    starts.flags.writeable = False  # shared by every call
    return starts


# For each scratch array of phases (one per input shape, dtype and geometry), the array last split into
# it on this thread: {(shape, dtype, sh, sw, ph, pw): (x, phases)}.
_last_splits = threading.local()


def phases_scratch(x, sh, sw, ph, pw):
    """The scratch array (C + 1, s_h * s_w, N * H_q * W_q) that the phases of x (N, C, H, W) are split into,
    zero where the padding goes (every split with this geometry writes the same interior elements) and
    in its last channel, which the taps that round a table up to three read (:func:`flat_taps`)."""
    n_img, n_ch, h, w = x.shape
    hq, wq = phase_geometry(h, w, sh, sw, ph, pw)
    return scratch(("phases", h, w, sh, sw, ph, pw), (n_ch + 1, sh * sw, n_img * hq * wq), x.dtype, zeroed=True)


def remember_split(x, sh, sw, ph, pw, phases):
    """Record that ``phases`` now holds the split of ``x`` (:func:`phases_for_weight_grad` may reuse it)."""
    _last_splits.__dict__.setdefault("entries", {})[(x.shape, x.dtype, sh, sw, ph, pw)] = (x, phases)


def to_phases(x, sh, sw, ph, pw):
    """Zero-padded x (N, C, H, W) split into phases, side by side: (C + 1, s_h * s_w, N * H_q * W_q), on
    one thread (the convolution kernel splits its input itself, group by group, in parallel)."""
    phases = phases_scratch(x, sh, sw, ph, pw)
    if splits_in_kernel(x.shape[2], x.shape[3], sh, sw, ph, pw):
        split_group(x, 0, len(x), sh, sw, ph, pw, phases)
    else:
        split_any(x, sh, sw, ph, pw, phases)
    remember_split(x, sh, sw, ph, pw, phases)
    return phases


def phases_for_weight_grad(x, sh, sw, ph, pw):
    """The phases of x for a weight gradient: without splitting again when the scratch array still
    holds the split of this very array.

    That is the usual case: a convolution's forward pass, then its backward pass, with no other split
    of the same shape and geometry in between; and a transposed convolution's backward, which splits
    its output gradient for the input gradient and again for the weight gradient.

    Only a weight gradient reuses a split, never a forward pass: a caller may refill the same input
    array between two forward passes. The entry holds ``x``, so its identity cannot pass to a new
    array; as in PyTorch, which saves a convolution's input for its backward, ``x`` must not be
    modified in place in between (this computes the gradient of the forward pass that was run).
    """
    entry = _last_splits.__dict__.setdefault("entries", {}).pop((x.shape, x.dtype, sh, sw, ph, pw), None)
    if entry is not None and entry[0] is x:
        return entry[1]
    return to_phases(x, sh, sw, ph, pw)


def bias_or_zeros(bias, n_ch, dtype):
    """The bias to add in a kernel's last copy: ``bias``, or zeros for a layer without one."""
    return np.zeros(n_ch, dtype) if bias is None else bias


def plain_2x2(h, w, sh, sw, ph, pw):
    """Stride 2 without padding on even sizes: the autoencoders' strided layers."""
    return (sh, sw, ph, pw) == (2, 2, 0, 0) and h % 2 == 0 and w % 2 == 0


def splits_in_kernel(h, w, sh, sw, ph, pw):
    """Whether :func:`split_group` splits this geometry (stride 1, or a plain stride 2); any other is
    split before the kernel runs, on one thread, by :func:`split_any` (no course model's large layer)."""
    return (sh, sw) == (1, 1) or plain_2x2(h, w, sh, sw, ph, pw)


# The splits into phases. The convolution kernel calls split_group for each group of images, right before
# the group's multiply-adds (a group's loops read its own images only); to_phases calls it for the whole
# batch, on one thread, when a weight gradient finds no split to reuse.


@njit(cache=True, nogil=True)
def split_group(x, first, last, sh, sw, ph, pw, phases):
    """phases[c, a * s_w + b, n * L + i * W_q + j] = x[n, c, s_h i + a - p_h, s_w j + b - p_w] for the
    images first <= n < last, for the geometries of :func:`splits_in_kernel`: zero padding (stride 1) or
    the four phases of a plain stride 2. The elements in the padding are left as they are (zero)."""
    h, w = x.shape[2:]
    hq, wq = (h + 2 * ph + sh - 1) // sh, (w + 2 * pw + sw - 1) // sw
    if sh == 1 and sw == 1:
        pad_group(x, first, last, ph, pw, hq * wq, wq, phases)
    elif sh == 2 and sw == 2 and ph == 0 and pw == 0 and h % 2 == 0 and w % 2 == 0:
        _split_2x2_group(x, first, last, hq * wq, wq, phases)


@njit(cache=True, nogil=True)
def pad_group(x, first, last, ph, pw, plane_len, wq, planes):
    """planes[c, 0, n * L + (ph + i) * W_q + pw + j] = x[n, c, i, j] for the images first <= n < last; the
    other elements of planes (the padding, the don't-care columns) are not touched. With ph = pw = 0
    this widens rows to W_q, or lays planes side by side (W_q = W)."""
    n_ch, h, w = x.shape[1:]
    for n in range(first, last):
        for c in range(n_ch):
            for i in range(h):
                start = n * plane_len + (ph + i) * wq + pw
                src, dst = x[n, c, i], planes[c, 0, start : start + w]
                for j in range(w):
                    dst[j] = src[j]


@njit(cache=True, nogil=True)
def _split_2x2_group(x, first, last, plane_len, wq, phases):
    """phases[c, 2a + b, n * L + i * W_q + j] = x[n, c, 2i + a, 2j + b]: the four phases of stride 2 in
    one pass (the loop of :func:`split_any` with the stride fixed at 2, which LLVM vectorizes)."""
    n_ch, hq = x.shape[1], x.shape[2] // 2
    for n in range(first, last):
        for c in range(n_ch):
            for i in range(hq):
                start = n * plane_len + i * wq
                for a in range(2):
                    row = x[n, c, 2 * i + a]
                    even, odd = phases[c, 2 * a, start : start + wq], phases[c, 2 * a + 1, start : start + wq]
                    for j in range(wq):
                        even[j] = row[2 * j]
                        odd[j] = row[2 * j + 1]


@njit(cache=True, nogil=True)
def split_any(x, sh, sw, ph, pw, phases):
    """phases[c, a * s_w + b, n * L + i * W_q + j] = x[n, c, s_h i + a - p_h, s_w j + b - p_w], zero outside
    x: any stride and padding, all the images."""
    n_img, n_ch, h, w = x.shape
    hq, wq = (h + 2 * ph + sh - 1) // sh, (w + 2 * pw + sw - 1) // sw
    for n in range(n_img):
        for c in range(n_ch):
            for a in range(sh):
                for b in range(sw):
                    for i in range(hq):
                        r = sh * i + a - ph
                        start = n * hq * wq + i * wq
                        row = phases[c, a * sw + b, start : start + wq]
                        for j in range(wq):
                            q = sw * j + b - pw
                            row[j] = x[n, c, r, q] if 0 <= r < h and 0 <= q < w else 0


def from_phases(phases, h, w, sh, sw, ph, pw, x, bias=None, relu=False):
    """The inverse of :func:`to_phases` without the padding: (C, s_h * s_w, N * H_q * W_q) -> x (N, C, H, W),
    plus ``bias`` (C,) if given, then max(0, .) if ``relu``."""
    n_img, n_ch = x.shape[:2]
    hq, wq = phase_geometry(h, w, sh, sw, ph, pw)
    _merge_any(phases.reshape(n_ch, sh, sw, n_img, hq, wq), ph, pw, bias_or_zeros(bias, n_ch, x.dtype), relu, x)
    return x


@njit(cache=True, nogil=True, parallel=True)
def _merge_any(planes, ph, pw, bias, relu, x):
    """The inverse of a split, plus a bias (and a ReLU if asked):
    x[n, c, s_h i + a - p_h, s_w j + b - p_w] = planes[c, a, b, n, i, j] + bias[c] inside x."""
    n_img, n_ch, h, w = x.shape
    sh, sw, hq, wq = planes.shape[1], planes.shape[2], planes.shape[4], planes.shape[5]
    zero = x.dtype.type(0)
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
                                    value = row[j] + bias[c]
                                    x[n, c, r, q] = value if not (relu and value <= 0) else zero


def wide_scratch(purpose, n_ch, n_img, hq, wq, dtype):
    """A (C, N * H_q * W_q) side-by-side array for ``purpose``, uninitialised."""
    return scratch(purpose, (n_ch, n_img * hq * wq), dtype)


def widened_scratch(n_ch, n_img, hq, wq, out_hw, dtype):
    """The zero-padded array (C, 1, N * H_q * W_q) that :func:`pad_group` widens into: zeros everywhere
    but at the valid pixels, which are the same at every call, since the key holds the whole geometry.
    (Planes beyond those written stay zero: the scatter reads C_out rounded up to three.)"""
    return scratch(("widened", hq, wq, *out_hw), (n_ch, 1, n_img * hq * wq), dtype, zeroed=True)


@functools.lru_cache(maxsize=256)
def tap_table(kh, kw, sh, sw, dh, dw, wq):
    """For every kernel tap (u, v): the phase it reads and its flat offset in that phase plane.

    Tap (u, v) reads phase ((d_h u) mod s_h, (d_w v) mod s_w) at row i + floor(d_h u / s_h) and column
    j + floor(d_w v / s_w), i.e. at flat offset floor(d_h u / s_h) * W_q + floor(d_w v / s_w) from t.
    """
    u, v = np.meshgrid(np.arange(kh) * dh, np.arange(kw) * dw, indexing="ij")
    tap_phase, tap_offset = (u % sh) * sw + v % sw, (u // sh) * wq + v // sw
    tap_phase.flags.writeable = tap_offset.flags.writeable = False  # shared by every call
    return tap_phase, tap_offset


def round_up3(n):
    """n rounded up to a multiple of three: the loops take three taps (or output channels) per pass."""
    return n + (-n) % 3


@functools.lru_cache(maxsize=256)
def flat_taps(c_in, kh, kw, sh, sw, dh, dw, wq):
    """(tap_channel, tap_phase, tap_offset) in (c, u, v) order: the C_in * kH * kW taps, then taps of
    the zero channel C_in of the phases (:func:`phases_scratch`) up to a multiple of three, whose
    weight :func:`padded_weights` makes zero too."""
    tap_phase, tap_offset = tap_table(kh, kw, sh, sw, dh, dw, wq)
    extra = (-c_in * kh * kw) % 3
    flat = (
        np.concatenate([np.repeat(np.arange(c_in), kh * kw), np.full(extra, c_in)]),
        np.concatenate([np.tile(tap_phase.ravel(), c_in), np.zeros(extra, np.int64)]),
        np.concatenate([np.tile(tap_offset.ravel(), c_in), np.zeros(extra, np.int64)]),
    )
    for array in flat:
        array.flags.writeable = False
    return flat


def weight_matrix(purpose, weights, n_cols):
    """weights (R, K) as a C-contiguous (R, n_cols) array whose last n_cols - K columns are zero: the
    weights of the taps that round a table up to a multiple of three (:func:`flat_taps`); a scratch copy
    only when there are such taps."""
    rows, cols = weights.shape
    if cols == n_cols:
        return np.ascontiguousarray(weights)
    padded = scratch(("padded weights", purpose), (rows, n_cols), weights.dtype)
    padded[:, :cols] = weights
    padded[:, cols:] = 0
    return padded


class Plan(NamedTuple):
    """A convolution's layout on the phase planes, worked out once for each shape and geometry
    (:func:`conv_plan`): what the entry points of :mod:`.conv2d` pass to the kernels."""

    stride: tuple
    padding: tuple
    hq: int  # rows and columns of a phase plane
    wq: int
    out_hw: tuple  # the output (H_out, W_out), on the phase grid
    taps: tuple  # (tap_channel, tap_phase, tap_offset), rounded up to three
    groups: np.ndarray  # the groups of images (:func:`image_groups`)
    split_in_kernel: bool  # whether the kernel splits the input itself (:func:`splits_in_kernel`)

    @property
    def plane_len(self):
        return self.hq * self.wq

    @property
    def span(self):
        """From an image's first pixel to its last valid output pixel: (H_out - 1) W_q + W_out."""
        return (self.out_hw[0] - 1) * self.wq + self.out_hw[1]


@functools.lru_cache(maxsize=256)
def conv_plan(x_shape, kernel_hw, stride, padding, dilation):
    """The :class:`Plan` of a convolution of an input of shape x_shape (N, C, H, W) with a kernel of size
    kernel_hw; all arguments tuples of ints."""
    (n_img, n_ch, h, w), (kh, kw), (sh, sw), (ph, pw), (dh, dw) = x_shape, kernel_hw, stride, padding, dilation
    hq, wq = phase_geometry(h, w, sh, sw, ph, pw)
    out_hw = ((h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1)
    return Plan(
        stride,
        padding,
        hq,
        wq,
        out_hw,
        flat_taps(n_ch, kh, kw, sh, sw, dh, dw, wq),
        image_groups(n_img, hq * wq),
        splits_in_kernel(h, w, sh, sw, ph, pw),
    )

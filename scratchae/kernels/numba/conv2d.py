r"""Convolution compiled with Numba: the functions and signatures of
:mod:`scratchae.kernels.reference.conv2d`, fast.

- :func:`conv2d`: :math:`y = x \star w + b`, gathered tap by tap from the phase planes of the padded
  input (:mod:`.conv_layout`) by the loops of :mod:`.conv_loops`, a group of images per thread.
- :func:`conv2d_input_grad`: :math:`\partial L/\partial x`, which *is* the transposed convolution. It is
  computed one of three ways, all equal: with stride 1 as a forward convolution of the output gradient
  with the flipped, channel-swapped kernel (Dumoulin & Visin, 2016, section 4.1), which accumulates in
  contiguous memory; with a 2x2 kernel and stride 2, whose windows never overlap, as a 1x1 convolution
  into the four phases (:func:`input_grad_2x2`); otherwise by scattering each output gradient through
  the kernel into the phase planes (:func:`input_grad_by_scatter`).
- :func:`conv_transpose2d`: that input gradient plus a bias, added in its last copy.
- :func:`conv2d_weight_grad`, :func:`conv2d_bias_grad`: sums over the images, one private term per
  group of images summed in group order, so the bits are the same on any number of threads.

The Python functions at the bottom prepare the layout and call the ``parallel=True`` kernels above them;
``prange`` hands the groups of images out to the threads. What each choice was measured against is in
``docs/performance.md``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ...arithmetic import conv2d_output_size
from .conv_layout import (bias_or_zeros, column_taps, crop_group, flat_taps, from_phases, image_groups,
                          merge_2x2_plane, pad_group, phase_geometry, phases_for_weight_grad, tap_table,
                          to_phases, wide_scratch, widened_scratch)
from .conv_loops import FASTMATH, forward_plane, forward_planes4, scatter_plane, scatter_planes4, weight_grad_rows
from .workspace import scratch

#: a weight gradient over at most this many taps C_in * kH * kW (a first layer on 1- or 3-channel images)
#: uses im2col columns of the input instead of a widened copy of grad_y (:func:`weight_grad_column_groups`)
COLUMN_TAPS = 27


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


# The whole-batch kernels: prange hands the groups of images out to the threads (OpenMP threads, see
# docs/performance.md). Group g covers the pixels start .. start + length of every side-by-side
# plane, from its first image's first pixel to its last image's last valid output pixel; groups never
# write into each other's pixels. The weight gradient, a sum over images, keeps one private term per
# group, so that threads never add into the same memory.

@njit(cache=True, nogil=True)
def _group(groups, i, plane_len, span):
    """(start, length) of group i."""
    return groups[i] * plane_len, (groups[i + 1] - groups[i] - 1) * plane_len + span


@njit(cache=True, nogil=True, fastmath=FASTMATH, parallel=True)
def conv2d_groups(phases, weight, tap_channel, tap_phase, tap_offset, groups, plane_len, wq, span, wide,
                        bias, y):
    """wide[o, t] = sum over taps k of w[o, k] * phases[c_k, phase_k, t + offset_k], group by group, each
    group then cropped into y (N, C_out, H_out, W_out) with the bias added."""
    c_out = weight.shape[0]
    fours = c_out - c_out % 4
    for i in prange(groups.size - 1):
        start, length = _group(groups, i, plane_len, span)
        for o in range(0, fours, 4):
            forward_planes4(wide, o, weight[o:o + 4], phases, tap_channel, tap_phase, tap_offset, start, length)
        for o in range(fours, c_out):
            forward_plane(wide, o, weight[o], phases, tap_channel, tap_phase, tap_offset, start, length)
        crop_group(wide, groups[i], groups[i + 1], plane_len, wq, bias, y)


@njit(cache=True, nogil=True, fastmath=FASTMATH, parallel=True)
def scatter_groups(grad_y, weight, tap_phase, tap_offset, groups, plane_len, wq, span, g, grad_phases):
    """grad_phases[c, phase_uv, t + offset_uv] = sum over o of w[o, c, uv] * g_wide[o, t]: the forward's
    scatter, for each kernel tap uv four input channels (distinct planes, so never overlapping) by three
    output channels at a time. weight (C_out, C_in, kH * kW); g: grad_y widened here, group by group."""
    c_in, n_uv = weight.shape[1], weight.shape[2]
    fours = c_in - c_in % 4
    for i in prange(groups.size - 1):
        start, length = _group(groups, i, plane_len, span)
        pad_group(grad_y, groups[i], groups[i + 1], 0, 0, plane_len, wq, g)
        grad_phases[:, :, start:groups[i + 1] * plane_len] = 0
        for uv in range(n_uv):
            offset, p = tap_offset[uv], tap_phase[uv]
            for c in range(0, fours, 4):
                scatter_planes4(grad_phases, c, p, offset, weight[:, c:c + 4, uv], g, start, length)
            for c in range(fours, c_in):
                scatter_plane(grad_phases, c, p, offset, weight[:, c, uv], g, start, length)


@njit(cache=True, nogil=True, fastmath=FASTMATH, parallel=True)
def weight_grad_groups(phases, grad_y, tap_channel, tap_phase, tap_offset, groups, plane_len, wq, span, g):
    """grad_w[o, k] = sum over t of g_wide[o, t] * phases[c_k, phase_k, t + offset_k], with g: grad_y
    widened here, group by group.

    Each group's term is computed privately (in parallel), then the terms are summed in group order:
    the same bits on any number of threads.
    """
    c_out, n_taps, n_groups = g.shape[0], tap_channel.size, groups.size - 1
    per_group = np.zeros((n_groups, c_out, n_taps), phases.dtype)
    for i in prange(n_groups):
        start, length = _group(groups, i, plane_len, span)
        pad_group(grad_y, groups[i], groups[i + 1], 0, 0, plane_len, wq, g)
        weight_grad_rows(per_group[i], g, phases, tap_channel, tap_phase, tap_offset, start, length)
    total = np.zeros((c_out, n_taps), phases.dtype)
    for i in range(n_groups):
        total += per_group[i]
    return total


@njit(cache=True, nogil=True, fastmath=FASTMATH, parallel=True)
def conv_transpose_2x2_groups(grad_y, weight, tap_channel, tap_phase, tap_offset, groups, plane_len, g, planes,
                          bias, grad_x):
    """grad_x[n, c, 2i + a, 2j + b] = bias[c] + sum over o of w[c, 2a + b, o] * grad_y[n, o, i, j]: the
    input gradient of a convolution with a 2x2 kernel and stride 2, i.e. the transposed convolution that
    doubles the size (``grad_y`` is then the transposed convolution's input, ``grad_x`` its output). Its windows do not overlap, so tap (a, b) alone makes phase (a, b) of grad_x: for
    each channel c, its four phases are a 1x1 convolution of grad_y (the forward's four-plane gather,
    with taps at offset 0), put in place right away (depth-to-space). No scatter into zeroed planes, and
    no separate merge pass over the output. weight (C_in, 4, C_out); g: grad_y side by side, made here
    group by group; planes (C_in, 2, 2, N, H_out, W_out), scratch."""
    flat, sources = planes.reshape(planes.shape[0], 4, -1), g.reshape(g.shape[0], 1, -1)
    for i in prange(groups.size - 1):
        first, last = groups[i], groups[i + 1]
        pad_group(grad_y, first, last, 0, 0, plane_len, grad_y.shape[3], g)
        for c in range(weight.shape[0]):
            forward_planes4(flat[c], 0, weight[c], sources, tap_channel, tap_phase, tap_offset, first * plane_len,
                             (last - first) * plane_len)
            for n in range(first, last):
                merge_2x2_plane(planes, n, c, bias[c], grad_x)


# The weight gradient of a layer of few taps C_in * kH * kW and a large output (a model's first layer, on
# 1-channel images) copies each image's phase slices out at the output's row length W_out instead: the
# im2col columns, (n_taps, 1, H_out * W_out) per image, small for so few taps. It then dots grad_y as it
# is, with no widened copy of it (a 2 MB array for the denoiser's first layer).

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
def weight_grad_column_groups(phases, grad_y, tap_channel, tap_phase, tap_offset, groups, plane_len, wq, wo,
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
            weight_grad_rows(per_group[i], grad_y[n], columns[n], own, zero, zero, first, n_px)
    total = np.zeros((c_out, n_taps), phases.dtype)
    for i in range(n_groups):
        total += per_group[i]
    return total


# -- the interface shared with scratchae.kernels.reference.conv2d -------------------------------------

def conv2d(x, weight, bias, stride, padding, dilation):
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    ho, wo = conv2d_output_size(x.shape[2:], weight.shape[2:], stride, padding, dilation)
    n_img, c_out, (_, c_in, kh, kw) = len(x), weight.shape[0], weight.shape
    hq, wq = phase_geometry(x.shape[2], x.shape[3], sh, sw, ph, pw)
    phases = to_phases(x, sh, sw, ph, pw)
    y = np.empty((n_img, c_out, ho, wo), x.dtype)
    conv2d_groups(phases, np.ascontiguousarray(weight).reshape(c_out, -1),
                  *flat_taps(c_in, kh, kw, sh, sw, dh, dw, wq), image_groups(n_img, hq * wq),
                  hq * wq, wq, (ho - 1) * wq + wo, wide_scratch("wide", c_out, n_img, hq, wq, x.dtype),
                  bias_or_zeros(bias, c_out, x.dtype), y)
    return y


def conv2d_input_grad(grad_y, weight, stride, padding, dilation, in_hw):
    return _input_grad_plus_bias(grad_y, weight, None, stride, padding, dilation, in_hw)


def conv_transpose2d(x, weight, bias, stride, padding, dilation, out_hw):
    """The input gradient of the convolution with the same ``weight``, at ``x``, plus ``bias``."""
    return _input_grad_plus_bias(x, weight, bias, stride, padding, dilation, out_hw)


def _input_grad_plus_bias(grad_y, weight, bias, stride, padding, dilation, in_hw):
    """The input gradient (plus ``bias`` (C_in,), or nothing), by whichever of the three ways fits."""
    (ph, pw), (dh, dw) = padding, dilation
    _, _, ho, wo = grad_y.shape
    _, _, kh, kw = weight.shape
    full_padding = (dh * (kh - 1) - ph, dw * (kw - 1) - pw)
    natural_hw = (ho + dh * (kh - 1) - 2 * ph, wo + dw * (kw - 1) - 2 * pw)     # no output_padding
    if stride == (1, 1) and min(full_padding) >= 0 and tuple(in_hw) == natural_hw:
        return input_grad_as_convolution(grad_y, weight, bias, padding, dilation)
    if (kh, kw) == stride == (2, 2) and padding == (0, 0) and dilation == (1, 1) and tuple(in_hw) == (2 * ho, 2 * wo):
        return input_grad_2x2(grad_y, weight, bias)
    return input_grad_by_scatter(grad_y, weight, bias, stride, padding, dilation, in_hw)


def input_grad_as_convolution(grad_y, weight, bias, padding, dilation):
    """Stride 1, no output padding: a convolution of grad_y padded by d(k - 1) - p, with the kernel
    flipped and its two channel axes exchanged (Dumoulin & Visin, 2016, section 4.1)."""
    (ph, pw), (dh, dw), (kh, kw) = padding, dilation, weight.shape[2:]
    flipped = weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    return conv2d(grad_y, flipped, bias, (1, 1), (dh * (kh - 1) - ph, dw * (kw - 1) - pw), dilation)


def input_grad_2x2(grad_y, weight, bias):
    """A 2x2 kernel with stride 2, no padding: see :func:`conv_transpose_2x2_groups`."""
    n_img, c_out, ho, wo = grad_y.shape
    c_in, dtype = weight.shape[1], grad_y.dtype
    grad_x = np.empty((n_img, c_in, 2 * ho, 2 * wo), dtype)
    conv_transpose_2x2_groups(np.ascontiguousarray(grad_y), weight.reshape(c_out, c_in, 4).transpose(1, 2, 0).copy(),
                              *flat_taps(c_out, 1, 1, 1, 1, 1, 1, wo), image_groups(n_img, ho * wo), ho * wo,
                              wide_scratch("side by side", c_out, n_img, ho, wo, dtype),
                              scratch("grad_phases", (c_in, 2, 2, n_img, ho, wo), dtype),
                              bias_or_zeros(bias, c_in, dtype), grad_x)
    return grad_x


def input_grad_by_scatter(grad_y, weight, bias, stride, padding, dilation, in_hw):
    """Any stride, padding, dilation and output size: scattered into the phase planes, then merged."""
    (sh, sw), (ph, pw), (dh, dw), (h, w) = stride, padding, dilation, in_hw
    n_img, _, ho, wo = grad_y.shape
    c_out, c_in, kh, kw = weight.shape
    hq, wq = phase_geometry(h, w, sh, sw, ph, pw)
    grad_phases = scratch("grad_phases", (c_in, sh * sw, n_img * hq * wq), grad_y.dtype)
    tap_phase, tap_offset = tap_table(kh, kw, sh, sw, dh, dw, wq)
    scatter_groups(np.ascontiguousarray(grad_y), np.ascontiguousarray(weight).reshape(c_out, c_in, kh * kw),
                   tap_phase.ravel(), tap_offset.ravel(), image_groups(n_img, hq * wq), hq * wq, wq,
                   (ho - 1) * wq + wo, widened_scratch(c_out, n_img, hq, wq, (ho, wo), grad_y.dtype), grad_phases)
    grad_x = np.empty((n_img, c_in, h, w), grad_y.dtype)
    return from_phases(grad_phases, h, w, sh, sw, ph, pw, grad_x, bias)


def conv2d_weight_grad(x, grad_y, stride, padding, dilation, kernel_hw):
    (sh, sw), (ph, pw), (dh, dw), (kh, kw) = stride, padding, dilation, kernel_hw
    n_img, c_out, ho, wo = grad_y.shape
    c_in, n_taps = x.shape[1], x.shape[1] * kh * kw
    hq, wq = phase_geometry(x.shape[2], x.shape[3], sh, sw, ph, pw)
    phases, taps = phases_for_weight_grad(x, sh, sw, ph, pw), flat_taps(c_in, kh, kw, sh, sw, dh, dw, wq)
    grad_y = np.ascontiguousarray(grad_y)
    if n_taps <= COLUMN_TAPS:
        grad_w = weight_grad_column_groups(phases, grad_y.reshape(n_img, c_out, ho * wo), *taps,
                                           image_groups(n_img, ho * wo), hq * wq, wq, wo,
                                           scratch("columns", (n_img, n_taps, 1, ho * wo), grad_y.dtype),
                                           *column_taps(n_taps))
    else:
        grad_w = weight_grad_groups(phases, grad_y, *taps, image_groups(n_img, hq * wq), hq * wq, wq,
                                    (ho - 1) * wq + wo, widened_scratch(c_out, n_img, hq, wq, (ho, wo), grad_y.dtype))
    return grad_w.reshape(c_out, c_in, kh, kw)


def conv2d_bias_grad(grad_y):
    # each plane's sum in parallel, then the sums over images in image order (the same bits on any
    # number of threads)
    return _plane_sums(np.ascontiguousarray(grad_y)).sum(axis=0)

r"""Convolution compiled with Numba: the functions and signatures of
:mod:`scratchae.kernels.reference.conv2d`, fast.

- :func:`conv2d`: :math:`y = x \star w + b`, gathered tap by tap from the phase planes of the padded
  input (:mod:`.conv_layout`) by the loops of :mod:`.conv_loops`, a group of images per thread.
- :func:`conv2d_input_grad`: :math:`\partial L/\partial x`, which *is* the transposed convolution. It is
  computed one of three ways, all equal: with stride 1 as a forward convolution of the output gradient
  with the flipped, channel-swapped kernel (Dumoulin & Visin, 2016, section 4.1), which accumulates in
  contiguous memory; with a 2x2 kernel and stride 2, whose windows never overlap, as a 1x1 convolution
  into the four phases, interleaved as they are written (:func:`input_grad_2x2`); otherwise by
  scattering each output gradient through the kernel into the phase planes (:func:`input_grad_by_scatter`).
- :func:`conv_transpose2d`: that input gradient plus a bias, added in its last copy.
- :func:`conv2d_weight_grad`, :func:`conv2d_bias_grad`: sums over the images, one private term per
  group of images summed in group order, so the bits are the same on any number of threads.

The first two ways are one parallel kernel, :func:`conv2d_groups`: each group of images is split into
phases, multiplied and added, and finished (cropped, or interleaved, see :mod:`.conv_epilogue`) by the
same thread while it is in cache. ``prange`` hands the groups out to the threads. What each choice was
measured against is in ``docs/performance.md``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .conv_epilogue import CROP, CROP_RELU, CROP_RELU_POOL, MERGE_2X2, MERGE_2X2_RELU, finish_planes
from .conv_layout import (
    bias_or_zeros,
    conv_plan,
    from_phases,
    image_groups,
    pad_group,
    phase_geometry,
    phases_for_weight_grad,
    phases_scratch,
    remember_split,
    round_up3,
    split_any,
    split_group,
    tap_table,
    weight_matrix,
    wide_scratch,
    widened_scratch,
)
from .conv_loops import FASTMATH, forward_plane, forward_planes4, scatter_plane, scatter_planes4, weight_grad_rows
from .workspace import scratch

#: the positions of maxima, for the epilogues that have none
NO_INDICES = np.empty((0, 0, 0, 0), np.int32)


@njit(cache=True, nogil=True)
def plane_sums(g):
    """sums[o] = the sum of g[:, o] (N, C, H, W): each plane's sum, then the sums over images in image
    order (the bias gradient of a convolution)."""
    n_img, n_ch = g.shape[:2]
    sums = np.zeros(n_ch, g.dtype)
    for n in range(n_img):
        for o in range(n_ch):
            plane = g[n, o].reshape(-1)
            total = g.dtype.type(0)
            for t in range(plane.size):
                total += plane[t]
            sums[o] += total
    return sums


# The whole-batch kernels: prange hands the groups of images out to the threads (OpenMP threads, see
# docs/performance.md). Group i covers the images groups[i] <= n < groups[i + 1], i.e. the pixels
# start .. start + length of every side-by-side plane, from its first image's first pixel to its last
# image's last valid output pixel; its loops read and write its own images only. The weight gradient,
# a sum over images, keeps one private term per group, so that threads never add into the same memory.


@njit(cache=True, nogil=True, fastmath=FASTMATH, parallel=True)
def conv2d_groups(
    x,
    sh,
    sw,
    ph,
    pw,
    phases,
    weight,
    tap_channel,
    tap_phase,
    tap_offset,
    groups,
    plane_len,
    wq,
    span,
    wide,
    bias,
    epilogue,
    y,
    indices,
    w_out,
):
    """For each group of images: split x into ``phases`` (:func:`.conv_layout.split_group`; the other
    geometries come split), compute wide[o, t] = sum over taps k of w[o, k] * phases[c_k, phase_k,
    t + offset_k] four output planes at a time, and finish each block of planes into y as ``epilogue``
    says (:func:`.conv_epilogue.finish_planes`; ``w_out``: the output's width on the phase grid)."""
    c_out = weight.shape[0]
    fours = c_out - c_out % 4
    four, one = np.int64(4), np.int64(1)  # run-time ints: literals would compile finish_planes twice
    for i in prange(groups.size - 1):
        first, last = groups[i], groups[i + 1]
        split_group(x, first, last, sh, sw, ph, pw, phases)
        start, length = first * plane_len, (last - first - 1) * plane_len + span
        for o in range(0, fours, 4):
            forward_planes4(
                wide[o : o + 4], weight[o : o + 4], phases, tap_channel, tap_phase, tap_offset, start, length
            )
            finish_planes(wide, o, four, first, last, plane_len, wq, bias, epilogue, y, indices, w_out)
        for o in range(fours, c_out):
            forward_plane(wide[o], weight[o], phases, tap_channel, tap_phase, tap_offset, start, length)
            finish_planes(wide, o, one, first, last, plane_len, wq, bias, epilogue, y, indices, w_out)


@njit(cache=True, nogil=True, fastmath=FASTMATH, parallel=True)
def scatter_groups(grad_y, weight, tap_phase, tap_offset, groups, plane_len, wq, span, widened, grad_phases):
    """grad_phases[c, phase_uv, t + offset_uv] = sum over o of w[o, c, uv] * g_wide[o, t]: the forward's
    scatter, for each kernel tap uv four input channels (distinct planes, so never overlapping) by three
    output channels at a time. weight (C_out rounded up to three, C_in, kH * kW), zero in its last rows;
    widened: grad_y widened here, group by group (its planes beyond C_out are zero, cleared by the caller)."""
    c_in, n_uv = weight.shape[1], weight.shape[2]
    fours = c_in - c_in % 4
    g = widened.reshape(widened.shape[0], widened.shape[2])
    for i in prange(groups.size - 1):
        first, last = groups[i], groups[i + 1]
        start, length = first * plane_len, (last - first - 1) * plane_len + span
        # widen grad_y (padding 0, as run-time int64s: the pad_group compiled for the splits serves),
        # then clear the group's part of the planes it scatters into
        pad_group(grad_y, first, last, np.int64(0), np.int64(0), plane_len, wq, widened)
        for c in range(c_in):
            for phase in range(grad_phases.shape[1]):
                plane = grad_phases[c, phase]
                for t in range(start, last * plane_len):
                    plane[t] = 0
        for uv in range(n_uv):
            offset, p = tap_offset[uv], tap_phase[uv]
            for c in range(0, fours, 4):
                scatter_planes4(grad_phases, c, p, offset, weight[:, c : c + 4, uv], g, start, length)
            for c in range(fours, c_in):
                scatter_plane(grad_phases, c, p, offset, weight[:, c, uv], g, start, length)


@njit(cache=True, nogil=True, fastmath=FASTMATH, parallel=True)
def weight_grad_groups(
    phases, grad_y, tap_channel, tap_phase, tap_offset, groups, plane_len, wq, span, widened, per_group
):
    """per_group[i, o, k] = sum over the images of group i and the pixels t of g[o, t] * phases[c_k, phase_k,
    t + offset_k], with g: grad_y widened to the phases' row length W_q (into ``widened``, here, group by
    group) so that it is dotted with the phases' slices directly.

    Each group's term goes to its own row of ``per_group`` (n_groups, C_out, taps), which the caller sums
    in group order: the same bits on any number of threads.
    """
    g = widened.reshape(widened.shape[0], widened.shape[2])
    for i in prange(groups.size - 1):
        first, last = groups[i], groups[i + 1]
        term = per_group[i]
        for o in range(term.shape[0]):
            for k in range(term.shape[1]):
                term[o, k] = 0
        pad_group(grad_y, first, last, np.int64(0), np.int64(0), plane_len, wq, widened)  # widen, as above
        weight_grad_rows(
            term,
            g,
            phases,
            tap_channel,
            tap_phase,
            tap_offset,
            first * plane_len,
            (last - first - 1) * plane_len + span,
        )


# -- the interface shared with scratchae.kernels.reference.conv2d -------------------------------------


def conv2d(x, weight, bias, stride, padding, dilation):
    return convolution(x, weight, bias, stride, padding, dilation, CROP)[0]


def convolution(x, weight, bias, stride, padding, dilation, epilogue):
    """(y, indices): the convolution of x (N, C_in, H, W) with weight (C_out, C_in, kH, kW), plus ``bias``,
    finished as ``epilogue`` says (:mod:`.conv_epilogue`: also a ReLU, or a ReLU and a 2x2 max pooling,
    whose positions ``indices`` are; else :data:`NO_INDICES`)."""
    c_out = weight.shape[0]
    plan = conv_plan(x.shape, weight.shape[2:], stride, padding, dilation)
    ho, wo = plan.out_hw
    if epilogue == CROP_RELU_POOL:
        y = np.empty((len(x), c_out, ho // 2, wo // 2), x.dtype)
        indices = np.empty(y.shape, np.int32)  # flat positions in a plane (< 2**31 pixels)
    else:
        y, indices = np.empty((len(x), c_out, ho, wo), x.dtype), NO_INDICES
    weights = weight_matrix("conv2d", weight.reshape(c_out, -1), plan.taps[0].size)
    run_conv2d_groups(x, plan, weights, bias_or_zeros(bias, c_out, x.dtype), epilogue, y, indices)
    return y, indices


def run_conv2d_groups(x, plan, weights, bias, epilogue, y, indices):
    """Run :func:`conv2d_groups` on x (N, C, H, W) laid out by ``plan`` (:func:`.conv_layout.conv_plan`),
    with the weight matrix ``weights`` (rows, the plan's taps)."""
    (sh, sw), (ph, pw) = plan.stride, plan.padding
    x = np.ascontiguousarray(x)
    phases = phases_scratch(x, sh, sw, ph, pw)
    if not plan.split_in_kernel:
        split_any(x, sh, sw, ph, pw, phases)  # a rare geometry: split first, on one thread
    conv2d_groups(
        x,
        sh,
        sw,
        ph,
        pw,
        phases,
        weights,
        *plan.taps,
        plan.groups,
        plan.plane_len,
        plan.wq,
        plan.span,
        wide_scratch("wide", len(weights), len(x), plan.hq, plan.wq, x.dtype),
        bias,
        epilogue,
        y,
        indices,
        plan.out_hw[1],
    )
    remember_split(x, sh, sw, ph, pw, phases)


def conv2d_input_grad(grad_y, weight, stride, padding, dilation, in_hw):
    return input_grad_plus_bias(grad_y, weight, None, stride, padding, dilation, in_hw)


def conv_transpose2d(x, weight, bias, stride, padding, dilation, out_hw):
    """The input gradient of the convolution with the same ``weight``, at ``x``, plus ``bias``."""
    return input_grad_plus_bias(x, weight, bias, stride, padding, dilation, out_hw)


def input_grad_plus_bias(grad_y, weight, bias, stride, padding, dilation, in_hw, relu=False):
    """The input gradient (plus ``bias`` (C_in,), or nothing; then a ReLU if ``relu``), by whichever of
    the three ways fits."""
    (ph, pw), (dh, dw) = padding, dilation
    _, _, ho, wo = grad_y.shape
    _, _, kh, kw = weight.shape
    full_padding = (dh * (kh - 1) - ph, dw * (kw - 1) - pw)
    natural_hw = (ho + dh * (kh - 1) - 2 * ph, wo + dw * (kw - 1) - 2 * pw)  # no output_padding
    if stride == (1, 1) and min(full_padding) >= 0 and tuple(in_hw) == natural_hw:
        return input_grad_as_convolution(grad_y, weight, bias, padding, dilation, relu)
    if (kh, kw) == stride == (2, 2) and padding == (0, 0) and dilation == (1, 1) and tuple(in_hw) == (2 * ho, 2 * wo):
        return input_grad_2x2(grad_y, weight, bias, relu)
    return input_grad_by_scatter(grad_y, weight, bias, stride, padding, dilation, in_hw, relu)


def input_grad_as_convolution(grad_y, weight, bias, padding, dilation, relu=False):
    """Stride 1, no output padding: a convolution of grad_y padded by d(k - 1) - p, with the kernel
    flipped and its two channel axes exchanged (Dumoulin & Visin, 2016, section 4.1)."""
    (ph, pw), (dh, dw), (kh, kw) = padding, dilation, weight.shape[2:]
    flipped = weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    full_padding = (dh * (kh - 1) - ph, dw * (kw - 1) - pw)
    return convolution(grad_y, flipped, bias, (1, 1), full_padding, dilation, CROP_RELU if relu else CROP)[0]


def input_grad_2x2(grad_y, weight, bias, relu=False):
    """A 2x2 kernel with stride 2, no padding: its taps never reach the same input pixel, so tap (a, b)
    alone makes phase (a, b) of grad_x. For each input channel c, its four phases are four output
    planes of a 1x1 convolution of grad_y (rows (c, a, b) of the weight matrix), interleaved into
    grad_x as soon as they are computed (:data:`.conv_epilogue.MERGE_2X2`): no scatter into zeroed
    planes, no merge pass over the output."""
    n_img, c_out, ho, wo = grad_y.shape
    c_in, dtype = weight.shape[1], grad_y.dtype
    grad_x = np.empty((n_img, c_in, 2 * ho, 2 * wo), dtype)
    plan = conv_plan(grad_y.shape, (1, 1), (1, 1), (0, 0), (1, 1))  # side by side, 1x1 taps
    weights = weight_matrix("2x2", weight.transpose(1, 2, 3, 0).reshape(4 * c_in, c_out), plan.taps[0].size)
    run_conv2d_groups(
        grad_y,
        plan,
        weights,
        bias_or_zeros(bias, c_in, dtype),
        MERGE_2X2_RELU if relu else MERGE_2X2,
        grad_x,
        NO_INDICES,
    )
    return grad_x


def input_grad_by_scatter(grad_y, weight, bias, stride, padding, dilation, in_hw, relu=False):
    """Any stride, padding, dilation and output size: scattered into the phase planes, then merged."""
    (sh, sw), (ph, pw), (dh, dw), (h, w) = stride, padding, dilation, in_hw
    n_img, _, ho, wo = grad_y.shape
    c_out, c_in, kh, kw = weight.shape
    hq, wq = phase_geometry(h, w, sh, sw, ph, pw)
    grad_phases = scratch("grad_phases", (c_in, sh * sw, n_img * hq * wq), grad_y.dtype)
    tap_phase, tap_offset = tap_table(kh, kw, sh, sw, dh, dw, wq)
    rounded = round_up3(c_out)  # output channels three at a time, the last zero
    weights = scratch("scatter weights", (rounded, c_in, kh * kw), grad_y.dtype)
    weights[:c_out] = weight.reshape(c_out, c_in, kh * kw)
    weights[c_out:] = 0
    widened = widened_scratch(rounded, n_img, hq, wq, (ho, wo), grad_y.dtype)
    widened[c_out:] = 0
    scatter_groups(
        np.ascontiguousarray(grad_y),
        weights,
        tap_phase.ravel(),
        tap_offset.ravel(),
        image_groups(n_img, hq * wq),
        hq * wq,
        wq,
        (ho - 1) * wq + wo,
        widened,
        grad_phases,
    )
    grad_x = np.empty((n_img, c_in, h, w), grad_y.dtype)
    return from_phases(grad_phases, h, w, sh, sw, ph, pw, grad_x, bias, relu)


def conv2d_weight_grad(x, grad_y, stride, padding, dilation, kernel_hw):
    (sh, sw), (ph, pw) = stride, padding
    n_img, c_out, ho, wo = grad_y.shape
    c_in, (kh, kw) = x.shape[1], kernel_hw
    plan = conv_plan(x.shape, kernel_hw, stride, padding, dilation)
    phases, grad_y = phases_for_weight_grad(x, sh, sw, ph, pw), np.ascontiguousarray(grad_y)
    per_group = scratch("weight gradients", (len(plan.groups) - 1, c_out, plan.taps[0].size), grad_y.dtype)
    weight_grad_groups(
        phases,
        grad_y,
        *plan.taps,
        plan.groups,
        plan.plane_len,
        plan.wq,
        plan.span,
        widened_scratch(c_out, n_img, plan.hq, plan.wq, (ho, wo), grad_y.dtype),
        per_group,
    )
    return sum_in_order(per_group)[:, : c_in * kh * kw].reshape(c_out, c_in, kh, kw)


def sum_in_order(terms):
    """terms[0] + terms[1] + ... in that order (NumPy's sum would pair them up in an order of its own);
    zeros for no terms (an empty batch)."""
    total = np.zeros(terms.shape[1:], terms.dtype)
    for term in terms:
        total += term
    return total


def conv2d_bias_grad(grad_y):
    return plane_sums(np.ascontiguousarray(grad_y))

r"""What the Numba convolution kernel does with a group's output planes once they are computed.

The multiply-adds of :mod:`.conv_loops` leave each output channel of a group of images "wide" (rows of
the phase planes' length :math:`W_q`, see :mod:`.conv_layout`). Right after a block of planes is done,
while it is still in cache, one of these copies turns it into the output the caller asked for:

- :data:`CROP`: the valid pixels, plus the bias: :math:`y = z + b` (a convolution);
- :data:`CROP_RELU`: :math:`y = \max(z + b, 0)` (a convolution then a ReLU);
- :data:`CROP_RELU_POOL`: :math:`y = \max(\max_{2 \times 2} (z + b), 0)`, with the position of each
  maximum (a convolution, a ReLU, a 2x2 max pooling);
- :data:`MERGE_2X2`, :data:`MERGE_2X2_RELU`: four planes are the four phases of one channel, interleaved
  into an output twice as large (depth-to-space), plus the bias (and a ReLU): a transposed convolution
  with a 2x2 kernel and stride 2.

So a layer followed by a ReLU or a pooling writes only its final output: the activation it would have
written, read again and written again never exists (see ``docs/performance.md``). The ReLU keeps NaN as
NaN and maps -inf to 0, as :func:`scratchae.kernels.numba.activations.relu`; since ReLU and max commute,
the pooled ReLU is the ReLU of the maximum, whose position is the position the backward needs.
"""

from __future__ import annotations

import numpy as np
from numba import njit

CROP, CROP_RELU, CROP_RELU_POOL, MERGE_2X2, MERGE_2X2_RELU = 0, 1, 2, 3, 4


@njit(cache=True, nogil=True)
def finish_planes(wide, o, count, first, last, plane_len, wq, bias, epilogue, y, indices, w_out):
    """Planes o .. o + count - 1 of ``wide`` for the images first <= n < last, into ``y`` as ``epilogue``
    says (``indices`` and ``w_out``, the convolution's output width: for :data:`CROP_RELU_POOL` only)."""
    # a ReLU is max(., 0), written so that NaN stays NaN; no ReLU is max(., -inf), the same loop
    floor = y.dtype.type(0) if epilogue in (CROP_RELU, MERGE_2X2_RELU) else y.dtype.type(-np.inf)
    if epilogue == CROP_RELU_POOL:
        crop_relu_pool(wide, o, count, first, last, plane_len, wq, bias, y, indices, w_out)
    elif epilogue in (MERGE_2X2, MERGE_2X2_RELU):
        merge_2x2(wide, o, first, last, plane_len, bias, floor, y)
    else:
        crop(wide, o, count, first, last, plane_len, wq, bias, floor, y)


@njit(cache=True, nogil=True)
def crop(wide, o, count, first, last, plane_len, wq, bias, floor, y):
    """y[n, c, i, j] = max(wide[c, n * L + i * W_q + j] + bias[c], floor) for the channels
    o <= c < o + count (``floor`` 0: a ReLU, whose NaN stays NaN; -inf: none)."""
    ho, wo = y.shape[2:]
    for n in range(first, last):
        for c in range(o, o + count):
            b = bias[c]
            for i in range(ho):
                start = n * plane_len + i * wq
                src, dst = wide[c, start : start + wo], y[n, c, i]
                for j in range(wo):
                    value = src[j] + b
                    dst[j] = value if not value <= floor else floor


@njit(cache=True, nogil=True)
def crop_relu_pool(wide, o, count, first, last, plane_len, wq, bias, y, indices, w_out):
    """z = wide + bias[c] cropped to the convolution's output (of width ``w_out``), then y[n, c, i, j] =
    max(0, max over the window (2i + a, 2j + b) of z) and indices[n, c, i, j] = (2i + a) * w_out + 2j + b,
    the flat position of that maximum in the output plane (the first in row-major order on a tie; a NaN
    wins, as in max pooling), for the channels o <= c < o + count. An odd last row or column is left
    out, as pooling floors the size."""
    hp, wp = y.shape[2:]
    right, below, diagonal = np.int32(1), np.int32(w_out), np.int32(w_out + 1)
    zero = y.dtype.type(0)
    for n in range(first, last):
        for c in range(o, o + count):
            b = bias[c]
            for i in range(hp):
                top = n * plane_len + 2 * i * wq
                row0, row1 = wide[c, top : top + 2 * wp], wide[c, top + wq : top + wq + 2 * wp]
                y_row, at_row = y[n, c, i], indices[n, c, i]
                corner = np.int32(2 * i * w_out)
                for j in range(wp):
                    best, at = row0[2 * j] + b, np.int32(0)
                    value = row0[2 * j + 1] + b
                    wins = (value > best) | (value != value)  # value != value: NaN wins
                    best, at = (value, right) if wins else (best, at)
                    value = row1[2 * j] + b
                    wins = (value > best) | (value != value)
                    best, at = (value, below) if wins else (best, at)
                    value = row1[2 * j + 1] + b
                    wins = (value > best) | (value != value)
                    best, at = (value, diagonal) if wins else (best, at)
                    y_row[j] = best if not best <= 0 else zero
                    at_row[j] = corner + np.int32(2 * j) + at


@njit(cache=True, nogil=True)
def merge_2x2(wide, o, first, last, plane_len, bias, floor, y):
    """y[n, c, 2i + a, 2j + b] = max(wide[o + 2a + b, n * L + i * W + j] + bias[c], floor), c = o / 4: the
    four planes o .. o + 3 are the four phases of output channel c (``floor`` as in :func:`crop`)."""
    c = o // 4
    bc = bias[c]
    w = y.shape[3] // 2
    for n in range(first, last):
        for i in range(y.shape[2] // 2):
            start = n * plane_len + i * w
            for a in range(2):
                row = y[n, c, 2 * i + a]
                even, odd = wide[o + 2 * a, start : start + w], wide[o + 2 * a + 1, start : start + w]
                for j in range(w):
                    e, d = even[j] + bc, odd[j] + bc
                    row[2 * j] = e if not e <= floor else floor
                    row[2 * j + 1] = d if not d <= floor else floor

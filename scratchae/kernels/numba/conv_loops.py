r"""The multiply-add loops of the Numba convolution kernels, over one group of images.

Every function here works on the side-by-side phase planes of :mod:`.conv_layout` and walks a flat list
of the :math:`C_{in} k_h k_w` *taps* :math:`(c, u, v)`, in the order of ``weight.reshape(C_out, -1)``:
tap ``k`` reads channel ``tap_channel[k]``, phase ``tap_phase[k]``, from flat offset ``tap_offset[k]`` on.
For one tap the whole group of output pixels is one contiguous slice, so each loop is

- forward (:func:`forward_planes4`, :func:`forward_plane`):
  ``y[o, t] += w[o, k] * phases[c_k, phase_k, t + offset_k]``;
- weight gradient (:func:`weight_grad_rows`): ``grad_w[o, k] += sum_t g[o, t] * phases[c_k, phase_k, t + offset_k]``;
- input gradient, the scatter (:func:`scatter_planes4`, :func:`scatter_plane`):
  ``grad_phases[c, phase_uv, t + offset_uv] += w[o, c, uv] * g[o, t]``.

Why they look the way they do:

- Taps are taken three at a time, so that each pass over a plane does three multiply-adds per load and
  store of the accumulated plane (one at a time, the loop is limited by those loads and stores). The
  tables of taps are padded to a multiple of three with taps of weight zero
  (:func:`.conv_layout.flat_taps`), so that there is one loop, not one for three taps and one for the
  last one or two; the scatter's output channels likewise.
- Four planes at once where possible (four output channels in the forward and the weight gradient, four
  input channels in the scatter), so that one load of a source slice feeds four multiply-adds; the
  one-plane loops serve the rest (a layer of one output channel).
- Every slice is written ``phases[c, p, start:stop]`` (an integer index on all but the last axis), so
  that Numba knows it is contiguous and LLVM vectorizes the loop over it.
- ``fastmath`` re-association lets LLVM vectorize the sums: float32 sums are rounded in another order
  than a plain loop (as in any BLAS), not less accurately.

The measurements behind these choices are in ``docs/performance.md``.
"""

from __future__ import annotations

from numba import njit

#: LLVM may re-associate and contract (fused multiply-add) the sums, and ignore the sign of zero
FASTMATH = {"reassoc", "contract", "nsz"}


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def forward_planes4(acc, w, phases, tap_channel, tap_phase, tap_offset, start, length):
    """acc[i, start + t] = sum over taps k of w[i, k] * phases[c_k, phase_k, start + offset_k + t] for the
    four planes i = 0..3 of acc (and the four rows of w), t < length: each source element is loaded
    once for twelve multiply-adds into four planes."""
    stop = start + length
    acc0, acc1, acc2, acc3 = acc[0, start:stop], acc[1, start:stop], acc[2, start:stop], acc[3, start:stop]
    for t in range(length):
        acc0[t] = acc1[t] = acc2[t] = acc3[t] = 0
    for k in range(0, w.shape[1], 3):
        a, b, c = start + tap_offset[k], start + tap_offset[k + 1], start + tap_offset[k + 2]
        s0 = phases[tap_channel[k], tap_phase[k], a : a + length]
        s1 = phases[tap_channel[k + 1], tap_phase[k + 1], b : b + length]
        s2 = phases[tap_channel[k + 2], tap_phase[k + 2], c : c + length]
        w00, w01, w02 = w[0, k], w[0, k + 1], w[0, k + 2]
        w10, w11, w12 = w[1, k], w[1, k + 1], w[1, k + 2]
        w20, w21, w22 = w[2, k], w[2, k + 1], w[2, k + 2]
        w30, w31, w32 = w[3, k], w[3, k + 1], w[3, k + 2]
        for t in range(length):
            x0, x1, x2 = s0[t], s1[t], s2[t]
            acc0[t] += w00 * x0 + w01 * x1 + w02 * x2
            acc1[t] += w10 * x0 + w11 * x1 + w12 * x2
            acc2[t] += w20 * x0 + w21 * x1 + w22 * x2
            acc3[t] += w30 * x0 + w31 * x1 + w32 * x2


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def forward_plane(acc, w, phases, tap_channel, tap_phase, tap_offset, start, length):
    """:func:`forward_planes4` for one plane: acc[start + t] = sum over taps k of w[k] * phases[c_k,
    phase_k, start + offset_k + t], three taps per pass."""
    out = acc[start : start + length]
    for t in range(length):
        out[t] = 0
    for k in range(0, w.size, 3):
        a, b, c = start + tap_offset[k], start + tap_offset[k + 1], start + tap_offset[k + 2]
        s0 = phases[tap_channel[k], tap_phase[k], a : a + length]
        s1 = phases[tap_channel[k + 1], tap_phase[k + 1], b : b + length]
        s2 = phases[tap_channel[k + 2], tap_phase[k + 2], c : c + length]
        w0, w1, w2 = w[k], w[k + 1], w[k + 2]
        for t in range(length):
            out[t] += w0 * s0[t] + w1 * s1[t] + w2 * s2[t]


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def _weight_grad_rows4(grad_w, g, o, phases, tap_channel, tap_phase, tap_offset, start, length):
    """grad_w[i, k] += g[o + i, start:start + length] . phases[c_k, phase_k, start + offset_k:...] for the
    four rows i = 0..3 and every tap k: the twelve products of three taps and four rows with one load
    of each element."""
    stop = start + length
    g0, g1, g2, g3 = g[o, start:stop], g[o + 1, start:stop], g[o + 2, start:stop], g[o + 3, start:stop]
    zero = g.dtype.type(0)
    for k in range(0, grad_w.shape[1], 3):
        a, b, c = start + tap_offset[k], start + tap_offset[k + 1], start + tap_offset[k + 2]
        s0 = phases[tap_channel[k], tap_phase[k], a : a + length]
        s1 = phases[tap_channel[k + 1], tap_phase[k + 1], b : b + length]
        s2 = phases[tap_channel[k + 2], tap_phase[k + 2], c : c + length]
        a0 = a1 = a2 = b0 = b1 = b2 = c0 = c1 = c2 = d0 = d1 = d2 = zero
        for t in range(length):
            x0, x1, x2 = s0[t], s1[t], s2[t]
            u = g0[t]
            a0, a1, a2 = a0 + u * x0, a1 + u * x1, a2 + u * x2
            u = g1[t]
            b0, b1, b2 = b0 + u * x0, b1 + u * x1, b2 + u * x2
            u = g2[t]
            c0, c1, c2 = c0 + u * x0, c1 + u * x1, c2 + u * x2
            u = g3[t]
            d0, d1, d2 = d0 + u * x0, d1 + u * x1, d2 + u * x2
        grad_w[0, k] += a0
        grad_w[0, k + 1] += a1
        grad_w[0, k + 2] += a2
        grad_w[1, k] += b0
        grad_w[1, k + 1] += b1
        grad_w[1, k + 2] += b2
        grad_w[2, k] += c0
        grad_w[2, k + 1] += c1
        grad_w[2, k + 2] += c2
        grad_w[3, k] += d0
        grad_w[3, k + 1] += d1
        grad_w[3, k + 2] += d2


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def _weight_grad_row(grad_w, g, o, phases, tap_channel, tap_phase, tap_offset, start, length):
    """:func:`_weight_grad_rows4` for the one row o: grad_w[k] += g[o, start:...] . (tap k's slice)."""
    gy = g[o, start : start + length]
    zero = g.dtype.type(0)
    for k in range(0, grad_w.size, 3):
        a, b, c = start + tap_offset[k], start + tap_offset[k + 1], start + tap_offset[k + 2]
        s0 = phases[tap_channel[k], tap_phase[k], a : a + length]
        s1 = phases[tap_channel[k + 1], tap_phase[k + 1], b : b + length]
        s2 = phases[tap_channel[k + 2], tap_phase[k + 2], c : c + length]
        d0 = d1 = d2 = zero
        for t in range(length):
            u = gy[t]
            d0, d1, d2 = d0 + u * s0[t], d1 + u * s1[t], d2 + u * s2[t]
        grad_w[k] += d0
        grad_w[k + 1] += d1
        grad_w[k + 2] += d2


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def weight_grad_rows(grad_w, g, phases, tap_channel, tap_phase, tap_offset, start, length):
    """grad_w[o, k] += g[o, start:start + length] . phases[c_k, phase_k, start + offset_k:...]: four rows
    at a time (:func:`_weight_grad_rows4`), one at a time for the last C_out mod 4."""
    c_out = g.shape[0]
    fours = c_out - c_out % 4
    for o in range(0, fours, 4):
        _weight_grad_rows4(grad_w[o : o + 4], g, o, phases, tap_channel, tap_phase, tap_offset, start, length)
    for o in range(fours, c_out):
        _weight_grad_row(grad_w[o], g, o, phases, tap_channel, tap_phase, tap_offset, start, length)


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def scatter_planes4(grad_phases, c, p, offset, w, g, start, length):
    """grad_phases[c + i, p, start + offset + t] += sum over o of w[o, i] * g[o, start + t] for the four
    input channels c .. c + 3 (w: C_out x 4, C_out a multiple of three), three output channels per pass."""
    first, stop = start + offset, start + length
    dst0, dst1 = grad_phases[c, p, first : first + length], grad_phases[c + 1, p, first : first + length]
    dst2, dst3 = grad_phases[c + 2, p, first : first + length], grad_phases[c + 3, p, first : first + length]
    for o in range(0, w.shape[0], 3):
        s0, s1, s2 = g[o, start:stop], g[o + 1, start:stop], g[o + 2, start:stop]
        w00, w01, w02 = w[o, 0], w[o + 1, 0], w[o + 2, 0]
        w10, w11, w12 = w[o, 1], w[o + 1, 1], w[o + 2, 1]
        w20, w21, w22 = w[o, 2], w[o + 1, 2], w[o + 2, 2]
        w30, w31, w32 = w[o, 3], w[o + 1, 3], w[o + 2, 3]
        for t in range(length):
            x0, x1, x2 = s0[t], s1[t], s2[t]
            dst0[t] += w00 * x0 + w01 * x1 + w02 * x2
            dst1[t] += w10 * x0 + w11 * x1 + w12 * x2
            dst2[t] += w20 * x0 + w21 * x1 + w22 * x2
            dst3[t] += w30 * x0 + w31 * x1 + w32 * x2


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def scatter_plane(grad_phases, c, p, offset, w, g, start, length):
    """:func:`scatter_planes4` into the one input channel c (w: C_out weights)."""
    dst = grad_phases[c, p, start + offset : start + offset + length]
    stop = start + length
    for o in range(0, w.size, 3):
        s0, s1, s2 = g[o, start:stop], g[o + 1, start:stop], g[o + 2, start:stop]
        w0, w1, w2 = w[o], w[o + 1], w[o + 2]
        for t in range(length):
            dst[t] += w0 * s0[t] + w1 * s1[t] + w2 * s2[t]

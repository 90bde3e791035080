r"""The multiply-add loops of the Numba convolution kernels, over one group of images.

Every function here works on the side-by-side phase planes of :mod:`.conv_layout` and walks a flat list
of the :math:`C_{in} k_h k_w` *taps* :math:`(c, u, v)`, in the order of ``weight.reshape(C_out, -1)``:
tap ``k`` reads channel ``tap_channel[k]``, phase ``tap_phase[k]``, from flat offset ``tap_offset[k]`` on.
For one tap the whole group of output pixels is one contiguous slice, so each loop is

- forward (:func:`forward_plane`): ``y[o, t] += w[o, k] * phases[c_k, phase_k, t + offset_k]``;
- weight gradient (:func:`weight_grad_rows`): ``grad_w[o, k] += sum_t g[o, t] * phases[c_k, phase_k, t + offset_k]``;
- input gradient, the scatter (:func:`scatter_plane`): ``grad_phases[c, phase_uv, t + offset_uv] += w[o, c, uv] * g[o, t]``.

Why they look the way they do:

- Taps are taken three at a time, so that each pass over a plane does three multiply-adds per load and
  store of the accumulated plane (one at a time, the loop is limited by those loads and stores); the
  last one or two taps of a plane still go through four planes in one pass.
- Four planes at once where possible (four output channels in the forward and the weight gradient, four
  input channels in the scatter), so that one load of a source slice feeds four multiply-adds.
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
# or for four (o .. o + 3) at once, the four sharing every load of the three source slices; the
# one-channel loops serve the last C_out mod 4.

@njit(cache=True, nogil=True, fastmath=FASTMATH)
def forward_plane(y, o, w, phases, tap_channel, tap_phase, tap_offset, start, length):
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
def forward_planes4(y, o, w, phases, tap_channel, tap_phase, tap_offset, start, length):
    """:func:`forward_plane` for the four output channels o .. o + 3 at once (w: their 4 weight rows)."""
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
def weight_grad_rows(grad_w, g, phases, tap_channel, tap_phase, tap_offset, start, length):
    """:func:`_weight_grad_rows4` for every four output channels, :func:`_weight_grad_row` for the rest."""
    c_out = g.shape[0]
    fours = c_out - c_out % 4
    for o in range(0, fours, 4):
        _weight_grad_rows4(grad_w[o:o + 4], g, o, phases, tap_channel, tap_phase, tap_offset, start, length)
    for o in range(fours, c_out):
        _weight_grad_row(grad_w[o], g, o, phases, tap_channel, tap_phase, tap_offset, start, length)


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def scatter_plane(grad_phases, c, p, offset, w, g, start, length):
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
def scatter_planes4(grad_phases, c, p, offset, w, g, start, length):
    """:func:`scatter_plane` into the planes of the four input channels c .. c + 3 at once (w: C_out x 4)."""
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


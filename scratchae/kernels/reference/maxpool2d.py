r"""Max pooling in plain NumPy: the forward pass (with the position of each maximum) and its gradient.

With the input padded by :math:`-\infty` (so padding never wins), window :math:`(i, j)` covers
:math:`\tilde x_{s_h i + u,\; s_w j + v}` for :math:`0 \le u < kH,\ 0 \le v < kW`:

.. math::

    y_{n,c,i,j} = \max_{u,v} \tilde x_{n,c,\,s_h i + u,\,s_w j + v},
    \qquad
    \frac{\partial L}{\partial x_{n,c,h,w}} = \sum_{(i,j):\ \operatorname{argmax}_{i,j} = (h,w)}
        \frac{\partial L}{\partial y_{n,c,i,j}}.

Only the maximum of a window receives its gradient; windows that overlap (stride < kernel) can send
several gradients to the same pixel, which are summed. On a tie the *first* maximum in row-major order
of the window wins, as in PyTorch: ``np.argmax`` returns the first occurrence. (Only real pixels may
win, so a window of ``-inf`` values points at its first real pixel, not at the padding.)

With ``ceil_mode`` a last window may run past the end of the input; it is padded with more
:math:`-\infty` there (each window still starts inside the input or its left padding).

The positions are stored as PyTorch's ``return_indices`` does: the flat index :math:`h W + w` into the
unpadded input plane.
"""

from __future__ import annotations

import numpy as np


def max_pool2d(x, kernel_hw, stride, padding, out_hw):
    """``(y, indices)``: the window maxima (N, C, H_out, W_out) and their flat positions (int64)."""
    (kh, kw), (sh, sw), (ph, pw), (ho, wo) = kernel_hw, stride, padding, out_hw
    h_in, w_in = x.shape[2:]
    # -inf around the input, and more at the bottom/right where a last window (ceil_mode) runs past it
    bottom = max(ph, sh * (ho - 1) + kh - h_in - ph)
    right = max(pw, sw * (wo - 1) + kw - w_in - pw)
    pad = ((ph, bottom), (pw, right))
    xp = np.pad(x, ((0, 0), (0, 0), *pad), constant_values=-np.inf)
    real = np.pad(np.ones((h_in, w_in), dtype=bool), pad, constant_values=False)  # not padding

    def seen_at(u, v, a):  # what every window sees at offset (u, v): shape (..., H_out, W_out)
        return a[..., u : u + sh * (ho - 1) + 1 : sh, v : v + sw * (wo - 1) + 1 : sw]

    # candidates[u * kW + v] is offset (u, v): the first axis runs over the window in row-major order
    candidates = np.stack([seen_at(u, v, xp) for u in range(kh) for v in range(kw)])
    is_real = np.stack([seen_at(u, v, real) for u in range(kh) for v in range(kw)])[:, None, None]
    y = candidates.max(axis=0)
    # the first real pixel holding the maximum (a window of -inf values must not pick the padding)
    holds_max = ((candidates == y) | np.isnan(candidates)) & is_real
    first_max = np.argmax(holds_max, axis=0)  # argmax of booleans: the first True
    u, v = np.divmod(first_max, kw)
    rows = sh * np.arange(ho)[:, None] + u - ph  # position in the unpadded input
    cols = sw * np.arange(wo)[None, :] + v - pw
    return y, (rows * w_in + cols).astype(np.int64)


def max_pool2d_backward(grad_y, indices, in_hw):
    """Route each output gradient to the input pixel that was its window's maximum: -> (N, C, H, W)."""
    n, c, ho, wo = grad_y.shape
    h, w = in_hw
    grad_x = np.zeros((n * c, h * w), dtype=grad_y.dtype)
    plane = np.arange(n * c)[:, None]
    # sizes spelled out: reshape cannot infer a -1 next to the 0 of an empty batch
    np.add.at(grad_x, (plane, indices.reshape(n * c, ho * wo)), grad_y.reshape(n * c, ho * wo))  # sums repeats
    return grad_x.reshape(n, c, h, w)

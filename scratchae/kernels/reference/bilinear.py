r"""Bilinear upsampling in plain NumPy: each output pixel a weighted sum of its four input neighbours.

:func:`~scratchae.arithmetic.linear_source_indices` gives, for each output row :math:`i`, the two input
rows :math:`r_0(i), r_1(i)` it lies between and their weights :math:`a_0(i) + a_1(i) = 1`; likewise
:math:`q_0(j), q_1(j), b_0(j), b_1(j)` for the columns. Then

.. math::

    y_{n,c,i,j} = a_0 \big(b_0\, x_{n,c,r_0,q_0} + b_1\, x_{n,c,r_0,q_1}\big)
                + a_1 \big(b_0\, x_{n,c,r_1,q_0} + b_1\, x_{n,c,r_1,q_1}\big).

The map is linear, :math:`y = Bx`, so the input gradient is :math:`B^\top g`: every output gradient is
sent back to the same four input pixels with the same four weights, and added up where the windows of
several output pixels share an input pixel (as they do when upsampling):

.. math::

    \frac{\partial L}{\partial x_{n,c,r_0,q_0}} \mathrel{+}= a_0 b_0\, g_{n,c,i,j}, \quad
    \frac{\partial L}{\partial x_{n,c,r_0,q_1}} \mathrel{+}= a_0 b_1\, g_{n,c,i,j}, \quad \dots
"""

from __future__ import annotations

import numpy as np

from ...arithmetic import linear_source_indices


def neighbours(in_hw, out_hw, align_corners, scales, dtype):
    """The four neighbours of every output pixel, as four ``(rows, cols, weight)`` triples: index arrays
    (H_out, 1) and (1, W_out) that broadcast to the output plane, and the weight of that neighbour there."""
    r0, r1, a0, a1 = linear_source_indices(in_hw[0], out_hw[0], align_corners, scales[0], dtype)
    q0, q1, b0, b1 = linear_source_indices(in_hw[1], out_hw[1], align_corners, scales[1], dtype)
    rows0, rows1, cols0, cols1 = r0[:, None], r1[:, None], q0[None, :], q1[None, :]
    return [
        (rows0, cols0, a0[:, None] * b0[None, :]),
        (rows0, cols1, a0[:, None] * b1[None, :]),
        (rows1, cols0, a1[:, None] * b0[None, :]),
        (rows1, cols1, a1[:, None] * b1[None, :]),
    ]


def upsample_bilinear(x, out_hw, align_corners, scales):
    """(N, C, H, W) -> (N, C, *out_hw): the sum of the four weighted neighbours."""
    y = np.zeros((*x.shape[:2], *out_hw), x.dtype)
    for rows, cols, weight in neighbours(x.shape[2:], out_hw, align_corners, scales, x.dtype):
        y += weight * x[:, :, rows, cols]  # x[:, :, rows, cols] has shape (N, C, *out_hw)
    return y


def upsample_bilinear_backward(grad_y, in_hw, align_corners, scales):
    """(N, C, H_out, W_out) -> (N, C, *in_hw): each output gradient scattered back to its four neighbours
    with their weights (the transpose of the forward pass), summed where neighbours are shared."""
    grad_x = np.zeros((*grad_y.shape[:2], *in_hw), grad_y.dtype)
    for rows, cols, weight in neighbours(in_hw, grad_y.shape[2:], align_corners, scales, grad_y.dtype):
        np.add.at(grad_x, (slice(None), slice(None), rows, cols), weight * grad_y)  # sums repeated indices
    return grad_x

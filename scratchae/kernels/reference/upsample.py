r"""Nearest-neighbour upsampling by integer factors in plain NumPy.

Each input pixel is copied into an :math:`f_h \times f_w` block; its gradient is the sum over the block:

.. math::

    y_{n,c,i,j} = x_{n,c,\lfloor i/f_h \rfloor,\lfloor j/f_w \rfloor},
    \qquad
    \frac{\partial L}{\partial x_{n,c,h,w}} = \sum_{a<f_h,\ b<f_w}
        \frac{\partial L}{\partial y_{n,c,\,f_h h + a,\,f_w w + b}}.
"""

from __future__ import annotations


def upsample_nearest(x, factor):
    """(N, C, H, W) -> (N, C, f_h H, f_w W)."""
    fh, fw = factor
    return x.repeat(fh, axis=2).repeat(fw, axis=3)


def upsample_nearest_backward(grad_y, factor):
    """(N, C, f_h H, f_w W) -> (N, C, H, W): sum each f_h x f_w block."""
    fh, fw = factor
    n, c, h_out, w_out = grad_y.shape
    return grad_y.reshape(n, c, h_out // fh, fh, w_out // fw, fw).sum(axis=(3, 5))

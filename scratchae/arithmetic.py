r"""Convolution arithmetic: the output size of every layer of the convolution family.

All formulas act on one spatial dimension at a time (height and width independently) and follow
Dumoulin & Visin, *A guide to convolution arithmetic for deep learning* (2016, arXiv:1603.07285), in
PyTorch's notation: input size :math:`i`, kernel size :math:`k`, stride :math:`s`, padding :math:`p`
(added on both sides), dilation :math:`d`.

A dilated kernel covers :math:`d(k-1)+1` input positions, so a convolution has

.. math::

    o = \left\lfloor \frac{i + 2p - d(k-1) - 1}{s} \right\rfloor + 1

outputs (Dumoulin & Visin, relationship 15). A transposed convolution with the same :math:`k, s, p, d`
maps :math:`o` back to :math:`i`; since the floor loses :math:`(i + 2p - d(k-1) - 1) \bmod s` rows,
``output_padding`` (:math:`a`) says how many to add back (relationship 14 there):

.. math::

    i = (o - 1)s - 2p + d(k-1) + a + 1.

Every function takes ``(height, width)`` and per-dimension pairs, and returns ``(height, width)``.
:func:`_pair` turns an ``int`` or an ``(h, w)`` pair into a pair, as PyTorch's layers accept both.
"""

from __future__ import annotations

import numpy as np

Pair = tuple[int, int]


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _pair(value, name: str = "argument", layer: str = "layer", minimum: int | None = None) -> Pair:
    """``value`` as an ``(h, w)`` pair of Python ints: ``3 -> (3, 3)``, ``(2, 3) -> (2, 3)``.

    Raises
    ------
    TypeError
        If ``value`` is neither an int nor a pair of ints.
    ValueError
        If ``minimum`` is given and an entry is smaller (e.g. a non-positive kernel size or stride).
    """
    if _is_int(value):
        pair = int(value), int(value)
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_int(v) for v in value):
        pair = int(value[0]), int(value[1])
    else:
        raise TypeError(f"{layer} expected {name} to be an int or a pair of ints (h, w), got {value!r}")
    if minimum is not None and min(pair) < minimum:
        rule = "positive" if minimum == 1 else "non-negative" if minimum == 0 else f">= {minimum}"
        raise ValueError(f"{layer} expected {name} to be {rule}, got {value!r}")
    return pair


def conv2d_output_size(size, kernel_size, stride=1, padding=0, dilation=1) -> Pair:
    r"""Output ``(H_out, W_out)`` of a convolution, :math:`\lfloor (i + 2p - d(k-1) - 1)/s \rfloor + 1`.

    Raises
    ------
    ValueError
        If the dilated kernel :math:`d(k-1)+1` is larger than the padded input :math:`i + 2p`.
    """
    i, k, s, p, d = (_pair(v) for v in (size, kernel_size, stride, padding, dilation))
    out = []
    for dim in range(2):
        span = d[dim] * (k[dim] - 1) + 1
        padded = i[dim] + 2 * p[dim]
        if span > padded:
            raise ValueError(
                f"kernel larger than the padded input: the dilated kernel covers {span} positions "
                f"(dilation*(kernel_size-1)+1 = {d[dim]}*({k[dim]}-1)+1) but the padded input has "
                f"only {padded} (size {i[dim]} + 2*padding {p[dim]}) in the "
                f"{('height', 'width')[dim]} dimension"
            )
        out.append((padded - span) // s[dim] + 1)
    return out[0], out[1]


def conv_transpose2d_output_size(size, kernel_size, stride=1, padding=0, output_padding=0,
                                 dilation=1) -> Pair:
    r"""Output ``(H_out, W_out)`` of a transposed convolution, :math:`(i-1)s - 2p + d(k-1) + a + 1`.

    Raises
    ------
    ValueError
        If the output would have no rows or columns (padding too large for the input).
    """
    i, k, s, p, a, d = (_pair(v) for v in (size, kernel_size, stride, padding, output_padding, dilation))
    out = tuple((i[n] - 1) * s[n] - 2 * p[n] + d[n] * (k[n] - 1) + a[n] + 1 for n in range(2))
    if min(out) <= 0:
        raise ValueError(
            f"transposed convolution output size {out} is not positive: "
            f"(size-1)*stride - 2*padding + dilation*(kernel_size-1) + output_padding + 1 with size {i}, "
            f"stride {s}, padding {p}, dilation {d}, kernel_size {k}, output_padding {a}"
        )
    return out


def maxpool2d_output_size(size, kernel_size, stride=None, padding=0) -> Pair:
    r"""Output ``(H_out, W_out)`` of max pooling, :math:`\lfloor (i + 2p - k)/s \rfloor + 1`.

    A pooling window is a convolution without weights, so this is :func:`conv2d_output_size` with
    dilation 1; ``stride=None`` means ``stride = kernel_size``, as in PyTorch.
    """
    return conv2d_output_size(size, kernel_size, kernel_size if stride is None else stride, padding, 1)


def upsample_output_size(size, scale_factor) -> Pair:
    """Output ``(H_out, W_out)`` of integer upsampling: ``(H * scale_h, W * scale_w)``."""
    i, f = _pair(size), _pair(scale_factor)
    return i[0] * f[0], i[1] * f[1]

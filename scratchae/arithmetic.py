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

:func:`conv_output_length` and :func:`conv_transpose_output_length` are these two formulas for one
dimension; the ``*2d_output_size`` functions apply them to ``(height, width)``, taking an ``int`` or an
``(h, w)`` pair for every argument (:func:`pair`), check that the result is not empty, and remember
their results (:func:`memoized`).
"""

from __future__ import annotations

import functools

import numpy as np

Pair = tuple[int, int]


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def pair(value, name: str = "argument", layer: str = "layer", minimum: int | None = None) -> Pair:
    """``value`` as an ``(h, w)`` pair of Python ints: ``3 -> (3, 3)``, ``(2, 3) -> (2, 3)``.

    PyTorch's layers accept both forms for ``kernel_size``, ``stride``, ``padding``, ``dilation``.

    Raises
    ------
    TypeError
        If ``value`` is neither an int nor a pair of ints.
    ValueError
        If ``minimum`` is given and an entry is smaller (e.g. a non-positive kernel size or stride).
    """
    if _is_int(value):
        result = int(value), int(value)
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_int(v) for v in value):
        result = int(value[0]), int(value[1])
    else:
        raise TypeError(f"{layer} expected {name} to be an int or a pair of ints (h, w), got {value!r}")
    if minimum is not None and min(result) < minimum:
        rule = "positive" if minimum == 1 else "non-negative" if minimum == 0 else f">= {minimum}"
        raise ValueError(f"{layer} expected {name} to be {rule}, got {value!r}")
    return result


def memoized(size_function):
    """``size_function``, remembering its results for arguments that can be hashed (ints and tuples).

    The layers ask for the same sizes at every training step; validating the arguments again each time
    cost ~10% of the convolutional autoencoder's step. Unhashable arguments (lists) are still accepted,
    just not remembered.
    """
    cached = functools.lru_cache(maxsize=1024)(size_function)

    @functools.wraps(size_function)
    def remembered(*args, **kwargs):
        try:
            return cached(*args, **kwargs)
        except TypeError:                 # a list among the arguments (or a bad one: raised again here)
            return size_function(*args, **kwargs)

    return remembered


# -- one dimension ------------------------------------------------------------------------------------

def conv_output_length(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    r"""Output length of a convolution along one axis: :math:`\lfloor (i + 2p - d(k-1) - 1)/s \rfloor + 1`.

    Below 1 when the dilated kernel does not fit in the padded input.
    """
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv_transpose_output_length(size: int, kernel: int, stride: int = 1, padding: int = 0,
                                 output_padding: int = 0, dilation: int = 1) -> int:
    r"""Output length of a transposed convolution along one axis: :math:`(i-1)s - 2p + d(k-1) + a + 1`."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


# -- (height, width) ------------------------------------------------------------------------------------

@memoized
def conv2d_output_size(size, kernel_size, stride=1, padding=0, dilation=1) -> Pair:
    r"""Output ``(H_out, W_out)`` of a convolution (:func:`conv_output_length` in each dimension).

    Raises
    ------
    ValueError
        If the dilated kernel :math:`d(k-1)+1` is larger than the padded input :math:`i + 2p`.
    """
    i, k, s, p, d = (pair(v) for v in (size, kernel_size, stride, padding, dilation))
    for dim in range(2):
        span, padded = d[dim] * (k[dim] - 1) + 1, i[dim] + 2 * p[dim]
        if span > padded:
            raise ValueError(
                f"kernel larger than the padded input: the dilated kernel covers {span} positions "
                f"(dilation*(kernel_size-1)+1 = {d[dim]}*({k[dim]}-1)+1) but the padded input has "
                f"only {padded} (size {i[dim]} + 2*padding {p[dim]}) in the "
                f"{('height', 'width')[dim]} dimension"
            )
    return conv_output_length(i[0], k[0], s[0], p[0], d[0]), conv_output_length(i[1], k[1], s[1], p[1], d[1])


@memoized
def conv_transpose2d_output_size(size, kernel_size, stride=1, padding=0, output_padding=0,
                                 dilation=1) -> Pair:
    r"""Output ``(H_out, W_out)`` of a transposed convolution (:func:`conv_transpose_output_length`).

    Raises
    ------
    ValueError
        If the output would have no rows or columns (padding too large for the input).
    """
    i, k, s, p, a, d = (pair(v) for v in (size, kernel_size, stride, padding, output_padding, dilation))
    out = tuple(conv_transpose_output_length(i[n], k[n], s[n], p[n], a[n], d[n]) for n in range(2))
    if min(out) <= 0:
        raise ValueError(
            f"transposed convolution output size {out} is not positive: "
            f"(size-1)*stride - 2*padding + dilation*(kernel_size-1) + output_padding + 1 with size {i}, "
            f"stride {s}, padding {p}, dilation {d}, kernel_size {k}, output_padding {a}"
        )
    return out[0], out[1]


@memoized
def output_padding_for(input_size, output_size, kernel_size, stride=1, padding=0, dilation=1) -> Pair:
    """The ``output_padding`` that makes a transposed convolution of ``input_size`` return ``output_size``.

    With stride > 1 several sizes convolve to the same size, so the transposed convolution needs this
    extra number to know which one to return. Any output padding :math:`0 \\le a < \\max(s, d)` is
    allowed (the rule of ``ConvTranspose2d(output_padding=...)``).

    Raises
    ------
    ValueError
        If no allowed ``output_padding`` gives ``output_size``, naming the sizes that are possible.
    """
    i, o, k, s, p, d = (pair(v) for v in (input_size, output_size, kernel_size, stride, padding, dilation))
    result = []
    for n in range(2):
        smallest = conv_transpose_output_length(i[n], k[n], s[n], p[n], 0, d[n])
        if not 0 <= o[n] - smallest < max(s[n], d[n]):
            raise ValueError(f"a transposed convolution of size {i[n]} (kernel {k[n]}, stride {s[n]}, padding "
                             f"{p[n]}, dilation {d[n]}) can return sizes {smallest}..{smallest + max(s[n], d[n]) - 1}, "
                             f"not {o[n]}")
        result.append(o[n] - smallest)
    return result[0], result[1]


@memoized
def maxpool2d_output_size(size, kernel_size, stride=None, padding=0) -> Pair:
    r"""Output ``(H_out, W_out)`` of max pooling, :math:`\lfloor (i + 2p - k)/s \rfloor + 1`.

    A pooling window is a convolution without weights, so this is :func:`conv2d_output_size` with
    dilation 1; ``stride=None`` means ``stride = kernel_size``, as in PyTorch.
    """
    return conv2d_output_size(size, kernel_size, kernel_size if stride is None else stride, padding, 1)


@memoized
def upsample_output_size(size, scale_factor) -> Pair:
    """Output ``(H_out, W_out)`` of integer upsampling: ``(H * scale_h, W * scale_w)``."""
    i, f = pair(size), pair(scale_factor)
    return i[0] * f[0], i[1] * f[1]

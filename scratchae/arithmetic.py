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
import math

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
        except TypeError:  # a list among the arguments (or a bad one: raised again here)
            return size_function(*args, **kwargs)

    return remembered


# -- one dimension ------------------------------------------------------------------------------------


def conv_output_length(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    r"""Output length of a convolution along one axis: :math:`\lfloor (i + 2p - d(k-1) - 1)/s \rfloor + 1`.

    Below 1 when the dilated kernel does not fit in the padded input.
    """
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv_transpose_output_length(
    size: int, kernel: int, stride: int = 1, padding: int = 0, output_padding: int = 0, dilation: int = 1
) -> int:
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
def conv_transpose2d_output_size(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1) -> Pair:
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
            raise ValueError(
                f"a transposed convolution of size {i[n]} (kernel {k[n]}, stride {s[n]}, padding "
                f"{p[n]}, dilation {d[n]}) can return sizes {smallest}..{smallest + max(s[n], d[n]) - 1}, "
                f"not {o[n]}"
            )
        result.append(o[n] - smallest)
    return result[0], result[1]


def pool_output_length(size: int, kernel: int, stride: int, padding: int = 0, ceil_mode: bool = False) -> int:
    r"""Output length of max pooling along one axis, PyTorch's ``pooling_output_shape``.

    :math:`\lfloor (i + 2p - k)/s \rfloor + 1`, or with ``ceil_mode`` :math:`\lceil (i + 2p - k)/s \rceil + 1`
    less one if the last window would start in the right padding (past :math:`i + p`): a window must
    start inside the input or its left padding.
    """
    if not ceil_mode:
        return conv_output_length(size, kernel, stride, padding)
    length = -(-(size + 2 * padding - kernel) // stride) + 1  # -(-a // b): the ceiling of a / b
    if (length - 1) * stride >= size + padding:
        length -= 1
    return length


@memoized
def maxpool2d_output_size(size, kernel_size, stride=None, padding=0, ceil_mode=False) -> Pair:
    r"""Output ``(H_out, W_out)`` of max pooling, :math:`\lfloor (i + 2p - k)/s \rfloor + 1`
    (:func:`pool_output_length`; ``ceil_mode`` rounds up instead).

    A pooling window is a convolution without weights, so without ``ceil_mode`` this is
    :func:`conv2d_output_size` with dilation 1; ``stride=None`` means ``stride = kernel_size``, as in
    PyTorch. With ``ceil_mode`` the last window may run past the input's end (it then covers fewer
    pixels); it must still start inside the input or its left padding.

    Raises
    ------
    ValueError
        If the window does not fit (without ``ceil_mode``) or the output would be empty.
    """
    stride = kernel_size if stride is None else stride
    if not ceil_mode:
        return conv2d_output_size(size, kernel_size, stride, padding, 1)
    i, k, s, p = (pair(v) for v in (size, kernel_size, stride, padding))
    out = tuple(pool_output_length(i[n], k[n], s[n], p[n], True) for n in range(2))
    if min(out) <= 0:
        raise ValueError(
            f"max pooling output size {out} is too small for an input of size {i} "
            f"(kernel_size {k}, stride {s}, padding {p}, ceil_mode=True)"
        )
    return out[0], out[1]


def same_padding(kernel_size, dilation=1) -> tuple[Pair, Pair]:
    r"""``Conv2d(padding='same')`` as PyTorch pads: ``(symmetric, extra)`` for each of (height, width).

    A stride-1 convolution keeps the input's size when the padding adds :math:`d(k - 1)` rows in all.
    PyTorch puts half of them, rounded down, on each side (``symmetric``) and the odd one left over, for
    an even kernel, at the bottom (right): ``extra`` is 0 or 1.
    """
    k, d = pair(kernel_size), pair(dilation)
    total = d[0] * (k[0] - 1), d[1] * (k[1] - 1)
    symmetric = total[0] // 2, total[1] // 2
    return symmetric, (total[0] - 2 * symmetric[0], total[1] - 2 * symmetric[1])


@memoized
def upsample_output_size(size, scale_factor) -> Pair:
    """Output ``(H_out, W_out)`` of integer upsampling: ``(H * scale_h, W * scale_w)``."""
    i, f = pair(size), pair(scale_factor)
    return i[0] * f[0], i[1] * f[1]


# -- interpolation ----------------------------------------------------------------------------------------


def interpolate_output_size(size, scale_factor) -> Pair:
    r"""Output ``(H_out, W_out)`` of interpolation by real factors: :math:`\lfloor i\, f \rfloor` in each
    dimension, as ``torch.nn.functional.interpolate`` computes it (in double precision).

    Raises
    ------
    ValueError
        If the output would have no rows or columns.
    """
    i = pair(size)
    f = scale_factor if isinstance(scale_factor, tuple) else (scale_factor, scale_factor)
    out = math.floor(float(i[0]) * float(f[0])), math.floor(float(i[1]) * float(f[1]))
    if min(out) <= 0:
        raise ValueError(
            f"input and output sizes should be greater than 0, but got input {i} and output {out} "
            f"(scale_factor {scale_factor})"
        )
    return out


def linear_source_indices(in_size: int, out_size: int, align_corners: bool, scale: float | None, dtype):
    r"""Where each output position of a linear interpolation reads the input: ``(i0, i1, w0, w1)``.

    Output position :math:`o` is :math:`w_0 x_{i_0} + w_1 x_{i_1}`, the two input neighbours of its
    source coordinate :math:`c` and the weights :math:`w_1 = c - i_0`, :math:`w_0 = 1 - w_1`. PyTorch's
    ``area_pixel_compute_source_index`` maps the output position to :math:`c`:

    - ``align_corners=True``: the corner pixels' *centres* are aligned,
      :math:`c = o\,(i - 1)/(n - 1)` (an output of one pixel reads input pixel 0);
    - ``align_corners=False``: the corner pixels' *edges* are aligned,
      :math:`c = \max(r\,(o + \tfrac12) - \tfrac12,\ 0)`, with :math:`r = 1/f` when the layer was given a
      scale factor :math:`f` (even if :math:`\lfloor i f \rfloor / i \ne f`) and :math:`r = i / n`
      when it was given the output size :math:`n`.

    :math:`i_0 = \min(\lfloor c \rfloor, i - 1)` and :math:`i_1 = i_0 + 1` (the same pixel at the last
    row). An output as large as the input is a copy, whatever the scale factor, as in PyTorch. The
    arithmetic runs in ``dtype`` (float32 or float64), as PyTorch's CPU kernel runs it in the tensor's
    type, so the weights match PyTorch's to the bit. Returns int64 arrays ``i0, i1`` and ``dtype``
    arrays ``w0, w1``, each of length ``out_size``.
    """
    f = np.dtype(dtype).type
    o = np.arange(out_size)
    if out_size == in_size:  # PyTorch copies: no interpolation at all
        return o, o, np.ones(out_size, dtype), np.zeros(out_size, dtype)
    if align_corners:
        ratio = f(in_size - 1) / f(out_size - 1) if out_size > 1 else f(0)
        source = ratio * o.astype(dtype)
    else:
        ratio = f(1.0 / scale) if scale is not None and scale > 0 else f(in_size) / f(out_size)
        source = np.maximum(ratio * (o.astype(dtype) + f(0.5)) - f(0.5), f(0))
    i0 = np.minimum(np.floor(source).astype(np.int64), in_size - 1)
    w1 = np.clip(source - i0.astype(dtype), f(0), f(1)).astype(dtype)
    i1 = i0 + (i0 < in_size - 1)
    return i0, i1, (f(1) - w1).astype(dtype), w1

r"""The operations the layers compute, each as a function of arrays, with the choice of kernels in view.

Every function here is named for what it computes, states it in one formula, and calls one of two
implementations of it:

- :mod:`scratchae.kernels.reference`: plain NumPy, written to be read next to the math;
- :mod:`scratchae.kernels.numba`: compiled with Numba, fast (the default).

``if numba_enabled():`` picks one (:func:`scratchae.kernels.set_backend` or ``SCRATCHAE_KERNELS``
choose); both are tested to agree. The layers of :mod:`scratchae.nn` check their inputs and call these
functions; the functions do not check again. Their arguments are arrays of one float dtype and
``(h, w)`` pairs of ints, as the layers hold them. The full derivation of each operation is in the
docstring of its layer (:class:`~scratchae.nn.Conv2d`, :class:`~scratchae.nn.ConvTranspose2d`, ...).

Notation: :math:`x` an input, :math:`y` an output, :math:`w` a weight, :math:`b` a bias, and
:math:`g = \partial L/\partial y`, the gradient that arrives from the layer above.
"""

from __future__ import annotations

import numpy as np

from ..arithmetic import conv_transpose2d_output_size
from ..kernels import numba_enabled
from ..kernels.numba import activations as fast_activations
from ..kernels.numba import bilinear as fast_bilinear
from ..kernels.numba import conv2d as fast_conv2d
from ..kernels.numba import fused as fast_fused
from ..kernels.numba import maxpool2d as fast_maxpool2d
from ..kernels.numba import upsample as fast_upsample
from ..kernels.reference import activations as readable_activations
from ..kernels.reference import bilinear as readable_bilinear
from ..kernels.reference import conv2d as readable_conv2d
from ..kernels.reference import fused as readable_fused
from ..kernels.reference import maxpool2d as readable_maxpool2d
from ..kernels.reference import upsample as readable_upsample

Pair = tuple[int, int]


# -- convolution -----------------------------------------------------------------------------------------


def conv2d(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, stride: Pair, padding: Pair, dilation: Pair
) -> np.ndarray:
    r""":math:`y_{n,o,i,j} = b_o + \sum_{c,u,v} w_{o,c,u,v}\, \tilde x_{n,c,\,s_h i + d_h u,\,s_w j + d_w v}`
    (:math:`\tilde x`: ``x`` zero-padded by ``padding``).

    x (N, C_in, H, W), weight (C_out, C_in, kH, kW), bias (C_out,) or None -> y (N, C_out, H_out, W_out).
    """
    if numba_enabled():
        return fast_conv2d.conv2d(x, weight, bias, stride, padding, dilation)
    return readable_conv2d.conv2d(x, weight, bias, stride, padding, dilation)


def conv2d_input_grad(
    grad_y: np.ndarray, weight: np.ndarray, stride: Pair, padding: Pair, dilation: Pair, in_hw: Pair
) -> np.ndarray:
    r"""Every output gradient spread back over the pixels its window read, then cropped to ``in_hw``:

    .. math::

        \partial L/\partial \tilde x_{n,c,\,s_h i + d_h u,\,s_w j + d_w v} \mathrel{+}= \sum_o w_{o,c,u,v}\, g_{n,o,i,j}

    grad_y (N, C_out, H_out, W_out), weight (C_out, C_in, kH, kW) -> (N, C_in, *in_hw). This map is the
    transposed convolution: see :func:`conv_transpose2d`.
    """
    if numba_enabled():
        return fast_conv2d.conv2d_input_grad(grad_y, weight, stride, padding, dilation, in_hw)
    return readable_conv2d.conv2d_input_grad(grad_y, weight, stride, padding, dilation, in_hw)


def conv2d_weight_grad(
    x: np.ndarray, grad_y: np.ndarray, stride: Pair, padding: Pair, dilation: Pair, kernel_hw: Pair
) -> np.ndarray:
    r"""The weight gradient:

    .. math::

        \partial L/\partial w_{o,c,u,v} = \sum_{n,i,j} g_{n,o,i,j}\, \tilde x_{n,c,\,s_h i + d_h u,\,s_w j + d_w v}

    x (N, C_in, H, W), grad_y (N, C_out, H_out, W_out) -> (C_out, C_in, *kernel_hw).
    """
    if numba_enabled():
        return fast_conv2d.conv2d_weight_grad(x, grad_y, stride, padding, dilation, kernel_hw)
    return readable_conv2d.conv2d_weight_grad(x, grad_y, stride, padding, dilation, kernel_hw)


def conv2d_bias_grad(grad_y: np.ndarray) -> np.ndarray:
    r""":math:`\partial L/\partial b_o = \sum_{n,i,j} g_{n,o,i,j}`: grad_y (N, C, H, W) -> (C,)."""
    if numba_enabled():
        return fast_conv2d.conv2d_bias_grad(grad_y)
    return readable_conv2d.conv2d_bias_grad(grad_y)


def conv_transpose2d(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    stride: Pair,
    padding: Pair,
    output_padding: Pair,
    dilation: Pair,
) -> np.ndarray:
    r""":math:`y = C^\top x + b`, where :math:`C` is the convolution with the same ``weight`` array.

    A transposed convolution *is* the input gradient of a convolution (the adjoint,
    :math:`\langle Cz, x\rangle = \langle z, C^\top x\rangle`): read ``weight`` (C_in, C_out, kH, kW) as
    the weight of a convolution from C_out to C_in channels, and ``x`` as the gradient arriving at that
    convolution's output; :func:`conv2d_input_grad` of it, plus the bias, is ``y``. The two kernels
    compute exactly that. ``output_padding`` picks the size of ``y`` among those the convolution maps to
    the size of ``x`` (:func:`scratchae.arithmetic.conv_transpose2d_output_size`).

    x (N, C_in, H, W), weight (C_in, C_out, kH, kW), bias (C_out,) or None -> y (N, C_out, H_out, W_out).
    See ``docs/transposed-convolution.md`` and :mod:`scratchae.transposed_views` for four ways to see it.
    """
    out_hw = conv_transpose2d_output_size(x.shape[2:], weight.shape[2:], stride, padding, output_padding, dilation)
    if numba_enabled():
        return fast_conv2d.conv_transpose2d(x, weight, bias, stride, padding, dilation, out_hw)
    return readable_conv2d.conv_transpose2d(x, weight, bias, stride, padding, dilation, out_hw)


# -- pooling and upsampling -----------------------------------------------------------------------------


def max_pool2d(
    x: np.ndarray, kernel_hw: Pair, stride: Pair, padding: Pair, out_hw: Pair
) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`y_{n,c,i,j} = \max_{u,v} \tilde x_{n,c,\,s_h i + u,\,s_w j + v}` (:math:`\tilde x` padded
    by :math:`-\infty`), and where each maximum was.

    x (N, C, H, W) -> (y (N, C, *out_hw), indices (N, C, *out_hw): the flat position :math:`hW + w` of
    each maximum in its input plane, the first one in row-major order on a tie, as PyTorch).
    """
    if numba_enabled():
        return fast_maxpool2d.max_pool2d(x, kernel_hw, stride, padding, out_hw)
    return readable_maxpool2d.max_pool2d(x, kernel_hw, stride, padding, out_hw)


def max_pool2d_backward(grad_y: np.ndarray, indices: np.ndarray, in_hw: Pair) -> np.ndarray:
    r"""Each :math:`g_{n,c,i,j}` sent to the input pixel that was its window's maximum (summed where
    windows share one): grad_y (N, C, H_out, W_out) -> (N, C, *in_hw)."""
    if numba_enabled():
        return fast_maxpool2d.max_pool2d_backward(grad_y, indices, in_hw)
    return readable_maxpool2d.max_pool2d_backward(grad_y, indices, in_hw)


def upsample_nearest(x: np.ndarray, factor: Pair) -> np.ndarray:
    r""":math:`y_{n,c,i,j} = x_{n,c,\lfloor i/f_h \rfloor,\lfloor j/f_w \rfloor}`: each pixel copied into
    an :math:`f_h \times f_w` block. x (N, C, H, W) -> (N, C, f_h H, f_w W)."""
    if numba_enabled():
        return fast_upsample.upsample_nearest(x, factor)
    return readable_upsample.upsample_nearest(x, factor)


def upsample_nearest_backward(grad_y: np.ndarray, factor: Pair) -> np.ndarray:
    r""":math:`\partial L/\partial x_{n,c,h,w} = \sum_{a<f_h,\,b<f_w} g_{n,c,\,f_h h + a,\,f_w w + b}`: the
    sum over each block. grad_y (N, C, f_h H, f_w W) -> (N, C, H, W)."""
    if numba_enabled():
        return fast_upsample.upsample_nearest_backward(grad_y, factor)
    return readable_upsample.upsample_nearest_backward(grad_y, factor)


def upsample_bilinear(
    x: np.ndarray, out_hw: Pair, align_corners: bool, scales: tuple[float | None, float | None]
) -> np.ndarray:
    r""":math:`y_{n,c,i,j} = a_0 (b_0 x_{r_0,q_0} + b_1 x_{r_0,q_1}) + a_1 (b_0 x_{r_1,q_0} + b_1 x_{r_1,q_1})`:
    each output pixel the weighted sum of the four input pixels around its source point.

    x (N, C, H, W) -> (N, C, *out_hw). The rows :math:`r_0, r_1`, columns :math:`q_0, q_1` and weights
    come from :func:`scratchae.arithmetic.linear_source_indices` (``scales``: the layer's scale factor
    per dimension, or None where the output size was given).
    """
    if numba_enabled():
        return fast_bilinear.upsample_bilinear(x, out_hw, align_corners, scales)
    return readable_bilinear.upsample_bilinear(x, out_hw, align_corners, scales)


def upsample_bilinear_backward(
    grad_y: np.ndarray, in_hw: Pair, align_corners: bool, scales: tuple[float | None, float | None]
) -> np.ndarray:
    r""":math:`\partial L/\partial x_{n,c,r_0,q_0} \mathrel{+}= a_0 b_0\, g_{n,c,i,j}` and likewise for the
    other three neighbours: the transpose of :func:`upsample_bilinear`. grad_y (N, C, H_out, W_out) ->
    (N, C, *in_hw)."""
    if numba_enabled():
        return fast_bilinear.upsample_bilinear_backward(grad_y, in_hw, align_corners, scales)
    return readable_bilinear.upsample_bilinear_backward(grad_y, in_hw, align_corners, scales)


# -- activations -----------------------------------------------------------------------------------------


def relu(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""(:math:`y = \max(x, 0)`, the mask :math:`x > 0` that the backward needs), any shape."""
    if numba_enabled():
        return fast_activations.relu(x)
    return readable_activations.relu(x)


def relu_backward(grad_y: np.ndarray, positive: np.ndarray) -> np.ndarray:
    r""":math:`\partial L/\partial x = g \cdot [x > 0]`."""
    if numba_enabled():
        return fast_activations.relu_backward(grad_y, positive)
    return readable_activations.relu_backward(grad_y, positive)


def sigmoid(x: np.ndarray) -> np.ndarray:
    r""":math:`y = \sigma(x) = 1 / (1 + e^{-x})`, computed without overflow, any shape."""
    if numba_enabled():
        return fast_activations.sigmoid(x)
    return readable_activations.sigmoid(x)


def sigmoid_backward(grad_y: np.ndarray, y: np.ndarray) -> np.ndarray:
    r""":math:`\partial L/\partial x = g\, y\, (1 - y)`, from the output :math:`y`."""
    if numba_enabled():
        return fast_activations.sigmoid_backward(grad_y, y)
    return readable_activations.sigmoid_backward(grad_y, y)


# -- fused: a convolution and the ReLU (and pooling) after it, in one pass ------------------------------
# The same math as the plain functions above called one after the other (which is what the readable
# kernels do); the fast kernels never write the activations in between. Used by scratchae.nn.fused.


def conv2d_relu(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, stride: Pair, padding: Pair, dilation: Pair
) -> np.ndarray:
    r""":math:`y = \max(\text{conv2d}(x), 0)`: :func:`conv2d`, then :func:`relu`."""
    if numba_enabled():
        return fast_fused.conv2d_relu(x, weight, bias, stride, padding, dilation)
    return readable_fused.conv2d_relu(x, weight, bias, stride, padding, dilation)


def conv2d_relu_max_pool2d(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, stride: Pair, padding: Pair, dilation: Pair
) -> tuple[np.ndarray, np.ndarray]:
    r"""(y, indices): :math:`y = \text{maxpool}_{2 \times 2}(\max(\text{conv2d}(x), 0))` and where
    each maximum was (:func:`max_pool2d` with kernel 2 and stride 2, of :func:`conv2d_relu`)."""
    if numba_enabled():
        return fast_fused.conv2d_relu_max_pool2d(x, weight, bias, stride, padding, dilation)
    return readable_fused.conv2d_relu_max_pool2d(x, weight, bias, stride, padding, dilation)


def conv_transpose2d_relu(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    stride: Pair,
    padding: Pair,
    output_padding: Pair,
    dilation: Pair,
) -> np.ndarray:
    r""":math:`y = \max(C^\top x + b, 0)`: :func:`conv_transpose2d`, then :func:`relu`."""
    out_hw = conv_transpose2d_output_size(x.shape[2:], weight.shape[2:], stride, padding, output_padding, dilation)
    if numba_enabled():
        return fast_fused.conv_transpose2d_relu(x, weight, bias, stride, padding, dilation, out_hw)
    return readable_fused.conv_transpose2d_relu(x, weight, bias, stride, padding, dilation, out_hw)


def relu_backward_and_channel_sums(grad_y: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""(g, sums): :math:`g = G \cdot [y > 0]`, the gradient at the input of a ReLU whose output is
    :math:`y` (positive exactly where its input is), and :math:`\sum_{n,i,j} g_{n,c,i,j}` per channel
    (the bias gradient of the convolution before it)."""
    if numba_enabled():
        return fast_fused.relu_backward_and_channel_sums(grad_y, y)
    return readable_fused.relu_backward_and_channel_sums(grad_y, y)


def relu_max_pool2d_backward_and_channel_sums(
    grad_y: np.ndarray, y: np.ndarray, indices: np.ndarray, in_hw: Pair
) -> tuple[np.ndarray, np.ndarray]:
    r"""(g, sums): the gradient at the input of a ReLU then a 2x2 max pooling whose output is :math:`y`
    and whose maxima were at ``indices`` (:func:`max_pool2d_backward` of :math:`G \cdot [y > 0]`, into
    planes of size ``in_hw``), and its sums per channel."""
    if numba_enabled():
        return fast_fused.relu_max_pool2d_backward_and_channel_sums(grad_y, y, indices, in_hw)
    return readable_fused.relu_max_pool2d_backward_and_channel_sums(grad_y, y, indices, in_hw)

r"""A convolution and the ReLU (and 2x2 max pooling) after it, composed from the readable kernels.

These are the definitions the fused Numba kernels of :mod:`scratchae.kernels.numba.fused` are tested
against: each function below is nothing but the plain kernels called one after the other.

With :math:`z` the convolution's output (bias included), :math:`y = \max(z, 0)` (and
:math:`y = \text{maxpool}_{2 \times 2}(\max(z, 0))`). Backward, from :math:`G = \partial L/\partial y`, the
gradient at :math:`z` is

.. math::

    g = G \cdot [y > 0] \qquad\text{or, pooled,}\qquad
    g_{n,c,h,w} = \sum_{(i,j):\ \operatorname{argmax}(i,j) = (h,w)} G_{n,c,i,j}\, [y_{n,c,i,j} > 0],

since a ReLU's output is positive exactly where its input is, and the maximum of a pooling window is
positive exactly where its position's input is. The convolution's bias gradient is the sum of :math:`g`
over images and pixels, returned with it (the fused kernel adds it up as it writes :math:`g`).
"""

from __future__ import annotations

from .activations import relu, relu_backward
from .conv2d import conv2d, conv2d_bias_grad, conv_transpose2d
from .maxpool2d import max_pool2d, max_pool2d_backward


def conv2d_relu(x, weight, bias, stride, padding, dilation):
    """relu(conv2d(x))."""
    return relu(conv2d(x, weight, bias, stride, padding, dilation))[0]


def conv2d_relu_max_pool2d(x, weight, bias, stride, padding, dilation):
    """(y, indices) of max_pool2d(relu(conv2d(x)), kernel 2, stride 2)."""
    z = conv2d_relu(x, weight, bias, stride, padding, dilation)
    return max_pool2d(z, (2, 2), (2, 2), (0, 0), (z.shape[2] // 2, z.shape[3] // 2))


def conv_transpose2d_relu(x, weight, bias, stride, padding, dilation, out_hw):
    """relu(conv_transpose2d(x))."""
    return relu(conv_transpose2d(x, weight, bias, stride, padding, dilation, out_hw))[0]


def relu_backward_and_channel_sums(grad_y, y):
    """(g, sums): g = grad_y * [y > 0], the gradient at the input of a ReLU whose output is y, and
    sums[c] = the sum of g[:, c] (the bias gradient of the convolution before it)."""
    g = relu_backward(grad_y, y > 0)
    return g, conv2d_bias_grad(g)


def relu_max_pool2d_backward_and_channel_sums(grad_y, y, indices, in_hw):
    """(g, sums): the gradient at the input of ReLU then 2x2 max pooling, whose output is y and the
    positions of whose maxima are ``indices`` (in planes of size ``in_hw``), and its sums per channel."""
    g = max_pool2d_backward(relu_backward(grad_y, y > 0), indices, in_hw)
    return g, conv2d_bias_grad(g)

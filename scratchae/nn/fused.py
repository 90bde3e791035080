r"""A convolution and the ReLU (and 2x2 max pooling) that follow it, as one layer computed in one pass.

Each class here is the plain layers it is named after, one after the other, with nothing added:

- :class:`Conv2dReLU` is ``Conv2d`` then ``ReLU``;
- :class:`Conv2dReLUMaxPool2d` is ``Conv2d`` then ``ReLU`` then ``MaxPool2d(2, 2)``;
- :class:`ConvTranspose2dReLU` is ``ConvTranspose2d`` then ``ReLU``.

Same constructor, same parameters (``weight``, ``bias``: the state dict of the convolution alone), same
outputs and gradients; ``tests/test_fused.py`` checks them against the plain layers under both kernels.
Why they exist: between the plain layers, every activation is written to memory and read back, once
forward and about three times backward, and at the course's batch sizes those passes cost as much as a
large convolution. Fused, the convolution kernel applies the ReLU (and the pooling) to each block of
its output while it is still in cache, and the backward turns the incoming gradient into the gradient at
the convolution's output in one pass (:mod:`scratchae.kernels.numba.fused`; measurements in
``docs/performance.md``). The course's models use them; read the plain layers for the math.

Backward, with :math:`z` the convolution's output and :math:`y` this layer's output, the chain rule
goes through the activation first: :math:`g = \partial L/\partial z = G \cdot [y > 0]` (unpooled to the
positions of the maxima when pooled), then the convolution's three gradients of :math:`g`.
"""

from __future__ import annotations

import numpy as np

from . import checks
from .conv import Conv2d
from .conv_transpose import ConvTranspose2d
from .functional import (
    conv2d,
    conv2d_input_grad,
    conv2d_relu,
    conv2d_relu_max_pool2d,
    conv2d_weight_grad,
    conv_transpose2d_relu,
    relu_backward_and_channel_sums,
    relu_max_pool2d_backward_and_channel_sums,
)


class Conv2dReLU(Conv2d):
    r""":class:`~scratchae.nn.Conv2d` followed by :class:`~scratchae.nn.ReLU`, in one pass:
    :math:`y = \max(\text{conv2d}(x), 0)`. Takes the arguments of ``Conv2d``."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        checks.images_with_channels(self, x, self.in_channels, self.weight.dtype)
        self.output_size(x.shape[2:])  # a clear error if the kernel does not fit
        bias = None if self.bias is None else self.bias.data
        self._x = x
        self._y = conv2d_relu(x, self.weight.data, bias, self.stride, self.padding, self.dilation)
        return self._y

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        x, y = self._cached(self._x), self._y
        checks.upstream(self, grad_out, y.shape, x.dtype)
        g, bias_grad = relu_backward_and_channel_sums(grad_out, y)  # dL/d(the convolution's output)
        return self._convolution_backward(x, g, bias_grad)

    def _convolution_backward(self, x, g, bias_grad):
        self.weight.grad += conv2d_weight_grad(x, g, self.stride, self.padding, self.dilation, self.kernel_size)
        if self.bias is not None:
            self.bias.grad += bias_grad
        if not self.needs_input_grad:  # e.g. the first layer of a model: x is data
            return None
        return conv2d_input_grad(g, self.weight.data, self.stride, self.padding, self.dilation, x.shape[2:])


class Conv2dReLUMaxPool2d(Conv2dReLU):
    r""":class:`~scratchae.nn.Conv2d`, :class:`~scratchae.nn.ReLU`, then
    :class:`~scratchae.nn.MaxPool2d` ``(2, 2)``, in one pass:
    :math:`y = \text{maxpool}_{2 \times 2}(\max(\text{conv2d}(x), 0))`. Takes the arguments of
    ``Conv2d``; like the pooling, it drops an odd last row or column of the convolution's output."""

    def output_size(self, input_hw) -> tuple[int, int]:
        """``(H_out, W_out)`` after the pooling: the convolution's, halved and rounded down; ValueError if
        the kernel does not fit or leaves less than the 2x2 window."""
        ho, wo = super().output_size(input_hw)
        if ho < 2 or wo < 2:
            raise ValueError(f"{self!r}: the convolution's output {(ho, wo)} is smaller than the 2x2 pooling window")
        return ho // 2, wo // 2

    def forward(self, x: np.ndarray) -> np.ndarray:
        checks.images_with_channels(self, x, self.in_channels, self.weight.dtype)
        self.output_size(x.shape[2:])
        bias = None if self.bias is None else self.bias.data
        self._x = x
        self._y, self._indices = conv2d_relu_max_pool2d(
            x, self.weight.data, bias, self.stride, self.padding, self.dilation
        )
        return self._y

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        x, y = self._cached(self._x), self._y
        checks.upstream(self, grad_out, y.shape, x.dtype)
        conv_hw = super().output_size(x.shape[2:])  # the convolution's output, before the pooling
        g, bias_grad = relu_max_pool2d_backward_and_channel_sums(grad_out, y, self._indices, conv_hw)
        return self._convolution_backward(x, g, bias_grad)


class ConvTranspose2dReLU(ConvTranspose2d):
    r""":class:`~scratchae.nn.ConvTranspose2d` followed by :class:`~scratchae.nn.ReLU`, in one pass:
    :math:`y = \max(C^\top x + b, 0)`. Takes the arguments of ``ConvTranspose2d``."""

    def forward(self, x: np.ndarray, output_size=None) -> np.ndarray:
        checks.images_with_channels(self, x, self.in_channels, self.weight.dtype)
        if output_size is None:
            self._output_padding_used = self.output_padding
        else:
            self._output_padding_used = self.output_padding_for(x.shape[2:], output_size)
        self.output_size(x.shape[2:], self._output_padding_used)  # a clear error if the output is empty
        bias = None if self.bias is None else self.bias.data
        self._x = x
        self._y = conv_transpose2d_relu(
            x, self.weight.data, bias, self.stride, self.padding, self._output_padding_used, self.dilation
        )
        return self._y

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        x, y = self._cached(self._x), self._y
        checks.upstream(self, grad_out, y.shape, x.dtype)
        g, bias_grad = relu_backward_and_channel_sums(grad_out, y)  # dL/d(the transposed convolution's output)
        grad_x = None
        if self.needs_input_grad:  # (C^T)^T = C, first: its split of g serves the weight gradient
            grad_x = conv2d(g, self.weight.data, None, self.stride, self.padding, self.dilation)
            if grad_x.shape != x.shape:  # output_padding >= stride: see ConvTranspose2d.backward
                grad_x = np.ascontiguousarray(grad_x[:, :, : x.shape[2], : x.shape[3]])
        self.weight.grad += conv2d_weight_grad(g, x, self.stride, self.padding, self.dilation, self.kernel_size)
        if self.bias is not None:
            self.bias.grad += bias_grad
        return grad_x

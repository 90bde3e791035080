"""2-D convolution."""

from __future__ import annotations

import numpy as np

from ..arithmetic import conv2d_output_size, pair
from . import checks
from .functional import conv2d, conv2d_bias_grad, conv2d_input_grad, conv2d_weight_grad
from .init import default_weight_and_bias
from .module import Module, Parameter


class Conv2d(Module):
    r"""2-D convolution (a cross-correlation, as in PyTorch) over a batch of images, as ``torch.nn.Conv2d``.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels :math:`C_{in}` of the input and :math:`C_{out}` of the output.
    kernel_size : int or (int, int)
        :math:`(k_h, k_w)`.
    stride : int or (int, int), default 1
        Step :math:`s` between two kernel positions.
    padding : int or (int, int), default 0
        Zeros :math:`p` added on both sides of each spatial dimension.
    dilation : int or (int, int), default 1
        Spacing :math:`d` between kernel taps.
    groups : int, default 1
        Only 1 is supported.
    bias : bool, default True
        Learn a bias per output channel.
    dtype : numpy dtype, default float32
    rng : numpy.random.Generator, optional
        Source of the initial weights (PyTorch's default initialization, :mod:`scratchae.nn.init`).

    Shapes
    ------
    x : (N, C_in, H, W) -> y : (N, C_out, H_out, W_out);  weight : (C_out, C_in, k_h, k_w);
    bias : (C_out,), with (Dumoulin & Visin, 2016, relationship 15)

    .. math::

        H_{out} = \left\lfloor \frac{H + 2p_h - d_h(k_h - 1) - 1}{s_h} \right\rfloor + 1

    and likewise for :math:`W_{out}`.

    Notes
    -----
    With :math:`\tilde x` the zero-padded input and :math:`G = \partial L/\partial y`:

    .. math::

        y_{n,o,i,j} &= b_o + \sum_{c,u,v} w_{o,c,u,v}\,
            \tilde x_{n,\,c,\; s_h i + d_h u,\; s_w j + d_w v} \\
        \frac{\partial L}{\partial w_{o,c,u,v}} &= \sum_{n,i,j} G_{n,o,i,j}\,
            \tilde x_{n,\,c,\; s_h i + d_h u,\; s_w j + d_w v},
        \qquad
        \frac{\partial L}{\partial b_o} = \sum_{n,i,j} G_{n,o,i,j} \\
        \frac{\partial L}{\partial \tilde x_{n,\,c,\; s_h i + d_h u,\; s_w j + d_w v}} &\mathrel{+}=
            \sum_o w_{o,c,u,v}\, G_{n,o,i,j}

    The input gradient spreads every output gradient back over the input pixels its kernel touched:
    that operation is the transposed convolution (:class:`~scratchae.nn.ConvTranspose2d`). Each line is
    one function of :mod:`scratchae.nn.functional` (:func:`~scratchae.nn.functional.conv2d`,
    :func:`~scratchae.nn.functional.conv2d_weight_grad`, ...), which runs the readable NumPy kernel of
    :mod:`scratchae.kernels.reference.conv2d` or the fast one of :mod:`scratchae.kernels.numba.conv2d`.
    With ``needs_input_grad = False`` (see :class:`~scratchae.nn.Module`) backward skips the input
    gradient and returns ``None``.

    References
    ----------
    V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning", arXiv:1603.07285, 2016.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, *, dtype=np.float32, rng=None):
        layer = type(self).__name__
        self.in_channels = checks.positive_int(in_channels, "in_channels", layer)
        self.out_channels = checks.positive_int(out_channels, "out_channels", layer)
        self.kernel_size = pair(kernel_size, "kernel_size", layer, minimum=1)
        self.stride = pair(stride, "stride", layer, minimum=1)
        self.padding = pair(padding, "padding", layer, minimum=0)
        self.dilation = pair(dilation, "dilation", layer, minimum=1)
        checks.no_groups(groups, layer)
        weight, b = default_weight_and_bias((self.out_channels, self.in_channels, *self.kernel_size),
                                            self.out_channels if bias else None, dtype, rng)
        self.weight = Parameter(weight)
        self.bias = Parameter(b) if bias else None
        self._x = None

    def output_size(self, input_hw) -> tuple[int, int]:
        """``(H_out, W_out)`` for an input of spatial size ``input_hw``; ValueError if the kernel does not fit."""
        try:
            return conv2d_output_size(tuple(input_hw), self.kernel_size, self.stride, self.padding,
                                      self.dilation)
        except ValueError as error:
            raise ValueError(f"{self!r}: {error}") from None

    def forward(self, x: np.ndarray) -> np.ndarray:
        checks.images_with_channels(self, x, self.in_channels, self.weight.dtype)
        self.output_size(x.shape[2:])                      # a clear error if the kernel does not fit
        self._x = x
        bias = None if self.bias is None else self.bias.data
        return conv2d(x, self.weight.data, bias, self.stride, self.padding, self.dilation)

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        x = self._cached(self._x)
        out_hw = self.output_size(x.shape[2:])
        checks.upstream(self, grad_out, (x.shape[0], self.out_channels, *out_hw), x.dtype)
        self.weight.grad += conv2d_weight_grad(x, grad_out, self.stride, self.padding, self.dilation,
                                               self.kernel_size)
        if self.bias is not None:
            self.bias.grad += conv2d_bias_grad(grad_out)
        if not self.needs_input_grad:              # e.g. the first layer of a model: x is data
            return None
        return conv2d_input_grad(grad_out, self.weight.data, self.stride, self.padding, self.dilation,
                                 x.shape[2:])

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.bias is None:
            s += ", bias=False"
        return s

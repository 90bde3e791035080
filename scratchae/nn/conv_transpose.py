"""2-D transposed convolution: the backward pass of a convolution, used as a layer."""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..arithmetic import _pair, conv_transpose2d_output_size
from . import _checks
from .conv import _count, _data, _input, _memoized, _no_groups
from .init import default_weight_and_bias
from .module import Module, Parameter

_output_size = _memoized(conv_transpose2d_output_size)


class ConvTranspose2d(Module):
    r"""2-D transposed convolution, as ``torch.nn.ConvTranspose2d``.

    A convolution :math:`x \mapsto y` with weight :math:`w` is a linear map :math:`y = Cx`; its input
    gradient is :math:`\partial L/\partial x = C^\top\, \partial L/\partial y`. A transposed convolution
    is that map :math:`C^\top` used as a layer (Dumoulin & Visin, 2016, section 4): it spreads each
    input pixel, weighted by the kernel, over an output neighbourhood, and so *up*-samples when
    :math:`s > 1`. Hence the code below:

    - forward = the input gradient of a convolution with weight :math:`w`;
    - backward (input gradient) = the forward convolution with the same weight (:math:`(C^\top)^\top = C`);
    - backward (weight gradient) = a convolution's weight gradient, with input and output exchanged.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels :math:`C_{in}` of the input and :math:`C_{out}` of the output.
    kernel_size : int or (int, int)
        :math:`(k_h, k_w)`.
    stride, padding, dilation : int or (int, int), default 1, 0, 1
        Those of the convolution being transposed: :math:`s` spaces the *input* pixels :math:`s` apart
        in the output, :math:`p` crops :math:`p` rows/columns from each side of the output.
    output_padding : int or (int, int), default 0
        Extra rows/columns :math:`a` added at the bottom/right of the output, to pick one of the
        :math:`s` input sizes that a strided convolution maps to the same output size. Must be smaller
        than the stride or the dilation.
    groups : int, default 1
        Only 1 is supported.
    bias : bool, default True
    dtype : numpy dtype, default float32
    rng : numpy.random.Generator, optional

    Shapes
    ------
    x : (N, C_in, H, W) -> y : (N, C_out, H_out, W_out);  weight : (C_in, C_out, k_h, k_w) (the layout of
    the convolution being transposed, which maps C_out channels to C_in);  bias : (C_out,), with
    (Dumoulin & Visin, 2016, relationship 14)

    .. math::

        H_{out} = (H - 1)s_h - 2p_h + d_h(k_h - 1) + a_h + 1

    and likewise for :math:`W_{out}`.

    Notes
    -----
    With :math:`\tilde y` the output before cropping :math:`p` on each side and
    :math:`G = \partial L/\partial y` (zero-padded to :math:`\tilde G` likewise):

    .. math::

        \tilde y_{n,\,o,\; s_h i + d_h u,\; s_w j + d_w v} &\mathrel{+}= \sum_c w_{c,o,u,v}\, x_{n,c,i,j},
        \qquad y = b + \text{crop}_p(\tilde y) \\
        \frac{\partial L}{\partial x_{n,c,i,j}} &= \sum_{o,u,v} w_{c,o,u,v}\,
            \tilde G_{n,\,o,\; s_h i + d_h u,\; s_w j + d_w v} \\
        \frac{\partial L}{\partial w_{c,o,u,v}} &= \sum_{n,i,j} x_{n,c,i,j}\,
            \tilde G_{n,\,o,\; s_h i + d_h u,\; s_w j + d_w v},
        \qquad \frac{\partial L}{\partial b_o} = \sum_{n,i,j} G_{n,o,i,j}

    The first line is the input gradient of a convolution, the second line *is* a convolution of
    :math:`G`, the third is a convolution's weight gradient: see :mod:`scratchae.kernels.reference.conv2d`.
    With ``needs_input_grad = False`` (see :class:`~scratchae.nn.Module`) backward skips the second line
    and returns ``None``.

    References
    ----------
    V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning", arXiv:1603.07285, 2016.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1, *, dtype=np.float32,
                 rng=None):
        layer = type(self).__name__
        self.in_channels = _count(in_channels, "in_channels", layer)
        self.out_channels = _count(out_channels, "out_channels", layer)
        self.kernel_size = _pair(kernel_size, "kernel_size", layer, minimum=1)
        self.stride = _pair(stride, "stride", layer, minimum=1)
        self.padding = _pair(padding, "padding", layer, minimum=0)
        self.output_padding = _pair(output_padding, "output_padding", layer, minimum=0)
        self.dilation = _pair(dilation, "dilation", layer, minimum=1)
        _no_groups(groups, layer)
        for a, s, d in zip(self.output_padding, self.stride, self.dilation):
            if a >= max(s, d):
                raise ValueError(
                    f"{layer} expected output_padding smaller than stride or dilation, got "
                    f"output_padding={self.output_padding}, stride={self.stride}, dilation={self.dilation}"
                )
        weight, b = default_weight_and_bias((self.in_channels, self.out_channels, *self.kernel_size),
                                            self.out_channels if bias else None, dtype, rng)
        self.weight = Parameter(weight)
        self.bias = Parameter(b) if bias else None
        self._x = None

    def output_size(self, input_hw) -> tuple[int, int]:
        """``(H_out, W_out)`` for an input of spatial size ``input_hw``."""
        try:
            return _output_size(tuple(input_hw), self.kernel_size, self.stride, self.padding,
                                self.output_padding, self.dilation)
        except ValueError as error:
            raise ValueError(f"{self!r}: {error}") from None

    def forward(self, x: np.ndarray) -> np.ndarray:
        _input(self, x, self.in_channels)
        out_hw = self.output_size(x.shape[2:])
        self._x = x
        # the input gradient of a convolution whose weight (C_in, C_out, kH, kW) maps C_out -> C_in
        return kernels.kernels("conv2d").input_grad(x, self.weight.data, self.stride, self.padding,
                                                    self.dilation, out_hw, bias=_data(self.bias))

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x = self._cached(self._x)
        out_hw = self.output_size(x.shape[2:])
        _checks.upstream(self, grad_out, (x.shape[0], self.out_channels, *out_hw), x.dtype)
        conv2d = kernels.kernels("conv2d")
        grad_x = None
        if self.needs_input_grad:
            # that convolution's forward pass, back to our input's size (first: the fast kernels then
            # reuse their split of grad_out for the weight gradient)
            grad_x = conv2d.forward(grad_out, self.weight.data, self.stride, self.padding, self.dilation,
                                    x.shape[2:])
        # and its weight gradient, with its input (our grad_out) and output gradient (our x)
        self.weight.grad += conv2d.weight_grad(grad_out, x, self.stride, self.padding, self.dilation,
                                               self.kernel_size)
        if self.bias is not None:
            self.bias.grad += conv2d.bias_grad(grad_out)
        return grad_x

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.output_padding != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.bias is None:
            s += ", bias=False"
        return s

"""2-D convolution."""

from __future__ import annotations

import functools

import numpy as np

from .. import kernels
from ..arithmetic import _pair, conv2d_output_size
from . import _checks
from .init import default_weight_and_bias
from .module import Module, Parameter


def _memoized(size_function):
    """Output-size arithmetic (over tuples) remembered: layers ask for the same sizes at every step, and
    validating the arguments again each time cost ~10% of the convolutional autoencoder's step."""
    return functools.lru_cache(maxsize=1024)(size_function)


_conv2d_output_size = _memoized(conv2d_output_size)


def _count(value, name: str, layer: str) -> int:
    """A positive number of channels."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{layer} expected {name} to be a positive integer, got {value!r}")
    return int(value)


def _no_groups(groups, layer: str) -> None:
    if groups != 1:
        raise ValueError(f"{layer} supports only groups=1, got groups={groups!r}")


def _data(parameter):
    """A parameter's array, or None for a missing one (a layer built with ``bias=False``)."""
    return None if parameter is None else parameter.data


def _input(layer: Module, x: np.ndarray, channels: int) -> np.ndarray:
    """Check that ``x`` is a (N, C, H, W) float array of the parameters' dtype with ``channels`` channels."""
    _checks.floating_input(layer, x, layer.weight.dtype)
    _checks.images(layer, x)
    if x.shape[1] != channels:
        raise ValueError(f"{layer!r} expected {channels} channels, got {x.shape[1]} (input shape {x.shape})")
    return x


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
    that operation is the transposed convolution (:class:`~scratchae.nn.ConvTranspose2d`). The three
    operations are in :mod:`scratchae.kernels.reference.conv2d` (readable NumPy) and
    :mod:`scratchae.kernels.numba.conv2d` (fast); :func:`scratchae.kernels.set_backend` chooses.
    With ``needs_input_grad = False`` (see :class:`~scratchae.nn.Module`) backward skips the input
    gradient and returns ``None``.

    References
    ----------
    V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning", arXiv:1603.07285, 2016.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, *, dtype=np.float32, rng=None):
        layer = type(self).__name__
        self.in_channels = _count(in_channels, "in_channels", layer)
        self.out_channels = _count(out_channels, "out_channels", layer)
        self.kernel_size = _pair(kernel_size, "kernel_size", layer, minimum=1)
        self.stride = _pair(stride, "stride", layer, minimum=1)
        self.padding = _pair(padding, "padding", layer, minimum=0)
        self.dilation = _pair(dilation, "dilation", layer, minimum=1)
        _no_groups(groups, layer)
        weight, b = default_weight_and_bias((self.out_channels, self.in_channels, *self.kernel_size),
                                            self.out_channels if bias else None, dtype, rng)
        self.weight = Parameter(weight)
        self.bias = Parameter(b) if bias else None
        self._x = None

    def output_size(self, input_hw) -> tuple[int, int]:
        """``(H_out, W_out)`` for an input of spatial size ``input_hw``; ValueError if the kernel does not fit."""
        try:
            return _conv2d_output_size(tuple(input_hw), self.kernel_size, self.stride, self.padding,
                                       self.dilation)
        except ValueError as error:
            raise ValueError(f"{self!r}: {error}") from None

    def forward(self, x: np.ndarray) -> np.ndarray:
        _input(self, x, self.in_channels)
        out_hw = self.output_size(x.shape[2:])
        self._x = x
        return kernels.kernels("conv2d").forward(x, self.weight.data, self.stride, self.padding,
                                                 self.dilation, out_hw, bias=_data(self.bias))

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x = self._cached(self._x)
        out_hw = self.output_size(x.shape[2:])
        _checks.upstream(self, grad_out, (x.shape[0], self.out_channels, *out_hw), x.dtype)
        conv2d = kernels.kernels("conv2d")
        self.weight.grad += conv2d.weight_grad(x, grad_out, self.stride, self.padding, self.dilation,
                                               self.kernel_size)
        if self.bias is not None:
            self.bias.grad += conv2d.bias_grad(grad_out)
        if not self.needs_input_grad:              # e.g. the first layer of a model: x is data
            return None
        return conv2d.input_grad(grad_out, self.weight.data, self.stride, self.padding, self.dilation,
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

"""2-D convolution."""

from __future__ import annotations

import numpy as np

from ..arithmetic import conv2d_output_size, pair, same_padding
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
    padding : int, (int, int), 'same' or 'valid', default 0
        Zeros :math:`p` added on both sides of each spatial dimension. ``'valid'`` is 0; ``'same'`` pads so
        that the output has the input's size (stride 1 only, as in PyTorch): :math:`d(k-1)` zeros in all,
        half on each side and, for an even kernel, the odd one at the bottom (right), as PyTorch does
        (:func:`~scratchae.arithmetic.same_padding`).
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
    x : (N, C_in, H, W) -> y : (N, C_out, H_out, W_out), or one image (C_in, H, W) -> (C_out, H_out, W_out);
    weight : (C_out, C_in, k_h, k_w); bias : (C_out,), with (Dumoulin & Visin, 2016, relationship 15)

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

    ``padding='same'`` with an even kernel (say 2: one row of zeros in all) is not symmetric: as in
    PyTorch, the layer appends the odd zero row (column) at the bottom (right) of the input, convolves
    with the symmetric part of the padding, and crops that row from the input gradient (nothing flows
    into a zero that is not an input).

    References
    ----------
    V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning", arXiv:1603.07285, 2016.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        *,
        dtype=np.float32,
        rng=None,
    ):
        layer = type(self).__name__
        self.in_channels = checks.positive_int(in_channels, "in_channels", layer)
        self.out_channels = checks.positive_int(out_channels, "out_channels", layer)
        self.kernel_size = pair(kernel_size, "kernel_size", layer, minimum=1)
        self.stride = pair(stride, "stride", layer, minimum=1)
        self.dilation = pair(dilation, "dilation", layer, minimum=1)
        self.padding, self._padding, self._extra_padding = _resolve_padding(
            padding, self.kernel_size, self.stride, self.dilation, layer
        )
        checks.no_groups(groups, layer)
        weight, b = default_weight_and_bias(
            (self.out_channels, self.in_channels, *self.kernel_size), self.out_channels if bias else None, dtype, rng
        )
        self.weight = Parameter(weight)
        self.bias = Parameter(b) if bias else None
        self._x: np.ndarray | None = None
        self._out_hw: tuple[int, int] | None = None
        self._unbatched = False

    def output_size(self, input_hw) -> tuple[int, int]:
        """``(H_out, W_out)`` for an input of spatial size ``input_hw``; ValueError if the kernel does not fit."""
        (h, w), (extra_h, extra_w) = input_hw, self._extra_padding
        try:
            return conv2d_output_size(
                (h + extra_h, w + extra_w), self.kernel_size, self.stride, self._padding, self.dilation
            )
        except ValueError as error:
            raise ValueError(f"{self!r}: {error}") from None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x, self._unbatched = checks.unbatched_as_batch(self, x)  # one image (C, H, W): a batch of one
        checks.images_with_channels(self, x, self.in_channels, self.weight.dtype)
        self._out_hw = self.output_size(x.shape[2:])  # a clear error if the kernel does not fit
        if self._extra_padding != (0, 0):  # padding='same', even kernel: the odd zero row at the bottom
            extra_h, extra_w = self._extra_padding
            x = np.pad(x, ((0, 0), (0, 0), (0, extra_h), (0, extra_w)))
        self._x = x
        bias = None if self.bias is None else self.bias.data
        y = conv2d(x, self.weight.data, bias, self.stride, self._padding, self.dilation)
        return y[0] if self._unbatched else y

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        x = self._cached(self._x)
        out_shape = (self.out_channels, *self._cached(self._out_hw))
        checks.upstream(self, grad_out, out_shape if self._unbatched else (x.shape[0], *out_shape), x.dtype)
        if self._unbatched:
            grad_out = grad_out[None]
        self.weight.grad += conv2d_weight_grad(x, grad_out, self.stride, self._padding, self.dilation, self.kernel_size)
        if self.bias is not None:
            self.bias.grad += conv2d_bias_grad(grad_out)
        if not self.needs_input_grad:  # e.g. the first layer of a model: x is data
            return None
        grad_x = conv2d_input_grad(grad_out, self.weight.data, self.stride, self._padding, self.dilation, x.shape[2:])
        if self._extra_padding != (0, 0):  # the appended zeros were no input: crop their gradient
            extra_h, extra_w = self._extra_padding
            grad_x = np.ascontiguousarray(grad_x[:, :, : x.shape[2] - extra_h, : x.shape[3] - extra_w])
        return grad_x[0] if self._unbatched else grad_x

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.bias is None:
            s += ", bias=False"
        return s


def _resolve_padding(padding, kernel_size, stride, dilation, layer: str):
    """``(padding as the layer shows it, symmetric padding (h, w), extra zeros at the bottom/right (h, w))``.

    An int or pair is kept as a pair; ``'valid'`` is no padding; ``'same'`` is PyTorch's split of
    :math:`d(k-1)` zeros (:func:`~scratchae.arithmetic.same_padding`), refused with a stride, as PyTorch does.
    """
    if not isinstance(padding, str):
        symmetric = pair(padding, "padding", layer, minimum=0)
        return symmetric, symmetric, (0, 0)
    if padding == "valid":
        return padding, (0, 0), (0, 0)
    if padding != "same":
        raise ValueError(f"{layer} expected padding to be 'same', 'valid', an int or a pair of ints, got {padding!r}")
    if stride != (1, 1):
        raise ValueError(
            f"{layer}: padding='same' is not supported for strided convolutions (stride={stride}), "
            f"as in PyTorch: the output of a strided convolution cannot keep the input's size"
        )
    symmetric, extra = same_padding(kernel_size, dilation)
    return padding, symmetric, extra

"""2-D transposed convolution: the backward pass of a convolution, used as a layer."""

from __future__ import annotations

import numpy as np

from ..arithmetic import conv_transpose2d_output_size, pair
from . import checks
from .functional import conv2d, conv2d_bias_grad, conv2d_weight_grad, conv_transpose2d
from .init import default_weight_and_bias
from .module import Module, Parameter


class ConvTranspose2d(Module):
    r"""2-D transposed convolution, as ``torch.nn.ConvTranspose2d``.

    A convolution :math:`x \mapsto y` with weight :math:`w` is a linear map :math:`y = Cx`; its input
    gradient is :math:`\partial L/\partial x = C^\top\, \partial L/\partial y`. A transposed convolution
    is that map :math:`C^\top` used as a layer (Dumoulin & Visin, 2016, section 4): it spreads each
    input pixel, weighted by the kernel, over an output neighbourhood, and so *up*-samples when
    :math:`s > 1`. Hence the code below:

    - forward = the input gradient of a convolution with weight :math:`w`
      (:func:`~scratchae.nn.functional.conv_transpose2d`);
    - backward (input gradient) = the forward convolution with the same weight (:math:`(C^\top)^\top = C`);
    - backward (weight gradient) = a convolution's weight gradient, with input and output exchanged.

    ``docs/transposed-convolution.md`` explains it from the start, with pictures, and
    :mod:`scratchae.transposed_views` computes it four ways that are shown to agree: the scatter of
    stamped kernels (:func:`~scratchae.transposed_views.scatter`), the transposed matrix :math:`C^\top`
    (:func:`~scratchae.transposed_views.conv_transpose2d_by_matrix`), the input gradient of a
    convolution (:func:`~scratchae.transposed_views.as_input_gradient`) and zero insertion with a
    flipped kernel (:func:`~scratchae.transposed_views.zero_insertion`).

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
        than the stride or the dilation. ``forward(x, output_size=...)`` can choose it instead.
    groups : int, default 1
        Only 1 is supported.
    bias : bool, default True
    dtype : numpy dtype, default float32
    rng : numpy.random.Generator, optional

    Shapes
    ------
    x : (N, C_in, H, W) -> y : (N, C_out, H_out, W_out), or one image (C_in, H, W) -> (C_out, H_out, W_out);
    weight : (C_in, C_out, k_h, k_w) (the layout of
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
    :math:`G`, the third is a convolution's weight gradient: see :mod:`scratchae.nn.functional`.
    With ``needs_input_grad = False`` (see :class:`~scratchae.nn.Module`) backward skips the second line
    and returns ``None``.

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
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        *,
        dtype=np.float32,
        rng=None,
    ):
        layer = type(self).__name__
        self.in_channels = checks.positive_int(in_channels, "in_channels", layer)
        self.out_channels = checks.positive_int(out_channels, "out_channels", layer)
        self.kernel_size = pair(kernel_size, "kernel_size", layer, minimum=1)
        self.stride = pair(stride, "stride", layer, minimum=1)
        self.padding = pair(padding, "padding", layer, minimum=0)
        self.output_padding = pair(output_padding, "output_padding", layer, minimum=0)
        self.dilation = pair(dilation, "dilation", layer, minimum=1)
        checks.no_groups(groups, layer)
        for a, s, d in zip(self.output_padding, self.stride, self.dilation, strict=True):
            if a >= max(s, d):
                raise ValueError(
                    f"{layer} expected output_padding smaller than stride or dilation, got "
                    f"output_padding={self.output_padding}, stride={self.stride}, dilation={self.dilation}"
                )
        weight, b = default_weight_and_bias(
            (self.in_channels, self.out_channels, *self.kernel_size), self.out_channels if bias else None, dtype, rng
        )
        self.weight = Parameter(weight)
        self.bias = Parameter(b) if bias else None
        self._x: np.ndarray | None = None
        self._output_padding_used = self.output_padding
        self._unbatched = False

    def output_size(self, input_hw, output_padding=None) -> tuple[int, int]:
        """``(H_out, W_out)`` for an input of spatial size ``input_hw`` (with the layer's
        ``output_padding`` unless another is given)."""
        extra = self.output_padding if output_padding is None else output_padding
        try:
            return conv_transpose2d_output_size(
                tuple(input_hw), self.kernel_size, self.stride, self.padding, extra, self.dilation
            )
        except ValueError as error:
            raise ValueError(f"{self!r}: {error}") from None

    def output_padding_for(self, input_hw, output_size) -> tuple[int, int]:
        """The output padding that gives ``output_size``, as PyTorch's ``forward(x, output_size)`` picks it.

        ``output_size`` is (H_out, W_out) or (N, C, H_out, W_out) (only the last two count). The sizes a
        transposed convolution can return for ``input_hw`` run from the one with no output padding to
        that one plus ``stride - 1``, as in PyTorch; any other is refused with a ValueError naming them.
        """
        size = tuple(output_size) if isinstance(output_size, (tuple, list)) else None
        if size is None or len(size) not in (2, 4) or not all(isinstance(s, (int, np.integer)) for s in size):
            raise ValueError(f"{self!r} expected output_size as (H, W) or (N, C, H, W) ints, got {output_size!r}")
        wanted = (int(size[-2]), int(size[-1]))
        smallest = self.output_size(input_hw, (0, 0))
        largest = (smallest[0] + self.stride[0] - 1, smallest[1] + self.stride[1] - 1)
        if not all(lo <= s <= hi for lo, s, hi in zip(smallest, wanted, largest, strict=True)):
            raise ValueError(
                f"{self!r}: requested an output size of {wanted}, but valid sizes range from "
                f"{smallest} to {largest} (for an input of {tuple(input_hw)})"
            )
        return wanted[0] - smallest[0], wanted[1] - smallest[1]

    def forward(self, x: np.ndarray, output_size=None) -> np.ndarray:
        x, self._unbatched = checks.unbatched_as_batch(self, x)  # one image (C, H, W): a batch of one
        checks.images_with_channels(self, x, self.in_channels, self.weight.dtype)
        if output_size is None:
            self._output_padding_used = self.output_padding
        else:
            self._output_padding_used = self.output_padding_for(x.shape[2:], output_size)
        self.output_size(x.shape[2:], self._output_padding_used)  # a clear error if the output is empty
        self._x = x
        bias = None if self.bias is None else self.bias.data
        y = conv_transpose2d(
            x, self.weight.data, bias, self.stride, self.padding, self._output_padding_used, self.dilation
        )
        return y[0] if self._unbatched else y

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        x = self._cached(self._x)
        out_hw = self.output_size(x.shape[2:], self._output_padding_used)
        out_shape = (self.out_channels, *out_hw)
        checks.upstream(self, grad_out, out_shape if self._unbatched else (x.shape[0], *out_shape), x.dtype)
        if self._unbatched:
            grad_out = grad_out[None]
        grad_x = None
        if self.needs_input_grad:
            # (C^T)^T = C: the forward pass of the convolution with the same weight, which maps our
            # output size back to our input's (first: the fast kernels then reuse their split of
            # grad_out for the weight gradient)
            grad_x = conv2d(grad_out, self.weight.data, None, self.stride, self.padding, self.dilation)
            if grad_x.shape != x.shape:
                # output_padding >= stride (possible with dilation > stride): the convolution sees
                # floor(output_padding / stride) more rows (columns) than x had, which no pixel of x made
                grad_x = np.ascontiguousarray(grad_x[:, :, : x.shape[2], : x.shape[3]])
        # that convolution's weight gradient, with its input (our grad_out) and output gradient (our x)
        self.weight.grad += conv2d_weight_grad(grad_out, x, self.stride, self.padding, self.dilation, self.kernel_size)
        if self.bias is not None:
            self.bias.grad += conv2d_bias_grad(grad_out)
        return grad_x[0] if self._unbatched and grad_x is not None else grad_x

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

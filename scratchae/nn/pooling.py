"""2-D max pooling."""

from __future__ import annotations

import numpy as np

from ..arithmetic import maxpool2d_output_size, pair
from . import checks
from .functional import max_pool2d, max_pool2d_backward
from .module import Module


class MaxPool2d(Module):
    r"""Maximum over each :math:`k_h \times k_w` window, as ``torch.nn.MaxPool2d``.

    Parameters
    ----------
    kernel_size : int or (int, int)
        Window size :math:`(k_h, k_w)`.
    stride : int or (int, int), optional
        Step :math:`s` between windows; default ``kernel_size`` (non-overlapping windows).
    padding : int or (int, int), default 0
        Implicit :math:`-\infty` added on both sides (it never wins); at most half the kernel size.
    dilation : int or (int, int), default 1
        Only 1 is supported.
    return_indices : bool, default False
        Only False is supported (the layer keeps the indices for its backward pass).
    ceil_mode : bool, default False
        Round the number of windows up rather than down: a last window that runs past the end of the
        input is kept (its maximum is over the pixels it covers), provided it starts inside the input or
        its left padding.

    Shapes
    ------
    x : (N, C, H, W) -> y : (N, C, H_out, W_out), or one image (C, H, W) -> (C, H_out, W_out), with
    :math:`H_{out} = \lfloor (H + 2p_h - k_h) / s_h \rfloor + 1` and likewise for :math:`W_{out}`
    (Dumoulin & Visin, 2016, section 3: a pooling window moves like a convolution kernel);
    ``ceil_mode`` takes :math:`\lceil\cdot\rceil` instead (:func:`~scratchae.arithmetic.pool_output_length`).

    Notes
    -----
    With :math:`\tilde x` the :math:`-\infty`-padded input:

    .. math::

        y_{n,c,i,j} = \max_{u,v}\ \tilde x_{n,c,\,s_h i + u,\,s_w j + v},
        \qquad
        \frac{\partial L}{\partial x_{n,c,h,w}} =
            \sum_{(i,j)\,:\ \operatorname{argmax}(i,j) = (h,w)} \frac{\partial L}{\partial y_{n,c,i,j}}

    Forward remembers where each maximum was (PyTorch's ``return_indices``: the flat position
    :math:`hW + w` in the input plane); backward sends each output gradient there and nowhere else,
    summing when overlapping windows share a maximum. A tie goes to the first maximum in row-major
    order of the window, as in PyTorch.
    """

    def __init__(
        self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False, ceil_mode: bool = False
    ):
        layer = type(self).__name__
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, bool(ceil_mode)
        if pair(dilation, "dilation", layer, minimum=1) != (1, 1):
            raise ValueError(f"{layer} supports only dilation=1, got dilation={dilation!r}")
        if return_indices:
            raise ValueError(f"{layer} supports only return_indices=False (it keeps the indices for its backward)")
        self._kernel = pair(kernel_size, "kernel_size", layer, minimum=1)
        self._stride = self._kernel if stride is None else pair(stride, "stride", layer, minimum=1)
        self._padding = pair(padding, "padding", layer, minimum=0)
        if any(2 * p > k for p, k in zip(self._padding, self._kernel, strict=True)):
            raise ValueError(
                f"{layer} expected padding to be at most half of kernel_size, got padding={padding!r}, "
                f"kernel_size={kernel_size!r}"
            )
        self._indices: np.ndarray | None = None  # where each maximum was, kept by forward
        self._in_shape: tuple[int, ...] | None = None
        self._dtype: np.dtype | None = None
        self._unbatched = False

    def output_size(self, input_hw) -> tuple[int, int]:
        """``(H_out, W_out)`` for an input of spatial size ``input_hw``; ValueError if the window does not fit."""
        try:
            return maxpool2d_output_size(tuple(input_hw), self._kernel, self._stride, self._padding, self.ceil_mode)
        except ValueError as error:
            raise ValueError(f"{self!r}: {error}") from None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x, self._unbatched = checks.unbatched_as_batch(self, x)  # one image (C, H, W): a batch of one
        checks.floating_input(self, x)
        checks.images(self, x)
        out_hw = self.output_size(x.shape[2:])
        y, self._indices = max_pool2d(x, self._kernel, self._stride, self._padding, out_hw)
        self._in_shape, self._dtype = x.shape, x.dtype
        return y[0] if self._unbatched else y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        indices = self._cached(self._indices)
        _, _, h, w = self._cached(self._in_shape)
        checks.upstream(self, grad_out, indices.shape[1:] if self._unbatched else indices.shape, self._dtype)
        if self._unbatched:
            return max_pool2d_backward(grad_out[None], indices, (h, w))[0]
        return max_pool2d_backward(grad_out, indices, (h, w))

    def extra_repr(self) -> str:
        stride = self.kernel_size if self.stride is None else self.stride
        return (
            f"kernel_size={self.kernel_size}, stride={stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )

"""Nearest-neighbour upsampling by integer factors."""

from __future__ import annotations

import numbers

import numpy as np

from ..arithmetic import pair, upsample_output_size
from . import checks
from .functional import upsample_nearest, upsample_nearest_backward
from .module import Module


def _integer_factor(scale_factor, layer: str) -> tuple[int, int]:
    """``scale_factor`` (a number or a pair) as a pair of positive ints; 2.0 is accepted, 1.5 is not."""
    values = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor, scale_factor)
    if len(values) != 2 or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
        raise TypeError(f"{layer} expected scale_factor to be a number or a pair (h, w), got {scale_factor!r}")
    if not all(float(v).is_integer() and v >= 1 for v in values):
        raise ValueError(
            f"{layer} supports only positive integer scale factors (nearest upsampling copies each pixel "
            f"into a whole block), got scale_factor={scale_factor!r}"
        )
    return pair((int(values[0]), int(values[1])), "scale_factor", layer, minimum=1)


class Upsample(Module):
    r"""Nearest-neighbour upsampling by integer factors, as ``torch.nn.Upsample(mode="nearest")``.

    Parameters
    ----------
    size : int or (int, int), optional
        Output size :math:`(H_{out}, W_{out})`; must be an integer multiple of the input size.
    scale_factor : number or (number, number), optional
        Integer factors :math:`(f_h, f_w)` (``2`` and ``2.0`` both work). Give exactly one of
        ``size`` and ``scale_factor``.
    mode : str, default "nearest"
        Only ``"nearest"`` is supported.

    Shapes
    ------
    x : (N, C, H, W) -> y : (N, C, f_h H, f_w W)

    Notes
    -----
    Every input pixel is copied into an :math:`f_h \times f_w` block, so its gradient is the sum of the
    gradients of the block:

    .. math::

        y_{n,c,i,j} = x_{n,c,\lfloor i/f_h \rfloor,\lfloor j/f_w \rfloor},
        \qquad
        \frac{\partial L}{\partial x_{n,c,h,w}} =
            \sum_{a=0}^{f_h-1} \sum_{b=0}^{f_w-1} \frac{\partial L}{\partial y_{n,c,\,f_h h+a,\,f_w w+b}}

    Upsampling followed by a convolution is an alternative to a strided transposed convolution that
    avoids its checkerboard artifacts (Odena, Dumoulin & Olah, "Deconvolution and checkerboard
    artifacts", Distill, 2016).
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest"):
        layer = type(self).__name__
        if mode != "nearest":
            raise ValueError(f"{layer} supports only mode='nearest' with integer scale factors, got mode={mode!r}")
        if (size is None) == (scale_factor is None):
            raise ValueError(
                f"{layer} expected exactly one of size and scale_factor, got size={size!r}, "
                f"scale_factor={scale_factor!r}"
            )
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self._size = None if size is None else pair(size, "size", layer, minimum=1)
        self._factor = None if scale_factor is None else _integer_factor(scale_factor, layer)
        self._in_shape = self._dtype = self._factor_used = None

    def factor(self, input_hw) -> tuple[int, int]:
        """The integer factors ``(f_h, f_w)`` for an input of spatial size ``input_hw``."""
        if self._factor is not None:
            return self._factor
        (h, w), (ho, wo) = input_hw, self._size
        if ho % h or wo % w:
            raise ValueError(
                f"{self!r} supports only integer scale factors: size {self._size} is not a multiple of "
                f"the input size {(h, w)}"
            )
        return ho // h, wo // w

    def forward(self, x: np.ndarray) -> np.ndarray:
        checks.floating_input(self, x)
        checks.images(self, x)
        factor = self.factor(x.shape[2:])
        self._in_shape, self._dtype, self._factor_used = x.shape, x.dtype, factor
        return upsample_nearest(x, factor)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        n, c, h, w = self._cached(self._in_shape)
        out_hw = upsample_output_size((h, w), self._factor_used)
        checks.upstream(self, grad_out, (n, c, *out_hw), self._dtype)
        return upsample_nearest_backward(grad_out, self._factor_used)

    def extra_repr(self) -> str:
        if self.size is not None:
            return f"size={self.size!r}, mode={self.mode!r}"
        return f"scale_factor={self.scale_factor!r}, mode={self.mode!r}"

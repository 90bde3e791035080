"""Upsampling: nearest-neighbour by integer factors, and bilinear interpolation by any factor."""

from __future__ import annotations

import numbers

import numpy as np

from ..arithmetic import interpolate_output_size, pair, upsample_output_size
from . import checks
from .functional import upsample_bilinear, upsample_bilinear_backward, upsample_nearest, upsample_nearest_backward
from .module import Module

MODES = ("nearest", "bilinear")


def _factor_pair(scale_factor, layer: str) -> tuple[float, float]:
    """``scale_factor`` (a number or a pair) as a pair of positive floats."""
    values = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor, scale_factor)
    if len(values) != 2 or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
        raise TypeError(f"{layer} expected scale_factor to be a number or a pair (h, w), got {scale_factor!r}")
    if not all(v > 0 for v in values):
        raise ValueError(f"{layer} expected a positive scale_factor, got {scale_factor!r}")
    return float(values[0]), float(values[1])


def _integer_factor(scale_factor, layer: str) -> tuple[int, int]:
    """``scale_factor`` (a number or a pair) as a pair of positive ints; 2.0 is accepted, 1.5 is not."""
    values = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor, scale_factor)
    if len(values) != 2 or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
        raise TypeError(f"{layer} expected scale_factor to be a number or a pair (h, w), got {scale_factor!r}")
    if not all(float(v).is_integer() and v >= 1 for v in values):
        raise ValueError(
            f"{layer} supports only positive integer scale factors with mode='nearest' (it copies each pixel "
            f"into a whole block), got scale_factor={scale_factor!r}; mode='bilinear' takes any factor"
        )
    return pair((int(values[0]), int(values[1])), "scale_factor", layer, minimum=1)


class Upsample(Module):
    r"""Upsampling of a batch of images, as ``torch.nn.Upsample``: nearest-neighbour by integer factors, or
    bilinear interpolation by any factor or to any size.

    Parameters
    ----------
    size : int or (int, int), optional
        Output size :math:`(H_{out}, W_{out})`; with ``mode="nearest"``, an integer multiple of the input size.
    scale_factor : number or (number, number), optional
        Factors :math:`(f_h, f_w)`: the output has :math:`\lfloor f_h H \rfloor` rows. Integers for
        ``mode="nearest"`` (``2`` and ``2.0`` both work), any positive number for ``"bilinear"``. Give
        exactly one of ``size`` and ``scale_factor``.
    mode : {"nearest", "bilinear"}, default "nearest"
    align_corners : bool, optional
        Bilinear only (default False): whether the centres of the corner pixels of input and output are
        aligned (True) or their outer edges (False); see
        :func:`~scratchae.arithmetic.linear_source_indices`.
    recompute_scale_factor : bool, optional
        Bilinear with ``scale_factor`` only: True maps output to input coordinates with the ratio of the
        sizes, :math:`H / H_{out}`, rather than :math:`1/f_h` (they differ when :math:`f_h H` is not an
        integer), as in PyTorch.

    Shapes
    ------
    x : (N, C, H, W) -> y : (N, C, H_out, W_out). One image must be given as a batch of one: PyTorch reads
    a 3-D input to ``Upsample`` as (N, C, L), a batch of 1-D signals, which is not implemented here.

    Notes
    -----
    **Nearest.** Every input pixel is copied into an :math:`f_h \times f_w` block, so its gradient is the
    sum of the gradients of the block:

    .. math::

        y_{n,c,i,j} = x_{n,c,\lfloor i/f_h \rfloor,\lfloor j/f_w \rfloor},
        \qquad
        \frac{\partial L}{\partial x_{n,c,h,w}} =
            \sum_{a=0}^{f_h-1} \sum_{b=0}^{f_w-1} \frac{\partial L}{\partial y_{n,c,\,f_h h+a,\,f_w w+b}}

    **Bilinear.** Output row :math:`i` has a source coordinate in the input between rows :math:`r_0(i)`
    and :math:`r_1(i) = r_0(i) + 1`, at fraction :math:`a_1(i)` of the way (:math:`a_0 = 1 - a_1`); likewise
    columns :math:`q_0(j), q_1(j)` with weights :math:`b_0(j), b_1(j)`. The output is the weighted sum
    of the four neighbours, and since it is linear in :math:`x` (:math:`y = Bx`) the input gradient is
    :math:`B^\top g`, each output gradient sent back to the same four pixels with the same weights:

    .. math::

        y_{n,c,i,j} &= a_0 b_0\, x_{n,c,r_0,q_0} + a_0 b_1\, x_{n,c,r_0,q_1}
                     + a_1 b_0\, x_{n,c,r_1,q_0} + a_1 b_1\, x_{n,c,r_1,q_1} \\
        \frac{\partial L}{\partial x_{n,c,h,w}} &= \sum_{i,j} \frac{\partial L}{\partial y_{n,c,i,j}}
            \sum_{s,t \in \{0, 1\}} a_s(i)\, b_t(j)\, [r_s(i) = h]\,[q_t(j) = w]

    Upsampling followed by a convolution is an alternative to a strided transposed convolution that
    avoids its checkerboard artifacts; the article that showed them recommends bilinear or nearest
    resizing (Odena, Dumoulin & Olah, "Deconvolution and checkerboard artifacts", Distill, 2016).
    """

    def __init__(
        self,
        size=None,
        scale_factor=None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ):
        layer = type(self).__name__
        if mode not in MODES:
            raise ValueError(f"{layer} supports mode='nearest' or mode='bilinear', got mode={mode!r}")
        if (size is None) == (scale_factor is None):
            raise ValueError(
                f"{layer} expected exactly one of size and scale_factor, got size={size!r}, "
                f"scale_factor={scale_factor!r}"
            )
        if mode == "nearest" and align_corners is not None:
            raise ValueError(
                f"{layer}: the align_corners option can only be set with the interpolating modes "
                f"(bilinear), not with mode='nearest'"
            )
        if recompute_scale_factor and size is not None:
            raise ValueError(f"{layer}: recompute_scale_factor is not meaningful with an explicit size")
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor
        # exactly one of _size and (_factor or _scales) is set
        self._size = None if size is None else pair(size, "size", layer, minimum=1)
        self._factor: tuple[int, int] | None = None  # nearest with a scale_factor
        self._scales: tuple[float, float] | None = None  # bilinear with a scale_factor
        if scale_factor is not None and mode == "nearest":
            self._factor = _integer_factor(scale_factor, layer)
        elif scale_factor is not None:
            self._scales = _factor_pair(scale_factor, layer)
        # kept by forward
        self._in_shape: tuple[int, ...] | None = None
        self._dtype: np.dtype | None = None
        self._factor_used: tuple[int, int] | None = None
        self._out_hw: tuple[int, int] | None = None

    # -- nearest ------------------------------------------------------------------------------------
    def factor(self, input_hw) -> tuple[int, int]:
        """The integer factors ``(f_h, f_w)`` of nearest upsampling for an input of spatial size ``input_hw``."""
        if self._factor is not None:
            return self._factor
        assert self._size is not None  # no scale_factor: a size was given
        (h, w), (ho, wo) = input_hw, self._size
        if ho % h or wo % w:
            raise ValueError(
                f"{self!r} supports only integer scale factors: size {self._size} is not a multiple of "
                f"the input size {(h, w)} (mode='bilinear' takes any size)"
            )
        return ho // h, wo // w

    # -- bilinear -----------------------------------------------------------------------------------
    def output_size(self, input_hw) -> tuple[int, int]:
        """``(H_out, W_out)`` for an input of spatial size ``input_hw``."""
        if self._size is not None:
            return self._size
        if self.mode == "nearest":
            return upsample_output_size(tuple(input_hw), self.factor(input_hw))
        try:
            return interpolate_output_size(tuple(input_hw), self._scales)
        except ValueError as error:
            raise ValueError(f"{self!r}: {error}") from None

    def _source_scales(self) -> tuple[float | None, float | None]:
        """The scale factors the coordinate mapping uses, or None where it uses the ratio of the sizes."""
        if self._scales is None or self.recompute_scale_factor:
            return None, None
        return self._scales

    # -- forward / backward -------------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        checks.floating_input(self, x)
        if x.ndim == 3:
            raise ValueError(
                f"{self!r} expected a 4-D input (N, C, H, W), got shape {x.shape}: PyTorch's Upsample "
                f"reads a 3-D input as (N, C, L), a batch of 1-D signals, which is not implemented "
                f"here; upsample one image as a batch of one, up(x[None])[0]"
            )
        checks.images(self, x)
        self._in_shape, self._dtype = x.shape, x.dtype
        if self.mode == "nearest":
            self._factor_used = self.factor(x.shape[2:])
            return upsample_nearest(x, self._factor_used)
        self._out_hw = self.output_size(x.shape[2:])
        return upsample_bilinear(x, self._out_hw, bool(self.align_corners), self._source_scales())

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        n, c, h, w = self._cached(self._in_shape)
        if self.mode == "nearest":
            factor = self._cached(self._factor_used)
            out_hw = upsample_output_size((h, w), factor)
            checks.upstream(self, grad_out, (n, c, *out_hw), self._dtype)
            return upsample_nearest_backward(grad_out, factor)
        checks.upstream(self, grad_out, (n, c, *self._cached(self._out_hw)), self._dtype)
        return upsample_bilinear_backward(grad_out, (h, w), bool(self.align_corners), self._source_scales())

    def extra_repr(self) -> str:
        if self.size is not None:
            return f"size={self.size!r}, mode={self.mode!r}"
        return f"scale_factor={self.scale_factor!r}, mode={self.mode!r}"

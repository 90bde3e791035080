"""What the transposed-convolution exercises share: their cases and the library's layer on them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import nn
from ..kernels.reference.conv2d import conv_transpose2d
from .engine import Mistake


@dataclass(frozen=True)
class TransposedCase:
    """A transposed convolution of ``x_shape`` (N, C_in, H, W) with ``kernel`` (C_out, kH, kW)."""

    x_shape: tuple[int, int, int, int]
    kernel: tuple[int, int, int]
    stride: int
    padding: int
    output_padding: int

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        c_out, kh, kw = self.kernel
        return self.x_shape[1], c_out, kh, kw

    @property
    def label(self) -> str:
        return (
            f"x {self.x_shape}, weight {self.weight_shape}, bias ({self.kernel[0]},), stride {self.stride}, "
            f"padding {self.padding}, output_padding {self.output_padding}"
        )

    def layer(self, rng: np.random.Generator) -> nn.ConvTranspose2d:
        """The library's layer for this case, in float64, with random weights."""
        c_out, kh, kw = self.kernel
        layer = nn.ConvTranspose2d(
            self.x_shape[1],
            c_out,
            (kh, kw),
            stride=self.stride,
            padding=self.padding,
            output_padding=self.output_padding,
            dtype=np.float64,
            rng=rng,
        )
        layer.needs_input_grad = True
        return layer

    def output_hw(self, x_hw=None) -> tuple[int, int]:
        (h, w), (_, kh, kw) = x_hw or self.x_shape[2:], self.kernel
        s, p, a = self.stride, self.padding, self.output_padding
        return (h - 1) * s - 2 * p + kh + a, (w - 1) * s - 2 * p + kw + a

    def transposed(self, x, weight, bias=None) -> np.ndarray:
        """The library's transposed convolution (the readable kernel) with this case's settings."""
        s, p = (self.stride,) * 2, (self.padding,) * 2
        return conv_transpose2d(x, weight, bias, s, p, (1, 1), self.output_hw())


#: odd sizes, non-square kernels, strides 1-3, paddings 0-3, output paddings 0-2, channels that differ
TRANSPOSED_CASES = (
    TransposedCase((2, 3, 3, 4), (2, 3, 2), stride=1, padding=0, output_padding=0),
    TransposedCase((1, 2, 3, 3), (3, 3, 3), stride=2, padding=1, output_padding=1),
    TransposedCase((3, 1, 2, 3), (2, 2, 3), stride=2, padding=0, output_padding=0),
    TransposedCase((2, 2, 3, 2), (1, 3, 3), stride=3, padding=2, output_padding=2),
    TransposedCase((1, 4, 2, 2), (3, 4, 4), stride=2, padding=1, output_padding=0),
    TransposedCase((2, 2, 3, 3), (2, 4, 5), stride=3, padding=3, output_padding=0),
)


def stamped(x, weight, stride):
    """Every input pixel's stamp, added into an uncropped canvas, the stamps ``stride`` apart (a helper of
    the known mistakes)."""
    n, _, h, w = x.shape
    _, c_out, kh, kw = weight.shape
    canvas = np.zeros((n, c_out, (h - 1) * stride + kh, (w - 1) * stride + kw))
    for i in range(h):
        for j in range(w):
            canvas[:, :, stride * i : stride * i + kh, stride * j : stride * j + kw] += np.einsum(
                "nc,cokl->nokl", x[:, :, i, j], weight
            )
    return canvas


def size_mistakes(case: TransposedCase) -> list[Mistake]:
    """Wrongly sized outputs and the usual mistake behind each."""
    n, c_out = case.x_shape[0], case.kernel[0]
    (h, w), (_, kh, kw), s, p, a = case.x_shape[2:], case.kernel, case.stride, case.padding, case.output_padding

    def shaped(rows, cols):
        return np.zeros((n, c_out, rows, cols))

    return [
        Mistake(
            "the padding is not cut off: a transposed convolution removes p rows and columns on every side "
            "(it is the padding of the convolution it transposes).",
            shaped((h - 1) * s + kh + a, (w - 1) * s + kw + a),
        ),
        Mistake(
            "output_padding is missing: it adds that many rows and columns at the bottom and right.",
            shaped((h - 1) * s - 2 * p + kh, (w - 1) * s - 2 * p + kw),
        ),
        Mistake(
            "the stamps of H pixels start at 0, s, ..., (H-1)*s: H_out = (H-1)*s - 2p + kH + a.",
            shaped(h * s - 2 * p + kh + a, w * s - 2 * p + kw + a),
        ),
        Mistake(
            "the output channels are weight.shape[1]: a transposed convolution's weight is (C_in, C_out, kH, kW).",
            np.zeros((n, case.x_shape[1], *case.output_hw())),
        ),
    ]

"""What the convolution exercises share: their cases, the library's convolution on them, and the known
wrong output sizes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kernels.reference.conv2d import conv2d as library_conv2d
from .engine import Mistake


@dataclass(frozen=True)
class ConvCase:
    """A convolution from ``x_shape`` (N, C_in, H, W) with ``kernel`` (C_out, kH, kW), stride, padding."""

    x_shape: tuple[int, int, int, int]
    kernel: tuple[int, int, int]
    stride: int
    padding: int

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        c_out, kh, kw = self.kernel
        return c_out, self.x_shape[1], kh, kw

    @property
    def label(self) -> str:
        return (
            f"x {self.x_shape}, weight {self.weight_shape}, bias ({self.kernel[0]},), "
            f"stride {self.stride}, padding {self.padding}"
        )

    def arrays(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Random float64 x, weight and bias of this case's shapes."""
        return (
            rng.standard_normal(self.x_shape),
            rng.standard_normal(self.weight_shape),
            rng.standard_normal(self.kernel[0]),
        )

    def conv2d(self, x, weight, bias=None) -> np.ndarray:
        """The library's convolution (the readable kernel) with this case's stride and padding."""
        s, p = self.stride, self.padding
        return library_conv2d(x, weight, bias, (s, s), (p, p), (1, 1))


#: odd sizes, non-square kernels and images, strides 1-3, paddings 0-3 (3: wider than the kernel's reach),
#: batches of 1-3, 1-3 channels;
#: in several of them the strided windows do not reach the last rows or columns
CONV_CASES = (
    ConvCase((2, 3, 7, 6), (4, 3, 2), stride=1, padding=0),
    ConvCase((1, 2, 8, 9), (3, 3, 3), stride=2, padding=1),
    ConvCase((3, 1, 6, 5), (2, 2, 3), stride=2, padding=0),
    ConvCase((2, 2, 5, 7), (3, 3, 3), stride=3, padding=2),
    ConvCase((1, 3, 4, 4), (2, 4, 4), stride=1, padding=0),
    ConvCase((2, 2, 4, 5), (2, 4, 3), stride=2, padding=3),
)


def size_mistakes(case: ConvCase, channels: int, batch: int | None = None) -> list[Mistake]:
    """Wrongly sized outputs (N, channels, H', W') and the usual mistake behind each, in the rows, in the
    columns, or in both."""
    n = case.x_shape[0] if batch is None else batch
    (h, w), (_, kh, kw), s, p = case.x_shape[2:], case.kernel, case.stride, case.padding
    right = ((h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1)
    formula = "floor((H + 2p - kH) / s) + 1"
    wrong_sizes = [
        (
            f"the output size is {formula}: the + 1 is missing (a window fits at position 0 too).",
            lambda i, k: (i + 2 * p - k) // s,
        ),
        (f"the output size is {formula}: the padding counts on both sides (2p).", lambda i, k: (i + p - k) // s + 1),
        (f"the output size is {formula}: the padding is missing.", lambda i, k: (i - k) // s + 1),
        (f"the output size is {formula}: the stride is missing.", lambda i, k: i + 2 * p - k + 1),
        (
            f"the output size rounds down: {formula} (a window must fit entirely).",
            lambda i, k: -(-(i + 2 * p - k) // s) + 1,
        ),
    ]
    mistakes = []
    for hint, size in wrong_sizes:
        rows, cols = size(h, kh), size(w, kw)
        for shape in ((rows, cols), (rows, right[1]), (right[0], cols)):
            if shape != right:
                mistakes.append(Mistake(hint, np.zeros((n, channels, *shape))))
    mistakes.append(
        Mistake(
            "rows and columns are mixed up: H_out comes from H and kH, W_out from W and kW.",
            np.zeros((n, channels, right[1], right[0])),
        )
    )
    return mistakes

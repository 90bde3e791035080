r"""One transposed convolution, taken apart: its stamps, its four views, its output size, its overlaps.

:class:`TransposedConvolution` holds a small example of ``nn.ConvTranspose2d(1, 1, kernel_size, stride,
padding, output_padding, dilation=...)``: a readable integer input and kernel, and everything the
explorer (``scratchae explain``, :mod:`scratchae.figures.explain`) shows about it, computed by the
library's own layer:

- :meth:`~TransposedConvolution.stamp` and :attr:`~TransposedConvolution.canvas`: each input pixel's
  stamp (the layer applied to an input that keeps that pixel alone), and all the stamps added up before
  ``padding`` crops them;
- :meth:`~TransposedConvolution.views`: the same output computed the four ways of
  :mod:`scratchae.transposed_views`, with how far each is from the layer;
- :meth:`~TransposedConvolution.arithmetic`: the output-size arithmetic spelled out for these numbers;
- :meth:`~TransposedConvolution.overlap`: how many kernel taps reach each output pixel (an all-ones
  input and kernel), whose unevenness predicts checkerboard artifacts (Odena, Dumoulin & Olah, 2016).

A combination the layer refuses (an output padding not smaller than the stride or the dilation, a
padding that leaves no output) raises the layer's own ValueError.

The layer runs on the readable NumPy kernels here (:func:`scratchae.kernels.use_backend`): the numbers
are tiny, and nothing has to be compiled first.
"""

from __future__ import annotations

import functools

import numpy as np

from . import nn
from . import transposed_views as tv
from .arithmetic import conv_output_length, conv_transpose_output_length
from .kernels import use_backend

#: the four views of :mod:`scratchae.transposed_views`, in the order of docs/transposed-convolution.md
VIEWS = {
    "1. scatter: every input pixel stamps the kernel": tv.scatter,
    "2. the matrix: C^T @ x": tv.conv_transpose2d_by_matrix,
    "3. the input gradient of a convolution": tv.as_input_gradient,
    "4. zero insertion + a flipped kernel": tv.zero_insertion,
}


def readable(shape, seed: int, values=(-1.0, 1.0, 2.0, 3.0)) -> np.ndarray:
    """Small integers (as floats) that are easy to follow in a figure."""
    return np.random.default_rng(seed).choice(values, size=shape)


class TransposedConvolution:
    """``ConvTranspose2d(1, 1, kernel_size, stride, padding, output_padding, dilation=dilation)`` on one
    ``input_size`` x ``input_size`` image, with everything needed to explain it.

    ``x`` and ``kernel`` (2-D arrays) replace the default readable input and kernel.

    Raises
    ------
    ValueError
        The layer's own message, for a combination it refuses.
    """

    def __init__(
        self,
        kernel_size: int = 3,
        stride: int = 2,
        padding: int = 0,
        output_padding: int = 0,
        dilation: int = 1,
        input_size: int = 3,
        *,
        x=None,
        kernel=None,
    ):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.output_padding, self.dilation = output_padding, dilation
        self.x = (
            readable((input_size, input_size), seed=1, values=(-2.0, -1.0, 1.0, 2.0))
            if x is None
            else np.asarray(x, dtype=np.float64)
        )
        self.kernel = (
            readable((kernel_size, kernel_size), seed=kernel_size)
            if kernel is None
            else np.asarray(kernel, dtype=np.float64)
        )
        self.input_size = self.x.shape[0]
        self.layer = self.transposed_layer(padding, output_padding, self.kernel)
        self.output_hw = self.layer.output_size(self.x.shape)  # the layer's error if it is empty
        self.output = self.run(self.layer, self.x)
        self.canvas_layer = self.transposed_layer(0, 0, self.kernel)  # every stamp, nothing cropped
        self.canvas = self.run(self.canvas_layer, self.x)

    def transposed_layer(self, padding: int, output_padding: int, kernel) -> nn.ConvTranspose2d:
        """``nn.ConvTranspose2d`` (float64, no bias) with these settings and ``kernel`` as its weight."""
        kh, kw = np.shape(kernel)
        layer = nn.ConvTranspose2d(
            1,
            1,
            (kh, kw),
            stride=self.stride,
            padding=padding,
            output_padding=output_padding,
            dilation=self.dilation,
            bias=False,
            dtype=np.float64,
        )
        layer.weight.data[...] = kernel
        return layer

    @staticmethod
    def run(layer, image) -> np.ndarray:
        """``layer`` applied to one 2-D image, on the readable kernels: a 2-D result."""
        with use_backend("reference"):
            return layer(np.asarray(image, dtype=np.float64)[None, None])[0, 0]

    # -- the stamps ---------------------------------------------------------------------------------

    def stamp(self, i: int, j: int) -> np.ndarray:
        """The stamp of input pixel (i, j) on the uncropped canvas: the layer applied to x with every
        other pixel set to 0."""
        alone = np.zeros_like(self.x)
        alone[i, j] = self.x[i, j]
        return self.run(self.canvas_layer, alone)

    @functools.cached_property
    def stamps(self) -> np.ndarray:
        """Every stamp, (H, W, canvas rows, canvas columns): ``stamps[i, j]`` is :meth:`stamp` (i, j)."""
        h, w = self.x.shape
        return np.array([[self.stamp(i, j) for j in range(w)] for i in range(h)])

    @property
    def board_hw(self) -> tuple[int, int]:
        """Rows and columns that hold both the whole canvas and the output (output_padding can reach past
        the last stamp)."""
        p = self.padding
        return (max(self.canvas.shape[0], p + self.output_hw[0]), max(self.canvas.shape[1], p + self.output_hw[1]))

    def on_board(self, canvas: np.ndarray) -> np.ndarray:
        """``canvas`` placed on the board (zeros past the last stamp)."""
        board = np.zeros(self.board_hw)
        board[: canvas.shape[0], : canvas.shape[1]] = canvas
        return board

    def output_from_board(self, board: np.ndarray) -> np.ndarray:
        """The output is the board's rows and columns ``padding`` to ``padding + H_out``."""
        p, (h, w) = self.padding, self.output_hw
        return board[p : p + h, p : p + w]

    # -- the four views ---------------------------------------------------------------------------------

    def views(self) -> dict[str, tuple[np.ndarray, float]]:
        """Each view's output and its largest absolute difference from the layer's."""
        x, weight = self.x[None, None], self.kernel[None, None]
        result = {}
        for name, view in VIEWS.items():
            out = view(x, weight, None, self.stride, self.padding, self.output_padding, self.dilation)[0, 0]
            result[name] = out, float(np.max(np.abs(out - self.output)))
        return result

    # -- overlaps and checkerboards ---------------------------------------------------------------------

    def overlap(self, input_size: int | None = None) -> np.ndarray:
        """How many kernel taps land on each output pixel: the layer with an all-ones kernel applied to an
        all-ones image of ``input_size`` (default: this one's)."""
        n = self.input_size if input_size is None else input_size
        ones = self.transposed_layer(self.padding, self.output_padding, np.ones_like(self.kernel))
        return self.run(ones, np.ones((n, n)))

    def interior_overlap(self) -> np.ndarray:
        """The distinct overlap counts away from the border, on an input large enough to show every phase
        of the pattern: one value means even coverage, several mean a checkerboard."""
        k, s, d, p = self.kernel.shape[0], self.stride, self.dilation, self.padding
        n = 2 * (d * (k - 1) // s + 2) + 2
        # canvas position r is inside when every stamp that could reach it exists: d(k-1) <= r <= (n-1)s
        start, stop = max(d * (k - 1) - p, 0), (n - 1) * s - p + 1
        return np.unique(self.overlap(n)[start:stop, start:stop])

    def checkerboard(self) -> str:
        """One sentence: is the overlap even, and what to do if it is not."""
        counts = self.interior_overlap().astype(int)
        listed = ", ".join(map(str, counts))
        if len(counts) == 1:
            return (
                f"Even: every output pixel away from the border is reached by {counts[0]} kernel taps, so "
                f"uneven overlap makes no checkerboard here."
            )
        holes = " Some are reached by no tap at all: holes." if counts[0] == 0 else ""
        return (
            f"Uneven: output pixels away from the border are reached by {listed} kernel taps, in a pattern "
            f"that repeats every {self.stride} pixels: expect checkerboard artifacts.{holes} Remedies: a "
            f"kernel size divisible by the stride, or nearest upsampling followed by a stride-1 convolution."
        )

    # -- the output-size arithmetic ---------------------------------------------------------------------

    def arithmetic(self) -> str:
        """The output-size arithmetic for these numbers, in Markdown."""
        n, k, s, p, a, d = (
            self.input_size,
            self.kernel.shape[0],
            self.stride,
            self.padding,
            self.output_padding,
            self.dilation,
        )
        out = conv_transpose_output_length(n, k, s, p, a, d)
        assert (out, out) == self.output_hw  # the formula and the layer agree
        span, reach = d * (k - 1) + 1, (n - 1) * s + d * (k - 1) + 1
        back = conv_output_length(out, k, s, p, d)
        same = [
            size
            for size in range(max(1, out - 2 * max(s, d)), out + 2 * max(s, d))
            if conv_output_length(size, k, s, p, d) == n
        ]
        picks = ", ".join(
            f"output_padding={size - (out - a)} gives {size}" for size in same if 0 <= size - (out - a) < max(s, d)
        )
        if a == 0:
            extra = ""
        elif a <= p:
            extra = " (rows the padding had cut: stamps reach them)"
        else:
            extra = f" ({a - p} of them past the last stamp: no stamp reaches them, they hold only the bias)"
        lines = [
            f"# ConvTranspose2d(kernel_size={k}, stride={s}, padding={p}, output_padding={a}, dilation={d}) "
            f"on a {n} x {n} input",
            "",
            "## Which side is which",
            "",
            f"- input: {n} x {n}, the small side: it plays the part of a convolution's output",
            f"- output: {out} x {out}, the big side: the size of that convolution's input",
            "",
            "## The output size (each of height and width)",
            "",
            "    H_out = (H_in - 1)*stride - 2*padding + dilation*(kernel_size - 1) + output_padding + 1",
            f"          = ({n} - 1)*{s} - 2*{p} + {d}*({k} - 1) + {a} + 1",
            f"          = {(n - 1) * s} - {2 * p} + {d * (k - 1)} + {a} + 1",
            f"          = {out}",
            "",
            "As stamps: each input pixel stamps the kernel into the output, the stamps stride apart.",
            "",
            f"- the {n} stamps of a row start {s} apart, at 0 ... {(n - 1) * s};",
            f"- each covers dilation*(kernel_size - 1) + 1 = {span} pixels, so together they cover "
            f"{(n - 1) * s} + {span} = {reach} pixels;",
            f"- padding cuts {p} from each end: {reach} - 2*{p} = {reach - 2 * p};",
            f"- output_padding adds {a} at the end (bottom and right): {reach - 2 * p} + {a} = {out}{extra}.",
            "",
            "## Going back: the convolution it transposes",
            "",
            f"    Conv2d(kernel_size={k}, stride={s}, padding={p}, dilation={d}) maps {out} back to",
            f"    floor(({out} + 2*{p} - {d}*({k} - 1) - 1) / {s}) + 1 = floor({out + 2 * p - d * (k - 1) - 1}/{s}) + 1"
            f" = {back}",
            "",
        ]
        if back == n and len(same) > 1:
            sizes = " and ".join(map(str, same)) if len(same) == 2 else ", ".join(map(str, same))
            lines += [
                f"Sizes {sizes} {'both' if len(same) == 2 else 'all'} convolve to {n} (the floor drops the "
                f"remainder), "
                f"so going back needs output_padding to pick one: {picks}.",
                "",
            ]
        elif back == n:
            lines += [f"Only size {out} convolves to {n}: output_padding must be 0 here.", ""]
        else:
            lines += [
                f"(Not {n}: an output_padding of {a} >= stride {s}, allowed because the dilation is {d}, "
                f"makes a size the convolution maps to {back}.)",
                "",
            ]
        lines += [
            "## In PyTorch (and scratchae)",
            "",
            f"    nn.ConvTranspose2d(C_in, C_out, kernel_size={k}, stride={s}, padding={p}, output_padding={a}, "
            f"dilation={d})",
            f"        (N, C_in, {n}, {n}) -> (N, C_out, {out}, {out}); weight (C_in, C_out, {k}, {k})",
            f"    nn.Conv2d(C_out, C_in, kernel_size={k}, stride={s}, padding={p}, dilation={d})",
            f"        (N, C_out, {out}, {out}) -> (N, C_in, {back}, {back}): the same weight array, read the other way",
            "",
            "## Overlap",
            "",
            self.checkerboard(),
            "",
            "Practise: `scratchae exercises start output_size`, `scratchae exercises start conv_transpose_scatter`.",
        ]
        return "\n".join(lines) + "\n"

"""Exercise ``conv_transpose_scatter``: a transposed convolution as a scatter of stamped kernels."""

from __future__ import annotations

import numpy as np

from .compare import expect_array
from .engine import Exercise, Mistake, case
from .transposed import TRANSPOSED_CASES, size_mistakes, stamped

STUB = '''\
"""Exercise `conv_transpose_scatter`: a transposed convolution as a scatter of stamped kernels
(as torch.nn.functional.conv_transpose2d).

Check it with:  scratchae exercises check conv_transpose_scatter
"""

import numpy as np


def conv_transpose2d(x, weight, bias, stride, padding, output_padding):
    """A transposed convolution, written as a scatter.

    x (N, C_in, H, W), weight (C_in, C_out, kH, kW) (input channels first: the layout of the
    convolution being transposed), bias (C_out,); stride s, padding p and output_padding a are ints.

    Every input pixel x[n, c, i, j] stamps a copy of the kernel w[c], scaled by its value, into an output
    canvas, with its top-left corner at row s*i and column s*j; where stamps overlap they add up:

        canvas[n, o, s*i + u, s*j + v] += x[n, c, i, j] * w[c, o, u, v]

    Then p rows and columns are cut from EVERY side of the canvas, and a rows and columns (zeros) are
    added at the bottom and right:  H_out = (H - 1)*s - 2p + kH + a  (likewise W_out). Last, add b[o]
    to every pixel of output channel o. Returns y (N, C_out, H_out, W_out).
    """
    raise NotImplementedError
'''

SOLUTION = '''\
"""Exercise `conv_transpose_scatter`: a transposed convolution as a scatter of stamped kernels (a worked solution)."""

import numpy as np


def conv_transpose2d(x, weight, bias, stride, padding, output_padding):
    """Each input pixel stamps w[c], scaled by its value, at (s i, s j); crop p on every side; add the bias."""
    n, c_in, h, w = x.shape
    _, c_out, kh, kw = weight.shape
    h_out = (h - 1) * stride - 2 * padding + kh + output_padding
    w_out = (w - 1) * stride - 2 * padding + kw + output_padding
    # room for every stamp and for the output_padding rows: the output plus p on every side
    canvas = np.zeros((n, c_out, h_out + 2 * padding, w_out + 2 * padding), dtype=x.dtype)
    for i in range(h):
        for j in range(w):
            # the stamp of pixel (i, j): x[n, c, i, j] * w[c, o, u, v], summed over the input channels c
            stamp = np.einsum("nc,couv->nouv", x[:, :, i, j], weight)
            canvas[:, :, stride * i: stride * i + kh, stride * j: stride * j + kw] += stamp
    y = canvas[:, :, padding: padding + h_out, padding: padding + w_out]
    return y + bias.reshape(1, c_out, 1, 1)
'''

HINTS = (
    "Loop over the input pixels (i, j). The stamp of (i, j) is np.einsum('nc,couv->nouv', x[:, :, i, j], "
    "weight), of shape (N, C_out, kH, kW); add it into canvas[:, :, s*i : s*i + kH, s*j : s*j + kW].",
    "Make the canvas H_out + 2p rows tall (it then holds every stamp and the output_padding rows), and "
    "return canvas[:, :, p : p + H_out, p : p + W_out] plus the bias.",
    "Nothing is flipped in the scatter view: stamp w[c] as it is. (The flipped kernel belongs to the "
    "other view, an ordinary convolution of a zero-stuffed input.)",
)


def grade(learner) -> str:
    rng = np.random.default_rng(9)
    for number, conv in enumerate(TRANSPOSED_CASES, 1):
        layer = conv.layer(rng)
        with case(number, len(TRANSPOSED_CASES), conv.label):
            check_one(learner, conv, layer, rng.standard_normal(conv.x_shape))
    return f"the output matches the library's ConvTranspose2d on {len(TRANSPOSED_CASES)} cases (float64)."


def check_one(learner, conv, layer, x) -> None:
    weight, bias = layer.weight.data, layer.bias.data
    s, p, a = conv.stride, conv.padding, conv.output_padding
    h, w = conv.output_hw()
    b = bias.reshape(1, -1, 1, 1)

    def cropped(canvas, top_left=0):
        """A canvas of stamps, with ``top_left`` extra rows and columns in front, padded and cropped."""
        canvas = np.pad(canvas, ((0, 0), (0, 0), (top_left, h), (top_left, w)))
        return canvas[:, :, p : p + h, p : p + w] + b

    got = learner.call("conv_transpose2d", x, weight, bias, s, p, a)
    expect_array(
        "the output y",
        got,
        layer(x),
        hint=HINTS[0],
        mistakes=[
            Mistake(HINTS[2], lambda: conv.transposed(x, weight[:, :, ::-1, ::-1], bias)),
            Mistake(
                "the bias is missing: add b[o] to every pixel of output channel o.", lambda: conv.transposed(x, weight)
            ),
            Mistake(
                "the stamps go s pixels apart: the stamp of pixel (i, j) starts at (s*i, s*j).",
                lambda: cropped(stamped(x, weight, 1)),
            ),
            Mistake(
                "output_padding adds rows and columns at the bottom and right, after cutting p from every side; "
                "it never moves the stamps.",
                lambda: cropped(stamped(x, weight, s), top_left=a),
            ),
            Mistake(
                "cut p rows and columns from every side, the top and left too.",
                lambda: np.pad(stamped(x, weight, s), ((0, 0), (0, 0), (0, a), (0, a)))[:, :, :h, :w] + b,
            ),
            *size_mistakes(conv),
        ],
    )


EXERCISE = Exercise(
    name="conv_transpose_scatter",
    summary="a transposed convolution as a scatter: every input pixel stamps the kernel into the output",
    functions=("conv_transpose2d",),
    stub=STUB,
    solution=SOLUTION,
    hints=HINTS,
    grade=grade,
)

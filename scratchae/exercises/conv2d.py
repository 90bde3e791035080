"""Exercise ``conv2d``: the forward pass of a convolution, written as loops."""

from __future__ import annotations

import numpy as np

from .compare import expect_array
from .convolution import CONV_CASES, size_mistakes
from .engine import Exercise, Mistake, case

STUB = '''\
"""Exercise `conv2d`: the forward pass of a 2-D convolution, as loops (as torch.nn.functional.conv2d).

Check it with:  scratchae exercises check conv2d
"""

import numpy as np


def conv2d(x, weight, bias, stride, padding):
    """A convolution of a batch of images.

    x (N, C_in, H, W), weight (C_out, C_in, kH, kW), bias (C_out,); stride s and padding p are ints,
    the same for rows and columns. Returns y (N, C_out, H_out, W_out), with

        y[n, o, i, j] = b[o] + sum over c, u, v of  w[o, c, u, v] * xp[n, c, s*i + u, s*j + v]

    where xp is x with p zeros added on every side (np.pad). Like PyTorch's, this convolution is a
    cross-correlation: the kernel is NOT flipped.

    Derive H_out: how many positions does a kH-tall window take in H + 2p rows, stepping by s, if it
    must fit entirely? (Likewise W_out.) Loop over the output positions (i, j) at least; a sum over
    the window can be one NumPy expression.
    """
    raise NotImplementedError
'''

SOLUTION = '''\
"""Exercise `conv2d`: the forward pass of a 2-D convolution, as loops (a worked solution)."""

import numpy as np


def conv2d(x, weight, bias, stride, padding):
    """y[n, o, i, j] = b[o] + sum_{c,u,v} w[o, c, u, v] xp[n, c, s i + u, s j + v]."""
    n, c_in, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    h_out = (h + 2 * padding - kh) // stride + 1     # window positions 0, s, 2s, ... that fit
    w_out = (w + 2 * padding - kw) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    y = np.zeros((n, c_out, h_out, w_out), dtype=x.dtype)
    for i in range(h_out):
        for j in range(w_out):
            window = xp[:, :, stride * i: stride * i + kh, stride * j: stride * j + kw]   # (N, C_in, kH, kW)
            # for every image n and output channel o: the sum over c, u, v of window * w[o]
            y[:, :, i, j] = np.einsum("ncuv,ocuv->no", window, weight)
    return y + bias.reshape(1, c_out, 1, 1)
'''

HINTS = (
    "A kH-tall window starting at row s*i fits in the H + 2p padded rows when s*i + kH <= H + 2p, so "
    "i = 0 .. floor((H + 2p - kH) / s): H_out = floor((H + 2p - kH) / s) + 1 (use //).",
    "For output pixel (i, j), take the window xp[:, :, s*i : s*i + kH, s*j : s*j + kW] of shape "
    "(N, C_in, kH, kW); output channel o is the sum of window * w[o] over the last three axes "
    "(np.einsum('ncuv,ocuv->no', window, weight) does every o at once).",
    "PyTorch's convolution is a cross-correlation: tap w[o, c, u, v] meets xp[.., s*i + u, s*j + v], "
    "kernel not flipped. The bias adds b[o] to every pixel of output channel o: bias.reshape(1, -1, 1, 1).",
)


def grade(learner) -> str:
    rng = np.random.default_rng(5)
    for number, conv in enumerate(CONV_CASES, 1):
        with case(number, len(CONV_CASES), conv.label):
            check_one(learner, conv, *conv.arrays(rng))
    return f"the output matches on {len(CONV_CASES)} convolutions (float64)."


def check_one(learner, conv, x, weight, bias) -> None:
    got = learner.call("conv2d", x, weight, bias, conv.stride, conv.padding)
    expect_array(
        "the output y",
        got,
        conv.conv2d(x, weight, bias),
        hint=HINTS[1],
        mistakes=[
            Mistake(
                "the kernel is flipped: PyTorch's conv2d is a cross-correlation, tap w[o, c, u, v] "
                "meets xp[n, c, s*i + u, s*j + v].",
                lambda: conv.conv2d(x, weight[:, :, ::-1, ::-1], bias),
            ),
            Mistake(
                "the bias is missing: add b[o] to every pixel of output channel o.", lambda: conv.conv2d(x, weight)
            ),
            *size_mistakes(conv, weight.shape[0]),
        ],
    )


EXERCISE = Exercise(
    name="conv2d",
    summary="a convolution's forward pass as loops over the output pixels (stride, padding, channels)",
    functions=("conv2d",),
    stub=STUB,
    solution=SOLUTION,
    hints=HINTS,
    grade=grade,
)

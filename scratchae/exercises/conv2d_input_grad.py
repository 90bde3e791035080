"""Exercise ``conv2d_input_grad``: the gradient of a convolution with respect to its input."""

from __future__ import annotations

import numpy as np

from ..kernels.reference.conv2d import conv2d_input_grad
from .compare import expect_gradient, random_upstream
from .convolution import CONV_CASES
from .engine import Exercise, Mistake, case

STUB = '''\
"""Exercise `conv2d_input_grad`: the gradient of a convolution with respect to its input.

Check it with:  scratchae exercises check conv2d_input_grad
"""

import numpy as np


def conv2d_input_grad(grad_y, weight, input_size, stride, padding):
    """dL/dx of the convolution

        y[n, o, i, j] = b[o] + sum over c, u, v of  w[o, c, u, v] * xp[n, c, s*i + u, s*j + v]

    (xp: x with p zeros on every side), given G = grad_y = dL/dy of shape (N, C_out, H_out, W_out) and
    weight (C_out, C_in, kH, kW). input_size = (H, W) is the size of x: with a stride, several input
    sizes give the same H_out, so it is passed in. stride s and padding p are ints.

    Derive it: x[n, c, r, q] takes part in every output whose window covers it. Return grad_x of shape
    (N, C_in, H, W).
    """
    raise NotImplementedError
'''

SOLUTION = '''\
"""Exercise `conv2d_input_grad`: the gradient of a convolution with respect to its input (a worked solution)."""

import numpy as np


def conv2d_input_grad(grad_y, weight, input_size, stride, padding):
    """Each output gradient G[n, :, i, j] is spread back, through the kernel, over the window it read."""
    h, w = input_size
    n, c_out, h_out, w_out = grad_y.shape
    _, c_in, kh, kw = weight.shape
    grad_xp = np.zeros((n, c_in, h + 2 * padding, w + 2 * padding), dtype=grad_y.dtype)   # padded, like xp
    for i in range(h_out):
        for j in range(w_out):
            # dL/dxp[n, c, s i + u, s j + v] += sum_o G[n, o, i, j] w[o, c, u, v]
            grad_xp[:, :, stride * i: stride * i + kh, stride * j: stride * j + kw] += np.einsum(
                "no,ocuv->ncuv", grad_y[:, :, i, j], weight)
    return grad_xp[:, :, padding: padding + h, padding: padding + w]   # the padding is not an input
'''

HINTS = (
    "Scatter: for each output pixel (i, j), add sum_o G[n, o, i, j] * w[o] (shape (N, C_in, kH, kW)) into "
    "the window grad_xp[:, :, s*i : s*i + kH, s*j : s*j + kW] of a zero array the size of the padded input, "
    "then cut the padding off.",
    "Windows overlap when the stride is smaller than the kernel: use +=, so that every window a pixel "
    "belongs to adds its share.",
    "As a gather instead: dL/dx is a convolution of G (zeros inserted between its pixels when s > 1, padded "
    "by k - 1 - p) with the kernel rotated by 180 degrees and its channel axes swapped. Forget the rotation "
    "and the kernel comes out flipped.",
)


def overwritten(conv, upstream, weight, input_size):
    """The mistake of assigning (=) each window's gradient instead of adding it (+=)."""
    (h, w), s, p = input_size, conv.stride, conv.padding
    _, _, kh, kw = weight.shape
    grad = np.zeros((upstream.shape[0], weight.shape[1], h + 2 * p, w + 2 * p))
    for i in range(upstream.shape[2]):
        for j in range(upstream.shape[3]):
            grad[:, :, s * i : s * i + kh, s * j : s * j + kw] = np.einsum(
                "no,ocuv->ncuv", upstream[:, :, i, j], weight
            )
    return grad[:, :, p : p + h, p : p + w]


def grade(learner) -> str:
    rng = np.random.default_rng(7)
    for number, conv in enumerate(CONV_CASES, 1):
        x, weight, bias = conv.arrays(rng)
        with case(number, len(CONV_CASES), conv.label):
            check_one(learner, conv, x, weight, bias, random_upstream(rng, conv.conv2d(x, weight).shape))
    return f"the input gradient matches on {len(CONV_CASES)} convolutions (float64, central differences)."


def check_one(learner, conv, x, weight, bias, upstream) -> None:
    s, p, size = (conv.stride,) * 2, (conv.padding,) * 2, x.shape[2:]
    got = learner.call("conv2d_input_grad", upstream, weight, size, conv.stride, conv.padding)
    (h, w), pad = size, conv.padding
    expect_gradient(
        "grad_x (dL/dx)",
        got,
        wrt=x,
        forward=lambda: conv.conv2d(x, weight, bias),
        upstream=upstream,
        exact=conv2d_input_grad(upstream, weight, s, p, (1, 1), size),
        hint=HINTS[0],
        mistakes=[
            Mistake(
                "the kernel is flipped: G[n, o, i, j] goes back to xp[n, c, s*i + u, s*j + v] "
                "through w[o, c, u, v] itself.",
                lambda: conv2d_input_grad(upstream, weight[:, :, ::-1, ::-1], s, p, (1, 1), size),
            ),
            Mistake(HINTS[1], lambda: overwritten(conv, upstream, weight, size)),
            Mistake(
                "cut the padding off: the gradient of the padded input has H + 2p rows, x has H.",
                np.zeros((*x.shape[:2], h + 2 * pad, w + 2 * pad)),
            ),
        ],
    )


EXERCISE = Exercise(
    name="conv2d_input_grad",
    summary="the gradient of a convolution with respect to its input: each output gradient spread back",
    functions=("conv2d_input_grad",),
    stub=STUB,
    solution=SOLUTION,
    hints=HINTS,
    grade=grade,
)

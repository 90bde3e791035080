"""Exercise ``conv2d_weight_grad``: the gradients of a convolution's weight and bias."""

from __future__ import annotations

import numpy as np

from ..kernels.reference.conv2d import conv2d_bias_grad, conv2d_weight_grad
from .compare import expect_gradient, random_upstream
from .convolution import CONV_CASES
from .engine import Exercise, Mistake, case

STUB = '''\
"""Exercise `conv2d_weight_grad`: the gradients of a convolution's weight and bias.

Check it with:  scratchae exercises check conv2d_weight_grad
"""

import numpy as np


def conv2d_weight_grad(x, grad_y, kernel_size, stride, padding):
    """dL/dw and dL/db of the convolution

        y[n, o, i, j] = b[o] + sum over c, u, v of  w[o, c, u, v] * xp[n, c, s*i + u, s*j + v]

    (xp: x with p zeros on every side), given x (N, C_in, H, W) and G = grad_y = dL/dy of shape
    (N, C_out, H_out, W_out). kernel_size is the pair (kH, kW); stride s and padding p are ints.

    Derive both from the formula: which y[n, o, i, j] does w[o, c, u, v] take part in, and with which
    factor? Return (grad_weight of shape (C_out, C_in, kH, kW), grad_bias of shape (C_out,)).
    """
    raise NotImplementedError
'''

SOLUTION = '''\
"""Exercise `conv2d_weight_grad`: the gradients of a convolution's weight and bias (a worked solution)."""

import numpy as np


def conv2d_weight_grad(x, grad_y, kernel_size, stride, padding):
    """dL/dw[o, c, u, v] = sum_{n,i,j} G[n, o, i, j] xp[n, c, s i + u, s j + v];
    dL/db[o] = sum_{n,i,j} G[n, o, i, j]."""
    kh, kw = kernel_size
    n, c_out, h_out, w_out = grad_y.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    grad_weight = np.zeros((c_out, x.shape[1], kh, kw), dtype=x.dtype)
    for i in range(h_out):
        for j in range(w_out):
            window = xp[:, :, stride * i: stride * i + kh, stride * j: stride * j + kw]   # (N, C_in, kH, kW)
            # every window the kernel met, weighted by the gradient of the output it made
            grad_weight += np.einsum("no,ncuv->ocuv", grad_y[:, :, i, j], window)
    grad_bias = grad_y.sum(axis=(0, 2, 3))            # b[o] is added to every pixel of every image
    return grad_weight, grad_bias
'''

HINTS = (
    "w[o, c, u, v] multiplies xp[n, c, s*i + u, s*j + v] in every output y[n, o, i, j], so "
    "dL/dw[o, c, u, v] = sum over n, i, j of G[n, o, i, j] * xp[n, c, s*i + u, s*j + v]: loop over (i, j), "
    "and add each window of xp weighted by G[:, :, i, j].",
    "b[o] is added to every pixel (i, j) of channel o of every image n: dL/db[o] = G[:, o].sum(), "
    "i.e. grad_y.sum(axis=(0, 2, 3)), of shape (C_out,).",
    "The gradients add up over the batch (they are not averaged): the loss already holds any 1/N.",
)


def grade(learner) -> str:
    rng = np.random.default_rng(6)
    for number, conv in enumerate(CONV_CASES, 1):
        x, weight, bias = conv.arrays(rng)
        with case(number, len(CONV_CASES), conv.label):
            check_one(learner, conv, x, weight, bias, random_upstream(rng, conv.conv2d(x, weight).shape))
    return f"the weight and bias gradients match on {len(CONV_CASES)} convolutions (float64, central differences)."


def check_one(learner, conv, x, weight, bias, upstream) -> None:
    s, p, n = (conv.stride,) * 2, (conv.padding,) * 2, x.shape[0]
    exact_w = conv2d_weight_grad(x, upstream, s, p, (1, 1), weight.shape[2:])
    exact_b = conv2d_bias_grad(upstream)
    result = learner.call("conv2d_weight_grad", x, upstream, weight.shape[2:], conv.stride, conv.padding)
    grad_w, grad_b = learner.returned("conv2d_weight_grad", result, 2, "grad_weight, grad_bias")

    def forward():  # the library's forward, reading the weight and bias the check perturbs
        return conv.conv2d(x, weight, bias)

    expect_gradient(
        "grad_weight (dL/dw)",
        grad_w,
        wrt=weight,
        forward=forward,
        upstream=upstream,
        exact=exact_w,
        hint=HINTS[0],
        mistakes=[
            Mistake("the kernel is flipped: tap (u, v) met xp[.., s*i + u, s*j + v].", exact_w[:, :, ::-1, ::-1]),
            Mistake(HINTS[2], exact_w / n),
            Mistake(
                "the weight gradient has the shape of the weight: (C_out, C_in, kH, kW).",
                lambda: exact_w.transpose(1, 0, 2, 3),
            ),
        ],
    )
    expect_gradient(
        "grad_bias (dL/db)",
        grad_b,
        wrt=bias,
        forward=forward,
        upstream=upstream,
        exact=exact_b,
        hint=HINTS[1],
        mistakes=[
            Mistake(
                "sum the bias gradient over the batch and over every position: grad_y.sum(axis=(0, 2, 3)).",
                upstream.sum(axis=0),
            ),
            Mistake(
                "sum the bias gradient over the positions too: grad_y.sum(axis=(0, 2, 3)).", upstream.sum(axis=(2, 3))
            ),
            Mistake("sum the bias gradient over the batch too: grad_y.sum(axis=(0, 2, 3)).", upstream.sum(axis=(0, 2))),
            Mistake(HINTS[2], exact_b / n),
            Mistake(
                "sum over the positions, do not average: b is added at each of them.", upstream.mean(axis=(0, 2, 3))
            ),
        ],
    )


EXERCISE = Exercise(
    name="conv2d_weight_grad",
    summary="the gradients of a convolution's weight and bias (windows weighted by the upstream gradient)",
    functions=("conv2d_weight_grad",),
    stub=STUB,
    solution=SOLUTION,
    hints=HINTS,
    grade=grade,
)

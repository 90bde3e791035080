"""Exercise ``conv_transpose_adjoint``: a transposed convolution built from a convolution's gradients."""

from __future__ import annotations

import numpy as np

from ..kernels.reference.conv2d import conv2d
from .compare import expect_array, expect_gradient, random_upstream
from .engine import Exercise, Mistake, case
from .transposed import TRANSPOSED_CASES, size_mistakes

STUB = '''\
"""Exercise `conv_transpose_adjoint`: a transposed convolution is the adjoint of a convolution.

A convolution with weight w is a linear map y = C x. Its input gradient, dL/dx = C^T dL/dy, is a
linear map too, and that map C^T, used as a layer, IS the transposed convolution with the same weight
array. Build ConvTranspose2d's forward and backward from the library's convolution and its gradients:

    conv2d(x, weight, bias, stride, padding, dilation)                     -> y
    conv2d_input_grad(grad_y, weight, stride, padding, dilation, in_hw)     -> dL/dx (x of size in_hw)
    conv2d_weight_grad(x, grad_y, stride, padding, dilation, kernel_hw)     -> dL/dweight

(x (N, C_in, H, W), weight (C_out, C_in, kH, kW) for these; stride, padding and dilation are (h, w)
pairs: pass (s, s), (p, p) and (1, 1).)  Check it with:  scratchae exercises check conv_transpose_adjoint
"""

import numpy as np

from scratchae.nn.functional import conv2d, conv2d_input_grad, conv2d_weight_grad


def conv_transpose2d_forward(x, weight, bias, stride, padding, output_padding):
    """y = C^T x + b, with C the convolution by the same `weight` array.

    x (N, C_in, H, W), weight (C_in, C_out, kH, kW), bias (C_out,); stride, padding, output_padding ints.
    Read weight as a convolution weight: it maps C_out channels to C_in. Returns y (N, C_out, H_out,
    W_out) with H_out = (H - 1)*s - 2p + kH + output_padding (likewise W_out).
    """
    raise NotImplementedError


def conv_transpose2d_backward(grad_y, x, weight, stride, padding):
    """dL/dx, dL/dweight and dL/dbias of conv_transpose2d_forward, given G = grad_y (N, C_out, H_out, W_out).

    Derive them from y = C^T x + b: which map is the transpose of C^T? Which convolution has the weight
    gradient you need, with which array as its input and which as its output gradient?
    Return (grad_x (N, C_in, H, W), grad_weight (C_in, C_out, kH, kW), grad_bias (C_out,)).
    """
    raise NotImplementedError
'''

SOLUTION = '''\
"""Exercise `conv_transpose_adjoint`: a transposed convolution from a convolution's gradients (a worked solution)."""

import numpy as np

from scratchae.nn.functional import conv2d, conv2d_input_grad, conv2d_weight_grad


def conv_transpose2d_forward(x, weight, bias, stride, padding, output_padding):
    """y = C^T x + b: the input gradient of the convolution C (weight read as C_out -> C_in), applied to x."""
    h_out = (x.shape[2] - 1) * stride - 2 * padding + weight.shape[2] + output_padding
    w_out = (x.shape[3] - 1) * stride - 2 * padding + weight.shape[3] + output_padding
    y = conv2d_input_grad(x, weight, (stride, stride), (padding, padding), (1, 1), (h_out, w_out))
    return y + bias.reshape(1, -1, 1, 1)


def conv_transpose2d_backward(grad_y, x, weight, stride, padding):
    """dL/dx = C G (the convolution itself, as (C^T)^T = C); dL/dw: the convolution's weight gradient with
    G as its input and x as its output gradient; dL/db: G summed over everything but the channel."""
    s, p, d = (stride, stride), (padding, padding), (1, 1)
    grad_x = conv2d(grad_y, weight, None, s, p, d)
    grad_weight = conv2d_weight_grad(grad_y, x, s, p, d, weight.shape[2:])
    grad_bias = grad_y.sum(axis=(0, 2, 3))
    return grad_x, grad_weight, grad_bias
'''

HINTS = (
    "Forward: the transposed convolution of x is conv2d_input_grad(x, weight, ...): x plays the part of "
    "a convolution's output gradient, and in_hw is the transposed convolution's output size.",
    "Backward of y = C^T x: dL/dx = (C^T)^T G = C G, the convolution conv2d(grad_y, weight, None, ...) "
    "with the same weight array.",
    "In the convolution C, G is the input and x the output: dL/dweight = conv2d_weight_grad(grad_y, x, "
    "..., weight.shape[2:]), which has weight's shape (C_in, C_out, kH, kW). dL/dbias sums G over n, i, j.",
)


def grade(learner) -> str:
    rng = np.random.default_rng(10)
    for number, conv in enumerate(TRANSPOSED_CASES, 1):
        layer = conv.layer(rng)
        x = rng.standard_normal(conv.x_shape)
        with case(number, len(TRANSPOSED_CASES), conv.label):
            upstream = random_upstream(rng, (x.shape[0], layer.out_channels, *conv.output_hw()))
            check_one(learner, conv, layer, x, upstream)
    return (
        f"forward values and the 3 gradients match the library's ConvTranspose2d on {len(TRANSPOSED_CASES)} "
        f"cases (float64, central differences)."
    )


def check_one(learner, conv, layer, x, upstream) -> None:
    weight, bias = layer.weight.data, layer.bias.data
    s, p, a = conv.stride, conv.padding, conv.output_padding
    got = learner.call("conv_transpose2d_forward", x, weight, bias, s, p, a)
    expect_array(
        "the output y",
        got,
        layer(x),
        hint=HINTS[0],
        mistakes=[
            Mistake(
                "the bias is missing: add b[o] to every pixel of output channel o.", lambda: conv.transposed(x, weight)
            ),
            *size_mistakes(conv),
        ],
    )
    result = learner.call("conv_transpose2d_backward", upstream, x, weight, s, p)
    grad_x, grad_w, grad_b = learner.returned("conv_transpose2d_backward", result, 3, "grad_x, grad_weight, grad_bias")
    exact_x = layer.backward(upstream)

    def forward():  # the library's layer, reading the arrays the check perturbs
        return layer(x)

    expect_gradient(
        "grad_x (dL/dx)",
        grad_x,
        wrt=x,
        forward=forward,
        upstream=upstream,
        exact=exact_x,
        hint=HINTS[1],
        mistakes=[
            Mistake(
                "the kernel is flipped: dL/dx is the convolution with the same weight array, not rotated.",
                lambda: conv2d(upstream, weight[:, :, ::-1, ::-1], None, (s, s), (p, p), (1, 1)),
            )
        ],
    )
    expect_gradient(
        "grad_weight (dL/dweight)",
        grad_w,
        wrt=weight,
        forward=forward,
        upstream=upstream,
        exact=layer.weight.grad,
        hint=HINTS[2],
        mistakes=[
            Mistake(
                "the gradient has the layout of the weight, (C_in, C_out, kH, kW): G is the "
                "convolution's input, x its output gradient.",
                lambda: layer.weight.grad.transpose(1, 0, 2, 3),
            )
        ],
    )
    expect_gradient(
        "grad_bias (dL/dbias)",
        grad_b,
        wrt=bias,
        forward=forward,
        upstream=upstream,
        exact=layer.bias.grad,
        hint=HINTS[2],
        mistakes=[
            Mistake(
                "sum the bias gradient over the batch and every position: grad_y.sum(axis=(0, 2, 3)).",
                upstream.sum(axis=0),
            ),
            Mistake("sum the bias gradient over the positions too.", upstream.sum(axis=(2, 3))),
        ],
    )


EXERCISE = Exercise(
    name="conv_transpose_adjoint",
    summary="a transposed convolution as the adjoint of a convolution: forward and backward from conv2d's",
    functions=("conv_transpose2d_forward", "conv_transpose2d_backward"),
    stub=STUB,
    solution=SOLUTION,
    hints=HINTS,
    grade=grade,
)

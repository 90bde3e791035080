"""Exercise ``linear``: the forward and backward pass of a fully connected layer."""

from __future__ import annotations

import numpy as np

from .. import nn
from .compare import expect_array, expect_gradient, random_upstream
from .engine import Exercise, Mistake, case

STUB = '''\
"""Exercise `linear`: a fully connected layer, forward and backward (as torch.nn.Linear).

Check it with:  scratchae exercises check linear
"""

import numpy as np


def linear_forward(x, weight, bias):
    """y = x W^T + b.

    x (N, in_features), weight (out_features, in_features), bias (out_features,)
    -> y (N, out_features), with y[n, o] = sum_i x[n, i] W[o, i] + b[o].
    """
    raise NotImplementedError


def linear_backward(grad_y, x, weight):
    """The three gradients of L, given G = grad_y = dL/dy of shape (N, out_features).

    Derive them from y[n, o] = sum_i x[n, i] W[o, i] + b[o] (the chain rule, one index at a time):
      grad_x      = dL/dx, shape (N, in_features)            (the shape of x)
      grad_weight = dL/dW, shape (out_features, in_features)  (the shape of W)
      grad_bias   = dL/db, shape (out_features,)              (the shape of b)
    Return (grad_x, grad_weight, grad_bias).
    """
    raise NotImplementedError
'''

SOLUTION = '''\
"""Exercise `linear`: a fully connected layer, forward and backward (a worked solution)."""

import numpy as np


def linear_forward(x, weight, bias):
    """y = x W^T + b: x (N, in), weight (out, in), bias (out,) -> (N, out)."""
    return x @ weight.T + bias


def linear_backward(grad_y, x, weight):
    """dL/dx = G W,  dL/dW = G^T x,  dL/db = sum of G over the batch."""
    grad_x = grad_y @ weight            # (N, out) @ (out, in) -> (N, in)
    grad_weight = grad_y.T @ x          # (out, N) @ (N, in) -> (out, in): a sum over the batch
    grad_bias = grad_y.sum(axis=0)      # b is added to every row, so every row sends its gradient back
    return grad_x, grad_weight, grad_bias
'''

HINTS = (
    "Write y[n, o] = sum_i x[n, i] W[o, i] + b[o] and differentiate with respect to one element at a time: "
    "dy[n, o]/dW[o, i] = x[n, i], so dL/dW[o, i] = sum_n G[n, o] x[n, i], which is (G^T x)[o, i].",
    "Every gradient has the shape of what it is the gradient of: dL/dW is (out, in) like W, dL/db is (out,) "
    "like b. If your shape is transposed, so is your product.",
    "The bias is added to every row of the batch, so its gradient sums G over the rows: G.sum(axis=0).",
)

#: (N, in_features, out_features) of each case: a batch of one, odd sizes, more outputs than inputs
SHAPES = ((3, 5, 4), (1, 2, 3), (6, 7, 2), (4, 1, 5))


def grade(learner) -> str:
    rng = np.random.default_rng(0)
    for number, (n, fan_in, fan_out) in enumerate(SHAPES, 1):
        layer = nn.Linear(fan_in, fan_out, dtype=np.float64, rng=rng)
        layer.needs_input_grad = True
        x = rng.standard_normal((n, fan_in))
        with case(number, len(SHAPES), f"x {x.shape}, weight {layer.weight.shape}, bias {(fan_out,)}"):
            check_one(learner, layer, x, random_upstream(rng, (n, fan_out)))
    return f"forward values and the 3 gradients match on {len(SHAPES)} shapes (float64, central differences)."


def check_one(learner, layer, x, upstream) -> None:
    weight, bias = layer.weight.data, layer.bias.data
    expect_array(
        "the output y",
        learner.call("linear_forward", x, weight, bias),
        layer(x),
        hint=HINTS[0],
        mistakes=[
            Mistake("the bias is missing: y = x W^T + b.", x @ weight.T),
            Mistake("the bias is subtracted: y = x W^T + b.", x @ weight.T - bias),
        ],
    )
    grad_x, grad_weight, grad_bias = learner.returned(
        "linear_backward", learner.call("linear_backward", upstream, x, weight), 3, "grad_x, grad_weight, grad_bias"
    )
    exact_x = layer.backward(upstream)

    def forward():  # the library's forward, reading the arrays the check perturbs
        return layer(x)

    expect_gradient(
        "grad_x (dL/dx)",
        grad_x,
        wrt=x,
        forward=forward,
        upstream=upstream,
        exact=exact_x,
        hint=HINTS[1],
        mistakes=[Mistake("dL/dx = G W (shape (N, in)); G W^T does not fit.", lambda: upstream @ weight.T)],
    )
    expect_gradient(
        "grad_weight (dL/dW)",
        grad_weight,
        wrt=weight,
        forward=forward,
        upstream=upstream,
        exact=layer.weight.grad,
        hint=HINTS[0],
        mistakes=[Mistake("dL/dW has the shape of W, (out, in): it is G^T x, not x^T G.", lambda: x.T @ upstream)],
    )
    expect_gradient(
        "grad_bias (dL/db)",
        grad_bias,
        wrt=bias,
        forward=forward,
        upstream=upstream,
        exact=layer.bias.grad,
        hint=HINTS[2],
        mistakes=[
            Mistake("grad_bias must be summed over the batch: it has the shape of b.", upstream),
            Mistake("sum over the batch, do not average: each row adds b once.", upstream.mean(axis=0)),
        ],
    )


EXERCISE = Exercise(
    name="linear",
    summary="a fully connected layer y = x W^T + b: forward, and the gradients of x, W and b",
    functions=("linear_forward", "linear_backward"),
    stub=STUB,
    solution=SOLUTION,
    hints=HINTS,
    grade=grade,
)

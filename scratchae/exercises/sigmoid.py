"""Exercise ``sigmoid``: the logistic function and its gradient, from its output."""

from __future__ import annotations

import numpy as np

from ..kernels.reference.activations import sigmoid, sigmoid_backward
from .compare import expect_array, expect_gradient, random_upstream
from .engine import Exercise, Mistake, case

STUB = '''\
"""Exercise `sigmoid`: the logistic function, forward and backward (as torch.nn.Sigmoid).

Check it with:  scratchae exercises check sigmoid
"""

import numpy as np


def sigmoid_forward(x):
    """y = 1 / (1 + e^-x), element by element. x of any shape -> y of the same shape."""
    raise NotImplementedError


def sigmoid_backward(grad_y, y):
    """dL/dx, given G = grad_y = dL/dy and the OUTPUT y = sigmoid(x) of the forward pass (not x).

    Derive dy/dx and write it with y alone: that is why the layer keeps y, not x.
    """
    raise NotImplementedError
'''

SOLUTION = '''\
"""Exercise `sigmoid`: the logistic function, forward and backward (a worked solution)."""

import numpy as np


def sigmoid_forward(x):
    """y = 1 / (1 + e^-x), computed as e^min(x, 0) / (1 + e^-|x|) so that no exponential overflows."""
    return np.exp(np.minimum(x, 0.0)) / (1.0 + np.exp(-np.abs(x)))


def sigmoid_backward(grad_y, y):
    """dy/dx = e^-x / (1 + e^-x)^2 = y (1 - y), so dL/dx = G y (1 - y)."""
    return grad_y * y * (1.0 - y)
'''

HINTS = (
    "dy/dx = e^-x / (1 + e^-x)^2. Write e^-x / (1 + e^-x) as 1 - y: then dy/dx = y (1 - y), "
    "and dL/dx = G * y * (1 - y).",
    "The second argument is the output y = sigmoid(x), not x: do not apply the sigmoid to it again.",
    "For large negative x, e^-x overflows; 1 / (1 + e^-x) still gives 0, but with a warning. "
    "e^min(x, 0) / (1 + e^-|x|) gives the same values without any overflow.",
)


def grade(learner) -> str:
    rng = np.random.default_rng(2)
    cases = [
        ("x (3, 4)", rng.uniform(-4, 4, (3, 4))),
        ("x (2, 3, 5, 4)", rng.uniform(-4, 4, (2, 3, 5, 4))),
        ("x (6,), some large: +-30", np.array([-30.0, -8.0, -0.5, 0.0, 3.0, 30.0])),
    ]
    for number, (label, x) in enumerate(cases, 1):
        with case(number, len(cases), label):
            check_one(learner, x, random_upstream(rng, x.shape))
    return f"forward values and the gradient match on {len(cases)} inputs (float64, central differences)."


def check_one(learner, x, upstream) -> None:
    y = sigmoid(x)
    expect_array(
        "the output y",
        learner.call("sigmoid_forward", x),
        y,
        hint=HINTS[0],
        mistakes=[
            Mistake(
                "the sign of the exponent: sigmoid(x) = 1 / (1 + e^-x), which is 1 at +infinity.", lambda: sigmoid(-x)
            )
        ],
    )
    got = learner.call("sigmoid_backward", upstream, y)
    expect_gradient(
        "grad_x (dL/dx)",
        got,
        wrt=x,
        forward=lambda: sigmoid(x),
        upstream=upstream,
        exact=sigmoid_backward(upstream, y),
        hint=HINTS[0],
        mistakes=[
            Mistake(HINTS[1], lambda: upstream * sigmoid(y) * (1 - sigmoid(y))),
            Mistake("dy/dx = y (1 - y): the factor (1 - y) is missing.", lambda: upstream * y),
            Mistake("multiply by the upstream gradient G.", lambda: y * (1 - y)),
        ],
    )


EXERCISE = Exercise(
    name="sigmoid",
    summary="the logistic function 1 / (1 + e^-x) and its gradient, written with its output",
    functions=("sigmoid_forward", "sigmoid_backward"),
    stub=STUB,
    solution=SOLUTION,
    hints=HINTS,
    grade=grade,
)

"""Exercise ``relu``: the rectified linear unit and its gradient."""

from __future__ import annotations

import numpy as np

from ..kernels.reference.activations import relu, relu_backward
from .compare import expect_array, expect_gradient, random_upstream
from .engine import Exercise, Mistake, case

STUB = '''\
"""Exercise `relu`: the rectified linear unit, forward and backward (as torch.nn.ReLU).

Check it with:  scratchae exercises check relu
"""

import numpy as np


def relu_forward(x):
    """y = max(x, 0), element by element. x of any shape -> y of the same shape."""
    raise NotImplementedError


def relu_backward(grad_y, x):
    """dL/dx, given G = grad_y = dL/dy (the shape of x) and the input x of the forward pass.

    Derive dy/dx for one element (x > 0, x < 0). At x == 0 exactly PyTorch takes the derivative as 0;
    do the same.
    """
    raise NotImplementedError
'''

SOLUTION = '''\
"""Exercise `relu`: the rectified linear unit, forward and backward (a worked solution)."""

import numpy as np


def relu_forward(x):
    """y = max(x, 0), element by element."""
    return np.maximum(x, 0.0)


def relu_backward(grad_y, x):
    """dL/dx = G * [x > 0]: the gradient passes where the input was positive (0 at x == 0, as PyTorch)."""
    return grad_y * (x > 0)
'''

HINTS = (
    "dy/dx is 1 where x > 0 and 0 where x < 0, so dL/dx = G * (x > 0): the upstream gradient passes "
    "where the input was positive and is stopped elsewhere.",
    "The backward multiplies G by a mask made from x; it does not apply ReLU to G.",
    "At x == 0 the derivative is taken as 0 (PyTorch's choice): use x > 0, not x >= 0.",
)

SHAPES = ((3, 4), (2, 3, 5, 4), (7,))


def away_from_zero(rng, shape):
    """Values in +-[0.1, 2]: central differences are exact away from the kink at 0."""
    return rng.uniform(0.1, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def grade(learner) -> str:
    rng = np.random.default_rng(1)
    cases = [(f"x {shape}", away_from_zero(rng, shape)) for shape in SHAPES]
    with_zeros = away_from_zero(rng, (4, 5))
    with_zeros[rng.random((4, 5)) < 0.3] = 0.0
    cases.append(("x (4, 5) with some values exactly 0 (compared with the library: no derivative there)", with_zeros))
    for number, (label, x) in enumerate(cases, 1):
        with case(number, len(cases), label):
            check_one(learner, x, random_upstream(rng, x.shape))
    return f"forward values and the gradient match on {len(cases)} inputs (float64, central differences)."


def check_one(learner, x, upstream) -> None:
    y, positive = relu(x)
    expect_array(
        "the output y",
        learner.call("relu_forward", x),
        y,
        hint=HINTS[0],
        mistakes=[Mistake("ReLU keeps positive values and zeroes negative ones: max(x, 0).", np.minimum(x, 0))],
    )
    got = learner.call("relu_backward", upstream, x)
    exact = relu_backward(upstream, positive)
    mistakes = [
        Mistake(HINTS[1], np.maximum(upstream, 0)),
        Mistake("multiply the mask by the upstream gradient G: dL/dx = G * (x > 0).", positive * 1.0),
        Mistake(HINTS[2], lambda: upstream * (x >= 0)),
    ]
    if np.any(x == 0):
        expect_array(
            "grad_x (dL/dx)", got, exact, hint=HINTS[2], mistakes=mistakes, source=" (the library's ReLU: 0 at x == 0)"
        )
    else:
        expect_gradient(
            "grad_x (dL/dx)",
            got,
            wrt=x,
            forward=lambda: relu(x)[0],
            upstream=upstream,
            exact=exact,
            hint=HINTS[0],
            mistakes=mistakes,
        )


EXERCISE = Exercise(
    name="relu",
    summary="the rectified linear unit max(x, 0) and its gradient",
    functions=("relu_forward", "relu_backward"),
    stub=STUB,
    solution=SOLUTION,
    hints=HINTS,
    grade=grade,
)

"""Exercise ``mse``: the mean squared error and its gradient."""

from __future__ import annotations

import numpy as np

from .. import nn
from .compare import expect_gradient, expect_number
from .engine import Exercise, Mistake, case

STUB = '''\
"""Exercise `mse`: the mean squared error, and its gradient (as torch.nn.MSELoss()).

Check it with:  scratchae exercises check mse
"""

import numpy as np


def mse_loss(prediction, target):
    """L = (1/M) sum_i (prediction_i - target_i)^2, the mean over ALL M elements (every image, every
    pixel). prediction and target have the same shape, any shape. Returns one number (a float)."""
    raise NotImplementedError


def mse_backward(prediction, target):
    """dL/dprediction: an array of the shape of prediction. (A loss is where the backward pass
    starts: its upstream gradient dL/dL is 1.)"""
    raise NotImplementedError
'''

SOLUTION = '''\
"""Exercise `mse`: the mean squared error, and its gradient (a worked solution)."""

import numpy as np


def mse_loss(prediction, target):
    """L = mean over every element of (prediction - target)^2."""
    diff = prediction - target
    return float(np.mean(diff * diff))


def mse_backward(prediction, target):
    """dL/dprediction_i = 2 (prediction_i - target_i) / M, with M the number of elements."""
    return 2.0 * (prediction - target) / prediction.size
'''

HINTS = (
    "L = (1/M) sum_i d_i^2 with d = prediction - target and M = prediction.size; dL/dprediction_i = (2/M) d_i.",
    "The mean runs over every element (M = prediction.size), not just over the batch: as MSELoss() in "
    "PyTorch. Its gradient keeps the 1/M.",
    "Differentiate (prediction - target)^2 with respect to the prediction: 2 (prediction - target), "
    "not 2 (target - prediction).",
)

SHAPES = ((4, 3), (2, 1, 5, 3), (7,))


def grade(learner) -> str:
    rng = np.random.default_rng(3)
    for number, shape in enumerate(SHAPES, 1):
        with case(number, len(SHAPES), f"prediction and target {shape}"):
            check_one(learner, rng.random(shape), rng.random(shape))
    return f"the loss and its gradient match on {len(SHAPES)} shapes (float64, central differences)."


def check_one(learner, prediction, target) -> None:
    criterion = nn.MSELoss()
    loss = criterion(prediction, target)
    diff, size, batch = prediction - target, prediction.size, prediction.shape[0]
    expect_number(
        "the loss",
        learner.call("mse_loss", prediction, target),
        loss,
        hint=HINTS[0],
        mistakes=[
            Mistake("the mean of the squares, not their sum (MSELoss() averages).", np.sum(diff**2)),
            Mistake("square the differences before averaging.", np.mean(diff)),
            Mistake(HINTS[1], np.sum(diff**2) / batch),
        ],
    )
    got = learner.call("mse_backward", prediction, target)

    def forward():  # the library's loss, reading the prediction the check perturbs
        return np.array(nn.MSELoss()(prediction, target))

    expect_gradient(
        "grad_prediction (dL/dprediction)",
        got,
        wrt=prediction,
        forward=forward,
        upstream=np.array(1.0),
        exact=criterion.backward(),
        hint=HINTS[0],
        mistakes=[
            Mistake(HINTS[2], -2 * diff / size),
            Mistake("the derivative of d^2 is 2 d: the 2 is missing.", diff / size),
            Mistake(HINTS[1], 2 * diff / batch),
            Mistake("the loss is a mean, so its gradient keeps the 1/M (M = prediction.size).", 2 * diff),
        ],
    )


EXERCISE = Exercise(
    name="mse",
    summary="the mean squared error over every element, and its gradient",
    functions=("mse_loss", "mse_backward"),
    stub=STUB,
    solution=SOLUTION,
    hints=HINTS,
    grade=grade,
)

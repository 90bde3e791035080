"""Exercise ``upsample_backward``: nearest-neighbour upsampling and its gradient, a sum over each block."""

from __future__ import annotations

import numpy as np

from ..kernels.reference.upsample import upsample_nearest, upsample_nearest_backward
from .compare import expect_array, expect_gradient, random_upstream
from .engine import Exercise, Mistake, case

STUB = '''\
"""Exercise `upsample_backward`: nearest-neighbour upsampling, forward and backward
(as torch.nn.Upsample(scale_factor=..., mode="nearest")).

Check it with:  scratchae exercises check upsample_backward
"""

import numpy as np


def upsample_nearest(x, factor):
    """Copy every pixel into an fh x fw block: x (N, C, H, W), factor = (fh, fw) ints
    -> y (N, C, fh*H, fw*W) with y[n, c, i, j] = x[n, c, i // fh, j // fw]."""
    raise NotImplementedError


def upsample_nearest_backward(grad_y, factor):
    """dL/dx, given G = grad_y = dL/dy of shape (N, C, fh*H, fw*W). Returns (N, C, H, W).

    Derive it: every x[n, c, h, w] was copied into fh*fw outputs. How does each copy's gradient
    reach x?
    """
    raise NotImplementedError
'''

SOLUTION = '''\
"""Exercise `upsample_backward`: nearest-neighbour upsampling, forward and backward (a worked solution)."""

import numpy as np


def upsample_nearest(x, factor):
    """Each pixel repeated fh times down and fw times across."""
    fh, fw = factor
    return x.repeat(fh, axis=2).repeat(fw, axis=3)


def upsample_nearest_backward(grad_y, factor):
    """dL/dx[n, c, h, w] = the sum of G over the block x[n, c, h, w] was copied into."""
    fh, fw = factor
    n, c, h_out, w_out = grad_y.shape
    blocks = grad_y.reshape(n, c, h_out // fh, fh, w_out // fw, fw)   # axis 3: row in block, 5: column
    return blocks.sum(axis=(3, 5))
'''

HINTS = (
    "x[n, c, h, w] is used fh*fw times (once per copy), so its gradient is the SUM of the gradients of "
    "its copies: G[n, c, fh*h : fh*h + fh, fw*w : fw*w + fw].sum().",
    "Without loops: grad_y.reshape(N, C, H, fh, W, fw) puts each block on axes 3 and 5; sum over them.",
    "Forward: np.repeat along each axis copies each pixel into a block; np.tile would repeat the whole image instead.",
)

CASES = (((2, 3, 3, 4), (2, 2)), ((1, 2, 4, 3), (3, 2)), ((3, 1, 2, 5), (1, 3)), ((2, 2, 3, 3), (2, 1)))


def grade(learner) -> str:
    rng = np.random.default_rng(11)
    for number, (shape, factor) in enumerate(CASES, 1):
        x = rng.standard_normal(shape)
        with case(number, len(CASES), f"x {shape}, factor {factor}"):
            check_one(learner, x, factor, random_upstream(rng, upsample_nearest(x, factor).shape))
    return f"forward values and the gradient match on {len(CASES)} cases (float64, central differences)."


def check_one(learner, x, factor, upstream) -> None:
    (fh, fw), (n, c, h, w) = factor, x.shape
    expect_array(
        "the output y",
        learner.call("upsample_nearest", x, factor),
        upsample_nearest(x, factor),
        hint=HINTS[2],
        mistakes=[
            Mistake(HINTS[2], np.tile(x, (1, 1, fh, fw))),
            Mistake(
                "(fh, fw) = factor: fh repeats the rows (axis 2), fw the columns (axis 3).",
                lambda: x.repeat(fw, axis=2).repeat(fh, axis=3),
            ),
        ],
    )
    got = learner.call("upsample_nearest_backward", upstream, factor)
    exact = upsample_nearest_backward(upstream, factor)
    expect_gradient(
        "grad_x (dL/dx)",
        got,
        wrt=x,
        forward=lambda: upsample_nearest(x, factor),
        upstream=upstream,
        exact=exact,
        hint=HINTS[0],
        mistakes=[
            Mistake(
                "the backward of a copy is a sum: every copy of x[n, c, h, w] sends its gradient "
                "back, so add the whole block, do not take one element of it.",
                upstream[:, :, ::fh, ::fw],
            ),
            Mistake(
                "sum the gradients of the block, do not average them: each copy adds its whole gradient.",
                exact / (fh * fw),
            ),
            Mistake(
                "the blocks are fh x fw neighbours: reshape to (N, C, H, fh, W, fw), not (N, C, fh, H, fw, W).",
                lambda: upstream.reshape(n, c, fh, h, fw, w).sum(axis=(2, 4)),
            ),
        ],
    )


EXERCISE = Exercise(
    name="upsample_backward",
    summary="nearest-neighbour upsampling, and its backward: a sum over each copied block",
    functions=("upsample_nearest", "upsample_nearest_backward"),
    stub=STUB,
    solution=SOLUTION,
    hints=HINTS,
    grade=grade,
)

"""Exercise ``max_pool_backward``: max pooling and its gradient, overlapping windows and ties included."""

from __future__ import annotations

import numpy as np

from ..arithmetic import maxpool2d_output_size
from ..kernels.reference.maxpool2d import max_pool2d, max_pool2d_backward
from .compare import expect_array, expect_gradient, random_upstream
from .engine import Exercise, Mistake, case

STUB = '''\
"""Exercise `max_pool_backward`: 2-D max pooling, forward and backward (as torch.nn.MaxPool2d, no padding).

Check it with:  scratchae exercises check max_pool_backward
"""

import numpy as np


def max_pool2d(x, kernel_size, stride):
    """The maximum of every k x k window, windows s apart: x (N, C, H, W), kernel_size k and stride s
    ints -> y (N, C, H_out, W_out), H_out = (H - k) // s + 1, with
    y[n, c, i, j] = max over u, v < k of x[n, c, s*i + u, s*j + v]."""
    raise NotImplementedError


def max_pool2d_backward(grad_y, x, kernel_size, stride):
    """dL/dx, given G = grad_y = dL/dy (N, C, H_out, W_out) and the forward's input x. Returns (N, C, H, W).

    Derive it: y[n, c, i, j] equals ONE element of its window, the maximum, so only that element gets
    G[n, c, i, j]. When windows overlap (s < k) one pixel can be the maximum of several windows. On a
    tie (several equal maxima in one window) PyTorch gives the gradient to the FIRST maximum in row-major
    order of the window (np.argmax of the flattened window finds it); do the same.
    """
    raise NotImplementedError
'''

SOLUTION = '''\
"""Exercise `max_pool_backward`: 2-D max pooling, forward and backward (a worked solution)."""

import numpy as np


def max_pool2d(x, kernel_size, stride):
    """The maximum of every k x k window."""
    n, c, h, w = x.shape
    k, s = kernel_size, stride
    h_out, w_out = (h - k) // s + 1, (w - k) // s + 1
    y = np.zeros((n, c, h_out, w_out), dtype=x.dtype)
    for i in range(h_out):
        for j in range(w_out):
            y[:, :, i, j] = x[:, :, s * i: s * i + k, s * j: s * j + k].max(axis=(2, 3))
    return y


def max_pool2d_backward(grad_y, x, kernel_size, stride):
    """Each G[n, c, i, j] goes to the first maximum of its window; pixels shared by windows add them up."""
    n, c, h_out, w_out = grad_y.shape
    k, s = kernel_size, stride
    grad_x = np.zeros_like(x)
    for b in range(n):
        for ch in range(c):
            for i in range(h_out):
                for j in range(w_out):
                    window = x[b, ch, s * i: s * i + k, s * j: s * j + k]
                    u, v = np.unravel_index(np.argmax(window), window.shape)   # the first maximum
                    grad_x[b, ch, s * i + u, s * j + v] += grad_y[b, ch, i, j]
    return grad_x
'''

HINTS = (
    "Only the maximum of a window affects y[n, c, i, j]: its gradient goes to that one pixel, "
    "(s*i + u, s*j + v) where (u, v) = np.unravel_index(np.argmax(window), window.shape).",
    "When windows overlap (stride < kernel_size), a pixel can be the maximum of several windows: add "
    "(+=) every gradient it receives, do not overwrite it.",
    "On a tie, np.argmax returns the FIRST maximum in row-major order: that one gets the gradient (as in "
    "PyTorch), not the last one, and not all of them.",
)

#: (x shape, kernel_size, stride, with ties): odd sizes whose last row or column no window reaches,
#: overlapping windows (stride < kernel_size), and inputs with ties
CASES = (
    ((2, 3, 6, 7), 2, 2, False),
    ((1, 2, 7, 7), 3, 2, False),
    ((2, 1, 5, 6), 2, 1, False),
    ((2, 2, 4, 6), 2, 2, True),
    ((1, 2, 5, 6), 3, 1, True),
)


def routed(grad_y, x, k, s, choose, assign=False):
    """The backward with another rule: ``choose(window)`` gives the (u, v) that receive the gradient
    (a helper of the known mistakes); ``assign`` overwrites instead of adding."""
    grad = np.zeros_like(x)
    n, c, h_out, w_out = grad_y.shape
    for b, ch, i, j in np.ndindex(n, c, h_out, w_out):
        for u, v in choose(x[b, ch, s * i : s * i + k, s * j : s * j + k]):
            if assign:
                grad[b, ch, s * i + u, s * j + v] = grad_y[b, ch, i, j]
            else:
                grad[b, ch, s * i + u, s * j + v] += grad_y[b, ch, i, j]
    return grad


def first(window):
    return [np.unravel_index(np.argmax(window), window.shape)]


def last(window):
    flat = window.ravel()
    return [np.unravel_index(len(flat) - 1 - np.argmax(flat[::-1]), window.shape)]


def every(window):
    return list(np.argwhere(window == window.max()))


def grade(learner) -> str:
    rng = np.random.default_rng(12)
    for number, (shape, k, s, ties) in enumerate(CASES, 1):
        if ties:  # few distinct values: many windows hold their maximum twice
            x: np.ndarray = rng.integers(0, 3, shape).astype(np.float64)
        else:  # distinct values 0.01 apart: central differences never cross a tie
            x = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.01 - 1.0
        label = f"x {shape}, kernel_size {k}, stride {s}" + (", with ties" if ties else "")
        with case(number, len(CASES), label):
            out_hw = maxpool2d_output_size(shape[2:], k, s)
            check_one(learner, x, k, s, ties, random_upstream(rng, (*shape[:2], *out_hw)))
    return (
        f"forward values and the gradient match on {len(CASES)} cases, overlapping windows and ties included "
        f"(float64, central differences)."
    )


def check_one(learner, x, k, s, ties, upstream) -> None:
    def forward():
        return max_pool2d(x, (k, k), (s, s), (0, 0), upstream.shape[2:])

    y, indices = forward()
    expect_array("the output y", learner.call("max_pool2d", x, k, s), y, hint=HINTS[0])
    got = learner.call("max_pool2d_backward", upstream, x, k, s)
    exact = max_pool2d_backward(upstream, indices, x.shape[2:])
    mistakes = [
        Mistake(HINTS[2], lambda: routed(upstream, x, k, s, last)),
        Mistake(HINTS[2], lambda: routed(upstream, x, k, s, every)),
        Mistake(HINTS[1], lambda: routed(upstream, x, k, s, first, assign=True)),
    ]
    if ties:  # no derivative at a tie: the rule is PyTorch's, as the library's MaxPool2d follows it
        expect_array(
            "grad_x (dL/dx)",
            got,
            exact,
            hint=HINTS[2],
            mistakes=mistakes,
            source=" (the library's MaxPool2d: the first maximum of a tie)",
        )
    else:
        expect_gradient(
            "grad_x (dL/dx)",
            got,
            wrt=x,
            forward=lambda: forward()[0],
            upstream=upstream,
            exact=exact,
            hint=HINTS[0],
            mistakes=mistakes,
        )


EXERCISE = Exercise(
    name="max_pool_backward",
    summary="max pooling, and its backward: the gradient to each window's first maximum, summed on overlaps",
    functions=("max_pool2d", "max_pool2d_backward"),
    stub=STUB,
    solution=SOLUTION,
    hints=HINTS,
    grade=grade,
)

"""Exercise ``batch_norm``: batch normalization in training mode, and its backward through the statistics."""

from __future__ import annotations

import numpy as np

from .. import nn
from .compare import expect_array, expect_gradient, random_upstream
from .engine import Exercise, Mistake, case

STUB = '''\
"""Exercise `batch_norm`: batch normalization in training mode, forward and backward
(as torch.nn.BatchNorm2d while it trains; the running statistics are left out).

Check it with:  scratchae exercises check batch_norm
"""

import numpy as np


def batch_norm_forward(x, gamma, beta, eps):
    """Normalize each channel with the statistics of the batch, then scale and shift it.

    x (N, C, H, W), gamma (C,), beta (C,), eps a small float -> y (N, C, H, W). For each channel c, over
    its m = N * H * W values:
      mean[c] = the mean of x[:, c],  var[c] = the mean of (x[:, c] - mean[c])^2   (divided by m, not m - 1)
      x_hat   = (x - mean) / sqrt(var + eps)
      y       = gamma[c] * x_hat + beta[c]
    """
    raise NotImplementedError


def batch_norm_backward(grad_y, x, gamma, eps):
    """The three gradients of L, given G = grad_y = dL/dy (N, C, H, W), the input x, gamma and eps.

    Return (grad_x, grad_gamma, grad_beta), of shapes (N, C, H, W), (C,), (C,).
    The batch's mean and variance depend on every x in the channel: x[i] reaches L through x_hat[i],
    and through mean[c] and var[c], which every x_hat of the channel uses. Derive dL/dx along all three.
    """
    raise NotImplementedError
'''

SOLUTION = '''\
"""Exercise `batch_norm`: batch normalization in training mode (a worked solution)."""

import numpy as np

AXES = (0, 2, 3)  # every axis but the channels': the statistics are per channel


def per_channel(v):
    """(C,) -> (C, 1, 1), which broadcasts over (N, C, H, W): one value per channel."""
    return v[:, None, None]


def batch_norm_forward(x, gamma, beta, eps):
    """y = gamma x_hat + beta, x_hat = (x - mean) / sqrt(var + eps), the statistics of each channel."""
    mean = x.mean(axis=AXES, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=AXES, keepdims=True)
    x_hat = (x - mean) / np.sqrt(var + eps)
    return per_channel(gamma) * x_hat + per_channel(beta)


def batch_norm_backward(grad_y, x, gamma, eps):
    """With s = 1 / sqrt(var + eps) and D = dL/dx_hat = G gamma:
    dL/dx = s / m (m D - sum D - x_hat sum(D x_hat)), the sums over the channel's m values."""
    m = x.shape[0] * x.shape[2] * x.shape[3]
    mean = x.mean(axis=AXES, keepdims=True)
    s = 1 / np.sqrt(((x - mean) ** 2).mean(axis=AXES, keepdims=True) + eps)
    x_hat = (x - mean) * s
    grad_beta = grad_y.sum(axis=AXES)                     # beta is added to every value of its channel
    grad_gamma = (grad_y * x_hat).sum(axis=AXES)
    d = grad_y * per_channel(gamma)                       # dL/dx_hat
    through_mean = d.sum(axis=AXES, keepdims=True)        # shifting a whole channel changes no x_hat
    through_var = (d * x_hat).sum(axis=AXES, keepdims=True)  # neither does scaling it
    grad_x = s / m * (m * d - through_mean - x_hat * through_var)
    return grad_x, grad_gamma, grad_beta
'''

HINTS = (
    "x[i] reaches L three ways: through x_hat[i] = (x[i] - mean) s, and through mean and var, which every "
    "x_hat of the channel uses. With D = dL/dx_hat = G gamma and s = 1 / sqrt(var + eps): "
    "dL/dvar = -s^2 / 2 * sum(D x_hat), dL/dmean = -s sum(D), dmean/dx[i] = 1/m, dvar/dx[i] = 2 (x[i] - mean) / m. "
    "Adding the three paths gives dL/dx = s / m * (m D - sum(D) - x_hat sum(D x_hat)).",
    "gamma and beta have one value per channel, used at every (n, h, w): their gradients sum over the "
    "axes 0, 2 and 3, and have shape (C,).",
    "The statistics are per channel, over the batch and the positions: axis=(0, 2, 3). The variance is "
    "divided by m (np.var's default, ddof=0), and eps goes inside the square root.",
)

#: (N, C, H, W) and eps of each case: several channels (with an eps large enough that misplacing it shows),
#: one pixel per image, a single channel, odd sizes
SHAPES = (((4, 3, 2, 3), 0.1), ((5, 2, 1, 1), 1e-5), ((2, 1, 3, 3), 1e-3), ((3, 4, 3, 2), 1e-5))


def grade(learner) -> str:
    rng = np.random.default_rng(7)
    for number, (shape, eps) in enumerate(SHAPES, 1):
        layer = nn.BatchNorm2d(shape[1], eps=eps, dtype=np.float64)
        gamma, beta = layer.parameters()  # weight and bias, PyTorch's order
        gamma.data[...] = rng.uniform(0.5, 2.0, shape[1]) * rng.choice([-1, 1], shape[1])
        beta.data[...] = rng.standard_normal(shape[1])
        x = rng.uniform(0.5, 3.0) * rng.standard_normal(shape) + rng.standard_normal()
        with case(number, len(SHAPES), f"x {shape}, gamma and beta ({shape[1]},), eps {eps:g}"):
            check_one(learner, layer, x, random_upstream(rng, shape))
    return f"forward values and the 3 gradients match on {len(SHAPES)} shapes (float64, central differences)."


def check_one(learner, layer, x, upstream) -> None:
    gamma, beta, eps = layer.weight.data, layer.bias.data, layer.eps
    per_channel = (1, -1, 1, 1)

    def normalized(mean, var, root_of_var_plus_eps=True):
        """gamma x_hat + beta for other statistics: the forward's usual mistakes."""
        scale = np.sqrt(var + eps) if root_of_var_plus_eps else np.sqrt(var) + eps
        return gamma.reshape(per_channel) * (x - mean) / scale + beta.reshape(per_channel)

    axes = (0, 2, 3)
    mean = x.mean(axis=axes, keepdims=True)
    expect_array(
        "the output y",
        learner.call("batch_norm_forward", x, gamma, beta, eps),
        layer(x),
        hint=HINTS[2],
        mistakes=[
            Mistake(
                "the variance is divided by m - 1: batch normalization divides by m (ddof=0).",
                lambda: normalized(mean, x.var(axis=axes, ddof=1, keepdims=True)),
            ),
            Mistake(
                "eps goes inside the square root: (x - mean) / sqrt(var + eps).",
                lambda: normalized(mean, x.var(axis=axes, keepdims=True), root_of_var_plus_eps=False),
            ),
            Mistake(
                "the statistics are per channel over the batch AND the positions: axis=(0, 2, 3), not axis=0.",
                lambda: normalized(x.mean(axis=0, keepdims=True), x.var(axis=0, keepdims=True)),
            ),
        ],
    )
    grad_x, grad_gamma, grad_beta = learner.returned(
        "batch_norm_backward",
        learner.call("batch_norm_backward", upstream, x, gamma, eps),
        3,
        "grad_x, grad_gamma, grad_beta",
    )
    exact_x = layer.backward(upstream)
    s = 1 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    x_hat = (x - mean) * s
    d = upstream * gamma.reshape(per_channel)
    m = x.size // x.shape[1]

    def forward():  # the library's layer in training mode, reading the arrays the check perturbs
        return layer(x)

    expect_gradient(
        "grad_x (dL/dx)",
        grad_x,
        wrt=x,
        forward=forward,
        upstream=upstream,
        exact=exact_x,
        hint=HINTS[0],
        mistakes=[
            Mistake(
                "this is dL/dx with the mean and the variance held constant (right in eval mode only): in "
                "training they depend on x too. Subtract the paths through them.",
                lambda: d * s,
            ),
            Mistake(
                "the path through the variance is missing: subtract x_hat * sum(D x_hat) too.",
                lambda: s / m * (m * d - d.sum(axis=axes, keepdims=True)),
            ),
            Mistake(
                "the path through the mean is missing: subtract sum(D) too.",
                lambda: s / m * (m * d - x_hat * (d * x_hat).sum(axis=axes, keepdims=True)),
            ),
        ],
    )
    expect_gradient(
        "grad_gamma (dL/dgamma)",
        grad_gamma,
        wrt=gamma,
        forward=forward,
        upstream=upstream,
        exact=layer.weight.grad,
        hint=HINTS[1],
        mistakes=[
            Mistake("dy/dgamma = x_hat, not x: sum G * x_hat.", lambda: (upstream * x).sum(axis=axes)),
            Mistake("multiply G by x_hat before summing: dy/dgamma = x_hat.", lambda: upstream.sum(axis=axes)),
        ],
    )
    expect_gradient(
        "grad_beta (dL/dbeta)",
        grad_beta,
        wrt=beta,
        forward=forward,
        upstream=upstream,
        exact=layer.bias.grad,
        hint=HINTS[1],
        mistakes=[Mistake("sum over the channel's values, do not average.", lambda: upstream.mean(axis=axes))],
    )


EXERCISE = Exercise(
    name="batch_norm",
    summary="batch normalization while training, and its backward through the batch's mean and variance",
    functions=("batch_norm_forward", "batch_norm_backward"),
    stub=STUB,
    solution=SOLUTION,
    hints=HINTS,
    grade=grade,
)

"""PyTorch's default initialization, so that a layer here and its PyTorch twin start alike in law.

``kaiming_uniform_(a=sqrt(5))`` on a weight with fan-in :math:`n` draws from :math:`U(-b, b)` with

.. math::

    b = \\text{gain}\\sqrt{3 / n}, \\quad \\text{gain} = \\sqrt{2 / (1 + a^2)} = \\sqrt{1/3}
    \\;\\Rightarrow\\; b = 1/\\sqrt{n},

and the bias draws from :math:`U(-1/\\sqrt{n}, 1/\\sqrt{n})` too. PyTorch computes the fan-in from the
weight's dimension 1 times its kernel size: ``in_features`` for Linear, ``in_channels*kH*kW`` for
Conv2d, and ``out_channels*kH*kW`` for ConvTranspose2d, whose weight is laid out (in, out, kH, kW).
"""

from __future__ import annotations

import math

import numpy as np

from ..random import resolve


def fan_in(shape: tuple[int, ...]) -> int:
    """PyTorch's ``_calculate_fan_in_and_fan_out(...)[0]``: ``shape[1] * prod(shape[2:])``."""
    receptive = math.prod(shape[2:]) if len(shape) > 2 else 1
    return shape[1] * receptive


def uniform(shape, bound: float, dtype, rng=None) -> np.ndarray:
    """An array of ``shape`` drawn from U(-bound, bound) in ``dtype``."""
    return resolve(rng).uniform(-bound, bound, size=shape).astype(dtype)


def default_weight_and_bias(weight_shape, bias_size, dtype, rng=None):
    """PyTorch's default (weight, bias) for Linear/Conv layers; bias is None if ``bias_size`` is None."""
    n = fan_in(tuple(weight_shape))
    bound = 1.0 / math.sqrt(n) if n > 0 else 0.0
    weight = uniform(weight_shape, bound, dtype, rng)
    bias = None if bias_size is None else uniform((bias_size,), bound, dtype, rng)
    return weight, bias

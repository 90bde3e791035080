"""One Adam update of one parameter, in plain NumPy, in the order of PyTorch's single-tensor CPU code.

.. math::

    m \\leftarrow m + (1-\\beta_1)(g - m), \\qquad
    v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2, \\qquad
    \\theta \\leftarrow \\theta - \\eta_t \\frac{m}{\\sqrt{v} / \\sqrt{1-\\beta_2^t} + \\epsilon}

with :math:`\\eta_t = \\eta / (1 - \\beta_1^t)`. Every array is updated in place.
"""

from __future__ import annotations

import numpy as np


def adam_update(param, grad, exp_avg, exp_avg_sq, step_size, bias_correction2_sqrt, beta1, beta2, eps):
    f = param.dtype.type  # every constant in the parameter's dtype: no up-casting
    exp_avg += (grad - exp_avg) * f(1 - beta1)
    exp_avg_sq *= f(beta2)
    exp_avg_sq += f(1 - beta2) * grad * grad
    denom = np.sqrt(exp_avg_sq)
    denom /= f(bias_correction2_sqrt)
    denom += f(eps)
    param -= f(step_size) * (exp_avg / denom)

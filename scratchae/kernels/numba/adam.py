"""One Adam update compiled with Numba: same math, signature and rounding as
:mod:`scratchae.kernels.reference.adam`, in one pass over the parameter instead of nine NumPy passes.

No ``fastmath``: each element goes through the same float operations in the same order as the NumPy
version, so both give the same bits. ``error_model="numpy"``: a division by zero gives inf as in NumPy
instead of raising, which also lets LLVM vectorize the loop (Numba's default checks every division).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, error_model="numpy")
def adam_update_flat(
    param, grad, exp_avg, exp_avg_sq, one_minus_beta1, beta2, one_minus_beta2, bias_correction2_sqrt, eps, step_size
):
    for i in range(param.size):
        g = grad[i]
        m = exp_avg[i] + (g - exp_avg[i]) * one_minus_beta1
        v = exp_avg_sq[i] * beta2 + one_minus_beta2 * g * g
        exp_avg[i] = m
        exp_avg_sq[i] = v
        denom = np.sqrt(v) / bias_correction2_sqrt + eps
        param[i] -= step_size * (m / denom)


# -- the interface shared with scratchae.kernels.reference.adam ---------------------------------------


def adam_update(param, grad, exp_avg, exp_avg_sq, step_size, bias_correction2_sqrt, beta1, beta2, eps):
    dtype = param.dtype
    if not (
        param.flags.c_contiguous
        and grad.flags.c_contiguous
        and exp_avg.flags.c_contiguous
        and exp_avg_sq.flags.c_contiguous
        and dtype == grad.dtype == exp_avg.dtype == exp_avg_sq.dtype
    ):
        from ..reference.adam import adam_update as readable  # unusual layouts: the NumPy code

        return readable(param, grad, exp_avg, exp_avg_sq, step_size, bias_correction2_sqrt, beta1, beta2, eps)
    f = dtype.type
    adam_update_flat(
        param.ravel(),
        grad.ravel(),
        exp_avg.ravel(),
        exp_avg_sq.ravel(),
        f(1 - beta1),
        f(beta2),
        f(1 - beta2),
        f(bias_correction2_sqrt),
        f(eps),
        f(step_size),
    )

"""The float32 exponential of scratchae.kernels.numba.exp, and the sigmoid built on it, against the
exact values (float64): within 2 and 3 units in the last place, limits and subnormals included."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest

from scratchae.kernels.numba import activations, exp


def exp_by_parts(a: np.ndarray) -> np.ndarray:
    """e^a from :func:`exp.exp_parts` run as plain Python on arrays (reading the module's coefficients
    when called, so that a test can change them)."""
    e_r, bits = exp.exp_parts.py_func(a)
    return e_r * np.asarray(bits, np.int32).view(np.float32)


def ulps(approx: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """|approx - exact| in units of the last place of float32 at the exact value."""
    return np.abs(approx.astype(np.float64) - exact) / np.spacing(exact.astype(np.float32)).astype(np.float64)


#: every representable a from LOWEST to 0 would be 2^30 numbers: a dense grid and the ends instead
A = np.concatenate([np.linspace(exp.LOWEST, 0, 1_000_001, dtype=np.float32), [exp.LOWEST, -1e-30, -0.0, 0.0]])
A = A.astype(np.float32)


def test_exp_parts_within_two_ulps():
    assert ulps(exp_by_parts(A), np.exp(A.astype(np.float64))).max() <= 2


@pytest.mark.parametrize("coefficient", ["P3", "P5", "C1", "C2"])
def test_a_wrong_coefficient_is_caught(coefficient):
    with mock.patch.object(exp, coefficient, np.float32(getattr(exp, coefficient) * 1.001)):
        assert ulps(exp_by_parts(A), np.exp(A.astype(np.float64))).max() > 2


def test_float32_sigmoid_within_three_ulps_of_the_exact_value():
    x = np.linspace(-120, 120, 2_000_001, dtype=np.float32)
    y = activations.sigmoid(x)
    exact = 1 / (1 + np.exp(-x.astype(np.float64)))
    normal = exact >= np.finfo(np.float32).tiny
    assert y.dtype == np.float32
    assert ulps(y[normal], exact[normal]).max() <= 3
    # below the normal floats (x < -87.3): as close as the subnormals' own spacing allows
    assert np.abs(y[~normal] - exact[~normal]).max() <= 2 * np.finfo(np.float32).smallest_subnormal
    assert (y[x > 17] == 1).all() and (y[x < -104] == 0).all()


def test_float32_sigmoid_limits():
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -1e-30, 200.0, -200.0], np.float32)
    np.testing.assert_array_equal(activations.sigmoid(x), [np.nan, 1, 0, 0.5, 0.5, 0.5, 0.5, 1, 0])

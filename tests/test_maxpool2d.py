"""MaxPool2d: finite differences away from ties, torch.nn.MaxPool2d (ties included), refused configurations."""

from __future__ import annotations

import numpy as np
import pytest

from conv_cases import backend, case_id, assert_matches_torch, distinct_values, maxpool_cases  # noqa: F401
from scratchae import gradcheck, nn

CASES = maxpool_cases(14, seed=6)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_gradcheck(backend, case):
    kw, shape = case
    x = distinct_values(shape, np.random.default_rng(1))     # no ties: the max is differentiable
    assert gradcheck(nn.MaxPool2d(**kw), x)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_torch(backend, case, dtype):
    torch = pytest.importorskip("torch")
    kw, shape = case
    x = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    assert_matches_torch(nn.MaxPool2d(**kw), torch.nn.MaxPool2d(**kw), x)


@pytest.mark.torch
@pytest.mark.parametrize("values", ["all equal", "integers 0-2", "zeros and -inf"])
@pytest.mark.parametrize("case", CASES[:8], ids=case_id)
def test_ties_go_to_the_first_maximum_as_in_torch(backend, case, values):
    torch = pytest.importorskip("torch")
    kw, shape = case
    rng = np.random.default_rng(3)
    x = {"all equal": np.full(shape, 0.5),
         "integers 0-2": rng.integers(0, 3, shape).astype(np.float64),
         "zeros and -inf": np.where(rng.random(shape) < 0.5, 0.0, -np.inf)}[values]
    assert_matches_torch(nn.MaxPool2d(**kw), torch.nn.MaxPool2d(**kw), x)


def test_tie_routing_by_hand(backend):
    x = np.array([[[[1.0, 3.0, 3.0, 0.0],
                    [3.0, 2.0, 0.0, 3.0]]]])
    pool = nn.MaxPool2d(2)
    np.testing.assert_array_equal(pool(x), [[[[3.0, 3.0]]]])
    grad_x = pool.backward(np.array([[[[10.0, 20.0]]]]))
    np.testing.assert_array_equal(grad_x, [[[[0.0, 10.0, 20.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]])


def test_overlapping_windows_sum_their_gradients(backend):
    x = np.array([[[[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]]])
    pool = nn.MaxPool2d(2, stride=1)                   # all four windows share the center
    pool(x)
    grad_x = pool.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    assert grad_x[0, 0, 1, 1] == 10.0 and grad_x.sum() == 10.0


def test_stride_defaults_to_kernel_and_dtype_is_kept(backend):
    pool = nn.MaxPool2d((2, 3))
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 9)).astype(np.float32)
    y = pool(x)
    assert y.shape == (2, 3, 3, 3) and y.dtype == np.float32
    assert pool.backward(np.ones_like(y)).dtype == np.float32
    assert repr(pool) == "MaxPool2d(kernel_size=(2, 3), stride=(2, 3), padding=0)"


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(kernel_size=3, padding=2), ValueError, "padding to be at most half of kernel_size"),
    (dict(kernel_size=(2, 4), padding=(1, 3)), ValueError, "padding to be at most half of kernel_size"),
    (dict(kernel_size=0), ValueError, "kernel_size to be positive"),
    (dict(kernel_size=2, stride=0), ValueError, "stride to be positive"),
    (dict(kernel_size=2, padding=-1), ValueError, "padding to be non-negative"),
    (dict(kernel_size=2.0), TypeError, "kernel_size to be an int or a pair"),
])
def test_bad_configuration(kwargs, error, match):
    with pytest.raises(error, match=match):
        nn.MaxPool2d(**kwargs)


def test_window_larger_than_padded_input(backend):
    with pytest.raises(ValueError, match="kernel larger than the padded input"):
        nn.MaxPool2d(4, padding=1)(np.zeros((1, 1, 1, 5), np.float32))   # 1 + 2 < 4 rows


def test_bad_inputs(backend):
    pool = nn.MaxPool2d(2)
    with pytest.raises(ValueError, match=r"expected a 4-D input"):
        pool(np.zeros((4, 4), np.float32))
    with pytest.raises(TypeError, match="float32 or float64"):
        pool(np.zeros((1, 1, 4, 4), np.int32))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        pool.backward(np.zeros((1, 1, 2, 2), np.float32))
    pool(np.zeros((1, 1, 4, 4), np.float32))
    with pytest.raises(TypeError, match="expected a float32 gradient"):
        pool.backward(np.zeros((1, 1, 2, 2), np.float64))

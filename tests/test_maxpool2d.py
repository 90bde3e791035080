"""MaxPool2d: finite differences away from ties, torch.nn.MaxPool2d (ties included), refused configurations."""

from __future__ import annotations

import numpy as np
import pytest

from conv_cases import assert_matches_torch, case_id, distinct_values, maxpool_cases
from scratchae import gradcheck, nn
from scratchae.arithmetic import maxpool2d_output_size

CASES = maxpool_cases(14, seed=6)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_gradcheck(backend, case):
    kw, shape = case
    x = distinct_values(shape, np.random.default_rng(1))  # no ties: the max is differentiable
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
    x = {
        "all equal": np.full(shape, 0.5),
        "integers 0-2": rng.integers(0, 3, shape).astype(np.float64),
        "zeros and -inf": np.where(rng.random(shape) < 0.5, 0.0, -np.inf),
    }[values]
    assert_matches_torch(nn.MaxPool2d(**kw), torch.nn.MaxPool2d(**kw), x)


def test_tie_routing_by_hand(backend):
    x = np.array([[[[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 0.0, 3.0]]]])
    pool = nn.MaxPool2d(2)
    np.testing.assert_array_equal(pool(x), [[[[3.0, 3.0]]]])
    grad_x = pool.backward(np.array([[[[10.0, 20.0]]]]))
    np.testing.assert_array_equal(grad_x, [[[[0.0, 10.0, 20.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]])


def test_overlapping_windows_sum_their_gradients(backend):
    x = np.array([[[[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]]])
    pool = nn.MaxPool2d(2, stride=1)  # all four windows share the center
    pool(x)
    grad_x = pool.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    assert grad_x[0, 0, 1, 1] == 10.0 and grad_x.sum() == 10.0


def test_stride_defaults_to_kernel_and_dtype_is_kept(backend):
    pool = nn.MaxPool2d((2, 3))
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 9)).astype(np.float32)
    y = pool(x)
    assert y.shape == (2, 3, 3, 3) and y.dtype == np.float32
    assert pool.backward(np.ones_like(y)).dtype == np.float32
    assert repr(pool) == "MaxPool2d(kernel_size=(2, 3), stride=(2, 3), padding=0, dilation=1, ceil_mode=False)"


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(kernel_size=3, padding=2), ValueError, "padding to be at most half of kernel_size"),
        (dict(kernel_size=(2, 4), padding=(1, 3)), ValueError, "padding to be at most half of kernel_size"),
        (dict(kernel_size=0), ValueError, "kernel_size to be positive"),
        (dict(kernel_size=2, stride=0), ValueError, "stride to be positive"),
        (dict(kernel_size=2, padding=-1), ValueError, "padding to be non-negative"),
        (dict(kernel_size=2.0), TypeError, "kernel_size to be an int or a pair"),
        (dict(kernel_size=2, dilation=2), ValueError, "only dilation=1"),
        (dict(kernel_size=2, return_indices=True), ValueError, "only return_indices=False"),
    ],
)
def test_bad_configuration(kwargs, error, match):
    with pytest.raises(error, match=match):
        nn.MaxPool2d(**kwargs)


def test_window_larger_than_padded_input(backend):
    with pytest.raises(ValueError, match="kernel larger than the padded input"):
        nn.MaxPool2d(4, padding=1)(np.zeros((1, 1, 1, 5), np.float32))  # 1 + 2 < 4 rows


def test_bad_inputs(backend):
    pool = nn.MaxPool2d(2)
    with pytest.raises(ValueError, match=r"expected a 3-D \(C, H, W\) or 4-D \(N, C, H, W\) input"):
        pool(np.zeros((4, 4), np.float32))
    with pytest.raises(TypeError, match="float32 or float64"):
        pool(np.zeros((1, 1, 4, 4), np.int32))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        pool.backward(np.zeros((1, 1, 2, 2), np.float32))
    pool(np.zeros((1, 1, 4, 4), np.float32))
    with pytest.raises(TypeError, match="expected a float32 gradient"):
        pool.backward(np.zeros((1, 1, 2, 2), np.float64))


# -- ceil_mode ------------------------------------------------------------------------------------------------


def ceil_cases(count: int, seed: int):
    """``count`` MaxPool2d(ceil_mode=True) configurations whose last window runs past the input (mostly)."""
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        kernel = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        kw = dict(
            kernel_size=kernel,
            stride=(int(rng.integers(1, 4)), int(rng.integers(1, 4))),
            padding=tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel),
            ceil_mode=True,
        )
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 3)), int(rng.integers(1, 8)), int(rng.integers(1, 8)))
        try:
            out = maxpool2d_output_size(shape[2:], kernel, kw["stride"], kw["padding"], ceil_mode=True)
        except ValueError:
            continue
        floor = [
            (i + 2 * p - k) // s + 1 for i, p, k, s in zip(shape[2:], kw["padding"], kernel, kw["stride"], strict=True)
        ]
        if list(out) != floor or rng.random() < 0.2:  # mostly cases where ceil_mode changes something
            cases.append((kw, shape))
    return [*cases, (dict(kernel_size=2, ceil_mode=True), (2, 3, 7, 5))]


CEIL_CASES = ceil_cases(12, seed=9)


@pytest.mark.parametrize("case", CEIL_CASES, ids=case_id)
def test_ceil_mode_gradcheck(backend, case):
    kw, shape = case
    assert gradcheck(nn.MaxPool2d(**kw), distinct_values(shape, np.random.default_rng(1)))


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CEIL_CASES, ids=case_id)
def test_ceil_mode_matches_torch(backend, case, dtype):
    torch = pytest.importorskip("torch")
    kw, shape = case
    x = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    assert_matches_torch(nn.MaxPool2d(**kw), torch.nn.MaxPool2d(**kw), x)


@pytest.mark.torch
def test_ceil_mode_output_sizes_are_torchs(torch):
    # every small configuration: the same output size, or both refuse
    for size in range(1, 7):
        for kernel in range(1, 5):
            for stride in range(1, 4):
                for padding in range(0, kernel // 2 + 1):
                    try:
                        ours = maxpool2d_output_size((size, 1), (kernel, 1), (stride, 1), (padding, 0), True)[0]
                    except ValueError:
                        ours = None
                    try:
                        x = torch.zeros(1, 1, size, 1)
                        theirs = torch.nn.MaxPool2d((kernel, 1), (stride, 1), (padding, 0), ceil_mode=True)(x).shape[2]
                    except RuntimeError:
                        theirs = None
                    assert ours == theirs, (size, kernel, stride, padding)


def test_ceil_mode_by_hand(backend):
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    pool = nn.MaxPool2d(2, ceil_mode=True)
    np.testing.assert_array_equal(pool(x)[0, 0], [[6, 8, 9], [16, 18, 19], [21, 23, 24]])
    grad_x = pool.backward(np.ones((1, 1, 3, 3)))
    assert grad_x[0, 0, 4, 4] == 1 and grad_x[0, 0, :, 4].sum() == 3 and grad_x.sum() == 9
    assert nn.MaxPool2d(2, ceil_mode=True)(np.ones((1, 1, 1, 1))).shape == (1, 1, 1, 1)  # PyTorch: 1x1 too
    with pytest.raises(ValueError, match="kernel larger than the padded input"):
        nn.MaxPool2d(2)(np.ones((1, 1, 1, 1)))


# -- one image, unbatched ------------------------------------------------------------------------------------


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES[:4] + CEIL_CASES[:2], ids=case_id)
def test_unbatched_matches_torch(backend, case):
    torch = pytest.importorskip("torch")
    kw, shape = case
    x = np.random.default_rng(3).standard_normal(shape[1:])
    assert_matches_torch(nn.MaxPool2d(**kw), torch.nn.MaxPool2d(**kw), x)


def test_unbatched_gradcheck_and_shapes(backend):
    x = distinct_values((3, 5, 4), np.random.default_rng(4))
    pool = nn.MaxPool2d(2)
    assert gradcheck(pool, x)
    assert pool(x).shape == (3, 2, 2) and pool.backward(np.ones((3, 2, 2))).shape == (3, 5, 4)
    with pytest.raises(ValueError, match=r"gradient of shape \(3, 2, 2\)"):
        pool.backward(np.ones((1, 3, 2, 2)))

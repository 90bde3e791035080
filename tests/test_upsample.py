"""Upsample (nearest, integer factors): finite differences, torch.nn.Upsample, refused configurations."""

from __future__ import annotations

import numpy as np
import pytest

from conv_cases import assert_matches_torch
from scratchae import gradcheck, nn

CASES = [(2, (2, 3, 4, 5)), (3, (1, 2, 3, 2)), ((2, 3), (2, 1, 3, 4)), ((1, 2), (1, 2, 2, 3)), (2.0, (3, 4, 7, 7))]


def case_id(case):
    return f"{case[0]}-{'x'.join(map(str, case[1]))}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_gradcheck(backend, case):
    factor, shape = case
    assert gradcheck(nn.Upsample(scale_factor=factor), np.random.default_rng(0).standard_normal(shape))


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_torch(backend, case, dtype):
    torch = pytest.importorskip("torch")
    factor, shape = case
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    twin_factor = tuple(float(f) for f in factor) if isinstance(factor, tuple) else factor
    assert_matches_torch(
        nn.Upsample(scale_factor=factor, mode="nearest"), torch.nn.Upsample(scale_factor=twin_factor, mode="nearest"), x
    )


@pytest.mark.torch
def test_size_argument_matches_torch(backend):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).standard_normal((2, 3, 4, 5))
    assert_matches_torch(nn.Upsample(size=(8, 15)), torch.nn.Upsample(size=(8, 15)), x)


def test_backward_sums_each_block(backend):
    up = nn.Upsample(scale_factor=2)
    up(np.zeros((1, 1, 1, 2), np.float32))
    g = np.arange(8, dtype=np.float32).reshape(1, 1, 2, 4)  # blocks [[0,1],[4,5]] and [[2,3],[6,7]]
    np.testing.assert_array_equal(up.backward(g), [[[[10.0, 18.0]]]])


def test_forward_copies_blocks_and_keeps_dtype(backend):
    x = np.array([[[[1.0, 2.0]]]], np.float32)
    y = nn.Upsample(scale_factor=(2, 3))(x)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [[[[1, 1, 1, 2, 2, 2], [1, 1, 1, 2, 2, 2]]]])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(scale_factor=1.5), ValueError, "only positive integer scale factors"),
        (dict(scale_factor=(2, 0.5)), ValueError, "only positive integer scale factors"),
        (dict(scale_factor=0), ValueError, "only positive integer scale factors"),
        (dict(scale_factor=2, mode="bicubic"), ValueError, "mode='nearest' or mode='bilinear', got mode='bicubic'"),
        (dict(scale_factor=2, align_corners=True), ValueError, "align_corners option can only be set with the interp"),
        ({}, ValueError, "exactly one of size and scale_factor"),
        (dict(size=4, scale_factor=2), ValueError, "exactly one of size and scale_factor"),
        (dict(scale_factor="2"), TypeError, "scale_factor to be a number or a pair"),
        (dict(size=0), ValueError, "size to be positive"),
    ],
)
def test_bad_configuration(kwargs, error, match):
    with pytest.raises(error, match=match):
        nn.Upsample(**kwargs)


def test_size_must_be_a_multiple(backend):
    with pytest.raises(ValueError, match=r"only integer scale factors: size \(5, 6\) is not a multiple"):
        nn.Upsample(size=(5, 6))(np.zeros((1, 1, 2, 3), np.float32))


def test_bad_inputs(backend):
    up = nn.Upsample(scale_factor=2)
    with pytest.raises(ValueError, match=r"reads a 3-D input as \(N, C, L\).*up\(x\[None\]\)\[0\]"):
        up(np.zeros((1, 4, 4), np.float32))
    with pytest.raises(ValueError, match="expected a 4-D input"):
        up(np.zeros((1, 1, 1, 4, 4), np.float32))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        up.backward(np.zeros((1, 1, 2, 2), np.float32))
    up(np.zeros((1, 1, 2, 2), np.float32))
    with pytest.raises(ValueError, match=r"gradient of shape \(1, 1, 4, 4\)"):
        up.backward(np.zeros((1, 1, 2, 2), np.float32))


def test_repr():
    assert repr(nn.Upsample(scale_factor=2, mode="nearest")) == "Upsample(scale_factor=2, mode='nearest')"

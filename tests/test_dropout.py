"""Dropout: the mask and its scale, the same mask in the backward pass, evaluation mode, reproducibility under
scratchae.manual_seed, torch.nn.Dropout given the same mask, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import scratchae
from conftest import assert_close
from scratchae import GradcheckError, gradcheck, nn


class _GivenMask(nn.Dropout):
    """Dropout with a mask chosen by the test (PyTorch's, or a fixed one) instead of a random one."""

    def __init__(self, p, keep):
        super().__init__(p)
        self.keep = keep

    def keep_mask(self, shape):
        assert shape == self.keep.shape
        return self.keep


def test_forward_zeroes_and_scales_backward_applies_the_same_mask():
    x = np.random.default_rng(0).uniform(1, 2, (50, 40))  # no zeros: a zero output was dropped
    layer = nn.Dropout(0.3, rng=np.random.default_rng(1))
    y = layer(x)
    kept = y != 0
    assert 0.6 < kept.mean() < 0.8  # about 1 - p of the elements
    np.testing.assert_allclose(y[kept], x[kept] / 0.7, rtol=1e-15)
    g = np.random.default_rng(2).standard_normal(x.shape)
    np.testing.assert_allclose(layer.backward(g), np.where(kept, g / 0.7, 0.0), rtol=1e-15)


def test_the_expected_value_is_kept():
    x = np.ones((200, 500))
    y = nn.Dropout(0.5, rng=np.random.default_rng(3))(x)
    assert abs(y.mean() - 1.0) < 0.01  # 1e5 draws: std of the mean 0.003


def test_gradcheck_with_a_fixed_mask():
    rng = np.random.default_rng(4)
    keep = rng.random((3, 4, 5)) > 0.4
    assert gradcheck(_GivenMask(0.4, keep), rng.standard_normal((3, 4, 5)))


class _ForgetsTheScale(_GivenMask):
    def backward(self, grad_out):
        return grad_out * self.keep  # the mask without 1/(1-p)


def test_gradcheck_catches_a_backward_without_the_scale():
    rng = np.random.default_rng(5)
    keep = rng.random((3, 4)) > 0.4
    with pytest.raises(GradcheckError):
        gradcheck(_ForgetsTheScale(0.4, keep), rng.standard_normal((3, 4)))


def test_evaluation_mode_is_the_identity():
    x = np.random.default_rng(6).standard_normal((4, 5)).astype(np.float32)
    layer = nn.Dropout(0.9).eval()
    assert layer(x) is x
    g = np.ones_like(x)
    assert layer.backward(g) is g
    assert layer.train().training and (layer(x) == 0).any()


def test_manual_seed_makes_the_masks_reproducible():
    x = np.ones((8, 8), np.float32)
    layer = nn.Dropout(0.5)
    scratchae.manual_seed(7)
    first, second = layer(x), layer(x)
    scratchae.manual_seed(7)
    np.testing.assert_array_equal(layer(x), first)  # the generator is read at each call
    np.testing.assert_array_equal(layer(x), second)
    assert not np.array_equal(first, second)  # a new mask at every call


@pytest.mark.parametrize("p, expected", [(0.0, "identity"), (1.0, "zeros")])
def test_p_zero_and_one(p, expected):
    x = np.random.default_rng(8).standard_normal((3, 3)) + 5
    layer = nn.Dropout(p)
    y = layer(x)
    g = np.ones_like(x)
    if expected == "identity":
        np.testing.assert_array_equal(y, x)
        np.testing.assert_array_equal(layer.backward(g), g)
    else:
        assert not y.any() and not layer.backward(g).any() and np.isfinite(y).all()


def test_inplace_writes_into_the_input():
    x = np.ones((4, 4))
    y = nn.Dropout(0.5, inplace=True, rng=np.random.default_rng(9))(x)
    assert y is x and set(np.unique(x)) <= {0.0, 2.0}


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.77, 0.999])
def test_matches_torch_with_torchs_mask(torch, p, dtype):
    # PyTorch's masks come from its own generator: read the mask it drew from its output (the input has
    # no zeros), give it to our layer, and compare outputs and input gradients.
    rng = np.random.default_rng(10)
    x = rng.uniform(0.5, 2.0, (6, 3, 4, 5)).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    torch.manual_seed(0)
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    yt = torch.nn.Dropout(p)(xt)
    yt.backward(torch.from_numpy(g))
    keep = yt.detach().numpy() != 0
    assert keep.any() or p > 0.99
    layer = _GivenMask(p, keep)
    y = layer(x)
    assert y.dtype == dtype
    assert_close(y, yt.detach().numpy(), dtype, "forward")
    assert_close(layer.backward(g), xt.grad.numpy(), dtype, "input gradient")


@pytest.mark.torch
def test_repr_is_pytorchs(torch):
    assert repr(nn.Dropout()) == repr(torch.nn.Dropout())
    assert repr(nn.Dropout(0.2, inplace=True)) == repr(torch.nn.Dropout(0.2, inplace=True))


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan"), "0.5", True])
def test_p_outside_zero_one_is_refused(p):
    with pytest.raises(ValueError, match="probability p between 0 and 1"):
        nn.Dropout(p)


def test_bad_input():
    layer = nn.Dropout()
    with pytest.raises(TypeError, match="float32 or float64"):
        layer(np.ones(3, np.int64))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.ones(3))
    layer(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"gradient of shape \(2, 3\)"):
        layer.backward(np.ones(3))
    with pytest.raises(TypeError, match=r"numpy\.random\.Generator"):
        nn.Dropout(rng=42)

import warnings

import numpy as np
import pytest

from conftest import assert_close
from scratchae import gradcheck, nn


def away_from_zero(rng, shape):
    """Random values with |x| >= 0.1, so finite differences never straddle ReLU's kink."""
    x = rng.uniform(0.1, 2.0, shape)
    return x * rng.choice([-1.0, 1.0], shape)


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4, 5), (1,)])
def test_relu_gradcheck(rng, shape):
    assert gradcheck(nn.ReLU(), away_from_zero(rng, shape))


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4, 5)])
def test_sigmoid_gradcheck(rng, shape):
    assert gradcheck(nn.Sigmoid(), 3 * rng.standard_normal(shape))


def test_relu_derivative_at_zero_is_zero():
    relu = nn.ReLU()
    relu(np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(relu.backward(np.ones(3)), [0.0, 0.0, 1.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_large_inputs_no_overflow(dtype):
    x = np.array([-1e4, -800.0, -100.0, 0.0, 100.0, 800.0, 1e4], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = nn.Sigmoid()(x)
    assert y.dtype == dtype
    assert y[0] == 0.0 and y[-1] == 1.0 and y[3] == 0.5
    assert np.all(np.diff(y) >= 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_twin(torch, rng, dtype):
    x = (4 * rng.standard_normal((5, 3, 4, 4))).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    for ours, theirs in [(nn.ReLU(), torch.nn.ReLU()), (nn.Sigmoid(), torch.nn.Sigmoid())]:
        tx = torch.from_numpy(x).requires_grad_()
        ty = theirs(tx)
        ty.backward(torch.from_numpy(g))
        y = ours(x)
        assert y.dtype == dtype
        assert_close(y, ty.detach().numpy(), dtype, f"{ours} forward")
        assert_close(ours.backward(g), tx.grad.numpy(), dtype, f"{ours} backward")


def test_activations_refuse_integers_and_early_backward():
    for layer in (nn.ReLU(), nn.Sigmoid()):
        with pytest.raises(TypeError, match="float32 or float64"):
            layer(np.arange(3))
        with pytest.raises(RuntimeError, match="backward called before forward"):
            layer.backward(np.ones(3))


# -- LeakyReLU and Tanh ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("slope", [0.01, 0.2, -0.5, 1.5])
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4, 5)])
def test_leaky_relu_gradcheck(rng, shape, slope):
    assert gradcheck(nn.LeakyReLU(slope), away_from_zero(rng, shape))


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4, 5)])
def test_tanh_gradcheck(rng, shape):
    assert gradcheck(nn.Tanh(), 2 * rng.standard_normal(shape))


class _TanhWithSigmoidsDerivative(nn.Tanh):
    """A plausible slip: y (1 - y), the sigmoid's derivative, for tanh's 1 - y^2."""

    def backward(self, grad_out):
        return grad_out * self._y * (1 - self._y)


class _LeakyReLUWithReLUsDerivative(nn.LeakyReLU):
    def backward(self, grad_out):
        return grad_out * (self._slopes == 1)


@pytest.mark.parametrize("wrong", [_TanhWithSigmoidsDerivative, _LeakyReLUWithReLUsDerivative])
def test_gradcheck_catches_a_wrong_activation_backward(rng, wrong):
    from scratchae import GradcheckError

    with pytest.raises(GradcheckError, match="worst element input"):
        gradcheck(wrong(), away_from_zero(rng, (4, 5)))


def test_leaky_relu_by_hand():
    layer = nn.LeakyReLU(0.2)
    x = np.array([-1.0, 0.0, 2.0, np.nan, -np.inf])
    np.testing.assert_array_equal(layer(x), [-0.2, 0.0, 2.0, np.nan, -np.inf])
    np.testing.assert_array_equal(layer.backward(np.ones(5)), [0.2, 0.2, 1.0, 0.2, 0.2])  # slope at 0, as PyTorch
    x = np.array([-1.0, 3.0])
    y = nn.LeakyReLU(0.5, inplace=True)(x)
    assert y is x and list(x) == [-0.5, 3.0]
    assert nn.LeakyReLU()(np.array(-2.0)).shape == ()  # a 0-d array stays an array


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_leaky_relu_and_tanh_twin(torch, rng, dtype):
    x = (4 * rng.standard_normal((5, 3, 4, 4))).astype(dtype)
    x.flat[:3] = [0.0, -0.0, 30.0]
    g = rng.standard_normal(x.shape).astype(dtype)
    for ours, theirs in [
        (nn.LeakyReLU(), torch.nn.LeakyReLU()),
        (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
        (nn.Tanh(), torch.nn.Tanh()),
    ]:
        assert repr(ours) == repr(theirs)
        tx = torch.from_numpy(x).requires_grad_()
        ty = theirs(tx)
        ty.backward(torch.from_numpy(g))
        y = ours(x)
        assert y.dtype == dtype
        assert_close(y, ty.detach().numpy(), dtype, f"{ours} forward")
        assert_close(ours.backward(g), tx.grad.numpy(), dtype, f"{ours} backward")
    assert repr(nn.LeakyReLU(0.2, inplace=True)) == repr(torch.nn.LeakyReLU(0.2, inplace=True))


def test_new_activations_refuse_bad_input():
    for layer in (nn.LeakyReLU(), nn.Tanh()):
        with pytest.raises(TypeError, match="float32 or float64"):
            layer(np.arange(3))
        with pytest.raises(RuntimeError, match="backward called before forward"):
            layer.backward(np.ones(3))
        layer(np.ones(3))
        with pytest.raises(ValueError, match=r"gradient of shape \(3,\)"):
            layer.backward(np.ones(4))
    with pytest.raises(TypeError, match="number negative_slope"):
        nn.LeakyReLU("0.2")

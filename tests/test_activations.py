import warnings

import numpy as np
import pytest

from scratchae import gradcheck, nn
from conftest import assert_close


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

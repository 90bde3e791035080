import numpy as np
import pytest

import scratchae
from conftest import assert_close
from scratchae import gradcheck, nn


@pytest.mark.parametrize(
    "shape_in,fin,fout,bias",
    [((4, 5), 5, 3, True), ((2, 3, 7), 7, 2, False), ((1, 1), 1, 1, True), ((6, 10), 10, 32, True)],
)
def test_linear_gradcheck(rng, shape_in, fin, fout, bias):
    layer = nn.Linear(fin, fout, bias=bias, rng=rng)
    assert gradcheck(layer, rng.standard_normal(shape_in))


def test_linear_init_is_pytorch_default_and_seeded():
    scratchae.manual_seed(3)
    a = nn.Linear(100, 50)
    scratchae.manual_seed(3)
    b = nn.Linear(100, 50)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert a.weight.shape == (50, 100) and a.bias.shape == (50,)
    assert a.weight.dtype == np.float32 and a.bias.dtype == np.float32
    bound = 1 / np.sqrt(100)
    assert np.abs(a.weight.data).max() <= bound and np.abs(a.weight.data).max() > 0.9 * bound
    # uniform on [-b, b]: the variance is b^2 / 3
    assert abs(a.weight.data.var() - bound**2 / 3) < 0.1 * bound**2 / 3


def test_linear_grads_accumulate_until_zero_grad(rng):
    layer = nn.Linear(4, 3, rng=rng).to(np.float64)
    x, g = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    layer(x)
    layer.backward(g)
    once = layer.weight.grad.copy()
    layer(x)
    layer.backward(g)
    np.testing.assert_allclose(layer.weight.grad, 2 * once)
    layer.zero_grad()
    assert not layer.weight.grad.any()


def test_linear_keeps_float32(rng):
    layer = nn.Linear(4, 3, rng=rng)
    x = rng.standard_normal((2, 4)).astype(np.float32)
    y = layer(x)
    dx = layer.backward(np.ones_like(y))
    assert y.dtype == dx.dtype == layer.weight.grad.dtype == np.float32


def test_linear_bad_input(rng):
    layer = nn.Linear(784, 32)
    with pytest.raises(ValueError, match=r"Linear\(784, 32\) expected input of shape \(\*, 784\), got \(20, 100\)"):
        layer(np.zeros((20, 100), np.float32))
    with pytest.raises(TypeError, match="expected a float32 or float64 input, got int64"):
        layer(np.zeros((20, 784), np.int64))
    with pytest.raises(TypeError, match=r"expected a float32 input .* got float64"):
        layer(np.zeros((20, 784)))
    with pytest.raises(TypeError, match=r"numpy\.ndarray"):
        layer([[0.0] * 784])
    with pytest.raises(RuntimeError, match=r"Linear\.backward called before forward"):
        nn.Linear(3, 2).backward(np.zeros((1, 2), np.float32))
    with pytest.raises(ValueError, match="in_features to be a positive integer"):
        nn.Linear(0, 3)
    layer(np.zeros((20, 784), np.float32))
    with pytest.raises(ValueError, match=r"expected a gradient of shape \(20, 32\)"):
        layer.backward(np.zeros((20, 31), np.float32))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_linear_twin(torch, rng, dtype):
    for fin, fout, batch in [(784, 32, 20), (32, 784, 7), (5, 1, 1)]:
        layer = nn.Linear(fin, fout, rng=rng).to(dtype)
        ref = torch.nn.Linear(fin, fout).to(getattr(torch, np.dtype(dtype).name))
        with torch.no_grad():
            ref.weight.copy_(torch.from_numpy(layer.weight.data))
            ref.bias.copy_(torch.from_numpy(layer.bias.data))
        x = rng.standard_normal((batch, fin)).astype(dtype)
        g = rng.standard_normal((batch, fout)).astype(dtype)
        tx = torch.from_numpy(x).requires_grad_()
        ty = ref(tx)
        ty.backward(torch.from_numpy(g))
        y = layer(x)
        dx = layer.backward(g)
        assert_close(y, ty.detach().numpy(), dtype, "forward")
        assert_close(dx, tx.grad.numpy(), dtype, "input gradient")
        assert_close(layer.weight.grad, ref.weight.grad.numpy(), dtype, "weight gradient")
        assert_close(layer.bias.grad, ref.bias.grad.numpy(), dtype, "bias gradient")


def test_needs_input_grad_false_skips_only_the_input_gradient():
    rng = np.random.default_rng(0)
    layer = nn.Linear(5, 3, dtype=np.float64)
    x = rng.standard_normal((4, 5))
    g = rng.standard_normal(layer(x).shape)
    full = layer.backward(g)
    grads = [p.grad.copy() for p in layer.parameters()]
    layer.zero_grad()
    layer.needs_input_grad = False
    layer(x)
    assert layer.backward(g) is None and full.shape == x.shape
    for a, p in zip(grads, layer.parameters(), strict=True):
        np.testing.assert_array_equal(a, p.grad)

"""The fused layers equal the plain layers they are named after, one after the other, under both kernels."""

from __future__ import annotations

import numpy as np
import pytest

from conv_cases import assert_close, case_id, conv_cases, conv_transpose_cases
from scratchae import gradcheck, kernels, nn
from scratchae.nn import functional

DTYPES = [np.float64, np.float32]
RTOL = {np.float64: 1e-12, np.float32: 2e-5}

# the sweep, plus the course's own shapes (an odd 7x7 input pools to 3x3, dropping a row and a column)
CONV_CASES = [
    *conv_cases(10, seed=21),
    (dict(in_channels=1, out_channels=32, kernel_size=3, padding=1), (3, 1, 28, 28)),
    (dict(in_channels=16, out_channels=8, kernel_size=3, padding=1), (2, 16, 7, 7)),
    (dict(in_channels=3, out_channels=5, kernel_size=3, stride=2, padding=1, dilation=2), (2, 3, 9, 8)),
]
TRANSPOSE_CASES = [
    *conv_transpose_cases(10, seed=22),
    (dict(in_channels=16, out_channels=32, kernel_size=2, stride=2), (3, 16, 14, 14)),
    (dict(in_channels=8, out_channels=8, kernel_size=3, stride=2), (2, 8, 3, 3)),
    (dict(in_channels=4, out_channels=6, kernel_size=3, padding=1), (2, 4, 5, 6)),
]


def pooled_fits(kw, shape):
    return min(nn.Conv2d(**kw).output_size(shape[2:])) >= 2


def plain_and_fused(fused_class, kw, dtype, bias=True):
    """The fused layer and the plain layers it stands for, with the same initial weights."""
    plain_class = nn.ConvTranspose2d if issubclass(fused_class, nn.ConvTranspose2d) else nn.Conv2d
    fused = fused_class(**kw, bias=bias, dtype=dtype, rng=np.random.default_rng(0))
    conv = plain_class(**kw, bias=bias, dtype=dtype, rng=np.random.default_rng(0))
    layers = [conv, nn.ReLU()] + ([nn.MaxPool2d(2, 2)] if fused_class is nn.Conv2dReLUMaxPool2d else [])
    return fused, layers


def run_plain(layers, x, upstream):
    y = x
    for layer in layers:
        y = layer(y)
    grad = upstream(y.shape)
    grad_x = grad
    for layer in reversed(layers):
        grad_x = layer.backward(grad_x)
    return y, grad, grad_x


def check_agreement(fused_class, kw, shape, dtype, bias=True):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(dtype)
    fused, layers = plain_and_fused(fused_class, kw, dtype, bias)
    y, grad, grad_x = run_plain(layers, x, lambda s: rng.standard_normal(s).astype(dtype))
    rtol = RTOL[dtype]
    assert_close(fused(x), y, rtol, "forward")
    assert_close(fused.backward(grad), grad_x, rtol, "input gradient")
    assert_close(fused.weight.grad, layers[0].weight.grad, rtol, "weight gradient")
    if bias:
        assert_close(fused.bias.grad, layers[0].bias.grad, rtol, "bias gradient")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CONV_CASES, ids=case_id)
@pytest.mark.parametrize("fused_class", [nn.Conv2dReLU, nn.Conv2dReLUMaxPool2d])
def test_fused_convolution_equals_the_plain_layers(backend, fused_class, case, dtype):
    kw, shape = case
    if fused_class is nn.Conv2dReLUMaxPool2d and not pooled_fits(kw, shape):
        pytest.skip("the convolution's output is smaller than the pooling window")
    check_agreement(fused_class, kw, shape, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=case_id)
def test_fused_transposed_convolution_equals_the_plain_layers(backend, case, dtype):
    check_agreement(nn.ConvTranspose2dReLU, *case, dtype)


@pytest.mark.parametrize("fused_class", [nn.Conv2dReLU, nn.Conv2dReLUMaxPool2d, nn.ConvTranspose2dReLU])
def test_without_bias_and_with_one_image(backend, fused_class):
    kw = dict(in_channels=2, out_channels=5, kernel_size=3, padding=1)
    check_agreement(fused_class, kw, (1, 2, 6, 5), np.float64, bias=False)


@pytest.mark.parametrize("fused_class", [nn.Conv2dReLU, nn.Conv2dReLUMaxPool2d, nn.ConvTranspose2dReLU])
def test_gradcheck(backend, fused_class):
    layer = fused_class(2, 3, 3, padding=1, dtype=np.float64, rng=np.random.default_rng(4))
    x = np.random.default_rng(5).standard_normal((2, 2, 6, 5))
    assert gradcheck(layer, x)


def test_a_gradient_that_ignores_the_relu_is_caught(monkeypatch):
    # the agreement check can fail: pass the gradient through where the ReLU was off, and it does
    def unmasked(grad_y, y):
        return grad_y.copy(), grad_y.sum(axis=(0, 2, 3))

    monkeypatch.setattr("scratchae.nn.fused.relu_backward_and_channel_sums", unmasked)
    with pytest.raises(AssertionError):
        check_agreement(nn.Conv2dReLU, dict(in_channels=2, out_channels=3, kernel_size=3), (2, 2, 6, 6), np.float64)


def test_the_fused_kernels_agree_with_the_readable_ones_on_one_and_on_two_threads():
    rng = np.random.default_rng(6)
    x, weight, bias = rng.standard_normal((5, 3, 9, 7)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    args = ((1, 1), (1, 1), (1, 1))
    before = kernels.get_num_threads()
    try:
        for threads in (1, 2):
            kernels.set_num_threads(threads)
            with kernels.use_backend("reference"):
                y, indices = functional.conv2d_relu_max_pool2d(x, weight, bias, *args)
                grad = rng.standard_normal(y.shape)
                expected = functional.relu_max_pool2d_backward_and_channel_sums(grad, y, indices, (9, 7))
            fast_y, fast_indices = functional.conv2d_relu_max_pool2d(x, weight, bias, *args)
            assert_close(fast_y, y, 1e-12, "pooled forward")
            got = functional.relu_max_pool2d_backward_and_channel_sums(grad, fast_y, fast_indices, (9, 7))
            assert_close(got[0], expected[0], 1e-12, "gradient at the convolution's output")
            assert_close(got[1], expected[1], 1e-12, "bias gradient")
    finally:
        kernels.set_num_threads(before)


def test_nan_and_infinity_go_through_as_in_the_plain_layers(backend):
    x = np.ones((1, 1, 4, 4))
    x[0, 0, 0, 0], x[0, 0, 3, 3] = np.nan, -np.inf
    for fused_class in (nn.Conv2dReLU, nn.Conv2dReLUMaxPool2d):
        fused, layers = plain_and_fused(fused_class, dict(in_channels=1, out_channels=1, kernel_size=1), np.float64)
        fused.weight.data[...] = 1.0
        layers[0].weight.data[...] = 1.0
        y = x
        for layer in layers:
            y = layer(y)
        np.testing.assert_array_equal(fused(x), y)  # NaN stays NaN, -inf becomes 0


def test_same_parameters_and_names_as_the_plain_layer():
    fused = nn.Conv2dReLUMaxPool2d(1, 16, 3, padding=1, rng=np.random.default_rng(0))
    plain = nn.Conv2d(1, 16, 3, padding=1, rng=np.random.default_rng(0))
    assert isinstance(fused, nn.Conv2d)
    assert list(fused.state_dict()) == list(plain.state_dict()) == ["weight", "bias"]
    for name, value in plain.state_dict().items():
        np.testing.assert_array_equal(fused.state_dict()[name], value)
    assert repr(fused) == "Conv2dReLUMaxPool2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"


def test_first_layer_skips_the_input_gradient(backend):
    layer = nn.Conv2dReLUMaxPool2d(1, 4, 3, padding=1, dtype=np.float64, rng=np.random.default_rng(0))
    layer.needs_input_grad = False
    y = layer(np.random.default_rng(1).standard_normal((2, 1, 6, 6)))
    assert layer.backward(np.ones_like(y)) is None
    assert np.any(layer.weight.grad != 0)


def test_refused_inputs():
    layer = nn.Conv2dReLUMaxPool2d(1, 2, 3)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((1, 2, 1, 1), np.float32))
    with pytest.raises(ValueError, match="smaller than the 2x2 pooling window"):
        layer(np.ones((1, 1, 3, 5), np.float32))  # a 1x3 convolution output
    y = layer(np.ones((1, 1, 6, 6), np.float32))
    assert y.shape == (1, 2, 2, 2) and layer.output_size((6, 6)) == (2, 2)
    with pytest.raises(ValueError):
        layer.backward(np.ones((1, 2, 4, 4), np.float32))  # the unpooled shape
    with pytest.raises(ValueError):
        nn.ConvTranspose2dReLU(2, 3, 2, stride=2)(np.ones((1, 3, 2, 2), np.float32))  # wrong channels

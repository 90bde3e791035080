"""Conv2d: gradients by finite differences, agreement with torch.nn.Conv2d, and refused configurations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conv_cases import backend, case_id, assert_matches_torch, conv_cases  # noqa: F401 (fixture)
from scratchae import GradcheckError, gradcheck, kernels, nn
from scratchae.nn import functional

CASES = conv_cases(14, seed=4)


def make(kw, dtype=np.float64, **extra):
    return nn.Conv2d(**kw, **extra, dtype=dtype, rng=np.random.default_rng(0))


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_gradcheck(backend, case):
    kw, shape = case
    x = np.random.default_rng(1).standard_normal(shape)
    assert gradcheck(make(kw), x)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_torch(backend, case, dtype):
    torch = pytest.importorskip("torch")
    kw, shape = case
    x = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    twin = torch.nn.Conv2d(**kw, dtype=getattr(torch, np.dtype(dtype).name))
    assert_matches_torch(make(kw, dtype), twin, x)


@pytest.mark.torch
def test_matches_torch_without_bias_on_a_model_shape(backend):
    torch = pytest.importorskip("torch")
    kw = dict(in_channels=16, out_channels=4, kernel_size=3, padding=1, bias=False)
    x = np.random.default_rng(3).random((3, 16, 14, 14), dtype=np.float32)
    layer = make(kw, np.float32)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    assert_matches_torch(layer, torch.nn.Conv2d(**kw), x)


def test_shapes_dtype_and_init(backend):
    layer = nn.Conv2d(3, 5, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2))
    assert layer.weight.shape == (5, 3, 3, 2) and layer.bias.shape == (5,)
    assert np.abs(layer.weight.data).max() <= 1 / math.sqrt(3 * 3 * 2)   # PyTorch's U(-1/sqrt(fan_in), .)
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 8)).astype(np.float32)
    y = layer(x)
    assert y.shape == (2, 5, 5, 6) and y.dtype == np.float32
    grad_x = layer.backward(np.ones_like(y))
    assert grad_x.shape == x.shape and grad_x.dtype == np.float32
    assert layer.weight.grad.dtype == np.float32


def test_gradients_accumulate(backend):
    layer = make(dict(in_channels=2, out_channels=3, kernel_size=2))
    x = np.random.default_rng(0).standard_normal((2, 2, 5, 5))
    g = np.random.default_rng(1).standard_normal(layer(x).shape)
    layer.backward(g)
    once = layer.weight.grad.copy(), layer.bias.grad.copy()
    layer(x)
    layer.backward(g)
    np.testing.assert_allclose(layer.weight.grad, 2 * once[0], rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, 2 * once[1], rtol=1e-12)


class _InputGradAsFullConvolution(nn.Conv2d):
    """For stride 1 and no padding, dL/dx is a 'full' convolution of the upstream gradient with the kernel
    rotated by 180 degrees. ``flip=False`` is the classic bug of forgetting that rotation."""

    def __init__(self, *args, flip, **kwargs):
        super().__init__(*args, **kwargs)
        self.flip = flip

    def backward(self, grad_out):
        super().backward(grad_out)          # parameter gradients stay right; only dL/dx is rebuilt
        kh, kw = self.kernel_size
        padded = np.pad(grad_out, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
        weight = self.weight.data.transpose(1, 0, 2, 3)
        if self.flip:
            weight = weight[:, :, ::-1, ::-1]
        return functional.conv2d(padded, weight, None, (1, 1), (0, 0), (1, 1))


def test_gradcheck_catches_a_wrong_backward(backend):
    x = np.random.default_rng(0).standard_normal((2, 2, 6, 5))

    def layer(flip):
        return _InputGradAsFullConvolution(2, 3, (3, 2), flip=flip, dtype=np.float64,
                                           rng=np.random.default_rng(0))

    assert gradcheck(layer(flip=True), x)            # the rewritten backward is right...
    with pytest.raises(GradcheckError, match=r"worst element input\["):
        gradcheck(layer(flip=False), x)             # ...and the unflipped kernel is caught


# -- refused configurations --------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, match", [
    (dict(in_channels=0, out_channels=1, kernel_size=3), "in_channels to be a positive integer"),
    (dict(in_channels=1, out_channels=-2, kernel_size=3), "out_channels to be a positive integer"),
    (dict(in_channels=1, out_channels=1, kernel_size=0), "kernel_size to be positive"),
    (dict(in_channels=1, out_channels=1, kernel_size=(3, 0)), "kernel_size to be positive"),
    (dict(in_channels=1, out_channels=1, kernel_size=3, stride=0), "stride to be positive"),
    (dict(in_channels=1, out_channels=1, kernel_size=3, padding=-1), "padding to be non-negative"),
    (dict(in_channels=1, out_channels=1, kernel_size=3, dilation=0), "dilation to be positive"),
    (dict(in_channels=1, out_channels=1, kernel_size=3, groups=2), "only groups=1"),
])
def test_bad_configuration(kwargs, match):
    with pytest.raises(ValueError, match=match):
        nn.Conv2d(**kwargs)


def test_bad_argument_type():
    with pytest.raises(TypeError, match=r"kernel_size to be an int or a pair"):
        nn.Conv2d(1, 1, kernel_size=(1, 2, 3))
    with pytest.raises(TypeError, match=r"padding to be an int or a pair"):
        nn.Conv2d(1, 1, 3, padding="same")


def test_kernel_larger_than_padded_input(backend):
    layer = nn.Conv2d(1, 1, kernel_size=3, padding=1, dilation=3)
    with pytest.raises(ValueError, match=r"kernel larger than the padded input: .* covers 7 .* only 6"):
        layer(np.zeros((1, 1, 4, 9), np.float32))


def test_channel_mismatch(backend):
    with pytest.raises(ValueError, match=r"expected 3 channels, got 2"):
        nn.Conv2d(3, 4, 3)(np.zeros((1, 2, 5, 5), np.float32))


def test_not_4d(backend):
    with pytest.raises(ValueError, match=r"expected a 4-D input \(N, C, H, W\), got shape \(3, 5, 5\)"):
        nn.Conv2d(3, 4, 3)(np.zeros((3, 5, 5), np.float32))


def test_dtype_rules(backend):
    layer = nn.Conv2d(1, 1, 3)
    with pytest.raises(TypeError, match="float32 or float64"):
        layer(np.zeros((1, 1, 5, 5), np.int64))
    with pytest.raises(TypeError, match="expected a float32 input"):
        layer(np.zeros((1, 1, 5, 5), np.float64))


def test_backward_checks(backend):
    layer = nn.Conv2d(1, 2, 3)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.zeros((1, 2, 3, 3), np.float32))
    layer(np.zeros((1, 1, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"gradient of shape \(1, 2, 3, 3\)"):
        layer.backward(np.zeros((1, 2, 4, 4), np.float32))


def test_repr():
    assert repr(nn.Conv2d(1, 16, 3, padding=1)) == "Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"


def test_needs_input_grad_false_skips_only_the_input_gradient():
    rng = np.random.default_rng(0)
    layer = nn.Conv2d(3, 4, 3, padding=1, dtype=np.float64)
    x = rng.standard_normal((2, 3, 6, 6))
    g = rng.standard_normal(layer(x).shape)
    full = layer.backward(g)
    grads = [p.grad.copy() for p in layer.parameters()]
    layer.zero_grad()
    layer.needs_input_grad = False
    layer(x)
    assert layer.backward(g) is None and full.shape == x.shape
    for a, p in zip(grads, layer.parameters()):
        np.testing.assert_array_equal(a, p.grad)

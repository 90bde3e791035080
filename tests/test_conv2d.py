"""Conv2d: gradients by finite differences, agreement with torch.nn.Conv2d, and refused configurations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conv_cases import assert_matches_torch, case_id, conv_cases
from scratchae import GradcheckError, gradcheck, nn
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
    assert np.abs(layer.weight.data).max() <= 1 / math.sqrt(3 * 3 * 2)  # PyTorch's U(-1/sqrt(fan_in), .)
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
        super().backward(grad_out)  # parameter gradients stay right; only dL/dx is rebuilt
        kh, kw = self.kernel_size
        padded = np.pad(grad_out, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
        weight = self.weight.data.transpose(1, 0, 2, 3)
        if self.flip:
            weight = weight[:, :, ::-1, ::-1]
        return functional.conv2d(padded, weight, None, (1, 1), (0, 0), (1, 1))


def test_gradcheck_catches_a_wrong_backward(backend):
    x = np.random.default_rng(0).standard_normal((2, 2, 6, 5))

    def layer(flip):
        return _InputGradAsFullConvolution(2, 3, (3, 2), flip=flip, dtype=np.float64, rng=np.random.default_rng(0))

    assert gradcheck(layer(flip=True), x)  # the rewritten backward is right...
    with pytest.raises(GradcheckError, match=r"worst element input\["):
        gradcheck(layer(flip=False), x)  # ...and the unflipped kernel is caught


# -- refused configurations --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(in_channels=0, out_channels=1, kernel_size=3), "in_channels to be a positive integer"),
        (dict(in_channels=1, out_channels=-2, kernel_size=3), "out_channels to be a positive integer"),
        (dict(in_channels=1, out_channels=1, kernel_size=0), "kernel_size to be positive"),
        (dict(in_channels=1, out_channels=1, kernel_size=(3, 0)), "kernel_size to be positive"),
        (dict(in_channels=1, out_channels=1, kernel_size=3, stride=0), "stride to be positive"),
        (dict(in_channels=1, out_channels=1, kernel_size=3, padding=-1), "padding to be non-negative"),
        (dict(in_channels=1, out_channels=1, kernel_size=3, dilation=0), "dilation to be positive"),
        (dict(in_channels=1, out_channels=1, kernel_size=3, groups=2), "only groups=1"),
    ],
)
def test_bad_configuration(kwargs, match):
    with pytest.raises(ValueError, match=match):
        nn.Conv2d(**kwargs)


def test_bad_argument_type():
    with pytest.raises(TypeError, match=r"kernel_size to be an int or a pair"):
        nn.Conv2d(1, 1, kernel_size=(1, 2, 3))
    with pytest.raises(TypeError, match=r"padding to be an int or a pair"):
        nn.Conv2d(1, 1, 3, padding=1.5)


def test_kernel_larger_than_padded_input(backend):
    layer = nn.Conv2d(1, 1, kernel_size=3, padding=1, dilation=3)
    with pytest.raises(ValueError, match=r"kernel larger than the padded input: .* covers 7 .* only 6"):
        layer(np.zeros((1, 1, 4, 9), np.float32))


def test_channel_mismatch(backend):
    with pytest.raises(ValueError, match=r"expected 3 channels, got 2"):
        nn.Conv2d(3, 4, 3)(np.zeros((1, 2, 5, 5), np.float32))


@pytest.mark.parametrize("shape", [(5, 5), (1, 1, 3, 5, 5)])
def test_not_3d_or_4d(backend, shape):
    with pytest.raises(ValueError, match=r"expected a 3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, got shape"):
        nn.Conv2d(3, 4, 3)(np.zeros(shape, np.float32))


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
    for a, p in zip(grads, layer.parameters(), strict=True):
        np.testing.assert_array_equal(a, p.grad)


# -- padding='same' and 'valid' ----------------------------------------------------------------------------


def same_cases(count: int, seed: int):
    """``count`` Conv2d(padding='same') configurations: odd and even kernels, dilations, any input size."""
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(count):
        kernel = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
        kw = dict(
            in_channels=int(rng.integers(1, 4)),
            out_channels=int(rng.integers(1, 4)),
            kernel_size=kernel if rng.random() < 0.5 else kernel[0],
            padding="same",
            dilation=int(rng.integers(1, 3)),
        )
        cases.append(
            (kw, (int(rng.integers(1, 3)), kw["in_channels"], int(rng.integers(1, 7)), int(rng.integers(1, 7))))
        )
    return [
        *cases,
        (dict(in_channels=2, out_channels=3, kernel_size=2, padding="same"), (2, 2, 5, 4)),
        (dict(in_channels=2, out_channels=2, kernel_size=4, padding="valid"), (1, 2, 6, 5)),
    ]


SAME_CASES = same_cases(10, seed=5)


@pytest.mark.parametrize("case", SAME_CASES, ids=case_id)
def test_same_padding_gradcheck(backend, case):
    kw, shape = case
    assert gradcheck(make(kw), np.random.default_rng(1).standard_normal(shape))


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")  # PyTorch pads a copy too
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", SAME_CASES, ids=case_id)
def test_same_padding_matches_torch(backend, case, dtype):
    torch = pytest.importorskip("torch")
    kw, shape = case
    x = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    layer = make(kw, dtype)
    if kw["padding"] == "same":
        assert layer(x).shape[2:] == shape[2:]
    assert_matches_torch(layer, torch.nn.Conv2d(**kw, dtype=getattr(torch, np.dtype(dtype).name)), x)


def test_same_padding_of_an_even_kernel_is_padding_one_more_row_at_the_bottom(backend):
    rng = np.random.default_rng(3)
    x, g = rng.standard_normal((2, 2, 5, 6)), rng.standard_normal((2, 3, 5, 6))
    same = make(dict(in_channels=2, out_channels=3, kernel_size=(4, 2), padding="same"))
    explicit = make(dict(in_channels=2, out_channels=3, kernel_size=(4, 2), padding=(1, 0)))
    # d(k-1) = (3, 1) zeros in all: (1, 0) on each side, and the odd one at the bottom (right)
    padded = np.pad(x, ((0, 0), (0, 0), (0, 1), (0, 1)))
    np.testing.assert_allclose(same(x), explicit(padded), rtol=1e-13)
    np.testing.assert_allclose(same.backward(g), explicit.backward(g)[:, :, :5, :6], rtol=1e-13)
    np.testing.assert_allclose(same.weight.grad, explicit.weight.grad, rtol=1e-13)


def test_same_padding_keeps_the_course_path_for_odd_kernels():
    layer = nn.Conv2d(1, 4, 3, padding="same")
    assert layer._padding == (1, 1) and layer._extra_padding == (0, 0)
    assert nn.Conv2d(1, 4, 5, padding="same", dilation=2)._padding == (4, 4)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(padding="same", stride=2), "padding='same' is not supported for strided convolutions"),
        (dict(padding="same", stride=(1, 2)), "padding='same' is not supported for strided convolutions"),
        (dict(padding="full"), "padding to be 'same', 'valid', an int or a pair of ints, got 'full'"),
    ],
)
def test_bad_padding_string(kwargs, match):
    with pytest.raises(ValueError, match=match):
        nn.Conv2d(1, 1, 3, **kwargs)


@pytest.mark.torch
def test_repr_with_a_padding_string_is_pytorchs():
    torch = pytest.importorskip("torch")
    for padding in ("same", "valid"):
        assert repr(nn.Conv2d(1, 2, 3, padding=padding)) == repr(torch.nn.Conv2d(1, 2, 3, padding=padding))


# -- one image, unbatched ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES[:6] + SAME_CASES[:3], ids=case_id)
def test_unbatched_gradcheck(backend, case):
    kw, shape = case
    assert gradcheck(make(kw), np.random.default_rng(1).standard_normal(shape[1:]))


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES[:6] + SAME_CASES[:3], ids=case_id)
def test_unbatched_matches_torch(backend, case, dtype):
    torch = pytest.importorskip("torch")
    kw, shape = case
    x = np.random.default_rng(2).standard_normal(shape[1:]).astype(dtype)
    assert_matches_torch(make(kw, dtype), torch.nn.Conv2d(**kw, dtype=getattr(torch, np.dtype(dtype).name)), x)


def test_unbatched_is_a_batch_of_one(backend):
    rng = np.random.default_rng(4)
    layer = make(dict(in_channels=2, out_channels=3, kernel_size=2, padding="same"))
    x, g = rng.standard_normal((2, 4, 5)), rng.standard_normal((3, 4, 5))
    y = layer(x)
    assert y.shape == (3, 4, 5)
    grad_x = layer.backward(g)
    assert grad_x.shape == x.shape
    weight_grad = layer.weight.grad.copy()
    layer.zero_grad()
    np.testing.assert_array_equal(layer(x[None])[0], y)
    np.testing.assert_array_equal(layer.backward(g[None])[0], grad_x)
    np.testing.assert_array_equal(layer.weight.grad, weight_grad)
    layer(x)
    with pytest.raises(ValueError, match=r"gradient of shape \(3, 4, 5\)"):
        layer.backward(g[None])

"""ConvTranspose2d: finite differences, torch.nn.ConvTranspose2d, its relation to Conv2d, refused configurations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conv_cases import assert_matches_torch, case_id, conv_transpose_cases
from scratchae import gradcheck, nn

CASES = conv_transpose_cases(14, seed=5)


def make(kw, dtype=np.float64, **extra):
    return nn.ConvTranspose2d(**kw, **extra, dtype=dtype, rng=np.random.default_rng(0))


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
    twin = torch.nn.ConvTranspose2d(**kw, dtype=getattr(torch, np.dtype(dtype).name))
    assert_matches_torch(make(kw, dtype), twin, x)


@pytest.mark.torch
@pytest.mark.parametrize(
    "kw, shape",
    [
        (dict(in_channels=4, out_channels=16, kernel_size=2, stride=2), (3, 4, 7, 7)),
        (dict(in_channels=8, out_channels=8, kernel_size=3, stride=2, bias=False), (3, 8, 3, 3)),
    ],
)
def test_matches_torch_on_model_shapes(backend, kw, shape):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).random(shape, dtype=np.float32)
    assert_matches_torch(make(kw, np.float32), torch.nn.ConvTranspose2d(**kw), x)


def test_forward_is_the_input_gradient_of_a_convolution(backend):
    """The defining relation: ConvTranspose2d(C_in -> C_out) with weight w computes what Conv2d(C_out -> C_in)
    with the same weight does in its backward pass."""
    rng = np.random.default_rng(0)
    kw = dict(kernel_size=3, stride=2, padding=1, dilation=1, bias=False, dtype=np.float64)
    transposed = nn.ConvTranspose2d(4, 2, output_padding=1, **kw)
    conv = nn.Conv2d(2, 4, **kw)
    conv.weight.data[...] = transposed.weight.data  # both (4, 2, 3, 3)
    x = rng.standard_normal((2, 4, 5, 5))
    y = transposed(x)
    assert y.shape == (2, 2, 10, 10)
    conv(np.zeros_like(y))  # a 10x10 input gives a 5x5 output
    np.testing.assert_allclose(y, conv.backward(x), rtol=1e-13, atol=1e-13)
    # and, the other way round, the transposed layer's input gradient is the convolution's forward
    g = rng.standard_normal(y.shape)
    np.testing.assert_allclose(transposed.backward(g), conv(g), rtol=1e-13, atol=1e-13)


def test_shapes_dtype_and_init(backend):
    layer = nn.ConvTranspose2d(3, 5, (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2))
    assert layer.weight.shape == (3, 5, 3, 2) and layer.bias.shape == (5,)
    assert np.abs(layer.weight.data).max() <= 1 / math.sqrt(5 * 3 * 2)  # fan_in = weight.shape[1] * kH * kW
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
    y = layer(x)
    # (4-1)*2 - 2*1 + 1*(3-1) + 1 + 1 = 8 and (5-1)*3 - 0 + (2-1) + 2 + 1 = 16
    assert y.shape == (2, 5, 8, 16) and y.dtype == np.float32
    grad_x = layer.backward(np.ones_like(y))
    assert grad_x.shape == x.shape and grad_x.dtype == np.float32


def test_gradients_accumulate(backend):
    layer = make(dict(in_channels=2, out_channels=3, kernel_size=2, stride=2))
    x = np.random.default_rng(0).standard_normal((2, 2, 3, 3))
    g = np.random.default_rng(1).standard_normal(layer(x).shape)
    layer.backward(g)
    once = layer.weight.grad.copy(), layer.bias.grad.copy()
    layer(x)
    layer.backward(g)
    np.testing.assert_allclose(layer.weight.grad, 2 * once[0], rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, 2 * once[1], rtol=1e-12)


# -- refused configurations --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(kernel_size=2, stride=2, output_padding=2), "output_padding smaller than stride or dilation"),
        (dict(kernel_size=2, stride=1, output_padding=1), "output_padding smaller than stride or dilation"),
        (dict(kernel_size=2, stride=(2, 1), output_padding=(1, 1)), "output_padding smaller than stride"),
        (dict(kernel_size=0), "kernel_size to be positive"),
        (dict(kernel_size=2, stride=(1, 0)), "stride to be positive"),
        (dict(kernel_size=2, padding=-1), "padding to be non-negative"),
        (dict(kernel_size=2, output_padding=-1), "output_padding to be non-negative"),
        (dict(kernel_size=2, dilation=0), "dilation to be positive"),
        (dict(kernel_size=2, groups=2), "only groups=1"),
    ],
)
def test_bad_configuration(kwargs, match):
    with pytest.raises(ValueError, match=match):
        nn.ConvTranspose2d(2, 3, **kwargs)


def test_bad_channel_counts():
    with pytest.raises(ValueError, match="in_channels to be a positive integer"):
        nn.ConvTranspose2d(0, 3, 2)
    with pytest.raises(ValueError, match="out_channels to be a positive integer"):
        nn.ConvTranspose2d(2, 2.5, 2)


def test_output_padding_below_dilation_is_allowed(backend):
    layer = nn.ConvTranspose2d(1, 1, 2, stride=1, dilation=2, output_padding=1)
    assert layer(np.zeros((1, 1, 3, 3), np.float32)).shape == (1, 1, 6, 6)


def test_padding_too_large_for_the_input(backend):
    layer = nn.ConvTranspose2d(1, 1, kernel_size=2, padding=2)
    with pytest.raises(ValueError, match=r"output size \(-1, -1\) is not positive"):
        layer(np.zeros((1, 1, 2, 2), np.float32))


def test_channel_mismatch_and_rank(backend):
    layer = nn.ConvTranspose2d(4, 16, 2, stride=2)
    with pytest.raises(ValueError, match=r"expected 4 channels, got 16"):
        layer(np.zeros((1, 16, 7, 7), np.float32))
    with pytest.raises(ValueError, match=r"expected a 3-D \(C, H, W\) or 4-D \(N, C, H, W\) input"):
        layer(np.zeros((7, 7), np.float32))


def test_repr():
    assert repr(nn.ConvTranspose2d(4, 16, 2, stride=2)) == "ConvTranspose2d(4, 16, kernel_size=(2, 2), stride=(2, 2))"


def test_needs_input_grad_false_skips_only_the_input_gradient():
    rng = np.random.default_rng(0)
    layer = nn.ConvTranspose2d(3, 4, 2, stride=2, dtype=np.float64)
    x = rng.standard_normal((2, 3, 5, 5))
    g = rng.standard_normal(layer(x).shape)
    full = layer.backward(g)
    grads = [p.grad.copy() for p in layer.parameters()]
    layer.zero_grad()
    layer.needs_input_grad = False
    layer(x)
    assert layer.backward(g) is None and full.shape == x.shape
    for a, p in zip(grads, layer.parameters(), strict=True):
        np.testing.assert_array_equal(a, p.grad)


# -- forward(x, output_size=...), as in PyTorch ------------------------------------------------------------

OUTPUT_SIZE_CASES = [
    # (layer arguments, input shape, output sizes to ask for: every valid one, as (H, W) or (N, C, H, W))
    (dict(in_channels=2, out_channels=3, kernel_size=3, stride=2, padding=1), (2, 2, 4, 5)),
    (dict(in_channels=1, out_channels=2, kernel_size=(2, 3), stride=(3, 2), padding=(0, 1)), (1, 1, 3, 4)),
    (dict(in_channels=2, out_channels=1, kernel_size=3, stride=(2, 1), dilation=2, output_padding=1), (2, 2, 3, 3)),
    (dict(in_channels=3, out_channels=2, kernel_size=1, stride=1), (1, 3, 4, 4)),
]


def _valid_sizes(layer, in_hw):
    low = layer.output_size(in_hw, (0, 0))
    return [(h, w) for h in range(low[0], low[0] + layer.stride[0]) for w in range(low[1], low[1] + layer.stride[1])]


@pytest.mark.torch
@pytest.mark.parametrize("kw, shape", OUTPUT_SIZE_CASES)
def test_output_size_picks_the_output_padding_as_torch(backend, kw, shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    layer = make(kw)
    twin = torch.nn.ConvTranspose2d(**kw, dtype=torch.float64)
    with torch.no_grad():
        twin.weight.copy_(torch.from_numpy(layer.weight.data))
        twin.bias.copy_(torch.from_numpy(layer.bias.data))
    x = rng.standard_normal(shape)
    for size in _valid_sizes(layer, shape[2:]):
        for asked in (size, (shape[0], kw["out_channels"], *size), list(size)):
            y = layer(x, output_size=asked)
            tx = torch.from_numpy(x).requires_grad_(True)
            ty = twin(tx, output_size=list(asked))
            assert y.shape[2:] == size == tuple(ty.shape[2:])
            np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-10, atol=1e-12)
            # backward works after it, with the output padding it used
            g = rng.standard_normal(y.shape)
            layer.zero_grad()
            np.testing.assert_allclose(
                layer.backward(g), torch.autograd.grad(ty, tx, torch.from_numpy(g))[0].numpy(), rtol=1e-10, atol=1e-12
            )
    # and without output_size again: the layer's own output_padding
    assert layer(x).shape == twin(torch.from_numpy(x)).shape


@pytest.mark.parametrize("kw, shape", OUTPUT_SIZE_CASES)
def test_output_size_gradcheck(backend, kw, shape):
    layer = make(kw)
    sizes = _valid_sizes(layer, shape[2:])

    class Sized(nn.Module):  # the layer called with the largest valid size
        def __init__(self):
            self.inner = layer

        def forward(self, x):
            return self.inner(x, output_size=sizes[-1])

        def backward(self, grad):
            return self.inner.backward(grad)

    assert gradcheck(Sized(), np.random.default_rng(12).standard_normal(shape))


@pytest.mark.parametrize(
    "asked, message",
    [
        (
            (10, 10),
            r"requested an output size of \(10, 10\), but valid sizes range from \(7, 7\) to \(8, 8\) "
            r"\(for an input of \(4, 4\)\)",
        ),
        ((6, 7), r"valid sizes range from \(7, 7\) to \(8, 8\)"),
        ((1, 2, 3), r"expected output_size as \(H, W\) or \(N, C, H, W\)"),
        (8, r"expected output_size as \(H, W\) or \(N, C, H, W\)"),
        ((7.0, 8), r"expected output_size"),
    ],
)
def test_output_size_outside_the_valid_range_is_refused(asked, message):
    layer = nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1, dtype=np.float64)
    with pytest.raises(ValueError, match=message):
        layer(np.zeros((1, 1, 4, 4)), output_size=asked)


@pytest.mark.torch
def test_output_size_refused_where_torch_refuses_it():
    torch = pytest.importorskip("torch")
    layer = nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1, dtype=np.float64)
    twin = torch.nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1, dtype=torch.float64)
    x = np.zeros((1, 1, 4, 4))
    for h in range(4, 12):
        try:
            twin(torch.from_numpy(x), output_size=[h, h])
            torch_accepts = True
        except ValueError:
            torch_accepts = False
        if torch_accepts:
            assert layer(x, output_size=(h, h)).shape[2:] == (h, h)
        else:
            with pytest.raises(ValueError, match="valid sizes range"):
                layer(x, output_size=(h, h))


def test_backward_crops_the_extra_rows_when_output_padding_reaches_the_stride(backend):
    # s=1, d=3, a=2, k=2 on a 3x3 input: an 8x8 output, whose convolution has floor(2/1) = 2 rows
    # and columns more than the input; backward returns the input's shape, and gradchecks
    layer = nn.ConvTranspose2d(
        1, 1, 2, stride=1, dilation=3, output_padding=2, dtype=np.float64, rng=np.random.default_rng(0)
    )
    x = np.random.default_rng(1).standard_normal((1, 1, 3, 3))
    assert layer(x).shape == (1, 1, 3 + 3 + 2, 3 + 3 + 2)
    assert layer.backward(np.ones((1, 1, 8, 8))).shape == x.shape
    assert gradcheck(layer, x)


# -- one image, unbatched ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES[:6], ids=case_id)
def test_unbatched_gradcheck(backend, case):
    kw, shape = case
    assert gradcheck(make(kw), np.random.default_rng(1).standard_normal(shape[1:]))


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES[:6], ids=case_id)
def test_unbatched_matches_torch(backend, case, dtype):
    torch = pytest.importorskip("torch")
    kw, shape = case
    x = np.random.default_rng(2).standard_normal(shape[1:]).astype(dtype)
    twin = torch.nn.ConvTranspose2d(**kw, dtype=getattr(torch, np.dtype(dtype).name))
    assert_matches_torch(make(kw, dtype), twin, x)


def test_unbatched_is_a_batch_of_one(backend):
    rng = np.random.default_rng(4)
    layer = make(dict(in_channels=4, out_channels=2, kernel_size=2, stride=2))
    x, g = rng.standard_normal((4, 3, 5)), rng.standard_normal((2, 6, 10))
    y = layer(x)
    assert y.shape == (2, 6, 10)
    assert layer.backward(g).shape == x.shape
    batched = make(dict(in_channels=4, out_channels=2, kernel_size=2, stride=2))
    np.testing.assert_array_equal(batched(x[None])[0], y)
    np.testing.assert_array_equal(batched.backward(g[None])[0], layer.backward(g))
    layer.needs_input_grad = False
    layer(x)
    assert layer.backward(g) is None
    with pytest.raises(ValueError, match=r"gradient of shape \(2, 6, 10\)"):
        layer.backward(g[None])

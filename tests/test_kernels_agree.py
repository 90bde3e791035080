"""The readable NumPy kernels and the fast Numba kernels compute the same thing, on the whole sweep."""

from __future__ import annotations

import numpy as np
import pytest

from conv_cases import assert_close, case_id, conv_cases, maxpool_cases
from scratchae import kernels
from scratchae.arithmetic import conv2d_output_size, maxpool2d_output_size, pair
from scratchae.kernels.numba import activations as fast_activations
from scratchae.kernels.numba import bilinear as fast_bilinear
from scratchae.kernels.numba import conv2d as fast_conv2d
from scratchae.kernels.numba import conv_layout
from scratchae.kernels.numba import maxpool2d as fast_maxpool2d
from scratchae.kernels.numba import upsample as fast_upsample
from scratchae.kernels.reference import activations, bilinear, maxpool2d, upsample
from scratchae.kernels.reference import conv2d as readable_conv2d

DTYPES = [np.float64, np.float32]
RTOL = {np.float64: 1e-12, np.float32: 1e-5}

# the sweep, plus the autoencoders' own shapes (small batch)
CONV_CASES = [
    *conv_cases(24, seed=7),
    (dict(in_channels=1, out_channels=16, kernel_size=3, padding=1), (2, 1, 28, 28)),
    (dict(in_channels=32, out_channels=16, kernel_size=3, padding=1), (2, 32, 14, 14)),
    (dict(in_channels=16, out_channels=32, kernel_size=2, stride=2), (2, 16, 28, 28)),
    (dict(in_channels=8, out_channels=8, kernel_size=3, stride=2), (2, 8, 7, 7)),
    (dict(in_channels=3, out_channels=5, kernel_size=2, stride=2), (3, 3, 10, 6)),
]


def conv_arguments(kw, shape):
    args = [pair(kw.get(k, d)) for k, d in (("stride", 1), ("padding", 0), ("dilation", 1))]
    kernel = pair(kw["kernel_size"])
    out_hw = conv2d_output_size(shape[2:], kernel, *args)
    return kernel, args, out_hw


@pytest.fixture(params=[1, 2], ids=["one thread", "two threads"], autouse=True)
def threads(request):
    """The kernels split the images of a batch between threads: run every case on one and on two."""
    before = kernels.get_num_threads()
    kernels.set_num_threads(request.param)
    yield request.param
    kernels.set_num_threads(before)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CONV_CASES, ids=case_id)
def test_conv2d(case, dtype):
    kw, shape = case
    kernel, args, out_hw = conv_arguments(kw, shape)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    weight = rng.standard_normal((kw["out_channels"], kw["in_channels"], *kernel)).astype(dtype)
    grad_y = rng.standard_normal((shape[0], kw["out_channels"], *out_hw)).astype(dtype)
    rtol = RTOL[dtype]
    assert_close(
        fast_conv2d.conv2d(x, weight, None, *args), readable_conv2d.conv2d(x, weight, None, *args), rtol, "conv2d"
    )
    expected = readable_conv2d.conv2d_input_grad(grad_y, weight, *args, shape[2:])
    assert_close(
        fast_conv2d.conv2d_input_grad(grad_y, weight, *args, shape[2:]),
        expected,
        rtol,
        "conv2d_input_grad (the way that fits)",
    )
    assert_close(
        fast_conv2d.input_grad_by_scatter(grad_y, weight, None, *args, shape[2:]),
        expected,
        rtol,
        "conv2d_input_grad by scatter",
    )
    assert_close(
        fast_conv2d.conv2d_weight_grad(x, grad_y, *args, kernel),
        readable_conv2d.conv2d_weight_grad(x, grad_y, *args, kernel),
        rtol,
        "conv2d_weight_grad",
    )
    # with a bias: added by the forward pass, and by the transposed convolution (the input gradient)
    bias_out = rng.standard_normal(kw["out_channels"]).astype(dtype)
    bias_in = rng.standard_normal(kw["in_channels"]).astype(dtype)
    assert_close(
        fast_conv2d.conv2d(x, weight, bias_out, *args),
        readable_conv2d.conv2d(x, weight, bias_out, *args),
        rtol,
        "conv2d with bias",
    )
    assert_close(
        fast_conv2d.conv_transpose2d(grad_y, weight, bias_in, *args, shape[2:]),
        readable_conv2d.conv_transpose2d(grad_y, weight, bias_in, *args, shape[2:]),
        rtol,
        "conv_transpose2d with bias",
    )
    assert_close(
        fast_conv2d.conv2d_bias_grad(grad_y), readable_conv2d.conv2d_bias_grad(grad_y), rtol, "conv2d_bias_grad"
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize(
    "case", [*maxpool_cases(16, seed=8), (dict(kernel_size=2, padding=0), (2, 32, 28, 28))], ids=case_id
)
def test_maxpool2d(case, ties, dtype):
    kw, shape = case
    kernel = pair(kw["kernel_size"])
    stride, padding = pair(kw.get("stride", kernel)), pair(kw["padding"])
    out_hw = maxpool2d_output_size(shape[2:], kernel, stride, padding)
    rng = np.random.default_rng(1)
    x = (rng.integers(-1, 2, shape) if ties else rng.standard_normal(shape)).astype(dtype)
    y, indices = maxpool2d.max_pool2d(x, kernel, stride, padding, out_hw)
    fast_y, fast_indices = fast_maxpool2d.max_pool2d(x, kernel, stride, padding, out_hw)
    np.testing.assert_array_equal(fast_y, y)
    np.testing.assert_array_equal(fast_indices, indices)
    assert fast_y.dtype == y.dtype == dtype
    grad_y = rng.standard_normal(y.shape).astype(dtype)
    assert_close(
        fast_maxpool2d.max_pool2d_backward(grad_y, indices, shape[2:]),
        maxpool2d.max_pool2d_backward(grad_y, indices, shape[2:]),
        RTOL[dtype],
        "backward",
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize(
    "kw, shape",
    [
        (dict(kernel_size=2), (2, 3, 7, 5)),  # the 2x2 path must step aside
        (dict(kernel_size=3, stride=2, padding=1), (2, 2, 6, 6)),
        (dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 0)), (1, 3, 8, 7)),
        (dict(kernel_size=4, stride=3, padding=2), (2, 1, 5, 9)),
    ],
)
def test_maxpool2d_ceil_mode(kw, shape, ties, dtype):
    kernel = pair(kw["kernel_size"])
    stride, padding = pair(kw.get("stride", kernel)), pair(kw.get("padding", 0))
    out_hw = maxpool2d_output_size(shape[2:], kernel, stride, padding, ceil_mode=True)
    assert out_hw != maxpool2d_output_size(shape[2:], kernel, stride, padding)  # ceil_mode adds a window
    rng = np.random.default_rng(11)
    x = (rng.integers(-1, 2, shape) if ties else rng.standard_normal(shape)).astype(dtype)
    y, indices = maxpool2d.max_pool2d(x, kernel, stride, padding, out_hw)
    fast_y, fast_indices = fast_maxpool2d.max_pool2d(x, kernel, stride, padding, out_hw)
    np.testing.assert_array_equal(fast_y, y)
    np.testing.assert_array_equal(fast_indices, indices)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "in_hw, out_hw, align_corners, scales",
    [
        ((7, 7), (14, 14), False, (2.0, 2.0)),  # the deep autoencoder's factor 2
        ((14, 14), (28, 28), True, (None, None)),
        ((5, 4), (7, 10), False, (1.5, 2.5)),
        ((6, 9), (3, 4), False, (None, None)),  # downsampling
        ((1, 3), (4, 1), True, (None, None)),
        ((4, 4), (4, 9), False, (1.0, 2.3)),  # a copy along the rows
    ],
)
def test_upsample_bilinear(in_hw, out_hw, align_corners, scales, dtype):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((3, 2, *in_hw)).astype(dtype)
    args = (align_corners, scales)
    expected = bilinear.upsample_bilinear(x, out_hw, *args)
    assert_close(fast_bilinear.upsample_bilinear(x, out_hw, *args), expected, RTOL[dtype], "forward")
    grad_y = rng.standard_normal(expected.shape).astype(dtype)
    fast_grad_x = fast_bilinear.upsample_bilinear_backward(grad_y, in_hw, *args)
    assert fast_grad_x.dtype == dtype
    assert_close(fast_grad_x, bilinear.upsample_bilinear_backward(grad_y, in_hw, *args), RTOL[dtype], "backward")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("factor", [(1, 1), (2, 2), (3, 2), (1, 4)])
def test_upsample(factor, dtype):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 5, 4)).astype(dtype)
    np.testing.assert_array_equal(fast_upsample.upsample_nearest(x, factor), upsample.upsample_nearest(x, factor))
    grad_y = rng.standard_normal((2, 3, 5 * factor[0], 4 * factor[1])).astype(dtype)
    assert_close(
        fast_upsample.upsample_nearest_backward(grad_y, factor),
        upsample.upsample_nearest_backward(grad_y, factor),
        RTOL[dtype],
        "backward",
    )


@pytest.mark.parametrize("dtype", DTYPES)
# (2, 3, 5, 4) runs on one thread, (2, 16, 32, 32) image by image on the threads
@pytest.mark.parametrize("shape", [(), (7,), (2, 3, 5, 4), (2, 16, 32, 32)])
def test_relu(shape, dtype):
    assert (np.prod(shape) >= fast_activations.PARALLEL_SIZE) == (shape == (2, 16, 32, 32))
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(dtype)
    if x.size >= 4:
        x.flat[:4] = [np.nan, -np.inf, np.inf, 0.0]
    y, positive = activations.relu(x)
    fast_y, fast_positive = fast_activations.relu(x)
    np.testing.assert_array_equal(fast_y, y)
    np.testing.assert_array_equal(fast_positive, positive)
    assert fast_y.dtype == dtype and fast_y.shape == x.shape
    grad_y = rng.standard_normal(shape).astype(dtype)
    np.testing.assert_array_equal(
        fast_activations.relu_backward(grad_y, positive), activations.relu_backward(grad_y, positive)
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (7,), (2, 3, 5, 4), (3, 784), (2, 16, 32, 32)])
def test_sigmoid(shape, dtype):
    rng = np.random.default_rng(5)
    x = (4 * rng.standard_normal(shape)).astype(dtype)
    if x.size >= 6:
        x.flat[:6] = [np.nan, -np.inf, np.inf, 0.0, -200.0, 200.0]  # limits, and underflow to 0
    y, fast_y = activations.sigmoid(x), fast_activations.sigmoid(x)
    assert fast_y.dtype == dtype and fast_y.shape == x.shape
    assert_close(fast_y, y, RTOL[dtype], "forward")
    grad_y = rng.standard_normal(shape).astype(dtype)
    assert_close(
        fast_activations.sigmoid_backward(grad_y, y), activations.sigmoid_backward(grad_y, y), RTOL[dtype], "backward"
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_adam_update_gives_the_same_bits(dtype):
    from scratchae.kernels.numba import adam as fast_adam
    from scratchae.kernels.reference import adam

    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal((3, 5)).astype(dtype) for _ in range(3)]
    arrays.append(rng.random((3, 5)).astype(dtype))  # exp_avg_sq >= 0
    ours, theirs = [a.copy() for a in arrays], [a.copy() for a in arrays]
    for _ in range(3):
        fast_adam.adam_update(*ours, 1e-3 / 0.1, 0.03, 0.9, 0.999, 1e-8)
        adam.adam_update(*theirs, 1e-3 / 0.1, 0.03, 0.9, 0.999, 1e-8)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == dtype
    assert not np.array_equal(ours[0], arrays[0])  # the parameter moved


def test_transposed_2x2_gather_is_taken_and_its_tap_order_matters(monkeypatch):
    # The autoencoders' transposed convolutions (kernel 2, stride 2) go through conv2d_groups as a 1x1
    # convolution whose four output planes per channel are interleaved (MERGE_2X2), which must agree
    # with the reference; the same kernel given the rows of phases (0, 1) and (1, 0) exchanged must not:
    # the comparison would catch a wrong phase order.
    from scratchae.kernels.numba.conv_epilogue import MERGE_2X2

    rng = np.random.default_rng(10)
    grad_y, weight, bias = rng.standard_normal((3, 6, 5, 4)), rng.standard_normal((6, 7, 2, 2)), rng.standard_normal(7)
    args = ((2, 2), (0, 0), (1, 1))
    expected = readable_conv2d.conv_transpose2d(grad_y, weight, bias, *args, (10, 8))
    calls = []
    real = fast_conv2d.conv2d_groups
    monkeypatch.setattr(fast_conv2d, "conv2d_groups", lambda *a: calls.append(a) or real(*a))
    assert_close(fast_conv2d.conv_transpose2d(grad_y, weight, bias, *args, (10, 8)), expected, 1e-12, "2x2 gather")
    assert len(calls) == 1 and calls[0][16] == MERGE_2X2
    arguments = list(calls[0])
    weights = arguments[6].copy()  # rows (c, a, b): 4c + 2a + b
    weights[1::4], weights[2::4] = arguments[6][2::4], arguments[6][1::4]
    arguments[6], arguments[17] = weights, np.empty_like(expected)
    real(*arguments)
    assert not np.allclose(arguments[17], expected)


def test_conv2d_scratch_arrays_never_leak_between_geometries():
    # Two layers whose widened gradients have the same shape, (2, 36), but different valid pixels: 4x4
    # outputs of a 3x3 kernel and 6x6 outputs of a 1x1 kernel, both on 6x6 planes. The 6x6 layer writes
    # where the 4x4 layer needs zeros; the workspace must not hand it the same array.
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1, 3, 6, 6))
    one = ((1, 1), (0, 0), (1, 1))
    for kernel in [(3, 3), (1, 1), (3, 3)]:
        out_hw = (7 - kernel[0], 7 - kernel[1])
        grad_y = rng.standard_normal((1, 2, *out_hw))
        assert_close(
            fast_conv2d.conv2d_weight_grad(x, grad_y, *one, kernel),
            readable_conv2d.conv2d_weight_grad(x, grad_y, *one, kernel),
            1e-12,
            f"weight_grad {kernel}",
        )
        weight = rng.standard_normal((2, 3, *kernel))
        in_hw = (2 * (out_hw[0] - 1) + kernel[0], 2 * (out_hw[1] - 1) + kernel[1])  # stride 2
        assert_close(
            fast_conv2d.conv2d_input_grad(grad_y, weight, (2, 2), (0, 0), (1, 1), in_hw),
            readable_conv2d.conv2d_input_grad(grad_y, weight, (2, 2), (0, 0), (1, 1), in_hw),
            1e-12,
            f"input_grad {kernel}",
        )


def test_conv2d_scratch_phases_never_leak_between_strides():
    # strides (1, 2) and (2, 1) on a padded 5x5 input give phase arrays of the same shape, (C + 1, 2, N * 28),
    # with the padding in different places: they must not share a scratch array
    rng = np.random.default_rng(11)
    x, weight = rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((4, 3, 3, 3))
    for stride in [(1, 2), (2, 1), (1, 2)]:
        args = (stride, (1, 1), (1, 1))
        assert_close(
            fast_conv2d.conv2d(x, weight, None, *args),
            readable_conv2d.conv2d(x, weight, None, *args),
            1e-12,
            f"conv2d, stride {stride}",
        )


def test_conv2d_weight_grad_reuses_the_split_of_the_forward_pass_just_before(monkeypatch):
    # The forward pass splits x into phases inside its kernel; a weight gradient splits again (to_phases)
    # only when the scratch array no longer holds the split of x.
    rng = np.random.default_rng(7)
    args = ((1, 1), (1, 1), (1, 1))
    x, weight = rng.standard_normal((3, 4, 6, 6)), rng.standard_normal((5, 4, 3, 3))
    grad_y = rng.standard_normal((3, 5, 6, 6))
    expected = readable_conv2d.conv2d_weight_grad(x, grad_y, *args, (3, 3))
    splits = []
    real = conv_layout.to_phases
    monkeypatch.setattr(conv_layout, "to_phases", lambda a, *g: splits.append(a) or real(a, *g))
    fast_conv2d.conv2d(x, weight, None, *args)
    assert_close(fast_conv2d.conv2d_weight_grad(x, grad_y, *args, (3, 3)), expected, 1e-12, "weight_grad after forward")
    assert splits == []  # the forward's split, reused
    # used once only: a second weight gradient splits again
    assert_close(fast_conv2d.conv2d_weight_grad(x, grad_y, *args, (3, 3)), expected, 1e-12, "split again")
    assert len(splits) == 1 and splits[0] is x
    # a split of another shape in between (another layer) goes to another scratch array: still reused
    fast_conv2d.conv2d(x, weight, None, *args)
    narrow = rng.standard_normal((3, 2, 6, 6))
    fast_conv2d.conv2d(narrow, weight[:, :2], None, *args)
    assert_close(fast_conv2d.conv2d_weight_grad(x, grad_y, *args, (3, 3)), expected, 1e-12, "after another layer")
    assert len(splits) == 1


def test_conv2d_split_reuse_never_serves_another_array_or_a_refilled_one():
    rng = np.random.default_rng(8)
    args = ((1, 1), (1, 1), (1, 1))
    weight, grad_y = rng.standard_normal((5, 4, 3, 3)), rng.standard_normal((3, 5, 6, 6))
    x, other = rng.standard_normal((3, 4, 6, 6)), rng.standard_normal((3, 4, 6, 6))
    # another array of the same geometry: its own split
    fast_conv2d.conv2d(x, weight, None, *args)
    assert_close(
        fast_conv2d.conv2d_weight_grad(other, grad_y, *args, (3, 3)),
        readable_conv2d.conv2d_weight_grad(other, grad_y, *args, (3, 3)),
        1e-12,
        "another array",
    )
    # another split in between (a second layer's forward pass): not the phases of x any more
    fast_conv2d.conv2d(x, weight, None, *args)
    fast_conv2d.conv2d(other, weight, None, *args)
    assert_close(
        fast_conv2d.conv2d_weight_grad(x, grad_y, *args, (3, 3)),
        readable_conv2d.conv2d_weight_grad(x, grad_y, *args, (3, 3)),
        1e-12,
        "a split in between",
    )
    # a batch buffer refilled between two forward passes (say, evaluation): a forward pass never
    # reuses a split
    buffer = x.copy()
    fast_conv2d.conv2d(buffer, weight, None, *args)
    buffer[:] = other
    assert_close(
        fast_conv2d.conv2d(buffer, weight, None, *args),
        readable_conv2d.conv2d(other, weight, None, *args),
        1e-12,
        "refilled buffer",
    )


def test_conv_transpose_backward_splits_its_output_gradient_once(monkeypatch):
    # its input gradient (a strided convolution of grad_y) splits grad_y inside its kernel; the weight
    # gradient then reuses that split instead of splitting again
    from scratchae import nn

    rng = np.random.default_rng(9)
    layer = nn.ConvTranspose2d(4, 6, 2, stride=2, dtype=np.float64, rng=rng)
    x = rng.standard_normal((3, 4, 5, 5))
    grad_y = rng.standard_normal((3, 6, 10, 10))
    with kernels.use_backend("reference"):
        layer(x)
        expected_x = layer.backward(grad_y)
        expected_w = layer.weight.grad.copy()
    layer.zero_grad()
    splits = []
    real = conv_layout.to_phases
    monkeypatch.setattr(conv_layout, "to_phases", lambda a, *g: splits.append(a) or real(a, *g))
    layer(x)
    assert_close(layer.backward(grad_y), expected_x, 1e-12, "input gradient")
    assert_close(layer.weight.grad, expected_w, 1e-12, "weight gradient")
    assert splits == []

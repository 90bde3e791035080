"""The four views of transposed convolution agree with each other, with scratchae.nn and with PyTorch."""

import numpy as np
import pytest

from scratchae import transposed_views as tv
from scratchae.arithmetic import conv_output_length, conv_transpose_output_length, pair

VIEWS = {
    "scatter": tv.scatter,
    "matrix": tv.conv_transpose2d_by_matrix,
    "gradient": tv.as_input_gradient,
    "zero_insertion": tv.zero_insertion,
}


def random_case(seed):
    """A random transposed convolution: sizes, hyper-parameters (per axis) and float64 arrays."""
    rng = np.random.default_rng(seed)
    while True:
        n, c_in, c_out = rng.integers(1, 4, 3)
        h, w = rng.integers(1, 7, 2)
        kernel = tuple(int(k) for k in rng.integers(1, 5, 2))  # often rectangular
        stride = tuple(int(s) for s in rng.integers(1, 4, 2))
        dilation = tuple(int(d) for d in rng.integers(1, 3, 2))
        padding = tuple(int(p) for p in rng.integers(0, 3, 2))
        output_padding = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation, strict=True))
        size = [
            conv_transpose_output_length(*args)
            for args in zip((h, w), kernel, stride, padding, output_padding, dilation, strict=True)
        ]
        if min(size) >= 1:
            break
    args = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    x = rng.standard_normal((n, c_in, h, w))
    weight = rng.standard_normal((c_in, c_out, *kernel))
    bias = rng.standard_normal(c_out)
    return x, weight, bias, args


# Hand-picked corners, then a seeded random sweep.
SPECIAL = [
    # (input shape, weight shape, stride, padding, output_padding, dilation)
    ((1, 1, 2, 2), (1, 1, 3, 3), 2, 0, 0, 1),  # the small example of the doc
    ((2, 3, 4, 5), (3, 2, 3, 3), 2, 1, 1, 1),  # the usual "double the size" decoder layer
    ((2, 4, 7, 7), (4, 16, 2, 2), 2, 0, 0, 1),  # t_conv1 of the convolutional autoencoder
    ((1, 8, 3, 3), (8, 8, 3, 3), 2, 0, 0, 1),  # t_conv1 of the denoising autoencoder
    ((1, 2, 3, 4), (2, 3, 2, 3), (1, 3), (0, 2), (0, 2), (2, 1)),  # rectangular everything
    ((1, 1, 4, 4), (1, 1, 3, 3), 1, 2, 1, 2),  # output_padding >= stride (dilation 2)
    ((1, 2, 5, 5), (2, 1, 2, 2), 1, 1, 0, 1),  # padding > dilation*(k-1): crops
]


def special_case(i):
    xs, ws, stride, padding, output_padding, dilation = SPECIAL[i]
    rng = np.random.default_rng(100 + i)
    args = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    return rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[1]), args


CASES = [("special", i) for i in range(len(SPECIAL))] + [("random", seed) for seed in range(40)]


def make(case):
    kind, i = case
    return special_case(i) if kind == "special" else random_case(i)


def case_id(case):
    return f"{case[0]}{case[1]}"


def expected_shape(x, weight, args):
    size = tuple(
        conv_transpose_output_length(
            x.shape[2 + a],
            weight.shape[2 + a],
            *(pair(args[k], k)[a] for k in ("stride", "padding", "output_padding", "dilation")),
        )
        for a in range(2)
    )
    return (x.shape[0], weight.shape[1], *size)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_four_views_agree(case):
    x, weight, bias, args = make(case)
    reference = tv.scatter(x, weight, bias, **args)
    assert reference.shape == expected_shape(x, weight, args)
    for name, view in VIEWS.items():
        np.testing.assert_allclose(
            view(x, weight, bias, **args),
            reference,
            rtol=1e-10,
            atol=1e-10,
            err_msg=f"view {name} disagrees with scatter for {args}",
        )


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_views_match_torch_conv_transpose2d(case):
    torch = pytest.importorskip("torch")
    x, weight, bias, args = make(case)
    expected = torch.nn.functional.conv_transpose2d(
        torch.from_numpy(x), torch.from_numpy(weight), torch.from_numpy(bias), **args
    ).numpy()
    for name, view in VIEWS.items():
        np.testing.assert_allclose(
            view(x, weight, bias, **args),
            expected,
            rtol=1e-10,
            atol=1e-10,
            err_msg=f"view {name} disagrees with PyTorch for {args}",
        )


@pytest.mark.torch
@pytest.mark.parametrize("seed", range(15))
def test_conv2d_and_its_matrix_match_torch(seed):
    torch = pytest.importorskip("torch")
    x, weight, _, args = random_case(seed)  # (the transposed convolution's bias is not used here)
    conv_args = {k: args[k] for k in ("stride", "padding", "dilation")}
    conv_weight = weight  # (C_in_t, C_out_t, ...) read as (C_out, C_in, ...)
    conv_bias = np.random.default_rng(seed).standard_normal(weight.shape[0])
    z = np.random.default_rng(seed).standard_normal((x.shape[0], weight.shape[1], 6, 7))
    try:
        expected = torch.nn.functional.conv2d(
            torch.from_numpy(z), torch.from_numpy(conv_weight), torch.from_numpy(conv_bias), **conv_args
        ).numpy()
    except RuntimeError:  # kernel larger than the padded input: no output
        with pytest.raises(ValueError, match="kernel larger than the padded input"):
            tv.conv2d(z, conv_weight, conv_bias, **conv_args)
        return
    np.testing.assert_allclose(tv.conv2d(z, conv_weight, conv_bias, **conv_args), expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(
        tv.conv2d_by_matrix(z, conv_weight, conv_bias, **conv_args), expected, rtol=1e-10, atol=1e-10
    )


@pytest.mark.parametrize("seed", range(20))
def test_adjointness(seed):
    """<conv2d(x), y> = <x, conv_transpose2d(y)> for every view, with the same weight array."""
    sample, weight, _, args = random_case(seed)
    conv_args = {k: args[k] for k in ("stride", "padding", "dilation")}
    rng = np.random.default_rng(seed + 1000)
    x = rng.standard_normal(expected_shape(sample, weight, args))  # a convolution input ...
    y = rng.standard_normal(tv.conv2d(x, weight, **conv_args).shape)  # ... and a convolution output
    for name, view in VIEWS.items():
        left, right = tv.adjoint_inner_products(x, y, weight, conv_transpose=view, **conv_args)
        assert left == pytest.approx(right, rel=1e-10, abs=1e-10), name
    # and a wrong transpose (kernel not flipped) breaks it, so the check can fail
    if not np.allclose(weight, weight[:, :, ::-1, ::-1]):

        def unflipped(y_, w_, b_, *a):
            return tv.scatter(y_, w_[:, :, ::-1, ::-1].copy(), b_, *a)

        left, right = tv.adjoint_inner_products(x, y, weight, conv_transpose=unflipped, **conv_args)
        assert left != pytest.approx(right, rel=1e-6)


def test_conv_matrix_is_the_jacobian_of_conv2d():
    rng = np.random.default_rng(3)
    weight = rng.standard_normal((2, 3, 3, 2))
    matrix = tv.conv_matrix(weight, (5, 4), stride=(2, 1), padding=(1, 0), dilation=(1, 2))
    jacobian = (
        tv.conv2d(np.eye(3 * 5 * 4).reshape(-1, 3, 5, 4), weight, stride=(2, 1), padding=(1, 0), dilation=(1, 2))
        .reshape(3 * 5 * 4, -1)
        .T
    )
    np.testing.assert_array_equal(matrix, jacobian)
    # every row holds each kernel tap at most once: no more non-zeros than the kernel has
    assert (np.count_nonzero(matrix, axis=1) <= weight[0].size).all()


@pytest.mark.parametrize("seed", range(10))
def test_convolution_is_the_input_gradient_of_the_transposed_convolution(seed):
    """The 'vice versa' of the gradient view: conv2d is the backward of conv_transpose2d."""
    y, weight, _, args = random_case(seed)
    h, w = y.shape[2:]
    g = np.random.default_rng(seed).standard_normal(expected_shape(y, weight, args))
    conv_args = {k: args[k] for k in ("stride", "padding", "dilation")}
    grad = tv.input_gradient(lambda v: tv.scatter(v, weight, None, **args), y.shape, g)
    np.testing.assert_allclose(grad, tv.conv2d(g, weight, **conv_args)[:, :, :h, :w], rtol=1e-10, atol=1e-10)


def test_output_padding_picks_one_of_the_sizes_that_convolve_alike():
    # conv with k=3, s=2, p=1 sends both 7 and 8 to 4 ...
    assert conv_output_length(7, 3, 2, 1) == conv_output_length(8, 3, 2, 1) == 4
    # ... so the transposed convolution of 4 needs output_padding to choose
    assert tv.output_padding_for(4, 7, 3, 2, 1) == (0, 0)
    assert tv.output_padding_for(4, 8, 3, 2, 1) == (1, 1)
    with pytest.raises(ValueError, match=r"can return sizes 7\.\.8"):
        tv.output_padding_for(4, 9, 3, 2, 1)


def test_zero_insertion_steps_have_the_documented_sizes():
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    stuffed = tv.insert_zeros(x, 2)
    assert stuffed.shape == (1, 1, 5, 5)
    np.testing.assert_array_equal(stuffed[0, 0, ::2, ::2], x[0, 0])
    assert np.count_nonzero(stuffed) == 9
    padded = tv.pad_for_transpose(stuffed, 3, padding=1, output_padding=1)  # 3 - 1 - 1 = 1 each side
    assert padded.shape == (1, 1, 5 + 1 + 2, 5 + 1 + 2)
    cropped = tv.pad_for_transpose(stuffed, 2, padding=2)  # 2 - 1 - 2 = -1: crops
    np.testing.assert_array_equal(cropped, stuffed[:, :, 1:-1, 1:-1])
    weight = np.arange(12.0).reshape(1, 2, 2, 3)
    swapped = tv.flip_and_swap(weight)
    assert swapped.shape == (2, 1, 2, 3)
    np.testing.assert_array_equal(swapped[1, 0], weight[0, 1][::-1, ::-1])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: tv.scatter(np.ones((1, 2, 3, 3)), np.ones((3, 1, 2, 2))), "expected 3 input channels"),
        (
            lambda: tv.scatter(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), stride=2, output_padding=2),
            "output_padding smaller than stride or dilation",
        ),
        (lambda: tv.zero_insertion(np.ones((1, 1, 1, 1)), np.ones((1, 1, 2, 2)), padding=1), "is not positive"),
        (lambda: tv.conv2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3))), "kernel larger than the padded input"),
        (lambda: tv.conv2d(np.ones((2, 2)), np.ones((1, 1, 3, 3))), "4-D input"),
        (lambda: tv.scatter(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), stride=0), "stride >= 1"),
    ],
)
def test_bad_arguments_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_dtype_is_kept():
    x = np.ones((1, 1, 2, 2), dtype=np.float32)
    weight = np.ones((1, 1, 2, 2), dtype=np.float32)
    for name, view in VIEWS.items():
        assert view(x, weight, None, stride=2).dtype == np.float32, name


# -- against the layers of scratchae.nn (the conv branch) ----------------------------------------------


def layer_class(name):
    from scratchae import nn

    if not hasattr(nn, name):
        pytest.skip(f"scratchae.nn.{name} does not exist yet")
    return getattr(nn, name)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_views_match_nn_conv_transpose2d(case):
    ConvTranspose2d = layer_class("ConvTranspose2d")
    x, weight, bias, args = make(case)
    layer = ConvTranspose2d(weight.shape[0], weight.shape[1], weight.shape[2:], **args, dtype=np.float64)
    layer.weight.data[...] = weight
    layer.bias.data[...] = bias
    out = layer(x)
    np.testing.assert_allclose(out, tv.scatter(x, weight, bias, **args), rtol=1e-10, atol=1e-10)
    # its backward with respect to the input is a convolution with the same weight (view 3, reversed)
    g = np.random.default_rng(0).standard_normal(out.shape)
    conv_args = {k: args[k] for k in ("stride", "padding", "dilation")}
    np.testing.assert_allclose(
        layer.backward(g), tv.conv2d(g, weight, **conv_args)[:, :, : x.shape[2], : x.shape[3]], rtol=1e-10, atol=1e-10
    )


@pytest.mark.parametrize("seed", range(15))
def test_nn_conv2d_backward_is_a_transposed_convolution(seed):
    Conv2d = layer_class("Conv2d")
    y, weight, _, args = random_case(seed)
    conv_args = {k: args[k] for k in ("stride", "padding", "dilation")}
    x = np.random.default_rng(seed).standard_normal(expected_shape(y, weight, args))
    layer = Conv2d(weight.shape[1], weight.shape[0], weight.shape[2:], **conv_args, dtype=np.float64)
    layer.weight.data[...] = weight
    layer.bias.data[...] = 0
    out = layer(x)
    np.testing.assert_allclose(out, tv.conv2d(x, weight, **conv_args), rtol=1e-10, atol=1e-10)
    g = np.random.default_rng(seed + 1).standard_normal(out.shape)
    op = tv.output_padding_for(out.shape[2:], x.shape[2:], weight.shape[2:], **conv_args)
    grad_x = layer.backward(g)
    for name, view in VIEWS.items():
        np.testing.assert_allclose(
            grad_x, view(g, weight, None, output_padding=op, **conv_args), rtol=1e-10, atol=1e-10, err_msg=name
        )


@pytest.mark.parametrize("seed", range(20))
def test_size_functions_match_scratchae_arithmetic(seed):
    """The views' one-axis formulas and the library's output-size functions are the same arithmetic."""
    arithmetic = pytest.importorskip("scratchae.arithmetic")
    x, weight, _, args = random_case(seed)
    kernel = weight.shape[2:]
    expected = expected_shape(x, weight, args)[2:]
    assert arithmetic.conv_transpose2d_output_size(x.shape[2:], kernel, **args) == expected
    conv_args = {k: args[k] for k in ("stride", "padding", "dilation")}
    assert arithmetic.conv2d_output_size(expected, kernel, **conv_args) == tuple(
        conv_output_length(expected[a], kernel[a], *(pair(conv_args[k], k)[a] for k in conv_args)) for a in range(2)
    )

"""Property-based tests of the convolution family: Conv2d, ConvTranspose2d, MaxPool2d, Upsample (hypothesis).

For random configurations and input sizes (1x1 images, batch 1, empty batches included):

- a configuration PyTorch accepts runs forward and backward here with the shapes of
  :mod:`scratchae.arithmetic`, the same values under both kernel backends, and the same values for any
  memory layout of the input (strided, reversed, read-only, broadcast); neither pass modifies its input;
- a configuration PyTorch refuses raises a ValueError (or TypeError) here, never an IndexError or an
  error from inside NumPy or Numba;
- NaN in the input propagates (MaxPool2d: a NaN in a window wins, as in PyTorch).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memory_layouts import FLOAT_DTYPES, in_layout, layouts, random_array, refused_dtypes
from scratchae import kernels, nn
from scratchae.arithmetic import (
    conv2d_output_size,
    conv_transpose2d_output_size,
    maxpool2d_output_size,
    upsample_output_size,
)

SETTINGS = settings(max_examples=40, deadline=None)
TOL = {np.float32: 1e-4, np.float64: 1e-10}


def pair_or_int(low, high):
    ints = st.integers(low, high)
    return st.one_of(ints, st.tuples(ints, ints))


@st.composite
def conv_configs(draw, transposed=False):
    padding = pair_or_int(0, 3) if transposed else st.one_of(pair_or_int(0, 3), st.sampled_from(["same", "valid"]))
    kw = dict(
        in_channels=draw(st.integers(1, 3)),
        out_channels=draw(st.integers(1, 3)),
        kernel_size=draw(pair_or_int(1, 4)),
        stride=draw(pair_or_int(1, 3)),
        padding=draw(padding),
        dilation=draw(pair_or_int(1, 3)),
        bias=draw(st.booleans()),
    )
    if transposed:
        kw["output_padding"] = draw(pair_or_int(0, 2))
    return kw


@st.composite
def images(draw, channels=None):
    """(dtype, input array, layout) for N in {0, 1, 2}, C channels, H and W in 1..7 (1x1 included)."""
    dtype = draw(FLOAT_DTYPES)
    c = channels if channels is not None else draw(st.integers(1, 3))
    shape = (draw(st.sampled_from([0, 1, 2])), c, draw(st.integers(1, 7)), draw(st.integers(1, 7)))
    return dtype, random_array(draw, shape, dtype), draw(layouts)


def torch_shape(torch, make_layer, shape):
    """The output shape PyTorch gives for an input of ``shape``, or None if it refuses the configuration.

    Asked with a batch of at least one image: PyTorch skips some checks on empty batches (it accepts an
    output_padding >= stride for them), while a configuration here is valid or not whatever the batch.
    An output with 0 rows or columns counts as refused: PyTorch returns one from ConvTranspose2d, which
    refuses it here.
    """
    try:
        layer = make_layer()
        with torch.no_grad():
            out = tuple(layer(torch.zeros((max(shape[0], 1), *shape[1:]))).shape[1:])
    except (RuntimeError, ValueError, TypeError):
        return None
    return (shape[0], *out) if min(out) > 0 else None


def both_backends(make_layer, x, grad_for):
    """Forward and backward under each backend, on the given layout and on a contiguous copy.

    Returns the results of the reference backend on ``x`` after checking that the other three runs agree,
    that nothing modified ``x``, and that every output has ``x``'s dtype.
    """
    x_before = x.copy()
    runs = []
    for backend in kernels.BACKENDS:
        for data in (x, np.ascontiguousarray(x)):
            with kernels.use_backend(backend):
                layer = make_layer()
                y = layer(data)
                g = grad_for(y.shape)
                gx = layer.backward(g)
            assert y.dtype == gx.dtype == x.dtype and gx.shape == x.shape
            runs.append((y, gx, [p.grad for p in layer.parameters()]))
    np.testing.assert_array_equal(x, x_before)
    tol = TOL[x.dtype.type]
    for y, gx, grads in runs[1:]:
        np.testing.assert_allclose(y, runs[0][0], rtol=tol, atol=tol, equal_nan=True)
        np.testing.assert_allclose(gx, runs[0][1], rtol=tol, atol=tol, equal_nan=True)
        for a, b in zip(grads, runs[0][2], strict=True):
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol, equal_nan=True)
    return runs[0]


def upstream(dtype, seed=0):
    return lambda shape: np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# -- Conv2d / ConvTranspose2d ----------------------------------------------------------------------


@SETTINGS
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@given(conv_configs(), st.data())
def test_conv2d_valid_configs_match_arithmetic_and_backends(kw, data):
    torch = pytest.importorskip("torch")
    dtype, x, layout = data.draw(images(kw["in_channels"]))
    x = in_layout(x, layout)
    expected = torch_shape(torch, lambda: torch.nn.Conv2d(**kw), x.shape)

    def make():
        return nn.Conv2d(**kw, dtype=dtype, rng=np.random.default_rng(0))

    if expected is None:
        with pytest.raises(ValueError, match=r"Conv2d(\(.*(kernel larger than the padded input|expected)|: padd)"):
            make()(x)
        return
    y, _, _ = both_backends(make, x, upstream(dtype))
    if isinstance(kw["padding"], str):  # 'valid' is no padding; 'same' keeps the size (stride 1)
        h, w = (
            x.shape[2:]
            if kw["padding"] == "same"
            else conv2d_output_size(x.shape[2:], kw["kernel_size"], kw["stride"], 0, kw["dilation"])
        )
    else:
        h, w = conv2d_output_size(x.shape[2:], kw["kernel_size"], kw["stride"], kw["padding"], kw["dilation"])
    assert y.shape == expected == (x.shape[0], kw["out_channels"], h, w)


@SETTINGS
@given(conv_configs(transposed=True), st.data())
def test_conv_transpose2d_valid_configs_match_arithmetic_and_backends(kw, data):
    torch = pytest.importorskip("torch")
    dtype, x, layout = data.draw(images(kw["in_channels"]))
    x = in_layout(x, layout)
    expected = torch_shape(torch, lambda: torch.nn.ConvTranspose2d(**kw), x.shape)

    def make():
        return nn.ConvTranspose2d(**kw, dtype=dtype, rng=np.random.default_rng(0))

    if expected is None:
        with pytest.raises(ValueError, match="ConvTranspose2d"):
            make()(x)
        return
    y, _, _ = both_backends(make, x, upstream(dtype))
    h, w = conv_transpose2d_output_size(
        x.shape[2:], kw["kernel_size"], kw["stride"], kw["padding"], kw["output_padding"], kw["dilation"]
    )
    assert y.shape == expected == (x.shape[0], kw["out_channels"], h, w)


# -- MaxPool2d / Upsample --------------------------------------------------------------------------


@st.composite
def maxpool_configs(draw):
    kw = dict(kernel_size=draw(pair_or_int(1, 4)), padding=draw(pair_or_int(0, 2)), ceil_mode=draw(st.booleans()))
    if draw(st.booleans()):
        kw["stride"] = draw(pair_or_int(1, 3))
    return kw


@SETTINGS
@given(maxpool_configs(), images(), st.booleans())
def test_maxpool2d_valid_configs_match_arithmetic_and_backends(kw, image, with_nan):
    torch = pytest.importorskip("torch")
    dtype, x, layout = image
    if with_nan and x.size:
        x = x.copy()
        x.flat[x.size // 2] = np.nan
    x = in_layout(x, layout)
    expected = torch_shape(torch, lambda: torch.nn.MaxPool2d(**kw), x.shape)
    if expected is None:
        with pytest.raises(ValueError, match="MaxPool2d"):
            nn.MaxPool2d(**kw)(x)
        return
    y, _, _ = both_backends(lambda: nn.MaxPool2d(**kw), x, upstream(dtype))
    h, w = maxpool2d_output_size(x.shape[2:], kw["kernel_size"], kw.get("stride"), kw["padding"], kw["ceil_mode"])
    assert y.shape == expected == (*x.shape[:2], h, w)
    with torch.no_grad():  # a NaN in a window wins, as in PyTorch
        np.testing.assert_array_equal(np.isnan(y), torch.nn.MaxPool2d(**kw)(torch.from_numpy(np.array(x))).isnan())


@SETTINGS
@given(
    st.one_of(
        st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)), st.sampled_from([2.0, 1.5, 0, -1, (2, 0)])
    ),
    images(),
)
def test_upsample_valid_factors_match_arithmetic_and_backends(factor, image):
    dtype, x, layout = image
    x = in_layout(x, layout)
    integer = all(float(f).is_integer() and f >= 1 for f in np.atleast_1d(factor))
    if not integer:
        with pytest.raises(ValueError, match="Upsample"):
            nn.Upsample(scale_factor=factor)
        return
    y, _, _ = both_backends(lambda: nn.Upsample(scale_factor=factor), x, upstream(dtype))
    fh, fw = (int(f) for f in np.broadcast_to(factor, 2))
    assert y.shape == x.shape[:2] + upsample_output_size(x.shape[2:], (fh, fw))
    np.testing.assert_array_equal(y[:, :, ::fh, ::fw], x)  # every block starts with its input pixel


@SETTINGS
@given(
    st.one_of(
        st.floats(0.2, 3.5),
        st.tuples(st.floats(0.2, 3.5), st.floats(0.2, 3.5)),
        st.tuples(st.integers(1, 9), st.integers(1, 9)),
    ),
    st.booleans(),
    images(),
)
def test_bilinear_upsample_valid_sizes_match_pytorch_and_backends(factor_or_size, align_corners, image):
    torch = pytest.importorskip("torch")
    dtype, x, layout = image
    x = in_layout(x, layout)
    kw = dict(mode="bilinear", align_corners=align_corners)
    kw["size" if isinstance(factor_or_size, tuple) and isinstance(factor_or_size[0], int) else "scale_factor"] = (
        factor_or_size
    )
    expected = torch_shape(torch, lambda: torch.nn.Upsample(**kw), x.shape)
    if expected is None:
        with pytest.raises(ValueError, match="Upsample"):
            nn.Upsample(**kw)(x)
        return
    y, _, _ = both_backends(lambda: nn.Upsample(**kw), x, upstream(dtype))
    assert y.shape == expected


# -- every layer: inputs it refuses ----------------------------------------------------------------


def conv_family():
    return [
        nn.Conv2d(2, 3, 3, padding=1),
        nn.ConvTranspose2d(2, 3, 3, stride=2),
        nn.MaxPool2d(2),
        nn.Upsample(scale_factor=2),
    ]


@pytest.mark.parametrize("layer", conv_family(), ids=lambda m: type(m).__name__)
@SETTINGS
@given(refused_dtypes, st.sampled_from([(1, 2, 4, 4, 1), (2,), (4, 4)]))
def test_conv_family_refuses_bad_inputs(layer, dtype, wrong_rank):
    name = type(layer).__name__
    with pytest.raises(TypeError, match=f"{name}.*float32 or float64"):
        layer(np.zeros((1, 2, 4, 4), dtype))
    with pytest.raises(TypeError, match=f"{name}.*float32 or float64"):
        layer(np.zeros((2, 4, 4), dtype))
    with pytest.raises(ValueError, match=rf"{name}.*4-D (\(N, C, H, W\) )?input"):
        layer(np.zeros(wrong_rank, np.float32))
    if isinstance(layer, nn.Upsample):  # PyTorch reads (C, H, W) as (N, C, L) here: refused
        with pytest.raises(ValueError, match=r"reads a 3-D input as \(N, C, L\)"):
            layer(np.zeros((2, 4, 4), np.float32))
    else:  # one image, as PyTorch
        assert layer(np.zeros((2, 4, 4), np.float32)).ndim == 3
    with pytest.raises(TypeError, match=r"numpy\.ndarray"):
        layer(np.zeros((1, 2, 4, 4)).tolist())


@pytest.mark.parametrize("layer", conv_family(), ids=lambda m: type(m).__name__)
def test_conv_family_backward_errors(layer):
    name = type(layer).__name__
    with pytest.raises(RuntimeError, match=f"{name}.backward called before forward"):
        layer.backward(np.zeros((1, 2, 4, 4), np.float32))
    y = layer(np.zeros((1, 2, 4, 4), np.float32))
    with pytest.raises(ValueError, match=rf"{name}.*backward expected a gradient of shape"):
        layer.backward(np.zeros((*y.shape[:3], y.shape[3] + 1), np.float32))
    with pytest.raises(TypeError, match=rf"{name}.*backward expected a float32 gradient"):
        layer.backward(np.zeros(y.shape, np.float64))


@pytest.mark.parametrize(
    "make", [lambda: nn.Conv2d(2, 3, 3), lambda: nn.ConvTranspose2d(2, 3, 3)], ids=["Conv2d", "ConvTranspose2d"]
)
def test_channel_mismatch_names_both_counts(make):
    with pytest.raises(ValueError, match=r"expected 2 channels, got 5"):
        make()(np.zeros((1, 5, 6, 6), np.float32))


@pytest.mark.parametrize(
    "kw",
    [
        dict(kernel_size=0),
        dict(kernel_size=2, stride=0),
        dict(kernel_size=2, padding=-1),
        dict(kernel_size=2, dilation=0),
        dict(kernel_size=(2, 2, 2)),
        dict(kernel_size=2.0),
        dict(kernel_size=2, groups=2),
        dict(kernel_size="3"),
    ],
)
@pytest.mark.parametrize("kind", [nn.Conv2d, nn.ConvTranspose2d])
def test_bad_conv_arguments_raise_documented_errors(kind, kw):
    with pytest.raises((ValueError, TypeError), match=kind.__name__):
        kind(2, 2, **kw)


@pytest.mark.parametrize("layer", conv_family(), ids=lambda m: type(m).__name__)
@pytest.mark.parametrize("shape", [(1, 2, 0, 4), (2, 2, 4, 0), (0, 2, 0, 0)])
@pytest.mark.parametrize("backend", kernels.BACKENDS)
def test_images_without_pixels_are_refused_like_pytorch(layer, shape, backend):
    with kernels.use_backend(backend), pytest.raises(ValueError, match=r"expected images of at least 1x1 pixels"):
        layer(np.zeros(shape, np.float32))

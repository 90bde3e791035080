"""Property-based tests of the core layers and losses (hypothesis).

For random configurations and inputs: valid ones give the documented shapes and dtypes, the same result
whatever the memory layout of the input (strided, reversed, read-only, broadcast), never modify the input,
and handle empty batches, batch size 1 and NaN/inf; invalid ones raise the documented ValueError,
TypeError or RuntimeError, never an IndexError or a NumPy error from deep inside.
"""

import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from conftest import assert_close
from memory_layouts import FLOAT_DTYPES, in_layout, layouts, random_array, refused_dtypes, shapes, sprinkle_non_finite
from scratchae import nn

FAST = settings(max_examples=40, deadline=None)
ELEMENTWISE = [nn.ReLU, nn.Sigmoid]


def same(a, b, dtype):
    """Equal up to the last bits a different BLAS path may change (exactly equal NaN positions)."""
    rtol = 1e-12 if np.dtype(dtype) == np.float64 else 1e-5
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol, equal_nan=True)


def run(layer, x, grad):
    """Forward and backward, checking that neither touches the input or the upstream gradient."""
    x_before, grad_before = x.copy(), grad.copy()
    y = layer(x)
    assert isinstance(y, np.ndarray)
    gx = layer.backward(grad)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(grad, grad_before)
    return y, gx


# -- Linear ----------------------------------------------------------------------------------------


@st.composite
def linear_cases(draw):
    dtype = draw(FLOAT_DTYPES)
    in_features, out_features = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    lead = draw(shapes(0, 3, 0, 4))  # leading (batch) dims, possibly empty or of size 0
    x = random_array(draw, (*lead, in_features), dtype)
    grad = random_array(draw, (*lead, out_features), dtype)
    return dtype, in_features, out_features, draw(st.booleans()), x, grad, draw(layouts)


@FAST
@given(linear_cases())
def test_linear_shapes_dtypes_and_layouts(case):
    dtype, fin, fout, bias, x, grad, layout = case
    layer = nn.Linear(fin, fout, bias, dtype=dtype, rng=np.random.default_rng(0))
    twin = nn.Linear(fin, fout, bias, dtype=dtype, rng=np.random.default_rng(0))
    xv, gv = in_layout(x, layout), in_layout(grad, layout)
    y, gx = run(layer, xv, gv)
    assert y.shape == (*xv.shape[:-1], fout) and y.dtype == dtype
    assert gx.shape == xv.shape and gx.dtype == dtype
    y2, gx2 = run(twin, np.ascontiguousarray(xv), np.ascontiguousarray(gv))
    same(y, y2, dtype)
    same(gx, gx2, dtype)
    for p, q in zip(layer.parameters(), twin.parameters(), strict=True):
        assert p.grad.shape == p.shape and p.grad.dtype == dtype
        same(p.grad, q.grad, dtype)
    if xv.size == 0:  # an empty batch: empty output, zero parameter gradients (as PyTorch)
        assert all(not p.grad.any() for p in layer.parameters())


@FAST
@given(st.integers(1, 5), st.integers(1, 5), shapes(0, 3, 1, 3), FLOAT_DTYPES, st.data())
def test_linear_non_finite_inputs_stay_in_their_rows(fin, fout, lead, dtype, data):
    layer = nn.Linear(fin, fout, dtype=dtype, rng=np.random.default_rng(1))
    x = sprinkle_non_finite(data.draw, random_array(data.draw, (*lead, fin), dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # inf - inf inside the product: NumPy may warn, as it should
        y = layer(x)
    bad_rows = ~np.isfinite(x).all(axis=-1)
    assert np.isfinite(y[~bad_rows]).all()  # one bad sample never spoils the others
    assert (~np.isfinite(y[bad_rows])).any(axis=-1).all()  # and its own output shows it


@FAST
@given(st.integers(1, 5), st.integers(1, 5), shapes(1, 3, 0, 3), st.data())
def test_linear_refuses_bad_inputs(fin, fout, shape, data):
    layer = nn.Linear(fin, fout, rng=np.random.default_rng(0))
    assume(shape[-1] != fin)
    with pytest.raises(ValueError, match=rf"Linear\({fin}, {fout}\) expected input of shape \(\*, {fin}\)"):
        layer(np.zeros(shape, np.float32))
    with pytest.raises(ValueError, match="expected input of shape"):
        layer(np.zeros((), np.float32))
    with pytest.raises(TypeError, match="float32 or float64"):
        layer(np.zeros((*shape[:-1], fin), data.draw(refused_dtypes)))
    with pytest.raises(TypeError, match=r"expected a float32 input \(the dtype of its parameters"):
        layer(np.zeros((2, fin)))
    with pytest.raises(TypeError, match=r"numpy\.ndarray input, got list"):
        layer([[0.0] * fin])


@pytest.mark.parametrize("bad", [0, -3, 2.0, True, "3", None])
def test_linear_refuses_bad_sizes(bad):
    with pytest.raises(ValueError, match="Linear expected in_features to be a positive integer"):
        nn.Linear(bad, 2)
    with pytest.raises(ValueError, match="Linear expected out_features to be a positive integer"):
        nn.Linear(2, bad)


# -- element-wise activations --------------------------------------------------------------------


@st.composite
def elementwise_cases(draw):
    dtype = draw(FLOAT_DTYPES)
    shape = draw(shapes(0, 4, 0, 4))
    x = random_array(draw, shape, dtype, scale=draw(st.sampled_from([1.0, 50.0, 1e30])))
    if draw(st.booleans()):
        x = sprinkle_non_finite(draw, x)
    return draw(st.sampled_from(ELEMENTWISE)), x, random_array(draw, shape, dtype), draw(layouts)


@settings(max_examples=60, deadline=None)
@given(elementwise_cases())
def test_activations_any_shape_layout_and_values(case):
    kind, x, grad, layout = case
    xv, gv = in_layout(x, layout), in_layout(grad, layout)
    with np.errstate(all="raise"):  # no overflow, no invalid operation, not even an underflow
        y, gx = run(kind(), xv, gv)
        y2, gx2 = run(kind(), np.ascontiguousarray(xv), np.ascontiguousarray(gv))
    assert y.shape == gx.shape == xv.shape and y.dtype == gx.dtype == x.dtype
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(gx, gx2)
    nan = np.isnan(xv)
    np.testing.assert_array_equal(np.isnan(y), nan)  # NaN propagates, nothing else becomes NaN
    if kind is nn.ReLU:
        np.testing.assert_array_equal(y[~nan], np.maximum(xv[~nan], 0))
    else:
        assert np.all((y[~nan] >= 0) & (y[~nan] <= 1))
        np.testing.assert_array_equal(y[xv == np.inf], 1)
        np.testing.assert_array_equal(y[xv == -np.inf], 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_limits_under_errstate_raise(dtype):
    info = np.finfo(dtype)
    x = np.array(
        [-np.inf, info.min, -1e4, -800.0, -100.0, -info.tiny, 0.0, info.tiny, 40.0, 800.0, info.max, np.inf],
        dtype=dtype,
    )
    sigmoid = nn.Sigmoid()
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        y = sigmoid(x)
        g = sigmoid.backward(np.ones_like(x))
    assert y.dtype == g.dtype == dtype
    assert y[0] == y[1] == y[2] == y[3] == 0 and y[-1] == y[-2] == y[-3] == 1 and y[6] == 0.5
    assert np.all(np.diff(y) >= 0)
    assert g[0] == g[-1] == 0 and g[6] == 0.25 and np.all(g >= 0)


def test_relu_of_minus_infinity_is_zero_like_pytorch(torch):
    x = np.array([-np.inf, -1.0, 0.0, np.nan, np.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = nn.ReLU()(x)
    np.testing.assert_array_equal(y, torch.relu(torch.from_numpy(x)).numpy())


@FAST
@given(st.sampled_from(ELEMENTWISE), shapes(0, 3, 0, 3), refused_dtypes)
def test_activations_refuse_other_dtypes(kind, shape, dtype):
    with pytest.raises(TypeError, match=f"{kind.__name__} expected a float32 or float64 input, got"):
        kind()(np.zeros(shape, dtype))


# -- Flatten / Unflatten ---------------------------------------------------------------------------


@st.composite
def flatten_cases(draw):
    shape = draw(shapes(0, 5, 0, 4))
    return shape, draw(st.integers(-6, 6)), draw(st.integers(-6, 6)), draw(layouts)


def torch_accepts(call):
    try:
        return tuple(call().shape)
    except (IndexError, RuntimeError, ValueError):
        return None


@settings(max_examples=80, deadline=None)
@given(flatten_cases(), st.data())
def test_flatten_agrees_with_pytorch_on_what_is_valid(case, data):
    torch = pytest.importorskip("torch")
    shape, start, end, layout = case
    x = in_layout(random_array(data.draw, shape, np.float64), layout)
    expected = torch_accepts(lambda: torch.nn.Flatten(start, end)(torch.zeros(shape)))
    layer = nn.Flatten(start, end)
    if expected is None:
        with pytest.raises(ValueError, match=rf"Flatten\(start_dim={start}, end_dim={end}\) does not fit"):
            layer(x)
        return
    grad = random_array(data.draw, expected, np.float64)
    y, gx = run(layer, x, grad)
    assert y.shape == expected
    np.testing.assert_array_equal(y.ravel(), np.ascontiguousarray(x).ravel())
    np.testing.assert_array_equal(gx, grad.reshape(shape))


@st.composite
def unflatten_cases(draw):
    shape = draw(shapes(1, 4, 0, 6))
    dim = draw(st.integers(-5, 4))
    sizes = draw(st.lists(st.integers(-2, 4), min_size=1, max_size=3))
    return shape, dim, tuple(sizes), draw(layouts)


@settings(max_examples=80, deadline=None)
@given(unflatten_cases(), st.data())
def test_unflatten_agrees_with_pytorch_on_what_is_valid(case, data):
    torch = pytest.importorskip("torch")
    shape, dim, sizes, layout = case
    x = in_layout(random_array(data.draw, shape, np.float32), layout)
    expected = torch_accepts(lambda: torch.nn.Unflatten(dim, sizes)(torch.zeros(shape)))
    if expected is None:
        with pytest.raises(ValueError, match="Unflatten"):
            nn.Unflatten(dim, sizes)(x)
        return
    layer = nn.Unflatten(dim, sizes)
    grad = random_array(data.draw, expected, np.float32)
    y, gx = run(layer, x, grad)
    assert y.shape == expected
    np.testing.assert_array_equal(gx, grad.reshape(shape))


@FAST
@given(st.sampled_from(["flatten", "unflatten"]), shapes(1, 3, 1, 3), st.data())
def test_reshapes_check_the_upstream_gradient(which, extra, data):
    x = np.zeros((2, 3, 4), np.float32)
    layer = nn.Flatten() if which == "flatten" else nn.Unflatten(2, (2, 2))
    y = layer(x)
    assume(extra != y.shape)
    with pytest.raises(ValueError, match=rf"{type(layer).__name__}.backward expected a gradient of shape"):
        layer.backward(np.zeros(extra, np.float32))
    with pytest.raises(TypeError, match="expected a float32 gradient"):
        layer.backward(np.zeros(y.shape, data.draw(st.sampled_from([np.float64, np.int32]))))


# -- every layer: backward errors ------------------------------------------------------------------


def every_layer():
    return [
        nn.Linear(4, 3, rng=np.random.default_rng(0)),
        nn.ReLU(),
        nn.Sigmoid(),
        nn.Flatten(),
        nn.Unflatten(1, (2, 2)),
        nn.Sequential(nn.Linear(4, 2, rng=np.random.default_rng(0)), nn.ReLU()),
    ]


@pytest.mark.parametrize("layer", every_layer(), ids=lambda m: type(m).__name__)
def test_backward_errors_are_documented_ones(layer):
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.zeros((2, 3), np.float32))
    y = layer(np.zeros((2, 4), np.float32))
    for bad, error in [
        (np.zeros((*y.shape, 1), np.float32), ValueError),
        (np.zeros((*y.shape[:-1], y.shape[-1] + 1), np.float32), ValueError),
        (np.zeros(y.shape, np.float64), TypeError),
        (np.zeros(y.shape, np.int64), TypeError),
        (y.tolist(), TypeError),
    ]:
        with pytest.raises(error, match=r"backward expected a"):
            layer.backward(bad)


# -- Sequential ------------------------------------------------------------------------------------


@st.composite
def sequential_cases(draw):
    widths = draw(st.lists(st.integers(1, 5), min_size=2, max_size=5))
    layers = []
    for fin, fout in itertools.pairwise(widths):
        layers.append(("linear", fin, fout))
        layers.append((draw(st.sampled_from(["relu", "sigmoid", None])),))
    dtype = draw(FLOAT_DTYPES)
    batch = draw(st.sampled_from([0, 1, 2, 5]))
    x = random_array(draw, (batch, widths[0]), dtype)
    grad = random_array(draw, (batch, widths[-1]), dtype)
    return layers, dtype, x, grad, draw(layouts)


def build(spec, dtype, seed):
    rng = np.random.default_rng(seed)
    make = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid}
    return nn.Sequential(
        *[
            nn.Linear(s[1], s[2], dtype=dtype, rng=rng) if s[0] == "linear" else make[s[0]]()
            for s in spec
            if s[0] is not None
        ]
    )


@FAST
@given(sequential_cases())
def test_sequential_is_the_chain_of_its_layers(case):
    spec, dtype, x, grad, layout = case
    model, loose = build(spec, dtype, 7), list(build(spec, dtype, 7))
    xv, gv = in_layout(x, layout), in_layout(grad, layout)
    y, gx = run(model, xv, gv)
    h = np.ascontiguousarray(xv)
    for layer in loose:
        h = layer(h)
    g = np.ascontiguousarray(gv)
    for layer in reversed(loose):
        g = layer.backward(g)
    assert y.shape == grad.shape and gx.shape == x.shape and y.dtype == gx.dtype == dtype
    same(y, h, dtype)
    same(gx, g, dtype)
    for p, q in zip(model.parameters(), [p for layer in loose for p in layer.parameters()], strict=True):
        same(p.grad, q.grad, dtype)


def test_sequential_mismatch_names_the_layer():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(5, 2))
    with pytest.raises(ValueError, match=r"Linear\(5, 2\) expected input of shape \(\*, 5\), got \(2, 4\)"):
        model(np.zeros((2, 3), np.float32))
    with pytest.raises(TypeError, match="Sequential expected Module layers, got builtin_function_or_method for '1'"):
        nn.Sequential(nn.ReLU(), print)


# -- losses ----------------------------------------------------------------------------------------


@st.composite
def loss_cases(draw):
    dtype = draw(FLOAT_DTYPES)
    shape = draw(shapes(1, 4, 1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    p, t = rng.uniform(0, 1, shape).astype(dtype), rng.uniform(0, 1, shape).astype(dtype)
    # predictions exactly 0 and 1 (clamped logs in BCE) and hard targets, at random positions
    p[rng.uniform(size=shape) < 0.3] = 0.0
    p[rng.uniform(size=shape) < 0.3] = 1.0
    t[rng.uniform(size=shape) < 0.3] = draw(st.sampled_from([0.0, 1.0]))
    return draw(st.sampled_from(["mean", "sum"])), dtype, p, t, draw(layouts)


@settings(max_examples=60, deadline=None)
@given(loss_cases())
def test_losses_match_pytorch_at_the_extremes_and_in_any_layout(case):
    torch = pytest.importorskip("torch")
    reduction, dtype, p, t, layout = case
    pv, tv = in_layout(p, layout), in_layout(t, layout)
    for ours, theirs in [
        (nn.MSELoss(reduction), torch.nn.MSELoss(reduction=reduction)),
        (nn.BCELoss(reduction), torch.nn.BCELoss(reduction=reduction)),
    ]:
        tp = torch.from_numpy(np.array(pv)).requires_grad_()
        expected = theirs(tp, torch.from_numpy(np.array(tv)))
        expected.backward()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            loss = ours(pv, tv)
            grad = ours.backward()
        assert isinstance(loss, float) and math.isfinite(loss)
        assert loss == pytest.approx(expected.item(), rel=1e-10 if dtype == np.float64 else 1e-5)
        assert grad.shape == p.shape and grad.dtype == dtype and np.isfinite(grad).all()
        assert_close(grad, tp.grad.numpy(), dtype, f"{ours} {layout}")


@FAST
@given(shapes(1, 3, 1, 3), FLOAT_DTYPES, st.data())
def test_mse_propagates_nan_and_inf(shape, dtype, data):
    p = sprinkle_non_finite(data.draw, random_array(data.draw, shape, dtype))
    t = random_array(data.draw, shape, dtype)
    assume(not np.isfinite(p).all())
    criterion = nn.MSELoss()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = criterion(p, t)
        grad = criterion.backward()
    assert not math.isfinite(loss)
    np.testing.assert_array_equal(np.isfinite(grad), np.isfinite(p))


@FAST
@given(st.sampled_from([nn.MSELoss, nn.BCELoss]), shapes(1, 3, 0, 3), shapes(1, 3, 0, 3), refused_dtypes)
def test_losses_refuse_bad_pairs(kind, shape, other, dtype):
    criterion = kind()
    name = kind.__name__
    if math.prod(shape) == 0:
        with pytest.raises(ValueError, match=f"{name} got an empty prediction"):
            criterion(np.zeros(shape), np.zeros(shape))
    if other != shape:
        with pytest.raises(ValueError, match=f"{name} expected prediction and target of the same shape"):
            criterion(np.zeros(shape), np.zeros(other))
    with pytest.raises(TypeError, match=f"{name} expected a float32 or float64 input"):
        criterion(np.zeros(shape, dtype), np.zeros(shape))
    with pytest.raises(TypeError, match=f"{name} target expected a float32 or float64 input"):
        criterion(np.zeros(shape), np.zeros(shape, dtype))


@FAST
@given(shapes(1, 3, 1, 3), st.sampled_from([-1e-7, 1.0 + 1e-7, -np.inf, np.inf, np.nan]), st.data())
def test_bce_refuses_predictions_outside_0_1(shape, bad, data):
    p = np.full(shape, 0.5)
    p.flat[data.draw(st.integers(0, p.size - 1))] = bad
    with pytest.raises(ValueError, match=r"BCELoss expected every prediction in \[0, 1\], got"):
        nn.BCELoss()(p, np.zeros(shape))

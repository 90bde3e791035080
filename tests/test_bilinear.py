"""Upsample(mode='bilinear'): finite differences, torch.nn.Upsample on random sweeps (scale factors, sizes,
align_corners, recompute_scale_factor), the interpolation by hand, its backward as the transpose, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from conv_cases import assert_matches_torch
from scratchae import GradcheckError, gradcheck, nn
from scratchae.arithmetic import interpolate_output_size


def sweep(count: int, seed: int):
    """``count`` bilinear configurations ``(layer kwargs, input shape)``: integer and non-integer factors
    (some below 1), explicit sizes, both corner alignments."""
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 3)), int(rng.integers(1, 6)), int(rng.integers(1, 6)))
        kw = dict(mode="bilinear", align_corners=bool(rng.integers(2)))
        kind = rng.integers(3)
        if kind == 0:
            kw["size"] = (int(rng.integers(1, 11)), int(rng.integers(1, 11)))
        elif kind == 1:
            kw["scale_factor"] = int(rng.integers(1, 4))
        else:
            kw["scale_factor"] = (float(np.round(rng.uniform(0.5, 3.5), 2)), float(np.round(rng.uniform(0.5, 3.5), 2)))
            kw["recompute_scale_factor"] = bool(rng.random() < 0.3)
            try:
                interpolate_output_size(shape[2:], kw["scale_factor"])
            except ValueError:
                continue
        cases.append((kw, shape))
    return [
        *cases,
        (dict(scale_factor=2, mode="bilinear"), (2, 3, 7, 7)),  # the autoencoder's use
        (dict(scale_factor=1.3, mode="bilinear"), (1, 1, 3, 3)),
    ]  # same size: a copy


CASES = sweep(16, seed=0)


def case_id(case):
    kw, shape = case
    what = f"size{kw['size']}" if "size" in kw else f"x{kw['scale_factor']}"
    flags = "-corners" * kw.get("align_corners", False) + "-recompute" * kw.get("recompute_scale_factor", False)
    return f"{'x'.join(map(str, shape))}-{what}{flags}".replace(" ", "")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_gradcheck(backend, case):
    kw, shape = case
    assert gradcheck(nn.Upsample(**kw), np.random.default_rng(1).standard_normal(shape))


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_torch(backend, case, dtype):
    torch = pytest.importorskip("torch")
    kw, shape = case
    x = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    layer = nn.Upsample(**kw)
    assert_matches_torch(layer, torch.nn.Upsample(**kw), x)
    assert layer(x).dtype == dtype


def test_interpolation_by_hand(backend):
    x = np.array([[[[0.0, 4.0], [8.0, 12.0]]]])
    # align_corners=False: output pixel i reads input coordinate (i + 1/2)/2 - 1/2, clamped at 0
    expected_row = [0.0, 1.0, 3.0, 4.0]
    y = nn.Upsample(scale_factor=2, mode="bilinear")(x)
    np.testing.assert_allclose(y[0, 0, 0], expected_row)
    np.testing.assert_allclose(y[0, 0, :, 0], [0.0, 2.0, 6.0, 8.0])
    # align_corners=True: the corners coincide, output i reads i * (2 - 1)/(4 - 1)
    y = nn.Upsample(size=(2, 4), mode="bilinear", align_corners=True)(x)
    np.testing.assert_allclose(y[0, 0], [[0, 4 / 3, 8 / 3, 4], [8, 8 + 4 / 3, 8 + 8 / 3, 12]])


def test_backward_is_the_transpose_of_the_forward_map(backend):
    # <B x, g> = <x, B^T g> for random x and g: the backward pass is the adjoint of the interpolation
    rng = np.random.default_rng(3)
    for kw, shape in CASES[:8]:
        layer = nn.Upsample(**kw)
        x = rng.standard_normal(shape)
        y = layer(x)
        g = rng.standard_normal(y.shape)
        np.testing.assert_allclose(np.sum(y * g), np.sum(x * layer.backward(g)), rtol=1e-12)


class _GathersInsteadOfScattering(nn.Upsample):
    """A plausible slip: downsample the gradient by interpolating it back (not the transpose)."""

    def backward(self, grad_out):
        _, _, h, w = self._in_shape
        return nn.Upsample(size=(h, w), mode="bilinear", align_corners=self.align_corners)(grad_out)


def test_gradcheck_catches_a_wrong_backward(backend):
    x = np.random.default_rng(4).standard_normal((1, 2, 3, 4))
    assert gradcheck(nn.Upsample(scale_factor=2, mode="bilinear"), x)
    with pytest.raises(GradcheckError, match=r"worst element input\["):
        gradcheck(_GathersInsteadOfScattering(scale_factor=2, mode="bilinear"), x)


def test_non_integer_factors_and_sizes(backend):
    x = np.ones((1, 1, 5, 4), np.float32)
    assert nn.Upsample(scale_factor=1.5, mode="bilinear")(x).shape == (1, 1, 7, 6)
    assert nn.Upsample(scale_factor=(0.5, 2.5), mode="bilinear")(x).shape == (1, 1, 2, 10)
    assert nn.Upsample(size=(3, 9), mode="bilinear")(x).shape == (1, 1, 3, 9)
    np.testing.assert_allclose(nn.Upsample(size=(9, 2), mode="bilinear")(x), 1.0)  # constants stay constant


@pytest.mark.torch
def test_repr_is_pytorchs_up_to_the_float_of_the_factor(torch):
    assert repr(nn.Upsample(scale_factor=2.0, mode="bilinear")) == repr(
        torch.nn.Upsample(scale_factor=2.0, mode="bilinear")
    )
    assert repr(nn.Upsample(size=(3, 4), mode="bilinear")) == repr(torch.nn.Upsample(size=(3, 4), mode="bilinear"))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(scale_factor=0.0, mode="bilinear"), ValueError, "positive scale_factor"),
        (dict(scale_factor=(2, -1), mode="bilinear"), ValueError, "positive scale_factor"),
        (dict(scale_factor="2", mode="bilinear"), TypeError, "scale_factor to be a number or a pair"),
        (dict(size=(3, 0), mode="bilinear"), ValueError, "size to be positive"),
        (
            dict(size=3, mode="bilinear", recompute_scale_factor=True),
            ValueError,
            "not meaningful with an explicit size",
        ),
        (dict(scale_factor=2, mode="linear"), ValueError, "mode='nearest' or mode='bilinear'"),
    ],
)
def test_bad_configuration(kwargs, error, match):
    with pytest.raises(error, match=match):
        nn.Upsample(**kwargs)


def test_bad_inputs(backend):
    up = nn.Upsample(scale_factor=0.3, mode="bilinear")
    with pytest.raises(ValueError, match=r"sizes should be greater than 0.*\(3, 0\)"):
        up(np.zeros((1, 1, 10, 3), np.float32))
    with pytest.raises(ValueError, match=r"reads a 3-D input as \(N, C, L\)"):
        up(np.zeros((1, 10, 10), np.float32))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        nn.Upsample(scale_factor=2, mode="bilinear").backward(np.zeros((1, 1, 2, 2), np.float32))
    up(np.zeros((1, 1, 10, 10), np.float32))
    with pytest.raises(ValueError, match=r"gradient of shape \(1, 1, 3, 3\)"):
        up.backward(np.zeros((1, 1, 10, 10), np.float32))
    with pytest.raises(TypeError, match="expected a float32 gradient"):
        up.backward(np.zeros((1, 1, 3, 3), np.float64))

"""Shared by the convolution-family tests: the seeded random sweep of configurations and the comparison
with a PyTorch twin layer. (The ``backend`` fixture, which runs a test under both kernel backends, is in
conftest.py.)"""

from __future__ import annotations

import numpy as np
import pytest

from scratchae.arithmetic import conv2d_output_size, conv_transpose2d_output_size


def _maybe_pair(rng, low, high):
    """An int, or (one time in three) a rectangular (h, w) pair, drawn from [low, high]."""
    if rng.random() < 1 / 3:
        return int(rng.integers(low, high + 1)), int(rng.integers(low, high + 1))
    return int(rng.integers(low, high + 1))


def _pair(v):
    return (v, v) if isinstance(v, int) else v


def conv_cases(count: int, seed: int):
    """``count`` Conv2d configurations ``(layer kwargs, input shape)`` whose kernel fits the input."""
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        kw = dict(
            in_channels=int(rng.integers(1, 4)),
            out_channels=int(rng.integers(1, 4)),
            kernel_size=_maybe_pair(rng, 1, 3),
            stride=_maybe_pair(rng, 1, 3),
            padding=_maybe_pair(rng, 0, 2),
            dilation=_maybe_pair(rng, 1, 2),
        )
        shape = (int(rng.integers(1, 3)), kw["in_channels"], int(rng.integers(3, 8)), int(rng.integers(3, 8)))
        try:
            conv2d_output_size(shape[2:], kw["kernel_size"], kw["stride"], kw["padding"], kw["dilation"])
        except ValueError:
            continue
        cases.append((kw, shape))
    return cases


def conv_transpose_cases(count: int, seed: int):
    """``count`` ConvTranspose2d configurations ``(layer kwargs, input shape)`` with a positive output."""
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        kw = dict(
            in_channels=int(rng.integers(1, 4)),
            out_channels=int(rng.integers(1, 4)),
            kernel_size=_maybe_pair(rng, 1, 3),
            stride=_maybe_pair(rng, 1, 3),
            padding=_maybe_pair(rng, 0, 2),
            dilation=_maybe_pair(rng, 1, 2),
        )
        limit = [max(s, d) - 1 for s, d in zip(_pair(kw["stride"]), _pair(kw["dilation"]), strict=True)]
        kw["output_padding"] = (int(rng.integers(0, limit[0] + 1)), int(rng.integers(0, limit[1] + 1)))
        shape = (int(rng.integers(1, 3)), kw["in_channels"], int(rng.integers(1, 6)), int(rng.integers(1, 6)))
        try:
            conv_transpose2d_output_size(
                shape[2:], kw["kernel_size"], kw["stride"], kw["padding"], kw["output_padding"], kw["dilation"]
            )
        except ValueError:
            continue
        cases.append((kw, shape))
    return cases


def maxpool_cases(count: int, seed: int):
    """``count`` MaxPool2d configurations ``(layer kwargs, input shape)``; stride omitted one time in four."""
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        kernel = _maybe_pair(rng, 1, 3)
        kw = dict(kernel_size=kernel, padding=tuple(int(rng.integers(0, k // 2 + 1)) for k in _pair(kernel)))
        if rng.random() < 0.75:
            kw["stride"] = _maybe_pair(rng, 1, 3)
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(2, 8)), int(rng.integers(2, 8)))
        try:
            conv2d_output_size(shape[2:], kernel, kw.get("stride", kernel), kw["padding"])
        except ValueError:
            continue
        cases.append((kw, shape))
    return cases


def case_id(case) -> str:
    kw, shape = case
    return "x".join(map(str, shape)) + "-" + "-".join(f"{k[:3]}{v}" for k, v in kw.items()).replace(" ", "")


def distinct_values(shape, rng) -> np.ndarray:
    """Values spaced at least 0.01 apart, in random order: no ties, so every max has a derivative."""
    size = int(np.prod(shape))
    return (rng.permutation(size).reshape(shape) * 0.01 - size * 0.005) + rng.uniform(0, 1e-3, shape)


def assert_close(actual, expected, rtol, what):
    """``max |actual - expected| <= rtol * max |expected|`` (relative to the array's scale)."""
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    finite = np.isfinite(expected)
    assert np.array_equal(actual[~finite], expected[~finite], equal_nan=True), f"{what}: inf/nan differ"
    actual, expected = actual[finite].astype(np.float64), expected[finite]
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1e-30)
    error = float(np.max(np.abs(actual - expected), initial=0.0))
    assert error <= rtol * scale, f"{what}: max error {error:.3g} > {rtol:g} * scale {scale:.3g}"


RTOL = {np.float64: 1e-10, np.float32: 1e-4}


def assert_matches_torch(layer, torch_layer, x, seed=0):
    """Copy our parameters into ``torch_layer``, run both forward and backward with the same random upstream
    gradient, and compare output, input gradient and every parameter gradient."""
    torch = pytest.importorskip("torch")
    dtype = x.dtype.type
    rtol = RTOL[dtype]
    torch_params = dict(torch_layer.named_parameters())
    assert list(torch_params) == [name for name, _ in layer.named_parameters()]
    with torch.no_grad():
        for name, p in layer.named_parameters():
            torch_params[name].copy_(torch.from_numpy(p.data))
    layer.zero_grad()
    y = layer(x)
    grad_y = np.random.default_rng(seed).standard_normal(y.shape).astype(dtype)
    grad_x = layer.backward(grad_y)

    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    yt = torch_layer(xt)
    yt.backward(torch.from_numpy(grad_y))
    assert_close(y, yt.detach().numpy(), rtol, "forward")
    assert_close(grad_x, xt.grad.numpy(), rtol, "input gradient")
    for name, p in layer.named_parameters():
        assert_close(p.grad, torch_params[name].grad.numpy(), rtol, f"{name} gradient")

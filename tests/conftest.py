"""Shared fixtures: a seeded generator, PyTorch (skipped when it is not installed), and the kernel backends."""

import contextlib

import numpy as np
import pytest

# PyTorch, where installed, before scratchae's kernels load: else the twin tests run it several times
# slower (benchmarks/torch_first.py says why).
with contextlib.suppress(ImportError):
    import torch as _torch  # noqa: F401

from scratchae import kernels


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def torch():
    """PyTorch for twin tests; the test is skipped where torch is not installed."""
    return pytest.importorskip("torch")


@pytest.fixture(params=kernels.BACKENDS)
def backend(request):
    """Run the test once with each kernel implementation (NumPy and Numba)."""
    with kernels.use_backend(request.param):
        yield request.param


def assert_close(actual, expected, dtype=np.float64, what=""):
    """Twin-test tolerance: ~1e-10 relative in float64, ~1e-4 in float32."""
    rtol, atol = (1e-10, 1e-12) if np.dtype(dtype) == np.float64 else (1e-4, 1e-5)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)

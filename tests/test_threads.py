"""How many threads the Numba kernels use, and how that is configured."""

import numba
import numpy as np
import pytest

from scratchae import kernels
from scratchae.kernels import numba as fast


@pytest.mark.parametrize("bad", [0, -1, 1.5, "two", True])
def test_set_num_threads_refuses_what_is_not_a_positive_integer(bad):
    with pytest.raises(ValueError, match="positive integer"):
        kernels.set_num_threads(bad)


def test_set_num_threads_round_trips_and_reaches_numba():
    before = kernels.get_num_threads()
    try:
        kernels.set_num_threads(1)
        assert kernels.get_num_threads() == 1
        assert numba.get_num_threads() == 1
        kernels.set_num_threads(2)
        assert numba.get_num_threads() == (min(2, numba.config.NUMBA_NUM_THREADS) if fast.FAST_THREADS else 1)
    finally:
        kernels.set_num_threads(before)


def test_more_threads_than_numba_has_are_capped():
    before = kernels.get_num_threads()
    try:
        kernels.set_num_threads(10_000)
        assert 1 <= numba.get_num_threads() <= numba.config.NUMBA_NUM_THREADS
    finally:
        kernels.set_num_threads(before)


def test_weight_gradient_has_the_same_bits_on_one_or_two_threads():
    from scratchae.kernels.numba import conv2d

    rng = np.random.default_rng(3)
    x = rng.standard_normal((7, 3, 9, 9)).astype(np.float32)
    grad_y = rng.standard_normal((7, 5, 9, 9)).astype(np.float32)
    before = kernels.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            kernels.set_num_threads(threads)
            results.append(conv2d.conv2d_weight_grad(x, grad_y, (1, 1), (1, 1), (1, 1), (3, 3)))
    finally:
        kernels.set_num_threads(before)
    assert results[0].tobytes() == results[1].tobytes()


def test_the_kernel_cache_is_dropped_when_a_kernel_file_is_newer(tmp_path):
    """Numba's cache notices edits only in a function's own file; the package drops its whole cache when
    any of its files is newer than the cache (conv2d.py inlines conv_loops.py and conv_layout.py)."""
    import os

    from scratchae.kernels.numba import clear_stale_cache

    (tmp_path / "__pycache__").mkdir()
    source, index, code = tmp_path / "loops.py", tmp_path / "__pycache__" / "k.nbi", tmp_path / "__pycache__" / "k.nbc"
    for path, when in ((source, 100), (index, 200), (code, 200)):
        path.write_text("x")
        os.utime(path, (when, when))
    assert clear_stale_cache(tmp_path) is False and index.exists()  # the cache is newer: kept
    os.utime(source, (300, 300))  # a kernel file was edited
    assert clear_stale_cache(tmp_path) is True
    assert not index.exists() and not code.exists() and source.exists()
    assert clear_stale_cache(tmp_path) is False  # nothing left to drop

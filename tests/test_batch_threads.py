"""Splitting a large batch between two threads: where the cut falls and how it is configured."""

import numpy as np
import pytest

from scratchae import kernels
from scratchae.kernels.numba import batch_threads


@pytest.fixture
def two_threads(monkeypatch):
    monkeypatch.setattr(kernels, "_num_threads", 2)


def test_small_batches_stay_in_one_part(two_threads):
    assert batch_threads.split(batch_threads.MIN_BATCH - 1) == [slice(0, batch_threads.MIN_BATCH - 1)]


def test_large_batches_are_cut_in_two_halves_that_cover_every_image(two_threads):
    n = batch_threads.MIN_BATCH + 3
    parts = batch_threads.split(n)
    assert len(parts) == 2
    assert np.array_equal(np.concatenate([np.arange(n)[p] for p in parts]), np.arange(n))


def test_a_small_but_heavy_batch_is_cut_in_two(two_threads):
    n = batch_threads.MIN_BATCH - 1
    assert batch_threads.split(n, flops=batch_threads.MIN_SPLIT_FLOPS - 1) == [slice(0, n)]
    parts = batch_threads.split(n, flops=batch_threads.MIN_SPLIT_FLOPS)
    assert len(parts) == 2
    assert np.array_equal(np.concatenate([np.arange(n)[p] for p in parts]), np.arange(n))


def test_a_single_image_is_never_cut(two_threads):
    assert batch_threads.split(1, flops=10 * batch_threads.MIN_SPLIT_FLOPS) == [slice(0, 1)]


def test_one_thread_never_splits(monkeypatch):
    monkeypatch.setattr(kernels, "_num_threads", 1)
    assert batch_threads.split(10 * batch_threads.MIN_BATCH) == [slice(0, 10 * batch_threads.MIN_BATCH)]
    assert batch_threads.split(20, flops=10 * batch_threads.MIN_SPLIT_FLOPS) == [slice(0, 20)]


def test_run_returns_the_results_in_the_order_of_the_parts(two_threads):
    parts = batch_threads.split(2 * batch_threads.MIN_BATCH)
    assert batch_threads.run(lambda part: part.start, parts) == [0, batch_threads.MIN_BATCH]


def test_an_error_in_the_worker_thread_reaches_the_caller(two_threads):
    def work(part):
        if part.start == 0:
            raise ValueError("boom")
        return 1

    with pytest.raises(ValueError, match="boom"):
        batch_threads.run(work, batch_threads.split(2 * batch_threads.MIN_BATCH))


@pytest.mark.parametrize("bad", [0, -1, 1.5, "two", True])
def test_set_num_threads_refuses_what_is_not_a_positive_integer(bad):
    with pytest.raises(ValueError, match="positive integer"):
        kernels.set_num_threads(bad)


def test_set_num_threads_round_trips():
    before = kernels.get_num_threads()
    try:
        kernels.set_num_threads(1)
        assert kernels.get_num_threads() == 1
    finally:
        kernels.set_num_threads(before)

"""How many threads the Numba kernels use, and how that is configured."""

import json
import os
import subprocess
import sys

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


def test_available_cpus_is_the_affinity_mask(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3, 5}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert kernels.available_cpus() == 3


def test_available_cpus_falls_back_to_the_cpu_count_without_affinity_masks(monkeypatch):
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)  # as on macOS and Windows
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert kernels.available_cpus() == 6
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # "cannot be determined"
    assert kernels.available_cpus() == 1


REPORT = (
    "import json, numba, scratchae.kernels as k, scratchae.kernels.numba as fast; "
    "print(json.dumps([k.get_num_threads(), numba.get_num_threads(), fast.FAST_THREADS]))"
)


def threads_in_a_fresh_process(env=None, cpus=None, code=REPORT):
    """[requested, Numba's, fast layer] in a new interpreter, optionally pinned to the CPUs ``cpus``."""
    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus is not None else None
    environment = {k: v for k, v in os.environ.items() if k not in ("SCRATCHAE_NUM_THREADS", "NUMBA_NUM_THREADS")}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**environment, **(env or {})},
        preexec_fn=pin,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity on this platform")
def test_default_is_one_thread_per_cpu_the_process_may_run_on():
    mine = os.sched_getaffinity(0)
    requested, used, fast_layer = threads_in_a_fresh_process()
    assert requested == len(mine)
    assert used == (len(mine) if fast_layer else 1)
    requested, used, _ = threads_in_a_fresh_process(cpus={min(mine)})  # as under taskset -c 0
    assert (requested, used) == (1, 1)


def test_default_follows_the_machine_with_no_fixed_cap():
    # a process allowed on 12 CPUs asks for 12 threads (only the light package is imported: Numba's
    # own pool, sized when the Numba kernels load, is not started for a dozen threads here)
    code = (
        "import os; os.sched_getaffinity = lambda pid: set(range(12)); "
        "import scratchae.kernels as k; print(k.get_num_threads())"
    )
    assert threads_in_a_fresh_process(code=code) == 12


def test_environment_variable_overrides_the_default():
    requested, used, _ = threads_in_a_fresh_process({"SCRATCHAE_NUM_THREADS": "1"})
    assert (requested, used) == (1, 1)
    with pytest.raises(subprocess.CalledProcessError):
        threads_in_a_fresh_process({"SCRATCHAE_NUM_THREADS": "all"})

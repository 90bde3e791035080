"""The two implementations of every convolution-family kernel, and the switch between them.

- ``reference``: plain NumPy written to be read, matching the math in each layer's docstring.
- ``numba``: compiled kernels (``@njit(cache=True)``), the default.

Each kernel module (``conv2d``, ``maxpool2d``, ``upsample``, ``activations``, ``adam``) exists in both
packages with the same functions and signatures. :mod:`scratchae.nn.functional` calls one or the other,
with an ``if numba_enabled():`` you can read, and the layers call :mod:`scratchae.nn.functional`.

Choose with the environment variable ``SCRATCHAE_KERNELS=reference|numba`` (read at import) or with
:func:`set_backend` / the :func:`use_backend` context manager at run time.

The Numba kernels share the images of a batch out to threads (``prange``, see
:mod:`scratchae.kernels.numba`): by default one per CPU this process may run on
(:func:`available_cpus`); the environment variable ``SCRATCHAE_NUM_THREADS`` (read at import) or
:func:`set_num_threads` sets another number, 1 to stay serial.
"""

from __future__ import annotations

import contextlib
import os
import sys

BACKENDS = ("numba", "reference")
_ENV = "SCRATCHAE_KERNELS"


def _validated(name: str, source: str) -> str:
    if name not in BACKENDS:
        raise ValueError(f"{source} expected one of {', '.join(BACKENDS)}, got {name!r}")
    return name


_backend = _validated(os.environ.get(_ENV, "numba"), f"environment variable {_ENV}")


def _thread_count(value, source: str) -> int:
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or int(text) < 1:
        raise ValueError(f"{source} expected a positive integer number of threads, got {value!r}")
    return int(text)


def available_cpus() -> int:
    """How many CPUs this process may run on: the size of its affinity mask (``os.sched_getaffinity``,
    which ``taskset``, ``docker --cpuset-cpus`` and batch schedulers restrict), or ``os.cpu_count()``
    where the platform has no affinity masks. The default number of threads."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS, Windows: no affinity masks
        return os.cpu_count() or 1


_THREADS_ENV = "SCRATCHAE_NUM_THREADS"
_num_threads = _thread_count(os.environ.get(_THREADS_ENV, available_cpus()), f"environment variable {_THREADS_ENV}")


def get_num_threads() -> int:
    """How many threads the Numba kernels are asked to use: ``SCRATCHAE_NUM_THREADS``, the last
    :func:`set_num_threads`, or by default :func:`available_cpus`.

    They run on at most Numba's ``NUMBA_NUM_THREADS`` (by default the CPUs available when Numba was
    imported), and on one if no fast threading layer loads (see :mod:`scratchae.kernels.numba`).
    """
    return _num_threads


def set_num_threads(count: int) -> None:
    """Let the Numba kernels called from this thread use ``count`` threads (1: serial).

    At most Numba's ``NUMBA_NUM_THREADS`` (the number of CPUs unless set) are used, whatever ``count``.
    """
    global _num_threads
    _num_threads = _thread_count(count, "set_num_threads")
    if f"{__name__}.numba" in sys.modules:  # else applied when the Numba kernels load
        sys.modules[f"{__name__}.numba"].apply_num_threads()


def get_backend() -> str:
    """The name of the kernels in use: ``'numba'`` or ``'reference'``."""
    return _backend


def numba_enabled() -> bool:
    """Whether the layers run the Numba kernels (else the readable NumPy ones)."""
    return _backend == "numba"


def set_backend(name: str) -> None:
    """Select the kernels used by every layer from now on."""
    global _backend
    _backend = _validated(name, "set_backend")


@contextlib.contextmanager
def use_backend(name: str):
    """Run a block with the given kernels, restoring the previous choice afterwards."""
    previous = get_backend()
    set_backend(name)
    try:
        yield
    finally:
        set_backend(previous)

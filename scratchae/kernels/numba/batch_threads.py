"""Cutting a large batch in two halves computed at the same time, one in a worker thread.

Every convolution, pooling and upsampling kernel treats the images of a batch independently, except the
weight gradient, which sums over them. So a batch can be cut in two halves computed at once, each writing
its own slice of the output; the two weight gradients of the halves are summed at the end (two private
results: no race). The Numba kernels are compiled with ``nogil=True`` and NumPy releases the GIL in its
array loops and BLAS calls, so the halves really run in parallel.

Why two plain threads rather than Numba's ``prange``: on the 2-core machine the project targets, a
``prange`` loop (OpenMP) was twice slower than the serial loop at batch 20 and erratic next to BLAS,
whose threads spin while waiting, as OpenMP's do. A thread pool worker sleeps when idle, and the
per-image BLAS products of the kernels are too small to start OpenBLAS's own threads. Only batches of
at least :data:`MIN_BATCH` images are split: below that, handing work to a thread (tens of
microseconds) costs more than it saves, and a course-sized batch of 20 stays serial, unless one call
is heavy enough (at least :data:`MIN_SPLIT_FLOPS` multiply-adds x 2, e.g. the denoiser's 32 -> 16
convolution at 14x14, ~40 MFLOP) for two threads to pay at any batch size.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from .. import get_num_threads

#: batches smaller than this stay in the calling thread
MIN_BATCH = 48

#: ... or when the caller says that the batch costs at least this many floating-point operations
MIN_SPLIT_FLOPS = 8_000_000

_pool = None
_pool_lock = threading.Lock()


def _worker() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scratchae-kernels")
        return _pool


def split(n_images: int, flops: float = 0) -> list[slice]:
    """The parts of a batch of ``n_images`` to compute at the same time: one slice, or two halves.

    ``flops``, the cost of the whole batch if the caller knows it, lets a small but heavy batch be split.
    """
    if get_num_threads() < 2 or n_images < 2 or (n_images < MIN_BATCH and flops < MIN_SPLIT_FLOPS):
        return [slice(0, n_images)]
    half = n_images // 2
    return [slice(0, half), slice(half, n_images)]


def run(work, parts: list[slice]) -> list:
    """``[work(part) for part in parts]``, the first part in the worker thread when there are two."""
    if len(parts) == 1:
        return [work(parts[0])]
    first = _worker().submit(work, parts[0])
    second = work(parts[1])
    return [first.result(), second]

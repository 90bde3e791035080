"""Scratch arrays that a kernel reuses from one call to the next.

A kernel's temporaries (the padded phase planes, the wide output rows, the products of the BLAS path)
have the same shapes at every training step. Allocating them afresh costs more than it seems for large
batches: the C allocator gives big freed blocks back to the operating system, and the next allocation
then takes a page fault on every 4 KiB page it touches (measured: ~2,400 page faults per training step
of the convolutional autoencoder at batch 128, about 40% of the step). So the Numba kernels take their
temporaries from here: one array per (purpose, shape, dtype) and per thread, kept for the next call.

Only temporaries live here, never an array that a kernel returns, so no caller ever sees one change.
"""

from __future__ import annotations

import threading

import numpy as np

#: at most this many arrays are kept per thread (the oldest is dropped first), so that a changing batch
#: size cannot make the workspace grow without bound
MAX_ARRAYS = 64

_local = threading.local()


def scratch(purpose, shape, dtype, *, zeroed: bool = False) -> np.ndarray:
    """An array for ``purpose`` (any hashable description), uninitialised unless ``zeroed``.

    With ``zeroed=True`` the array is zero when first made and never cleared again: the caller must
    write only the elements that it wrote the first time (e.g. the interior of a padded plane, the
    border of which stays zero). Use ``array.fill(0)`` to clear it on every call instead.
    """
    arrays = _local.__dict__.setdefault("arrays", {})
    key = (purpose, tuple(shape), np.dtype(dtype))
    array = arrays.pop(key, None)
    if array is None:
        array = np.zeros(shape, dtype) if zeroed else np.empty(shape, dtype)
        while len(arrays) >= MAX_ARRAYS:
            del arrays[next(iter(arrays))]
    arrays[key] = array  # most recently used last
    return array

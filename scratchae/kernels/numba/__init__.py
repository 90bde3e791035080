"""Fast kernels compiled with Numba (``@njit(cache=True)``).

Same modules, functions and signatures as :mod:`scratchae.kernels.reference`, checked against them by
``tests/test_kernels_agree.py``; each function is compiled on first use for the dtype it meets (float32
or float64), so nothing is ever up-cast.

- ``conv2d`` (with ``conv_layout``, ``conv_loops`` and ``conv_epilogue``): convolution, its two
  gradients and the transposed convolution, on phase planes of a batch of images laid side by side;
- ``fused``: a convolution and the ReLU (and 2x2 max pooling) after it, in one pass;
- ``maxpool2d``, ``upsample``, ``activations``, ``adam``: one pass each (``exp``: the float32
  exponential of the sigmoid, in a loop that vectorizes);
- ``workspace``: scratch arrays reused from one call to the next.

Threads: the convolution, pooling, upsampling and (on image batches) ReLU kernels are ``parallel=True``
and share the images of a batch out to threads with ``prange`` on Numba's OpenMP layer, one thread per
CPU the process may run on unless :func:`scratchae.kernels.set_num_threads` (or
``SCRATCHAE_NUM_THREADS``) says otherwise. The choices and their measurements (why OpenMP, why no BLAS
inside the kernels, ``GOMP_SPINCOUNT``, what compiling costs and why) are in ``docs/performance.md``.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

os.environ.setdefault("GOMP_SPINCOUNT", "10000")  # read by libgomp when Numba first loads it

import numba

from .. import get_num_threads


def _fast_threading_layer() -> bool:
    """Whether Numba can use OpenMP or TBB (else only ``workqueue``, too slow to hand work over)."""
    for layer in ("omppool", "tbbpool"):
        try:
            importlib.import_module(f"numba.np.ufunc.{layer}")
            return True
        except ImportError:  # not built, or libgomp.so.1 / libtbb missing
            continue
    return False


FAST_THREADS = _fast_threading_layer()


def apply_num_threads() -> None:
    """Give the calling thread's parallel kernels :func:`scratchae.kernels.get_num_threads` threads
    (at most ``NUMBA_NUM_THREADS``; one if no fast threading layer is available)."""
    wanted = get_num_threads() if FAST_THREADS else 1
    numba.set_num_threads(max(1, min(wanted, numba.config.NUMBA_NUM_THREADS)))


def clear_stale_cache(folder: Path = Path(__file__).parent) -> bool:
    """Delete this package's compiled-kernel cache if a kernel file changed since it was written.

    Numba's cache notices a change only in the file of the function it compiled, but the convolution
    kernels of ``conv2d.py`` and ``fused.py`` inline the loops of ``conv_loops.py``, ``conv_layout.py``
    and ``conv_epilogue.py``: after an edit of one of those, the cache would keep serving the old code.
    So the cache is dropped whenever any ``.py`` file here is newer than it. Returns whether it was. (An
    installed package, never edited, keeps its cache; a read-only folder is left alone.)
    """
    cache = folder / "__pycache__"
    compiled = list(cache.glob("*.nbi")) + list(cache.glob("*.nbc"))
    if not compiled:
        return False
    newest_source = max(path.stat().st_mtime for path in folder.glob("*.py"))
    if newest_source <= min(path.stat().st_mtime for path in compiled):
        return False
    try:
        for path in compiled:
            path.unlink()
    except OSError:
        return False
    return True


clear_stale_cache()
apply_num_threads()

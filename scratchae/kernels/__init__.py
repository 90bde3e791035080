"""The two implementations of every convolution-family kernel, and the switch between them.

- ``reference``: plain NumPy written to be read, matching the math in each layer's docstring.
- ``numba``: compiled kernels (``@njit(cache=True)``), the default.

Each kernel module (``conv2d``, ``maxpool2d``, ``upsample``) exists in both packages with the same
functions and signatures; a layer asks :func:`kernels` for the one of the current backend on every call.
Only the chosen backend is imported, so ``import scratchae`` does not import Numba.

Choose with the environment variable ``SCRATCHAE_KERNELS=reference|numba`` (read at import) or with
:func:`set_backend` / the :func:`use_backend` context manager at run time.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from types import ModuleType

BACKENDS = ("numba", "reference")
_ENV = "SCRATCHAE_KERNELS"


def _validated(name: str, source: str) -> str:
    if name not in BACKENDS:
        raise ValueError(f"{source} expected one of {', '.join(BACKENDS)}, got {name!r}")
    return name


_backend = _validated(os.environ.get(_ENV, "numba"), f"environment variable {_ENV}")


def get_backend() -> str:
    """The name of the kernels in use: ``'numba'`` or ``'reference'``."""
    return _backend


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


def kernels(name: str) -> ModuleType:
    """The kernel module ``name`` (``'conv2d'``, ``'maxpool2d'``, ``'upsample'``) of the current backend.

    >>> kernels("conv2d").forward  # doctest: +SKIP
    <function scratchae.kernels.numba.conv2d.forward>
    """
    return importlib.import_module(f"{__name__}.{_backend}.{name}")

"""PyTorch, imported before scratchae so that each library runs as fast as it does alone.

PyTorch's wheel carries its own ``libgomp.so.1``. If Numba's OpenMP layer (which scratchae starts when
its kernels load) has loaded the system's ``libgomp.so.1`` first, the dynamic linker hands PyTorch that one
instead, and PyTorch's steps run several times slower (measured in docs/performance.md, "PyTorch in the
same process"). Imported first, PyTorch loads its own and Numba shares it, at no measured cost to
scratchae. Every benchmark that times PyTorch imports this module before anything from scratchae.
"""

try:
    import torch
except ImportError:  # the benchmarks then time scratchae alone
    torch = None

__all__ = ["torch"]

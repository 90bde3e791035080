"""Fast kernels compiled with Numba (``@njit(cache=True)``); same functions and signatures as
:mod:`scratchae.kernels.reference`, checked against them by ``tests/test_kernels_agree.py``."""

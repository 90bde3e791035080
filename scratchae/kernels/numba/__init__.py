"""Fast kernels compiled with Numba (``@njit(cache=True)``).

Same modules, functions and signatures as :mod:`scratchae.kernels.reference`, checked against them by
``tests/test_kernels_agree.py``; each function is compiled on first use for the dtype it meets (float32
or float64), so nothing is ever up-cast.

Design decisions, measured on the 2-core x86 machine the project targets (``benchmarks/bench_layers.py``):

- **Convolution** works on *phase planes* (see :mod:`.conv2d`): any stride, padding and dilation becomes
  stride-1 shifted slices of contiguous memory. Layers with at least ``GEMM_MIN_CHANNELS = 4`` input and
  output channels do one BLAS matrix product per kernel tap on views of those planes (no im2col copy);
  thinner layers (1 input or 1 output channel) use direct vectorized loops, where a matrix product with
  an inner dimension of 1 would waste BLAS. A single-GEMM im2col/col2im variant was measured too: it was
  not faster on the autoencoders' shapes.
- **No parallel loops** (``prange``). A batch-parallel max-pool took 0.28 ms at best against 0.55 ms
  serial, but its median was 8 ms and, called next to a BLAS product, 12-24 ms against 1.5 ms serial:
  the Numba worker threads and OpenBLAS's spinning threads fight for the two cores. Every kernel is
  therefore serial, which also keeps the weight-gradient reductions trivially race-free.
- **Compile time**: a cold cache costs about 13 s per dtype for all kernels of the four layers (measured
  with an empty ``NUMBA_CACHE_DIR`` on a loaded machine); with the cache warm, the first forward and
  backward pass of every layer takes about 0.35 s. ``import scratchae`` does not import Numba: the
  kernel modules are imported on the first call of a layer.
"""

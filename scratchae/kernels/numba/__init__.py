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
- **Input gradient with stride 1 = a forward convolution** of the output gradient with the flipped,
  channel-swapped kernel (Dumoulin & Visin, 2016, section 4.1): it accumulates in contiguous memory
  instead of adding into shifted, strided slices (1.5-1.8x faster on the autoencoders' layers). When
  the kernel size equals the stride, each tap's product is written straight into its phase plane.
- **Max pooling 2x2** is branch-free with int32 positions, which lets LLVM vectorize it (3x faster).
- **Direct loops take three taps at a time** (one load and store of the accumulated plane per three
  multiply-adds): ~30% faster than one at a time on the thin layers; six at a time was no better.
- **Layout changes in NumPy, arithmetic in Numba.** Padding, the phase split and crops are NumPy slice
  assignments (C-speed strided copies); Numba slice-by-slice row copies and element loops with index
  arithmetic measured several times slower.
- **No parallel loops** (``prange``). A batch-parallel max-pool took 0.28 ms at best against 0.55 ms
  serial, but its median was 8 ms and, called next to a BLAS product, 12-24 ms against 1.5 ms serial:
  the Numba worker threads and OpenBLAS's spinning threads fight for the two cores. A ``prange``
  convolution at batch 20 took 0.60 ms against 0.30 ms serial. Instead, a batch of 48 images or more
  is cut in two halves computed at once by two plain threads (:mod:`.batch_threads`; at batch 128 the
  convolution kernels run ~1.9x faster), and smaller batches stay serial (splitting batches of 20 made
  the convolutional autoencoder's step 1.6x *slower*; so did running two model replicas on two halves
  of a batch of 20, data-parallel: +12% for the denoiser, -30% for the convolutional model, because
  the Python between the kernels holds the GIL). Each half computes its own weight gradient; the two
  are summed, so there is no race. Exception: a single convolution product heavy enough
  (:data:`.batch_threads.MIN_SPLIT_FLOPS`, BLAS FLOPs counted at 1/3) is split at any batch size: at
  batch 20 the denoiser's 32 -> 16 convolution went from 1.86 to 1.40 ms (forward + backward), its 1 -> 32
  and 32 -> 1 convolutions at 28x28 from 1.24 to 0.98 and 1.07 to 0.81 ms, its training step +5%
  (median images/s); lighter products, e.g. the 16 MFLOP BLAS calls of the 16 -> 32 transposed
  convolution, measured ~20% slower split. im2col with one matrix product per batch was measured
  1.5-4x slower than the per-tap products on every autoencoder layer: the column copy is memory-bound,
  and one (16 x 32) x (32 x 4,440) product ran slower than 20 per-image ones.
- **Temporaries are reused** (:mod:`.workspace`): fresh big arrays at every call cost page faults that
  took up to 40% of a training step at batch 128. The arrays that layers return must be fresh; for
  those, :func:`scratchae.memory.keep_freed_memory` (called by the Trainer) makes glibc keep freed
  blocks for reuse.
- **OpenBLAS threads** are left as NumPy starts them (a library cannot choose them before NumPy is
  imported). The per-image, per-tap products of the convolutions are small, and measured as fast with
  ``OPENBLAS_NUM_THREADS=1`` as with the default, so only :class:`~scratchae.nn.Linear` on large batches
  uses BLAS threads, and they do not pay: the linear autoencoder trains 147,000 images/s at batch 128
  with one OpenBLAS thread against 88,000 with the default two on a quiet machine, and on a machine
  whose cores are busy with other work it fell from 113,000 to 1,800 (PyTorch with 2 threads suffers
  the same). Start Python with ``OPENBLAS_NUM_THREADS=1`` for the linear model, and on a shared
  machine also with ``SCRATCHAE_NUM_THREADS=1``.
- **Compile time**: a cold cache costs about 2 s for the float32 kernels of one autoencoder (measured
  with an empty ``NUMBA_CACHE_DIR`` by ``benchmarks/bench_training.py``); with the cache warm, the first
  training step of any model takes about 0.3 s. ``import scratchae`` does not import Numba: the
  kernel modules are imported on the first call of a layer.
"""

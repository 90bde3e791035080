"""Fast kernels compiled with Numba (``@njit(cache=True)``).

Same modules, functions and signatures as :mod:`scratchae.kernels.reference`, checked against them by
``tests/test_kernels_agree.py``; each function is compiled on first use for the dtype it meets (float32
or float64), so nothing is ever up-cast.

Design decisions, measured on the 2-core x86 machine the project targets (``benchmarks/bench_layers.py``):

- **Convolution** works on *phase planes* (see :mod:`.conv2d`): any stride, padding and dilation becomes
  stride-1 shifted slices of contiguous memory, and every inner loop a vectorized multiply-add over
  two of them. Each pass takes three taps and four planes at once (four output channels in the
  forward and weight-gradient loops, four input channels in the transposed scatter), so that one load
  feeds several multiply-adds: 1.5-2x faster than one plane at a time, and 65-100 GFLOP/s on one core
  for the autoencoders' 32 -> 16 and 16 -> 32 layers (six taps per pass was slower). The planes of
  all images of a batch lie side by side, so that one loop covers a group of images: 2-4x faster on
  7x7 and 3x3 layers, whose per-image loops were too short. No BLAS: one matrix product per tap and
  im2col with one large product were both measured; see "Threads" for why BLAS inside the kernels was
  dropped.
- **The last taps of a pass, and a first layer's weight gradient.** When the taps (or channels) do
  not divide by three, the last one or two still go through the four planes in one pass each, not
  four (``t_conv3``'s 128 taps: its backward ~15% faster). The weight gradient of a layer of at most
  27 taps (a first layer on 1- or 3-channel images) takes im2col columns of its small input instead
  of a widened copy of its large output gradient: the denoiser's step 4-5% faster.
- **Input gradient with stride 1 = a forward convolution** of the output gradient with the flipped,
  channel-swapped kernel (Dumoulin & Visin, 2016, section 4.1): it accumulates in contiguous memory
  instead of adding into shifted, strided slices (1.5-1.8x faster on the autoencoders' layers).
- **A transposed convolution with a 2x2 kernel and stride 2 = a 1x1 convolution + depth-to-space.** Its
  taps never reach the same output pixel, so each fills one of the four phases by itself: a gather into
  four planes per channel, put in place while they are in cache, with no zeroed planes to scatter into
  and no merge pass over the output. The denoiser's training step measured 4-6% faster (same-process
  A/B at batch 20 and 128), the convolutional autoencoder's unchanged.
- **Max pooling 2x2** is branch-free with int32 positions, which lets LLVM vectorize it (3x faster).
- **Layout changes are parallel loops too.** Padding and the stride-2 phase split run over the images
  in parallel, and widening and cropping rows (with the bias added on the way) inside the kernels,
  group by group while the planes are in cache: 2-5x faster than the NumPy slice assignments they
  replaced, which run on one thread. The phase split and merge of other strides and paddings are
  plain loops too (``t_conv1``'s 3x3 -> 7x7: ~30 us less per denoiser step than with NumPy slices).
- **Threads: ``prange`` over the images of a batch, on OpenMP.** Convolution, pooling, upsampling and
  (on image batches) activation kernels are ``parallel=True``; images are independent, and the weight
  gradient keeps one private term per group of images, summed in group order (no race, and the same
  bits on any number of threads, since the groups depend on the sizes only). What
  decides it is the cost of handing work to the other core on this 2-core virtual machine: ~2 us for a
  ``prange`` loop on Numba's OpenMP layer, whose threads spin briefly between loops, against ~75 us
  for a plain Python worker thread (futex wake-up) and ~130 us for Numba's fallback ``workqueue`` layer.
  With OpenMP even a batch of 20 gains: the convolutional autoencoder's step went from ~2.3 to ~1.5 ms
  and the denoiser's from ~10 to ~7 ms with this change alone. (An earlier version cut only batches of
  48+ in two halves on Python threads, and used BLAS products per tap: see the project history.)
- **BLAS threads and OpenMP threads fight.** A ``prange`` kernel alternating with a matrix product that
  OpenBLAS runs on two threads measured ~8 ms per pair instead of ~0.5 ms: each runtime's threads spin
  on the core the other one needs. So the convolutions use no BLAS at all, and this package sets
  ``GOMP_SPINCOUNT=10000`` (shorter spinning; only if unset, before OpenMP starts), which cut that pair
  to ~1 ms at no measured cost to the autoencoders. The four autoencoders never mix the two (only the
  linear one uses BLAS, in :class:`~scratchae.nn.Linear`). A model that mixes large
  :class:`~scratchae.nn.Linear` layers with convolutions trains fastest with ``OPENBLAS_NUM_THREADS=1``
  set before Python starts (the pair above: 0.56 ms).
- **No fast threads, no threads**: if OpenMP (``libgomp``) or TBB cannot be loaded, Numba would fall
  back to ``workqueue``, whose 130 us hand-off makes every kernel slower than serial; the kernels then
  run on one thread.
- **A weight gradient reuses the split of its input** when the scratch array still holds it: a
  convolution's backward right after its forward pass (nothing else of that shape split in between),
  and a transposed convolution's backward, which splits its output gradient for both of its
  gradients. The padded or phase-split copy of a 2 MB activation costs ~30-100 us; skipping it made
  the denoiser's training step 6-7% faster and the convolutional autoencoder's 5% (same-process A/B).
  A forward pass never reuses one: a caller may refill the same array between two forward passes.
- **Temporaries are reused** (:mod:`.workspace`): fresh big arrays at every call cost page faults that
  took up to 40% of a training step at batch 128. The arrays that layers return must be fresh; for
  those, :func:`scratchae.memory.keep_freed_memory` (called by the Trainer) makes glibc keep freed
  blocks for reuse.
- **Measured and not kept** (same-process A/B of whole training steps; the machine's noise is +-30% from
  minute to minute, so only such A/Bs show a few percent): zero padding done inside the forward kernel
  group by group instead of a separate pass (no faster, three times); a first pass that writes the
  planes instead of clearing them first (1.25x on L1-resident data, no faster on the layers); nine taps
  per pass for one-plane layers; Adam's update of all parameters in one Numba call (Adam took ~35 us of
  Python per step, but the step measured no faster). What a training step spends outside the big
  convolutions is mostly memory traffic between layers (each 32 x 28 x 28 activation of a batch of 20 is
  2 MB, more than the 1 MB L2 cache) and Python code that runs cold after them.
- **Compile time is the price.** With an empty cache, the first training step of a convolutional
  autoencoder takes ~20-30 s, almost all of it compiling the ``parallel=True`` convolution kernels
  (3-5 s each, with their four-plane loops inlined; the serial kernels of the first version took ~2 s
  in all; the 2x2 transposed kernel added ~3 s to the denoiser's); ~1 s for the linear one. It is paid
  once: ``cache=True`` keeps the machine code, and with the cache warm the first training step of any
  model takes about 0.3 s (measured by ``benchmarks/bench_training.py --start-up``). ``import
  scratchae`` does not import Numba: the kernel modules are imported on the first call of a layer.
"""

from __future__ import annotations

import importlib
import os

os.environ.setdefault("GOMP_SPINCOUNT", "10000")          # read by libgomp when Numba first loads it

import numba  # noqa: E402

from .. import get_num_threads  # noqa: E402


def _fast_threading_layer() -> bool:
    """Whether Numba can use OpenMP or TBB (else only ``workqueue``, too slow to hand work over)."""
    for layer in ("omppool", "tbbpool"):
        try:
            importlib.import_module(f"numba.np.ufunc.{layer}")
            return True
        except ImportError:                       # not built, or libgomp.so.1 / libtbb missing
            continue
    return False


FAST_THREADS = _fast_threading_layer()


def apply_num_threads() -> None:
    """Give the calling thread's parallel kernels :func:`scratchae.kernels.get_num_threads` threads
    (at most ``NUMBA_NUM_THREADS``; one if no fast threading layer is available)."""
    wanted = get_num_threads() if FAST_THREADS else 1
    numba.set_num_threads(max(1, min(wanted, numba.config.NUMBA_NUM_THREADS)))


apply_num_threads()

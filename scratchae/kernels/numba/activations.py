"""ReLU and the sigmoid compiled with Numba: same math and signatures as
:mod:`scratchae.kernels.reference.activations`.

One pass writes both the ReLU's output and its mask (NumPy needs two). The sigmoid computes one
exponential where the NumPy version computes two: for float32 with :mod:`.exp`, whose loop LLVM
vectorizes (NumPy's float32 exp does not, on CPUs without AVX-512), for float64 with NumPy's. Its
backward is one pass instead of three.

For the ReLU, a batch of images (4-D, what the convolution layers output) of at least
:data:`PARALLEL_SIZE` elements is shared out to threads image by image, as the convolution kernels are.
Smaller ones run on one thread, where handing work to the other core costs more than it saves. So does
anything else, e.g. the (N, features) outputs of Linear layers: there the neighbours are BLAS matrix
products, and OpenMP threads alternating with OpenBLAS's threads fight over the cores. The sigmoid runs
on one thread: the course's models apply it to one channel, too little to gain what a parallel kernel
costs to compile (see docs/performance.md).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .exp import HALF, LOWEST, ONE, exp_parts


@njit(cache=True, nogil=True)
def relu_forward_flat(x, y, positive):
    for i in range(x.size):
        value = x[i]
        positive[i] = value > 0
        y[i] = value if not value <= 0 else 0  # NaN is not <= 0: it stays NaN; -inf gives 0


@njit(cache=True, nogil=True)
def relu_backward_flat(grad_y, positive, grad_x):
    for i in range(grad_y.size):
        grad_x[i] = grad_y[i] if positive[i] else 0


@njit(cache=True, nogil=True, parallel=True)
def relu_forward_images(x, y, positive):
    """:func:`relu_forward_flat` on each row (image) of (N, pixels) arrays, in parallel."""
    for n in prange(x.shape[0]):
        relu_forward_flat(x[n], y[n], positive[n])


@njit(cache=True, nogil=True, parallel=True)
def relu_backward_images(grad_y, positive, grad_x):
    """:func:`relu_backward_flat` on each row (image) of (N, pixels) arrays, in parallel."""
    for n in prange(grad_y.shape[0]):
        relu_backward_flat(grad_y[n], positive[n], grad_x[n])


@njit(cache=True, nogil=True, error_model="numpy")
def sigmoid_from_exp_flat(x, e, y):
    """y = e^{min(x, 0)} / (1 + e^{-|x|}), given e = e^{-|x|} (which is e^{min(x, 0)} where x < 0).
    ``error_model="numpy"``: no check of each division for a zero divisor (1 + e^{-|x|} >= 1), which
    would keep LLVM from vectorizing the loop."""
    one = x.dtype.type(1)
    for i in range(x.size):
        y[i] = (e[i] if x[i] < 0 else one) / (one + e[i])


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})  # fused multiply-adds only
def sigmoid_float32_flat(x, y, scale_bits):
    """y = e^{min(x, 0)} / (1 + e^{-|x|}) for float32, with e^{-|x|} = e^r 2^n from :func:`.exp.exp_parts`
    in two vectorized passes: e^r into y and the bits of 2^n into ``scale_bits`` (int32, x's size), then
    their product. Below ``LOWEST`` (e^{-|x|} not a normal float) e^{-|x|} is (e^{-|x|/2})^2, whose
    square rounds into the subnormals as the exact value does, and 0 beyond."""
    for i in range(x.size):
        a = -abs(x[i])
        if a < LOWEST:
            a = a * HALF
        if a < LOWEST:  # (e^LOWEST)^2 is 0 in float32 (and a NaN stays NaN: it is not < LOWEST)
            a = LOWEST
        e_r, bits = exp_parts(a)
        y[i] = e_r
        scale_bits[i] = bits
    scale = scale_bits.view(np.float32)
    for i in range(x.size):
        e = y[i] * scale[i]
        if abs(x[i]) > -LOWEST:
            e = e * e
        y[i] = (e if x[i] < 0 else ONE) / (ONE + e)


@njit(cache=True, nogil=True)
def sigmoid_backward_flat(grad_y, y, grad_x):
    one = y.dtype.type(1)
    for i in range(y.size):
        grad_x[i] = grad_y[i] * y[i] * (one - y[i])


# -- the interface shared with scratchae.kernels.reference.activations ---------------------------------


def _contiguous(a):
    return a if a.flags.c_contiguous else a.copy()  # (np.ascontiguousarray makes 0-d arrays 1-d)


#: image batches of at least this many elements are shared out to threads
PARALLEL_SIZE = 1 << 15


def _elementwise(flat_kernel, images_kernel, *arrays):
    """Run a one-pass kernel over same-shaped contiguous arrays: image by image in parallel for a 4-D
    batch of at least :data:`PARALLEL_SIZE` elements, on one thread otherwise (see the module docstring)."""
    first = arrays[0]
    if first.ndim == 4 and first.size >= PARALLEL_SIZE:
        images_kernel(*(a.reshape(len(first), -1) for a in arrays))
    else:
        flat_kernel(*(a.reshape(-1) for a in arrays))


def relu(x):
    x = _contiguous(x)
    y, positive = np.empty_like(x), np.empty(x.shape, np.bool_)
    _elementwise(relu_forward_flat, relu_forward_images, x, y, positive)
    return y, positive


def relu_backward(grad_y, positive):
    grad_y, positive = _contiguous(grad_y), _contiguous(positive)
    grad_x = np.empty_like(grad_y)
    _elementwise(relu_backward_flat, relu_backward_images, grad_y, positive, grad_x)
    return grad_x


def sigmoid(x):
    x = _contiguous(x)
    if x.dtype == np.float32:  # an exponential of its own that vectorizes (see .exp)
        y = np.empty_like(x)
        sigmoid_float32_flat(x.reshape(-1), y.reshape(-1), np.empty(x.size, np.int32))
        return y
    # float64: e^{-|x|} by NumPy's exp (a Numba loop calls a scalar exp, no faster)
    e = np.abs(x, out=np.empty_like(x))
    np.negative(e, out=e)
    with np.errstate(under="ignore"):
        np.exp(e, out=e)
    y = np.empty_like(x)
    sigmoid_from_exp_flat(x.reshape(-1), e.reshape(-1), y.reshape(-1))  # one thread: see the module docstring
    return y


def sigmoid_backward(grad_y, y):
    grad_y, y = _contiguous(grad_y), _contiguous(y)
    grad_x = np.empty_like(y)
    sigmoid_backward_flat(grad_y.reshape(-1), y.reshape(-1), grad_x.reshape(-1))
    return grad_x

r"""A convolution and the ReLU (and 2x2 max pooling) after it, in one pass: the functions and signatures
of :mod:`scratchae.kernels.reference.fused`, which composes them from the plain kernels.

Forward, the convolution kernel finishes each block of output planes with the ReLU (and the pooling)
while it is in cache (:mod:`.conv_epilogue`), so the activations in between are never written to
memory. Backward, one pass (:func:`relu_grad_groups`) turns the gradient arriving at the layer's output
into the gradient at the convolution's output, and adds up the bias gradient on the way; the plain
kernels take three (unpooling, the ReLU's mask, the bias sums).

The measurements are in ``docs/performance.md``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .conv2d import convolution, input_grad_plus_bias, sum_in_order
from .conv_epilogue import CROP_RELU, CROP_RELU_POOL
from .conv_layout import image_groups
from .conv_loops import FASTMATH
from .workspace import scratch


def conv2d_relu(x, weight, bias, stride, padding, dilation):
    return convolution(x, weight, bias, stride, padding, dilation, CROP_RELU)[0]


def conv2d_relu_max_pool2d(x, weight, bias, stride, padding, dilation):
    return convolution(x, weight, bias, stride, padding, dilation, CROP_RELU_POOL)


def conv_transpose2d_relu(x, weight, bias, stride, padding, dilation, out_hw):
    return input_grad_plus_bias(x, weight, bias, stride, padding, dilation, out_hw, relu=True)


@njit(cache=True, nogil=True, fastmath=FASTMATH, parallel=True)
def relu_grad_groups(grad_y, y, indices, groups, g, sums):
    """g = grad_y * [y > 0] at the input of a ReLU whose output is y; or, if ``indices`` is not empty
    (a 2x2 max pooling after the ReLU, of output y), each grad_y[n, c, i, j] * [y > 0] written at the
    position indices[n, c, i, j] of its window in g (N, C, H, W), zeros elsewhere. sums[k, c] = the sum
    over the images of group k and the pixels of g[:, c] (its bias gradient's term)."""
    n_ch = grad_y.shape[1]
    for k in prange(groups.size - 1):
        for c in range(n_ch):
            sums[k, c] = 0
        for n in range(groups[k], groups[k + 1]):
            for c in range(n_ch):
                sums[k, c] += relu_grad_plane(
                    grad_y[n, c].reshape(-1),
                    y[n, c].reshape(-1),
                    indices.size > 0,
                    indices[n, c].reshape(-1) if indices.size > 0 else indices.reshape(-1),
                    g[n, c].reshape(-1),
                )


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def relu_grad_plane(grad_y, y, pooled, indices, g):
    """One plane of :func:`relu_grad_groups`, flattened; returns the sum of g.

    The sum has a loop of its own, a plain reduction: summed in the same loop as the stores, its order
    came out different in a kernel compiled in this process and in the same kernel loaded from
    Numba's cache (``tests/test_kernel_cache.py``)."""
    zero = g.dtype.type(0)
    if pooled:
        for t in range(g.size):
            g[t] = zero
        for t in range(grad_y.size):
            g[indices[t]] = grad_y[t] if y[t] > 0 else zero
    else:
        for t in range(g.size):
            g[t] = grad_y[t] if y[t] > 0 else zero
    total = zero
    for t in range(grad_y.size):
        total += grad_y[t] if y[t] > 0 else zero
    return total


def relu_backward_and_channel_sums(grad_y, y):
    return _relu_grad(np.ascontiguousarray(grad_y), np.ascontiguousarray(y), NO_POOLING, y.shape[2:])


def relu_max_pool2d_backward_and_channel_sums(grad_y, y, indices, in_hw):
    return _relu_grad(np.ascontiguousarray(grad_y), np.ascontiguousarray(y), np.ascontiguousarray(indices), in_hw)


#: the ``indices`` of :func:`relu_grad_groups` without pooling
NO_POOLING = np.empty((0, 0, 0, 0), np.int32)


def _relu_grad(grad_y, y, indices, in_hw):
    n_img, n_ch = grad_y.shape[:2]
    g = np.empty((n_img, n_ch, *in_hw), grad_y.dtype)
    groups = image_groups(n_img, in_hw[0] * in_hw[1])
    sums = scratch("channel sums", (len(groups) - 1, n_ch), grad_y.dtype)
    relu_grad_groups(grad_y, y, indices, groups, g, sums)
    return g, sum_in_order(sums)

r"""Transposed convolution, four ways: one operation seen from four sides, in plain NumPy.

This module is for reading. It does not use the Numba kernels and is not fast; each function is the
most direct transcription of one way of thinking about ``torch.nn.functional.conv_transpose2d``. The
tests (tests/test_transposed_views.py) check that all four agree with each other, with
:class:`scratchae.nn.ConvTranspose2d` and with PyTorch. The explanation is in
docs/transposed-convolution.md.

1. :func:`scatter` -- every input pixel stamps a scaled copy of the kernel into the output.
2. :func:`conv_matrix` / :func:`conv_transpose2d_by_matrix` -- a convolution is a matrix :math:`C`;
   the transposed convolution is multiplication by :math:`C^\top`.
3. :func:`as_input_gradient` -- the transposed convolution is the gradient of a convolution with
   respect to its input (and the convolution is the gradient of the transposed convolution).
   Both facts say the two maps are adjoint: :math:`\langle Cx, y\rangle = \langle x, C^\top y\rangle`.
4. :func:`zero_insertion` -- put ``stride - 1`` zeros between input pixels, pad by
   ``dilation * (k - 1) - padding`` (plus ``output_padding`` at the bottom/right), and run an ordinary
   convolution with the kernel flipped and its two channel axes swapped.

Layouts follow PyTorch (``groups=1``):

* convolution: input ``(N, C_in, H, W)``, weight ``(C_out, C_in, kH, kW)``;
* transposed convolution: input ``(N, C_in, H, W)``, weight ``(C_in, C_out, kH, kW)``.

The transposed convolution with weight ``w`` is the transpose of the convolution with the *same array*
``w``: read as a convolution weight, its first axis is the convolution's output channels, which are the
transposed convolution's input channels.

References
----------
V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning", arXiv:1603.07285, 2016.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .arithmetic import conv2d_output_size, conv_output_length, conv_transpose2d_output_size, output_padding_for, pair
from .kernels.reference.conv2d import conv2d as reference_conv2d

__all__ = [
    "conv2d",
    "scatter",
    "conv_matrix",
    "conv2d_by_matrix",
    "conv_transpose2d_by_matrix",
    "input_gradient",
    "as_input_gradient",
    "output_padding_for",
    "adjoint_inner_products",
    "insert_zeros",
    "pad_for_transpose",
    "flip_and_swap",
    "zero_insertion",
]


# -- checking the arguments -------------------------------------------------------------------------


def _settings(stride, padding, dilation, output_padding=0):
    """Turn each hyper-parameter into a (rows, columns) pair, after checking it."""
    stride, padding, dilation, output_padding = (
        pair(stride, "stride"),
        pair(padding, "padding"),
        pair(dilation, "dilation"),
        pair(output_padding, "output_padding"),
    )
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise ValueError(
            f"expected stride >= 1, dilation >= 1, padding >= 0, got stride={stride}, "
            f"dilation={dilation}, padding={padding}"
        )
    for axis in range(2):
        if not 0 <= output_padding[axis] < max(stride[axis], dilation[axis]):
            raise ValueError(
                f"expected output_padding smaller than stride or dilation, got "
                f"output_padding={output_padding}, stride={stride}, dilation={dilation}"
            )
    return stride, padding, dilation, output_padding


def _check_arrays(x, weight, channel_axis):
    """4-D arrays, and as many input channels as ``weight.shape[channel_axis]``."""
    for name, a in (("input", x), ("weight", weight)):
        if not isinstance(a, np.ndarray) or a.ndim != 4:
            raise ValueError(f"expected a 4-D {name} array, got {getattr(a, 'shape', type(a).__name__)}")
    if x.shape[1] != weight.shape[channel_axis]:
        raise ValueError(
            f"expected {weight.shape[channel_axis]} input channels (from the weight of shape "
            f"{weight.shape}), got an input of shape {x.shape}"
        )


def _add_bias(out, bias):
    return out if bias is None else out + bias.reshape(1, -1, 1, 1)


def _transposed_size(x, weight, stride, padding, output_padding, dilation) -> tuple[int, int]:
    return conv_transpose2d_output_size(x.shape[2:], weight.shape[2:], stride, padding, output_padding, dilation)


# -- the convolution we are transposing --------------------------------------------------------------


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    r"""Ordinary convolution (cross-correlation, as in PyTorch): each output pixel *gathers* a window.

    .. math::

        y[n, o, i, j] = b[o] + \sum_{c, u, v}
            w[o, c, u, v]\; x_{\text{padded}}[n, c,\; i s_h + u d_h,\; j s_w + v d_w]

    Shapes: x ``(N, C_in, H, W)``, weight ``(C_out, C_in, kH, kW)`` -> ``(N, C_out, H_out, W_out)``.
    This is the library's own readable convolution (:func:`scratchae.kernels.reference.conv2d.conv2d`,
    which loops over the kernel taps, each multiplying a strided slice of the padded input), called with
    PyTorch's defaults and ints or pairs for the hyper-parameters.
    """
    _check_arrays(x, weight, channel_axis=1)
    stride, padding, dilation, _ = _settings(stride, padding, dilation)
    conv2d_output_size(x.shape[2:], weight.shape[2:], stride, padding, dilation)  # a clear error if empty
    return reference_conv2d(x, weight, bias, stride, padding, dilation)


# -- view 1: scatter ---------------------------------------------------------------------------------


def scatter(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1):
    r"""Transposed convolution as a scatter: each input pixel stamps a scaled copy of the kernel.

    Input pixel :math:`(i, j)` adds :math:`x[n, c, i, j]\, w[c, :, :, :]` into an output canvas at rows
    :math:`i s_h + a d_h` and columns :math:`j s_w + b d_w`. Where stamps overlap, they add. The canvas
    is then cropped by ``padding`` on every side (``padding`` *removes* border in a transposed
    convolution, because it is the padding of the convolution being transposed), and it has
    ``output_padding`` extra rows/columns at the bottom/right that no stamp may reach.

    Shapes: x ``(N, C_in, H, W)``, weight ``(C_in, C_out, kH, kW)`` -> ``(N, C_out, H_out, W_out)`` with
    ``H_out = (H - 1) s - 2p + d (kH - 1) + output_padding + 1``.
    """
    _check_arrays(x, weight, channel_axis=0)
    stride, padding, dilation, output_padding = _settings(stride, padding, dilation, output_padding)
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    ho, wo = _transposed_size(x, weight, stride, padding, output_padding, dilation)
    n, _, h, w = x.shape
    _, c_out, kh, kw = weight.shape
    # the canvas holds every stamp in full; the output is the part left after cropping `padding`
    canvas = np.zeros((n, c_out, ph + ho + ph, pw + wo + pw), dtype=np.result_type(x, weight))
    for i in range(h):
        for j in range(w):
            stamp = np.einsum("nc,cokl->nokl", x[:, :, i, j], weight)  # (N, C_out, kH, kW)
            canvas[:, :, i * sh : i * sh + dh * (kh - 1) + 1 : dh, j * sw : j * sw + dw * (kw - 1) + 1 : dw] += stamp
    return _add_bias(canvas[:, :, ph : ph + ho, pw : pw + wo], bias)


# -- view 2: the matrix C and its transpose ------------------------------------------------------------


def conv_matrix(weight, input_size, stride=1, padding=0, dilation=1):
    r"""The matrix :math:`C` of a convolution: ``conv2d(x, weight)`` is ``C @ x.ravel()`` for one sample.

    Row :math:`(o, p, q)` of :math:`C` (one output pixel) holds the kernel weights at the columns
    :math:`(c, r, t)` of the input pixels its window covers; every other entry is zero. Padding pixels
    are zero, so taps that fall on them are simply left out.

    Parameters
    ----------
    weight : ndarray, shape (C_out, C_in, kH, kW)
        The convolution weight.
    input_size : (int, int)
        ``(H, W)`` of the input image.

    Returns
    -------
    ndarray, shape (C_out * H_out * W_out, C_in * H * W)
        Rows and columns in C order (channel, row, column), as ``ravel`` lays them out.
    """
    (sh, sw), (ph, pw), (dh, dw), _ = _settings(stride, padding, dilation)
    h, w = pair(input_size, "input_size")
    c_out, c_in, kh, kw = weight.shape
    ho, wo = conv_output_length(h, kh, sh, ph, dh), conv_output_length(w, kw, sw, pw, dw)
    matrix = np.zeros((c_out, ho, wo, c_in, h, w), dtype=weight.dtype)
    for p in range(ho):
        for q in range(wo):
            for a in range(kh):
                for b in range(kw):
                    r, t = p * sh - ph + a * dh, q * sw - pw + b * dw  # input pixel under tap (a, b)
                    if 0 <= r < h and 0 <= t < w:
                        matrix[:, p, q, :, r, t] = weight[:, :, a, b]
    return matrix.reshape(c_out * ho * wo, c_in * h * w)


def conv2d_by_matrix(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """:func:`conv2d` computed as ``C @ x`` for each sample (rows of ``x.reshape(N, -1)`` times ``C^T``)."""
    _check_arrays(x, weight, channel_axis=1)
    stride, padding, dilation, _ = _settings(stride, padding, dilation)
    n = x.shape[0]
    ho, wo = (
        conv_output_length(x.shape[2 + a], weight.shape[2 + a], stride[a], padding[a], dilation[a]) for a in range(2)
    )
    c = conv_matrix(weight, x.shape[2:], stride, padding, dilation)
    out = x.reshape(n, -1) @ c.T
    return _add_bias(out.reshape(n, weight.shape[0], ho, wo), bias)


def conv_transpose2d_by_matrix(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1):
    r"""Transposed convolution as multiplication by :math:`C^\top`.

    :math:`C` is the matrix of the convolution that maps the transposed convolution's *output* size back
    to its input size, with the same weight array. For one sample,
    :math:`y = C^\top x`; for a batch, ``x.reshape(N, -1) @ C``.
    """
    _check_arrays(x, weight, channel_axis=0)
    stride, padding, dilation, output_padding = _settings(stride, padding, dilation, output_padding)
    n, c_in, h, w = x.shape
    ho, wo = _transposed_size(x, weight, stride, padding, output_padding, dilation)
    c = conv_matrix(weight, (ho, wo), stride, padding, dilation)
    # When output_padding >= stride (allowed if dilation > stride), the convolution of an (ho, wo) image
    # has floor(output_padding / stride) more output rows/columns than x: those rows of C meet no input,
    # so they are dropped.
    rows = conv_output_length(ho, weight.shape[2], stride[0], padding[0], dilation[0])
    cols = conv_output_length(wo, weight.shape[3], stride[1], padding[1], dilation[1])
    c = c.reshape(c_in, rows, cols, -1)[:, :h, :w].reshape(c_in * h * w, -1)
    out = x.reshape(n, -1) @ c
    return _add_bias(out.reshape(n, weight.shape[1], ho, wo), bias)


# -- view 3: the gradient of a convolution with respect to its input -----------------------------------


def input_gradient(linear_map: Callable[[np.ndarray], np.ndarray], input_shape, grad_output):
    r"""Gradient of :math:`L = \langle f(x), g\rangle` with respect to :math:`x`, for a *linear* map :math:`f`.

    Because :math:`f` is linear, :math:`\partial L / \partial x_i = \langle f(e_i), g\rangle` exactly,
    where :math:`e_i` is the image that is 1 at pixel :math:`i` and 0 elsewhere. So we feed :math:`f`
    every such one-pixel image at once (as a batch), which gives the Jacobian row by row, and contract it
    with :math:`g`. No knowledge of :math:`f`'s backward is used: only its forward.

    Shapes: ``input_shape = (N, *sample)``, ``grad_output`` of shape ``(N, *f(sample))`` -> ``input_shape``.
    """
    n, sample = input_shape[0], tuple(input_shape[1:])
    pixels = int(np.prod(sample))
    one_pixel_images = np.eye(pixels, dtype=grad_output.dtype).reshape(pixels, *sample)
    jacobian = linear_map(one_pixel_images).reshape(pixels, -1)  # row i: response to pixel i
    return (grad_output.reshape(n, -1) @ jacobian.T).reshape(input_shape)


def as_input_gradient(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1):
    r"""Transposed convolution computed as the input gradient of a convolution.

    Take the convolution :math:`f(z) = \text{conv2d}(z, w)` on images of the transposed convolution's
    output size. If :math:`x` is the upstream gradient :math:`\partial L/\partial f(z)`, then
    :math:`\partial L/\partial z = \text{conv\_transpose2d}(x, w)`. That is how PyTorch's autograd
    computes a convolution's backward, and why the layer is also (misleadingly) called "deconvolution".
    """
    _check_arrays(x, weight, channel_axis=0)
    stride, padding, dilation, output_padding = _settings(stride, padding, dilation, output_padding)
    n, _, h, w = x.shape
    ho, wo = _transposed_size(x, weight, stride, padding, output_padding, dilation)

    def convolution(z):  # keeps only the h x w outputs that x covers (see conv_transpose2d_by_matrix)
        return conv2d(z, weight, None, stride, padding, dilation)[:, :, :h, :w]

    return _add_bias(input_gradient(convolution, (n, weight.shape[1], ho, wo), x), bias)


def adjoint_inner_products(x, y, weight, stride=1, padding=0, dilation=1, conv_transpose=None):
    r"""The two sides of :math:`\langle \text{conv2d}(x), y\rangle = \langle x, \text{conv\_transpose2d}(y)\rangle`.

    ``x`` is a convolution input ``(N, C_in, H, W)``, ``y`` a convolution output ``(N, C_out, H', W')``,
    ``weight`` the convolution weight ``(C_out, C_in, kH, kW)``. ``conv_transpose`` is any of the views
    (default :func:`scatter`); its ``output_padding`` is chosen so that it returns ``x``'s size.
    Returns the pair of floats, equal up to rounding.
    """
    conv_transpose = scatter if conv_transpose is None else conv_transpose
    conv_x = conv2d(x, weight, None, stride, padding, dilation)
    if conv_x.shape != y.shape:
        raise ValueError(f"expected y of the shape of conv2d(x), {conv_x.shape}, got {y.shape}")
    op = output_padding_for(y.shape[2:], x.shape[2:], weight.shape[2:], stride, padding, dilation)
    left = np.vdot(conv_x, y)
    right = np.vdot(x, conv_transpose(y, weight, None, stride, padding, op, dilation))
    return float(left), float(right)


# -- view 4: zero insertion + an ordinary convolution ---------------------------------------------------


def insert_zeros(x, stride=1):
    """Put ``stride - 1`` zeros between neighbouring pixels: ``(N, C, H, W)`` -> ``(N, C, (H-1)s_h+1, (W-1)s_w+1)``."""
    sh, sw = pair(stride, "stride")
    n, c, h, w = x.shape
    spread = np.zeros((n, c, (h - 1) * sh + 1, (w - 1) * sw + 1), dtype=x.dtype)
    spread[:, :, ::sh, ::sw] = x
    return spread


def pad_for_transpose(x, kernel_size, padding=0, output_padding=0, dilation=1):
    """Pad by ``dilation * (k - 1) - padding`` on each side, plus ``output_padding`` at the bottom/right.

    A negative amount (``padding > dilation * (k - 1)``) crops instead of padding.
    """
    (kh, kw), (ph, pw), (oh, ow), (dh, dw) = (
        pair(kernel_size, "kernel_size"),
        pair(padding, "padding"),
        pair(output_padding, "output_padding"),
        pair(dilation, "dilation"),
    )
    top, left = dh * (kh - 1) - ph, dw * (kw - 1) - pw
    bottom, right = top + oh, left + ow
    x = np.pad(x, ((0, 0), (0, 0), (max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))))
    h, w = x.shape[2:]
    return x[:, :, max(-top, 0) : h - max(-bottom, 0), max(-left, 0) : w - max(-right, 0)]


def flip_and_swap(weight):
    """Turn a transposed-convolution weight ``(C_in, C_out, kH, kW)`` into the equivalent convolution
    weight ``(C_out, C_in, kH, kW)``: swap the channel axes and rotate each kernel by 180 degrees."""
    return weight.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]


def zero_insertion(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1):
    r"""Transposed convolution as an ordinary stride-1 convolution of a zero-stuffed, padded input.

    Steps (Dumoulin & Visin, section 4): :func:`insert_zeros`, :func:`pad_for_transpose`, then
    :func:`conv2d` with stride 1, no padding, the same dilation, and :func:`flip_and_swap` of the weight.
    The output length is :math:`(i-1)s+1 + 2(d(k-1)-p) + \text{output\_padding} - d(k-1)`, that is
    :math:`(i-1)s - 2p + d(k-1) + \text{output\_padding} + 1`.
    """
    _check_arrays(x, weight, channel_axis=0)
    stride, padding, dilation, output_padding = _settings(stride, padding, dilation, output_padding)
    _transposed_size(x, weight, stride, padding, output_padding, dilation)
    stuffed = pad_for_transpose(insert_zeros(x, stride), weight.shape[2:], padding, output_padding, dilation)
    return conv2d(stuffed, flip_and_swap(weight), bias, stride=1, padding=0, dilation=dilation)

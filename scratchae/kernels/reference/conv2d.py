r"""Convolution in plain NumPy: the forward pass and its two gradients, written to be read.

Notation (one image :math:`n`; PyTorch's convolution is a cross-correlation, the kernel is not flipped):
input :math:`x` of shape (N, C_in, H, W), weight :math:`w` of shape (C_out, C_in, kH, kW), stride
:math:`s`, padding :math:`p`, dilation :math:`d`, and :math:`\tilde x` the input zero-padded by :math:`p`.

.. math::

    y_{n,o,i,j} = \sum_{c,u,v} w_{o,c,u,v}\; \tilde x_{n,\,c,\; s_h i + d_h u,\; s_w j + d_w v}

For a fixed kernel offset :math:`(u, v)` the input pixels used by every output form one *strided slice*
of :math:`\tilde x`; each function below loops over the :math:`kH \cdot kW` offsets and handles a whole
slice at once with ``einsum`` (a matrix product over the channels).

Differentiating the sum with respect to each factor gives the two gradients
(:math:`g = \partial L / \partial y`):

.. math::

    \frac{\partial L}{\partial \tilde x_{n,c,\,s_h i + d_h u,\,s_w j + d_w v}} \mathrel{+}=
        \sum_o w_{o,c,u,v}\, g_{n,o,i,j},
    \qquad
    \frac{\partial L}{\partial w_{o,c,u,v}} =
        \sum_{n,i,j} g_{n,o,i,j}\; \tilde x_{n,\,c,\; s_h i + d_h u,\; s_w j + d_w v}.

The input gradient scatters each output gradient back through the kernel: it *is* the transposed
convolution (Dumoulin & Visin, 2016, section 4), which is why :func:`conv_transpose2d` is
:func:`conv2d_input_grad` plus a bias. The weight gradient correlates the input with the output gradient.
"""

from __future__ import annotations

import numpy as np

from ...arithmetic import conv2d_output_size


def _window(padded: np.ndarray, u: int, v: int, out_hw, stride, dilation) -> np.ndarray:
    """The strided slice of ``padded`` met by kernel offset (u, v): shape (N, C, H_out, W_out), a view."""
    (ho, wo), (sh, sw), (dh, dw) = out_hw, stride, dilation
    top, left = u * dh, v * dw
    return padded[:, :, top : top + sh * (ho - 1) + 1 : sh, left : left + sw * (wo - 1) + 1 : sw]


def _zero_pad(x: np.ndarray, padding) -> np.ndarray:
    ph, pw = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))


def conv2d(x, weight, bias, stride, padding, dilation):
    """:math:`y = x \\star w + b`: (N, C_in, H, W), (C_out, C_in, kH, kW), optional (C_out,)
    -> (N, C_out, H_out, W_out)."""
    out_hw = conv2d_output_size(x.shape[2:], weight.shape[2:], stride, padding, dilation)
    xp = _zero_pad(x, padding)
    c_out, _, kh, kw = weight.shape
    y = np.zeros((x.shape[0], c_out, *out_hw), dtype=np.result_type(x, weight))
    for u in range(kh):
        for v in range(kw):
            patch = _window(xp, u, v, out_hw, stride, dilation)
            y += np.einsum("nchw,oc->nohw", patch, weight[:, :, u, v])
    return _plus_bias(y, bias)


def conv2d_input_grad(grad_y, weight, stride, padding, dilation, in_hw):
    """:math:`\\partial L/\\partial x`: (N, C_out, H_out, W_out) -> (N, C_in, H, W), given ``in_hw = (H, W)``.

    Each output gradient is scattered back, through the kernel, onto the input pixels its window read."""
    (h, w), (ph, pw) = in_hw, padding
    _, c_in, kh, kw = weight.shape
    grad_xp = np.zeros((grad_y.shape[0], c_in, h + 2 * ph, w + 2 * pw), dtype=np.result_type(grad_y, weight))
    out_hw = grad_y.shape[2:]
    for u in range(kh):
        for v in range(kw):
            patch = _window(grad_xp, u, v, out_hw, stride, dilation)  # a view: += writes into grad_xp
            patch += np.einsum("nohw,oc->nchw", grad_y, weight[:, :, u, v])
    return np.ascontiguousarray(grad_xp[:, :, ph : ph + h, pw : pw + w])


def conv_transpose2d(x, weight, bias, stride, padding, dilation, out_hw):
    """The transposed convolution of ``x`` (N, C_in, H, W) with ``weight`` (C_in, C_out, kH, kW):
    (N, C_out, *out_hw).

    It *is* the input gradient of the convolution with the same ``weight`` array (read as a convolution
    from C_out to C_in channels), evaluated at ``x`` as if ``x`` were that convolution's output gradient:
    :math:`y = C^\\top x + b`."""
    return _plus_bias(conv2d_input_grad(x, weight, stride, padding, dilation, out_hw), bias)


def _plus_bias(y, bias):
    if bias is not None:
        y += bias[:, None, None]
    return y


def conv2d_bias_grad(grad_y):
    """:math:`\\partial L/\\partial b_o = \\sum_{n, i, j} \\partial L/\\partial y_{n, o, i, j}`:
    (N, C, H, W) -> (C,)."""
    return grad_y.sum(axis=(0, 2, 3))


def conv2d_weight_grad(x, grad_y, stride, padding, dilation, kernel_hw):
    """:math:`\\partial L/\\partial w`: (N, C_in, H, W), (N, C_out, H_out, W_out) -> (C_out, C_in, kH, kW)."""
    xp = _zero_pad(x, padding)
    kh, kw = kernel_hw
    out_hw = grad_y.shape[2:]
    grad_w = np.zeros((grad_y.shape[1], x.shape[1], kh, kw), dtype=np.result_type(x, grad_y))
    for u in range(kh):
        for v in range(kw):
            patch = _window(xp, u, v, out_hw, stride, dilation)
            grad_w[:, :, u, v] = np.einsum("nohw,nchw->oc", grad_y, patch)
    return grad_w

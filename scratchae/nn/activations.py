"""Element-wise activations: ReLU, LeakyReLU, Sigmoid and Tanh."""

from __future__ import annotations

import numpy as np

from . import checks
from .functional import relu, relu_backward, sigmoid, sigmoid_backward
from .module import Module


class ReLU(Module):
    r"""Rectified linear unit, :math:`y = \max(x, 0)`.

    Notes
    -----
    .. math::

        \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} \cdot [x > 0]

    At :math:`x = 0` the derivative is taken as 0, as in PyTorch. Any shape; dtype is kept.
    NaN stays NaN and :math:`-\infty` gives 0, as in PyTorch. The element-wise loops are in
    :mod:`scratchae.kernels.reference.activations` (NumPy) and :mod:`scratchae.kernels.numba.activations`,
    called through :func:`scratchae.nn.functional.relu`.
    """

    def __init__(self) -> None:
        self._positive: np.ndarray | None = None  # where x > 0, kept by forward
        self._dtype: np.dtype | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        checks.floating_input("ReLU", x)
        y, self._positive = relu(x)
        self._dtype = x.dtype
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        positive = self._cached(self._positive)
        checks.upstream("ReLU", grad_out, positive.shape, self._dtype)
        return relu_backward(grad_out, positive)


class Sigmoid(Module):
    r"""Logistic function :math:`y = \sigma(x) = 1 / (1 + e^{-x})`.

    Notes
    -----
    .. math::

        \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\, y\,(1 - y)

    Computed as :math:`e^{\min(x, 0)} / (1 + e^{-|x|})`, which is :math:`1/(1+e^{-x})` for
    :math:`x \ge 0` and :math:`e^{x}/(1+e^{x})` otherwise: no exponential overflows, the limits 0 and 1
    are reached without warnings, and no branch is needed. For very negative :math:`x` the result
    underflows to 0 (its correct limit); that underflow is expected, so it is silenced even under
    ``np.errstate(all="raise")``.
    """

    def __init__(self) -> None:
        self._y: np.ndarray | None = None  # the output, kept by forward

    def forward(self, x: np.ndarray) -> np.ndarray:
        checks.floating_input("Sigmoid", x)
        y = sigmoid(x)
        self._y = y
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        y = self._cached(self._y)
        checks.upstream("Sigmoid", grad_out, y.shape, y.dtype)
        return sigmoid_backward(grad_out, y)


class LeakyReLU(Module):
    r"""Leaky rectified linear unit, as ``torch.nn.LeakyReLU``: :math:`y = x` for :math:`x > 0`, else
    :math:`a x`, with a small slope :math:`a` for negative inputs.

    Parameters
    ----------
    negative_slope : float, default 0.01
        The slope :math:`a` (in the input's dtype).
    inplace : bool, default False
        Write the output into the input array.

    Notes
    -----
    .. math::

        y = \begin{cases} x & x > 0 \\ a\,x & x \le 0 \end{cases}, \qquad
        \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} \cdot
            \begin{cases} 1 & x > 0 \\ a & x \le 0 \end{cases}

    Unlike ReLU's, a negative input still passes a (small) gradient, so a unit whose inputs are all
    negative can still learn (no "dying ReLU"); :math:`a = 0.2` is common in autoencoders and GANs
    (Maas, Hannun & Ng, 2013; Radford, Metz & Chintala, 2016). At :math:`x = 0` the derivative is taken
    as :math:`a`, as in PyTorch. Any shape; dtype is kept; NaN stays NaN.
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        if not checks.is_real_number(negative_slope):
            raise TypeError(f"LeakyReLU expected a number negative_slope, got {negative_slope!r}")
        self.negative_slope, self.inplace = negative_slope, bool(inplace)
        self._slopes: np.ndarray | None = None  # dy/dx, kept by forward

    def forward(self, x: np.ndarray) -> np.ndarray:
        checks.floating_input("LeakyReLU", x)
        f = x.dtype.type
        self._slopes = np.where(x > 0, f(1), f(self.negative_slope))  # dy/dx, element by element
        return np.asarray(np.multiply(x, self._slopes, out=x if self.inplace else None))  # 0-d stays an array

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        slopes = self._cached(self._slopes)
        checks.upstream("LeakyReLU", grad_out, slopes.shape, slopes.dtype)
        return grad_out * slopes

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Tanh(Module):
    r"""Hyperbolic tangent, :math:`y = \tanh x = (e^x - e^{-x}) / (e^x + e^{-x})`, as ``torch.nn.Tanh``.

    Notes
    -----
    .. math::

        \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\, (1 - y^2)

    computed from the output :math:`y`, as PyTorch does. :math:`\tanh x = 2\sigma(2x) - 1`: a sigmoid
    centred on 0, with outputs in :math:`(-1, 1)`. Any shape; dtype is kept.
    """

    def __init__(self) -> None:
        self._y: np.ndarray | None = None  # the output, kept by forward

    def forward(self, x: np.ndarray) -> np.ndarray:
        checks.floating_input("Tanh", x)
        self._y = np.asarray(np.tanh(x))
        return self._y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        y = self._cached(self._y)
        checks.upstream("Tanh", grad_out, y.shape, y.dtype)
        return grad_out * (y.dtype.type(1) - y * y)

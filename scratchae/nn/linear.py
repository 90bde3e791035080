"""Fully connected layer."""

from __future__ import annotations

import numpy as np

from . import checks
from .init import default_weight_and_bias
from .module import Module, Parameter


class Linear(Module):
    r"""Affine map :math:`y = x W^\top + b`, as ``torch.nn.Linear``.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of each input and output sample.
    bias : bool, default True
        Learn an additive bias.
    dtype : numpy dtype, default float32
        Dtype of the parameters.
    rng : numpy.random.Generator, optional
        Source of the initial weights (default: the generator of :func:`scratchae.manual_seed`).

    Shapes
    ------
    x : (*, in_features) -> y : (*, out_features);  weight : (out_features, in_features);
    bias : (out_features,)

    Notes
    -----
    Forward and backward, with the batch dimensions of :math:`x` flattened into rows and
    :math:`G = \partial L / \partial y`:

    .. math::

        y = x W^\top + b, \qquad
        \frac{\partial L}{\partial x} = G\,W, \qquad
        \frac{\partial L}{\partial W} = G^\top x, \qquad
        \frac{\partial L}{\partial b} = \textstyle\sum_{\text{rows}} G.

    With ``needs_input_grad = False`` (see :class:`~scratchae.nn.Module`) backward skips
    :math:`G\,W` and returns ``None``.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, dtype=np.float32, rng=None):
        self.in_features = checks.positive_int(in_features, "in_features", "Linear")
        self.out_features = checks.positive_int(out_features, "out_features", "Linear")
        w, b = default_weight_and_bias((out_features, in_features), out_features if bias else None, dtype, rng)
        self.weight = Parameter(w)
        self.bias = Parameter(b) if bias else None
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        checks.floating_input(self, x, self.weight.dtype)
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            raise ValueError(f"{self!r} expected input of shape (*, {self.in_features}), got {x.shape}")
        self._x = x
        y = x @ self.weight.data.T
        if self.bias is not None:
            y += self.bias.data
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        x = self._cached(self._x)
        checks.upstream(self, grad_out, (*x.shape[:-1], self.out_features), x.dtype)
        g2 = grad_out.reshape(-1, self.out_features)
        x2 = x.reshape(-1, self.in_features)
        self.weight.grad += g2.T @ x2
        if self.bias is not None:
            self.bias.grad += g2.sum(axis=0)
        if not self.needs_input_grad:
            return None
        return grad_out @ self.weight.data

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}" + ("" if self.bias is not None else ", bias=False")

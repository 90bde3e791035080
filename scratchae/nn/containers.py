"""Sequential (layers applied in order, their backwards in reverse: the chain rule), and Identity."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .module import Module


class Sequential(Module):
    """A chain of modules, as ``torch.nn.Sequential``.

    ``Sequential(a, b, c)`` names its layers ``0``, ``1``, ``2``; ``Sequential({"fc1": a, ...})``
    (any ordered mapping) keeps the given names, so parameters are keyed ``fc1.weight`` and so on.

    Notes
    -----
    For :math:`y = f_n(\\cdots f_1(x))`,
    :math:`\\partial L/\\partial x = J_{f_1}^\\top \\cdots J_{f_n}^\\top\\, \\partial L/\\partial y`:
    backward walks the layers from last to first.
    """

    def __init__(self, *layers):
        if len(layers) == 1 and isinstance(layers[0], Mapping):
            named = list(layers[0].items())
        else:
            named = [(str(i), layer) for i, layer in enumerate(layers)]
        for name, layer in named:
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential expected Module layers, got {type(layer).__name__} for {name!r}")
            setattr(self, name, layer)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for _, layer in self.named_children():
            x = layer(x)
        return x

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        """dL/dx through every layer, last to first; None if the first layer skips it (its
        ``needs_input_grad`` is False)."""
        for _, layer in reversed(list(self.named_children())):
            grad_out = layer.backward(grad_out)
        return grad_out

    def __len__(self) -> int:
        return len(list(self.named_children()))

    def __iter__(self):
        return (layer for _, layer in self.named_children())

    def __getitem__(self, index: int) -> Module:
        return list(self)[index]


class Identity(Module):
    r"""The layer that does nothing, :math:`y = x` and :math:`\partial L/\partial x = \partial L/\partial y`,
    as ``torch.nn.Identity``: a placeholder where a model can switch a layer off (``BatchNorm2d(16) if
    batch_norm else Identity()``) without changing its code. Accepts and ignores any arguments."""

    def __init__(self, *args, **kwargs):
        pass

    def forward(self, x):
        return x

    def backward(self, grad_out):
        return grad_out

"""Shape-only layers: Flatten and Unflatten. Their backward undoes the reshape."""

from __future__ import annotations

import math

import numpy as np

from . import _checks
from .module import Module


class Flatten(Module):
    """Flatten dimensions ``start_dim..end_dim`` into one, as ``torch.nn.Flatten`` (default: all but the batch).

    Backward reshapes the gradient back to the input's shape.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        self.start_dim, self.end_dim = start_dim, end_dim
        self._shape = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        _checks.floating_input("Flatten", x)
        nd = max(x.ndim, 1)
        start, end = self.start_dim % nd, self.end_dim % nd
        if not (-nd <= self.start_dim < nd and -nd <= self.end_dim < nd) or start > end:
            raise ValueError(
                f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}) does not fit an input "
                f"of shape {x.shape}"
            )
        self._shape = x.shape
        return x.reshape(x.shape[:start] + (math.prod(x.shape[start:end + 1]),) + x.shape[end + 1:])

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        shape = self._cached(self._shape)
        return grad_out.reshape(shape)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``, as ``torch.nn.Unflatten``."""

    def __init__(self, dim: int, unflattened_size):
        self.dim, self.unflattened_size = dim, tuple(int(s) for s in unflattened_size)
        self._shape = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        _checks.floating_input("Unflatten", x)
        if not -x.ndim <= self.dim < x.ndim:
            raise ValueError(f"Unflatten(dim={self.dim}) needs an input with that dimension, got shape {x.shape}")
        d = self.dim % x.ndim
        if math.prod(self.unflattened_size) != x.shape[d]:
            raise ValueError(
                f"Unflatten expected dimension {self.dim} of size {math.prod(self.unflattened_size)} "
                f"(= prod{self.unflattened_size}), got shape {x.shape}"
            )
        self._shape = x.shape
        return x.reshape(x.shape[:d] + self.unflattened_size + x.shape[d + 1:])

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        shape = self._cached(self._shape)
        return grad_out.reshape(shape)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"

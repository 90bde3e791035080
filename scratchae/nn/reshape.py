"""Shape-only layers: Flatten and Unflatten. Their backward undoes the reshape."""

from __future__ import annotations

import math

import numpy as np

from . import checks
from .module import Module


class Flatten(Module):
    """Flatten dimensions ``start_dim..end_dim`` into one, as ``torch.nn.Flatten`` (default: all but the batch).

    Backward reshapes the gradient back to the input's shape.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        self.start_dim, self.end_dim = start_dim, end_dim
        self._shape: tuple[int, ...] | None = None  # the input's
        self._out: tuple[tuple[int, ...], np.dtype] | None = None  # the output's shape and dtype

    def forward(self, x: np.ndarray) -> np.ndarray:
        checks.floating_input("Flatten", x)
        nd = max(x.ndim, 1)
        start, end = self.start_dim % nd, self.end_dim % nd
        if not (-nd <= self.start_dim < nd and -nd <= self.end_dim < nd) or start > end:
            raise ValueError(
                f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}) does not fit an input of shape {x.shape}"
            )
        y = x.reshape((*x.shape[:start], math.prod(x.shape[start : end + 1]), *x.shape[end + 1 :]))
        self._shape, self._out = x.shape, (y.shape, y.dtype)
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        shape, (out_shape, out_dtype) = self._cached(self._shape), self._cached(self._out)
        checks.upstream("Flatten", grad_out, out_shape, out_dtype)
        return grad_out.reshape(shape)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``, as ``torch.nn.Unflatten``.

    One entry of ``unflattened_size`` may be -1: it is inferred from the input, as in PyTorch.
    """

    def __init__(self, dim: int, unflattened_size):
        self.dim, self.unflattened_size = dim, tuple(int(s) for s in unflattened_size)
        if any(s < -1 for s in self.unflattened_size) or self.unflattened_size.count(-1) > 1:
            raise ValueError(
                f"Unflatten expected sizes >= 0 with at most one -1 (inferred), got {self.unflattened_size}"
            )
        self._shape: tuple[int, ...] | None = None  # the input's
        self._out: tuple[tuple[int, ...], np.dtype] | None = None  # the output's shape and dtype

    def forward(self, x: np.ndarray) -> np.ndarray:
        checks.floating_input("Unflatten", x)
        if not -x.ndim <= self.dim < x.ndim:
            raise ValueError(f"Unflatten(dim={self.dim}) needs an input with that dimension, got shape {x.shape}")
        d = self.dim % x.ndim
        sizes = self._sizes_for(x.shape[d], x.shape)
        y = x.reshape(x.shape[:d] + sizes + x.shape[d + 1 :])
        self._shape, self._out = x.shape, (y.shape, y.dtype)
        return y

    def _sizes_for(self, length: int, shape: tuple[int, ...]) -> tuple[int, ...]:
        """``unflattened_size`` with its -1 (if any) replaced by what makes the product ``length``."""
        sizes = self.unflattened_size
        known = math.prod(s for s in sizes if s != -1)
        if -1 not in sizes:
            if known != length:
                raise ValueError(
                    f"Unflatten expected dimension {self.dim} of size {known} (= prod{sizes}), got shape {shape}"
                )
            return sizes
        if known == 0:
            raise ValueError(f"Unflatten cannot infer the -1 in {sizes}: next to a size 0 any value fits")
        if length % known:
            raise ValueError(
                f"Unflatten expected dimension {self.dim} of a size divisible by {known} "
                f"(the product of {sizes} without the -1), got shape {shape}"
            )
        return tuple(length // known if s == -1 else s for s in sizes)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        shape, (out_shape, out_dtype) = self._cached(self._shape), self._cached(self._out)
        checks.upstream("Unflatten", grad_out, out_shape, out_dtype)
        return grad_out.reshape(shape)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"

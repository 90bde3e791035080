"""Input validation shared by the layers: every bad input names the layer, what it expected and what came.

The layers check their arguments when they are built and their inputs at every call, then hand
validated arrays to :mod:`scratchae.nn.functional`, which does not check again.
"""

from __future__ import annotations

import numbers

import numpy as np


def _describe(layer) -> str:
    """The name used in messages: a string as given, or a layer's ``repr`` (built only when raising,
    so that checking costs nothing on the happy path)."""
    return layer if isinstance(layer, str) else repr(layer)


def floating_input(layer, x, dtype=None) -> np.ndarray:
    """Return ``x`` as an ndarray after checking it is float32/float64 (and ``dtype`` if given).

    Integer, boolean and float16 arrays are refused rather than converted, so that no layer silently
    changes precision: cast explicitly (``x.astype(np.float32)``).
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{_describe(layer)} expected a numpy.ndarray input, got {type(x).__name__}")
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(
            f"{_describe(layer)} expected a float32 or float64 input, got {x.dtype}; cast it first, "
            f"e.g. x.astype(np.float32)"
        )
    if dtype is not None and x.dtype != dtype:
        raise TypeError(
            f"{_describe(layer)} expected a {np.dtype(dtype)} input (the dtype of its parameters), "
            f"got {x.dtype}; cast the input or call model.to(np.{x.dtype})"
        )
    return x


def rank(layer, x: np.ndarray, ndim: int, layout: str) -> None:
    if x.ndim != ndim:
        raise ValueError(f"{_describe(layer)} expected a {ndim}-D input {layout}, got shape {x.shape}")


def images(layer, x: np.ndarray) -> None:
    """Check that ``x`` is a batch of images (N, C, H, W) with at least one row and one column.

    An empty batch (N = 0) is fine, as in PyTorch; an image of no pixels is refused, as in PyTorch.
    """
    rank(layer, x, 4, "(N, C, H, W)")
    if x.shape[2] == 0 or x.shape[3] == 0:
        raise ValueError(f"{_describe(layer)} expected images of at least 1x1 pixels, got shape {x.shape}")


def unbatched_as_batch(layer, x) -> tuple[np.ndarray, bool]:
    """``(x as a batch, whether it was one image)``: a (C, H, W) image becomes a batch of one, (1, C, H, W).

    The layers that accept one image as PyTorch does (Conv2d, ConvTranspose2d, MaxPool2d) compute on the
    batch of one and remove the batch axis from their output (and from their input gradient). A 4-D
    input is returned as it is; any other number of dimensions is refused here.
    """
    if not isinstance(x, np.ndarray):
        return x, False  # floating_input says what is wrong with it
    if x.ndim == 3:
        return x[None], True
    if x.ndim != 4:
        raise ValueError(f"{_describe(layer)} expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {x.shape}")
    return x, False


def upstream(layer, grad_out: np.ndarray, shape: tuple[int, ...], dtype) -> np.ndarray:
    """Check that the upstream gradient has the shape and dtype of the forward output."""
    if not isinstance(grad_out, np.ndarray):
        raise TypeError(f"{_describe(layer)}.backward expected a numpy.ndarray gradient, got {type(grad_out).__name__}")
    if grad_out.shape != tuple(shape):
        raise ValueError(
            f"{_describe(layer)}.backward expected a gradient of shape {tuple(shape)} (the forward "
            f"output), got {grad_out.shape}"
        )
    if grad_out.dtype != dtype:
        raise TypeError(
            f"{_describe(layer)}.backward expected a {np.dtype(dtype)} gradient (the dtype of the forward "
            f"output), got {grad_out.dtype}"
        )
    return grad_out


def is_real_number(value: object) -> bool:
    """Whether ``value`` is a real number (an int, a float, a NumPy scalar, a Fraction...), a bool not counting.

    (It takes an ``object``: a layer annotates its arguments ``float`` but checks what actually came.)
    """
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def positive_int(value, name: str, layer: str) -> int:
    """``value`` as a Python int after checking it is a positive integer (a number of channels or features)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{layer} expected {name} to be a positive integer, got {value!r}")
    return int(value)


def no_groups(groups, layer: str) -> None:
    """Refuse grouped convolutions (only ``groups=1`` is implemented)."""
    if groups != 1:
        raise ValueError(f"{layer} supports only groups=1, got groups={groups!r}")


def images_with_channels(layer, x, channels: int, dtype) -> np.ndarray:
    """Check that ``x`` is a (N, C, H, W) float array of ``dtype`` (the parameters') with ``channels`` channels."""
    floating_input(layer, x, dtype)
    images(layer, x)
    if x.shape[1] != channels:
        raise ValueError(f"{layer!r} expected {channels} channels, got {x.shape[1]} (input shape {x.shape})")
    return x

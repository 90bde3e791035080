"""Hypothesis strategies shared by the property tests: dtypes, shapes, and the same values in other memory.

A layer must give the same answer for an array whatever its memory layout: C-contiguous, Fortran order,
a strided or reversed view, a read-only array, or a read-only broadcast view with zero strides (what
``np.broadcast_to`` returns). :func:`in_layout` builds such an array; tests compare the layer's result
on it with the result on ``np.ascontiguousarray`` of the same array.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

FLOAT_DTYPES = st.sampled_from([np.float32, np.float64])
LAYOUTS = ["contiguous", "fortran", "strided", "reversed", "readonly", "broadcast"]
layouts = st.sampled_from(LAYOUTS)
# dtypes every layer refuses with a TypeError (decided: no silent conversion)
REFUSED_DTYPES = [np.int8, np.int32, np.int64, np.uint8, np.bool_, np.float16, np.complex64, np.longdouble]
refused_dtypes = st.sampled_from([d for d in REFUSED_DTYPES if np.dtype(d) not in (np.float32, np.float64)])


def in_layout(x: np.ndarray, layout: str) -> np.ndarray:
    """An array with the values of ``x`` (or, for 'broadcast', of its first entry along axis 0)."""
    if layout == "contiguous" or x.ndim == 0:
        return np.ascontiguousarray(x)
    if layout == "fortran":
        return np.asfortranarray(x)
    if layout == "strided":
        big = np.zeros((*x.shape[:-1], 2 * x.shape[-1] + 1), x.dtype)
        big[..., 1::2] = x
        return big[..., 1::2]
    if layout == "reversed":
        return np.flip(np.ascontiguousarray(np.flip(x)))
    if layout == "readonly":
        y = x.copy()
        y.flags.writeable = False
        return y
    if layout == "broadcast":
        first = x[:1] if x.shape[0] > 0 else x
        return np.broadcast_to(first, x.shape)
    raise ValueError(layout)


def random_array(draw, shape, dtype, scale=3.0) -> np.ndarray:
    """Normal values from a seed drawn by hypothesis (arrays of floats draw slowly element by element)."""
    seed = draw(st.integers(0, 2**32 - 1))
    return (scale * np.random.default_rng(seed).standard_normal(shape)).astype(dtype)


def shapes(min_dims=0, max_dims=4, min_side=0, max_side=4):
    return st.lists(st.integers(min_side, max_side), min_size=min_dims, max_size=max_dims).map(tuple)


def sprinkle_non_finite(draw, x: np.ndarray) -> np.ndarray:
    """Put NaN, +inf and -inf at a few random positions of a copy of ``x``."""
    x = x.copy()
    if x.size:
        count = draw(st.integers(0, min(3, x.size)))
        seed = draw(st.integers(0, 2**32 - 1))
        rng = np.random.default_rng(seed)
        where = rng.choice(x.size, count, replace=False)
        x.flat[where] = rng.choice([np.nan, np.inf, -np.inf], count)
    return x

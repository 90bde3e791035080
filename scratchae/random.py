"""The library's random number generator: ``scratchae.manual_seed(n)`` makes initialization reproducible.

Every layer that draws random numbers takes an optional ``rng`` (a :class:`numpy.random.Generator`);
without one it draws from the generator that :func:`manual_seed` resets, as ``torch.manual_seed`` does.
"""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reset the default generator to ``seed`` and return it."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed expected a non-negative integer, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def default_generator() -> np.random.Generator:
    return _generator


def resolve(rng: np.random.Generator | None) -> np.random.Generator:
    """``rng`` if given, else the default generator."""
    if rng is None:
        return _generator
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng

"""Mini-batches: walk a dataset in steps of ``batch_size``, optionally in a seeded random order.

Only an index permutation (N integers) is made per epoch; each batch is sliced out of the stored
arrays when it is asked for, so an epoch never copies the whole dataset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from .. import random as _random


def _generator(seed) -> np.random.Generator:
    if seed is None:
        return _random.default_generator()  # reproducible after scratchae.manual_seed(n)
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, a numpy.random.Generator or None, got {seed!r}")
    return np.random.default_rng(int(seed))


def iterate_batches(
    images: np.ndarray,
    labels: np.ndarray | None,
    batch_size: int,
    *,
    shuffle: bool = False,
    seed=None,
    drop_last: bool = False,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
    """Yield ``(images, labels)`` mini-batches, one pass over the data.

    Parameters
    ----------
    images, labels : numpy.ndarray
        Arrays with the same first dimension N. ``labels`` may be None (an autoencoder's images are
        their own targets); the batches then carry None as their labels.
    batch_size : int
        Number of examples per batch (the last one may be smaller, see ``drop_last``).
    shuffle : bool
        Visit the examples in a random order drawn from ``seed``.
    seed : int or numpy.random.Generator, optional
        The same integer gives the same order. ``None`` draws from the generator that
        :func:`scratchae.manual_seed` resets.
    drop_last : bool
        Drop the last batch when it has fewer than ``batch_size`` examples.
    transform : callable, optional
        Applied to each batch of images, e.g. uint8 -> float32 in [0, 1].

    Yields
    ------
    tuple of numpy.ndarray
        Without shuffling, views into ``images`` and ``labels`` (or ``transform`` of them); with
        shuffling, copies of the selected rows only.
    """
    if labels is not None and len(images) != len(labels):
        raise ValueError(f"iterate_batches: images and labels differ in length: {len(images)} != {len(labels)}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    n = len(images)
    order = _generator(seed).permutation(n) if shuffle else None
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        end = min(start + batch_size, n)
        rows = slice(start, end) if order is None else order[start:end]
        batch_images = images[rows]
        batch_labels = None if labels is None else labels[rows]
        if transform is not None:
            batch_images = transform(batch_images)
        yield batch_images, batch_labels


def num_batches(n: int, batch_size: int, drop_last: bool = False) -> int:
    """Number of batches :func:`iterate_batches` yields for ``n`` examples."""
    return n // batch_size if drop_last else -(-n // batch_size)


class DataLoader:
    """Re-iterable mini-batches, like ``torch.utils.data.DataLoader``: one epoch per ``for`` loop.

    With ``shuffle=True`` every epoch draws a new order from one generator seeded once with
    ``seed``, so the sequence of epochs is reproducible.

    Parameters
    ----------
    dataset : object
        Anything with ``images`` / ``labels``-like arrays; a :class:`~scratchae.data.Dataset` is
        converted batch by batch to float32 in [0, 1].
    batch_size, shuffle, seed, drop_last
        As in :func:`iterate_batches`.

    Examples
    --------
    >>> from scratchae.data import DataLoader, load_dataset
    >>> loader = DataLoader(load_dataset("sample"), batch_size=64, shuffle=True, seed=0)
    >>> for images, labels in loader:   # images: float32 (64, 1, 28, 28)
    ...     pass
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False, seed=None, drop_last: bool = False):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self._rng = _generator(seed) if shuffle else None

    def __iter__(self):
        return self.dataset.batches(self.batch_size, shuffle=self.shuffle, seed=self._rng, drop_last=self.drop_last)

    def __len__(self) -> int:
        return num_batches(len(self.dataset), self.batch_size, self.drop_last)

"""The embedded sample: a few thousand real Fashion-MNIST images shipped inside the package.

``scratchae/data/sample/fashion-mnist-sample.npz`` holds, as uint8, the first 400 training images of
each of the 10 classes (4,000) and the first 100 test images of each class (1,000), in their original
order, plus the indices they have in the full dataset. ``scripts/build_sample.py`` builds it from the
Debian package ``dataset-fashion-mnist``. Fashion-MNIST is (c) 2017 Zalando SE, MIT license; see
``scratchae/data/sample/NOTICE.txt``.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

SAMPLE_FILE = "fashion-mnist-sample.npz"
NOTICE_FILE = "NOTICE.txt"
PER_CLASS = {"train": 400, "test": 100}


def load_sample(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """The embedded sample's uint8 images (N, 28, 28) and uint8 labels (N,) for ``split``.

    Parameters
    ----------
    split : {"train", "test"}

    Returns
    -------
    images, labels : numpy.ndarray
        N = 4000 for "train", 1000 for "test".
    """
    if split not in PER_CLASS:
        raise ValueError(f"the sample has the splits 'train' and 'test', got {split!r}")
    with (resources.files(__package__) / "sample" / SAMPLE_FILE).open("rb") as stream, np.load(stream) as archive:
        return archive[f"{split}_images"], archive[f"{split}_labels"]


def sample_indices(split: str = "train") -> np.ndarray:
    """Indices in the full Fashion-MNIST ``split`` of the images in the sample."""
    with (resources.files(__package__) / "sample" / SAMPLE_FILE).open("rb") as stream, np.load(stream) as archive:
        return archive[f"{split}_indices"]


def choose_indices(labels: np.ndarray, per_class: int) -> np.ndarray:
    """The first ``per_class`` indices of each class, in dataset order (deterministic, balanced)."""
    chosen = [np.flatnonzero(labels == label)[:per_class] for label in range(10)]
    if any(len(indices) < per_class for indices in chosen):
        raise ValueError(f"choose_indices: some class has fewer than {per_class} examples")
    return np.sort(np.concatenate(chosen))

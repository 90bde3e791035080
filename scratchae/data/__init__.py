"""Data: the IDX format, MNIST / Fashion-MNIST / the embedded sample, mini-batches and noise.

>>> from scratchae.data import load_dataset, add_gaussian_noise
>>> train = load_dataset("sample")                # 4,000 Fashion-MNIST images, no network needed
>>> for images, labels in train.batches(64, shuffle=True, seed=0):
...     noisy = add_gaussian_noise(images, 0.5)   # the clean images stay the target
"""

from .batches import DataLoader, iterate_batches
from .datasets import Dataset, cache_dir, fetch, load_dataset, search_dirs
from .download import DownloadError, download_file
from .idx import read_idx, write_idx
from .noise import add_gaussian_noise, add_salt_and_pepper

__all__ = [
    "load_dataset",
    "Dataset",
    "DataLoader",
    "iterate_batches",
    "fetch",
    "search_dirs",
    "cache_dir",
    "download_file",
    "DownloadError",
    "read_idx",
    "write_idx",
    "add_gaussian_noise",
    "add_salt_and_pepper",
]

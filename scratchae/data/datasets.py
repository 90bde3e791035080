"""MNIST, Fashion-MNIST and the embedded sample as :class:`Dataset` objects.

Where the IDX files are looked for, in this order (the first directory holding both files of the
split wins):

1. the ``root`` argument: ``root/`` itself, then ``root/<name>/``;
2. ``$SCRATCHAE_DATA/<name>/``;
3. the per-user cache, ``$XDG_CACHE_HOME/scratchae/<name>/`` (default ``~/.cache/scratchae/<name>/``);
4. system directories where a package manager puts them, ``/usr/share/datasets/<name>/``
   (the Debian package ``dataset-fashion-mnist`` installs Fashion-MNIST there).

Each file may be gzip-compressed (``train-images-idx3-ubyte.gz``) or not (``train-images-idx3-ubyte``).
With ``download=True`` missing files are downloaded into the first writable place of 1-3.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from . import download as _download
from .batches import iterate_batches, num_batches
from .idx import read_idx
from .sample import load_sample

NAMES = ("mnist", "fashion-mnist", "sample")
SPLITS = ("train", "test")

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
SIZES = {"train": 60_000, "test": 10_000}

CLASSES = {
    "mnist": tuple(str(digit) for digit in range(10)),
    "fashion-mnist": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
}
CLASSES["sample"] = CLASSES["fashion-mnist"]

SYSTEM_DIRS = (Path("/usr/share/datasets"), Path("/usr/local/share/datasets"))
ENV_VAR = "SCRATCHAE_DATA"

HOW_TO_GET = {
    "mnist": "download them with load_dataset('mnist', download=True), or copy the four IDX "
    "files into one of the directories above",
    "fashion-mnist": "install the Debian/Ubuntu package (`sudo apt-get install dataset-fashion-mnist`), "
    "download them with load_dataset('fashion-mnist', download=True), or copy the "
    "four IDX files into one of the directories above",
}


def to_float(pixels: np.ndarray) -> np.ndarray:
    r"""uint8 images (N, H, W) -> float32 (N, 1, H, W) in [0, 1], as torchvision's ``ToTensor``:
    :math:`x = \text{pixel} / 255`."""
    images = pixels[:, None].astype(np.float32)
    images /= np.float32(255)  # in place: one float32 array, not two
    return images


class Dataset:
    """Images and labels of one split, kept as uint8 and converted to float32 when asked for.

    Parameters
    ----------
    pixels : numpy.ndarray
        uint8 images, shape (N, 28, 28), values 0..255 as stored in the IDX file.
    labels : numpy.ndarray
        Integer class labels, shape (N,), values 0..9.
    name, split : str
        For messages and ``repr``.
    classes : tuple of str, optional
        Class names, indexed by label.

    Attributes
    ----------
    pixels : numpy.ndarray
        uint8 (N, 28, 28), the stored form (47 MB for the full training set).
    labels : numpy.ndarray
        int64 (N,).
    images : numpy.ndarray
        float32 (N, 1, 28, 28) in [0, 1]; computed on first access and kept (188 MB for the full
        training set). :meth:`batches` does not need it: it converts batch by batch.
    """

    def __init__(
        self,
        pixels: np.ndarray,
        labels: np.ndarray,
        *,
        name: str = "dataset",
        split: str = "train",
        classes: tuple[str, ...] | None = None,
    ):
        if pixels.dtype != np.uint8 or pixels.ndim != 3:
            raise ValueError(f"Dataset expected uint8 images of shape (N, H, W), got {pixels.dtype} {pixels.shape}")
        if labels.ndim != 1 or len(labels) != len(pixels):
            raise ValueError(f"Dataset expected labels of shape ({len(pixels)},), got {labels.shape}")
        self.pixels = pixels
        self.labels = labels.astype(np.int64)
        self.name = name
        self.split = split
        self.classes = classes
        self._images: np.ndarray | None = None

    @property
    def images(self) -> np.ndarray:
        """float32 (N, 1, 28, 28) in [0, 1], made from :attr:`pixels` on first access."""
        if self._images is None:
            self._images = to_float(self.pixels)
        return self._images

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[np.ndarray, int]:
        """``(image, label)``: float32 (1, 28, 28) in [0, 1] and an int."""
        return to_float(self.pixels[index][None])[0], int(self.labels[index])

    def batches(self, batch_size: int, shuffle: bool = False, seed=None, drop_last: bool = False):
        """One pass over the data in mini-batches of float32 images (B, 1, 28, 28) and int64 labels.

        See :func:`scratchae.data.iterate_batches` for the arguments. Each batch is converted from
        uint8 when it is reached, so no float32 copy of the whole dataset is made.
        """
        return iterate_batches(
            self.pixels, self.labels, batch_size, shuffle=shuffle, seed=seed, drop_last=drop_last, transform=to_float
        )

    def num_batches(self, batch_size: int, drop_last: bool = False) -> int:
        """How many batches :meth:`batches` yields."""
        return num_batches(len(self), batch_size, drop_last)

    def subset(self, indices) -> Dataset:
        """A new :class:`Dataset` with the examples at ``indices`` (a slice, or integer indices)."""
        return Dataset(
            self.pixels[indices], self.labels[indices], name=self.name, split=self.split, classes=self.classes
        )

    def __repr__(self) -> str:
        return f"Dataset({self.name!r}, split={self.split!r}, n={len(self)})"


def cache_dir() -> Path:
    """The per-user cache directory: ``$XDG_CACHE_HOME/scratchae`` or ``~/.cache/scratchae``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "scratchae"


def search_dirs(name: str, root=None) -> list[Path]:
    """The directories searched for dataset ``name``, in order (see the module docstring)."""
    dirs = []
    if root is not None:
        dirs += [Path(root), Path(root) / name]
    if os.environ.get(ENV_VAR):
        dirs.append(Path(os.environ[ENV_VAR]) / name)
    dirs.append(cache_dir() / name)
    dirs += [system / name for system in SYSTEM_DIRS]
    return dirs


def download_dir(name: str, root=None) -> Path:
    """Where ``download=True`` puts missing files: ``root/<name>``, else ``$SCRATCHAE_DATA/<name>``,
    else the per-user cache."""
    if root is not None:
        return Path(root) / name
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]) / name
    return cache_dir() / name


def _find(directory: Path, stem: str) -> Path | None:
    for candidate in (directory / f"{stem}.gz", directory / stem):
        if candidate.is_file():
            return candidate
    return None


def find_files(name: str, split: str, root=None) -> tuple[Path, Path] | None:
    """Paths of the images and labels files of ``name``/``split``, or None when not found."""
    for directory in search_dirs(name, root):
        images_stem, labels_stem = FILES[split]
        images, labels = _find(directory, images_stem), _find(directory, labels_stem)
        if images is not None and labels is not None:
            return images, labels
    return None


def _missing_message(name: str, split: str, root) -> str:
    lines = [
        f"{name} ({split} split) not found: the files "
        + " and ".join(f"{stem}.gz" for stem in FILES[split])
        + " (or the same without .gz) are missing.",
        "Looked in:",
    ]
    for directory in search_dirs(name, root):
        missing = [stem for stem in FILES[split] if _find(directory, stem) is None]
        state = "does not exist" if not directory.is_dir() else "missing " + ", ".join(missing)
        lines.append(f"  {directory}  ({state})")
    if not os.environ.get(ENV_VAR):
        lines.append(f"  (${ENV_VAR} is not set)")
    lines.append(f"To get them: {HOW_TO_GET[name]}.")
    lines.append("Without a network, load_dataset('sample') gives the embedded Fashion-MNIST sample.")
    return "\n".join(lines)


def fetch(
    name: str, split: str | None = None, root=None, *, mirrors=None, checksums=None, progress: bool = True
) -> list[Path]:
    """Download the IDX files of ``name`` (one split, or both) that are not found locally.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist"}
    split : {"train", "test"}, optional
        Both splits by default.
    root : str or os.PathLike, optional
        Download into ``root/<name>`` (default: see :func:`download_dir`).
    mirrors : sequence of str, optional
        Base URLs tried in turn; default ``scratchae.data.download.MIRRORS[name]``.
    checksums : dict, optional
        ``{filename: sha256}``; default ``scratchae.data.download.SHA256[name]``.
    progress : bool
        Show progress bars.

    Returns
    -------
    list of pathlib.Path
        The files downloaded (empty when everything was already there).
    """
    _check_name(name, allow_sample=False)
    mirrors = _download.MIRRORS[name] if mirrors is None else mirrors
    checksums = _download.SHA256[name] if checksums is None else checksums
    target = download_dir(name, root)
    fetched = []
    for each_split in SPLITS if split is None else (_check_split(split),):
        if find_files(name, each_split, root) is not None:
            continue
        for stem in FILES[each_split]:
            if _find(target, stem) is None:
                filename = f"{stem}.gz"
                fetched.append(
                    _download.download_file(
                        filename, target, mirrors=mirrors, sha256=checksums[filename], progress=progress
                    )
                )
    return fetched


def load_dataset(name: str, split: str = "train", root=None, download: bool = False) -> Dataset:
    """Load one split of MNIST, Fashion-MNIST or the embedded sample.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist", "sample"}
        ``"sample"`` is the small Fashion-MNIST sample inside the package (4,000 train and 1,000
        test images); it needs no files and no network.
    split : {"train", "test"}
    root : str or os.PathLike, optional
        A directory to look in first (the files directly in it, or in ``root/<name>/``).
    download : bool
        Download missing files from the public mirrors (verified by SHA-256).

    Returns
    -------
    Dataset
        ``.images`` float32 (N, 1, 28, 28) in [0, 1], ``.labels`` int64 (N,), ``len()``,
        ``.batches(batch_size, shuffle=False, seed=None, drop_last=False)``.

    Raises
    ------
    FileNotFoundError
        The files are not found and ``download`` is False; the message lists the missing files,
        every directory searched, and how to get them.
    ValueError
        A file is corrupt or does not hold what the dataset should.
    """
    _check_name(name, allow_sample=True)
    _check_split(split)
    if name == "sample":
        pixels, labels = load_sample(split)
        return Dataset(pixels, labels, name=name, split=split, classes=CLASSES[name])
    found = find_files(name, split, root)
    if found is None and download:
        fetch(name, split, root)
        found = find_files(name, split, root)
    if found is None:
        raise FileNotFoundError(_missing_message(name, split, root))
    images_path, labels_path = found
    pixels, labels = read_idx(images_path), read_idx(labels_path)
    _check_contents(pixels, labels, images_path, labels_path)
    return Dataset(pixels, labels, name=name, split=split, classes=CLASSES[name])


def _check_contents(pixels, labels, images_path, labels_path) -> None:
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[1:] != (28, 28):
        raise ValueError(
            f"{images_path}: expected uint8 images of shape (N, 28, 28), got {pixels.dtype} {pixels.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(f"{labels_path}: expected uint8 labels of shape (N,), got {labels.dtype} {labels.shape}")
    if len(labels) != len(pixels):
        raise ValueError(f"{labels_path}: {len(labels)} labels for the {len(pixels)} images of {images_path}")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{labels_path}: labels must be 0..9, found {int(labels.max())}")


def _check_name(name: str, allow_sample: bool) -> None:
    names = NAMES if allow_sample else NAMES[:2]
    if name not in names:
        raise ValueError(f"unknown dataset {name!r}; expected one of {', '.join(map(repr, names))}")


def _check_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected 'train' or 'test'")
    return split

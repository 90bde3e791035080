"""load_dataset: the embedded sample, the full Fashion-MNIST when installed, and the look-up order."""

from pathlib import Path

import numpy as np
import pytest

from scratchae.data import Dataset, datasets, load_dataset, search_dirs, write_idx
from scratchae.data.sample import load_sample, sample_indices

FASHION = Path("/usr/share/datasets/fashion-mnist")
needs_fashion = pytest.mark.skipif(
    not (FASHION / "train-images-idx3-ubyte.gz").is_file(),
    reason="full Fashion-MNIST not installed (sudo apt-get install dataset-fashion-mnist)",
)


def check_dataset(dataset, n):
    assert isinstance(dataset, Dataset) and len(dataset) == n
    assert dataset.images.shape == (n, 1, 28, 28) and dataset.images.dtype == np.float32
    assert dataset.labels.shape == (n,) and dataset.labels.dtype == np.int64
    assert 0 <= dataset.images.min() and dataset.images.max() <= 1
    assert dataset.images.max() == 1 and dataset.images.min() == 0  # real images use the full range
    assert set(np.unique(dataset.labels)) == set(range(10))


@pytest.mark.parametrize("split, n", [("train", 4000), ("test", 1000)])
def test_embedded_sample(split, n):
    sample = load_dataset("sample", split)
    check_dataset(sample, n)
    np.testing.assert_array_equal(np.bincount(sample.labels), np.full(10, n // 10))
    assert len(sample.classes) == 10 and sample.classes[9] == "Ankle boot"


def test_sample_train_and_test_differ():
    train, test = load_sample("train")[0], load_sample("test")[0]
    assert not np.array_equal(train[:1000], test)


def test_sample_is_small_and_carries_the_license():
    folder = Path(datasets.__file__).parent / "sample"
    assert (folder / "fashion-mnist-sample.npz").stat().st_size < 3_000_000
    notice = (folder / "NOTICE.txt").read_text()
    assert "Zalando SE" in notice and "MIT" in notice and "Permission is hereby granted" in notice


def test_images_are_pixels_over_255():
    sample = load_dataset("sample", "test")
    np.testing.assert_array_equal(sample.images[:, 0] * np.float32(255), sample.pixels.astype(np.float32))
    image, label = sample[7]
    np.testing.assert_array_equal(image, sample.images[7])
    assert label == sample.labels[7] and isinstance(label, int)


def test_subset():
    sample = load_dataset("sample", "test")
    part = sample.subset(slice(10, 20))
    np.testing.assert_array_equal(part.images, sample.images[10:20])
    np.testing.assert_array_equal(part.labels, sample.labels[10:20])


@needs_fashion
@pytest.mark.parametrize("split", ["train", "test"])
def test_sample_is_the_real_fashion_mnist_at_its_indices(split):
    full = load_dataset("fashion-mnist", split)
    indices = sample_indices(split)
    pixels, labels = load_sample(split)
    np.testing.assert_array_equal(pixels, full.pixels[indices])
    np.testing.assert_array_equal(labels, full.labels[indices])


@needs_fashion
def test_full_fashion_mnist_train():
    train = load_dataset("fashion-mnist", "train")
    assert len(train) == 60_000 and train.pixels.shape == (60_000, 28, 28)
    assert train.pixels.dtype == np.uint8 and train.labels.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(train.labels), np.full(10, 6000))
    images, labels = next(train.batches(256, shuffle=True, seed=0))
    assert images.shape == (256, 1, 28, 28) and images.dtype == np.float32
    assert 0 <= images.min() and images.max() <= 1 and labels.max() <= 9


@needs_fashion
def test_full_fashion_mnist_test():
    check_dataset(load_dataset("fashion-mnist", "test"), 10_000)


# --- the look-up order ---------------------------------------------------------------------------


def make_split(folder, n, name="mnist", split="test", compress=True):
    """Write an MNIST-like split of n images whose pixels all equal n (to tell the copies apart)."""
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if compress else ""
    images_stem, labels_stem = datasets.FILES[split]
    write_idx(folder / f"{images_stem}{suffix}", np.full((n, 28, 28), n, np.uint8))
    write_idx(folder / f"{labels_stem}{suffix}", np.arange(n, dtype=np.uint8) % 10)
    return folder


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Separate root, $SCRATCHAE_DATA, cache and system directories, all empty."""
    monkeypatch.setenv("SCRATCHAE_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(datasets, "SYSTEM_DIRS", (tmp_path / "system",))
    return {
        "root": tmp_path / "root",
        "root/name": tmp_path / "root" / "mnist",
        "env": tmp_path / "env" / "mnist",
        "cache": tmp_path / "cache" / "scratchae" / "mnist",
        "system": tmp_path / "system" / "mnist",
    }


def test_search_dirs_order(places):
    assert search_dirs("mnist", places["root"]) == list(places.values())


def test_lookup_order(places):
    order = list(places)
    for n, place in enumerate(reversed(order), start=1):
        make_split(places[place], n)
        # the place just filled comes before all the ones filled earlier
        assert len(load_dataset("mnist", "test", root=places["root"])) == n, place
    assert len(load_dataset("mnist", "test")) == 3  # without root: $SCRATCHAE_DATA first


def test_without_env_the_cache_comes_first(places, monkeypatch):
    make_split(places["system"], 3)
    assert len(load_dataset("mnist", "test")) == 3
    make_split(places["cache"], 4)
    monkeypatch.delenv("SCRATCHAE_DATA")
    assert len(load_dataset("mnist", "test")) == 4
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(places["cache"].parents[2] / "home"))
    make_split(places["cache"].parents[2] / "home" / ".cache" / "scratchae" / "mnist", 5)
    assert len(load_dataset("mnist", "test")) == 5


def test_both_files_must_be_in_the_same_directory(places):
    make_split(places["env"], 3)
    make_split(places["root"], 9)
    next(places["root"].glob("t10k-labels*")).unlink()
    assert len(load_dataset("mnist", "test", root=places["root"])) == 3


def test_uncompressed_files_are_found(places):
    make_split(places["root"], 6, compress=False)
    dataset = load_dataset("mnist", "test", root=places["root"])
    assert len(dataset) == 6 and dataset.pixels.max() == 6


def test_fashion_and_mnist_use_their_own_subdirectories(places):
    make_split(places["cache"], 4)
    with pytest.raises(FileNotFoundError, match="fashion-mnist"):
        load_dataset("fashion-mnist", "test")


# --- files that hold the wrong thing -------------------------------------------------------------


def test_images_of_the_wrong_shape_are_refused(places):
    folder = make_split(places["root"], 5)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", np.zeros((5, 32, 32), np.uint8))
    with pytest.raises(ValueError, match=r"t10k-images.*\(N, 28, 28\)"):
        load_dataset("mnist", "test", root=folder)


def test_label_count_mismatch_is_refused(places):
    folder = make_split(places["root"], 5)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match="4 labels for the 5 images"):
        load_dataset("mnist", "test", root=folder)


def test_labels_out_of_range_are_refused(places):
    folder = make_split(places["root"], 5)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.array([0, 1, 2, 3, 10], np.uint8))
    with pytest.raises(ValueError, match=r"labels must be 0\.\.9, found 10"):
        load_dataset("mnist", "test", root=folder)


def test_labels_of_the_wrong_type_are_refused(places):
    folder = make_split(places["root"], 5)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.zeros(5, np.int32))
    with pytest.raises(ValueError, match="uint8 labels"):
        load_dataset("mnist", "test", root=folder)


def test_corrupt_file_error_names_it(places):
    folder = make_split(places["root"], 5)
    broken = folder / "t10k-images-idx3-ubyte.gz"
    broken.write_bytes(broken.read_bytes()[:-20])
    with pytest.raises(ValueError, match=str(broken)):
        load_dataset("mnist", "test", root=folder)


@pytest.mark.parametrize("name, split", [("cifar10", "train"), ("mnist", "validation")])
def test_unknown_name_or_split(name, split):
    with pytest.raises(ValueError, match="unknown"):
        load_dataset(name, split)

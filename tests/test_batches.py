"""Mini-batches: order, sizes, seeded shuffling, and no whole-dataset copy per epoch."""

import tracemalloc

import numpy as np
import pytest

import scratchae
from scratchae.data import DataLoader, Dataset, iterate_batches, load_dataset


def numbered(n):
    """Images whose first pixel is their index, so a batch tells which examples it holds."""
    images = np.zeros((n, 3, 3), np.int32)
    images[:, 0, 0] = np.arange(n)
    return images, np.arange(n) % 10


def ids(batch_images):
    return batch_images[:, 0, 0].tolist()


@pytest.mark.parametrize("drop_last, sizes", [(False, [4, 4, 2]), (True, [4, 4])])
def test_in_order_sizes_and_drop_last(drop_last, sizes):
    images, labels = numbered(10)
    batches = list(iterate_batches(images, labels, 4, drop_last=drop_last))
    assert [len(b) for b, _ in batches] == sizes
    assert [i for b, _ in batches for i in ids(b)] == list(range(sum(sizes)))
    for batch_images, batch_labels in batches:
        np.testing.assert_array_equal(batch_labels, labels[ids(batch_images)])


def test_exact_multiple_keeps_every_batch_full():
    images, labels = numbered(12)
    assert [len(b) for b, _ in iterate_batches(images, labels, 4, drop_last=True)] == [4, 4, 4]
    assert [len(b) for b, _ in iterate_batches(images, labels, 4)] == [4, 4, 4]


def test_batch_larger_than_dataset():
    images, labels = numbered(3)
    assert [len(b) for b, _ in iterate_batches(images, labels, 8)] == [3]
    assert list(iterate_batches(images, labels, 8, drop_last=True)) == []


def test_images_without_labels_batch_the_same_way():
    images, labels = numbered(10)
    with_labels = iterate_batches(images, labels, 4, shuffle=True, seed=3)
    without = iterate_batches(images, None, 4, shuffle=True, seed=3)
    for (a, _), (b, none) in zip(with_labels, without, strict=True):
        np.testing.assert_array_equal(a, b)
        assert none is None


def test_unshuffled_batches_are_views():
    images, labels = numbered(10)
    for batch_images, batch_labels in iterate_batches(images, labels, 4):
        assert np.shares_memory(batch_images, images) and np.shares_memory(batch_labels, labels)


def test_shuffle_is_a_permutation_and_seeded():
    images, labels = numbered(50)

    def order(seed):
        return [i for b, _ in iterate_batches(images, labels, 8, shuffle=True, seed=seed) for i in ids(b)]

    assert sorted(order(0)) == list(range(50))
    assert order(0) == order(0)
    assert order(0) != order(1)
    assert order(0) != list(range(50))


def test_shuffle_without_seed_follows_manual_seed():
    images, labels = numbered(50)

    def order():
        return [i for b, _ in iterate_batches(images, labels, 8, shuffle=True) for i in ids(b)]

    scratchae.manual_seed(3)
    first = order()
    scratchae.manual_seed(3)
    assert order() == first


def test_shuffled_labels_follow_their_images():
    images, labels = numbered(30)
    for batch_images, batch_labels in iterate_batches(images, labels, 7, shuffle=True, seed=0):
        np.testing.assert_array_equal(batch_labels, np.array(ids(batch_images)) % 10)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_bad_batch_size(batch_size):
    images, labels = numbered(4)
    with pytest.raises(ValueError, match="batch_size"):
        next(iterate_batches(images, labels, batch_size))


def test_length_mismatch():
    with pytest.raises(ValueError, match="differ in length"):
        next(iterate_batches(np.zeros((4, 2)), np.zeros(3), 2))


def test_bad_seed():
    images, labels = numbered(4)
    with pytest.raises(ValueError, match="seed"):
        next(iterate_batches(images, labels, 2, shuffle=True, seed="zero"))


def test_dataset_batches_are_float_images_in_the_right_rows():
    sample = load_dataset("sample", "test")
    seen = []
    for images, labels in sample.batches(64, shuffle=True, seed=5, drop_last=True):
        assert images.shape == (64, 1, 28, 28) and images.dtype == np.float32
        assert labels.shape == (64,) and labels.dtype == np.int64
        seen.append((images, labels))
    assert len(seen) == 1000 // 64 == sample.num_batches(64, drop_last=True)
    order = np.random.default_rng(5).permutation(1000)[: 64 * len(seen)]
    np.testing.assert_array_equal(np.concatenate([im for im, _ in seen]), sample.images[order])
    np.testing.assert_array_equal(np.concatenate([lb for _, lb in seen]), sample.labels[order])


def test_dataloader_epochs_differ_but_are_reproducible():
    sample = load_dataset("sample", "test")

    def two_epochs(seed):
        loader = DataLoader(sample, batch_size=100, shuffle=True, seed=seed)
        return [np.concatenate([labels for _, labels in loader]) for _ in range(2)]

    first, second = two_epochs(0)
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(np.sort(first), np.sort(sample.labels))
    again = two_epochs(0)
    np.testing.assert_array_equal(first, again[0])
    np.testing.assert_array_equal(second, again[1])
    assert len(DataLoader(sample, batch_size=300)) == 4
    assert len(DataLoader(sample, batch_size=300, drop_last=True)) == 3


def test_an_epoch_does_not_copy_the_dataset():
    n = 20_000
    pixels = np.random.default_rng(0).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    dataset = Dataset(pixels, np.arange(n) % 10)
    whole_as_float = n * 28 * 28 * 4  # 62.7 MB
    tracemalloc.start()
    try:
        count = 0
        for images, _ in dataset.batches(128, shuffle=True, seed=0):
            count += len(images)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == n
    assert peak < whole_as_float / 20, f"an epoch allocated up to {peak} bytes"
    assert dataset._images is None  # the float32 copy of the whole set was never made

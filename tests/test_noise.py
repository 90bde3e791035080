"""Noise for the denoising autoencoder: range, dtype, seeds, and the amount of noise."""

import numpy as np
import pytest

import scratchae
from scratchae.data import add_gaussian_noise, add_salt_and_pepper


@pytest.fixture
def images():
    return np.random.default_rng(0).random((16, 1, 28, 28), dtype=np.float32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("noise", [add_gaussian_noise, add_salt_and_pepper])
def test_range_dtype_shape_and_input_untouched(images, dtype, noise):
    clean = images.astype(dtype)
    before = clean.copy()
    noisy = noise(clean, 0.5, rng=np.random.default_rng(1))
    assert noisy.dtype == dtype and noisy.shape == clean.shape
    assert noisy.min() >= 0 and noisy.max() <= 1
    assert not np.array_equal(noisy, clean)
    np.testing.assert_array_equal(clean, before)


def test_gaussian_noise_is_clipped_where_it_overshoots(images):
    noisy = add_gaussian_noise(images, 0.5, rng=0)
    assert (noisy == 0).mean() > 0.05 and (noisy == 1).mean() > 0.05  # clipping really happened


def test_gaussian_noise_has_the_requested_spread():
    gray = np.full((64, 1, 28, 28), 0.5, np.float32)
    noise = add_gaussian_noise(gray, 0.1, rng=0) - gray  # 5 standard deviations from the edges
    assert abs(noise.mean()) < 0.002
    assert abs(noise.std() - 0.1) < 0.002


def test_zero_noise_factor_changes_nothing(images):
    np.testing.assert_array_equal(add_gaussian_noise(images, 0.0, rng=0), images)


@pytest.mark.parametrize("noise", [add_gaussian_noise, add_salt_and_pepper])
def test_seeded(images, noise):
    np.testing.assert_array_equal(noise(images, 0.3, rng=7), noise(images, 0.3, rng=7))
    assert not np.array_equal(noise(images, 0.3, rng=7), noise(images, 0.3, rng=8))
    scratchae.manual_seed(4)
    first = noise(images, 0.3)
    scratchae.manual_seed(4)
    np.testing.assert_array_equal(noise(images, 0.3), first)


def test_salt_and_pepper_replaces_the_requested_fraction():
    gray = np.full((64, 1, 28, 28), 0.5, np.float32)
    noisy = add_salt_and_pepper(gray, 0.2, rng=0, salt_fraction=0.25)
    replaced = noisy != 0.5
    assert abs(replaced.mean() - 0.2) < 0.01
    assert set(np.unique(noisy[replaced])) == {0.0, 1.0}
    assert abs((noisy[replaced] == 1).mean() - 0.25) < 0.02


@pytest.mark.parametrize("noise", [add_gaussian_noise, add_salt_and_pepper])
def test_integer_images_are_refused(noise):
    with pytest.raises(TypeError, match="float32 or float64"):
        noise(np.zeros((2, 28, 28), np.uint8))


def test_bad_amounts():
    images = np.zeros((2, 4), np.float32)
    with pytest.raises(ValueError, match="noise_factor"):
        add_gaussian_noise(images, -0.1)
    with pytest.raises(ValueError, match="amount"):
        add_salt_and_pepper(images, 1.5)

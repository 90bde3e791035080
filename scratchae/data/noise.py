"""Corrupt images for the denoising autoencoder; the clean image stays the training target."""

from __future__ import annotations

import numpy as np

from .. import random as _random


def _float_images(images, who: str) -> np.ndarray:
    if not isinstance(images, np.ndarray):
        raise TypeError(f"{who} expected a numpy.ndarray, got {type(images).__name__}")
    if images.dtype not in (np.float32, np.float64):
        raise TypeError(f"{who} expected float32 or float64 images in [0, 1], got dtype {images.dtype}")
    return images


def _rng(rng) -> np.random.Generator:
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    return _random.resolve(rng)


def add_gaussian_noise(images: np.ndarray, noise_factor: float = 0.5, rng=None) -> np.ndarray:
    r"""Add Gaussian noise and clip back to the pixel range.

    .. math::
        \tilde x = \operatorname{clip}(x + \text{noise\_factor}\cdot\varepsilon,\ 0,\ 1),
        \qquad \varepsilon \sim \mathcal N(0, 1)

    Parameters
    ----------
    images : numpy.ndarray
        float32 or float64 images in [0, 1], any shape.
    noise_factor : float
        Standard deviation of the noise.
    rng : numpy.random.Generator or int, optional
        The noise's source (an int seeds a new generator); by default the generator that
        :func:`scratchae.manual_seed` resets.

    Returns
    -------
    numpy.ndarray
        A new array, same shape and dtype as ``images``; ``images`` is not modified.
    """
    images = _float_images(images, "add_gaussian_noise")
    if not noise_factor >= 0:
        raise ValueError(f"add_gaussian_noise: noise_factor must be >= 0, got {noise_factor!r}")
    noise = _rng(rng).standard_normal(images.shape, dtype=images.dtype)
    noisy = images + images.dtype.type(noise_factor) * noise
    return np.clip(noisy, 0, 1, out=noisy)


def add_salt_and_pepper(images: np.ndarray, amount: float = 0.1, rng=None, salt_fraction: float = 0.5) -> np.ndarray:
    """Set a random fraction ``amount`` of the pixels to 0 (pepper) or 1 (salt).

    Parameters
    ----------
    images : numpy.ndarray
        float32 or float64 images in [0, 1], any shape.
    amount : float
        Probability that a pixel is replaced, in [0, 1].
    rng : numpy.random.Generator or int, optional
        As in :func:`add_gaussian_noise`.
    salt_fraction : float
        Probability that a replaced pixel becomes 1 rather than 0.

    Returns
    -------
    numpy.ndarray
        A new array, same shape and dtype as ``images``.
    """
    images = _float_images(images, "add_salt_and_pepper")
    if not 0 <= amount <= 1 or not 0 <= salt_fraction <= 1:
        raise ValueError(
            f"add_salt_and_pepper: amount and salt_fraction must be in [0, 1], got {amount!r} and {salt_fraction!r}"
        )
    generator = _rng(rng)
    replaced = generator.random(images.shape) < amount
    salt = generator.random(images.shape) < salt_fraction
    noisy = images.copy()
    noisy[replaced] = salt[replaced].astype(images.dtype)
    return noisy

"""What the commands share: their errors, the data they load, argument types, and the figures they write."""

from __future__ import annotations

import argparse
import os

import numpy as np

from .. import figures
from ..data.noise import add_gaussian_noise
from ..training.trainer import evaluation_rng

DATASETS = ("sample", "mnist", "fashion-mnist")

#: epochs the course trained each model for (the default of ``scratchae train``)
COURSE_EPOCHS = {"linear": 20, "conv": 30, "upsample": 30, "denoise": 20}

#: model -> (title of its figures, noise factor used in training)
DESCRIPTIONS = {
    "linear": "linear autoencoder (784 -> 32 -> 784)",
    "conv": "convolutional autoencoder (transposed convolutions)",
    "upsample": "upsampling autoencoder (nearest upsampling + convolutions)",
    "denoise": "denoising autoencoder (noise factor 0.5)",
}

DEFAULT_NOISE_FACTOR = 0.5


class CommandError(Exception):
    """A problem the user can fix; printed without a traceback."""


def load_images(name: str, split: str, data_dir: str | None = None, download: bool = False,
                limit: int | None = None) -> np.ndarray:
    """float32 images (N, 1, 28, 28) of a dataset split, the first ``limit`` of them if given."""
    from ..data import load_dataset

    try:
        images = load_dataset(name, split=split, root=data_dir, download=download).images
    except FileNotFoundError as error:
        raise CommandError(f"{error}\nOn the command line: add --download, or point --data-dir at the "
                           f"files; --dataset sample needs neither.") from None
    return images[:limit] if limit else images


def load_split(name: str, split: str, data_dir: str | None = None, download: bool = False,
               limit: int | None = None) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """``(images, labels, classes)`` of a dataset split: float32 (N, 1, 28, 28), int64 (N,) and the class
    names indexed by label; the first ``limit`` images if given."""
    from ..data import load_dataset

    try:
        dataset = load_dataset(name, split=split, root=data_dir, download=download)
    except FileNotFoundError as error:
        raise CommandError(f"{error}\nOn the command line: add --download, or point --data-dir at the "
                           f"files; --dataset sample needs neither.") from None
    end = limit or None
    return dataset.images[:end], dataset.labels[:end], dataset.classes


def write_figures(model, images: np.ndarray, out: str, *, history: dict | None = None,
                  noise_factor: float | None = None, seed: int = 0, n: int = 10) -> list[str]:
    """Reconstructions (or the denoising triptych), latent maps and loss curves; returns the paths."""
    clean = images[:n]
    title = DESCRIPTIONS.get(model.name, model.name)
    written = []
    if noise_factor is not None:
        inputs = add_gaussian_noise(clean, noise_factor, evaluation_rng(seed))
        fig = figures.denoising_grid(inputs, model(inputs), clean, title=title)
        written.append(figures.save(fig, os.path.join(out, "denoising.png")))
    else:
        inputs = clean
        fig = figures.reconstruction_grid(clean, model(clean), title=title)
        written.append(figures.save(fig, os.path.join(out, "reconstructions.png")))
    code = model.encode(inputs)
    if code.ndim == 4:
        shape = "x".join(map(str, code.shape[1:]))
        fig = figures.latent_maps(inputs, code, title=f"{title}: the code ({shape}) of {min(4, n)} test images")
        written.append(figures.save(fig, os.path.join(out, "latent.png")))
    if history and history.get("epoch"):
        fig = figures.loss_curves({model.name: history}, title=title)
        written.append(figures.save(fig, os.path.join(out, "loss.png")))
    return written


# -- argument types -------------------------------------------------------------------------------------
def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text}")
    return value


def data_options(parser) -> None:
    parser.add_argument("--data-dir", help="where MNIST / Fashion-MNIST files are (or are downloaded to)")
    parser.add_argument("--download", action="store_true", help="download the dataset if it is missing")

"""What the commands share: their errors, the data they load, argument types, and the figures they write."""

from __future__ import annotations

import argparse
import os

import numpy as np

from .. import figures, latent
from ..data.noise import add_gaussian_noise
from ..figures.latent import image_grid, interpolation_strip, latent_scatter, manifold_grid
from ..figures.variational import elbo_curves, vae_reconstructions
from ..models import VariationalAutoencoder
from ..training.trainer import evaluation_rng

DATASETS = ("sample", "mnist", "fashion-mnist")

#: epochs the course trained each model for (the default of ``scratchae train``); for the VAEs, those of
#: PyTorch's example (10) and Keras's (30); deep-conv is not the course's: with batch normalization it
#: needs fewer (docs/building-blocks.md)
COURSE_EPOCHS = {"linear": 20, "conv": 30, "upsample": 30, "denoise": 20, "deep-conv": 20, "vae": 10, "conv-vae": 30}

#: images per training step: the course's 20, and the 128 of PyTorch's and Keras's VAE examples
BATCH_SIZES = {"vae": 128, "conv-vae": 128}
DEFAULT_BATCH_SIZE = 20

#: model -> (title of its figures, noise factor used in training)
DESCRIPTIONS = {
    "linear": "linear autoencoder (784 -> 32 -> 784)",
    "conv": "convolutional autoencoder (transposed convolutions)",
    "upsample": "upsampling autoencoder (nearest upsampling + convolutions)",
    "denoise": "denoising autoencoder (noise factor 0.5)",
    "deep-conv": "deeper convolutional autoencoder (batch norm, leaky ReLU, bilinear upsampling)",
    "vae": "variational autoencoder (784 -> 400 -> 20 + 20 -> 400 -> 784)",
    "conv-vae": "convolutional variational autoencoder (2-D latent space)",
}

DEFAULT_NOISE_FACTOR = 0.5


class CommandError(Exception):
    """A problem the user can fix; printed without a traceback."""


def load_images(
    name: str, split: str, data_dir: str | None = None, download: bool = False, limit: int | None = None
) -> np.ndarray:
    """float32 images (N, 1, 28, 28) of a dataset split, the first ``limit`` of them if given."""
    return load_split(name, split, data_dir, download, limit)[0]


def default_batch_size(model_name: str) -> int:
    return BATCH_SIZES.get(model_name, DEFAULT_BATCH_SIZE)


def loss_name(model) -> str:
    """What the trainer's loss is, for messages."""
    if isinstance(model, VariationalAutoencoder):
        return "negative ELBO per image (nats)"
    return "mean per-pixel loss"


def load_split(
    name: str, split: str, data_dir: str | None = None, download: bool = False, limit: int | None = None
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """``(images, labels, classes)`` of a dataset split: float32 (N, 1, 28, 28), int64 (N,) and the class
    names indexed by label; the first ``limit`` images if given."""
    from ..data import load_dataset

    try:
        dataset = load_dataset(name, split=split, root=data_dir, download=download)
    except FileNotFoundError as error:
        raise CommandError(
            f"{error}\nOn the command line: add --download, or point --data-dir at the "
            f"files; --dataset sample needs neither."
        ) from None
    if dataset.classes is None:  # load_dataset names the classes of every dataset it loads
        raise CommandError(f"the {name} dataset has no class names")
    end = limit or None
    return dataset.images[:end], dataset.labels[:end], dataset.classes


def write_figures(
    model,
    images: np.ndarray,
    out: str,
    *,
    history: dict | None = None,
    noise_factor: float | None = None,
    seed: int = 0,
    n: int = 10,
    labels: np.ndarray | None = None,
    classes=None,
) -> list[str]:
    """Reconstructions (or the denoising triptych), latent maps and loss curves; returns the paths.

    For a VAE: its reconstructions, its loss with its two terms, and :func:`write_latent_figures`
    (which needs the ``labels`` of ``images`` for the class scatter). The model runs in evaluation mode
    (batch normalization uses its running statistics, as at test time); its mode is restored afterwards.
    """
    was_training = model.training
    model.eval()
    try:
        if isinstance(model, VariationalAutoencoder):
            return write_vae_figures(
                model, images, out, history=history, seed=seed, n=n, labels=labels, classes=classes
            )
        return _write_figures(model, images, out, history=history, noise_factor=noise_factor, seed=seed, n=n)
    finally:
        model.train(was_training)


def _write_figures(model, images, out, *, history, noise_factor, seed, n) -> list[str]:
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


def write_vae_figures(model, images, out, *, history=None, seed=0, n=10, labels=None, classes=None) -> list[str]:
    """A VAE's reconstructions (from the mean and from a sample), loss curves and latent-space figures."""
    title = DESCRIPTIONS.get(model.name, model.name)
    clean = images[:n]
    was_training = model.training
    model.eval()
    try:
        with model.sampling_from(evaluation_rng(seed)):
            sampled = model(clean)  # decoded from z = mu + sigma * eps
        means = model.decode(model.encode(clean))  # decoded from z = mu
    finally:
        model.train(was_training)
    fig = vae_reconstructions(clean, means, sampled, title=title)
    written = [figures.save(fig, os.path.join(out, "reconstructions.png"))]
    if history and history.get("epoch"):
        written.append(figures.save(elbo_curves(history, title=title), os.path.join(out, "loss.png")))
    return written + write_latent_figures(model, images, out, labels=labels, classes=classes, seed=seed)


def write_latent_figures(
    model, images: np.ndarray, out: str, *, labels: np.ndarray | None = None, classes=None, seed: int = 0
) -> list[str]:
    """The latent space of any model: its codes of ``images`` scattered by class (``labels``; principal
    components of codes of more than 2 numbers), and an interpolation between two images of different
    classes; for a VAE also samples from its prior and, for a 2-D code, the decoded manifold."""
    title = DESCRIPTIONS.get(model.name, model.name)
    written = []
    codes = latent.encode_all(model, images)
    if labels is not None and len(codes) >= 2:
        if codes.shape[1] == 2:
            points, explained, what = codes, None, "its 2-D codes"
        else:
            points, explained = latent.principal_components(codes, 2)
            what = f"the first 2 principal components of its {codes.shape[1]}-number codes"
        fig = latent_scatter(
            points, labels, classes=classes, explained=explained, title=f"{title}:\n{what}, {len(codes)} images"
        )
        written.append(figures.save(fig, os.path.join(out, "latent_scatter.png")))
    other = 1 if labels is None else int(np.argmax(labels != labels[0])) or 1
    if len(images) > other:
        path = latent.interpolate(model, images[0], images[other], steps=10)
        ends = "one image's code to another's"
        if labels is not None and classes is not None:
            ends = f"the code of a {classes[labels[0]]} to that of a {classes[labels[other]]}"
        fig = interpolation_strip(path, title=f"{title}: from {ends}")
        written.append(figures.save(fig, os.path.join(out, "interpolation.png")))
    if isinstance(model, VariationalAutoencoder):
        samples = latent.prior_samples(model, 64, np.random.default_rng(seed))
        fig = image_grid(samples, title=f"{title}:\n64 images decoded from codes drawn from the prior N(0, I)")
        written.append(figures.save(fig, os.path.join(out, "samples.png")))
        if model.latent_dim == 2:
            images_on_grid, values = latent.decoded_manifold(model, 15)
            fig = manifold_grid(images_on_grid, values, title=f"{title}: the decoded latent space")
            written.append(figures.save(fig, os.path.join(out, "manifold.png")))
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

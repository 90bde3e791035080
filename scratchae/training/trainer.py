"""The training loop: epochs over mini-batches, a test loss per epoch, a history, checkpoints.

One step is the loop every chapter of the course writes by hand::

    output = model(inputs)                 # forward
    loss = criterion(output, targets)      # mean per-pixel loss, a float
    optimizer.zero_grad()
    model.backward(criterion.backward())   # the chain rule, last layer first
    optimizer.step()

For the denoising autoencoder the inputs are noisy copies of the images and the targets the clean
images: ``inputs = clip(images + noise_factor * randn, 0, 1)``, with fresh noise for every batch.

A variational autoencoder adds a term of its own to the loss, :math:`\\beta` times the KL divergence of
its codes from the prior (``model.latent_loss()``, 0.0 for the other models), and its ``backward`` adds
that term's gradient::

    loss = criterion(output, targets) + model.latent_loss()

The history then also records the two parts, ``train_reconstruction``, ``train_kl``,
``test_reconstruction`` and ``test_kl``, and its sampling noise is drawn from the generator of each
epoch (``model.sampling_from(rng)``), like the shuffling and the denoiser's noise.

**How the loss is reported.** Every loss here is the *mean per-pixel* loss (``MSELoss()`` with its
default ``reduction='mean'``), averaged over all the images of the epoch. (A VAE's is the negative ELBO
per image, in nats: the binary cross-entropy summed over the pixels plus :math:`\\beta` KL.) The course printed
``sum(loss.item() * batch_size) / number_of_batches``, which with batches of 20 is **20 times** this
number: the course's final 0.235611 for the linear model is a per-pixel MSE of 0.01178.
"""

from __future__ import annotations

import contextlib
import math
import os
import time

import numpy as np
from tqdm.auto import tqdm

from .. import memory, optim
from ..data.batches import iterate_batches
from ..data.noise import add_gaussian_noise
from .checkpoint import load_checkpoint, save_checkpoint
from .parts import add_parts, parts_text
from .restore import restore


def epoch_rng(seed: int, epoch: int) -> np.random.Generator:
    """The generator of the shuffling and noise of epoch ``epoch`` (counted from 1)."""
    return np.random.default_rng((seed, 0, epoch))


def evaluation_rng(seed: int) -> np.random.Generator:
    """The generator of the test set's noise: the same noisy test images at every evaluation."""
    return np.random.default_rng((seed, 1))


def as_images(data) -> np.ndarray:
    """The image array (N, 1, 28, 28) of a dataset object (``.images``) or of an array."""
    images = getattr(data, "images", data)
    if not isinstance(images, np.ndarray):
        raise TypeError(f"expected an image array or a dataset with .images, got {type(data).__name__}")
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(f"expected a non-empty batch of images of shape (N, C, H, W), got {images.shape}")
    return images


def new_history() -> dict:
    return {"epoch": [], "train_loss": [], "test_loss": [], "seconds": [], "images_per_second": []}


class Trainer:
    """Trains an autoencoder and records, checkpoints and resumes its training.

    Parameters
    ----------
    model : scratchae.models.Autoencoder
    optimizer : scratchae.optim.Optimizer, optional
        Default: ``Adam(model.parameters(), lr=lr)``.
    lr : float, default 1e-3
        Learning rate of the default optimizer.
    criterion : scratchae.nn.Loss, optional
        Default ``model.default_criterion()``: ``MSELoss()`` (mean per-pixel squared error), or for a
        VAE ``BCELoss(reduction='batchmean')`` (binary cross-entropy summed over the pixels of each image).
    batch_size : int, default 20
        As in the course.
    shuffle : bool, default False
        The course does not shuffle.
    noise_factor : float or None
        Train as a denoiser: inputs ``clip(x + noise_factor * randn, 0, 1)``, targets ``x``. ``None``
        (the default) trains to reconstruct the input itself.
    seed : int, default 0
        Seeds the shuffling and the noise (see :func:`epoch_rng`); not the initial weights, which come
        from the model's constructor.
    checkpoint : str, optional
        Where to write a checkpoint after every epoch.
    config : dict, optional
        Extra JSON-serializable settings stored in the checkpoint (dataset name, ...).
    progress : bool or "run", default True
        ``True``: a progress bar per epoch (images/s and running loss) on stderr and a line with the
        epoch's losses on stdout. ``"run"``: one bar for the whole :meth:`fit` call and no epoch lines.
        ``False``: silent.
    on_epoch : callable, optional
        Called as ``on_epoch(trainer)`` after each epoch is recorded (and checkpointed), e.g. to log.

    Attributes
    ----------
    epoch : int
        Number of completed epochs.
    history : dict of lists
        ``epoch``, ``train_loss``, ``test_loss`` (mean per-pixel losses), ``seconds``, ``images_per_second``;
        for a VAE also ``train_reconstruction``, ``train_kl``, ``test_reconstruction``, ``test_kl``.
    """

    def __init__(
        self,
        model,
        optimizer=None,
        *,
        lr: float = 1e-3,
        criterion=None,
        batch_size: int = 20,
        shuffle: bool = False,
        noise_factor: float | None = None,
        seed: int = 0,
        checkpoint: str | os.PathLike | None = None,
        config: dict | None = None,
        progress: bool | str = True,
        on_epoch=None,
    ):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"Trainer expected a positive integer batch_size, got {batch_size!r}")
        if noise_factor is not None and not (math.isfinite(noise_factor) and noise_factor >= 0):
            raise ValueError(f"Trainer expected noise_factor >= 0 or None, got {noise_factor!r}")
        self.model = model
        self.optimizer = optimizer if optimizer is not None else optim.Adam(model.parameters(), lr=lr)
        self.criterion = criterion if criterion is not None else model.default_criterion()
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.noise_factor = noise_factor
        self.seed = int(seed)
        self.checkpoint = None if checkpoint is None else os.fspath(checkpoint)
        self.extra_config = dict(config or {})
        if progress not in (True, False, "run"):
            raise ValueError(f"Trainer expected progress True, False or 'run', got {progress!r}")
        self.progress = progress
        self.on_epoch = on_epoch
        self.epoch = 0
        self.history = new_history()
        # the parts of the loss (a VAE's): of the last step, the last epoch and the last evaluation
        self.last_reconstruction: float | None = None
        self.epoch_parts: dict[str, float] = {}
        self.evaluation_parts: dict[str, float] = {}

    # -- one batch ----------------------------------------------------------------------------------
    def inputs_and_targets(self, images: np.ndarray, rng: np.random.Generator):
        """The model's input and the loss's target for a batch of clean images."""
        if self.noise_factor is None:
            return images, images
        return add_gaussian_noise(images, self.noise_factor, rng), images

    def train_step(self, inputs: np.ndarray, targets: np.ndarray, *, where: str = "") -> float:
        """One forward, backward and optimizer step; returns the batch's loss.

        Raises
        ------
        FloatingPointError
            If the loss or the model's output is NaN or infinite (the weights are left as they were
            before this step).
        """
        output = self.model(inputs)
        try:
            reconstruction = self.criterion(output, targets)
        except ValueError:  # BCELoss refuses NaN predictions, as PyTorch's does
            if np.isfinite(output).all():
                raise
            raise FloatingPointError(self._diverged("the model's output is not finite", where)) from None
        loss = reconstruction + self.model.latent_loss()  # + beta * KL for a VAE, + 0.0 otherwise
        self.last_reconstruction = reconstruction
        if not math.isfinite(loss):
            raise FloatingPointError(self._diverged(f"the loss is {loss}", where))
        self.optimizer.zero_grad()
        self.model.backward(self.criterion.backward())
        if not all(np.isfinite(p.grad).all() for p in self.optimizer.params):  # names only if needed
            bad = [name for name, p in self.model.named_parameters() if not np.isfinite(p.grad).all()]
            raise FloatingPointError(
                self._diverged(f"the gradients of {', '.join(bad) or 'some parameters'} are not finite", where)
            )
        self.optimizer.step()
        return loss

    def _diverged(self, what: str, where: str) -> str:
        message = f"training diverged: {what} {where}; lower the learning rate (lr={self.optimizer.defaults.get('lr')})"
        if self.checkpoint and os.path.exists(self.checkpoint):
            message += f"; the last good checkpoint {self.checkpoint} was left untouched"
        elif self.checkpoint:
            message += "; no checkpoint was written"
        return message

    # -- one epoch ----------------------------------------------------------------------------------
    def train_epoch(self, images: np.ndarray, total_epochs: int | None = None, bar=None) -> float:
        """Run epoch ``self.epoch + 1`` over ``images``; returns its mean per-pixel training loss.

        ``bar`` is a tqdm bar to advance (default: a new one for this epoch, if progress is on).
        """
        epoch = self.epoch + 1
        self.model.train()  # dropout drops, batch normalization uses the batch's statistics
        rng = epoch_rng(self.seed, epoch)  # draws the epoch's order first, then the batches' noise
        n = len(images)
        parts: dict[str, float] = {}  # a VAE's reconstruction and KL terms, summed as the loss is
        batches = iterate_batches(images, None, self.batch_size, shuffle=self.shuffle, seed=rng)
        total = 0.0
        seen = 0
        label = f"epoch {epoch}" + (f"/{total_epochs}" if total_epochs else "")
        own_bar = bar is None
        if own_bar:
            bar = tqdm(total=n, desc=label, unit="img", disable=not self.progress, dynamic_ncols=True, mininterval=0.5)
        with contextlib.nullcontext() if not own_bar else bar, self.model.sampling_from(rng):
            for step, (batch, _) in enumerate(batches, start=1):
                inputs, targets = self.inputs_and_targets(batch, rng)
                loss = self.train_step(inputs, targets, where=f"at epoch {epoch}, step {step}")
                total += loss * len(batch)
                assert self.last_reconstruction is not None  # set by train_step
                add_parts(parts, self.model, self.last_reconstruction, len(batch))
                seen += len(batch)
                bar.update(len(batch))
                bar.set_postfix_str(
                    f"{label}, loss={total / seen:.5f}" if not own_bar else f"loss={total / seen:.5f}", refresh=False
                )
        self.epoch_parts = {name: value / seen for name, value in parts.items()}
        return total / seen

    def evaluate(self, data, batch_size: int = 200) -> float:
        """Mean per-pixel loss over ``data`` (noisy inputs vs. clean targets for a denoiser), in evaluation
        mode (the model's mode is restored afterwards). For a VAE, the negative ELBO per image, whose
        parts are left in :attr:`evaluation_parts`.

        The noise (a denoiser's inputs, a VAE's sampling) is drawn from :func:`evaluation_rng`: the same
        at every evaluation."""
        images = as_images(data)
        rng = evaluation_rng(self.seed)
        total = 0.0
        parts: dict[str, float] = {}
        was_training = self.model.training
        self.model.eval()
        try:
            with self.model.sampling_from(rng):
                for start in range(0, len(images), batch_size):
                    batch = images[start : start + batch_size]
                    inputs, targets = self.inputs_and_targets(batch, rng)
                    reconstruction = self.criterion(self.model(inputs), targets)
                    total += (reconstruction + self.model.latent_loss()) * len(batch)
                    add_parts(parts, self.model, reconstruction, len(batch))
        finally:
            self.model.train(was_training)
        self.evaluation_parts = {name: value / len(images) for name, value in parts.items()}
        return total / len(images)

    def fit(self, train, test=None, epochs: int = 1) -> dict:
        """Train until ``epochs`` epochs are complete (counting those already done); returns the history.

        ``train`` and ``test`` are image arrays (N, 1, 28, 28) or datasets with ``.images``. After each
        epoch the test loss is computed and, if a checkpoint path was given, a checkpoint written.

        Raises
        ------
        FloatingPointError
            If a loss becomes NaN or infinite, or the weights stop being finite; the message names the
            epoch and step, and the last checkpoint written is left as it was.
        """
        memory.keep_freed_memory()  # no page faults on every step's fresh arrays (see scratchae.memory)
        images = as_images(train)
        test_images = None if test is None else as_images(test)
        dtype = self.model.dtype
        for name, array in (("training", images), ("test", test_images)):
            if array is not None and array.dtype != dtype:
                raise TypeError(f"the {name} images are {array.dtype} but the model is {dtype}; cast one")
            if array is not None and not np.isfinite(array).all():
                raise ValueError(f"the {name} images contain NaN or infinite values")
        run_bar = None
        if self.progress == "run" and self.epoch < epochs:
            run_bar = tqdm(
                total=(epochs - self.epoch) * len(images),
                desc=self.model.name,
                unit="img",
                dynamic_ncols=True,
                mininterval=0.5,
            )
        with run_bar if run_bar is not None else contextlib.nullcontext():
            while self.epoch < epochs:
                self._fit_epoch(images, test_images, epochs, run_bar)
        return self.history

    def _fit_epoch(self, images, test_images, epochs, run_bar) -> None:
        """One epoch, its test loss, its history entry and its checkpoint."""
        started = time.perf_counter()
        train_loss = self.train_epoch(images, epochs, run_bar)
        seconds = time.perf_counter() - started
        epoch = self.epoch + 1
        bad = [name for name, p in self.model.named_parameters() if not np.all(np.isfinite(p.data))]
        if bad:
            raise FloatingPointError(
                self._diverged(f"parameters {', '.join(bad)} are not finite", f"at the end of epoch {epoch}")
            )
        test_loss = None if test_images is None else self.evaluate(test_images)
        self.epoch = epoch
        self.history["epoch"].append(epoch)
        self.history["train_loss"].append(train_loss)
        self.history["test_loss"].append(test_loss)
        self.history["seconds"].append(seconds)
        self.history["images_per_second"].append(len(images) / seconds if seconds > 0 else None)
        for name, value in self.epoch_parts.items():  # a VAE's reconstruction and KL terms
            self.history.setdefault(f"train_{name}", []).append(value)
            test_value = None if test_images is None else self.evaluation_parts[name]
            self.history.setdefault(f"test_{name}", []).append(test_value)
        if self.progress is True:
            message = f"epoch {epoch}: train loss {train_loss:.6f}"
            if test_loss is not None:
                message += f", test loss {test_loss:.6f}"
            tqdm.write(message + parts_text(self.history))
        if self.checkpoint is not None:
            self.save(self.checkpoint)
        if self.on_epoch is not None:
            self.on_epoch(self)

    # -- checkpoints --------------------------------------------------------------------------------
    def config(self) -> dict:
        """Everything needed to rebuild the model and optimizer and continue training (JSON)."""
        return {
            "model": self.model.name,
            "model_config": self.model.config(),
            "dtype": np.dtype(self.model.dtype).name,
            "optimizer": type(self.optimizer).__name__,
            "optimizer_config": dict(self.optimizer.defaults),
            "batch_size": self.batch_size,
            "shuffle": self.shuffle,
            "noise_factor": self.noise_factor,
            "seed": self.seed,
            **self.extra_config,
        }

    def save(self, path) -> str:
        """Write a checkpoint of the model, optimizer, epoch, history and configuration."""
        return save_checkpoint(
            path, self.model, self.optimizer, epoch=self.epoch, config=self.config(), history=self.history
        )

    @classmethod
    def from_checkpoint(
        cls, path, *, checkpoint: str | os.PathLike | None = None, progress: bool | str = True, on_epoch=None
    ) -> Trainer:
        """Rebuild a trainer from a checkpoint, ready to continue with :meth:`fit`.

        ``checkpoint`` is where the continued run writes its checkpoints (default: ``path`` itself).
        """
        saved = load_checkpoint(path)
        model, optimizer = restore(saved, source=os.fspath(path))
        known = {
            "model",
            "model_config",
            "dtype",
            "optimizer",
            "optimizer_config",
            "batch_size",
            "shuffle",
            "noise_factor",
            "seed",
        }
        c = saved.config
        trainer = cls(
            model,
            optimizer,
            batch_size=c["batch_size"],
            shuffle=c["shuffle"],
            noise_factor=c["noise_factor"],
            seed=c["seed"],
            checkpoint=path if checkpoint is None else checkpoint,
            config={k: v for k, v in c.items() if k not in known},
            progress=progress,
            on_epoch=on_epoch,
        )
        trainer.epoch = saved.epoch
        trainer.history = {k: list(v) for k, v in saved.history.items()} or new_history()
        return trainer


def fit(model, train, test=None, *, epochs: int = 1, **options) -> dict:
    """Train ``model`` for ``epochs`` epochs with a :class:`Trainer`; returns the history."""
    return Trainer(model, **options).fit(train, test, epochs)

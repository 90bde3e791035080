"""The ``scratchae`` command: ``train``, ``reconstruct`` and ``demo``.

::

    scratchae demo                                # all four models on the embedded sample, one figure
    scratchae train conv --dataset fashion-mnist --epochs 5
    scratchae train conv --resume runs/conv/checkpoint.npz --epochs 10
    scratchae reconstruct runs/conv/checkpoint.npz

Every loss printed is the mean per-pixel loss (see :mod:`scratchae.training.trainer`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

from . import figures, manual_seed
from .data.noise import add_gaussian_noise
from .models import MODELS, build
from .training import CheckpointError, Trainer, load_checkpoint, restore
from .training.trainer import evaluation_rng

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
    from .data import load_dataset

    try:
        images = load_dataset(name, split=split, root=data_dir, download=download).images
    except FileNotFoundError as error:
        raise CommandError(f"{error}\nOn the command line: add --download, or point --data-dir at the "
                           f"files; --dataset sample needs neither.") from None
    return images[:limit] if limit else images


# -- train ------------------------------------------------------------------------------------------
def _check_resume_options(args, config: dict) -> None:
    """Refuse options given on the command line that contradict the checkpoint's run."""
    pairs = {"dataset": args.dataset, "batch_size": args.batch_size, "seed": args.seed, "limit": args.limit,
             "noise_factor": args.noise_factor}
    conflicts = [f"--{k.replace('_', '-')} {v} (checkpoint: {config.get(k)})" for k, v in pairs.items()
                 if v is not None and v != config.get(k)]
    if args.lr is not None and args.lr != config.get("optimizer_config", {}).get("lr"):
        conflicts.append(f"--lr {args.lr} (checkpoint: {config.get('optimizer_config', {}).get('lr')})")
    if conflicts:
        raise CommandError("a resumed run continues with the checkpoint's settings; these options differ: "
                           + ", ".join(conflicts))


def _log_epoch(args):
    """Without progress bars, still print one line per epoch (the bars print their own)."""
    if not args.no_progress:
        return None

    def log(trainer):
        h = trainer.history
        print(f"epoch {h['epoch'][-1]}: train loss {h['train_loss'][-1]:.6f}, "
              f"test loss {h['test_loss'][-1]:.6f} ({h['seconds'][-1]:.1f} s)", flush=True)
    return log


def command_train(args) -> int:
    if args.resume:
        saved_config = load_checkpoint(args.resume).config
        if saved_config.get("model") != args.model:
            raise CommandError(f"{args.resume} holds a {saved_config.get('model')!r} model, not {args.model!r}")
        _check_resume_options(args, saved_config)
        out = args.out or os.path.dirname(os.path.abspath(args.resume))
        os.makedirs(out, exist_ok=True)
        trainer = Trainer.from_checkpoint(args.resume, checkpoint=os.path.join(out, "checkpoint.npz"),
                                          progress=not args.no_progress, on_epoch=_log_epoch(args))
        dataset, limit = trainer.extra_config["dataset"], trainer.extra_config.get("limit")
        print(f"resuming {args.model} from {args.resume} after epoch {trainer.epoch}")
    else:
        out = args.out or os.path.join("runs", args.model)
        os.makedirs(out, exist_ok=True)
        dataset = args.dataset or "sample"
        limit = args.limit
        seed = 0 if args.seed is None else args.seed
        manual_seed(seed)
        model = build(args.model)
        noise = None
        if args.model == "denoise":
            noise = DEFAULT_NOISE_FACTOR if args.noise_factor is None else args.noise_factor
        elif args.noise_factor is not None:
            raise CommandError("--noise-factor applies only to the denoise model")
        trainer = Trainer(model, lr=1e-3 if args.lr is None else args.lr,
                          batch_size=20 if args.batch_size is None else args.batch_size,
                          noise_factor=noise, seed=seed, checkpoint=os.path.join(out, "checkpoint.npz"),
                          config={"dataset": dataset, "limit": limit}, progress=not args.no_progress,
                          on_epoch=_log_epoch(args))
    epochs = COURSE_EPOCHS[args.model] if args.epochs is None else args.epochs
    train = load_images(dataset, "train", args.data_dir, args.download, limit)
    test = load_images(dataset, "test", args.data_dir, args.download)
    print(f"training {args.model} on {dataset}: {len(train)} training images, {len(test)} test images, "
          f"batch size {trainer.batch_size}, {epochs} epoch{'s' if epochs != 1 else ''}; checkpoints in {out}")
    history = trainer.fit(train, test, epochs)
    if not os.path.exists(trainer.checkpoint):  # nothing to train (--epochs 0): still write one
        trainer.save(trainer.checkpoint)
    with open(os.path.join(out, "history.json"), "w") as f:
        json.dump(history, f, indent=1)
    written = write_figures(trainer.model, test, out, history=history, noise_factor=trainer.noise_factor,
                            seed=trainer.seed)
    if history["epoch"]:
        print(f"final mean per-pixel loss: train {history['train_loss'][-1]:.6f}, "
              f"test {history['test_loss'][-1]:.6f}")
    print("wrote " + ", ".join([trainer.checkpoint, os.path.join(out, "history.json")] + written))
    return 0


# -- figures of a trained model ---------------------------------------------------------------------
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


def command_reconstruct(args) -> int:
    saved = load_checkpoint(args.checkpoint)
    model, _ = restore(saved, source=args.checkpoint)
    config = saved.config
    dataset = args.dataset or config.get("dataset", "sample")
    out = args.out or os.path.dirname(os.path.abspath(args.checkpoint))
    os.makedirs(out, exist_ok=True)
    test = load_images(dataset, "test", args.data_dir, args.download, args.limit)
    test = test.astype(model.dtype, copy=False)
    trainer = Trainer(model, noise_factor=config.get("noise_factor"), seed=config.get("seed", 0),
                      progress=False)
    loss = trainer.evaluate(test)
    written = write_figures(model, test, out, history=saved.history, noise_factor=trainer.noise_factor,
                            seed=trainer.seed, n=args.n)
    print(f"{model.name} after {saved.epoch} epochs: mean per-pixel test loss {loss:.6f} on "
          f"{len(test)} {dataset} test images")
    print("wrote " + ", ".join(written))
    return 0


# -- demo -------------------------------------------------------------------------------------------
def command_demo(args) -> int:
    started = time.perf_counter()
    os.makedirs(args.out, exist_ok=True)
    train = load_images("sample", "train", limit=args.images)
    test = load_images("sample", "test", limit=args.test_images)
    print(f"demo: training the four autoencoders on {len(train)} images of the embedded sample "
          f"({len(test)} test images), batch size 20, Adam lr 1e-3")
    results = []
    for name in MODELS:
        epochs = args.epochs if args.epochs is not None else DEMO_EPOCHS[name]
        manual_seed(args.seed)
        model = build(name)
        noise = DEFAULT_NOISE_FACTOR if name == "denoise" else None
        trainer = Trainer(model, noise_factor=noise, seed=args.seed,
                          progress=False if args.no_progress else "run")
        t0 = time.perf_counter()
        history = trainer.fit(train, test, epochs)
        clean = test[:8]
        inputs = add_gaussian_noise(clean, noise, evaluation_rng(args.seed)) if noise is not None else clean
        result = {"name": name, "history": history, "inputs": inputs, "outputs": model(inputs),
                  "label": f"{DESCRIPTIONS[name]}: test loss {history['test_loss'][-1]:.4f} "
                           f"after {epochs} epochs"}
        if noise is not None:
            result["targets"] = clean
        results.append(result)
        print(f"  {name:9s} {epochs:3d} epochs  train loss {history['train_loss'][-1]:.5f}  "
              f"test loss {history['test_loss'][-1]:.5f}  ({time.perf_counter() - t0:.1f} s)")
    path = figures.save(figures.demo_figure(results), os.path.join(args.out, "demo.png"))
    print(f"wrote {os.path.abspath(path)} in {time.perf_counter() - started:.0f} s "
          f"(losses are mean per-pixel MSE)")
    return 0


#: epochs per model in the demo, on the sample's 4,000 training images: sized so that the whole demo,
#: Numba's first compilation included (~20 s), takes about a minute on 2 cores (measured: 42 s warm)
DEMO_EPOCHS = {"linear": 20, "conv": 15, "upsample": 12, "denoise": 15}


# -- argument parsing -------------------------------------------------------------------------------
def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text}")
    return value


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scratchae",
        description="Autoencoders from scratch in NumPy: train them, look at what they learned.",
        epilog="Losses are mean per-pixel losses.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser("train", help="train one model; write checkpoint, history and figures")
    train.add_argument("model", choices=list(MODELS), help="which autoencoder")
    train.add_argument("--dataset", choices=DATASETS, help="training data (default: sample, embedded)")
    train.add_argument("--epochs", type=_non_negative_int,
                       help="train until this many epochs are complete (default: the course's, "
                            + ", ".join(f"{k} {v}" for k, v in COURSE_EPOCHS.items()) + ")")
    train.add_argument("--batch-size", type=_positive_int, help="images per step (default: 20)")
    train.add_argument("--lr", type=_positive_float, help="Adam's learning rate (default: 0.001)")
    train.add_argument("--seed", type=_non_negative_int, help="seeds weights and noise (default: 0)")
    train.add_argument("--noise-factor", type=_non_negative_float,
                       help=f"denoise only: std of the input noise (default: {DEFAULT_NOISE_FACTOR})")
    train.add_argument("--limit", type=_positive_int, help="use only the first N training images")
    train.add_argument("--out", help="output directory (default: runs/MODEL; on --resume, the "
                                     "checkpoint's directory)")
    train.add_argument("--resume", metavar="CHECKPOINT", help="continue the run saved in CHECKPOINT")
    _data_options(train)
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.set_defaults(run=command_train)

    rec = commands.add_parser("reconstruct", help="figures and test loss of a trained model")
    rec.add_argument("checkpoint", help="a checkpoint.npz written by `scratchae train`")
    rec.add_argument("--dataset", choices=DATASETS, help="test data (default: the one trained on)")
    rec.add_argument("--n", type=_positive_int, default=10, help="images per figure (default: 10)")
    rec.add_argument("--limit", type=_positive_int, help="evaluate on the first N test images only")
    rec.add_argument("--out", help="output directory (default: the checkpoint's directory)")
    _data_options(rec)
    rec.set_defaults(run=command_reconstruct)

    demo = commands.add_parser("demo", help="train all four models briefly on the embedded sample and "
                                            "write one summary figure (under a minute once the kernels are compiled)")
    demo.add_argument("--out", default=os.path.join("runs", "demo"), help="output directory "
                                                                          "(default: runs/demo)")
    demo.add_argument("--epochs", type=_positive_int, help="epochs for every model (default: "
                      + ", ".join(f"{k} {v}" for k, v in DEMO_EPOCHS.items()) + ")")
    demo.add_argument("--images", type=_positive_int,
                      help="use only the first N training images (default: all 4,000 of the sample)")
    demo.add_argument("--test-images", type=_positive_int, default=200,
                      help="test images for the test loss (default: 200)")
    demo.add_argument("--seed", type=_non_negative_int, default=0)
    demo.add_argument("--no-progress", action="store_true", help="no progress bars")
    demo.set_defaults(run=command_demo)
    return parser


def _data_options(parser) -> None:
    parser.add_argument("--data-dir", help="where MNIST / Fashion-MNIST files are (or are downloaded to)")
    parser.add_argument("--download", action="store_true", help="download the dataset if it is missing")


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        return args.run(args)
    except (CommandError, CheckpointError, FileNotFoundError, ValueError,
            FloatingPointError) as error:
        print(f"scratchae {args.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"scratchae {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

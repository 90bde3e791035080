"""``scratchae train MODEL``: train one model, with checkpoints, resume, a progress bar and a history."""

from __future__ import annotations

import json
import os

from .. import manual_seed
from ..models import MODELS, VariationalAutoencoder, build
from ..training import Trainer, load_checkpoint
from ..training.compile_ahead import CompileAhead
from ..training.parts import parts_text
from .common import (
    BATCH_SIZES,
    COURSE_EPOCHS,
    DATASETS,
    DEFAULT_BATCH_SIZE,
    DEFAULT_NOISE_FACTOR,
    CommandError,
    data_options,
    default_batch_size,
    load_images,
    load_split,
    loss_name,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
    write_figures,
)


def add_parser(commands) -> None:
    train = commands.add_parser("train", help="train one model; write checkpoint, history and figures")
    train.add_argument("model", choices=list(MODELS), help="which autoencoder")
    train.add_argument("--dataset", choices=DATASETS, help="training data (default: sample, embedded)")
    train.add_argument(
        "--epochs",
        type=non_negative_int,
        help="train until this many epochs are complete (default: the course's, "
        + ", ".join(f"{k} {v}" for k, v in COURSE_EPOCHS.items())
        + ")",
    )
    train.add_argument(
        "--batch-size",
        type=positive_int,
        help=f"images per step (default: {DEFAULT_BATCH_SIZE}; "
        + ", ".join(f"{k} {v}" for k, v in BATCH_SIZES.items())
        + ")",
    )
    train.add_argument("--lr", type=positive_float, help="Adam's learning rate (default: 0.001)")
    train.add_argument("--seed", type=non_negative_int, help="seeds weights and noise (default: 0)")
    train.add_argument(
        "--noise-factor",
        type=non_negative_float,
        help=f"denoise only: std of the input noise (default: {DEFAULT_NOISE_FACTOR})",
    )
    train.add_argument(
        "--beta", type=non_negative_float, help="vae, conv-vae only: weight of the KL term (default: 1, the ELBO)"
    )
    train.add_argument("--limit", type=positive_int, help="use only the first N training images")
    train.add_argument("--out", help="output directory (default: runs/MODEL; on --resume, the checkpoint's directory)")
    train.add_argument("--resume", metavar="CHECKPOINT", help="continue the run saved in CHECKPOINT")
    data_options(train)
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.set_defaults(run=run)


def _check_resume_options(args, config: dict) -> None:
    """Refuse options given on the command line that contradict the checkpoint's run."""
    pairs = {
        "dataset": args.dataset,
        "batch_size": args.batch_size,
        "seed": args.seed,
        "limit": args.limit,
        "noise_factor": args.noise_factor,
    }
    conflicts = [
        f"--{k.replace('_', '-')} {v} (checkpoint: {config.get(k)})"
        for k, v in pairs.items()
        if v is not None and v != config.get(k)
    ]
    if args.lr is not None and args.lr != config.get("optimizer_config", {}).get("lr"):
        conflicts.append(f"--lr {args.lr} (checkpoint: {config.get('optimizer_config', {}).get('lr')})")
    if args.beta is not None and args.beta != config.get("model_config", {}).get("beta"):
        conflicts.append(f"--beta {args.beta} (checkpoint: {config.get('model_config', {}).get('beta')})")
    if conflicts:
        raise CommandError(
            "a resumed run continues with the checkpoint's settings; these options differ: " + ", ".join(conflicts)
        )


def _log_epoch(args):
    """Without progress bars, still print one line per epoch (the bars print their own)."""
    if not args.no_progress:
        return None

    def log(trainer):
        h = trainer.history
        print(
            f"epoch {h['epoch'][-1]}: train loss {h['train_loss'][-1]:.6f}, "
            f"test loss {h['test_loss'][-1]:.6f}{parts_text(h)} ({h['seconds'][-1]:.1f} s)",
            flush=True,
        )

    return log


def run(args) -> int:
    if args.resume:
        saved_config = load_checkpoint(args.resume).config
        if saved_config.get("model") != args.model:
            raise CommandError(f"{args.resume} holds a {saved_config.get('model')!r} model, not {args.model!r}")
        _check_resume_options(args, saved_config)
        out = args.out or os.path.dirname(os.path.abspath(args.resume))
        os.makedirs(out, exist_ok=True)
        checkpoint = os.path.join(out, "checkpoint.npz")
        trainer = Trainer.from_checkpoint(
            args.resume, checkpoint=checkpoint, progress=not args.no_progress, on_epoch=_log_epoch(args)
        )
        dataset, limit = trainer.extra_config["dataset"], trainer.extra_config.get("limit")
        print(f"resuming {args.model} from {args.resume} after epoch {trainer.epoch}")
    else:
        out = args.out or os.path.join("runs", args.model)
        os.makedirs(out, exist_ok=True)
        checkpoint = os.path.join(out, "checkpoint.npz")
        dataset = args.dataset or "sample"
        limit = args.limit
        seed = 0 if args.seed is None else args.seed
        manual_seed(seed)
        if args.beta is not None and not issubclass(MODELS[args.model], VariationalAutoencoder):
            raise CommandError("--beta applies only to the variational autoencoders (vae, conv-vae)")
        model = build(args.model, None if args.beta is None else {"beta": args.beta})
        noise = None
        if args.model == "denoise":
            noise = DEFAULT_NOISE_FACTOR if args.noise_factor is None else args.noise_factor
        elif args.noise_factor is not None:
            raise CommandError("--noise-factor applies only to the denoise model")
        trainer = Trainer(
            model,
            lr=1e-3 if args.lr is None else args.lr,
            batch_size=default_batch_size(args.model) if args.batch_size is None else args.batch_size,
            noise_factor=noise,
            seed=seed,
            checkpoint=checkpoint,
            config={"dataset": dataset, "limit": limit},
            progress=not args.no_progress,
            on_epoch=_log_epoch(args),
        )
    epochs = COURSE_EPOCHS[args.model] if args.epochs is None else args.epochs
    train = load_images(dataset, "train", args.data_dir, args.download, limit)
    test, labels, classes = load_split(dataset, "test", args.data_dir, args.download)
    print(
        f"training {args.model} on {dataset}: {len(train)} training images, {len(test)} test images, "
        f"batch size {trainer.batch_size}, {epochs} epoch{'s' if epochs != 1 else ''}; checkpoints in {out}; "
        f"loss: {loss_name(trainer.model)}"
    )
    with CompileAhead([args.model]):  # on a first run, a second process compiles kernels too
        history = trainer.fit(train, test, epochs)
    if not os.path.exists(checkpoint):  # nothing to train (--epochs 0): still write one
        trainer.save(checkpoint)
    with open(os.path.join(out, "history.json"), "w") as f:
        json.dump(history, f, indent=1)
    written = write_figures(
        trainer.model,
        test,
        out,
        history=history,
        noise_factor=trainer.noise_factor,
        seed=trainer.seed,
        labels=labels,
        classes=classes,
    )
    if history["epoch"]:
        print(
            f"final {loss_name(trainer.model)}: train {history['train_loss'][-1]:.6f}, "
            f"test {history['test_loss'][-1]:.6f}" + parts_text(history)
        )
    print("wrote " + ", ".join([checkpoint, os.path.join(out, "history.json"), *written]))
    return 0

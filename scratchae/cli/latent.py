"""``scratchae latent CHECKPOINT``: the latent space of any trained model, in figures.

For every model: the codes of test images scattered by class (the first two principal components when a
code has more than two numbers) and the images decoded along the line between two codes. For a VAE also
64 samples from its prior and, when its code has two numbers, the images it decodes over a grid of them.
"""

from __future__ import annotations

import os

from ..training import load_checkpoint, restore
from .common import DATASETS, data_options, load_split, non_negative_int, positive_int, write_latent_figures


def add_parser(commands) -> None:
    cmd = commands.add_parser("latent", help="figures of the latent space of a trained model (any model)")
    cmd.add_argument("checkpoint", help="a checkpoint.npz written by `scratchae train`")
    cmd.add_argument("--dataset", choices=DATASETS, help="test data (default: the one trained on)")
    cmd.add_argument("--limit", type=positive_int, default=2000, help="encode the first N test images (default: 2000)")
    cmd.add_argument("--seed", type=non_negative_int, default=0, help="seeds the samples from a VAE's prior")
    cmd.add_argument("--out", help="output directory (default: the checkpoint's directory)")
    data_options(cmd)
    cmd.set_defaults(run=run)


def run(args) -> int:
    saved = load_checkpoint(args.checkpoint)
    model, _ = restore(saved, source=args.checkpoint)
    dataset = args.dataset or saved.config.get("dataset", "sample")
    out = args.out or os.path.dirname(os.path.abspath(args.checkpoint))
    os.makedirs(out, exist_ok=True)
    images, labels, classes = load_split(dataset, "test", args.data_dir, args.download, args.limit)
    written = write_latent_figures(
        model, images.astype(model.dtype, copy=False), out, labels=labels, classes=classes, seed=args.seed
    )
    print(f"{model.name} after {saved.epoch} epochs: the codes of {len(images)} {dataset} test images")
    print("wrote " + ", ".join(written))
    return 0

"""``scratchae reconstruct CHECKPOINT``: the figures and the test loss of a trained model (for a VAE, also
its latent-space figures; ``scratchae latent`` draws those for any model)."""

from __future__ import annotations

import os

from ..training import Trainer, load_checkpoint, restore
from .common import DATASETS, data_options, load_split, loss_name, positive_int, write_figures


def add_parser(commands) -> None:
    rec = commands.add_parser("reconstruct", help="figures and test loss of a trained model")
    rec.add_argument("checkpoint", help="a checkpoint.npz written by `scratchae train`")
    rec.add_argument("--dataset", choices=DATASETS, help="test data (default: the one trained on)")
    rec.add_argument("--n", type=positive_int, default=10, help="images per figure (default: 10)")
    rec.add_argument("--limit", type=positive_int, help="evaluate on the first N test images only")
    rec.add_argument("--out", help="output directory (default: the checkpoint's directory)")
    data_options(rec)
    rec.set_defaults(run=run)


def run(args) -> int:
    saved = load_checkpoint(args.checkpoint)
    model, _ = restore(saved, source=args.checkpoint)
    config = saved.config
    dataset = args.dataset or config.get("dataset", "sample")
    out = args.out or os.path.dirname(os.path.abspath(args.checkpoint))
    os.makedirs(out, exist_ok=True)
    test, labels, classes = load_split(dataset, "test", args.data_dir, args.download, args.limit)
    test = test.astype(model.dtype, copy=False)
    trainer = Trainer(model, noise_factor=config.get("noise_factor"), seed=config.get("seed", 0), progress=False)
    loss = trainer.evaluate(test)
    written = write_figures(
        model,
        test,
        out,
        history=saved.history,
        noise_factor=trainer.noise_factor,
        seed=trainer.seed,
        n=args.n,
        labels=labels,
        classes=classes,
    )
    parts = trainer.evaluation_parts  # a VAE's two terms
    detail = f" = reconstruction {parts['reconstruction']:.3f} + {model.beta:g} x KL {parts['kl']:.3f}" if parts else ""
    print(
        f"{model.name} after {saved.epoch} epochs: test loss {loss:.6f}{detail} ({loss_name(model)}) on "
        f"{len(test)} {dataset} test images"
    )
    print("wrote " + ", ".join(written))
    return 0

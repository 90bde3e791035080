"""The ``scratchae`` command. Each subcommand is a module of this package with ``add_parser`` and ``run``.

::

    scratchae demo                                # all four models on the embedded sample, one figure
    scratchae train conv --dataset fashion-mnist --epochs 5
    scratchae train conv --resume runs/conv/checkpoint.npz --epochs 10
    scratchae reconstruct runs/conv/checkpoint.npz
    scratchae train vae                           # a variational autoencoder (also: conv-vae)
    scratchae latent runs/conv/checkpoint.npz     # the latent space of any model: scatter, interpolation
    scratchae inspect runs/conv/checkpoint.npz    # the layer table, filters, feature maps, latent space
    scratchae anomaly --normal trouser            # train on trousers only, score the test set, AUROC
    scratchae exercises list                      # write layers yourself; `check` grades them
    scratchae explain --kernel-size 3 --stride 2 --padding 1 --output-padding 1

Every loss printed is the mean per-pixel loss (see :mod:`scratchae.training.trainer`), except a VAE's: the
negative ELBO per image, in nats.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..training import CheckpointError
from . import anomaly, demo, exercises, explain, inspect, latent, reconstruct, train
from .common import CommandError

#: the subcommands, in the order ``scratchae --help`` lists them
COMMANDS = (train, reconstruct, latent, inspect, anomaly, demo, exercises, explain)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scratchae",
        description="Autoencoders from scratch in NumPy: train them, look at what they learned.",
        epilog="Losses are mean per-pixel losses; a VAE's is the negative ELBO per image, in nats.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        return args.run(args)
    except (CommandError, CheckpointError, FileNotFoundError, ValueError, FloatingPointError) as error:
        print(f"scratchae {args.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"scratchae {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

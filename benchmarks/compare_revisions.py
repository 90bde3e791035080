"""Training-step time of the working tree against an earlier git revision, in one process, alternating.

The machine's speed drifts by up to +-30% from minute to minute, so two separate runs cannot show a
change of a few percent. This script copies the ``scratchae`` package of another revision under another
name (``scratchae_<rev>``: the package imports itself relatively, so the copy is self-contained), builds
the same model from both with the same initial weights, and times training steps of the two in
alternating rounds, on the same prepared batches. It prints the median over rounds of
old-time / new-time (> 1: the working tree is faster), with the min-max.

    python benchmarks/compare_revisions.py HEAD~1                       # all four models, batch 20
    python benchmarks/compare_revisions.py c99e525 --models conv,denoise --batches 20,128 --rounds 9

The copy's Numba cache is kept in a temporary folder, so the first round of each model compiles.
No assertion: this is a measurement.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [ROOT, HERE]

from bench_training import median, prepared_batches, run_steps  # noqa: E402


def import_revision(revision: str, folder: str):
    """The ``scratchae`` package of ``revision``, imported as ``scratchae_<revision>`` from ``folder``."""
    archive = subprocess.run(["git", "-C", ROOT, "archive", revision, "scratchae"], capture_output=True, check=True)
    name = "scratchae_" + "".join(c if c.isalnum() else "_" for c in revision)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    os.rename(os.path.join(folder, "scratchae"), os.path.join(folder, name))
    sys.path.insert(0, folder)
    return importlib.import_module(name)


def trainer(package, name: str, seed: int = 0):
    """``step(inputs, targets)``: one training step of a new model of ``package`` (Adam, MSE)."""
    models, nn, optim = (importlib.import_module(f"{package.__name__}.{m}") for m in ("models", "nn", "optim"))
    model = models.build(name, rng=np.random.default_rng(seed))
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.MSELoss()

    def step(inputs, targets):
        criterion(model(inputs), targets)
        optimizer.zero_grad()
        model.backward(criterion.backward())
        optimizer.step()

    return step


def compare(old, new, name: str, batch: int, rounds: int, seconds: float) -> list[float]:
    """old-time / new-time of each round (the same steps on the same batches)."""
    from scratchae.data import load_dataset

    images = load_dataset("sample", split="train").images
    batches = prepared_batches(name, images, batch, 100)
    steps = {"old": trainer(old, name), "new": trainer(new, name)}
    for step in steps.values():
        run_steps(step, batches, 3)  # compile, warm up
    count = max(5, int(seconds / (run_steps(steps["new"], batches, 5) / 5)))
    ratios = []
    for r in range(rounds):
        took = {}
        for who in ("old", "new") if r % 2 == 0 else ("new", "old"):
            took[who] = run_steps(steps[who], batches, count)
        ratios.append(took["old"] / took["new"])
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="the git revision to compare the working tree with")
    parser.add_argument("--models", type=lambda s: s.split(","), default=["linear", "conv", "upsample", "denoise"])
    parser.add_argument("--batches", type=lambda s: [int(b) for b in s.split(",")], default=[20])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=1.0, help="approximate length of one round")
    args = parser.parse_args()

    import scratchae
    from scratchae import memory

    memory.keep_freed_memory()
    with tempfile.TemporaryDirectory(prefix="scratchae-revision-") as folder:
        old = import_revision(args.revision, folder)
        print(
            f"old-time / new-time, {args.revision} against the working tree "
            f"(median of {args.rounds} alternating rounds, min-max; > 1: the working tree is faster)"
        )
        for batch in args.batches:
            for name in args.models:
                started = time.perf_counter()
                ratios = compare(old, scratchae, name, batch, args.rounds, args.seconds)
                print(
                    f"  {name:9s} batch {batch:4d}: {median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f})"
                    f"  [{time.perf_counter() - started:.0f} s]",
                    flush=True,
                )


if __name__ == "__main__":
    main()

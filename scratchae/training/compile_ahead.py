"""Compile a first run's kernels on both cores: a helper process compiles what the main one needs next.

With an empty Numba cache (the first run after an install) every kernel is compiled the first time it
runs, and Numba compiles one function at a time: a process cannot use a second core for it. The
convolution kernel (:func:`scratchae.kernels.numba.conv2d.conv2d_groups`) is the first kernel a
convolutional model runs and the longest to compile (about 16 of the conv autoencoder's 26 s of CPU
time). So, as soon as the main process starts compiling it, :class:`CompileAhead` starts a helper
process that runs one training step and one evaluation of the same models on two images, with that
kernel replaced by :func:`clear_outputs`. The helper compiles every other kernel, with the same types
(and writes them to the cache) while the main process is busy; when the main process gets to them, Numba
loads them from the cache instead of compiling them. If the helper is late, the main process compiles
the kernel itself, as it would have without it: the helper can make a first run faster, never wrong.

Nothing happens on a warm cache (the convolution kernel is loaded, not compiled) or with Numba off.
The figures are in docs/performance.md ("Compile time and the first run").

    python -m scratchae.training.compile_ahead conv denoise   # what the helper process runs
"""

from __future__ import annotations

import os
import subprocess
import sys
from unittest import mock

import numpy as np
from numba.core import event

from ..kernels import numba_enabled
from ..kernels.numba import conv2d
from ..models import build
from .trainer import Trainer


def clear_outputs(
    x,
    sh,
    sw,
    ph,
    pw,
    phases,
    weight,
    tap_channel,
    tap_phase,
    tap_offset,
    groups,
    plane_len,
    wq,
    span,
    wide,
    bias,
    epilogue,
    y,
    indices,
    w_out,
):
    """The helper's stand-in for :func:`~scratchae.kernels.numba.conv2d.conv2d_groups` (same
    parameters): zeros in its outputs, and nothing compiled. Zeros are valid input for every later
    kernel (the pooling ``indices`` point at each window's first pixel)."""
    y[...] = 0
    indices[...] = 0


def compile_all_but_the_convolution(names: list[str], images: int = 2) -> None:
    """One training step and one evaluation of each model in ``names`` on ``images`` random images,
    with the convolution kernel replaced by :func:`clear_outputs`: every other kernel they run is
    compiled (or loaded from the cache)."""
    batch = np.random.default_rng(0).random((images, 1, 28, 28), dtype=np.float32)
    with mock.patch.object(conv2d, "conv2d_groups", clear_outputs):
        for name in names:
            noise = 0.5 if name == "denoise" else None
            trainer = Trainer(build(name), batch_size=images, noise_factor=noise, progress=False)
            trainer.train_step(*trainer.inputs_and_targets(batch, np.random.default_rng(0)))
            trainer.evaluate(batch)


class CompileAhead(event.Listener):
    """``with CompileAhead(names):`` -- while the block runs, the first time the main process starts
    compiling the convolution kernel (an empty cache), start the helper process for the models
    ``names``; at the end of the block, stop it if it still runs (the kernels it has finished are in
    the cache already: Numba writes each file whole, under a temporary name first)."""

    def __init__(self, names: list[str]):
        self.names = list(names)
        self.helper: subprocess.Popen | None = None

    def __enter__(self) -> CompileAhead:
        if self.names and numba_enabled():
            event.register("numba:compile", self)
        return self

    def __exit__(self, *exc) -> None:
        if self.names and numba_enabled():
            event.unregister("numba:compile", self)
        if self.helper is not None and self.helper.poll() is None:
            self.helper.terminate()
            self.helper.wait()

    def on_start(self, ev: event.Event) -> None:
        if self.helper is None and ev.data["dispatcher"] is conv2d.conv2d_groups:
            self.helper = subprocess.Popen(
                [sys.executable, "-m", __name__, *self.names],
                env={**os.environ, "SCRATCHAE_NUM_THREADS": "1"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    def on_end(self, ev: event.Event) -> None:
        pass


if __name__ == "__main__":
    compile_all_but_the_convolution(sys.argv[1:])

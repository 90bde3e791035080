"""The first run's helper process (scratchae.training.compile_ahead): it compiles every kernel of a
model's training step but the convolution, with the very types the main process uses, and it is started
only when the main process compiles the convolution kernel (an empty cache)."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import numpy as np
import pytest

from scratchae.kernels.numba import conv2d
from scratchae.training import compile_ahead
from scratchae.training.compile_ahead import CompileAhead, clear_outputs

ROOT = Path(__file__).resolve().parents[1]

#: the convolutional models; the helper is started for them (an MLP never compiles the convolution)
CONV_MODELS = ["conv", "upsample", "conv-vae"]  # the denoiser runs the same kernels as conv

#: one training step (batch 20, as the CLI's) and one evaluation of each model; prints the kernels this
#: process compiled, not counting those compiled inside another's compilation (its helpers)
COMPILED_BY_A_TRAINING_STEP = """
import sys
import numpy as np
from numba.core import event
from scratchae.models import build
from scratchae.training import Trainer

compiled, depth = set(), [0]
class Record(event.Listener):
    def on_start(self, ev):
        if depth[0] == 0:
            compiled.add(ev.data["dispatcher"].py_func.__name__)
        depth[0] += 1
    def on_end(self, ev):
        depth[0] -= 1

images = np.random.default_rng(1).random((20, 1, 28, 28), dtype=np.float32)
with event.install_listener("numba:compile", Record()):
    for name in sys.argv[1:]:
        trainer = Trainer(build(name), batch_size=20, noise_factor=0.5 if name == "denoise" else None, progress=False)
        trainer.train_step(*trainer.inputs_and_targets(images, np.random.default_rng(0)))
        trainer.evaluate(images)
print(" ".join(sorted(compiled)))
"""


def run_python(args: list[str], cache: Path) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NUMBA_CACHE_DIR=str(cache), SCRATCHAE_KERNELS="numba")
    return subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=900, check=True
    ).stdout


def test_after_the_helper_a_training_step_compiles_only_the_convolution(tmp_path):
    run_python(["-m", "scratchae.training.compile_ahead", *CONV_MODELS], tmp_path)
    compiled = run_python(["-c", COMPILED_BY_A_TRAINING_STEP, *CONV_MODELS], tmp_path).split()
    # anything else here was compiled by the helper with other types than the real step's (or not at all)
    assert compiled == ["conv2d_groups"]


def test_the_stand_in_takes_the_convolution_kernels_parameters():
    assert (
        inspect.signature(clear_outputs).parameters.keys()
        == inspect.signature(conv2d.conv2d_groups.py_func).parameters.keys()
    )


def test_the_stand_in_clears_the_outputs():
    y, indices = np.ones((2, 3, 4, 4), np.float32), np.ones((2, 3, 4, 4), np.int32)
    clear_outputs(*[None] * 17, y, indices, 4)
    assert not y.any() and not indices.any()


class FakePopen:
    started: ClassVar[list[list[str]]] = []

    def __init__(self, command, **options):
        FakePopen.started.append(command)
        self.env, self.terminated = options["env"], False

    def poll(self):
        return None  # still running

    def terminate(self):
        self.terminated = True

    def wait(self):
        return 0


@pytest.fixture
def fake_popen(monkeypatch):
    FakePopen.started = []
    monkeypatch.setattr(compile_ahead.subprocess, "Popen", FakePopen)
    return FakePopen


def compile_event(kernel) -> SimpleNamespace:
    return SimpleNamespace(data={"dispatcher": kernel})


def test_the_helper_starts_once_when_the_convolution_compiles_and_stops_at_the_end(fake_popen):
    with CompileAhead(["linear", "conv"]) as ahead:
        ahead.on_start(compile_event(conv2d.plane_sums))  # another kernel: no helper
        assert fake_popen.started == []
        ahead.on_start(compile_event(conv2d.conv2d_groups))
        ahead.on_start(compile_event(conv2d.conv2d_groups))  # another signature: still one helper
    assert fake_popen.started == [[sys.executable, "-m", "scratchae.training.compile_ahead", "linear", "conv"]]
    assert ahead.helper.env["SCRATCHAE_NUM_THREADS"] == "1" and ahead.helper.terminated


def test_the_helper_listens_to_numbas_compile_events_only_inside_the_block(fake_popen):
    from numba.core import event

    def broadcast_compile_of_the_convolution():
        start = event.Event("numba:compile", event.EventStatus.START, data={"dispatcher": conv2d.conv2d_groups})
        event.broadcast(start)

    ahead = CompileAhead(["conv"])
    broadcast_compile_of_the_convolution()
    assert fake_popen.started == []
    with ahead:
        broadcast_compile_of_the_convolution()
        assert len(fake_popen.started) == 1
    fake_popen.started.clear()
    broadcast_compile_of_the_convolution()
    assert fake_popen.started == []

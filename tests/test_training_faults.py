"""Faults in training: processes killed at random moments (also in the middle of a checkpoint write),
resuming after a kill, and runs that diverge.

A small training script (below) runs in a subprocess: the linear autoencoder on 100 images of the
embedded sample, with shuffling and input noise so that resuming must also restore the random state.
With ``SLOW_WRITE`` set it writes checkpoints in 16 kB pieces with a pause after each, so that most of its
time is spent inside :func:`~scratchae.training.save_checkpoint` and a kill at a random moment usually
lands in the middle of a write.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from scratchae import manual_seed, optim
from scratchae.data import load_dataset
from scratchae.models import build
from scratchae.training import CheckpointError, Trainer, load_checkpoint

ROOT = Path(__file__).resolve().parents[1]
EPOCHS = 12
posix_kill = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")

DRIVER = textwrap.dedent("""
    import os, sys, time
    import numpy as np

    out, epochs = sys.argv[1], int(sys.argv[2])
    if os.environ.get("SLOW_WRITE"):
        savez = np.savez

        class SlowFile:  # forwards everything to the real file, writing slowly
            def __init__(self, f):
                self._f = f

            def write(self, data):
                data = memoryview(data).cast("B")
                for start in range(0, len(data), 16384):
                    self._f.write(data[start:start + 16384])
                    time.sleep(0.002)
                return len(data)

            def __getattr__(self, name):
                return getattr(self._f, name)

        np.savez = lambda f, **arrays: savez(SlowFile(f), **arrays)

    from scratchae import manual_seed
    from scratchae.data import load_dataset
    from scratchae.models import build
    from scratchae.training import Trainer

    checkpoint = os.path.join(out, "checkpoint.npz")
    images = load_dataset("sample", split="train").images[:100]
    if os.path.exists(checkpoint):
        trainer = Trainer.from_checkpoint(checkpoint, progress=False)
    else:
        manual_seed(0)
        trainer = Trainer(build("linear"), lr=1e-3, batch_size=20, shuffle=True, noise_factor=0.3, seed=3,
                          checkpoint=checkpoint, progress=False)
    print("started after epoch", trainer.epoch, flush=True)
    trainer.fit(images, None, epochs)
    print("done", flush=True)
""")


def start(out: Path, epochs: int = EPOCHS, slow: bool = True) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), SLOW_WRITE="1" if slow else "")
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(out), str(epochs)],
        env=env,
        cwd=out,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> str:
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    return stdout


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """Final checkpoint of a run that was never interrupted."""
    out = tmp_path_factory.mktemp("uninterrupted")
    assert "done" in finish(start(out, slow=False))
    return load_checkpoint(out / "checkpoint.npz")


@posix_kill
def test_killed_at_random_moments_leaves_a_loadable_checkpoint_and_resumes_exactly(tmp_path, uninterrupted):
    rng = np.random.default_rng(2024)
    checkpoint = tmp_path / "checkpoint.npz"
    epochs_seen, kills = [], 0
    while kills < 4:
        process = start(tmp_path)
        if not checkpoint.exists():  # the first kill comes after a first checkpoint exists
            while not checkpoint.exists() and process.poll() is None:
                time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.4))
        if process.poll() is not None:
            break  # finished before the kill: fine, but it should not be the usual case
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
        saved = load_checkpoint(checkpoint)  # never CheckpointError: the previous one or the new one
        assert 1 <= saved.epoch <= EPOCHS
        assert saved.history["epoch"] == list(range(1, saved.epoch + 1))
        assert all(np.isfinite(v).all() for v in saved.model_state.values())
        epochs_seen.append(saved.epoch)
    assert kills >= 2, "every run finished before it could be killed: the test is not testing"
    assert epochs_seen == sorted(epochs_seen)  # a kill never loses a completed, saved epoch
    finish(start(tmp_path))
    resumed = load_checkpoint(checkpoint)
    assert resumed.epoch == uninterrupted.epoch == EPOCHS
    for name, value in uninterrupted.model_state.items():
        np.testing.assert_array_equal(resumed.model_state[name], value, err_msg=name)  # bit for bit
    for name, value in uninterrupted.optimizer_state.items():
        np.testing.assert_array_equal(resumed.optimizer_state[name], value, err_msg=name)
    assert resumed.history["train_loss"] == uninterrupted.history["train_loss"]


@posix_kill
def test_kill_during_the_write_keeps_the_previous_checkpoint_bytes(tmp_path):
    # stop exactly inside the second checkpoint write: once its temporary file has appeared
    process = start(tmp_path)
    checkpoint = tmp_path / "checkpoint.npz"
    while not checkpoint.exists():
        assert process.poll() is None, process.communicate()
        time.sleep(0.002)
    first = checkpoint.read_bytes()
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob(".checkpoint.npz.*.tmp")) or checkpoint.read_bytes() != first:
        assert process.poll() is None and time.monotonic() < deadline, "no write in progress to interrupt"
        if checkpoint.read_bytes() != first:
            first = checkpoint.read_bytes()
        time.sleep(0.001)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert checkpoint.read_bytes() == first  # the old checkpoint, untouched
    load_checkpoint(checkpoint)
    for partial in tmp_path.glob(".checkpoint.npz.*.tmp"):  # the half-written file is not a checkpoint
        with pytest.raises(CheckpointError):
            load_checkpoint(partial)


# -- divergence ------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_a_diverging_run_stops_with_a_clear_message_and_keeps_the_last_good_checkpoint(tmp_path):
    images = load_dataset("sample", split="train").images[:60]
    checkpoint = tmp_path / "checkpoint.npz"
    manual_seed(0)
    model = build("conv")
    Trainer(model, lr=1e-3, checkpoint=checkpoint, progress=False).fit(images, None, 1)
    good = checkpoint.read_bytes()
    # SGD with an absurd learning rate: the weights blow up to inf and the loss becomes NaN
    diverging = Trainer(model, optim.SGD(model.parameters(), lr=1e20), checkpoint=checkpoint, progress=False)
    diverging.epoch = 1
    with pytest.raises(
        FloatingPointError,
        match=r"training diverged: .* at epoch 2, step \d+; lower the "
        r"learning rate \(lr=1e\+20\); the last good checkpoint",
    ):
        diverging.fit(images, None, 3)
    assert checkpoint.read_bytes() == good
    assert all(np.isfinite(v).all() for v in load_checkpoint(checkpoint).model_state.values())


def test_a_far_too_high_adam_learning_rate_never_writes_non_finite_weights(tmp_path):
    # with a sigmoid output the loss is bounded: Adam at lr=1e3 ruins the model but stays finite
    images = load_dataset("sample", split="train").images[:60]
    checkpoint = tmp_path / "checkpoint.npz"
    manual_seed(0)
    try:
        Trainer(build("linear"), lr=1e3, checkpoint=checkpoint, progress=False).fit(images, None, 3)
    except FloatingPointError as error:
        assert "training diverged" in str(error)
    if checkpoint.exists():
        assert all(np.isfinite(v).all() for v in load_checkpoint(checkpoint).model_state.values())


def test_cli_reports_divergence_without_a_traceback(tmp_path):
    # through the command line: the message, exit status 1, no traceback, and no checkpoint of NaN weights
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scratchae",
            "train",
            "conv",
            "--epochs",
            "1",
            "--limit",
            "40",
            "--lr",
            "1e30",
            "--out",
            str(tmp_path),
            "--no-progress",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert "scratchae train: error: training diverged: the loss is nan at epoch 1" in result.stderr
    assert "no checkpoint was written" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "checkpoint.npz").exists()

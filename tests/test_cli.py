"""The ``scratchae`` command line: train, resume, reconstruct, errors (on small synthetic data)."""

import json
import subprocess
import sys

import numpy as np
import pytest

from scratchae import cli
from scratchae.data.datasets import CLASSES
from scratchae.training import load_checkpoint
from tests.helpers_models import images

SPLITS = {"train": images(60, seed=0), "test": images(30, seed=1)}
LABELS = {split: np.arange(len(data)) % 10 for split, data in SPLITS.items()}  # every class, in turn


@pytest.fixture
def synthetic(monkeypatch):
    """Every dataset name loads the same small synthetic split (labels: every class in turn), so these tests
    need no data files."""
    calls = []

    def load_split(name, split, data_dir=None, download=False, limit=None):
        calls.append((name, split))
        return SPLITS[split][: limit or None], LABELS[split][: limit or None], CLASSES[name]

    def load_images(name, split, data_dir=None, download=False, limit=None):
        return load_split(name, split, data_dir, download, limit)[0]

    for command in cli.COMMANDS:  # each command module that loads images
        if hasattr(command, "load_images"):
            monkeypatch.setattr(command, "load_images", load_images)
        if hasattr(command, "load_split"):
            monkeypatch.setattr(command, "load_split", load_split)
    return calls


def run(*argv):
    return cli.main([str(a) for a in argv])


def test_train_writes_checkpoint_history_and_figures(tmp_path, synthetic, capsys):
    out = tmp_path / "run"
    assert run("train", "linear", "--epochs", 2, "--out", out, "--no-progress", "--seed", 3) == 0
    assert {p.name for p in out.iterdir()} == {"checkpoint.npz", "history.json", "reconstructions.png", "loss.png"}
    history = json.loads((out / "history.json").read_text())
    assert history["epoch"] == [1, 2]
    saved = load_checkpoint(out / "checkpoint.npz")
    assert saved.epoch == 2 and saved.config["dataset"] == "sample" and saved.config["seed"] == 3
    assert saved.history == history
    printed = capsys.readouterr().out
    assert "final mean per-pixel loss" in printed and str(out / "checkpoint.npz") in printed
    assert ("sample", "train") in synthetic and ("sample", "test") in synthetic


def test_resume_continues_to_the_same_result_as_one_run(tmp_path, synthetic):
    assert run("train", "linear", "--epochs", 3, "--out", tmp_path / "a", "--no-progress") == 0
    assert run("train", "linear", "--epochs", 1, "--out", tmp_path / "b", "--no-progress") == 0
    assert run("train", "linear", "--epochs", 3, "--resume", tmp_path / "b" / "checkpoint.npz", "--no-progress") == 0
    a, b = (load_checkpoint(tmp_path / d / "checkpoint.npz") for d in "ab")
    assert a.history["train_loss"] == b.history["train_loss"] and b.epoch == 3
    for k in a.model_state:
        np.testing.assert_array_equal(a.model_state[k], b.model_state[k])


def test_resume_refuses_contradicting_options(tmp_path, synthetic, capsys):
    assert run("train", "linear", "--epochs", 1, "--out", tmp_path, "--no-progress") == 0
    checkpoint = tmp_path / "checkpoint.npz"
    assert run("train", "linear", "--resume", checkpoint, "--batch-size", 5, "--lr", 0.1) == 1
    err = capsys.readouterr().err
    assert "--batch-size 5 (checkpoint: 20)" in err and "--lr 0.1 (checkpoint: 0.001)" in err


def test_reconstruct_writes_figures_and_prints_the_test_loss(tmp_path, synthetic, capsys):
    assert run("train", "linear", "--epochs", 1, "--out", tmp_path, "--no-progress") == 0
    (tmp_path / "reconstructions.png").unlink()
    assert run("reconstruct", tmp_path / "checkpoint.npz", "--out", tmp_path / "fig", "--n", 4) == 0
    assert {p.name for p in (tmp_path / "fig").iterdir()} == {"reconstructions.png", "loss.png"}
    assert "test loss" in capsys.readouterr().out


def test_errors_are_one_line_messages(tmp_path, synthetic, capsys):
    assert run("reconstruct", tmp_path / "missing.npz") == 1
    assert "no checkpoint at" in capsys.readouterr().err
    (tmp_path / "bad.npz").write_bytes(b"garbage")
    assert run("reconstruct", tmp_path / "bad.npz") == 1
    assert "not a readable scratchae checkpoint" in capsys.readouterr().err
    assert run("train", "linear", "--noise-factor", 0.3, "--out", tmp_path) == 1
    assert "only to the denoise model" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "gan"],
        ["train", "linear", "--epochs", "-1"],
        ["train", "linear", "--lr", "0"],
        ["train", "linear", "--dataset", "cifar"],
        ["train", "linear", "--batch-size", "0"],
        [],
    ],
)
def test_bad_arguments_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    assert "usage: scratchae" in capsys.readouterr().err


def test_python_dash_m_scratchae_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "scratchae", "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    for command in ("train", "reconstruct", "latent", "inspect", "anomaly", "demo", "exercises", "explain"):
        assert command in result.stdout


def test_resume_refuses_a_checkpoint_of_another_model(tmp_path, synthetic, capsys):
    assert run("train", "linear", "--epochs", 1, "--out", tmp_path, "--no-progress") == 0
    assert run("train", "conv", "--resume", tmp_path / "checkpoint.npz") == 1
    assert "holds a 'linear' model, not 'conv'" in capsys.readouterr().err


def test_no_progress_still_prints_one_line_per_epoch(tmp_path, synthetic, capsys):
    assert run("train", "linear", "--epochs", 2, "--out", tmp_path, "--no-progress") == 0
    captured = capsys.readouterr()
    assert "epoch 1: train loss" in captured.out and "epoch 2: train loss" in captured.out
    assert "img/s" not in captured.err


# -- on the embedded sample (real images), kept small ------------------------------------------------
@pytest.mark.parametrize(
    "model, figures",
    [
        ("conv", {"reconstructions.png", "latent.png", "loss.png"}),
        ("denoise", {"denoising.png", "latent.png", "loss.png"}),
        ("deep-conv", {"reconstructions.png", "latent.png", "loss.png"}),
    ],
)
def test_train_a_convolutional_model_on_the_sample(tmp_path, model, figures):
    assert run("train", model, "--epochs", 1, "--limit", 40, "--out", tmp_path, "--no-progress") == 0
    assert {p.name for p in tmp_path.iterdir()} == figures | {"checkpoint.npz", "history.json"}
    saved = load_checkpoint(tmp_path / "checkpoint.npz")
    assert saved.config["model"] == model and saved.config["limit"] == 40
    assert saved.config["noise_factor"] == (0.5 if model == "denoise" else None)


def test_demo_writes_one_figure_and_says_where(tmp_path, capsys):
    out = tmp_path / "demo"
    assert run("demo", "--epochs", 1, "--images", 40, "--test-images", 20, "--out", out, "--no-progress") == 0
    assert [p.name for p in out.iterdir()] == ["demo.png"]
    assert (out / "demo.png").stat().st_size > 50_000
    printed = capsys.readouterr().out
    for name in ("linear", "conv", "upsample", "denoise", "vae"):
        assert f"  {name}" in printed
    assert f"wrote {out / 'demo.png'}" in printed


def test_missing_dataset_files_explain_the_command_line_options(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCRATCHAE_DATA", str(tmp_path / "nothing-here"))
    monkeypatch.setenv("HOME", str(tmp_path))
    from scratchae.data.datasets import find_files

    if find_files("mnist", "train", tmp_path) is not None:
        pytest.skip("MNIST is installed on this machine")
    assert (
        run("train", "linear", "--dataset", "mnist", "--data-dir", tmp_path, "--epochs", 0, "--out", tmp_path / "o")
        == 1
    )
    err = capsys.readouterr().err
    assert "not found" in err and "--download" in err and "--data-dir" in err


def test_figures_are_drawn_in_evaluation_mode_and_leave_the_mode_as_it_was(tmp_path, monkeypatch):
    from scratchae.cli import common
    from scratchae.models import build

    model = build("deep-conv", rng=np.random.default_rng(0))
    modes = []
    real_encode = model.encode
    monkeypatch.setattr(model, "encode", lambda x: modes.append(model.bn1.training) or real_encode(x))
    common.write_figures(model, SPLITS["test"], str(tmp_path), n=4)
    assert modes and not any(modes)  # batch norm used its running statistics
    assert model.training and model.bn1.num_batches_tracked.data == 0  # and nothing was updated


# -- variational autoencoders and the latent space ----------------------------------------------------
def test_train_a_vae_with_its_defaults_history_and_figures(tmp_path, synthetic, capsys):
    out = tmp_path / "vae"
    assert run("train", "vae", "--epochs", 2, "--out", out, "--no-progress") == 0
    assert {p.name for p in out.iterdir()} == {
        "checkpoint.npz",
        "history.json",
        "reconstructions.png",
        "loss.png",
        "latent_scatter.png",
        "interpolation.png",
        "samples.png",
    }
    saved = load_checkpoint(out / "checkpoint.npz")
    assert saved.config["batch_size"] == 128 and saved.config["optimizer_config"]["lr"] == 1e-3
    assert saved.config["model_config"] == {"latent_dim": 20, "hidden": 400, "beta": 1.0}
    history = json.loads((out / "history.json").read_text())
    for split in ("train", "test"):
        for epoch in range(2):
            total = history[f"{split}_reconstruction"][epoch] + history[f"{split}_kl"][epoch]
            assert history[f"{split}_loss"][epoch] == pytest.approx(total, rel=1e-12)
    printed = capsys.readouterr().out
    assert "negative ELBO per image (nats)" in printed and "reconstruction" in printed and "KL" in printed


def test_vae_options_on_the_command_line(tmp_path, synthetic, capsys):
    assert (
        run("train", "vae", "--epochs", 1, "--beta", 0.5, "--batch-size", 16, "--out", tmp_path, "--no-progress") == 0
    )
    saved = load_checkpoint(tmp_path / "checkpoint.npz")
    assert saved.config["model_config"]["beta"] == 0.5 and saved.config["batch_size"] == 16
    assert run("train", "vae", "--resume", tmp_path / "checkpoint.npz", "--beta", 2) == 1
    assert "--beta 2.0 (checkpoint: 0.5)" in capsys.readouterr().err
    assert run("train", "vae", "--resume", tmp_path / "checkpoint.npz", "--epochs", 2, "--no-progress") == 0
    assert load_checkpoint(tmp_path / "checkpoint.npz").epoch == 2
    assert run("train", "linear", "--beta", 1, "--out", tmp_path / "x") == 1
    assert "--beta applies only to the variational autoencoders" in capsys.readouterr().err
    assert run("reconstruct", tmp_path / "checkpoint.npz", "--out", tmp_path / "fig") == 0
    assert "reconstruction" in capsys.readouterr().out and (tmp_path / "fig" / "samples.png").exists()


def test_the_latent_command_works_for_a_plain_autoencoder(tmp_path, synthetic, capsys):
    assert run("train", "linear", "--epochs", 1, "--out", tmp_path, "--no-progress") == 0
    assert run("latent", tmp_path / "checkpoint.npz", "--out", tmp_path / "latent") == 0
    assert {p.name for p in (tmp_path / "latent").iterdir()} == {"latent_scatter.png", "interpolation.png"}
    assert "the codes of 30 sample test images" in capsys.readouterr().out


def test_train_the_conv_vae_on_the_sample_draws_its_2d_latent_space(tmp_path):
    assert run("train", "conv-vae", "--epochs", 1, "--limit", 64, "--out", tmp_path, "--no-progress") == 0
    written = {p.name for p in tmp_path.iterdir()}
    assert {"manifold.png", "latent_scatter.png", "samples.png", "interpolation.png"} <= written
    for name in ("manifold.png", "latent_scatter.png"):
        assert (tmp_path / name).stat().st_size > 20_000

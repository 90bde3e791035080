"""``scratchae inspect`` and ``scratchae anomaly`` (on the small synthetic splits of tests/test_cli.py)."""

import csv

import numpy as np
import pytest

from scratchae.anomaly import auroc
from scratchae.models import build
from scratchae.training import save_checkpoint
from tests import test_cli
from tests.test_cli import LABELS, run

synthetic = test_cli.synthetic  # the fixture: small synthetic splits instead of the datasets


# -- inspect -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("model, params", [("linear", "50,992"), ("conv", "1,077")])
def test_inspect_prints_the_table_and_writes_the_figures(tmp_path, synthetic, capsys, model, params):
    assert run("train", model, "--epochs", 1, "--out", tmp_path, "--no-progress") == 0
    capsys.readouterr()
    out = tmp_path / "inspect"
    assert run("inspect", tmp_path / "checkpoint.npz", "--out", out, "--index", 2) == 0
    assert {p.name for p in out.iterdir()} == {"summary.txt", "filters.png", "feature_maps.png", "latent_space.png"}
    printed = capsys.readouterr().out
    assert f"Total params: {params}" in printed and "Layer (type)" in printed
    assert str(build(model).summary()) in (out / "summary.txt").read_text()
    for name in ("filters.png", "feature_maps.png", "latent_space.png"):
        assert (out / name).stat().st_size > 10_000


def test_inspect_refuses_what_is_not_a_checkpoint_of_a_known_model(tmp_path, synthetic, capsys):
    assert run("inspect", tmp_path / "missing.npz") == 1
    assert "no checkpoint at" in capsys.readouterr().err
    (tmp_path / "text.npz").write_text("not a checkpoint")
    assert run("inspect", tmp_path / "text.npz") == 1
    assert "not a readable scratchae checkpoint" in capsys.readouterr().err
    np.savez(tmp_path / "arrays.npz", weights=np.ones(3))  # an .npz, but not a checkpoint
    assert run("inspect", tmp_path / "arrays.npz") == 1
    assert "not a valid scratchae checkpoint: missing entry 'meta/format'" in capsys.readouterr().err
    linear = build("linear")
    save_checkpoint(tmp_path / "unknown.npz", linear, epoch=1, config={"model": "gan"})  # a model we lack
    assert run("inspect", tmp_path / "unknown.npz") == 1
    assert "unknown model 'gan'" in capsys.readouterr().err
    save_checkpoint(tmp_path / "mislabelled.npz", linear, epoch=1, config={"model": "conv"})  # weights of another
    assert run("inspect", tmp_path / "mislabelled.npz") == 1
    assert "was written for 'conv' and does not fit ConvAutoencoder" in capsys.readouterr().err


def test_inspect_refuses_an_image_index_past_the_test_set(tmp_path, synthetic, capsys):
    assert run("train", "linear", "--epochs", 1, "--out", tmp_path, "--no-progress") == 0
    assert run("inspect", tmp_path / "checkpoint.npz", "--index", 30) == 1
    assert "--index 30 is past the last of the 30 test images" in capsys.readouterr().err


# -- anomaly -------------------------------------------------------------------------------------------
def read_scores(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["index", "label", "is_anomaly", "score"]
    return np.array([[float(v) for v in row] for row in rows[1:]])


def test_anomaly_writes_scores_figures_and_the_auroc_it_prints(tmp_path, synthetic, capsys):
    assert run("anomaly", "--normal", "0", "trouser", "--epochs", 1, "--out", tmp_path, "--no-progress") == 0
    assert {p.name for p in tmp_path.iterdir()} == {
        "scores.csv",
        "roc.png",
        "histograms.png",
        "worst.png",
        "checkpoint.npz",
    }
    table = read_scores(tmp_path / "scores.csv")
    labels = LABELS["test"]
    np.testing.assert_array_equal(table[:, 0], np.arange(30))
    np.testing.assert_array_equal(table[:, 1], labels)
    np.testing.assert_array_equal(table[:, 2], ~np.isin(labels, [0, 1]))
    printed = capsys.readouterr().out
    assert "normal: T-shirt/top (0), Trouser (1); training on 12 images" in printed
    assert "(6 normal, 24 anomalous)" in printed
    # the AUROC printed is that of the scores written (recomputed here pair by pair)
    scores, anomalous = table[:, 3], table[:, 2] == 1
    pairs = [(1.0 if a > n else 0.5 if a == n else 0.0) for a in scores[anomalous] for n in scores[~anomalous]]
    assert f"AUROC {np.mean(pairs):.4f}" in printed
    assert auroc(scores, anomalous) == pytest.approx(np.mean(pairs))


def test_anomaly_with_another_model_and_score(tmp_path, synthetic, capsys):
    assert (
        run(
            "anomaly",
            "--model",
            "linear",
            "--normal",
            "Ankle boot",
            "--score",
            "latent",
            "--epochs",
            1,
            "--out",
            tmp_path,
            "--no-progress",
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "linear on sample, normal: Ankle boot (9)" in printed and "Mahalanobis distance of the code" in printed
    assert read_scores(tmp_path / "scores.csv").shape == (30, 4)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--normal", "cat"], "unknown class 'cat'; the classes are 0 T-shirt/top, 1 Trouser"),
        (["--normal", "10"], "unknown class '10'"),
        (
            ["--normal", "9", "--limit", 5],
            "no training image is of the normal class(es) Ankle boot (9) among the 5 "
            "training images (--limit): the normal set is empty",
        ),
        (["--normal", *map(str, range(10))], "no test image is anomalous"),
    ],
)
def test_anomaly_explains_bad_classes_and_empty_sets(tmp_path, synthetic, capsys, argv, message):
    assert run("anomaly", *argv, "--epochs", 1, "--out", tmp_path, "--no-progress") == 1
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--normal"], ["--all", "--normal", "1"], ["--model", "gan"], ["--score", "psnr"]])
def test_anomaly_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as info:
        run("anomaly", *argv)
    assert info.value.code == 2 and "usage: scratchae anomaly" in capsys.readouterr().err


def test_anomaly_all_runs_every_one_class_setting(tmp_path, synthetic, capsys):
    assert run("anomaly", "--all", "--model", "linear", "--epochs", 1, "--out", tmp_path, "--no-progress") == 0
    with open(tmp_path / "auroc.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["class"] for row in rows][:2] == ["T-shirt/top", "Trouser"] and len(rows) == 10
    assert all(0 <= float(row["error"]) <= 1 for row in rows)
    assert {p.name for p in (tmp_path / "1-trouser").iterdir()} == {"scores.csv", "checkpoint.npz"}
    assert (tmp_path / "auroc.png").exists() and (tmp_path / "roc.png").exists()
    printed = capsys.readouterr().out
    assert "AUROC of each one-class setting (linear, sample)" in printed
    mean = np.mean([float(row["error"]) for row in rows])
    assert any(line.startswith("mean") and f"{mean:.4f}" in line for line in printed.splitlines())

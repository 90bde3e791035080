"""Every course example, and the VAE example, runs (quickly: SCRATCHAE_EXAMPLE_QUICK=1 limits it to a few
images, one epoch).

The figure script of the transposed-convolution doc is run by tests/test_docs.py.
"""

import pathlib
import runpy
import sys

import pytest

EXAMPLES = sorted((pathlib.Path(__file__).resolve().parents[1] / "examples").glob("*.py"))
COURSE_NOTEBOOKS = {
    "linear_autoencoder.py",
    "convolutional_autoencoder.py",
    "upsampling_autoencoder.py",
    "denoising_autoencoder.py",
}


def test_there_is_one_example_per_course_notebook():
    assert COURSE_NOTEBOOKS <= {p.name for p in EXAMPLES}


@pytest.mark.parametrize("path", [p for p in EXAMPLES if p.name in COURSE_NOTEBOOKS], ids=lambda p: p.stem)
def test_example_runs_and_writes_its_figures(path, tmp_path, monkeypatch, capsys):
    text = path.read_text()
    assert text.startswith("# %% [markdown]") and text.count("# %%") >= 5  # cells, so it opens as a notebook
    monkeypatch.setenv("SCRATCHAE_EXAMPLE_QUICK", "1")
    monkeypatch.setattr(sys, "argv", [str(path), "--out", str(tmp_path)])
    runpy.run_path(str(path), run_name="__main__")
    printed = capsys.readouterr().out
    assert "epoch  1  train MSE per pixel" in printed and "as the course printed it" in printed
    written = {p.name for p in tmp_path.iterdir()}
    assert "loss.png" in written and ({"reconstructions.png", "denoising.png"} & written)
    for name in written:
        assert (tmp_path / name).stat().st_size > 5000  # a real picture, not an empty file


def test_the_deep_autoencoder_example_runs_and_writes_its_figure(tmp_path, monkeypatch, capsys):
    path = EXAMPLES[0].parent / "deep_autoencoder.py"
    assert path.read_text().startswith("# %% [markdown]")
    monkeypatch.setenv("SCRATCHAE_EXAMPLE_QUICK", "1")
    monkeypatch.setattr(sys, "argv", [str(path), "--out", str(tmp_path)])
    runpy.run_path(str(path), run_name="__main__")
    printed = capsys.readouterr().out
    assert "deep-conv              epoch  1  train MSE per pixel" in printed and "conv " in printed
    assert (tmp_path / "deep-vs-conv.png").stat().st_size > 20000


def test_the_variational_autoencoder_example_runs_and_draws_its_latent_space(tmp_path, monkeypatch, capsys):
    path = EXAMPLES[0].parent / "variational_autoencoder.py"
    text = path.read_text()
    assert text.startswith("# %% [markdown]") and text.count("# %%") >= 5
    monkeypatch.setenv("SCRATCHAE_EXAMPLE_QUICK", "1")
    monkeypatch.setattr(sys, "argv", [str(path), "--out", str(tmp_path), "--latent-dim", "2"])
    runpy.run_path(str(path), run_name="__main__")
    printed = capsys.readouterr().out
    assert "epoch  1  train negative ELBO" in printed and "nats per image" in printed
    written = {p.name for p in tmp_path.iterdir()}
    assert written == {
        "reconstructions.png",
        "samples.png",
        "latent_scatter.png",
        "interpolation.png",
        "manifold.png",
        "loss.png",
    }
    for name in written:
        assert (tmp_path / name).stat().st_size > 5000


#: the other examples that train, and the figures each one writes
ANALYSES = {
    "anomaly_detection.py": ({"roc.png", "histograms.png", "worst.png"}, "AUROC of the reconstruction error"),
    "checkerboard_artifacts.py": ({"checkerboard-measured.png"}, "checkerboard score (stride 2)"),
}


@pytest.mark.parametrize("name", sorted(ANALYSES))
def test_analysis_example_runs_and_writes_its_figures(name, tmp_path, monkeypatch, capsys):
    path = EXAMPLES[0].parent / name
    text = path.read_text()
    assert text.startswith("# %% [markdown]") and text.count("# %%") >= 5
    monkeypatch.setenv("SCRATCHAE_EXAMPLE_QUICK", "1")
    monkeypatch.setattr(sys, "argv", [str(path), "--out", str(tmp_path)])
    runpy.run_path(str(path), run_name="__main__")
    expected_figures, expected_text = ANALYSES[name]
    assert expected_text in capsys.readouterr().out
    assert {p.name for p in tmp_path.iterdir()} == expected_figures
    for figure in expected_figures:
        assert (tmp_path / figure).stat().st_size > 5000

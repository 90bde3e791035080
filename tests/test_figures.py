"""The figure builders of scratchae.figures that the CLI tests do not reach on their own."""

import numpy as np
import pytest

from scratchae import figures


def _result(name: str, n: int = 8) -> dict:
    images = np.linspace(0, 1, n * 28 * 28, dtype=np.float32).reshape(n, 1, 28, 28)
    history = {"epoch": [1, 2], "train_loss": [0.2, 0.1], "test_loss": [0.25, 0.15]}
    return {"name": name, "label": f"{name} model", "inputs": images, "outputs": images[::-1], "history": history}


def test_demo_figure_has_a_panel_per_model_then_the_losses():
    fig = figures.demo_figure([_result("linear"), _result("conv")])
    panels = fig.subfigs
    assert len(panels) == 3
    assert [[t.get_text() for t in p.texts] for p in panels[:2]] == [["linear model"], ["conv model"]]
    assert [line.get_label() for line in panels[2].axes[0].get_lines()] == [
        "linear train",
        "linear test",
        "conv train",
        "conv test",
    ]


@pytest.mark.filterwarnings("ignore:No artists with labels found")  # an empty legend: nothing was plotted
def test_demo_figure_of_no_model_is_the_empty_losses_panel():
    # (a single subfigure used to come back unwrapped, and the loop over the panels failed)
    fig = figures.demo_figure([])
    assert len(fig.subfigs) == 1
    assert fig.subfigs[0].axes[0].get_title() == "loss per epoch (solid: training, dashed: test)"

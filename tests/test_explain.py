"""The transposed-convolution explorer: scratchae.explain, its figures, and ``scratchae explain``."""

import itertools
import re

import numpy as np
import pytest

from scratchae import cli
from scratchae import transposed_views as tv
from scratchae.arithmetic import conv_transpose_output_length
from scratchae.explain import TransposedConvolution
from scratchae.figures.explain import overlap_figure, stamping_figure, stamping_steps, views_figure

#: (kernel_size, stride, padding, output_padding, dilation, input_size): output padding past the last stamp,
#: dilation larger than the stride, padding larger than the kernel's reach, a 1 x 1 input
SETTINGS = [
    (3, 2, 1, 1, 1, 3),
    (2, 2, 0, 0, 1, 4),
    (3, 3, 0, 2, 1, 2),
    (2, 1, 0, 1, 2, 3),
    (4, 2, 1, 0, 1, 3),
    (3, 2, 2, 1, 2, 3),
    (1, 3, 0, 2, 1, 3),
    (5, 1, 3, 0, 1, 3),
    (3, 2, 0, 1, 1, 1),
]


@pytest.mark.parametrize("setting", SETTINGS, ids=str)
def test_the_stamps_the_canvas_and_the_crop_make_the_layers_output(setting):
    tc = TransposedConvolution(*setting)
    k, s, p, a, d, n = setting
    expected = tv.scatter(tc.x[None, None], tc.kernel[None, None], None, s, p, a, d)[0, 0]
    np.testing.assert_allclose(tc.output, expected, atol=1e-12)
    assert tc.output_hw == (conv_transpose_output_length(n, k, s, p, a, d),) * 2
    np.testing.assert_allclose(tc.stamps.sum(axis=(0, 1)), tc.canvas, atol=1e-12)
    np.testing.assert_allclose(tc.output_from_board(tc.on_board(tc.canvas)), tc.output, atol=1e-12)
    i, j = n - 1, 0  # one stamp: the kernel, scaled, at (s i, s j), taps d apart
    stamp = np.zeros(tc.canvas.shape)
    stamp[s * i : s * i + d * (k - 1) + 1 : d, s * j : s * j + d * (k - 1) + 1 : d] = tc.x[i, j] * tc.kernel
    np.testing.assert_allclose(tc.stamps[i, j], stamp, atol=1e-12)


@pytest.mark.parametrize("setting", SETTINGS, ids=str)
def test_the_four_views_agree_with_the_layer(setting):
    views = TransposedConvolution(*setting).views()
    assert len(views) == 4
    for name, (_, difference) in views.items():
        assert difference < 1e-12, name


def test_the_overlap_map_counts_the_taps():
    tc = TransposedConvolution(3, 2, 1, 1, 1, 3)
    counts = tc.overlap(6)
    np.testing.assert_array_equal(counts, tv.scatter(np.ones((1, 1, 6, 6)), np.ones((1, 1, 3, 3)), None, 2, 1, 1)[0, 0])
    np.testing.assert_array_equal(tc.interior_overlap(), [1, 2, 4])


@pytest.mark.parametrize(
    "setting, verdict",
    [
        ((3, 2, 1, 1, 1, 3), "Uneven: output pixels away from the border are reached by 1, 2, 4 kernel taps"),
        ((2, 2, 0, 0, 1, 3), "Even: every output pixel away from the border is reached by 1 kernel taps"),
        ((4, 2, 1, 0, 1, 3), "Even: every output pixel away from the border is reached by 4 kernel taps"),
        ((3, 1, 1, 0, 1, 3), "Even: every output pixel away from the border is reached by 9 kernel taps"),
        ((2, 2, 0, 0, 2, 3), "Some are reached by no tap at all: holes."),
    ],
)
def test_the_checkerboard_verdict(setting, verdict):
    assert verdict in TransposedConvolution(*setting).checkerboard()


def test_the_arithmetic_is_spelled_out_for_the_numbers():
    text = TransposedConvolution(3, 2, 1, 1, 1, 3).arithmetic()
    for line in (
        "- input: 3 x 3, the small side",
        "- output: 6 x 6, the big side",
        "          = (3 - 1)*2 - 2*1 + 1*(3 - 1) + 1 + 1",
        "          = 6",
        "    floor((6 + 2*1 - 1*(3 - 1) - 1) / 2) + 1 = floor(5/2) + 1 = 3",
        "Sizes 5 and 6 both convolve to 3",
        "output_padding=0 gives 5, output_padding=1 gives 6",
        "(N, C_in, 3, 3) -> (N, C_out, 6, 6); weight (C_in, C_out, 3, 3)",
    ):
        assert line in text, line
    beyond = TransposedConvolution(2, 1, 0, 1, 2, 3).arithmetic()  # output padding past the last stamp
    assert "1 of them past the last stamp" in beyond and "(Not 3:" in beyond


@pytest.mark.parametrize(
    "setting, message",
    [
        ((3, 2, 0, 2, 1, 3), "ConvTranspose2d expected output_padding smaller than stride or dilation"),
        ((3, 1, 5, 0, 1, 2), "transposed convolution output size (-6, -6) is not positive"),
    ],
)
def test_a_refused_combination_raises_the_layers_error(setting, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        TransposedConvolution(*setting)


def test_the_figures_label_input_and_output():
    tc = TransposedConvolution(3, 2, 1, 1, 1, 2)
    assert stamping_steps(tc) == 6
    for step in range(stamping_steps(tc)):
        titles = [ax.get_title() for ax in stamping_figure(tc, step).axes]
        assert titles[0] == "INPUT x (2 x 2)" and titles[2].startswith("OUTPUT y")
    assert "after 2 of 4 stamps; grey: cut off by padding" in stamping_figure(tc, 1).axes[2].get_title()
    assert "identical to the layer" in views_figure(tc).axes[1].get_title()
    assert len(overlap_figure(tc).axes) == 2
    assert stamping_figure(tc)._repr_png_().startswith(b"\x89PNG")  # a notebook shows it


# -- the command line -----------------------------------------------------------------------------------


def test_explain_writes_the_animation_the_views_the_overlaps_and_the_arithmetic(tmp_path, capsys):
    from PIL import Image

    out = tmp_path / "k3"
    assert (
        cli.main(
            [
                "explain",
                "--kernel-size",
                "3",
                "--stride",
                "2",
                "--padding",
                "1",
                "--output-padding",
                "1",
                "--input-size",
                "2",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert {p.name for p in out.iterdir()} == {"stamping.gif", "views.png", "overlap.png", "arithmetic.md"}
    printed = capsys.readouterr().out
    assert (out / "arithmetic.md").read_text() in printed
    assert "the four views agree with nn.ConvTranspose2d to 0.0e+00" in printed
    with Image.open(out / "stamping.gif") as gif:
        assert gif.n_frames == 2 * 2 + 2
    for name in ("views.png", "overlap.png"):
        assert (out / name).stat().st_size > 20_000


def test_explain_defaults_to_a_folder_named_for_the_numbers(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["explain", "--kernel-size", "2", "--input-size", "2", "--no-gif"]) == 0
    assert {p.name for p in (tmp_path / "runs" / "explain" / "k2-s2-p0-a0-d1-n2").iterdir()} == {
        "views.png",
        "overlap.png",
        "arithmetic.md",
    }


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--output-padding", "2"], "ConvTranspose2d expected output_padding smaller than stride or dilation"),
        (["--padding", "5", "--kernel-size", "2"], "is not positive"),
        (["--input-size", "11"], "--input-size is at most 10"),
        (["--kernel-size", "7", "--stride", "5", "--dilation", "3", "--input-size", "8"], "too large to draw"),
    ],
)
def test_explain_refuses_with_a_clear_error(argv, message, tmp_path, capsys):
    assert cli.main(["explain", "--out", str(tmp_path), *argv]) == 1
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_explain_bad_numbers_are_usage_errors(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["explain", "--stride", "0"])
    assert info.value.code == 2 and "expected a positive integer" in capsys.readouterr().err


def test_every_combination_of_small_numbers_is_explained_or_refused_by_the_layer():
    for k, s, p, a, d in itertools.product((1, 2, 3), (1, 2), (0, 1, 2), (0, 1), (1, 2)):
        try:
            tc = TransposedConvolution(k, s, p, a, d, input_size=2)
        except ValueError as error:
            assert "ConvTranspose2d" in str(error)
            continue
        assert max(difference for _, difference in tc.views().values()) < 1e-12
        assert tc.arithmetic().count(f"= {tc.output_hw[0]}\n") >= 1

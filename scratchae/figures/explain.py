"""Figures of one transposed convolution (:class:`scratchae.explain.TransposedConvolution`).

- :func:`stamping_figure` / :func:`save_stamping_gif`: the input pixels stamping the kernel into the
  output one after the other, INPUT and OUTPUT labelled, the cells that ``padding`` crops in grey;
- :func:`views_figure`: the output computed the four ways of :mod:`scratchae.transposed_views`, each with
  its largest difference from the layer;
- :func:`overlap_figure`: how many kernel taps reach each output pixel (uneven counts: checkerboard).

:func:`show_grid` (an array drawn as coloured cells with their values) and :func:`outline` are the
building blocks; ``examples/transposed_convolution_figures.py`` draws the doc's figures with them.
Like the rest of :mod:`scratchae.figures`, nothing here uses ``pyplot``.
"""

from __future__ import annotations

import textwrap

import matplotlib
import numpy as np
from matplotlib.animation import PillowWriter
from matplotlib.patches import Rectangle

from .figure import Figure

#: the colour of the stamp being added
STAMP_COLOR = "limegreen"
#: annotate cells with their values up to this many rows or columns (beyond, colours only)
MAX_ANNOTATED = 16


def show_grid(
    ax, values, title="", cmap="RdBu_r", limit=None, fmt="{:g}", annotate=True, fontsize=9, mask=None, grey=None
) -> None:
    """Draw a 2-D array as coloured cells with their values written in them.

    ``RdBu_r`` is centred on 0 (from ``-limit`` to ``limit``); other colour maps run from 0 to ``limit``.
    Cells where ``mask`` is true are left white (their value written in black), or light grey where
    ``grey`` is true.
    """
    values = np.asarray(values, dtype=float)
    limit = limit if limit is not None else max(np.abs(values).max(), 1e-9)
    vmin = -limit if cmap == "RdBu_r" else 0
    shown = np.ma.masked_where(mask, values) if mask is not None else values
    if grey is not None:
        ax.imshow(np.where(grey, 0.85, 1.0), cmap="gray", vmin=0, vmax=1)
    ax.imshow(shown, cmap=cmap, vmin=vmin, vmax=limit)
    ax.set_xticks(np.arange(-0.5, values.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, values.shape[0]), minor=True)
    ax.grid(which="minor", color="0.6", linewidth=0.5)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_title(title, fontsize=10)
    if annotate and max(values.shape) <= MAX_ANNOTATED:
        colormap = matplotlib.colormaps[cmap]
        for (r, c), v in np.ndenumerate(values):
            if mask is not None and mask[r, c]:
                if grey is not None or np.any(values):
                    ax.text(c, r, fmt.format(v + 0.0), ha="center", va="center", fontsize=fontsize)
                continue
            red, green, blue, _ = colormap(np.clip((v - vmin) / (limit - vmin), 0, 1))
            dark = 0.3 * red + 0.6 * green + 0.1 * blue < 0.5
            ax.text(
                c,
                r,
                fmt.format(v + 0.0),
                ha="center",
                va="center",
                fontsize=fontsize,  # +0.0: no "-0"
                color="white" if dark else "black",
            )


def outline(ax, row, col, height, width, color="black", linewidth=2.0) -> None:
    """A rectangle around the cells ``row .. row + height - 1``, ``col .. col + width - 1``."""
    ax.add_patch(Rectangle((col - 0.5, row - 0.5), width, height, fill=False, edgecolor=color, linewidth=linewidth))


def title(fig, text: str, fontsize: float = 10) -> None:
    """``fig.suptitle``, each line wrapped to the figure's width."""
    width = max(20, int(fig.get_figwidth() / (0.0068 * fontsize)))
    fig.suptitle("\n".join(textwrap.fill(line, width) for line in text.split("\n")), fontsize=fontsize)


def describe(tc) -> str:
    return (
        f"ConvTranspose2d(kernel_size={tc.kernel.shape[0]}, stride={tc.stride}, padding={tc.padding}, "
        f"output_padding={tc.output_padding}, dilation={tc.dilation})"
    )


# -- the stamping animation -------------------------------------------------------------------------------


def stamping_steps(tc) -> int:
    """Frames of the animation: one per input pixel, then all the stamps with the crop, then the output."""
    return tc.x.size + 2


def draw_stamping(fig, tc, step: int) -> None:
    """Frame ``step`` of the stamping animation into ``fig`` (its three panels are cleared and reused, so
    that the layout is computed once)."""
    h, w = tc.x.shape
    kh, kw = tc.kernel.shape
    d, s, p = tc.dilation, tc.stride, tc.padding
    span_h, span_w = d * (kh - 1) + 1, d * (kw - 1) + 1
    _, board_w = tc.board_hw
    out_h, out_w = tc.output_hw
    done = min(step, h * w)  # stamps already added
    board = tc.on_board(tc.stamps.reshape(h * w, *tc.canvas.shape)[:done].sum(axis=0))
    limit = max(np.abs(tc.on_board(tc.canvas)).max(), np.abs(tc.x).max(), 1e-9)
    if len(fig.axes) == 3:
        axes = fig.axes
        for ax in axes:
            ax.clear()
    else:
        axes = fig.subplots(1, 3, gridspec_kw=dict(width_ratios=[max(w, 2), max(span_w, 2), max(board_w, out_w)]))
        title(
            fig,
            f"{describe(tc)}: input {h} x {w} -> output {out_h} x {out_w}\ninput pixel (i, j) stamps "
            f"x[i, j] * w at row {s}i, column {s}j of the output; overlapping stamps add up",
        )
    show_grid(axes[0], tc.x, f"INPUT x ({h} x {w})", limit=limit)
    axes[0].title.set_fontweight("bold")
    rows, cols = np.indices(tc.board_hw)
    cropped = (rows < p) | (rows >= p + out_h) | (cols < p) | (cols >= p + out_w)
    if step < h * w:
        i, j = divmod(step, w)
        stamp = np.zeros((span_h, span_w))
        stamp[::d, ::d] = tc.x[i, j] * tc.kernel
        outline(axes[0], i, j, 1, 1, STAMP_COLOR, 3)
        holes = (np.indices(stamp.shape) % d != 0).any(axis=0)  # between the taps of a dilated kernel
        show_grid(
            axes[1], stamp, f"stamp = x[{i}, {j}] * w\n= {tc.x[i, j]:g} * w", limit=limit, mask=holes if d > 1 else None
        )
        board = board + tc.on_board(tc.stamps[i, j])
        done += 1
    else:
        show_grid(axes[1], tc.kernel, f"kernel w ({kh} x {kw})", limit=limit)
    if step <= h * w:
        show_grid(
            axes[2],
            board,
            f"OUTPUT y ({out_h} x {out_w}): inside the black frame\n"
            f"after {done} of {h * w} stamps" + ("; grey: cut off by padding" if p else ""),
            limit=limit,
            mask=cropped,
            grey=cropped,
        )
        outline(axes[2], p, p, out_h, out_w, "black", 3)
        if step < h * w:
            outline(axes[2], s * i, s * j, span_h, span_w, STAMP_COLOR, 3)
    else:
        show_grid(axes[2], tc.output, f"OUTPUT y = ConvTranspose2d(x) ({out_h} x {out_w})", limit=limit)
    axes[2].title.set_fontweight("bold")


def stamping_figure(tc, step: int = 0, *, cell: float | None = None) -> Figure:
    """One frame of the stamping animation (``step`` from 0 to :func:`stamping_steps` - 1) as a Figure."""
    h, w = tc.x.shape
    board_h, board_w = tc.board_hw
    cell = cell or (0.42 if max(tc.board_hw) <= MAX_ANNOTATED else 0.3)
    fig = Figure(
        figsize=(
            max(9.0, cell * (w + tc.kernel.shape[1] * tc.dilation + board_w) + 2.0),
            max(3.6, cell * max(board_h, h) + 1.8),
        ),
        layout="constrained",
    )
    draw_stamping(fig, tc, step)
    return fig


def save_stamping_gif(tc, path, *, seconds_per_frame: float = 1.0, dpi: int | None = None) -> str:
    """Write the stamping animation as a GIF (matplotlib's Pillow writer); returns ``path``."""
    dpi = dpi or (85 if max(tc.board_hw) <= MAX_ANNOTATED else 60)
    fig = stamping_figure(tc, stamping_steps(tc) - 2)  # the frame with the longest titles
    fig.draw_without_rendering()  # lay it out once ...
    fig.set_layout_engine("none")  # ... and keep that layout for every frame
    # matplotlib's stubs say fps: int, but the writer takes any positive number (a frame lasts 1000/fps ms)
    writer = PillowWriter(fps=1.0 / seconds_per_frame)  # type: ignore[arg-type]
    with writer.saving(fig, str(path), dpi):
        for step in range(stamping_steps(tc)):
            draw_stamping(fig, tc, step)
            writer.grab_frame()
    return str(path)


# -- the four views -------------------------------------------------------------------------------------


def views_figure(tc, *, cell: float = 0.42) -> Figure:
    """The layer's output and the four views of it, each titled with its largest difference from the layer."""
    views = tc.views()
    out_h, out_w = tc.output_hw
    fig = Figure(figsize=(max(12.0, 5 * cell * out_w + 1.5), cell * out_h + 2.2), layout="constrained")
    axes = fig.subplots(1, 1 + len(views))
    limit = max(np.abs(tc.output).max(), 1e-9)
    show_grid(axes[0], tc.output, "nn.ConvTranspose2d\n(the layer)", limit=limit, fontsize=8)
    for ax, (name, (out, difference)) in zip(axes[1:], views.items(), strict=True):
        agreement = "identical to the layer" if difference == 0 else f"max |difference| {difference:.1e}"
        heading = name.replace(": ", ":\n", 1)
        show_grid(ax, out, f"{heading}\n{agreement}", limit=limit, fontsize=8)
    title(
        fig,
        f"{describe(tc)} on a {tc.input_size} x {tc.input_size} input: four views, one output "
        "(docs/transposed-convolution.md)",
    )
    return fig


# -- overlaps ---------------------------------------------------------------------------------------------


def overlap_figure(tc, *, cell: float = 0.36) -> Figure:
    """Kernel taps per output pixel: for this input, and for a larger one where the pattern shows."""
    small = tc.overlap()
    n_large = max(tc.input_size, 6)
    large = tc.overlap(n_large)
    fig = Figure(
        figsize=(max(10.0, cell * (small.shape[1] + large.shape[1]) + 2.0), cell * max(large.shape[0], 8) + 2.4),
        layout="constrained",
    )
    axes = fig.subplots(1, 2, gridspec_kw=dict(width_ratios=[small.shape[1], large.shape[1]]))
    limit = max(large.max(), 1) * 1.25
    show_grid(axes[0], small, f"{tc.input_size} x {tc.input_size} input of ones", cmap="magma", limit=limit, fontsize=8)
    show_grid(axes[1], large, f"{n_large} x {n_large} input of ones", cmap="magma", limit=limit, fontsize=8)
    verdict = tc.checkerboard()
    first = verdict.split(". ")[0]
    title(fig, f"{describe(tc)}, all-ones kernel: how many kernel taps reach each output pixel\n{first}.")
    return fig

# %% [markdown]
# # The figures of docs/transposed-convolution.md
#
# Every array drawn here is computed by `scratchae.transposed_views` (the module the tests check against
# PyTorch) or by the layer itself, so the pictures show what the code does, not what we hope it does.
# Change the numbers in the next cell and run it again to see the figures change:
#
# ```
# python examples/transposed_convolution_figures.py                 # writes docs/figures/
# python examples/transposed_convolution_figures.py --out /tmp/figs  # somewhere else
# ```
#
# To take any other transposed convolution apart, use `scratchae explain` (or the notebook
# `transposed_convolution_explorer.ipynb`).

# %%
import argparse
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # write files; no window needed
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, Rectangle

from scratchae import transposed_views as tv
from scratchae.arithmetic import conv_output_length, conv_transpose_output_length
from scratchae.explain import TransposedConvolution
from scratchae.figures.explain import outline, save_stamping_gif, show_grid

# what to draw: change these
SMALL_INPUT = np.array([[1.0, 2.0], [3.0, -1.0]])  # the scatter figure
SMALL_KERNEL = np.array([[1.0, 2.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 1.0]])
SMALL_STRIDE = 2

MATRIX_INPUT_SIZE = (4, 4)  # the matrix figure (Dumoulin & Visin's example)
MATRIX_KERNEL_SIZE = (3, 3)
MATRIX_STRIDE, MATRIX_PADDING = 1, 0

ZERO_INPUT_SIZE = (3, 3)  # the zero-insertion figure
ZERO_KERNEL_SIZE = 3
ZERO_STRIDE, ZERO_PADDING, ZERO_OUTPUT_PADDING, ZERO_DILATION = 2, 1, 1, 1

CHECKER_INPUT_SIZE = 6  # the checkerboard figure

ANIMATION_INPUT = np.array([[1.0, 2.0, 0.5], [-1.0, 1.0, 2.0], [0.5, -2.0, 1.0]])  # the stamping animation
ANIMATION_KERNEL = SMALL_KERNEL
ANIMATION_STRIDE = 2

# The four autoencoders of the course: (layer name, kind, arguments). Shapes are computed, not typed.
ENCODER = [
    ("conv1", "conv", dict(out=16, k=3, s=1, p=1)),
    ("pool", "pool", {}),
    ("conv2", "conv", dict(out=4, k=3, s=1, p=1)),
    ("pool", "pool", {}),
]
AUTOENCODERS = {
    "linear": [("fc1", "linear", dict(out=32)), ("fc2", "linear", dict(out=784))],
    "convolutional": [
        *ENCODER,
        ("t_conv1", "tconv", dict(out=16, k=2, s=2)),
        ("t_conv2", "tconv", dict(out=1, k=2, s=2)),
    ],
    "upsampling": [
        *ENCODER,
        ("up", "up", {}),
        ("conv4", "conv", dict(out=16, k=3, s=1, p=1)),
        ("up", "up", {}),
        ("conv5", "conv", dict(out=1, k=3, s=1, p=1)),
    ],
    "denoising": [
        ("conv1", "conv", dict(out=32, k=3, s=1, p=1)),
        ("pool", "pool", {}),
        ("conv2", "conv", dict(out=16, k=3, s=1, p=1)),
        ("pool", "pool", {}),
        ("conv3", "conv", dict(out=8, k=3, s=1, p=1)),
        ("pool", "pool", {}),
        ("t_conv1", "tconv", dict(out=8, k=3, s=2)),
        ("t_conv2", "tconv", dict(out=16, k=2, s=2)),
        ("t_conv3", "tconv", dict(out=32, k=2, s=2)),
        ("conv_out", "conv", dict(out=1, k=3, s=1, p=1)),
    ],
}
IMAGE_SHAPE = (1, 28, 28)

DPI = 100


def as_batch(image):
    return np.asarray(image, dtype=float)[None, None]


def as_weight(kernel):
    return np.asarray(kernel, dtype=float)[None, None]


# %% [markdown]
# ## Figure 1: the scatter view
# Each input pixel stamps a scaled copy of the kernel into the output; where stamps overlap, they add.


# %%
def figure_scatter(path):
    x, k, s = SMALL_INPUT, SMALL_KERNEL, SMALL_STRIDE
    out = tv.scatter(as_batch(x), as_weight(k), stride=s)[0, 0]
    limit = np.abs(out).max()
    h, w = x.shape
    kh, kw = k.shape
    colors = plt.cm.tab10.colors
    fig, axes = plt.subplots(2, max(3, h * w), figsize=(2.6 * max(3, h * w), 5.6))
    for ax in axes.ravel():
        ax.axis("off")
    show_grid(axes[0, 0], x, "input x (2 x 2)" if x.shape == (2, 2) else f"input x {x.shape}", limit=limit)
    show_grid(axes[0, 1], k, f"kernel w {k.shape}", limit=limit)
    show_grid(axes[0, 2], out, f"output = sum of the stamps {out.shape}", limit=limit)
    for i in range(h):
        for j in range(w):
            n = i * w + j
            outline(axes[0, 0], i, j, 1, 1, colors[n % 10], 3)
            stamp = np.zeros_like(out)
            stamp[i * s : i * s + kh, j * s : j * s + kw] = x[i, j] * k
            ax = axes[1, n]
            ax.axis("on")
            show_grid(ax, stamp, f"x[{i},{j}] = {x[i, j]:g} stamps {x[i, j]:g} * w", limit=limit)
            outline(ax, i * s, j * s, kh, kw, colors[n % 10], 3)
            outline(axes[0, 2], i * s, j * s, kh, kw, colors[n % 10], 1.5)
    for ax in axes[0, :3]:
        ax.axis("on")
    if axes.shape[1] > 3:
        axes[0, 3].text(
            0.0,
            0.5,
            f"for each input pixel (i, j):\n  out[i*{s} + a, j*{s} + b] += x[i, j] * w[a, b]\n\n"
            "the four stamps below,\nadded up, give the output",
            va="center",
            fontsize=10,
            family="monospace",
        )
    fig.suptitle(
        f"Transposed convolution as a scatter (stride {s}): each input pixel stamps a scaled "
        f"copy of the kernel at (i*{s}, j*{s}); overlaps add",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


# %% [markdown]
# ## Figure 2: the matrix C and its transpose
# A convolution is a matrix C; the transposed convolution is multiplication by its transpose.


# %%
def figure_conv_matrix(path):
    kh, kw = MATRIX_KERNEL_SIZE
    kernel = np.arange(1.0, kh * kw + 1).reshape(kh, kw)  # taps numbered 1..9 so the pattern is readable
    c = tv.conv_matrix(as_weight(kernel), MATRIX_INPUT_SIZE, MATRIX_STRIDE, MATRIX_PADDING)
    rows, cols = c.shape
    out_size = (
        conv_output_length(MATRIX_INPUT_SIZE[0], kh, MATRIX_STRIDE, MATRIX_PADDING),
        conv_output_length(MATRIX_INPUT_SIZE[1], kw, MATRIX_STRIDE, MATRIX_PADDING),
    )
    style = dict(cmap="viridis", limit=kernel.max() * 1.1)
    fig = plt.figure(figsize=(13, 6.8), layout="constrained")
    grid = fig.add_gridspec(2, 2, width_ratios=[4.5, 1.2], height_ratios=[1, 1.2])
    top = grid[0, 0].subgridspec(1, 2, width_ratios=[1, 4])
    show_grid(fig.add_subplot(top[0]), kernel, "kernel w (taps numbered)", **style)
    ax_c = fig.add_subplot(top[1])
    show_grid(
        ax_c,
        c,
        f"C: {rows} x {cols} (output pixels x input pixels): conv2d(x) = C @ x.ravel()",
        mask=c == 0,
        fontsize=8,
        **style,
    )
    ax_c.tick_params(labelbottom=True, labelleft=True, labelsize=8)
    ax_c.set_xticks(range(cols))
    ax_c.set_yticks(range(rows))
    ax_c.set_xlabel(f"input pixel (row-major index in the {MATRIX_INPUT_SIZE[0]}x{MATRIX_INPUT_SIZE[1]} image)")
    ax_c.set_ylabel("output pixel")
    ax_t = fig.add_subplot(grid[:, 1])
    show_grid(
        ax_t, c.T, f"C^T: {cols} x {rows}\nconv_transpose2d(y)\n= C^T @ y.ravel()", mask=c.T == 0, fontsize=8, **style
    )
    ax_t.tick_params(labelbottom=True, labelleft=True, labelsize=8)
    ax_t.set_xticks(range(rows))
    ax_t.set_yticks(range(cols))
    ax_t.set_xlabel("input pixel of\nthe transposed conv")
    ax_t.set_ylabel("output pixel of the transposed conv")
    shown = min(rows, 4)
    bottom = grid[1, 0].subgridspec(1, shown)
    for j in range(shown):
        ax = fig.add_subplot(bottom[j])
        column = c.T[:, j].reshape(MATRIX_INPUT_SIZE)
        show_grid(
            ax,
            column,
            f"column {j} of C^T as an image:\nthe stamp of input pixel {divmod(j, out_size[1])}",
            mask=column == 0,
            **style,
        )
    fig.suptitle(
        f"The matrix of a convolution: input {MATRIX_INPUT_SIZE}, kernel {kernel.shape}, stride "
        f"{MATRIX_STRIDE}, padding {MATRIX_PADDING} -> output {out_size}",
        fontsize=11,
    )
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


# %% [markdown]
# ## Figure 3: zero insertion
# The same output from an ordinary convolution of a zero-stuffed, padded input with the flipped kernel.


# %%
def figure_zero_insertion(path):
    h, w = ZERO_INPUT_SIZE
    k, s, p, op, d = ZERO_KERNEL_SIZE, ZERO_STRIDE, ZERO_PADDING, ZERO_OUTPUT_PADDING, ZERO_DILATION
    x = np.arange(1.0, h * w + 1).reshape(h, w)
    kernel = np.arange(1.0, k * k + 1).reshape(k, k)
    stuffed = tv.insert_zeros(as_batch(x), s)
    padded = tv.pad_for_transpose(stuffed, k, p, op, d)
    flipped = tv.flip_and_swap(as_weight(kernel))
    out = tv.zero_insertion(as_batch(x), as_weight(kernel), stride=s, padding=p, output_padding=op, dilation=d)
    assert np.allclose(
        out, tv.scatter(as_batch(x), as_weight(kernel), stride=s, padding=p, output_padding=op, dilation=d)
    )
    edge = d * (k - 1) - p
    # mark the input pixels inside the stuffed and padded images: push ones through the same steps
    is_pixel = tv.insert_zeros(np.ones_like(as_batch(x)), s)[0, 0] > 0
    is_inside = np.ones_like(stuffed)
    is_pixel_padded = tv.pad_for_transpose(is_pixel[None, None] * 1.0, k, p, op, d)[0, 0] > 0
    is_padding = tv.pad_for_transpose(is_inside, k, p, op, d)[0, 0] == 0
    fig, axes = plt.subplots(1, 5, figsize=(17, 4.2), gridspec_kw=dict(width_ratios=[3, 5, 8, 3, 6]))
    show_grid(axes[0], x, f"1. input x {x.shape}", cmap="viridis", limit=x.max() * 1.1)
    show_grid(
        axes[1],
        stuffed[0, 0],
        f"2. insert stride-1 = {s - 1} zero(s)\nbetween pixels {stuffed.shape[2:]}",
        cmap="viridis",
        limit=x.max() * 1.1,
        mask=~is_pixel,
    )
    show_grid(axes[2], padded[0, 0], "", cmap="viridis", limit=x.max() * 1.1, mask=~is_pixel_padded, grey=is_padding)
    outline(axes[2], 0, 0, d * (k - 1) + 1, d * (k - 1) + 1, "red", 2.5)
    axes[2].set_title(
        f"3. pad d(k-1)-p = {edge} (grey), plus output_padding = {op}\n"
        f"at bottom/right {padded.shape[2:]}; red: first window",
        fontsize=10,
    )
    show_grid(
        axes[3],
        flipped[0, 0],
        "4. kernel rotated 180°\n(channel axes swapped)",
        cmap="viridis",
        limit=kernel.max() * 1.1,
    )
    show_grid(
        axes[4],
        out[0, 0],
        f"5. stride-1 convolution {out.shape[2:]}\n= conv_transpose2d(x)",
        cmap="viridis",
        limit=out.max() * 1.1,
    )
    fig.suptitle(
        f"Transposed convolution as a direct convolution: kernel {k}, stride {s}, padding {p}, "
        f"output_padding {op}, dilation {d}",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


# %% [markdown]
# ## Figure 4: checkerboard
# How many kernel taps reach each output pixel, for an all-ones input and kernel.


# %%
def nearest_upsample(x, factor=2):
    return x.repeat(factor, axis=2).repeat(factor, axis=3)


def figure_checkerboard(path):
    n = CHECKER_INPUT_SIZE
    ones = np.ones((1, 1, n, n))
    panels = [
        (
            "ConvTranspose2d(k=3, stride=2,\npadding=1, output_padding=1)",
            tv.scatter(ones, np.ones((1, 1, 3, 3)), stride=2, padding=1, output_padding=1),
        ),
        (
            "ConvTranspose2d(k=2, stride=2)\n(kernel size divisible by stride)",
            tv.scatter(ones, np.ones((1, 1, 2, 2)), stride=2),
        ),
        (
            "Upsample(x2, nearest) then\nConv2d(k=3, padding=1)",
            tv.conv2d(nearest_upsample(ones), np.ones((1, 1, 3, 3)), padding=1),
        ),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(13, 5.2), layout="constrained")
    for ax, (title, counts) in zip(axes, panels, strict=True):
        show_grid(ax, counts[0, 0], title, cmap="magma", limit=counts.max() * 1.25, fontsize=8)
    fig.suptitle(
        f"All-ones {n}x{n} input, all-ones kernel: how many kernel taps reach each output pixel. "
        "Uneven counts = checkerboard (colours: each panel to its own maximum)",
        fontsize=11,
    )
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


# %% [markdown]
# ## Figure 5: the shapes through the four autoencoders


# %%
def describe(name, kind, a):
    """A short label for an arrow of the shapes figure."""
    if kind == "conv":
        return f"{name}\nk={a['k']}, p={a['p']}"
    if kind == "tconv":
        return f"{name}\nk={a['k']}, s={a['s']}"
    return {"pool": "maxpool\n2x2, s=2", "up": "upsample\nx2 nearest"}.get(kind, name)


def shapes_through(layers, shape=IMAGE_SHAPE):
    """[(layer name, output shape)] for one model, computed with the size functions of the views."""
    out = [("input", shape)]
    for name, kind, a in layers:
        c, h, w = shape if len(shape) == 3 else (None, None, None)
        if kind == "linear":
            shape = (a["out"],)
        elif kind == "conv":
            shape = (
                a["out"],
                conv_output_length(h, a["k"], a["s"], a["p"]),
                conv_output_length(w, a["k"], a["s"], a["p"]),
            )
        elif kind == "pool":  # MaxPool2d(2, 2) has the size arithmetic of a 2x2, stride-2 convolution
            shape = (c, conv_output_length(h, 2, 2), conv_output_length(w, 2, 2))
        elif kind == "tconv":
            shape = (
                a["out"],
                conv_transpose_output_length(h, a["k"], a["s"]),
                conv_transpose_output_length(w, a["k"], a["s"]),
            )
        elif kind == "up":
            shape = (c, 2 * h, 2 * w)
        out.append((describe(name, kind, a), shape))
    if len(shape) == 1:
        out[1] = ("flatten\n" + out[1][0], out[1][1])
        out.append(("unflatten", IMAGE_SHAPE))
    return out


def figure_shapes(path):
    fig, axes = plt.subplots(len(AUTOENCODERS), 1, figsize=(15, 2.1 * len(AUTOENCODERS)))
    for ax, (model, layers) in zip(axes, AUTOENCODERS.items(), strict=True):
        steps = shapes_through(layers)
        ax.set_xlim(-0.7, len(steps) - 0.3)
        ax.set_ylim(-1.35, 1.05)
        ax.axis("off")
        ax.text(-0.7, 1.0, model, fontsize=11, weight="bold", va="top")
        for i, (name, shape) in enumerate(steps):
            size = shape[1] if len(shape) == 3 else np.sqrt(shape[0])
            height = 0.25 + 0.7 * size / 28
            width = 0.12 + 0.05 * np.log2(shape[0]) if len(shape) == 3 else 0.12
            color = "tab:blue" if len(shape) == 1 else ("tab:orange" if i and i < len(steps) - 1 else "tab:green")
            ax.add_patch(Rectangle((i - width / 2, -height / 2), width, height, color=color, alpha=0.75))
            label = " x ".join(str(v) for v in shape)
            ax.text(i, -0.62, label, ha="center", va="top", fontsize=9)
            if i:
                ax.add_patch(
                    FancyArrowPatch(
                        (i - 1 + 0.22, 0.0), (i - 0.22, 0.0), arrowstyle="->", mutation_scale=12, color="0.3"
                    )
                )
                ax.text(i - 0.5, 0.12, name, ha="center", va="bottom", fontsize=8.5, color="0.15")
        smallest = min(steps[1:-1], key=lambda step: np.prod(step[1]))
        ax.text(
            len(steps) - 0.3,
            1.0,
            f"latent {' x '.join(map(str, smallest[1]))} = {int(np.prod(smallest[1]))} numbers",
            ha="right",
            va="top",
            fontsize=9,
        )
    fig.suptitle(
        "Shapes through the four autoencoders (channels x height x width); ReLU/Sigmoid keep the shape", fontsize=11
    )
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


# %% [markdown]
# ## The animation: the stamping kernel
# Drawn by `scratchae.figures.explain` (the same code as `scratchae explain`), computed by
# `nn.ConvTranspose2d` itself.


# %%
def animation_stamping(path):
    tc = TransposedConvolution(
        kernel_size=ANIMATION_KERNEL.shape[0], stride=ANIMATION_STRIDE, x=ANIMATION_INPUT, kernel=ANIMATION_KERNEL
    )
    save_stamping_gif(tc, path)


# %% [markdown]
# ## Draw them all
# In a notebook they are written next to it, in `figures/`, and shown below. With
# `SCRATCHAE_EXAMPLE_QUICK=1` (the tests) the animation is skipped.


# %%
def main(out_dir="docs/figures", gif=True):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figure_scatter(out / "scatter.png")
    figure_conv_matrix(out / "conv-matrix.png")
    figure_zero_insertion(out / "zero-insertion.png")
    figure_checkerboard(out / "checkerboard.png")
    figure_shapes(out / "autoencoder-shapes.png")
    written = ["scatter.png", "conv-matrix.png", "zero-insertion.png", "checkerboard.png", "autoencoder-shapes.png"]
    if gif:
        animation_stamping(out / "stamping.gif")
        written.append("stamping.gif")
    for name in written:
        print(f"wrote {out / name} ({(out / name).stat().st_size / 1000:.0f} KB)")
    return [out / name for name in written]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Draw the figures of docs/transposed-convolution.md.")
    default_out = (
        Path(__file__).resolve().parent.parent / "docs" / "figures" if "__file__" in globals() else Path("figures")
    )  # in a notebook: next to it
    parser.add_argument(
        "--out", default=str(default_out), help="directory to write the figures to (default: docs/figures)"
    )
    parser.add_argument("--no-gif", action="store_true", help="skip the animation")
    args, _ = parser.parse_known_args()  # known arguments only, so that this also runs as a notebook
    if os.environ.get("SCRATCHAE_EXAMPLE_QUICK"):  # used by the tests
        args.out, args.no_gif = "figures", True
    paths = main(args.out, gif=not args.no_gif)
    try:
        from IPython import get_ipython
    except ImportError:  # no IPython: a plain script
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:  # in a notebook: show them here as well
        from IPython.display import Image, display

        for path in paths:
            display(Image(filename=str(path)))

"""Draw the figures of docs/transposed-convolution.md from scratchae.transposed_views.

Change the numbers in the "what to draw" section and run it again to see the figures change:

    python examples/transposed_convolution_figures.py                 # writes docs/figures/
    python examples/transposed_convolution_figures.py --out /tmp/figs  # somewhere else

Every array drawn here is computed by scratchae.transposed_views, the module the tests check against
PyTorch, so the pictures show what the code does, not what we hope it does.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")   # write files; no window needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import animation  # noqa: E402
from matplotlib.patches import FancyArrowPatch, Rectangle  # noqa: E402

from scratchae import transposed_views as tv  # noqa: E402
from scratchae.arithmetic import conv_output_length, conv_transpose_output_length  # noqa: E402

# -- what to draw: change these -----------------------------------------------------------------------
SMALL_INPUT = np.array([[1.0, 2.0],
                        [3.0, -1.0]])                  # the scatter figure
SMALL_KERNEL = np.array([[1.0, 2.0, 1.0],
                         [0.0, 1.0, 0.0],
                         [-1.0, 0.0, 1.0]])
SMALL_STRIDE = 2

MATRIX_INPUT_SIZE = (4, 4)                              # the matrix figure (Dumoulin & Visin's example)
MATRIX_KERNEL_SIZE = (3, 3)
MATRIX_STRIDE, MATRIX_PADDING = 1, 0

ZERO_INPUT_SIZE = (3, 3)                                # the zero-insertion figure
ZERO_KERNEL_SIZE = 3
ZERO_STRIDE, ZERO_PADDING, ZERO_OUTPUT_PADDING, ZERO_DILATION = 2, 1, 1, 1

CHECKER_INPUT_SIZE = 6                                  # the checkerboard figure

ANIMATION_INPUT = np.array([[1.0, 2.0, 0.5],
                            [-1.0, 1.0, 2.0],
                            [0.5, -2.0, 1.0]])          # the stamping animation
ANIMATION_KERNEL = SMALL_KERNEL
ANIMATION_STRIDE = 2

# The four autoencoders of the course: (layer name, kind, arguments). Shapes are computed, not typed.
ENCODER = [("conv1", "conv", dict(out=16, k=3, s=1, p=1)), ("pool", "pool", {}),
           ("conv2", "conv", dict(out=4, k=3, s=1, p=1)), ("pool", "pool", {})]
AUTOENCODERS = {
    "linear": [("fc1", "linear", dict(out=32)), ("fc2", "linear", dict(out=784))],
    "convolutional": ENCODER + [("t_conv1", "tconv", dict(out=16, k=2, s=2)),
                                ("t_conv2", "tconv", dict(out=1, k=2, s=2))],
    "upsampling": ENCODER + [("up", "up", {}), ("conv4", "conv", dict(out=16, k=3, s=1, p=1)),
                             ("up", "up", {}), ("conv5", "conv", dict(out=1, k=3, s=1, p=1))],
    "denoising": [("conv1", "conv", dict(out=32, k=3, s=1, p=1)), ("pool", "pool", {}),
                  ("conv2", "conv", dict(out=16, k=3, s=1, p=1)), ("pool", "pool", {}),
                  ("conv3", "conv", dict(out=8, k=3, s=1, p=1)), ("pool", "pool", {}),
                  ("t_conv1", "tconv", dict(out=8, k=3, s=2)), ("t_conv2", "tconv", dict(out=16, k=2, s=2)),
                  ("t_conv3", "tconv", dict(out=32, k=2, s=2)),
                  ("conv_out", "conv", dict(out=1, k=3, s=1, p=1))],
}
IMAGE_SHAPE = (1, 28, 28)

DPI = 100


# -- drawing helpers ------------------------------------------------------------------------------------

def show_grid(ax, values, title="", cmap="RdBu_r", limit=None, fmt="{:g}", annotate=True, fontsize=9,
              mask=None, grey=None):
    """Draw a 2-D array as coloured cells with their values written in them.

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
    if annotate:
        colormap = plt.get_cmap(cmap)
        for (r, c), v in np.ndenumerate(values):
            if mask is not None and mask[r, c]:
                if grey is not None or np.any(values):
                    ax.text(c, r, fmt.format(v + 0.0), ha="center", va="center", fontsize=fontsize)
                continue
            red, green, blue, _ = colormap(np.clip((v - vmin) / (limit - vmin), 0, 1))
            dark = 0.3 * red + 0.6 * green + 0.1 * blue < 0.5
            ax.text(c, r, fmt.format(v + 0.0), ha="center", va="center", fontsize=fontsize,   # +0.0: no "-0"
                    color="white" if dark else "black")


def outline(ax, row, col, height, width, color="black", linewidth=2.0):
    ax.add_patch(Rectangle((col - 0.5, row - 0.5), width, height, fill=False, edgecolor=color,
                           linewidth=linewidth))


def as_batch(image):
    return np.asarray(image, dtype=float)[None, None]


def as_weight(kernel):
    return np.asarray(kernel, dtype=float)[None, None]


# -- figure 1: the scatter view ------------------------------------------------------------------------

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
            stamp[i * s: i * s + kh, j * s: j * s + kw] = x[i, j] * k
            ax = axes[1, n]
            ax.axis("on")
            show_grid(ax, stamp, f"x[{i},{j}] = {x[i, j]:g} stamps {x[i, j]:g} * w", limit=limit)
            outline(ax, i * s, j * s, kh, kw, colors[n % 10], 3)
            outline(axes[0, 2], i * s, j * s, kh, kw, colors[n % 10], 1.5)
    for ax in axes[0, :3]:
        ax.axis("on")
    if axes.shape[1] > 3:
        axes[0, 3].text(0.0, 0.5, f"for each input pixel (i, j):\n  out[i*{s} + a, j*{s} + b] += x[i, j] * w[a, b]\n\n"
                        "the four stamps below,\nadded up, give the output", va="center", fontsize=10,
                        family="monospace")
    fig.suptitle(f"Transposed convolution as a scatter (stride {s}): each input pixel stamps a scaled "
                 f"copy of the kernel at (i*{s}, j*{s}); overlaps add", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


# -- figure 2: the matrix C and its transpose ---------------------------------------------------------

def figure_conv_matrix(path):
    kh, kw = MATRIX_KERNEL_SIZE
    kernel = np.arange(1.0, kh * kw + 1).reshape(kh, kw)   # taps numbered 1..9 so the pattern is readable
    c = tv.conv_matrix(as_weight(kernel), MATRIX_INPUT_SIZE, MATRIX_STRIDE, MATRIX_PADDING)
    rows, cols = c.shape
    out_size = (conv_output_length(MATRIX_INPUT_SIZE[0], kh, MATRIX_STRIDE, MATRIX_PADDING),
                conv_output_length(MATRIX_INPUT_SIZE[1], kw, MATRIX_STRIDE, MATRIX_PADDING))
    style = dict(cmap="viridis", limit=kernel.max() * 1.1)
    fig = plt.figure(figsize=(13, 6.8), layout="constrained")
    grid = fig.add_gridspec(2, 2, width_ratios=[4.5, 1.2], height_ratios=[1, 1.2])
    top = grid[0, 0].subgridspec(1, 2, width_ratios=[1, 4])
    show_grid(fig.add_subplot(top[0]), kernel, "kernel w (taps numbered)", **style)
    ax_c = fig.add_subplot(top[1])
    show_grid(ax_c, c, f"C: {rows} x {cols} (output pixels x input pixels): conv2d(x) = C @ x.ravel()",
              mask=c == 0, fontsize=8, **style)
    ax_c.tick_params(labelbottom=True, labelleft=True, labelsize=8)
    ax_c.set_xticks(range(cols))
    ax_c.set_yticks(range(rows))
    ax_c.set_xlabel(f"input pixel (row-major index in the {MATRIX_INPUT_SIZE[0]}x{MATRIX_INPUT_SIZE[1]} image)")
    ax_c.set_ylabel("output pixel")
    ax_t = fig.add_subplot(grid[:, 1])
    show_grid(ax_t, c.T, f"C^T: {cols} x {rows}\nconv_transpose2d(y)\n= C^T @ y.ravel()", mask=c.T == 0,
              fontsize=8, **style)
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
        show_grid(ax, column, f"column {j} of C^T as an image:\nthe stamp of input pixel "
                  f"{divmod(j, out_size[1])}", mask=column == 0, **style)
    fig.suptitle(f"The matrix of a convolution: input {MATRIX_INPUT_SIZE}, kernel {kernel.shape}, stride "
                 f"{MATRIX_STRIDE}, padding {MATRIX_PADDING} -> output {out_size}", fontsize=11)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


# -- figure 3: zero insertion -------------------------------------------------------------------------

def figure_zero_insertion(path):
    h, w = ZERO_INPUT_SIZE
    k, s, p, op, d = ZERO_KERNEL_SIZE, ZERO_STRIDE, ZERO_PADDING, ZERO_OUTPUT_PADDING, ZERO_DILATION
    x = np.arange(1.0, h * w + 1).reshape(h, w)
    kernel = np.arange(1.0, k * k + 1).reshape(k, k)
    stuffed = tv.insert_zeros(as_batch(x), s)
    padded = tv.pad_for_transpose(stuffed, k, p, op, d)
    flipped = tv.flip_and_swap(as_weight(kernel))
    out = tv.zero_insertion(as_batch(x), as_weight(kernel), stride=s, padding=p, output_padding=op, dilation=d)
    assert np.allclose(out, tv.scatter(as_batch(x), as_weight(kernel), stride=s, padding=p,
                                       output_padding=op, dilation=d))
    edge = d * (k - 1) - p
    # mark the input pixels inside the stuffed and padded images: push ones through the same steps
    is_pixel = tv.insert_zeros(np.ones_like(as_batch(x)), s)[0, 0] > 0
    is_inside = np.ones_like(stuffed)
    is_pixel_padded = tv.pad_for_transpose(is_pixel[None, None] * 1.0, k, p, op, d)[0, 0] > 0
    is_padding = tv.pad_for_transpose(is_inside, k, p, op, d)[0, 0] == 0
    fig, axes = plt.subplots(1, 5, figsize=(17, 4.2), gridspec_kw=dict(width_ratios=[3, 5, 8, 3, 6]))
    show_grid(axes[0], x, f"1. input x {x.shape}", cmap="viridis", limit=x.max() * 1.1)
    show_grid(axes[1], stuffed[0, 0], f"2. insert stride-1 = {s - 1} zero(s)\n"
              f"between pixels {stuffed.shape[2:]}", cmap="viridis", limit=x.max() * 1.1, mask=~is_pixel)
    show_grid(axes[2], padded[0, 0], "", cmap="viridis", limit=x.max() * 1.1, mask=~is_pixel_padded,
              grey=is_padding)
    outline(axes[2], 0, 0, d * (k - 1) + 1, d * (k - 1) + 1, "red", 2.5)
    axes[2].set_title(f"3. pad d(k-1)-p = {edge} (grey), plus output_padding = {op}\n"
                      f"at bottom/right {padded.shape[2:]}; red: first window", fontsize=10)
    show_grid(axes[3], flipped[0, 0], "4. kernel rotated 180°\n(channel axes swapped)", cmap="viridis",
              limit=kernel.max() * 1.1)
    show_grid(axes[4], out[0, 0], f"5. stride-1 convolution {out.shape[2:]}\n= conv_transpose2d(x)",
              cmap="viridis", limit=out.max() * 1.1)
    fig.suptitle(f"Transposed convolution as a direct convolution: kernel {k}, stride {s}, padding {p}, "
                 f"output_padding {op}, dilation {d}", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


# -- figure 4: checkerboard --------------------------------------------------------------------------------

def nearest_upsample(x, factor=2):
    return x.repeat(factor, axis=2).repeat(factor, axis=3)


def figure_checkerboard(path):
    n = CHECKER_INPUT_SIZE
    ones = np.ones((1, 1, n, n))
    panels = [
        ("ConvTranspose2d(k=3, stride=2,\npadding=1, output_padding=1)",
         tv.scatter(ones, np.ones((1, 1, 3, 3)), stride=2, padding=1, output_padding=1)),
        ("ConvTranspose2d(k=2, stride=2)\n(kernel size divisible by stride)",
         tv.scatter(ones, np.ones((1, 1, 2, 2)), stride=2)),
        ("Upsample(x2, nearest) then\nConv2d(k=3, padding=1)",
         tv.conv2d(nearest_upsample(ones), np.ones((1, 1, 3, 3)), padding=1)),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(13, 5.2), layout="constrained")
    for ax, (title, counts) in zip(axes, panels):
        show_grid(ax, counts[0, 0], title, cmap="magma", limit=counts.max() * 1.25, fontsize=8)
    fig.suptitle(f"All-ones {n}x{n} input, all-ones kernel: how many kernel taps reach each output pixel. "
                 "Uneven counts = checkerboard (colours: each panel to its own maximum)", fontsize=11)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


# -- figure 5: shapes through the autoencoders -----------------------------------------------------------

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
            shape = (a["out"], conv_output_length(h, a["k"], a["s"], a["p"]),
                     conv_output_length(w, a["k"], a["s"], a["p"]))
        elif kind == "pool":   # MaxPool2d(2, 2) has the size arithmetic of a 2x2, stride-2 convolution
            shape = (c, conv_output_length(h, 2, 2), conv_output_length(w, 2, 2))
        elif kind == "tconv":
            shape = (a["out"], conv_transpose_output_length(h, a["k"], a["s"]),
                     conv_transpose_output_length(w, a["k"], a["s"]))
        elif kind == "up":
            shape = (c, 2 * h, 2 * w)
        out.append((describe(name, kind, a), shape))
    if len(shape) == 1:
        out[1] = ("flatten\n" + out[1][0], out[1][1])
        out.append(("unflatten", IMAGE_SHAPE))
    return out


def figure_shapes(path):
    fig, axes = plt.subplots(len(AUTOENCODERS), 1, figsize=(15, 2.1 * len(AUTOENCODERS)))
    for ax, (model, layers) in zip(axes, AUTOENCODERS.items()):
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
                ax.add_patch(FancyArrowPatch((i - 1 + 0.22, 0.0), (i - 0.22, 0.0), arrowstyle="->",
                                             mutation_scale=12, color="0.3"))
                ax.text(i - 0.5, 0.12, name, ha="center", va="bottom", fontsize=8.5, color="0.15")
        smallest = min(steps[1:-1], key=lambda step: np.prod(step[1]))
        ax.text(len(steps) - 0.3, 1.0, f"latent {' x '.join(map(str, smallest[1]))} = "
                f"{int(np.prod(smallest[1]))} numbers", ha="right", va="top", fontsize=9)
    fig.suptitle("Shapes through the four autoencoders (channels x height x width); ReLU/Sigmoid keep the shape",
                 fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


# -- animation: the stamping kernel -------------------------------------------------------------------------

def animation_stamping(path):
    x, k, s = ANIMATION_INPUT, ANIMATION_KERNEL, ANIMATION_STRIDE
    h, w = x.shape
    kh, kw = k.shape
    final = tv.scatter(as_batch(x), as_weight(k), stride=s)[0, 0]
    limit = np.abs(final).max()
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.8), gridspec_kw=dict(width_ratios=[h, kh, final.shape[1]]))

    def draw(frame):
        for ax in axes:
            ax.clear()
        done = min(frame, h * w)          # stamps already added
        partial = np.zeros_like(final)
        for n in range(done):
            i, j = divmod(n, w)
            partial[i * s: i * s + kh, j * s: j * s + kw] += x[i, j] * k
        show_grid(axes[0], x, "input x", limit=limit)
        show_grid(axes[2], partial, f"output after {done} of {h * w} stamps", limit=limit)
        if frame < h * w:
            i, j = divmod(frame, w)
            outline(axes[0], i, j, 1, 1, "limegreen", 3)
            show_grid(axes[1], x[i, j] * k, f"stamp = {x[i, j]:g} * w", limit=limit)
            outline(axes[2], i * s, j * s, kh, kw, "limegreen", 3)
        else:
            show_grid(axes[1], k, "kernel w", limit=limit)
        fig.suptitle(f"Transposed convolution, stride {s}: the next stamp (green) lands at (i*{s}, j*{s}) "
                     "and adds to what is there", fontsize=10)

    movie = animation.FuncAnimation(fig, draw, frames=h * w + 2, interval=1000)
    movie.save(path, writer=animation.PillowWriter(fps=1), dpi=85)
    plt.close(fig)


def main(out_dir="docs/figures", gif=True):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figure_scatter(out / "scatter.png")
    figure_conv_matrix(out / "conv-matrix.png")
    figure_zero_insertion(out / "zero-insertion.png")
    figure_checkerboard(out / "checkerboard.png")
    figure_shapes(out / "autoencoder-shapes.png")
    written = ["scatter.png", "conv-matrix.png", "zero-insertion.png", "checkerboard.png",
               "autoencoder-shapes.png"]
    if gif:
        try:
            import PIL  # noqa: F401  (matplotlib's GIF writer needs Pillow, a matplotlib dependency)
        except ImportError:
            print("Pillow is not installed: skipping the animation")
        else:
            animation_stamping(out / "stamping.gif")
            written.append("stamping.gif")
    for name in written:
        print(f"wrote {out / name} ({(out / name).stat().st_size / 1000:.0f} KB)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "docs" / "figures"),
                        help="directory to write the figures to (default: docs/figures)")
    parser.add_argument("--no-gif", action="store_true", help="skip the animation")
    args = parser.parse_args()
    main(args.out, gif=not args.no_gif)

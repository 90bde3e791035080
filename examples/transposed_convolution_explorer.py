# %% [markdown]
# # An explorer for any transposed convolution
#
# Pick the numbers of a `ConvTranspose2d`: kernel size, stride, padding, output padding, dilation,
# and the size of a small input. Everything below is computed by the library's own layer,
# `scratchae.nn.ConvTranspose2d`, on readable integers:
#
# * the **stamping**: every input pixel stamps the kernel, scaled by its value, into the output;
#   `padding` then cuts the grey border off;
# * the **four views** of `docs/transposed-convolution.md` (scatter, the matrix $C^\top$, the input
#   gradient of a convolution, zero insertion), and how far each is from the layer;
# * the **output-size arithmetic**, spelled out for these numbers;
# * the **overlap map**: how many kernel taps reach each output pixel. Uneven counts show up as
#   checkerboard artifacts.
#
# In Jupyter, the sliders at the end redraw everything. From a terminal, the same figures:
#
# ```
# python examples/transposed_convolution_explorer.py --kernel-size 3 --stride 2 --padding 1 --output-padding 1
# scratchae explain --kernel-size 3 --stride 2 --padding 1 --output-padding 1      # the same, plus a GIF
# ```

# %%
import argparse
import os

from scratchae.explain import TransposedConvolution
from scratchae.figures import save
from scratchae.figures.explain import overlap_figure, stamping_figure, stamping_steps, views_figure

parser = argparse.ArgumentParser(description="Take one transposed convolution apart.")
parser.add_argument("--kernel-size", type=int, default=3)
parser.add_argument("--stride", type=int, default=2)
parser.add_argument("--padding", type=int, default=1)
parser.add_argument("--output-padding", type=int, default=1)
parser.add_argument("--dilation", type=int, default=1)
parser.add_argument("--input-size", type=int, default=3)
parser.add_argument("--out", default=os.path.join("runs", "examples", "explorer"))
args, _ = parser.parse_known_args()  # known arguments only, so that this also runs as a notebook
os.makedirs(args.out, exist_ok=True)

# %% [markdown]
# ## The layer, and the arithmetic of its output size
# A combination the layer refuses (an output padding not smaller than the stride or the dilation, a
# padding that leaves no output) raises the layer's own `ValueError` here.

# %%
tc = TransposedConvolution(
    args.kernel_size, args.stride, args.padding, args.output_padding, args.dilation, args.input_size
)
print(tc.layer)
print(tc.arithmetic())

# %% [markdown]
# ## The stamps
# Input pixel (i, j) adds `x[i, j] * w` at row `stride * i`, column `stride * j` of the output (in green,
# the stamp being added). The output is what lies inside the black frame; the grey border is cut off by
# `padding`. Here, half of the stamps are in; `stamping_steps(tc) - 1` is the finished output.

# %%
halfway = stamping_figure(tc, tc.x.size // 2)
print("wrote", save(halfway, os.path.join(args.out, "stamping.png")))
halfway  # noqa: B018 (shown when run as a notebook)

# %% [markdown]
# ## Four views, one output
# Each panel computes the output another way (`scratchae.transposed_views`); each title says how far it
# is from the layer.

# %%
views = views_figure(tc)
for name, (_, difference) in tc.views().items():
    print(f"{name:52s} largest difference from the layer: {difference:.1e}")
print("wrote", save(views, os.path.join(args.out, "views.png")))
views  # noqa: B018

# %% [markdown]
# ## Overlaps and checkerboards
# An all-ones input through the layer with an all-ones kernel counts the taps that reach each output
# pixel. A kernel size divisible by the stride (and dilation 1) gives even counts.

# %%
overlap = overlap_figure(tc)
print(tc.checkerboard())
print("wrote", save(overlap, os.path.join(args.out, "overlap.png")))
overlap  # noqa: B018

# %% [markdown]
# ## Sliders
# Move them to redraw. (`pip install ipywidgets`, part of the `notebooks` extra; without it, change the
# numbers in the `parser` cell above.) `step` walks through the stamps; the last steps show all the stamps
# with the crop, then the output.

# %%
try:
    import ipywidgets
    from IPython.display import display
except ImportError:  # a terminal, or Jupyter without ipywidgets
    ipywidgets = None


def explore(kernel_size=3, stride=2, padding=1, output_padding=1, dilation=1, input_size=3, step=4, show="stamping"):
    try:
        explained = TransposedConvolution(kernel_size, stride, padding, output_padding, dilation, input_size)
    except ValueError as error:  # the layer refuses these numbers: say why
        print(error)
        return
    if show == "stamping":
        display(stamping_figure(explained, min(step, stamping_steps(explained) - 1)))
    elif show == "four views":
        display(views_figure(explained))
    elif show == "overlap":
        display(overlap_figure(explained))
    print(explained.arithmetic())


if ipywidgets is not None:
    ipywidgets.interact(
        explore,
        kernel_size=(1, 7),
        stride=(1, 4),
        padding=(0, 4),
        output_padding=(0, 3),
        dilation=(1, 3),
        input_size=(1, 6),
        step=(0, 37),
        show=["stamping", "four views", "overlap", "arithmetic only"],
    )

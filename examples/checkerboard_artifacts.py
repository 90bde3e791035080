# %% [markdown]
# # Checkerboard artifacts, measured
#
# The course's two convolutional autoencoders share their encoder and differ in the decoder: transposed
# convolutions (kernel 2, stride 2) in one, nearest upsampling + 3x3 convolutions in the other. Built
# from the same seed, their encoders even start with the same weights. This script measures how much of
# their outputs, and of the gradients they send back to the images, is a pattern of period 2 (the
# checkerboard score of `scratchae.checkerboard`: the fraction of a map's variance explained by its
# pixels' row and column modulo 2), at initialization and after training, and draws the figure of
# docs/transposed-convolution.md ("Checkerboard artifacts, measured").
#
# ```
# python examples/checkerboard_artifacts.py                          # 5 epochs on the embedded sample
# python examples/checkerboard_artifacts.py --out docs/figures       # redraw the doc's figure
# ```

# %%
import argparse
import os

import numpy as np

import scratchae
from scratchae import figures
from scratchae.checkerboard import checkerboard_score, input_gradients
from scratchae.data import load_dataset
from scratchae.figures.figure import Figure  # a matplotlib Figure that a notebook shows
from scratchae.models import build
from scratchae.nn import MSELoss
from scratchae.nn.module import record_calls
from scratchae.training import Trainer

parser = argparse.ArgumentParser(description="Measure the checkerboard artifacts of the two decoders.")
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--limit", type=int, help="train on the first N images only")
parser.add_argument("--test-images", type=int, default=500, help="test images measured (default: 500)")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--out", default=os.path.join("runs", "examples", "checkerboard"))
args, _ = parser.parse_known_args()  # known arguments only, so that this also runs as a notebook
if os.environ.get("SCRATCHAE_EXAMPLE_QUICK"):  # used by the tests: a few images, one epoch
    args.epochs, args.limit, args.test_images = 1, 40, 20
os.makedirs(args.out, exist_ok=True)

# %% [markdown]
# ## Two models from one seed

# %%
train = load_dataset("sample", "train").images[: args.limit or None]
test = load_dataset("sample", "test").images[: args.test_images]
models = {}
for name in ("conv", "upsample"):
    scratchae.manual_seed(args.seed)
    models[name] = build(name)
for layer in ("conv1", "conv2"):  # the same seed, the same encoder
    assert np.array_equal(
        models["conv"].state_dict()[f"{layer}.weight"], models["upsample"].state_dict()[f"{layer}.weight"]
    )

# %% [markdown]
# ## What is measured
# - **output**: the reconstructions of the test images (after the sigmoid), one score per image;
# - **residual**: the reconstruction minus the image (where a faint grid over a good reconstruction shows);
# - **hidden**: the decoder's hidden feature maps, 16 channels of 14x14 after its first upsampling layer
#   and ReLU (the output of `t_conv1` and of `conv4`, each with its ReLU), one score per map that is not
#   constant (a channel the ReLU switched off for an image has no pattern to measure);
# - **gradient**: dL/d(images) of the training loss (mean squared error against the images themselves),
#   the gradient that reaches the images through the decoder and the encoder, one score per image;
# - the **images** themselves, for reference: natural images have a little energy at these frequencies;
# - **output, period 4**: the output's score for stride 4, the period of the two upsampling layers
#   together (a pattern in the 14x14 hidden layer has period 4 in the 28x28 output).
#
# Each number is the mean of the scores over the test images (and channels).

# %%
criterion = MSELoss()
HIDDEN = {"conv": models["conv"].t_conv1, "upsample": models["upsample"].conv4}  # both end with a ReLU


def measure(name, model) -> dict:
    model.eval()
    with record_calls() as calls:
        outputs = model(test)
    hidden = next(output for layer, _, output in calls if layer is HIDDEN[name])
    varies = hidden.reshape(*hidden.shape[:2], -1).var(axis=-1) > 0
    gradients = input_gradients(model, test, criterion)
    busiest = np.argmax(hidden[0].reshape(len(hidden[0]), -1).var(axis=-1))
    return {
        "output": checkerboard_score(outputs[:, 0]),
        "period 4": checkerboard_score(outputs[:, 0], stride=4),
        "residual": checkerboard_score(outputs[:, 0] - test[:, 0]),
        "hidden": checkerboard_score(hidden)[varies],
        "gradient": checkerboard_score(gradients[:, 0]),
        "example_output": outputs[0, 0],
        "example_hidden": hidden[0, busiest],
        "example_gradient": gradients[0, 0],
    }


results = {name: {"initialization": measure(name, model)} for name, model in models.items()}
for name, model in models.items():
    Trainer(model, seed=args.seed, progress=False).fit(train, None, args.epochs)
    results[name]["trained"] = measure(name, model)

images_score = checkerboard_score(test[:, 0]).mean()
print(
    f"checkerboard score (stride 2), mean over {len(test)} test images; the images themselves: "
    f"{images_score:.4f} (period 4: {checkerboard_score(test[:, 0], stride=4).mean():.4f})"
)
MEASURED = ("output", "residual", "hidden", "gradient", "period 4")
print(f"{'decoder':<10}{'when':<16}" + "".join(f"{what:>10}" for what in MEASURED))
for name, by_time in results.items():
    for when, measured in by_time.items():
        print(f"{name:<10}{when:<16}" + "".join(f"{measured[what].mean():>10.4f}" for what in MEASURED))
print(
    f"(trained {args.epochs} epoch{'s' if args.epochs != 1 else ''} on {len(train)} images of the sample, "
    f"seed {args.seed})"
)

# %% [markdown]
# ## The figure
# One test image: each decoder's output and the gradient it sends back to the image, at initialization
# and after training, and the busiest channel of the trained decoder's hidden layer, with the score of
# that map (and, in brackets, the mean over the test images). Each panel has its own grey or colour scale.

# %%
fig = Figure(figsize=(10.8, 5.0), layout="constrained")
axes = fig.subplots(2, 6)
axes[0, 0].imshow(test[0, 0], cmap="gray", vmin=0, vmax=1)
axes[0, 0].set_title(f"image\n{checkerboard_score(test[0, 0]):.3f} [{images_score:.3f}]", fontsize=8)
axes[1, 0].set_axis_off()
columns = [
    ("initialization", "output"),
    ("trained", "output"),
    ("trained", "hidden"),
    ("initialization", "gradient"),
    ("trained", "gradient"),
]
for row, (name, by_time) in enumerate(results.items()):
    for col, (when, what) in enumerate(columns, start=1):
        picture = by_time[when][f"example_{what}"]
        if what == "gradient":
            limit = np.abs(picture).max() or 1
            axes[row, col].imshow(picture, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        else:
            axes[row, col].imshow(picture, cmap="gray" if what == "output" else "viridis", interpolation="nearest")
        score = by_time[when][what]
        this = checkerboard_score(picture)
        axes[row, col].set_title(f"{name}: {what}, {when}\n{this:.3f} [{score.mean():.3f}]", fontsize=8)
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle(
    "checkerboard score (share of the variance explained by row and column mod 2): "
    "this image [mean over the test images]",
    fontsize=9,
)
path = figures.save(fig, os.path.join(args.out, "checkerboard-measured.png"), dpi=90)
print("wrote", path)
fig  # noqa: B018 (shown when run as a notebook)

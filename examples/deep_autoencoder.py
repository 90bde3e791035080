# %% [markdown]
# # A deeper convolutional autoencoder: batch normalization, leaky ReLUs, bilinear upsampling
#
# One step past the course. The course's convolutional autoencoder (`conv`) has two convolutions down
# and two transposed convolutions up. Most autoencoders written since use a few more pieces, all in
# `scratchae.nn` with their backward passes written out:
#
# - `Conv2d(..., padding='same')`: the output keeps the input's size;
# - `BatchNorm2d` after each hidden convolution: every channel normalized over the batch;
# - `LeakyReLU(0.2)`: a negative input still passes a little gradient;
# - `Upsample(scale_factor=2, mode='bilinear')` followed by a convolution, instead of a transposed
#   convolution (Distill's recommendation against checkerboard artifacts).
#
# This notebook trains the deeper model (`deep-conv`, `scratchae.models.DeepConvAutoencoder`) beside the
# course's `conv`, with the same code size (4 channels of 7x7), and shows their reconstructions and test
# losses side by side. With `--variants` it also trains the deeper model without each addition in turn.
# `docs/building-blocks.md` reports a run of it.
#
# ```
# python examples/deep_autoencoder.py                                   # embedded sample, 10 epochs
# python examples/deep_autoencoder.py --variants                        # and the three variants
# python examples/deep_autoencoder.py --dataset fashion-mnist --epochs 5
# ```

# %%
import argparse
import os
import time

import numpy as np

import scratchae
from scratchae import figures, nn, optim
from scratchae.data import load_dataset
from scratchae.figures.figure import Figure  # a matplotlib Figure that a notebook shows
from scratchae.models import ConvAutoencoder, DeepConvAutoencoder
from scratchae.nn.module import record_calls

parser = argparse.ArgumentParser(description="Train the deeper autoencoder beside the course's conv model.")
parser.add_argument("--dataset", default="sample", choices=["sample", "mnist", "fashion-mnist"])
parser.add_argument("--data-dir", help="where the MNIST / Fashion-MNIST files are")
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--limit", type=int, help="train on the first N images only")
parser.add_argument("--test-limit", type=int, help="evaluate on the first N test images only")
parser.add_argument("--variants", action="store_true", help="also train deep-conv without each addition")
parser.add_argument("--out", default=os.path.join("runs", "examples", "deep-conv"))
args, _ = parser.parse_known_args()  # known arguments only, so that this also runs as a notebook
if os.environ.get("SCRATCHAE_EXAMPLE_QUICK"):  # used by the tests: a few images, one epoch
    args.epochs, args.limit, args.test_limit = 1, 40, 40
os.makedirs(args.out, exist_ok=True)

# %% [markdown]
# ## The data

# %%
train = load_dataset(args.dataset, split="train", root=args.data_dir).images[: args.limit or None]
test = load_dataset(args.dataset, split="test", root=args.data_dir).images[: args.test_limit or None]
print(f"{len(train)} training images, {len(test)} test images of {args.dataset}")

# %% [markdown]
# ## The new layers, one at a time
# **Batch normalization** behaves differently in the two modes. In training mode (a new module's mode)
# it normalizes each channel with the statistics of the batch in front of it, and moves its running
# statistics towards them; in evaluation mode it uses the running statistics, so that an image's output
# does not depend on the other images of its batch. `model.train()` and `model.eval()` switch every
# layer of a model.

# %%
bn = nn.BatchNorm2d(1)
batch = train[:20]
y = bn(batch)
print(f"training mode:   output mean {y.mean():+.4f}, std {y.std():.4f} (the batch's own statistics)")
print(
    f"running statistics after one batch: mean {bn.running_mean.data[0]:.4f}, "
    f"variance {bn.running_var.data[0]:.4f} (momentum 0.1 from 0 and 1)"
)
bn.eval()
y = bn(batch)
print(f"evaluation mode: output mean {y.mean():+.4f}, std {y.std():.4f} (the running statistics)")

# %% [markdown]
# **Bilinear upsampling** blends the four nearest input pixels where nearest upsampling copies one.

# %%
x = np.array([[[[0.0, 1.0], [1.0, 0.0]]]], np.float32)
print("nearest:\n", nn.Upsample(scale_factor=2, mode="nearest")(x)[0, 0])
print("bilinear:\n", nn.Upsample(scale_factor=2, mode="bilinear")(x)[0, 0])

# %% [markdown]
# **'same' padding** keeps the size (any kernel, with stride 1), and a **leaky ReLU** keeps a fraction
# of a negative input, and so of its gradient.

# %%
print("Conv2d(1, 4, 3, padding='same'):", nn.Conv2d(1, 4, 3, padding="same")(train[:2]).shape)
print("Conv2d(1, 4, 4, padding='same'):", nn.Conv2d(1, 4, 4, padding="same")(train[:2]).shape)
leaky = nn.LeakyReLU(0.2)
print("LeakyReLU(0.2) of [-2, -0.5, 1]:", leaky(np.array([-2.0, -0.5, 1.0])), " gradient:", leaky.backward(np.ones(3)))

# %% [markdown]
# ## The two models, layer by layer

# %%
scratchae.manual_seed(0)
models = {"conv": ConvAutoencoder(), "deep-conv": DeepConvAutoencoder()}
for name, model in models.items():
    with record_calls() as calls:
        code = model.encode(train[:2])
        model.decode(code)
    names = {id(layer): layer_name for layer_name, layer in model.named_modules()}
    count = sum(p.data.size for p in model.parameters())
    print(f"{name}: {count:,} parameters, code {code.shape[1:]}")
    print("  " + " -> ".join(f"{names[id(layer)]}{tuple(output.shape[1:])}" for layer, _, output in calls))

# %% [markdown]
# ## Training, written out
# Batch size 20, no shuffling, MSE, Adam(lr=0.001), as for the course's models. The only new lines are
# `model.train()` before the training batches and `model.eval()` before the test loss.

# %%
batch_size = 20
criterion = nn.MSELoss()


def test_loss(model) -> float:
    model.eval()  # batch norm: the running statistics
    total = sum(
        criterion(model(test[i : i + 500]), test[i : i + 500]) * len(test[i : i + 500])
        for i in range(0, len(test), 500)
    )
    return total / len(test)


def fit(model, label: str) -> dict:
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    history = {"epoch": [], "train_loss": [], "test_loss": [], "seconds": []}
    for epoch in range(1, args.epochs + 1):
        started = time.perf_counter()
        model.train()  # batch norm: each batch's statistics
        total = 0.0
        for start in range(0, len(train), batch_size):
            images = train[start : start + batch_size]
            loss = criterion(model(images), images)
            optimizer.zero_grad()
            model.backward(criterion.backward())
            optimizer.step()
            total += loss * len(images)
        seconds = time.perf_counter() - started
        history["epoch"].append(epoch)
        history["train_loss"].append(total / len(train))
        history["test_loss"].append(test_loss(model))
        history["seconds"].append(seconds)
        print(
            f"{label:22s} epoch {epoch:2d}  train MSE per pixel {history['train_loss'][-1]:.6f}  "
            f"test {history['test_loss'][-1]:.6f}  ({seconds:.0f} s)"
        )
    return history


histories = {name: fit(model, name) for name, model in models.items()}

# %% [markdown]
# ## Without each addition (`--variants`)
# The deeper model again, from the same initial seed, with one addition taken out: no batch
# normalization (its convolutions get their bias back), plain ReLUs, nearest instead of bilinear
# upsampling.

# %%
variants = {
    "no batch norm": dict(batch_norm=False),
    "ReLU, not leaky": dict(negative_slope=0.0),
    "nearest upsampling": dict(upsampling="nearest"),
}
if args.variants:
    for label, config in variants.items():
        scratchae.manual_seed(0)
        histories[label] = fit(DeepConvAutoencoder(**config), label)

print(
    f"\n{'model':22s} {'test MSE per pixel':>18s} {'seconds per epoch':>18s}   (after {args.epochs} epochs; "
    f"seconds: the median epoch, on a machine that may be busy)"
)
for label, history in histories.items():
    print(f"{label:22s} {history['test_loss'][-1]:18.6f} {np.median(history['seconds']):18.1f}")

# %% [markdown]
# ## Side by side
# Test images, their reconstructions by both models (in evaluation mode), and the losses per epoch.

# %%
shown = test[:10]
for model in models.values():
    model.eval()
fig = Figure(figsize=(8, 6), layout="constrained")
top, bottom = fig.subfigures(2, 1, height_ratios=[2.5, 3.5])
figures.image_rows(
    top,
    [("test image", shown)]
    + [(f"{name}\n{histories[name]['test_loss'][-1]:.4f}", model(shown)) for name, model in models.items()],
)
top.suptitle(
    f"reconstructions after {args.epochs} epoch{'s' * (args.epochs != 1)} on {args.dataset} (test MSE per pixel)",
    fontsize=10,
)
ax = bottom.add_subplot()
for label, history in histories.items():
    (line,) = ax.plot(history["epoch"], history["test_loss"], "-o", markersize=3, label=f"{label} test")
    ax.plot(history["epoch"], history["train_loss"], ":", color=line.get_color(), label=f"{label} train")
ax.set_xlabel("epoch")
ax.set_ylabel("mean per-pixel MSE")
ax.set_yscale("log")
ax.xaxis.get_major_locator().set_params(integer=True)
ax.grid(True, which="both", alpha=0.3)
ax.legend(fontsize=7, ncol=2)
print("wrote", figures.save(fig, os.path.join(args.out, "deep-vs-conv.png")))
fig  # noqa: B018 (shown when run as a notebook)

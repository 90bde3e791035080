# %% [markdown]
# # A linear autoencoder, from scratch
#
# The course's first notebook: squeeze each 28x28 image (784 numbers) through 32 numbers and back.
#
# * encoder: `fc1 = Linear(784, 32)`, ReLU  ->  the code `z`, 32 numbers per image
# * decoder: `fc2 = Linear(32, 784)`, Sigmoid  ->  a reconstruction in (0, 1)
#
# Every forward and backward below is NumPy code you can read in `scratchae/nn/`.
#
# ```
# python examples/linear_autoencoder.py                                 # embedded sample, seconds
# python examples/linear_autoencoder.py --dataset mnist --epochs 20     # the course's full run
# ```

# %%
import argparse
import os

import scratchae
from scratchae import figures, nn, optim
from scratchae.data import load_dataset
from scratchae.models import LinearAutoencoder

parser = argparse.ArgumentParser(description="Train the course's linear autoencoder.")
parser.add_argument("--dataset", default="sample", choices=["sample", "mnist", "fashion-mnist"])
parser.add_argument("--data-dir", help="where the MNIST / Fashion-MNIST files are")
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--limit", type=int, help="train on the first N images only")
parser.add_argument("--out", default=os.path.join("runs", "examples", "linear"))
args, _ = parser.parse_known_args()  # known arguments only, so that this also runs as a notebook
if os.environ.get("SCRATCHAE_EXAMPLE_QUICK"):  # used by the tests: a few images, one epoch
    args.epochs, args.limit = 1, 60
os.makedirs(args.out, exist_ok=True)

# %% [markdown]
# ## The data
# Images as float32 arrays of shape (N, 1, 28, 28) with values in [0, 1] (as `ToTensor` gives).

# %%
train = load_dataset(args.dataset, split="train", root=args.data_dir).images[: args.limit]
test = load_dataset(args.dataset, split="test", root=args.data_dir).images[:1000]
print(f"{len(train)} training images, {len(test)} test images, shape {train.shape[1:]}, {train.dtype}")

# %% [markdown]
# ## The model
# Its parameters have the names, order and shapes of the course's PyTorch model, so the two can
# exchange weights (`torch_model.load_state_dict(...)` on `model.state_dict()`).

# %%
scratchae.manual_seed(0)
model = LinearAutoencoder(encoding_dim=32)
print(model)
for name, parameter in model.named_parameters():
    print(f"{name:12s} {parameter.shape}")
print("code of one image:", model.encode(train[:1]).shape)

# %% [markdown]
# ## Training, written out
# Batch size 20, no shuffling, mean squared error, Adam with learning rate 0.001, as in the course.
# `criterion.backward()` is dL/d(output); `model.backward` pushes it through the decoder and then the
# encoder, adding each layer's dL/dweight into `.grad`; `optimizer.step()` uses those.
#
# We report the mean per-pixel MSE. The course printed `sum(loss * batch_size) / number_of_batches`,
# which is 20 times larger with batches of 20: both are printed.

# %%
batch_size = 20
criterion = nn.MSELoss()
optimizer = optim.Adam(model.parameters(), lr=1e-3)
history = {"epoch": [], "train_loss": [], "test_loss": []}

for epoch in range(1, args.epochs + 1):
    total = 0.0
    for start in range(0, len(train), batch_size):
        images = train[start : start + batch_size]
        outputs = model(images)  # forward
        loss = criterion(outputs, images)  # the target is the input itself
        optimizer.zero_grad()
        model.backward(criterion.backward())  # backward
        optimizer.step()
        total += loss * len(images)
    train_loss = total / len(train)
    test_loss = criterion(model(test), test)
    history["epoch"].append(epoch)
    history["train_loss"].append(train_loss)
    history["test_loss"].append(test_loss)
    print(
        f"epoch {epoch:2d}  train MSE per pixel {train_loss:.6f} (as the course printed it: "
        f"{batch_size * train_loss:.6f})  test {test_loss:.6f}"
    )

# %% [markdown]
# ## What it learned
# Top row: test images; bottom row: their reconstructions from 32 numbers each.

# %%
fig = figures.reconstruction_grid(test[:10], model(test[:10]), title="linear autoencoder (32 numbers)")
print("wrote", figures.save(fig, os.path.join(args.out, "reconstructions.png")))
print("wrote", figures.save(figures.loss_curves({"linear": history}), os.path.join(args.out, "loss.png")))
fig  # noqa: B018 (shown when run as a notebook)

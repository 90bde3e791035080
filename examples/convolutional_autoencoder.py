# %% [markdown]
# # A convolutional autoencoder, with transposed convolutions
#
# The course's second notebook. The encoder keeps the image's layout: two 3x3 convolutions, each
# followed by ReLU and 2x2 max-pooling, take (1, 28, 28) to a code of 4 channels of 7x7. The decoder
# grows it back with two *transposed* convolutions of kernel 2 and stride 2: each input pixel paints
# its own 2x2 block of output, so 7 -> 14 -> 28 (output size `(i - 1) * stride + kernel`).
#
# ```
# python examples/convolutional_autoencoder.py                               # embedded sample
# python examples/convolutional_autoencoder.py --dataset mnist --epochs 30   # the course's full run
# ```

# %%
import argparse
import os

import scratchae
from scratchae import figures, nn, optim
from scratchae.data import load_dataset
from scratchae.models import ConvAutoencoder
from scratchae.nn.module import record_calls

parser = argparse.ArgumentParser(description="Train the course's convolutional autoencoder.")
parser.add_argument("--dataset", default="sample", choices=["sample", "mnist", "fashion-mnist"])
parser.add_argument("--data-dir", help="where the MNIST / Fashion-MNIST files are")
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--limit", type=int, help="train on the first N images only")
parser.add_argument("--out", default=os.path.join("runs", "examples", "conv"))
args, _ = parser.parse_known_args()  # known arguments only, so that this also runs as a notebook
if os.environ.get("SCRATCHAE_EXAMPLE_QUICK"):  # used by the tests: a few images, one epoch
    args.epochs, args.limit = 1, 40
os.makedirs(args.out, exist_ok=True)

# %% [markdown]
# ## The data

# %%
train = load_dataset(args.dataset, split="train", root=args.data_dir).images[: args.limit or None]
test = load_dataset(args.dataset, split="test", root=args.data_dir).images[:200]
print(f"{len(train)} training images, {len(test)} test images")

# %% [markdown]
# ## The model, layer by layer
# Follow one batch through the layers and watch the shapes.

# %%
scratchae.manual_seed(0)
model = ConvAutoencoder()
for name, parameter in model.named_parameters():
    print(f"{name:15s} {parameter.shape}")

x = train[:2]
print(f"{'input':8s} {x.shape}")
with record_calls() as calls:  # every layer's output, in the order they ran
    code = model.encode(x)
    model.decode(code)
names = {id(layer): name for name, layer in model.named_modules()}
for layer, _, output in calls:
    marker = "   <- the code" if output is code else ""
    print(f"{names[id(layer)]:8s} {output.shape}{marker}")

# %% [markdown]
# ## Training, written out
# Batch size 20, no shuffling, MSE, Adam(lr=0.001). Losses are mean per-pixel MSE; the course printed
# 20 times that (both are printed).

# %%
batch_size = 20
criterion = nn.MSELoss()
optimizer = optim.Adam(model.parameters(), lr=1e-3)
history = {"epoch": [], "train_loss": [], "test_loss": []}

for epoch in range(1, args.epochs + 1):
    total = 0.0
    for start in range(0, len(train), batch_size):
        images = train[start : start + batch_size]
        outputs = model(images)
        loss = criterion(outputs, images)
        optimizer.zero_grad()
        model.backward(criterion.backward())
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
# Reconstructions of test images, and the 4 channels of 7x7 the decoder rebuilds them from.

# %%
fig = figures.reconstruction_grid(test[:10], model(test[:10]), title="convolutional autoencoder")
print("wrote", figures.save(fig, os.path.join(args.out, "reconstructions.png")))
latent = figures.latent_maps(test[:4], model.encode(test[:4]))
print("wrote", figures.save(latent, os.path.join(args.out, "latent.png")))
print("wrote", figures.save(figures.loss_curves({"conv": history}), os.path.join(args.out, "loss.png")))
fig  # noqa: B018 (shown when run as a notebook)

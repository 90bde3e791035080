# %% [markdown]
# # A denoising autoencoder
#
# The course's fourth notebook. The input is a noisy image, `clip(x + 0.5 * randn, 0, 1)` with fresh
# noise for every batch; the target is the clean image `x`. To undo the noise the network cannot just
# copy its input: it has to learn what clothes (or digits) look like.
#
# * encoder: three 3x3 convolutions (1 -> 32 -> 16 -> 8 channels), each with ReLU and 2x2 max-pooling:
#   28 -> 14 -> 7 -> 3 (the last pooling floors 7/2), a code of 8 channels of 3x3
# * decoder: transposed convolutions 3 -> 7 (kernel 3, stride 2) -> 14 -> 28, then a 3x3 convolution
#   down to one channel and a Sigmoid
#
# ```
# python examples/denoising_autoencoder.py                               # embedded sample
# python examples/denoising_autoencoder.py --dataset mnist --epochs 20   # the course's full run
# ```

# %%
import argparse
import os

import numpy as np

import scratchae
from scratchae import figures, nn, optim
from scratchae.data import add_gaussian_noise, load_dataset
from scratchae.models import DenoisingAutoencoder
from scratchae.nn.module import record_calls

parser = argparse.ArgumentParser(description="Train the course's denoising autoencoder.")
parser.add_argument("--dataset", default="sample", choices=["sample", "mnist", "fashion-mnist"])
parser.add_argument("--data-dir", help="where the MNIST / Fashion-MNIST files are")
parser.add_argument("--epochs", type=int, default=4)
parser.add_argument("--limit", type=int, help="train on the first N images only")
parser.add_argument("--noise-factor", type=float, default=0.5)
parser.add_argument("--out", default=os.path.join("runs", "examples", "denoise"))
args, _ = parser.parse_known_args()  # known arguments only, so that this also runs as a notebook
if os.environ.get("SCRATCHAE_EXAMPLE_QUICK"):  # used by the tests: a few images, one epoch
    args.epochs, args.limit = 1, 40
os.makedirs(args.out, exist_ok=True)

# %% [markdown]
# ## The data, clean and noisy

# %%
train = load_dataset(args.dataset, split="train", root=args.data_dir).images[: args.limit or None]
test = load_dataset(args.dataset, split="test", root=args.data_dir).images[:200]
rng = np.random.default_rng(0)  # the source of all the noise below
noisy_test = add_gaussian_noise(test, args.noise_factor, rng)  # fixed noisy test set
print(f"{len(train)} training images, {len(test)} test images, noise factor {args.noise_factor}")

# %% [markdown]
# ## The model, layer by layer

# %%
scratchae.manual_seed(0)
model = DenoisingAutoencoder()
for name, parameter in model.named_parameters():
    print(f"{name:16s} {parameter.shape}")

x = noisy_test[:2]
print(f"{'input':9s} {x.shape}")
with record_calls() as calls:  # every layer's output, in the order they ran
    code = model.encode(x)
    model.decode(code)
names = {id(layer): name for name, layer in model.named_modules()}
for layer, _, output in calls:
    marker = "   <- the code" if output is code else ""
    print(f"{names[id(layer)]:9s} {output.shape}{marker}")

# %% [markdown]
# ## Training, written out
# The only change from the other notebooks: the model sees `noisy`, the loss compares with `images`.
# Losses are mean per-pixel MSE; the course printed 20 times that (both are printed).

# %%
batch_size = 20
criterion = nn.MSELoss()
optimizer = optim.Adam(model.parameters(), lr=1e-3)
history = {"epoch": [], "train_loss": [], "test_loss": []}

for epoch in range(1, args.epochs + 1):
    total = 0.0
    for start in range(0, len(train), batch_size):
        images = train[start : start + batch_size]
        noisy = add_gaussian_noise(images, args.noise_factor, rng)
        outputs = model(noisy)
        loss = criterion(outputs, images)  # compare with the clean images
        optimizer.zero_grad()
        model.backward(criterion.backward())
        optimizer.step()
        total += loss * len(images)
    train_loss = total / len(train)
    test_loss = criterion(model(noisy_test), test)
    history["epoch"].append(epoch)
    history["train_loss"].append(train_loss)
    history["test_loss"].append(test_loss)
    print(
        f"epoch {epoch:2d}  train MSE per pixel {train_loss:.6f} (as the course printed it: "
        f"{batch_size * train_loss:.6f})  test {test_loss:.6f}"
    )

# %% [markdown]
# ## What it learned
# Noisy test images, what the network made of them, and the clean originals.

# %%
fig = figures.denoising_grid(
    noisy_test[:10],
    model(noisy_test[:10]),
    test[:10],
    title=f"denoising autoencoder (noise factor {args.noise_factor})",
)
print("wrote", figures.save(fig, os.path.join(args.out, "denoising.png")))
latent = figures.latent_maps(noisy_test[:4], model.encode(noisy_test[:4]))
print("wrote", figures.save(latent, os.path.join(args.out, "latent.png")))
print("wrote", figures.save(figures.loss_curves({"denoise": history}), os.path.join(args.out, "loss.png")))
fig  # noqa: B018 (shown when run as a notebook)

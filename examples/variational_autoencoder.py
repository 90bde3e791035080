# %% [markdown]
# # A variational autoencoder
#
# PyTorch's example VAE, in NumPy with every backward written out: the encoder (784 -> 400) outputs the
# mean `mu` and the log-variance `logvar` of a Gaussian over codes of 20 numbers; a code is *sampled*
# from it, `z = mu + exp(logvar / 2) * eps`; the decoder (20 -> 400 -> 784) turns it into pixel
# probabilities. The loss, per image, is the binary cross-entropy summed over the pixels plus the KL
# divergence of the Gaussian from N(0, I): the negative evidence lower bound, in nats.
# `docs/variational-autoencoder.md` derives every piece and its gradient.
#
# ```
# python examples/variational_autoencoder.py                        # embedded sample, 10 epochs
# python examples/variational_autoencoder.py --latent-dim 2         # a 2-D latent space, drawn as a grid
# python examples/variational_autoencoder.py --dataset mnist        # the example's own data
# ```

# %%
import argparse
import os

import numpy as np

import scratchae
from scratchae import figures, latent, optim
from scratchae.data import load_dataset
from scratchae.figures.latent import image_grid, interpolation_strip, latent_scatter, manifold_grid
from scratchae.figures.variational import elbo_curves, vae_reconstructions
from scratchae.models import VAE

parser = argparse.ArgumentParser(description="Train PyTorch's example VAE, written from scratch.")
parser.add_argument("--dataset", default="sample", choices=["sample", "mnist", "fashion-mnist"])
parser.add_argument("--data-dir", help="where the MNIST / Fashion-MNIST files are")
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--latent-dim", type=int, default=20)
parser.add_argument("--beta", type=float, default=1.0, help="weight of the KL term (1: the ELBO)")
parser.add_argument("--limit", type=int, help="train on the first N images only")
parser.add_argument("--out", default=os.path.join("runs", "examples", "vae"))
args, _ = parser.parse_known_args()  # known arguments only, so that this also runs as a notebook
if os.environ.get("SCRATCHAE_EXAMPLE_QUICK"):  # used by the tests: a few images, one epoch
    args.epochs, args.limit = 1, 256
os.makedirs(args.out, exist_ok=True)

# %% [markdown]
# ## The data
# The test images keep their labels, to colour the latent space by class.

# %%
train = load_dataset(args.dataset, split="train", root=args.data_dir).images[: args.limit or None]
test_set = load_dataset(args.dataset, split="test", root=args.data_dir)
test, labels = test_set.images[:1000], test_set.labels[:1000]
print(f"{len(train)} training images, {len(test)} test images")

# %% [markdown]
# ## The model
# `encode(x)` gives the mean `mu` (the code without noise); calling the model samples a code and decodes
# it, and keeps the KL term of that pass (`model.latent_loss()`, beta times the KL per image).

# %%
scratchae.manual_seed(0)
model = VAE(latent_dim=args.latent_dim, beta=args.beta)
for name, parameter in model.named_parameters():
    print(f"{name:12s} {parameter.shape}")
mu, logvar = model.encode_distribution(train[:2])
print("mu", mu.shape, "logvar", logvar.shape, "-> z", model.reparameterize(mu, logvar).shape)

# %% [markdown]
# ## Training, written out
# Batches of 128, shuffled, Adam(lr=0.001), as PyTorch's example. The criterion is the binary
# cross-entropy summed over the pixels of each image, averaged over the images (`reduction="batchmean"`);
# the model adds its KL term to the loss, and its backward adds the KL term's gradient where `mu` and
# `logvar` leave the encoder.

# %%
batch_size = 128
criterion = model.default_criterion()  # BCELoss(reduction="batchmean")
optimizer = optim.Adam(model.parameters(), lr=1e-3)
order_rng = np.random.default_rng(0)
history = {
    "epoch": [],
    "train_loss": [],
    "test_loss": [],
    "train_reconstruction": [],
    "train_kl": [],
    "test_reconstruction": [],
    "test_kl": [],
}


def evaluate(images):
    """Per-image negative ELBO, reconstruction and KL over ``images``, one sampled code per image."""
    model.eval()  # (the sampling still samples: see the doc)
    sums = np.zeros(2)
    for start in range(0, len(images), 200):
        batch = images[start : start + 200]
        sums += np.array([criterion(model(batch), batch), model.kl_divergence]) * len(batch)
    model.train()
    reconstruction, kl = sums / len(images)
    return reconstruction + model.beta * kl, reconstruction, kl


for epoch in range(1, args.epochs + 1):
    totals = np.zeros(3)
    for indices in np.array_split(order_rng.permutation(len(train)), -(-len(train) // batch_size)):
        images = train[np.sort(indices)]
        outputs = model(images)  # z = mu + sigma * eps, decoded
        reconstruction = criterion(outputs, images)  # -log p(x|z), nats per image
        loss = reconstruction + model.latent_loss()  # + beta * KL per image
        optimizer.zero_grad()
        model.backward(criterion.backward())  # decoder, sampling, + KL gradient, encoder
        optimizer.step()
        totals += np.array([loss, reconstruction, model.kl_divergence]) * len(images)
    train_loss, train_reconstruction, train_kl = totals / len(train)
    test_loss, test_reconstruction, test_kl = evaluate(test)
    for key, value in (
        ("epoch", epoch),
        ("train_loss", train_loss),
        ("test_loss", test_loss),
        ("train_reconstruction", train_reconstruction),
        ("train_kl", train_kl),
        ("test_reconstruction", test_reconstruction),
        ("test_kl", test_kl),
    ):
        history[key].append(value)
    print(
        f"epoch {epoch:2d}  train negative ELBO {train_loss:.2f} nats per image (PyTorch's example prints "
        f"this as 'Average loss') = reconstruction {train_reconstruction:.2f} + KL {train_kl:.2f}; "
        f"test {test_loss:.2f}"
    )

# %% [markdown]
# ## What it learned
# Reconstructions (from the mean code and from a sampled one), new images decoded from codes drawn from
# the prior, the codes of the test images by class, and a walk between two codes. With `--latent-dim 2`,
# also the images decoded over a grid of the latent plane.

# %%
model.eval()
title = f"VAE, {args.latent_dim}-number codes"
fig = vae_reconstructions(test[:10], model.decode(model.encode(test[:10])), model(test[:10]), title=title)
print("wrote", figures.save(fig, os.path.join(args.out, "reconstructions.png")))
samples = latent.prior_samples(model, 64, np.random.default_rng(0))
print(
    "wrote",
    figures.save(image_grid(samples, title=f"{title}: samples from the prior"), os.path.join(args.out, "samples.png")),
)
codes = latent.encode_all(model, test)
points, explained = (codes, None) if codes.shape[1] == 2 else latent.principal_components(codes, 2)
fig = latent_scatter(points, labels, classes=test_set.classes, explained=explained, title=f"{title}: the codes")
print("wrote", figures.save(fig, os.path.join(args.out, "latent_scatter.png")))
other = int(np.argmax(labels != labels[0]))
path = latent.interpolate(model, test[0], test[other], steps=10)
print("wrote", figures.save(interpolation_strip(path), os.path.join(args.out, "interpolation.png")))
if args.latent_dim == 2:
    grid, values = latent.decoded_manifold(model, 15)
    print("wrote", figures.save(manifold_grid(grid, values, title=title), os.path.join(args.out, "manifold.png")))
print("wrote", figures.save(elbo_curves(history, title=title), os.path.join(args.out, "loss.png")))
fig  # noqa: B018 (shown when run as a notebook)

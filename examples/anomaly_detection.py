# %% [markdown]
# # Anomaly detection with an autoencoder
#
# Train the course's convolutional autoencoder on one class of clothes only (the *normal* images), then
# score every test image by how badly it is reconstructed: an image of another class (an *anomaly*)
# should be reconstructed worse. How well a score separates the two is measured by the area under the
# ROC curve (AUROC): the probability that a random anomaly scores higher than a random normal image.
# This is the command `scratchae anomaly`, written out with the library's functions.
#
# ```
# python examples/anomaly_detection.py                                  # sneakers are normal, the sample
# python examples/anomaly_detection.py --normal 8                       # bags: where the error fails
# python examples/anomaly_detection.py --dataset fashion-mnist --epochs 5
# ```

# %%
import argparse
import os

import numpy as np

import scratchae
from scratchae import anomaly, figures
from scratchae.data import load_dataset
from scratchae.figures import anomaly as anomaly_figures
from scratchae.latent import encode_all
from scratchae.models import ConvAutoencoder
from scratchae.training import Trainer

parser = argparse.ArgumentParser(description="One-class anomaly detection with the conv autoencoder.")
parser.add_argument("--dataset", default="sample", choices=["sample", "mnist", "fashion-mnist"])
parser.add_argument("--data-dir", help="where the MNIST / Fashion-MNIST files are")
parser.add_argument("--normal", type=int, default=7, help="the normal class (default: 7, sneaker)")
parser.add_argument("--epochs", type=int, default=30)
parser.add_argument("--limit", type=int, help="use the first N images of each split only")
parser.add_argument("--out", default=os.path.join("runs", "examples", "anomaly"))
args, _ = parser.parse_known_args()  # known arguments only, so that this also runs as a notebook
if os.environ.get("SCRATCHAE_EXAMPLE_QUICK"):  # used by the tests: a few images, one epoch
    args.epochs, args.limit = 1, 300
os.makedirs(args.out, exist_ok=True)

# %% [markdown]
# ## The data: normal images for training, every test image for scoring

# %%
train = load_dataset(args.dataset, "train", root=args.data_dir)
test = load_dataset(args.dataset, "test", root=args.data_dir)
train_images, train_labels = train.images[: args.limit], train.labels[: args.limit]
test_images, test_labels = test.images[: args.limit], test.labels[: args.limit]
normal_train = train_images[train_labels == args.normal]
is_anomaly = test_labels != args.normal
print(
    f"normal class: {train.classes[args.normal]}; {len(normal_train)} training images of it; "
    f"{len(test_images)} test images, {int(is_anomaly.sum())} of them anomalies"
)

# %% [markdown]
# ## The model
# `model.summary()` lists the layers with their output shapes and parameter counts, as Keras and
# torchinfo do.

# %%
scratchae.manual_seed(0)
model = ConvAutoencoder()
print(model.summary())

# %% [markdown]
# ## Train on the normal class only

# %%
history = Trainer(model, progress=False).fit(normal_train, test_images[~is_anomaly], args.epochs)
print(f"after {args.epochs} epochs: mean per-pixel MSE on the normal test images {history['test_loss'][-1]:.5f}")

# %% [markdown]
# ## Score every test image by its reconstruction error
# The score is the image's mean squared error; higher means more anomalous.

# %%
reconstructed = anomaly.reconstructions(model, test_images)
errors = anomaly.reconstruction_errors(test_images, reconstructed)
print(f"AUROC of the reconstruction error: {anomaly.auroc(errors, is_anomaly):.4f}")
for label in np.unique(test_labels):
    print(
        f"  {test.classes[label]:<12} mean error {errors[test_labels == label].mean():.4f}"
        + ("   <- normal" if label == args.normal else "")
    )

# %% [markdown]
# ## Why the error is a weak score for some classes, and a stronger one
# The error measures how hard an image is to reconstruct, not how unusual it is: a dark, plain shirt is
# easy for any autoencoder, even one that never saw a shirt; a striped pullover is hard for all of them.
# A score that asks *where the image's code lies* compared with the codes of the normal images does not
# have that bias: fit a Gaussian to the normal training codes and score by the Mahalanobis distance.

# %%
latent = anomaly.gaussian_scores(encode_all(model, normal_train), encode_all(model, test_images))
pixels = anomaly.gaussian_scores(normal_train, test_images)
print(f"AUROC of the latent (Mahalanobis) score: {anomaly.auroc(latent, is_anomaly):.4f}")
print(f"AUROC of the same score on the raw pixels, no autoencoder: {anomaly.auroc(pixels, is_anomaly):.4f}")

# %% [markdown]
# ## Figures: ROC curves, the scores' distributions, the images at the extremes

# %%
curves = {
    name: (*anomaly.roc_curve(score, is_anomaly)[:2], anomaly.auroc(score, is_anomaly))
    for name, score in (("error", errors), ("latent", latent), ("pixels", pixels))
}
title = f"normal: {train.classes[args.normal]}"
print("wrote", figures.save(anomaly_figures.roc_figure(curves, title=title), os.path.join(args.out, "roc.png")))
histograms = anomaly_figures.score_histograms(errors, is_anomaly, score_name="reconstruction error", title=title)
print("wrote", figures.save(histograms, os.path.join(args.out, "histograms.png")))
worst = anomaly_figures.extreme_images(
    test_images, reconstructed, errors, is_anomaly, test_labels, test.classes, title=title
)
print("wrote", figures.save(worst, os.path.join(args.out, "worst.png")))
worst  # noqa: B018 (shown when run as a notebook)

"""``scratchae inspect CHECKPOINT``: what a trained model is made of and what it learned.

Prints the layer table (``model.summary()``) and writes it to ``summary.txt``, with three figures:
``filters.png`` (the first layer's filters), ``feature_maps.png`` (one test image through every layer)
and ``latent_space.png`` (the codes of the test images on their first two principal components,
coloured by class).
"""

from __future__ import annotations

import os

import numpy as np

from .. import figures, latent
from ..figures import inspect as inspect_figures
from ..figures.latent import latent_scatter
from ..summary import layer_calls
from ..training import load_checkpoint, restore
from .common import DATASETS, CommandError, data_options, load_split, non_negative_int, positive_int


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "inspect", help="layer table, first-layer filters, feature maps and latent space of a trained model"
    )
    parser.add_argument("checkpoint", help="a checkpoint.npz written by `scratchae train` (or `anomaly`)")
    parser.add_argument("--dataset", choices=DATASETS, help="test images (default: the one trained on)")
    parser.add_argument(
        "--index", type=non_negative_int, default=0, help="the test image whose feature maps are drawn (default: 0)"
    )
    parser.add_argument(
        "--limit", type=positive_int, help="place only the first N test images in the latent space (default: all)"
    )
    parser.add_argument("--out", help="output directory (default: the checkpoint's directory)")
    data_options(parser)
    parser.set_defaults(run=run)


def first_weight(model):
    """``(name, weight)`` of the first layer with a weight (a parameter of 2 or more dimensions) in the order
    the forward pass calls the layers."""
    image = np.zeros((1, 1, 28, 28), dtype=model.dtype)
    for call in layer_calls(model, image):
        for name, parameter in call.module.named_parameters():
            if parameter.data.ndim >= 2:
                return f"{call.name}.{name}", parameter.data
    raise CommandError(f"{type(model).__name__} has no layer with a weight to draw")


def run(args) -> int:
    saved = load_checkpoint(args.checkpoint)
    model, _ = restore(saved, source=args.checkpoint)
    model.eval()
    dataset = args.dataset or saved.config.get("dataset", "sample")
    out = args.out or os.path.dirname(os.path.abspath(args.checkpoint))
    os.makedirs(out, exist_ok=True)
    images, labels, classes = load_split(dataset, "test", args.data_dir, args.download, args.limit)
    if args.index >= len(images):
        raise CommandError(f"--index {args.index} is past the last of the {len(images)} test images")
    images = images.astype(model.dtype, copy=False)

    table = model.summary()
    print(f"{model.name} after {saved.epoch} epochs ({args.checkpoint})")
    print(table)
    written = [os.path.join(out, "summary.txt")]
    with open(written[0], "w") as f:
        f.write(str(table) + "\n")

    name, weight = first_weight(model)
    written.append(
        figures.save(inspect_figures.filters_figure(weight, layer=name, title=None), os.path.join(out, "filters.png"))
    )
    image = images[args.index : args.index + 1]
    caption = f"test image {args.index} ({classes[labels[args.index]]}) through every layer of {model.name}"
    written.append(
        figures.save(
            inspect_figures.feature_maps_figure(image[0], layer_calls(model, image), title=caption),
            os.path.join(out, "feature_maps.png"),
        )
    )
    if len(images) >= 2:
        codes = latent.encode_all(model, images)
        points, explained = latent.principal_components(codes, k=2)
        scatter = latent_scatter(
            points,
            labels,
            classes=classes,
            explained=explained,
            title=f"{model.name}: the codes ({codes.shape[1]} numbers) of {len(images)} {dataset} test images",
        )
        written.append(figures.save(scatter, os.path.join(out, "latent_space.png")))
    print("wrote " + ", ".join(written))
    return 0

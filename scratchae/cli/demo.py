"""``scratchae demo``: train the course's four models and the VAE briefly on the embedded sample, write one
figure."""

from __future__ import annotations

import os
import time

import numpy as np

from .. import figures, latent, manual_seed
from ..data.noise import add_gaussian_noise
from ..models import VariationalAutoencoder, build
from ..training import Trainer
from ..training.compile_ahead import CompileAhead
from ..training.trainer import evaluation_rng
from .common import DEFAULT_NOISE_FACTOR, DESCRIPTIONS, default_batch_size, load_images, non_negative_int, positive_int

#: epochs per model in the demo, on the sample's 4,000 training images: sized so that the whole demo,
#: Numba's first compilation included (~20 s), takes about a minute on 2 cores (measured: 42 s warm,
#: before the VAE, whose 10 epochs at batch 128 add about 2 s)
DEMO_EPOCHS = {"linear": 20, "conv": 15, "upsample": 12, "denoise": 15, "vae": 10}


def add_parser(commands) -> None:
    demo = commands.add_parser(
        "demo",
        help="train the four course models and the VAE briefly on the embedded "
        "sample and write one summary figure (under a minute once the "
        "kernels are compiled)",
    )
    demo.add_argument("--out", default=os.path.join("runs", "demo"), help="output directory (default: runs/demo)")
    demo.add_argument(
        "--epochs",
        type=positive_int,
        help="epochs for every model (default: " + ", ".join(f"{k} {v}" for k, v in DEMO_EPOCHS.items()) + ")",
    )
    demo.add_argument(
        "--images", type=positive_int, help="use only the first N training images (default: all 4,000 of the sample)"
    )
    demo.add_argument(
        "--test-images", type=positive_int, default=200, help="test images for the test loss (default: 200)"
    )
    demo.add_argument("--seed", type=non_negative_int, default=0)
    demo.add_argument("--no-progress", action="store_true", help="no progress bars")
    demo.set_defaults(run=run)


def run(args) -> int:
    started = time.perf_counter()
    os.makedirs(args.out, exist_ok=True)
    train = load_images("sample", "train", limit=args.images)
    test = load_images("sample", "test", limit=args.test_images)
    print(
        f"demo: training the four autoencoders and a VAE on {len(train)} images of the embedded sample "
        f"({len(test)} test images), batch size 20 (the VAE: 128), Adam lr 1e-3"
    )
    results = []
    with CompileAhead(list(DEMO_EPOCHS)):  # on a first run, a second process compiles kernels too
        for name in DEMO_EPOCHS:
            results.append(train_one(name, train, test, args))
    path = figures.save(figures.demo_figure(results), os.path.join(args.out, "demo.png"))
    print(
        f"wrote {os.path.abspath(path)} in {time.perf_counter() - started:.0f} s "
        f"(losses are mean per-pixel MSE; the VAE's, the negative ELBO per image in nats)"
    )
    return 0


def train_one(name: str, train, test, args) -> dict:
    """Train model ``name`` for the demo; what :func:`demo_result` says of it."""
    epochs = args.epochs if args.epochs is not None else DEMO_EPOCHS[name]
    manual_seed(args.seed)
    model = build(name)
    noise = DEFAULT_NOISE_FACTOR if name == "denoise" else None
    trainer = Trainer(
        model,
        batch_size=default_batch_size(name),
        noise_factor=noise,
        seed=args.seed,
        progress=False if args.no_progress else "run",
    )
    t0 = time.perf_counter()
    history = trainer.fit(train, test, epochs)
    result = demo_result(model, history, test[:8], noise, args.seed, epochs)
    print(
        f"  {name:9s} {epochs:3d} epochs  train loss {history['train_loss'][-1]:.5f}  "
        f"test loss {history['test_loss'][-1]:.5f}  ({time.perf_counter() - t0:.1f} s)"
    )
    return result


def demo_result(model, history: dict, clean, noise: float | None, seed: int, epochs: int) -> dict:
    """What :func:`scratchae.figures.demo_figure` draws for one trained model."""
    name = model.name
    label = f"{DESCRIPTIONS[name]}: test loss {history['test_loss'][-1]:.4f} after {epochs} epochs"
    if isinstance(model, VariationalAutoencoder):
        model.eval()
        rows = [
            ("input", clean),
            ("decoded mean", model.decode(model.encode(clean))),
            ("from the prior", latent.prior_samples(model, len(clean), np.random.default_rng(seed))),
        ]
        label = (
            f"variational autoencoder (codes of {model.latent_dim}): test negative ELBO "
            f"{history['test_loss'][-1]:.1f} nats per image after {epochs} epochs"
        )
        return {"name": name, "rows": rows, "label": label}  # its loss is in nats: not on the MSE plot
    inputs = add_gaussian_noise(clean, noise, evaluation_rng(seed)) if noise is not None else clean
    result = {"name": name, "history": history, "inputs": inputs, "outputs": model(inputs), "label": label}
    if noise is not None:
        result["targets"] = clean
    return result

"""The MLP VAE trained by scratchae and by PyTorch the same way: do they reach the same test loss?

Both start from the same initial weights (the PyTorch twin of ``tests/torch_twins.py`` loads the
scratchae model's ``state_dict``), see the same shuffled batches of 128 images of the embedded sample in
the same order (``scratchae.data.iterate_batches`` with the trainer's generator of each epoch), and take
Adam steps (lr 1e-3) on the per-image negative ELBO: binary cross-entropy summed over the pixels plus the
KL term, averaged over the images of a batch. Only the sampling noise differs: scratchae draws it from
its generator, PyTorch with ``torch.randn_like`` as its VAE example does (seeded with ``torch.manual_seed``).

The number compared is the test negative ELBO per image (nats) after the last epoch, over the 1,000 test
images of the sample, with one sample of z per image. One run per seed; the spread over seeds shows how
much the noise alone moves it.

    python benchmarks/vae_vs_torch.py                   # 10 epochs, seeds 0 1 2
    python benchmarks/vae_vs_torch.py --epochs 10 --seeds 0
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [ROOT, HERE, os.path.join(ROOT, "tests")]

import torch_first  # noqa: E402, F401  (PyTorch before scratchae: see torch_first.py)


def scratchae_run(seed: int, epochs: int, train, test) -> tuple[dict, object]:
    from scratchae.models import build
    from scratchae.training import Trainer

    model = build("vae", rng=np.random.default_rng(seed))
    initial = model.state_dict()
    trainer = Trainer(model, batch_size=128, shuffle=True, seed=seed, progress=False)
    return trainer.fit(train, test, epochs), initial


def torch_run(seed: int, epochs: int, train, test, initial: dict) -> list[float]:
    import torch

    from scratchae.data import iterate_batches
    from scratchae.training.trainer import epoch_rng
    from torch_twins import VAETwin, vae_loss

    torch.manual_seed(seed)
    twin = VAETwin()
    twin.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in initial.items()})
    optimizer = torch.optim.Adam(twin.parameters(), lr=1e-3)
    test_x = torch.from_numpy(test)
    losses = []
    for epoch in range(1, epochs + 1):
        twin.train()
        for batch, _ in iterate_batches(train, None, 128, shuffle=True, seed=epoch_rng(seed, epoch)):
            x = torch.from_numpy(batch)
            loss = vae_loss(*_with_target(twin(x), x))[0]
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        twin.eval()
        with torch.no_grad():  # one sample of z per test image, as scratchae's evaluation
            total = sum(
                vae_loss(*_with_target(twin(test_x[i : i + 200]), test_x[i : i + 200]))[0].item()
                * len(test_x[i : i + 200])
                for i in range(0, len(test_x), 200)
            )
        losses.append(total / len(test_x))
    return losses


def _with_target(outputs, x):
    reconstruction, mu, logvar = outputs
    return reconstruction, x, mu, logvar


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--torch-threads", type=int, default=2)
    args = parser.parse_args()

    import torch

    from scratchae.data import load_dataset

    torch.set_num_threads(args.torch_threads)
    train = load_dataset("sample", split="train").images
    test = load_dataset("sample", split="test").images
    print(
        f"MLP VAE, embedded sample ({len(train)} training, {len(test)} test images), batch 128, Adam lr 1e-3, "
        f"{args.epochs} epochs; test negative ELBO per image (nats), one sample of z per image"
    )
    print(f"{'seed':>4}  {'scratchae':>10}  {'PyTorch':>10}  {'difference':>10}  seconds (scratchae, PyTorch)")
    rows = []
    for seed in args.seeds:
        started = time.perf_counter()
        history, initial = scratchae_run(seed, args.epochs, train, test)
        ours_seconds = time.perf_counter() - started
        started = time.perf_counter()
        theirs = torch_run(seed, args.epochs, train, test, initial)
        torch_seconds = time.perf_counter() - started
        ours = history["test_loss"][-1]
        rows.append((ours, theirs[-1]))
        print(
            f"{seed:4d}  {ours:10.2f}  {theirs[-1]:10.2f}  {100 * (ours - theirs[-1]) / theirs[-1]:+9.2f}%  "
            f"{ours_seconds:.1f}, {torch_seconds:.1f}",
            flush=True,
        )
    ours, theirs = np.mean(rows, axis=0)
    print(f"mean  {ours:10.2f}  {theirs:10.2f}  {100 * (ours - theirs) / theirs:+9.2f}%")


if __name__ == "__main__":
    main()

"""The parts of a loss made of several terms (a VAE's reconstruction and KL terms): summed over the batches
of an epoch as the loss is, and shown next to it. Plain autoencoders have none: these do nothing for them."""

from __future__ import annotations


def add_parts(sums: dict[str, float], model, reconstruction: float, weight: int) -> None:
    """Add ``weight`` times the parts of a batch's loss into ``sums``: for a model with a loss term of
    its own (a VAE), the reconstruction term and that term's parts (``kl``); nothing otherwise."""
    parts = model.latent_loss_parts()
    if parts:
        for name, value in {"reconstruction": reconstruction, **parts}.items():
            sums[name] = sums.get(name, 0.0) + value * weight


def parts_text(history: dict) -> str:
    """`` (reconstruction R, KL K; test R, K)`` for the last epoch of a VAE's history; ``""`` otherwise."""
    if not history.get("train_kl"):
        return ""
    text = f" (reconstruction {history['train_reconstruction'][-1]:.3f}, KL {history['train_kl'][-1]:.3f}"
    if history["test_kl"][-1] is not None:
        text += f"; test {history['test_reconstruction'][-1]:.3f}, {history['test_kl'][-1]:.3f}"
    return text + ")"

"""A trained model back from its checkpoint: the model, with its weights, and its optimizer, with its state."""

from __future__ import annotations

import os

import numpy as np

from .. import optim
from ..models import build
from .checkpoint import Checkpoint, CheckpointError, load_checkpoint, load_into

#: optimizers a checkpoint can name, by class name
OPTIMIZERS = {"Adam": optim.Adam, "SGD": optim.SGD}


def restore(saved: Checkpoint | str | os.PathLike, *, source: str | None = None):
    """``(model, optimizer)`` rebuilt from a checkpoint (or its path) with its weights and state.

    ``optimizer`` is None if the checkpoint has no optimizer.
    """
    if not isinstance(saved, Checkpoint):
        source = source or os.fspath(saved)
        saved = load_checkpoint(saved)
    source = source or "checkpoint"
    c = saved.config
    try:
        model = build(c["model"], c.get("model_config", {}), dtype=np.dtype(c.get("dtype", "float32")))
        optimizer = None
        if saved.optimizer_state:
            optimizer = OPTIMIZERS[c.get("optimizer", "Adam")](model.parameters(), **c.get("optimizer_config", {}))
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"{source} has an unusable configuration: {error!r}") from None
    load_into(model, saved, optimizer, source=source)
    return model, optimizer

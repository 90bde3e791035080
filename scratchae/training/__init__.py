"""Training the autoencoders: the :class:`Trainer` loop and its checkpoints."""

from .checkpoint import Checkpoint, CheckpointError, load_checkpoint, load_into, save_checkpoint
from .restore import restore
from .trainer import Trainer, fit

__all__ = [
    "Trainer",
    "fit",
    "restore",
    "Checkpoint",
    "CheckpointError",
    "save_checkpoint",
    "load_checkpoint",
    "load_into",
]

"""Training the autoencoders: the :class:`Trainer` loop and its checkpoints."""

from .checkpoint import Checkpoint, CheckpointError, load_checkpoint, load_into, save_checkpoint
from .trainer import Trainer, add_noise, fit, restore

__all__ = ["Trainer", "fit", "restore", "add_noise", "Checkpoint", "CheckpointError", "save_checkpoint",
           "load_checkpoint", "load_into"]

"""scratchae: autoencoders from scratch in NumPy, every backward pass written by hand.

>>> import numpy as np
>>> from scratchae import nn, optim
>>> model = nn.Sequential(nn.Linear(4, 2), nn.ReLU(), nn.Linear(2, 4), nn.Sigmoid())
"""

from . import nn, optim
from .gradcheck import GradcheckError, gradcheck
from .random import manual_seed

__version__ = "0.2.0.dev0"  # the one place the version is written (pyproject.toml reads it)

__all__ = ["nn", "optim", "gradcheck", "GradcheckError", "manual_seed", "__version__"]

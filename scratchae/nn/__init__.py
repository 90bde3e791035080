"""Layers and losses, with PyTorch's names, argument names, weight layouts and defaults."""

from .activations import ReLU, Sigmoid
from .containers import Sequential
from .linear import Linear
from .losses import BCELoss, Loss, MSELoss
from .module import Module, Parameter
from .reshape import Flatten, Unflatten

__all__ = [
    "Module", "Parameter", "Sequential",
    "Linear", "ReLU", "Sigmoid", "Flatten", "Unflatten",
    "Loss", "MSELoss", "BCELoss",
]

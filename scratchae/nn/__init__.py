"""Layers and losses, with PyTorch's names, argument names, weight layouts and defaults."""

from .activations import ReLU, Sigmoid
from .containers import Sequential
from .conv import Conv2d
from .conv_transpose import ConvTranspose2d
from .fused import Conv2dReLU, Conv2dReLUMaxPool2d, ConvTranspose2dReLU
from .linear import Linear
from .losses import BCELoss, Loss, MSELoss
from .module import Buffer, Module, Parameter
from .pooling import MaxPool2d
from .reshape import Flatten, Unflatten
from .upsample import Upsample

__all__ = [
    "Module", "Parameter", "Buffer", "Sequential",
    "Linear", "ReLU", "Sigmoid", "Flatten", "Unflatten",
    "Conv2d", "ConvTranspose2d", "MaxPool2d", "Upsample",
    "Conv2dReLU", "Conv2dReLUMaxPool2d", "ConvTranspose2dReLU",
    "Loss", "MSELoss", "BCELoss",
]

"""Layers and losses, with PyTorch's names, argument names, weight layouts and defaults."""

from .activations import LeakyReLU, ReLU, Sigmoid, Tanh
from .containers import Identity, Sequential
from .conv import Conv2d
from .conv_transpose import ConvTranspose2d
from .dropout import Dropout
from .fused import Conv2dReLU, Conv2dReLUMaxPool2d, ConvTranspose2dReLU
from .linear import Linear
from .losses import BCELoss, L1Loss, Loss, MSELoss
from .module import Buffer, Module, Parameter
from .normalization import BatchNorm1d, BatchNorm2d
from .pooling import MaxPool2d
from .reshape import Flatten, Unflatten
from .upsample import Upsample
from .variational import GaussianKL, Reparameterize

__all__ = [
    "Module",
    "Parameter",
    "Buffer",
    "Sequential",
    "Linear",
    "ReLU",
    "Sigmoid",
    "Flatten",
    "Unflatten",
    "Conv2d",
    "ConvTranspose2d",
    "MaxPool2d",
    "Upsample",
    "Conv2dReLU",
    "Conv2dReLUMaxPool2d",
    "ConvTranspose2dReLU",
    "Loss",
    "MSELoss",
    "BCELoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Dropout",
    "LeakyReLU",
    "Tanh",
    "L1Loss",
    "Identity",
    "Reparameterize",
    "GaussianKL",
]

"""Exercises: write a layer's forward and backward yourself; the library grades them.

Each exercise is one module of this package holding its stub (the signatures, the shapes and the task),
a worked solution, hints, and a ``grade`` function; :data:`EXERCISES` lists them in teaching order.
:func:`check` grades a file (see :mod:`scratchae.exercises.engine`): forward values against the
library's layers in float64, then every gradient against central differences, naming the first wrong
value and the usual mistake behind it. The command line is ``scratchae exercises`` (list, start, check,
hint, solution).

Adding an exercise: a module with an ``EXERCISE = Exercise(...)``, and one entry below.
"""

from . import (
    autoencoder,
    conv2d,
    conv2d_input_grad,
    conv2d_weight_grad,
    conv_transpose_adjoint,
    conv_transpose_scatter,
    linear,
    max_pool_backward,
    mse,
    output_size,
    relu,
    sigmoid,
    upsample_backward,
)
from .engine import Exercise, Failed, Verdict, check

#: every exercise, in teaching order
EXERCISES: tuple[Exercise, ...] = (
    linear.EXERCISE,
    relu.EXERCISE,
    sigmoid.EXERCISE,
    mse.EXERCISE,
    conv2d.EXERCISE,
    conv2d_weight_grad.EXERCISE,
    conv2d_input_grad.EXERCISE,
    output_size.EXERCISE,
    conv_transpose_scatter.EXERCISE,
    conv_transpose_adjoint.EXERCISE,
    upsample_backward.EXERCISE,
    max_pool_backward.EXERCISE,
    autoencoder.EXERCISE,
)

__all__ = ["EXERCISES", "Exercise", "Failed", "Verdict", "check"]

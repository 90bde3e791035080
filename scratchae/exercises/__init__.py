"""Exercises: write a layer's forward and backward yourself; the library grades them.

Each exercise is one module of this package holding its stub (the signatures, the shapes and the task),
a worked solution, hints, and a ``grade`` function; :data:`EXERCISES` lists them in teaching order.
:func:`check` grades a file (see :mod:`scratchae.exercises.engine`): forward values against the
library's layers in float64, then every gradient against central differences, naming the first wrong
value and the usual mistake behind it. The command line is ``scratchae exercises`` (list, start, check,
hint, solution).

Adding an exercise: a module with an ``EXERCISE = Exercise(...)``, and one entry below.
"""

from __future__ import annotations

from . import (
    autoencoder,
    batch_norm,
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
from .engine import Exercise, Failed, Verdict
from .engine import check as check_file

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
    batch_norm.EXERCISE,
    autoencoder.EXERCISE,
)


def find(name: str) -> Exercise:
    """The exercise called ``name`` (KeyError naming the exercises otherwise)."""
    for exercise in EXERCISES:
        if exercise.name == name:
            return exercise
    raise KeyError(f"unknown exercise {name!r}; the exercises are: {', '.join(e.name for e in EXERCISES)}")


def check(exercise: Exercise | str, path: str | None = None) -> Verdict:
    """Grade a file for an exercise (an :class:`Exercise` or its name; default file ``./NAME.py``).

    >>> verdict = check("linear")                         # doctest: +SKIP
    >>> print(verdict.message)                            # doctest: +SKIP
    """
    exercise = find(exercise) if isinstance(exercise, str) else exercise
    return check_file(exercise, path if path is not None else f"{exercise.name}.py")


__all__ = ["EXERCISES", "Exercise", "Failed", "Verdict", "check", "find"]

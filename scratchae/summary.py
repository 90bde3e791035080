"""What a model is made of: each layer's output shape and parameter count, as Keras and torchinfo print it.

One forward pass runs inside :func:`~scratchae.nn.module.record_calls`, which records every module call
with its output. The calls of *leaf* modules (those without sub-modules: ``Conv2d``, ``ReLU``, ...) are
the rows of the table, named by their attribute path in the model (``conv1``, ``encoder.0``)::

    >>> from scratchae.models import build
    >>> print(build("conv").summary())                               # doctest: +SKIP
    ConvAutoencoder, input (-1, 1, 28, 28)
    ----------------------------------------------------------------
    Layer (type)                  Output Shape                Param #
    ================================================================
    conv1 (Conv2d)                [-1, 16, 28, 28]                160
    ...

The batch dimension is shown as -1 (it can be anything). Parameters are counted from the model itself,
not from the rows, so a parameter used by no layer in the forward pass still counts; buffers (a batch
normalization's running statistics) are saved but not trained, and are counted apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .models.base import Autoencoder
from .nn.module import Module, record_calls


@dataclass
class LayerCall:
    """One call of a leaf module during a forward pass."""

    name: str  # attribute path in the model, e.g. "conv1" or "decoder.0"
    module: Module
    output: object  # usually an array (N, ...); a tuple of arrays for a layer with several outputs
    params: int  # parameters of this module (counted at its first call only)


def _format_shape(shape) -> str:
    """``[-1, 16, 28, 28]``: a batch's shape with the batch dimension as -1."""
    return "[" + ", ".join(["-1"] + [str(d) for d in shape[1:]]) + "]"


def _shape_of(output) -> str:
    """The shape of a layer's output; one per array for a tuple or list of them."""
    if isinstance(output, np.ndarray):
        return _format_shape(output.shape)
    if isinstance(output, (tuple, list)):
        return ", ".join(_shape_of(o) for o in output)
    return type(output).__name__


def _unique(arrays: list) -> list:
    """Parameters or buffers without repeats (a layer held twice lists its parameters twice)."""
    return list({id(a): a for a in arrays}.values())


def _count(arrays: list) -> int:
    """How many values the distinct parameters (or buffers) hold."""
    return sum(a.data.size for a in _unique(arrays))


def _is_leaf(module: Module) -> bool:
    return next(module.named_children(), None) is None


def _sample_input(model: Module, input_shape) -> np.ndarray:
    shape = tuple(int(d) for d in input_shape)
    if not shape or any(d <= 0 for d in shape):
        raise ValueError(f"summary expected an input shape of positive sizes, e.g. (1, 1, 28, 28); got {input_shape!r}")
    params = model.parameters()
    return np.zeros(shape, dtype=params[0].dtype if params else np.float32)


def layer_calls(model: Module, x: np.ndarray, run=None) -> list[LayerCall]:
    """Run ``model(x)`` (or ``run(x)``, e.g. ``model.encode``) once in evaluation mode and return the calls
    of the model's leaf modules, in the order they ran. The model's mode is restored afterwards.

    A module called twice (a layer reused) appears twice; its parameters count at its first call only.
    """
    names: dict[int, str] = {}
    for name, module in model.named_modules():
        names.setdefault(id(module), name)  # a module held twice goes by its first name, as in PyTorch
    was_training = model.training
    model.eval()
    try:
        with record_calls() as calls:
            (model if run is None else run)(x)
    finally:
        model.train(was_training)
    rows, seen = [], set()
    for module, _, output in calls:
        if module is model or not _is_leaf(module):
            continue
        params = 0 if id(module) in seen else _count(module.parameters())
        seen.add(id(module))
        rows.append(LayerCall(names.get(id(module), "(not an attribute)"), module, output, params))
    return rows


def _encoder_rows(model: Module, x: np.ndarray, rows: list[LayerCall]) -> tuple[int | None, str | None]:
    """For an autoencoder whose forward pass starts with its encoder: the number of rows the encoder
    makes and the shape of the code. ``(None, None)`` for any other module."""
    if not isinstance(model, Autoencoder):
        return None, None
    encoder = layer_calls(model, x, run=model.encode)
    if [id(r.module) for r in encoder] != [id(r.module) for r in rows[: len(encoder)]]:
        return None, None
    return len(encoder), _shape_of(encoder[-1].output if encoder else None)


@dataclass
class ModelSummary:
    """The table :func:`summary` builds: ``str()`` or ``print()`` it; the numbers are attributes.

    Attributes
    ----------
    rows : list of LayerCall
        One per leaf-module call of the forward pass.
    code_after : int or None
        For an autoencoder, how many rows belong to the encoder (the table marks the code after them).
    code_shape : str or None
        The shape of the code, as the table shows it.
    input_shape : tuple of int
    total_params, trainable_params, non_trainable_params : int
        Every parameter is trained by the optimizers here, so ``non_trainable_params`` is 0 (Keras
        counts a batch normalization's moving statistics as non-trainable parameters; PyTorch and this
        library call them buffers).
    buffer_values : int
        Values held in buffers (saved with the model, updated by the layers themselves, not trained).
    param_bytes : int
        Memory of the parameters, in their dtype.
    """

    model_name: str
    input_shape: tuple[int, ...]
    rows: list[LayerCall]
    code_after: int | None
    code_shape: str | None
    total_params: int
    trainable_params: int
    non_trainable_params: int
    buffer_values: int
    param_bytes: int

    def table(self) -> str:
        labels = [f"{row.name} ({type(row.module).__name__})" for row in self.rows]
        shapes = [_shape_of(row.output) for row in self.rows]
        name_width = max([30] + [len(label) + 2 for label in labels])
        shape_width = max([24] + [len(shape) + 2 for shape in shapes])
        width = name_width + shape_width + 12
        lines = [
            f"{self.model_name}, input {_format_shape(self.input_shape)}",
            "-" * width,
            f"{'Layer (type)':<{name_width}}{'Output Shape':<{shape_width}}{'Param #':>12}",
            "=" * width,
        ]
        for i, (label, shape, row) in enumerate(zip(labels, shapes, self.rows, strict=True)):
            lines.append(f"{label:<{name_width}}{shape:<{shape_width}}{row.params:>12,}")
            if i + 1 == self.code_after and i + 1 < len(self.rows):
                marker = f"-- code {self.code_shape} (encoder above, decoder below) "
                lines.append(f"{marker:-<{width}}")
        lines += [
            "=" * width,
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.non_trainable_params:,}",
        ]
        if self.buffer_values:
            lines.append(f"Buffers (saved, not trained): {self.buffer_values:,} values")
        lines += ["-" * width, f"Params size: {_bytes(self.param_bytes)}"]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:  # a notebook or the REPL shows the table
        return self.table()


def _bytes(n: int) -> str:
    return f"{n:,} bytes" if n < 1024 else f"{n / 1024:,.2f} KiB" if n < 1024**2 else f"{n / 1024**2:,.2f} MiB"


def summary(model: Module, input_shape=(1, 1, 28, 28)) -> ModelSummary:
    """The layers of ``model`` with their output shapes and parameter counts, and the totals.

    Parameters
    ----------
    model : scratchae.nn.Module
    input_shape : tuple of int, default (1, 1, 28, 28)
        Shape of the batch the forward pass is run on (zeros of the model's dtype), batch first.

    Returns
    -------
    ModelSummary
        Prints as the table (``print(summary(model))``).
    """
    x = _sample_input(model, input_shape)
    rows = layer_calls(model, x)
    code_after, code_shape = _encoder_rows(model, x, rows)
    params = _unique(model.parameters())
    total = _count(params)
    return ModelSummary(
        model_name=type(model).__name__,
        input_shape=x.shape,
        rows=rows,
        code_after=code_after,
        code_shape=code_shape,
        total_params=total,
        trainable_params=total,
        non_trainable_params=0,
        buffer_values=_count(model.buffers()),
        param_bytes=sum(p.data.nbytes for p in params),
    )

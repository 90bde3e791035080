"""The layer API every layer plugs into: :class:`Parameter` and :class:`Module`.

A module computes ``y = f(x; theta)`` in :meth:`Module.forward` and keeps what its backward needs.
:meth:`Module.backward` receives the upstream gradient ``dL/dy`` and, by the chain rule,

.. math::

    \\frac{\\partial L}{\\partial x} = \\frac{\\partial L}{\\partial y}\\,\\frac{\\partial y}{\\partial x},
    \\qquad
    \\frac{\\partial L}{\\partial \\theta} \\mathrel{+}= \\frac{\\partial L}{\\partial y}\\,
    \\frac{\\partial y}{\\partial \\theta},

returning ``dL/dx`` and *adding* ``dL/dtheta`` into each parameter's ``.grad`` (as PyTorch accumulates
``.grad`` until ``zero_grad()``).

A module may also keep :class:`Buffer` arrays: state that is saved with the parameters but not trained
(a batch normalization's running mean). And it is in training mode or in evaluation mode
(:meth:`Module.train`, :meth:`Module.eval`), for the layers that behave differently (dropout, batch
normalization).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:  # only for the annotation: scratchae.summary imports this module
    from ..summary import ModelSummary

#: one recorded call: the module, the positional arguments it was called with, what it returned
Call = tuple["Module", tuple[Any, ...], Any]

#: the open :func:`record_calls` blocks, innermost last
_recorders: list[list[Call]] = []

T = TypeVar("T")


@contextlib.contextmanager
def record_calls() -> Iterator[list[Call]]:
    """Record every module call made inside the block: a list of ``(module, inputs, output)``, in the
    order the calls *returned* (a layer before the model that called it).

    >>> with record_calls() as calls:                     # doctest: +SKIP
    ...     model(images)
    >>> [(type(m).__name__, y.shape) for m, _, y in calls]   # doctest: +SKIP
    """
    calls: list[Call] = []
    _recorders.append(calls)
    try:
        yield calls
    finally:
        _recorders.remove(calls)


class Parameter:
    """A trainable array and the gradient accumulated for it.

    Attributes
    ----------
    data : numpy.ndarray
        The value.
    grad : numpy.ndarray
        ``dL/d(data)``, same shape and dtype as ``data``; zero until a backward pass adds to it.
    """

    def __init__(self, data: np.ndarray):
        self.data = np.ascontiguousarray(data)
        self.grad = np.zeros_like(self.data)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def zero_grad(self) -> None:
        self.grad[...] = 0

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Buffer:
    """An array a module keeps and saves, but does not train (PyTorch's ``register_buffer``).

    Attributes
    ----------
    data : numpy.ndarray
        The value, updated by the module itself (e.g. a running mean during training).
    """

    def __init__(self, data: np.ndarray):
        self.data = np.asarray(data, order="C")  # not ascontiguousarray: a count stays 0-d, shape ()

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def __repr__(self) -> str:
        return f"Buffer(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class of every layer and model.

    Subclasses implement ``forward(x)`` and ``backward(grad_out)``. Parameters and sub-modules are found
    by walking the instance's attributes in the order they were assigned, which gives PyTorch's dotted
    names (``conv1.weight``, ``0.bias``, ...).

    Attributes
    ----------
    needs_input_grad : bool, default True
        Whether :meth:`backward` must return ``dL/dx``. A layer that reads data
        rather than another layer's output (the first layer of a model) does not need it: set it to
        ``False`` and the layers with a costly input gradient (:class:`~scratchae.nn.Linear`,
        :class:`~scratchae.nn.Conv2d`, :class:`~scratchae.nn.ConvTranspose2d`) skip that computation and
        return ``None``, still adding their parameter gradients. PyTorch does the same for inputs that
        do not require grad (``ctx.needs_input_grad`` in a custom ``autograd.Function``).
    """

    needs_input_grad = True

    #: training mode (True, the default) or evaluation mode; set with :meth:`train` / :meth:`eval`
    training = True

    # -- forward / backward -------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        output = self.forward(*args, **kwargs)
        if _recorders:  # inside a record_calls() block
            _recorders[-1].append((self, args, output))
        return output

    # The signatures below are the loosest there are, so that each layer declares its own: most take
    # and return one array, ``forward(x) -> y`` and ``backward(grad_out) -> grad_x`` (``grad_x`` is
    # None when ``needs_input_grad`` is False), but a loss takes ``forward(prediction, target)`` and
    # returns a float, and ``Reparameterize.forward(mu, logvar)`` takes two arrays.
    def forward(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - abstract
        """Compute the output from the input(s) and keep what :meth:`backward` needs."""
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - abstract
        """Take ``dL/d(output)``, return ``dL/d(input)`` and add ``dL/d(parameter)`` into each ``.grad``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    # -- parameters ---------------------------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def _named(self, kind: type[T], prefix: str, seen: set[int]) -> Iterator[tuple[str, T]]:
        """Every attribute of type ``kind`` (Parameter or Buffer) here and in the children, by dotted name,
        each array once (a layer used twice is listed under its first name, as PyTorch does)."""
        for name, value in vars(self).items():
            full = f"{prefix}.{name}" if prefix else name
            if isinstance(value, kind) and id(value) not in seen:
                seen.add(id(value))
                yield full, value
            elif isinstance(value, Module):
                yield from value._named(kind, full, seen)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        return self._named(Parameter, prefix, set())

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Buffer]]:
        return self._named(Buffer, prefix, set())

    def buffers(self) -> list[Buffer]:
        return [b for _, b in self.named_buffers()]

    # -- modes --------------------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Put this module and every module inside it in training mode (or evaluation mode with
        ``mode=False``); returns ``self``, as ``torch.nn.Module.train``."""
        if not isinstance(mode, bool):
            raise TypeError(f"{self._name()}.train expected a bool mode, got {mode!r}")
        for _, module in self.named_modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``. Dropout passes its input through, batch normalization uses
        its running statistics."""
        return self.train(False)

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    # -- dtype --------------------------------------------------------------------------------------
    def to(self, dtype: npt.DTypeLike) -> Module:
        """Convert every parameter (value and gradient) and every floating-point buffer to ``dtype`` in
        place; returns ``self``. (An integer buffer, such as a count of batches, stays an integer.)"""
        dtype = np.dtype(dtype)
        if dtype.kind != "f" or dtype.itemsize < 4:
            raise TypeError(f"{type(self).__name__}.to expected float32 or float64, got {dtype}")
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            p.grad = p.grad.astype(dtype)
        for b in self.buffers():
            if b.dtype.kind == "f":
                b.data = b.data.astype(dtype)
        return self

    # -- state dict ---------------------------------------------------------------------------------
    def _named_state(self, prefix: str = "") -> dict[str, Parameter | Buffer]:
        """Parameters and buffers in PyTorch's ``state_dict`` order: a module's own parameters, then its
        own buffers, then those of each child."""
        own = vars(self).items()
        state: dict[str, Parameter | Buffer] = {prefix + name: v for name, v in own if isinstance(v, Parameter)}
        state.update({prefix + name: v for name, v in own if isinstance(v, Buffer)})
        for name, child in self.named_children():
            state.update(child._named_state(f"{prefix}{name}."))
        return state

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter and buffer, keyed by its dotted name (``conv1.weight``,
        ``bn1.running_mean``, ...)."""
        return {name: p.data.copy() for name, p in self._named_state().items()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy ``state`` into the parameters and buffers (cast to their dtype), after checking every key
        and shape.

        Raises
        ------
        ValueError
            Listing every missing key, unexpected key and shape mismatch at once; nothing is changed.
        """
        own = self._named_state()
        problems = [f"missing key {k!r}" for k in own if k not in state]
        problems += [f"unexpected key {k!r}" for k in state if k not in own]
        for k, p in own.items():
            if k in state and np.shape(state[k]) != p.shape:
                problems.append(f"shape mismatch for {k!r}: expected {p.shape}, got {np.shape(state[k])}")
            elif k in state and np.asarray(state[k]).dtype.kind not in "fiu":
                problems.append(f"{k!r} should be numeric, got {np.asarray(state[k]).dtype}")
        if problems:
            raise ValueError(f"{type(self).__name__}.load_state_dict: " + "; ".join(problems))
        for k, p in own.items():
            p.data[...] = np.asarray(state[k], dtype=p.dtype)

    def summary(self, input_shape: tuple[int, ...]) -> ModelSummary:
        """A table of the layers with their output shapes and parameter counts, and the totals (as Keras's
        ``model.summary()`` and torchinfo print them), from one forward pass on zeros of ``input_shape``
        (batch first). ``print()`` it; see :func:`scratchae.summary.summary`."""
        # imported here, not at the top: scratchae.summary imports this module
        from ..summary import summary

        return summary(self, input_shape)

    # -- helpers for subclasses ---------------------------------------------------------------------
    def _name(self) -> str:
        return type(self).__name__

    def _cached(self, value: T | None) -> T:
        """Return a value saved by forward, or raise if backward came first (the value is still None)."""
        if value is None:
            raise RuntimeError(f"{self._name()}.backward called before forward")
        return value

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{self._name()}({self.extra_repr()})"
        lines = [f"{self._name()}("]
        for name, child in children:
            lines.append("  " + f"({name}): {child!r}".replace("\n", "\n  "))
        lines.append(")")
        return "\n".join(lines)

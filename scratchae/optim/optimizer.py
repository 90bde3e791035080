"""Base class of the optimizers: holds the parameters, their per-parameter state and ``zero_grad``."""

from __future__ import annotations

import numpy as np

from ..nn.module import Parameter


class Optimizer:
    """Updates a list of :class:`~scratchae.nn.Parameter` from their ``.grad``.

    ``state_dict()`` returns a flat ``{name: ndarray}`` mapping (``"step"``, ``"0.exp_avg"``, ...) so
    that a checkpoint can store it in an ``.npz`` file and read it back without pickle.
    """

    #: names of the per-parameter state arrays, in the order a subclass keeps them
    state_names: tuple[str, ...] = ()

    def __init__(self, params, defaults: dict):
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        for p in self.params:
            if not isinstance(p, Parameter):
                raise TypeError(f"{type(self).__name__} expected Parameters, got {type(p).__name__}")
        lr = defaults.get("lr")
        if lr is None or not lr >= 0:
            raise ValueError(f"{type(self).__name__} expected a learning rate lr >= 0, got {lr!r}")
        self.defaults = defaults
        self.step_count = 0
        self.state = [{name: np.zeros_like(p.data) for name in self.state_names} for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- checkpointing ------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        out = {"step": np.array(self.step_count, dtype=np.int64)}
        for i, state in enumerate(self.state):
            for name, value in state.items():
                out[f"{i}.{name}"] = value.copy()
        return out

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        expected = {"step"} | {f"{i}.{n}" for i in range(len(self.params)) for n in self.state_names}
        problems = [f"missing key {k!r}" for k in sorted(expected - set(state))]
        problems += [f"unexpected key {k!r}" for k in sorted(set(state) - expected)]
        for i, p in enumerate(self.params):
            for n in self.state_names:
                k = f"{i}.{n}"
                if k in state and np.shape(state[k]) != p.shape:
                    problems.append(f"shape mismatch for {k!r}: expected {p.shape}, got {np.shape(state[k])}")
                elif k in state and np.asarray(state[k]).dtype.kind not in "fiu":
                    problems.append(f"{k!r} should be numeric, got {np.asarray(state[k]).dtype}")
        step = np.asarray(state.get("step", 0))
        if step.shape != () or step.dtype.kind not in "iu" or step < 0:
            problems.append(f"'step' should be a non-negative integer, got {step.dtype} of shape {step.shape}")
        if problems:
            raise ValueError(f"{type(self).__name__}.load_state_dict: " + "; ".join(problems))
        self.step_count = int(step)
        for i, p in enumerate(self.params):
            for n in self.state_names:
                self.state[i][n] = np.array(state[f"{i}.{n}"], dtype=p.dtype)

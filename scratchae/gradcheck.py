"""Gradient checking: compare a module's hand-written backward with central finite differences.

Why float64: a central difference :math:`(f(x+h) - f(x-h)) / 2h` has truncation error
:math:`O(h^2)` and rounding error :math:`O(\\varepsilon_{\\text{mach}} |f| / h)`. In float64
(:math:`\\varepsilon \\approx 10^{-16}`) the default :math:`h = 10^{-6}` makes both about
:math:`10^{-10}`, far below any real bug; in float32 (:math:`\\varepsilon \\approx 10^{-7}`) the rounding
error alone would be about :math:`10^{-1}`, so the check could neither pass nor fail reliably.
:func:`gradcheck` therefore runs on a float64 copy of the module and never touches the original.

Why a random upstream gradient: checking :math:`\\partial(\\sum_i g_i y_i)/\\partial x` with random
:math:`g` catches backward passes that mix up output positions, which an all-ones :math:`g` can hide.
"""

from __future__ import annotations

import copy

import numpy as np

from .nn.losses import Loss
from .nn.module import Module


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when an analytic gradient disagrees with the numeric one."""


def gradcheck(
    module: Module,
    x: np.ndarray | tuple[np.ndarray, ...],
    target: np.ndarray | None = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    check_params: bool = True,
) -> bool:
    """Check ``module.backward`` against central differences, for the input and every parameter.

    Parameters
    ----------
    module : Module
        A layer, a model, or a :class:`~scratchae.nn.Loss` (then ``target`` is required and only the
        gradient with respect to the prediction ``x`` is checked).
    x : ndarray, or tuple of ndarrays
        The input (cast to float64 for the check). A tuple holds the inputs of a module whose forward
        takes several, e.g. ``(mu, logvar)`` for :class:`~scratchae.nn.Reparameterize` or
        :class:`~scratchae.nn.GaussianKL`; its backward returns one gradient per input, in a tuple, and
        each is checked.
    eps : float, default 1e-6
        Step of the central difference.
    atol, rtol : float, default 1e-5 and 1e-3
        An element passes when ``|analytic - numeric| <= atol + rtol * |numeric|``.
    seed : int
        Seed of the random upstream gradient.
    check_params : bool, default True
        Also check every parameter's ``.grad``.

    Returns
    -------
    True when every element passes.

    Raises
    ------
    GradcheckError
        Naming the worst element: which array, its index, the analytic and numeric values and the error.

    Notes
    -----
    Inputs near a kink (ReLU at 0, ties in a max) have no derivative there; keep test inputs away
    from them. The cost is two forward passes per checked element, so use small shapes.
    """
    m = copy.deepcopy(module).to(np.float64)
    for _, layer in m.named_modules():
        layer.needs_input_grad = True  # the input gradient is checked too, even for a model's first layer
    several = isinstance(x, tuple)
    inputs = tuple(np.array(a, dtype=np.float64) for a in (x if several else (x,)))
    names = [f"input {i}" for i in range(len(inputs))] if several else ["input"]
    rng = np.random.default_rng(seed)
    is_loss = isinstance(m, Loss)
    if is_loss and target is None and not several:
        raise ValueError("gradcheck of a loss needs a target")
    args = inputs if target is None else (*inputs, np.array(target, dtype=np.float64))
    if is_loss:  # a float: one random upstream number
        upstream = float(rng.standard_normal())
    else:
        upstream = rng.standard_normal(np.shape(m(*args)))

    def objective() -> float:
        return float(np.sum(m(*args) * upstream))

    # analytic gradients
    m.zero_grad()
    m(*args)
    grads = m.backward(upstream)
    if several and not (isinstance(grads, tuple) and len(grads) == len(inputs)):
        raise GradcheckError(
            f"{type(module).__name__}.backward should return {len(inputs)} gradients (one per "
            f"input), got {type(grads).__name__}"
        )
    analytic = dict(zip(names, grads if several else (grads,), strict=True))
    params = dict(m.named_parameters()) if check_params and not is_loss else {}
    for name, p in params.items():
        analytic[name] = p.grad.copy()

    # numeric gradients, perturbing one element at a time in place
    arrays = {**dict(zip(names, inputs, strict=True)), **{name: p.data for name, p in params.items()}}
    worst = None
    for name, arr in arrays.items():
        a = analytic.get(name)
        if a is None:
            raise GradcheckError(
                f"{type(module).__name__}.backward returned None as the gradient of {name}, "
                f"expected an array of shape {arr.shape}"
            )
        if np.shape(a) != arr.shape:
            raise GradcheckError(f"gradient of {name} has shape {np.shape(a)}, expected {arr.shape}")
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + eps
            f_plus = objective()
            arr[idx] = old - eps
            f_minus = objective()
            arr[idx] = old
            numeric = (f_plus - f_minus) / (2 * eps)
            err = abs(a[idx] - numeric)
            excess = err - (atol + rtol * abs(numeric))
            if worst is None or excess > worst[0]:
                worst = (excess, name, idx, a[idx], numeric, err)
    if worst is not None and worst[0] > 0:
        _, name, idx, a, n, err = worst
        raise GradcheckError(
            f"gradcheck failed for {type(module).__name__}: worst element {name}{list(idx)}: "
            f"analytic {a:.10g}, numeric {n:.10g}, error {err:.3g} > atol {atol:g} + rtol {rtol:g} * |numeric|"
        )
    return True

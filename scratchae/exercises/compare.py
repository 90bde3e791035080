"""How the grader compares a learner's answers with the right ones: arrays value by value, gradients
against central differences, single numbers; and which hint a wrong answer earns.

A wrong answer is reported at its first wrong element, with the expected and the given value written
with as many digits as it takes to tell them apart. Its hint is that of the :class:`~.engine.Mistake`
whose wrong answer it equals (the kernel flipped, a sum forgotten...), else one read off the error
itself (all zeros, the wrong sign, a constant factor, float32 precision).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .engine import FORWARD_TOLERANCE, GRADIENT_TOLERANCE, STEP, Failed, Mistake, Tolerance, describe


def _value(mistake: Mistake):
    """The mistake's wrong answer for this case, or None when it has none here (shapes that do not fit)."""
    if not callable(mistake.value):
        return mistake.value
    try:
        return mistake.value()
    except (ValueError, IndexError):
        return None


def _shape(value):
    return None if value is None else np.shape(value)


def _generic_hint(got: np.ndarray, expected: np.ndarray) -> str | None:
    """A hint from the shape of the error alone: all zeros, the sign, a constant factor."""
    if not np.any(got) and np.any(expected):
        return "your result is all zeros: is something never added in, or a loop that never runs?"
    if np.allclose(got, -expected, **FORWARD_TOLERANCE):
        return "every value has the wrong sign."
    nonzero = np.abs(expected) > 1e-6
    if nonzero.any():
        ratio = got[nonzero] / expected[nonzero]
        factor = ratio.flat[0]
        if np.allclose(ratio, factor, rtol=1e-6) and np.allclose(got, factor * expected, **FORWARD_TOLERANCE):
            return (
                f"every value is {factor:.6g} times the right one: a factor is missing or extra "
                f"(a 2, a 1/N, a mean where a sum is wanted, or the reverse)."
            )
    return None


def _check_kind(what: str, got, expected: np.ndarray, mistakes) -> np.ndarray:
    """``got`` as an ndarray of ``expected``'s shape and dtype, else :class:`Failed`."""
    if not isinstance(got, np.ndarray):
        raise Failed(
            f"{what}: expected a NumPy array of shape {expected.shape}, got "
            f"{type(got).__name__}{' ' + repr(got) if np.isscalar(got) else ''}.",
            "return an np.ndarray (np.array(...) turns a list into one).",
        )
    if got.shape != expected.shape:
        hint = next((m.hint for m in mistakes if _shape(_value(m)) == got.shape), None)
        raise Failed(
            f"{what} has shape {got.shape}, expected {expected.shape}.",
            hint or "print the shapes as you go; the docstring of the stub gives every shape.",
        )
    if got.dtype != expected.dtype:
        raise Failed(
            f"{what} has dtype {got.dtype}, expected {expected.dtype} (the inputs are {expected.dtype}).",
            "create new arrays with np.zeros_like(...) or dtype=x.dtype, so that they have the dtype of the inputs.",
        )
    return got


def _two_numbers(expected: float, got: float) -> tuple[str, str]:
    """The two values with as many digits as it takes to tell them apart (6 at least)."""
    for digits in range(6, 18):
        a, b = f"{expected + 0.0:.{digits}g}", f"{got + 0.0:.{digits}g}"  # + 0.0: no "-0"
        if a != b:
            break
    return a, b


PRECISION_HINT = (
    "your values agree with the right ones to about 6 digits only: is something computed in "
    "float32 (dtype=np.float32)? The check runs in float64: create arrays with dtype=x.dtype."
)


def _first_wrong(
    what: str, got: np.ndarray, expected: np.ndarray, wrong: np.ndarray, source: str, mistakes, default_hint: str | None
) -> Failed:
    index = tuple(int(i) for i in np.argwhere(wrong)[0])
    count = f" ({int(wrong.sum())} of {wrong.size} values are wrong)" if wrong.size > 1 else ""
    where = f" at index {list(index)}" if got.ndim else ""
    right, wrong_value = _two_numbers(float(expected[index]), float(got[index]))
    problem = f"{what}{where}: expected {right}{source}, got {wrong_value}{count}."
    if np.allclose(got, expected, rtol=1e-4, atol=1e-6):
        return Failed(problem, PRECISION_HINT)
    hint = None
    for mistake in mistakes:
        value = _value(mistake)
        if _shape(value) == got.shape and np.allclose(got, value, **FORWARD_TOLERANCE):
            hint = mistake.hint
            break
    return Failed(problem, hint or _generic_hint(got, expected) or default_hint)


def expect_array(
    what: str,
    got,
    expected: np.ndarray,
    *,
    mistakes=(),
    hint: str | None = None,
    source: str = "",
    tolerance: Tolerance | None = None,
) -> None:
    """``got`` must be an array equal to ``expected`` (same shape and dtype, values within tolerance)."""
    got = _check_kind(what, got, expected, mistakes)
    tolerance = tolerance or FORWARD_TOLERANCE
    wrong = ~np.isclose(got, expected, **tolerance)
    if wrong.any():
        raise _first_wrong(what, got, expected, wrong, source, mistakes, hint)


def central_differences(
    forward: Callable[[], np.ndarray], x: np.ndarray, upstream: np.ndarray, step: float = STEP
) -> np.ndarray:
    r""":math:`\partial L/\partial x` with :math:`L = \sum G \cdot` ``forward()``, by central differences,
    perturbing ``x`` in place one element at a time (``forward`` reads ``x``)."""
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        kept = x[index]
        x[index] = kept + step
        plus = np.vdot(upstream, forward())
        x[index] = kept - step
        minus = np.vdot(upstream, forward())
        x[index] = kept
        numeric[index] = (plus - minus) / (2 * step)
    return numeric


def expect_gradient(
    what: str,
    got,
    *,
    wrt: np.ndarray,
    forward: Callable[[], np.ndarray],
    upstream: np.ndarray,
    exact: np.ndarray,
    mistakes=(),
    hint: str | None = None,
) -> None:
    """``got`` must be :math:`\\partial L/\\partial` ``wrt`` for :math:`L = \\sum G \\cdot` ``forward()``,
    compared with central differences (``exact``, the library's backward, gives its shape and names the
    known mistakes)."""
    got = _check_kind(what, got, exact, mistakes)
    numeric = central_differences(forward, wrt, upstream)
    if not np.allclose(numeric, exact, rtol=1e-4, atol=1e-6):  # the grader's own consistency
        raise AssertionError(f"grader: central differences disagree with the library for {what}")
    wrong = ~np.isclose(got, numeric, **GRADIENT_TOLERANCE)
    if wrong.any():
        raise _first_wrong(what, got, numeric, wrong, " (central differences)", mistakes, hint)


def expect_number(what: str, got, expected: float, *, mistakes=(), hint: str | None = None) -> float:
    """``got`` must be one number (a float, a NumPy scalar or a 0-d array) close to ``expected``."""
    if isinstance(got, np.ndarray) and got.ndim == 0:
        got = got[()]
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.integer, np.floating)):
        raise Failed(
            f"{what}: expected one number, got {describe(got)}.",
            "reduce over every element (.mean() or .sum() without an axis) and return the number.",
        )
    value = float(got)
    if not np.isclose(value, expected, **FORWARD_TOLERANCE):
        raise _first_wrong(
            what,
            np.array(value),
            np.array(expected),
            np.array(True),
            "",
            [Mistake(m.hint, np.array(_value(m), dtype=float)) for m in mistakes],
            hint,
        )
    return value


def random_upstream(rng: np.random.Generator, shape) -> np.ndarray:
    """A random upstream gradient G (random, so that a mixed-up position cannot pass)."""
    return rng.standard_normal(shape)

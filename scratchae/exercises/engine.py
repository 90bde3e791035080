r"""The grading engine: load a learner's file, call their functions, compare with the library.

:func:`check` grades one file for one :class:`Exercise`:

1. the file is loaded (a syntax error, or an exception while it runs, is reported with the line of
   *their* file);
2. on each case of the exercise (several shapes: odd sizes, stride, padding, a batch of more than one,
   more than one channel), their forward values are compared with the library's, in float64;
3. then every gradient they return is compared with float64 central differences of

   .. math:: L = \sum_i G_i\, f(x)_i, \qquad
             \frac{\partial L}{\partial x_j} \approx \frac{L(x + h e_j) - L(x - h e_j)}{2h},

   with a random upstream gradient :math:`G` and :math:`f` the library's forward (which their forward
   has just matched), so a gradient that mixes up positions cannot pass;
4. the first wrong thing stops the grading, named: which output or gradient, at which index, expected
   and got, and a hint. When the wrong answer equals what a known mistake gives (a :class:`Mistake`: the
   kernel flipped, a sum forgotten, a sign...), the hint is that mistake's.

Every failure is a :class:`Failed`, whose message is what the learner reads; the grader's own frames
never reach them. An exercise's ``grade`` function uses :meth:`Learner.call`, :func:`case`, and the comparisons of
:mod:`.compare` (``expect_array``, ``expect_gradient``, ``expect_number``), and returns what it checked
(for the success line).
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import inspect
import os
import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np

from ..kernels import use_backend


class Tolerance(TypedDict):
    """The keyword arguments of ``np.isclose`` / ``np.allclose`` that say how close is equal."""

    rtol: float
    atol: float


#: tolerances: forward values against the library, gradients against central differences
FORWARD_TOLERANCE: Tolerance = {"rtol": 1e-6, "atol": 1e-9}
GRADIENT_TOLERANCE: Tolerance = {"rtol": 1e-5, "atol": 1e-7}
STEP = 1e-6


class Failed(Exception):
    """The learner's file is not right (yet). ``str()`` is the whole message they read."""

    def __init__(self, problem: str, hint: str | None = None):
        super().__init__(problem)
        self.problem, self.hint = problem, hint
        self.where: str | None = None  # which case, set by case()

    def __str__(self) -> str:
        lines = [self.where] if self.where else []
        lines.append(self.problem)
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Exercise:
    """One exercise: what ``scratchae exercises`` lists, writes, and grades.

    ``functions`` are the names the learner's file must define; ``grade(learner)`` raises
    :class:`Failed` at the first wrong thing and otherwise returns a description of what it checked.
    """

    name: str
    summary: str
    functions: tuple[str, ...]
    stub: str
    solution: str
    hints: tuple[str, ...]
    grade: Callable[[Learner], str]


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: when the learner's result equals ``value`` (an array, or a function of no
    arguments computing it), the hint shown is ``hint``. A mistake whose shape alone matches a wrong
    shape gives its hint too."""

    hint: str
    value: object


# -- loading and calling the learner's code -------------------------------------------------------------


def describe(value) -> str:
    """A short description of an argument: arrays by shape and dtype, other values by repr."""
    if isinstance(value, np.ndarray):
        return f"array {value.shape} {value.dtype}"
    return repr(value)


def _arguments(function, args) -> str:
    """``x=array (2, 3) float64, stride=1``: the arguments of a call, named by the function's parameters."""
    bound: Iterable[tuple[str, Any]]
    try:
        bound = inspect.signature(function).bind(*args).arguments.items()
    except (TypeError, ValueError):
        bound = ((f"argument {n + 1}", a) for n, a in enumerate(args))
    return ", ".join(f"{name}={describe(value)}" for name, value in bound)


def _their_traceback(error: BaseException, path: str) -> str:
    """The frames of ``error`` that lie in the learner's folder (their file, or files it imports)."""
    folder = os.path.dirname(path)
    library = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if os.path.isabs(frame.filename)
        and os.path.dirname(frame.filename) == folder
        and not frame.filename.startswith(library + os.sep)
    ]
    lines = traceback.format_list(frames)
    lines += traceback.format_exception_only(type(error), error)
    return "".join(lines).rstrip()


class Learner:
    """The learner's loaded file: its functions are called through :meth:`call` and :meth:`run`.

    Use it as a context manager around the grading: their folder is then on ``sys.path`` (a file may
    import their earlier exercises), and the modules imported from it are forgotten afterwards, so that
    the next check sees their edits.
    """

    def __init__(self, exercise: Exercise, path: str):
        self.exercise, self.path = exercise, os.path.abspath(path)
        self.folder = os.path.dirname(self.path)
        self.module = None
        self._modules_before: set[str] = set()

    def __enter__(self) -> Learner:
        self._modules_before = set(sys.modules)
        sys.path.insert(0, self.folder)
        try:
            self.module = self._load()
            for name in self.exercise.functions:
                if not callable(vars(self.module).get(name)):
                    raise Failed(
                        f"{self.path} defines no `{name}`; the exercise asks for: {', '.join(self.exercise.functions)}",
                        f"`scratchae exercises start {self.exercise.name} --dir DIR` writes a file "
                        f"with their signatures.",
                    )
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.folder in sys.path:
            sys.path.remove(self.folder)
        for name in set(sys.modules) - self._modules_before:
            if os.path.dirname(os.path.abspath(getattr(sys.modules[name], "__file__", None) or "")) == self.folder:
                del sys.modules[name]

    def _load(self):
        spec = importlib.util.spec_from_file_location(f"scratchae_exercise_{self.exercise.name}", self.path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except SyntaxError as error:
            raise Failed(
                f"{self.path} has a syntax error:\n"
                + "".join(traceback.format_exception_only(type(error), error)).rstrip()
            ) from None
        except Exception as error:  # noqa: BLE001 (anything their file raises is reported)
            raise Failed(f"running {self.path} raised an exception:\n{_their_traceback(error, self.path)}") from None
        return module

    def call(self, name: str, *args, may_modify: bool = False):
        """``name(*args)`` from their file (see :meth:`run`)."""
        return self.run(f"`{name}`", vars(self.module)[name], *args, may_modify=may_modify)

    def run(self, label: str, function, *args, may_modify: bool = False, expected_error=None):
        """``function(*args)`` (their code, named ``label`` in messages), on copies of the arguments.

        Any exception becomes :class:`Failed` showing the lines of their file (an ``expected_error`` is
        returned instead), and so does changing an argument in place (unless ``may_modify``)."""
        copies = args if may_modify else tuple(copy.deepcopy(a) for a in args)
        try:
            result = function(*copies)
        except NotImplementedError:
            raise Failed(
                f"{label} is not written yet: it still raises NotImplementedError.",
                f"replace the `raise NotImplementedError` with your code; "
                f"`scratchae exercises hint {self.exercise.name}` helps.",
            ) from None
        except Exception as error:  # noqa: BLE001 (anything their code raises is reported)
            if expected_error is not None and isinstance(error, expected_error):
                return error
            raise Failed(
                f"{label} raised an exception:\n{_their_traceback(error, self.path)}\n"
                f"(called with {_arguments(function, args)})"
            ) from None
        if not may_modify:
            for position, (before, after) in enumerate(zip(args, copies, strict=True)):
                if isinstance(before, np.ndarray) and not np.array_equal(before, after, equal_nan=True):
                    raise Failed(
                        f"{label} changed its argument number {position + 1} ({describe(before)}) in place.",
                        "work on a new array (np.zeros_like(x), x.copy(), x + ...), never on the arrays you are given.",
                    )
        return result

    def returned(self, name: str, result, count: int, what: str) -> tuple:
        """``result`` as a tuple of ``count`` values (``what`` names them for the message)."""
        if not isinstance(result, (tuple, list)) or len(result) != count:
            got = (
                f"a {type(result).__name__} of {len(result)}"
                if isinstance(result, (tuple, list))
                else f"{describe(result)}"
            )
            raise Failed(f"`{name}` should return {count} values ({what}), got {got}.")
        return tuple(result)


@contextlib.contextmanager
def case(number: int, total: int, label: str):
    """Name the case (``case 2 of 5: ...``) in any failure raised inside the block."""
    try:
        yield
    except Failed as failure:
        if failure.where is None:
            failure.where = f"case {number} of {total}: {label}"
        raise


# -- the verdict ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str


def check(exercise: Exercise, path: str) -> Verdict:
    """Grade the file at ``path``; the library side runs on the readable NumPy kernels (no compilation).

    A wrong answer, an unfinished stub or a file that does not run gives ``Verdict(False, message)``;
    nothing the learner's code raises escapes.
    """
    try:
        with use_backend("reference"), np.errstate(all="ignore"), Learner(exercise, path) as learner:
            checked = exercise.grade(learner)
    except Failed as failure:
        return Verdict(False, f"{exercise.name}: not yet.\n{failure}")
    return Verdict(True, f"{exercise.name}: passed. {checked}")

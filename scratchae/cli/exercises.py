"""``scratchae exercises``: write a layer's forward and backward yourself; the library grades it.

::

    scratchae exercises list                      # the exercises, in teaching order
    scratchae exercises start linear              # writes ./linear.py: signatures, shapes, the task
    scratchae exercises check linear              # grades ./linear.py (exit status 0 when it passes)
    scratchae exercises hint linear
    scratchae exercises solution linear --dir solutions
"""

from __future__ import annotations

import argparse
import difflib
import os

from ..exercises import EXERCISES, Exercise, check
from .common import CommandError


def exercise_name(text: str) -> Exercise:
    """The exercise called ``text``; a usage error naming the exercises otherwise."""
    for exercise in EXERCISES:
        if exercise.name == text:
            return exercise
    names = [exercise.name for exercise in EXERCISES]
    close = difflib.get_close_matches(text, names, n=1)
    guess = f" (did you mean {close[0]!r}?)" if close else ""
    raise argparse.ArgumentTypeError(f"unknown exercise {text!r}{guess}; the exercises are: {', '.join(names)}")


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "exercises",
        help="write layers yourself, forward and backward; graded against the library and finite differences",
        description="Exercises in teaching order: `start NAME` writes a stub, `check NAME` grades it.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="the exercises, in teaching order").set_defaults(run=run_list)

    start = actions.add_parser("start", help="write NAME.py: the signatures, the shapes and the task")
    start.add_argument("name", type=exercise_name, metavar="NAME")
    start.add_argument("--dir", default=".", help="folder to write it in (default: the current folder)")
    start.set_defaults(run=run_start)

    grade = actions.add_parser("check", help="grade your NAME.py: forward values, then every gradient")
    grade.add_argument("name", type=exercise_name, metavar="NAME")
    grade.add_argument("--file", help="the file to grade (default: ./NAME.py)")
    grade.set_defaults(run=run_check)

    hint = actions.add_parser("hint", help="hints for NAME")
    hint.add_argument("name", type=exercise_name, metavar="NAME")
    hint.set_defaults(run=run_hint)

    solution = actions.add_parser("solution", help="write a worked solution as DIR/NAME.py")
    solution.add_argument("name", type=exercise_name, metavar="NAME")
    solution.add_argument("--dir", default=".", help="folder to write it in (default: the current folder)")
    solution.set_defaults(run=run_solution)


def write_new(folder: str, name: str, text: str, kind: str) -> str:
    """Write ``folder/name.py``, refusing to replace a file that exists."""
    path = os.path.join(folder, f"{name}.py")
    try:
        os.makedirs(folder, exist_ok=True)
        with open(path, "x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        if os.path.isdir(folder):
            raise CommandError(
                f"{path} exists; not overwriting it. Write the {kind} to another folder with "
                f"--dir, or move the file away."
            ) from None
        raise CommandError(f"--dir {folder}: not a folder") from None
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror}") from None
    return path


def run_list(args) -> int:
    width = max(len(exercise.name) for exercise in EXERCISES)
    for exercise in EXERCISES:
        print(f"{exercise.name:{width}s}  {exercise.summary}")
    return 0


def run_start(args) -> int:
    exercise = args.name
    path = write_new(args.dir, exercise.name, exercise.stub, "stub")
    option = "" if os.path.abspath(args.dir) == os.getcwd() else f" --file {path}"
    print(
        f"wrote {path}: fill in {', '.join(exercise.functions)}, then run\n"
        f"  scratchae exercises check {exercise.name}{option}"
    )
    return 0


def run_check(args) -> int:
    exercise = args.name
    path = args.file or os.path.join(".", f"{exercise.name}.py")
    if not os.path.isfile(path):
        raise CommandError(
            f"no file {path}: `scratchae exercises start {exercise.name}` writes one"
            + ("" if args.file else ", or give the file with --file")
        )
    verdict = check(exercise, path)
    following = EXERCISES.index(exercise) + 1
    if verdict.passed and following < len(EXERCISES):  # still one line: what passed, and what comes next
        print(f"{verdict.message} Next: scratchae exercises start {EXERCISES[following].name}")
    else:
        print(verdict.message)
    return 0 if verdict.passed else 1


def run_hint(args) -> int:
    exercise = args.name
    for number, hint in enumerate(exercise.hints, 1):
        print(f"{number}. {hint}")
    print(f"(a worked solution: scratchae exercises solution {exercise.name} --dir solutions)")
    return 0


def run_solution(args) -> int:
    exercise = args.name
    path = write_new(args.dir, exercise.name, exercise.solution, "solution")
    print(f"wrote {path}: a worked solution (scratchae exercises check {exercise.name} --file {path} passes)")
    return 0

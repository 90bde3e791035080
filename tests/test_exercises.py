"""The exercises: every solution passes, every stub and every wrong solution fails with a clear message."""

import re
import sys
from pathlib import Path

import pytest

from scratchae import cli
from scratchae.exercises import EXERCISES, check
from tests.mutants import mutants

ROOT = Path(__file__).resolve().parents[1]
BY_NAME = {exercise.name: exercise for exercise in EXERCISES}
TEACHING_ORDER = [
    "linear",
    "relu",
    "sigmoid",
    "mse",
    "conv2d",
    "conv2d_weight_grad",
    "conv2d_input_grad",
    "output_size",
    "conv_transpose_scatter",
    "conv_transpose_adjoint",
    "upsample_backward",
    "max_pool_backward",
    "batch_norm",
    "autoencoder",
]

#: mutants that compute the same thing as the solution, each with the reason (exercise, line, change)
EQUIVALENT_MUTANTS = {
    (
        "conv2d_input_grad",
        "grad_xp = np.zeros((n, c_in, h + 2 * padding",
        "2 -> 3",
    ): "a zero buffer 3p wider than the input instead of 2p: the same window is cropped out of it",
    (
        "conv_transpose_scatter",
        "canvas = np.zeros((n, c_out, h_out + 2 * padding",
        "2 -> 3",
    ): "a canvas 3p larger than the output instead of 2p: the same stamps, the same crop",
    (
        "conv_transpose_adjoint",
        "return y + bias.reshape(1, -1, 1, 1)",
        "-1 -> -2",
    ): "numpy's reshape reads any negative size as 'the rest' (-2 works as -1)",
    (
        "autoencoder",
        "return grad_y * (x > 0)",
        "Gt -> GtE",
    ): "x >= 0 differs from x > 0 only where a pre-activation is exactly 0, which random weights never "
    "give (the relu exercise grades that convention on exact zeros)",
}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.py"
    path.write_text(text)
    return path


def edited(name: str, old: str, new: str) -> str:
    """The solution of ``name`` with ``old`` (which must occur) replaced by ``new``."""
    solution = BY_NAME[name].solution
    assert old in solution
    return solution.replace(old, new)


def run(*argv):
    return cli.main([str(a) for a in argv])


def test_the_exercises_climb_in_teaching_order():
    assert [exercise.name for exercise in EXERCISES] == TEACHING_ORDER
    for exercise in EXERCISES:
        assert exercise.summary and "\n" not in exercise.summary and exercise.hints
        for function in exercise.functions:  # the stub states the task for every function it asks for
            assert re.search(rf"^(def|class) {function}\b", exercise.stub, re.M)
            assert re.search(rf"^(def|class) {function}\b", exercise.solution, re.M)


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_the_solution_passes(exercise, tmp_path):
    verdict = check(exercise, write(tmp_path, exercise.name, exercise.solution))
    assert verdict.passed, verdict.message
    assert verdict.message.startswith(f"{exercise.name}: passed.") and "\n" not in verdict.message


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_the_untouched_stub_fails_cleanly(exercise, tmp_path):
    verdict = check(exercise, write(tmp_path, exercise.name, exercise.stub))
    assert not verdict.passed
    assert "is not written yet: it still raises NotImplementedError" in verdict.message
    assert "Traceback" not in verdict.message and "engine.py" not in verdict.message


def equivalence(name: str, where: str) -> str | None:
    return next(
        (
            reason
            for (exercise, line, change), reason in EQUIVALENT_MUTANTS.items()
            if exercise == name and line in where and where.endswith(f": {change}")
        ),
        None,
    )


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_operator_mutants_of_the_solution_are_caught(exercise, tmp_path):
    """One operator, comparison, constant or index changed: the grader says "not yet" (exit status 1),
    except for the mutants listed as equivalent, which must still pass (the list is not stale)."""
    candidates = mutants(exercise.solution)
    assert len(candidates) >= 5, "too few mutants to say anything"
    survivors, equivalents = [], []
    for where, text in candidates:
        verdict = check(exercise, write(tmp_path, exercise.name, text))
        if equivalence(exercise.name, where):
            equivalents.append(where)
            assert verdict.passed, f"listed as equivalent but caught: {where}"
        elif verdict.passed:
            survivors.append(where)
        else:
            assert verdict.message.startswith(f"{exercise.name}: not yet.")
    assert survivors == []
    listed = [key for key in EQUIVALENT_MUTANTS if key[0] == exercise.name]
    assert len(equivalents) >= len(listed)


def test_the_mutator_changes_one_thing_at_a_time():
    found = dict(mutants('def f(x, y):\n    """Doc 1."""\n    return x[0, 1] + 2 * y - (-1)\n'))
    assert set(found) == {
        "line 3 `return x[0, 1] + 2 * y - (-1)`: " + change
        for change in (
            "Sub -> Add",
            "Add -> Sub",
            "Add -> Mult",
            "Mult -> Add",
            "Mult -> Div",
            "0 -> 1",
            "1 -> 2",
            "2 -> 3",
            "last two indices swapped",
            "unary minus dropped",
            "-1 -> -2",
        )
    }
    assert all("Doc 1." in text for text in found.values())  # the docstring is never mutated


# -- what a wrong file is told ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, old, new, expected",
    [
        ("conv2d", "window, weight)", "window, weight[:, :, ::-1, ::-1])", "the kernel is flipped"),
        (
            "conv2d",
            "(w + 2 * padding - kw) // stride + 1",
            "(w + 2 * padding - kw) // stride",
            "has shape (2, 4, 5, 4), expected (2, 4, 5, 5).\nhint: the output size is floor((H + 2p - kH) / s) + 1: "
            "the + 1 is missing",
        ),
        ("linear", "grad_y.sum(axis=0)", "grad_y", "grad_bias (dL/db) has shape (3, 4), expected (4,)"),
        (
            "conv2d_weight_grad",
            "grad_y.sum(axis=(0, 2, 3))",
            "grad_y.sum(axis=0)",
            "hint: sum the bias gradient over the batch and over every position",
        ),
        (
            "upsample_backward",
            "return blocks.sum(axis=(3, 5))",
            "return grad_y[:, :, ::fh, ::fw]",
            "the backward of a copy is a sum",
        ),
        (
            "max_pool_backward",
            "np.argmax(window)",
            "window.size - 1 - np.argmax(window.ravel()[::-1])",
            "case 4 of 5: x (2, 2, 4, 6), kernel_size 2, stride 2, with ties",
        ),
        (
            "max_pool_backward",
            "grad_x[b, ch, s * i + u, s * j + v] +=",
            "grad_x[b, ch, s * i + u, s * j + v] =",
            "add (+=) every gradient it receives",
        ),
        ("mse", "2.0 * (prediction - target)", "2.0 * (target - prediction)", "not 2 (target - prediction)"),
        ("relu", "grad_y * (x > 0)", "grad_y * (x >= 0)", "use x > 0, not x >= 0"),
        ("sigmoid", "grad_y * y * (1.0 - y)", "grad_y * y", "the factor (1 - y) is missing"),
        (
            "conv2d_input_grad",
            "[:, :, padding: padding + h, padding: padding + w]",
            "",
            "has shape (1, 2, 10, 11), expected (1, 2, 8, 9).\nhint: cut the padding off",
        ),
        (
            "conv_transpose_scatter",
            "canvas[:, :, stride * i: stride * i + kh, stride * j: stride * j + kw]",
            "canvas[:, :, i: i + kh, j: j + kw]",
            "the stamps go s pixels apart",
        ),
        (
            "conv_transpose_adjoint",
            "conv2d_weight_grad(grad_y, x, s, p, d, weight.shape[2:])",
            "conv2d_weight_grad(grad_y, x, s, p, d, weight.shape[2:]).transpose(1, 0, 2, 3)",
            "the gradient has the layout of the weight",
        ),
        (
            "output_size",
            "(size + 2 * padding - span) // stride + 1",
            "(size + 2 * padding - span) // stride",
            "conv_output_size(size=2, kernel_size=1): expected 2, got 1.\nhint: the + 1 is missing",
        ),
        (
            "output_size",
            "(size - 1) * stride + span - 2 * padding + output_padding",
            "(size - 1) * stride + span - 2 * padding",
            "hint: output_padding is missing",
        ),
        (
            "batch_norm",
            "var = ((x - mean) ** 2).mean(axis=AXES, keepdims=True)",
            "var = x.var(axis=AXES, ddof=1, keepdims=True)",
            "the variance is divided by m - 1",
        ),
        ("batch_norm", "/ np.sqrt(var + eps)", "/ (np.sqrt(var) + eps)", "eps goes inside the square root"),
        (
            "batch_norm",
            "grad_x = s / m * (m * d - through_mean - x_hat * through_var)",
            "grad_x = d * s",
            "with the mean and the variance held constant",
        ),
        (
            "batch_norm",
            "m * d - through_mean - x_hat * through_var",
            "m * d - through_mean",
            "the path through the variance is missing",
        ),
        (
            "batch_norm",
            "m * d - through_mean - x_hat * through_var",
            "m * d - x_hat * through_var",
            "the path through the mean is missing",
        ),
        ("batch_norm", "(grad_y * x_hat).sum(axis=AXES)", "(grad_y * x).sum(axis=AXES)", "dy/dgamma = x_hat, not x"),
        (
            "autoencoder",
            "model.params[name] -= lr * grad",
            "model.params[name] += lr * grad",
            "hint: the loss goes up: step downhill",
        ),
    ],
)
def test_a_known_mistake_gets_its_hint(name, old, new, expected, tmp_path):
    verdict = check(BY_NAME[name], write(tmp_path, name, edited(name, old, new)))
    assert not verdict.passed and expected in verdict.message, verdict.message
    assert re.search(r"expected .+, got |has shape .+, expected ", verdict.message)  # expected and got


def test_the_message_names_the_output_the_index_the_values(tmp_path):
    text = edited("linear", "return x @ weight.T + bias", "y = x @ weight.T + bias\n    y[1, 2] += 0.5\n    return y")
    message = check(BY_NAME["linear"], write(tmp_path, "linear", text)).message
    assert message.splitlines()[1] == "case 1 of 4: x (3, 5), weight (4, 5), bias (4,)"
    assert re.search(
        r"^the output y at index \[1, 2\]: expected (-?[\d.]+), got (-?[\d.]+) "
        r"\(1 of 12 values are wrong\)\.$",
        message,
        re.M,
    )


def test_a_syntax_error_is_shown_with_its_line(tmp_path):
    path = write(tmp_path, "relu", edited("relu", "def relu_backward(grad_y, x):", "def relu_backward(grad_y, x)"))
    message = check(BY_NAME["relu"], path).message
    assert str(tmp_path) not in sys.path  # the learner's folder is off the path again
    assert f"{path} has a syntax error" in message and "line 11" in message and "SyntaxError" in message
    assert "Traceback" not in message


def test_an_exception_shows_the_line_of_their_file_and_no_grader_frame(tmp_path):
    path = write(tmp_path, "linear", edited("linear", "return x @ weight.T + bias", "return x @ weight + bias"))
    message = check(BY_NAME["linear"], path).message
    assert "`linear_forward` raised an exception:" in message
    assert f'File "{path}", line 8, in linear_forward\n    return x @ weight + bias' in message
    assert "ValueError: matmul" in message
    assert "x=array (3, 5) float64, weight=array (4, 5) float64, bias=array (4,) float64" in message
    assert message.count('File "') == 1 and "scratchae" not in message.replace("scratchae exercises", "")


def test_an_exception_while_loading_shows_their_line(tmp_path):
    path = write(tmp_path, "mse", "import numpy as np\n\nSCALE = 1 / 0\n")
    message = check(BY_NAME["mse"], path).message
    assert f"running {path} raised an exception" in message and f'File "{path}", line 3' in message
    assert "ZeroDivisionError" in message and "importlib" not in message


def test_wrong_dtype_and_wrong_kind_are_named(tmp_path):
    text = edited(
        "conv2d",
        "return y + bias.reshape(1, c_out, 1, 1)",
        "return (y + bias.reshape(1, c_out, 1, 1)).astype(np.float32)",
    )
    message = check(BY_NAME["conv2d"], write(tmp_path, "conv2d", text)).message
    assert "the output y has dtype float32, expected float64" in message
    message = check(
        BY_NAME["relu"],
        write(tmp_path, "relu", edited("relu", "return np.maximum(x, 0.0)", "return np.maximum(x, 0.0).tolist()")),
    ).message
    assert "the output y: expected a NumPy array of shape (3, 4), got list" in message
    message = check(
        BY_NAME["mse"],
        write(tmp_path, "mse", edited("mse", "float(np.mean(diff * diff))", "np.mean(diff * diff, axis=0)")),
    ).message
    assert "the loss: expected one number, got array (3,) float64" in message


def test_changing_an_argument_in_place_is_refused(tmp_path):
    text = edited("relu", "return grad_y * (x > 0)", "grad_y[x <= 0] = 0\n    return grad_y")
    message = check(BY_NAME["relu"], write(tmp_path, "relu", text)).message
    assert "`relu_backward` changed its argument number 1 (array (3, 4) float64) in place" in message


def test_a_missing_function_is_named(tmp_path):
    text = BY_NAME["linear"].solution.replace("def linear_backward", "def linear_backwards")
    message = check(BY_NAME["linear"], write(tmp_path, "linear", text)).message
    assert "defines no `linear_backward`" in message and "scratchae exercises start linear" in message


def test_the_autoencoder_may_import_the_learners_earlier_files(tmp_path):
    for name in ("linear", "relu", "sigmoid", "mse"):
        write(tmp_path, name, BY_NAME[name].solution)
    solution = BY_NAME["autoencoder"].solution
    start, end = solution.index("def linear_forward"), solution.index("class Autoencoder")
    own = (
        solution[:start] + "from linear import linear_backward, linear_forward\nfrom mse import mse_backward, "
        "mse_loss\nfrom relu import relu_backward, relu_forward\nfrom sigmoid import sigmoid_backward, "
        "sigmoid_forward\n\n\n" + solution[end:]
    )
    verdict = check(BY_NAME["autoencoder"], write(tmp_path, "autoencoder", own))
    assert verdict.passed, verdict.message


def test_check_by_name_grades_the_file_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "mse", BY_NAME["mse"].solution)
    assert check("mse").passed
    with pytest.raises(KeyError, match="the exercises are: linear, relu"):
        check("mse2")


def test_a_second_check_in_the_same_process_sees_the_edited_earlier_file(tmp_path):
    """An autoencoder importing the learner's linear.py: fixing linear.py fixes the next check."""
    for name in ("relu", "sigmoid", "mse"):
        write(tmp_path, name, BY_NAME[name].solution)
    solution = BY_NAME["autoencoder"].solution
    start, end = solution.index("def linear_forward"), solution.index("def relu_forward")
    write(
        tmp_path,
        "autoencoder",
        solution[:start] + "from linear import linear_backward, linear_forward\n\n\n" + solution[end:],
    )
    write(tmp_path, "linear", edited("linear", "grad_y.T @ x", "-(grad_y.T @ x)"))
    assert not check(BY_NAME["autoencoder"], tmp_path / "autoencoder.py").passed
    write(tmp_path, "linear", BY_NAME["linear"].solution)
    assert check(BY_NAME["autoencoder"], tmp_path / "autoencoder.py").passed


# -- the command line -----------------------------------------------------------------------------------


def test_list_names_every_exercise_in_order_one_per_line(capsys):
    assert run("exercises", "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == TEACHING_ORDER
    assert all(len(line.split(maxsplit=1)) == 2 for line in lines)


def test_start_check_hint_solution(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run("exercises", "start", "relu") == 0
    assert (tmp_path / "relu.py").read_text() == BY_NAME["relu"].stub
    assert "scratchae exercises check relu" in capsys.readouterr().out
    assert run("exercises", "check", "relu") == 1  # the default file: ./relu.py
    out = capsys.readouterr().out
    assert out.startswith("relu: not yet.") and "NotImplementedError" in out
    assert run("exercises", "hint", "relu") == 0
    assert capsys.readouterr().out.startswith("1. dy/dx is 1 where x > 0")
    assert run("exercises", "solution", "relu", "--dir", "solutions") == 0
    assert run("exercises", "check", "relu", "--file", tmp_path / "solutions" / "relu.py") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith("relu: passed.") and out[-1].endswith("Next: scratchae exercises start sigmoid")


def test_start_and_solution_never_overwrite(tmp_path, capsys):
    mine = tmp_path / "linear.py"
    mine.write_text("my own attempt\n")
    for action in ("start", "solution"):
        assert run("exercises", action, "linear", "--dir", tmp_path) == 1
        assert "exists; not overwriting it" in capsys.readouterr().err
        assert mine.read_text() == "my own attempt\n"
    assert run("exercises", "start", "linear", "--dir", mine) == 1  # a file, not a folder
    assert f"--dir {mine}: not a folder" in capsys.readouterr().err


def test_check_without_a_file_says_how_to_start(tmp_path, capsys):
    assert run("exercises", "check", "mse", "--file", tmp_path / "nothing.py") == 1
    assert "no file" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [["exercises", "check", "lineer"], ["exercises", "start", "nope"], ["exercises"], ["exercises", "grade", "linear"]],
)
def test_unknown_exercises_and_actions_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "usage: scratchae exercises" in err
    if "lineer" in argv:
        assert "did you mean 'linear'?" in err and ", ".join(TEACHING_ORDER) in err


def test_every_section_of_the_transposed_convolution_doc_points_to_its_exercise():
    text = (ROOT / "docs" / "transposed-convolution.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    for section in sections:
        title = section.splitlines()[0]
        if title in ("Contents", "References"):
            continue
        named = re.findall(r"scratchae exercises start (\w+)", section)
        assert named, f"section {title!r} points to no exercise"
        assert set(named) <= set(BY_NAME), f"section {title!r}: unknown exercise in {named}"

"""The project's promises about itself: the README's commands, CI, and no torch in the library."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def readme_commands():
    return re.findall(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S)


def test_ci_runs_exactly_the_readme_test_command():
    commands = readme_commands()
    test_command = [c for c in commands if "pytest" in c]
    assert len(test_command) == 1, commands
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command[0] in ci, "the last step of .ci/run must be the README's test command"
    assert ci[-1] == test_command[0]


def test_library_never_imports_torch():
    offenders = [str(p) for p in (ROOT / "scratchae").rglob("*.py")
                 if re.search(r"^\s*(import torch|from torch)", p.read_text(), re.M)]
    assert offenders == []

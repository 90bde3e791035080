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
    offenders = [
        str(p)
        for p in (ROOT / "scratchae").rglob("*.py")
        if re.search(r"^\s*(import torch|from torch)", p.read_text(), re.M)
    ]
    assert offenders == []


LIBRARY = sorted((ROOT / "scratchae").rglob("*.py"))


def _imports(path):
    """(module, name) for every ``from module import name`` of a file (relative modules as written)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        ("." * node.level + (node.module or ""), alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    ]


def test_no_module_imports_another_modules_private_names():
    offenders = [
        f"{p.relative_to(ROOT)}: from {module} import {name}"
        for p in LIBRARY
        for module, name in _imports(p)
        if name.startswith("_") and not name.startswith("__")
    ]
    assert offenders == []


def test_the_private_name_check_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from .conv import _pair, pair\n")
    assert ("." + "conv", "_pair") in _imports(bad)


def test_no_string_keyed_lookup_between_a_layer_and_its_math():
    """No module imported by a name held in a string, and no getattr with a computed name, in the library:
    go-to-definition works. (The one exception probes whether Numba's threading layers can load.)"""
    offenders = []
    for p in LIBRARY:
        text = p.read_text(encoding="utf-8")
        if "import_module(" in text and p.relative_to(ROOT).as_posix() != "scratchae/kernels/numba/__init__.py":
            offenders.append(f"{p.relative_to(ROOT)}: import_module")
        for line in text.splitlines():
            if re.search(r"\bgetattr\(self, \w+\)", line):
                offenders.append(f"{p.relative_to(ROOT)}: {line.strip()}")
    assert offenders == []


def test_every_library_file_can_be_read_in_one_sitting():
    long = {str(p.relative_to(ROOT)): n for p in LIBRARY if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}

"""The project's promises about itself: the README's commands, CI, no torch in the library, and PyTorch
imported first wherever it is timed."""

import pathlib
import re

import pytest

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


def _imported_before(first: str, then: str, modules) -> bool:
    names = list(modules)  # sys.modules keeps the order in which modules were imported
    return first in names and then in names and names.index(first) < names.index(then)


def test_the_tests_run_pytorch_on_its_own_openmp_library(torch):
    """conftest.py imports torch before scratchae starts Numba's OpenMP threads (benchmarks/torch_first.py
    says why: else PyTorch runs on the system's libgomp, several times slower)."""
    import sys

    openmp = "numba.np.ufunc.omppool"  # loads libgomp.so.1
    assert openmp not in sys.modules or _imported_before("torch", openmp, sys.modules)


@pytest.mark.parametrize("script", ["bench_layers", "vae_vs_torch"])
def test_benchmarks_import_pytorch_before_scratchae(torch, script):
    import json
    import subprocess
    import sys

    code = f"import json, sys; sys.path.insert(0, 'benchmarks'); import {script}; print(json.dumps(list(sys.modules)))"
    modules = json.loads(
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    )
    assert "torch" in modules  # on import, before anything of scratchae that main() may load later
    assert _imported_before("torch", "scratchae", modules) or "scratchae" not in modules

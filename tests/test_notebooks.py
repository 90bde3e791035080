"""The example notebooks: generated from their `# %%` scripts (no drift), and each one runs headless.

Needs the `notebooks` extra (nbformat, nbclient, ipykernel, ipywidgets, jupytext); skipped without it.
Each notebook runs in a fresh kernel, in a temporary folder, in the examples' quick mode
(SCRATCHAE_EXAMPLE_QUICK=1: a few images, one epoch).
"""

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p for p in (ROOT / "examples").glob("*.py") if p.read_text(encoding="utf-8").startswith("# %%"))

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("ipywidgets")
pytest.importorskip("jupytext")


def builder():
    spec = importlib.util.spec_from_file_location("build_notebooks", ROOT / "scripts" / "build_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_example_is_a_script_of_cells_with_its_notebook():
    assert {p.stem for p in SCRIPTS} == {p.stem for p in (ROOT / "examples").glob("*.py")}
    assert {p.stem for p in SCRIPTS} == {p.stem for p in (ROOT / "examples").glob("*.ipynb")}
    assert "transposed_convolution_explorer" in {p.stem for p in SCRIPTS}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_the_notebook_is_generated_from_its_script(script):
    committed = script.with_suffix(".ipynb").read_text(encoding="utf-8")
    assert committed == builder().notebook_text(script), (
        f"{script.with_suffix('.ipynb').name} differs from {script.name}: run python scripts/build_notebooks.py"
    )
    notebook = json.loads(committed)
    assert all(not cell.get("outputs") for cell in notebook["cells"])  # committed without outputs


def test_the_drift_check_fails_on_a_changed_script(tmp_path, monkeypatch):
    build = builder()
    (tmp_path / "a.py").write_text("# %%\nx = 1\n")
    monkeypatch.setattr(build, "EXAMPLES", tmp_path)
    assert build.main([]) == 0 and build.main(["--check"]) == 0
    (tmp_path / "a.py").write_text("# %%\nx = 2\n")
    assert build.main(["--check"]) == 1


def errors_in(notebook) -> list[str]:
    """Error outputs of the cells, and tracebacks shown inside widgets (an ipywidgets `interact` catches
    the exceptions of its function and shows them in its output area)."""
    found = [
        f"{output['ename']}: {output['evalue']}"
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    widgets = json.dumps(notebook.metadata.get("widgets", {}))
    if "Traceback" in widgets or '"output_type": "error"' in widgets:
        found.append("an error inside a widget's output")
    return found


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_the_notebook_runs_headless(script, tmp_path, monkeypatch):
    monkeypatch.setenv("SCRATCHAE_EXAMPLE_QUICK", "1")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("PATH", os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]]))
    notebook = nbformat.read(script.with_suffix(".ipynb"), as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    assert errors_in(notebook) == []
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    assert images, "the notebook showed no figure"
    if script.stem == "transposed_convolution_explorer":
        assert any("application/vnd.jupyter.widget-view+json" in output.get("data", {}) for output in outputs)
        widget_state = json.dumps(notebook.metadata["widgets"])
        assert "IntSliderModel" in widget_state and "image/png" in widget_state  # the sliders drew a figure

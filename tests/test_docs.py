"""Run every ```python block of the documentation, so the docs cannot drift from the code.

The blocks of one file run in order in one namespace (a later block may use names defined earlier),
in a temporary working directory. A failure names the file and the line where the block starts.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "docs" / "transposed-convolution.md", ROOT / "README.md"]
BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """(line number of the first code line, code) for each ```python block of ``path``."""
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in BLOCK.finditer(text)]


def test_block_extraction_finds_blocks_and_their_lines(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("intro\n```python\na = 1\n```\ntext\n```bash\nls\n```\n```python\nb = a + 1\n```\n")
    assert python_blocks(doc) == [(3, "a = 1\n"), (10, "b = a + 1\n")]


def test_the_transposed_convolution_doc_has_code():
    assert len(python_blocks(DOCS[0])) >= 5


@pytest.mark.parametrize("path", [p for p in DOCS if p.exists()], ids=lambda p: p.name)
def test_every_python_block_runs(path, tmp_path, monkeypatch):
    import matplotlib
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__doc_snippets__"}
    blocks = python_blocks(path)
    assert blocks, f"{path.name} has no python block to run"
    for line, code in blocks:
        # blank lines in front keep the traceback's line numbers equal to the file's; a failing
        # assert (the snippets check their own claims) or any exception fails this test
        exec(compile("\n" * (line - 1) + code, str(path), "exec"), namespace)


def test_every_figure_the_doc_shows_exists():
    text = DOCS[0].read_text(encoding="utf-8")
    figures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert figures, "the doc shows no figures"
    for figure in figures:
        path = DOCS[0].parent / figure
        assert path.exists(), f"{figure} is shown in the doc but does not exist (run the figure script)"
        assert path.stat().st_size < 300_000, f"{figure} is larger than 300 KB"


def test_the_figure_script_draws_every_figure_the_doc_shows(tmp_path):
    """The example script runs, and writes exactly the PNG files the doc embeds."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "transposed_convolution_figures", ROOT / "examples" / "transposed_convolution_figures.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.main(tmp_path, gif=False)
    written = sorted(p.name for p in tmp_path.iterdir())
    shown = sorted(Path(f).name for f in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", DOCS[0].read_text(encoding="utf-8"))
                   if f.endswith(".png"))
    assert written == shown

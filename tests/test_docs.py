"""Run every ```python block of the documentation, so the docs cannot drift from the code.

The blocks of one file run in order in one namespace (a later block may use names defined earlier),
in a temporary working directory. A failure names the file and the line where the block starts.

What a block prints is checked too: when a ```python block is followed (after blank lines only) by a
```text block, the text block is the block's output as the page shows it, and the captured standard
output must equal it (trailing spaces of each line and trailing blank lines do not count). In the
transposed-convolution page a block that prints must show its output that way; the README's printed
outputs are illustrations ("prints something like") and are only compared where a ```text block
follows the code.
"""

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [
    ROOT / "docs" / "transposed-convolution.md",
    ROOT / "README.md",
    ROOT / "docs" / "building-blocks.md",
    ROOT / "docs" / "variational-autoencoder.md",
    ROOT / "docs" / "anomaly-detection.md",
]
# pages where every python block that prints must be followed by its ```text block
MUST_SHOW_OUTPUT = {DOCS[0], DOCS[2], DOCS[3], DOCS[4]}
# pages with a contents list of their sections, and figures that must exist
STRUCTURED = [DOCS[0], DOCS[3]]
BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
FENCE = re.compile(r"^```([\w+-]*)[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """(line number of the first code line, code) for each ```python block of ``path``."""
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in BLOCK.finditer(text)]


def python_blocks_with_output(path: Path) -> list[tuple[int, str, str | None]]:
    """(line, code, shown output) for each ```python block of ``path``.

    The shown output is the content of a ```text block that follows the python block with nothing but
    blank lines in between, or None when there is no such block.
    """
    text = path.read_text(encoding="utf-8")
    fences = list(FENCE.finditer(text))
    blocks = []
    for here, following in zip(fences, [*fences[1:], None], strict=True):
        if here.group(1) != "python":
            continue
        shown = None
        if (
            following is not None
            and following.group(1) == "text"
            and text[here.end() : following.start()].strip() == ""
        ):
            shown = following.group(2)
        blocks.append((text.count("\n", 0, here.start(2)) + 1, here.group(2), shown))
    return blocks


def normalized(output: str) -> str:
    """``output`` without trailing whitespace on each line and without trailing blank lines."""
    return "\n".join(line.rstrip() for line in output.splitlines()).rstrip("\n")


def run_blocks(path: Path, must_show_output: bool = True) -> int:
    """Run the python blocks of ``path`` in order, in one namespace, checking what each prints.

    Raises AssertionError (naming the file and line) when a block's output differs from the ```text
    block shown under it, or, with ``must_show_output``, when a block prints but shows no output.
    Any exception of a block propagates, with line numbers equal to the file's. Returns the number of
    blocks whose output was compared.
    """
    namespace = {"__name__": "__doc_snippets__"}
    blocks = python_blocks_with_output(path)
    assert blocks, f"{path.name} has no python block to run"
    compared = 0
    with np.printoptions():  # a block may set print options: do not leak them into other tests
        for line, code, shown in blocks:
            # blank lines in front keep the traceback's line numbers equal to the file's; a failing
            # assert (the snippets check their own claims) or any exception fails the caller
            captured = io.StringIO()
            with contextlib.redirect_stdout(captured):
                exec(compile("\n" * (line - 1) + code, str(path), "exec"), namespace)
            output = captured.getvalue()
            where = f"{path.name}, python block at line {line}"
            if shown is not None:
                assert normalized(output) == normalized(shown), (
                    f"{where}: the output differs from the ```text block under it\n"
                    f"--- shown in the page:\n{normalized(shown)}\n--- printed:\n{normalized(output)}"
                )
                compared += 1
            elif must_show_output:
                assert output.strip() == "", (
                    f"{where} prints, but no ```text block under it shows the output:\n{output}"
                )
    return compared


def test_block_extraction_finds_blocks_and_their_lines(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("intro\n```python\na = 1\n```\ntext\n```bash\nls\n```\n```python\nb = a + 1\n```\n")
    assert python_blocks(doc) == [(3, "a = 1\n"), (10, "b = a + 1\n")]


def test_output_blocks_are_found_only_right_under_the_code(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(
        "```python\nprint(1)\n```\n\n\n```text\n1\n```\n"  # blank lines only: shown
        "```python\nprint(2)\n```\nprose\n```text\n2\n```\n"  # prose between: not shown
        "```python\nx = 3\n```\n```bash\nls\n```\n```text\n3\n```\n"
    )
    assert python_blocks_with_output(doc) == [(2, "print(1)\n", "1\n"), (10, "print(2)\n", None), (17, "x = 3\n", None)]


def test_matching_output_passes_up_to_trailing_whitespace(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(
        "```python\nimport numpy as np\nprint('a  ')\nprint(np.arange(3))\nprint()\n```\n\n"
        "```text\na\n[0 1 2]\n\n\n```\n```python\nx = 1\n```\n"
    )
    assert run_blocks(doc) == 1


def test_a_mismatched_output_block_is_caught(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("```python\nprint(6 * 7)\n```\n```text\n41\n```\n")
    with pytest.raises(AssertionError, match=r"doc\.md, python block at line 2: the output differs"):
        run_blocks(doc)


def test_output_from_an_earlier_block_does_not_count_for_a_later_one(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(
        "```python\nprint('first')\n```\n```text\nfirst\n```\n"
        "```python\nprint('second')\n```\n```text\nfirst\nsecond\n```\n"
    )
    with pytest.raises(AssertionError, match="line 8: the output differs"):
        run_blocks(doc)


def test_a_block_that_prints_must_show_its_output(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("```python\nx = 2\n```\n```python\nprint(x)\n```\nno output shown\n")
    with pytest.raises(AssertionError, match="line 5 prints, but no ```text block"):
        run_blocks(doc)
    assert run_blocks(doc, must_show_output=False) == 0


def test_the_transposed_convolution_doc_has_code():
    assert len(python_blocks(DOCS[0])) >= 5


def test_the_vae_doc_checks_each_formula_with_code():
    assert len(python_blocks(DOCS[3])) >= 8


@pytest.mark.parametrize("path", [p for p in DOCS if p.exists()], ids=lambda p: p.name)
def test_every_python_block_runs_and_prints_what_the_page_shows(path, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    run_blocks(path, must_show_output=path in MUST_SHOW_OUTPUT)


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("page", STRUCTURED, ids=lambda p: p.name)
def test_the_contents_list_matches_the_sections(page):
    text = page.read_text(encoding="utf-8")
    text = FENCE.sub("", text)  # a '## ' line inside a code block is no heading
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    contents = re.findall(r"^- \[([^\]]+)\]\(#([^)]+)\)$", text, re.MULTILINE)
    assert headings[0] == "Contents"
    assert [(title, anchor(title)) for title in headings[1:]] == contents


@pytest.mark.parametrize("page", [*STRUCTURED, DOCS[4]], ids=lambda p: p.name)
def test_every_figure_the_doc_shows_exists(page):
    text = page.read_text(encoding="utf-8")
    figures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert figures, "the doc shows no figures"
    for figure in figures:
        path = page.parent / figure
        assert path.exists(), f"{figure} is shown in the doc but does not exist (run the figure script)"
        assert path.stat().st_size < 300_000, f"{figure} is larger than 300 KB"


#: figures of the doc drawn by another script, because they need trained models (tests/test_examples.py
#: runs it quickly and checks that it writes the file)
TRAINED_FIGURES = {"checkerboard-measured.png": "examples/checkerboard_artifacts.py"}


def test_the_figure_script_draws_every_figure_the_doc_shows(tmp_path):
    """The example script runs, and writes exactly the PNG files the doc embeds (but those of trained
    models, which TRAINED_FIGURES names with the script that draws them)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "transposed_convolution_figures", ROOT / "examples" / "transposed_convolution_figures.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.main(tmp_path, gif=False)
    written = sorted(p.name for p in tmp_path.iterdir())
    shown = sorted(
        Path(f).name
        for f in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", DOCS[0].read_text(encoding="utf-8"))
        if f.endswith(".png") and Path(f).name not in TRAINED_FIGURES
    )
    assert written == shown
    for figure, script in TRAINED_FIGURES.items():
        assert figure in (ROOT / script).read_text(encoding="utf-8")


def test_the_building_blocks_contents_list_matches_its_sections():
    text = FENCE.sub("", DOCS[2].read_text(encoding="utf-8"))
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    contents = re.findall(r"^- \[([^\]]+)\]\(#([^)]+)\)$", text, re.MULTILINE)
    assert headings[0] == "Contents"
    assert [(title, anchor(title)) for title in headings[1:]] == contents
    for figure in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
        assert (DOCS[2].parent / figure).exists(), figure

"""Write examples/*.ipynb from the `# %%` scripts of examples/, so that every example is also a notebook.

    python scripts/build_notebooks.py           # (re)write the notebooks
    python scripts/build_notebooks.py --check   # exit status 1 if a notebook differs from its script

The scripts are the source: edit a script, then run this. Each notebook is the script's cells, read by
jupytext (the `percent` format: `# %%` starts a code cell, `# %% [markdown]` a text cell), without
outputs, with cell ids numbered in order and no jupytext metadata, so the same script always gives the
same file, byte for byte (tests/test_notebooks.py checks that they do not drift apart). Needs the
`notebooks` extra: python -m pip install -e ".[notebooks]".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jupytext
import nbformat

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def scripts() -> list[Path]:
    """The examples written as `# %%` cells, in name order."""
    return sorted(p for p in EXAMPLES.glob("*.py") if p.read_text(encoding="utf-8").startswith("# %%"))


def notebook_text(script: Path) -> str:
    """The notebook of ``script``, as the JSON text written to disk."""
    notebook = jupytext.reads(script.read_text(encoding="utf-8"), fmt="py:percent")
    notebook.metadata = METADATA
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number:02d}"
        cell.metadata = {}
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.validate(notebook)
    return nbformat.writes(notebook) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit status 1 on a difference")
    args = parser.parse_args(argv)
    stale = []
    for script in scripts():
        path = script.with_suffix(".ipynb")
        text = notebook_text(script)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path)
        if not args.check:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if args.check and stale:
        print("out of date (run python scripts/build_notebooks.py): " + ", ".join(p.name for p in stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

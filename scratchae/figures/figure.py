"""The Figure that every function of :mod:`scratchae.figures` returns."""

from __future__ import annotations

import io

from matplotlib.figure import Figure as MatplotlibFigure


class Figure(MatplotlibFigure):
    """A matplotlib :class:`~matplotlib.figure.Figure` that a notebook shows as a PNG.

    The figures are built without ``pyplot`` (no backend, no global registry of open figures), so
    Jupyter's inline backend knows nothing of them; ``_repr_png_`` lets IPython draw one wherever it is
    displayed (the last line of a cell, ``display(fig)``), while scripts keep saving it with
    :func:`scratchae.figures.save`.
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()

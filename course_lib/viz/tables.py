"""Markdown tables in notebooks: one helper, so that every table is built (and escaped) the same way.

Light on purpose (no plotting imports): chapters 0-6 display their result tables through it.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["markdown_table", "show_table"]


def _escape(value: object) -> str:
    """``str(value)`` with every ``|`` escaped (a bare pipe would start a new column)."""
    return str(value).replace("|", "\\|")


def _cell(value: object, fmt: str) -> str:
    """One cell: numbers through ``fmt``, None/NaN as an em dash, pipes escaped."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _escape(value)
    if isinstance(value, int):
        return str(value)
    return format(value, fmt)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence], fmt: str = ".4g") -> str:
    """A Markdown table from a header and rows of cells (numbers formatted with ``fmt``).

    Integers print as they are, other numbers through ``fmt``, None and NaN as an em dash, and any
    other cell as ``str``; a ``|`` in a cell or in the header is escaped so that it cannot split the
    row. Raises ``ValueError`` when a row has another number of cells than the header.

    Examples
    --------
    >>> print(markdown_table(["k", "pass@k"], [[1, 0.25], [2, 0.4375]]))
    | k | pass@k |
    |---|---|
    | 1 | 0.25 |
    | 2 | 0.4375 |
    """
    header = [_escape(h) for h in header]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for i, row in enumerate(rows):
        row = list(row)
        if len(row) != len(header):
            raise ValueError(f"row {i} has {len(row)} cells, the header has {len(header)}: {row!r}")
        lines.append("| " + " | ".join(_cell(v, fmt) for v in row) + " |")
    return "\n".join(lines)


def show_table(header: Sequence[str], rows: Sequence[Sequence], fmt: str = ".4g", caption: str | None = None) -> None:
    """Display :func:`markdown_table` in a notebook (with an optional caption line above it)."""
    from IPython.display import Markdown, display

    text = markdown_table(header, rows, fmt)
    display(Markdown(f"{caption}\n\n{text}" if caption else text))

"""course_lib.viz.tables: the one helper behind every Markdown table of the notebooks.

Expected strings are written out by hand (GitHub-flavoured Markdown: a header row, a ``---``
separator row, one line per row, ``\\|`` for a literal pipe inside a cell).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_lib import config
from course_lib.viz.tables import markdown_table, show_table


def test_header_separator_and_rows():
    text = markdown_table(["k", "pass@k", "note"], [[1, 0.25, "one try"], [2, 0.4375, "two"]])
    assert text.splitlines() == [
        "| k | pass@k | note |",
        "|---|---|---|",
        "| 1 | 0.25 | one try |",
        "| 2 | 0.4375 | two |",
    ]


def test_numbers_use_fmt_and_integers_print_as_they_are():
    assert markdown_table(["x"], [[1 / 3]]).splitlines()[-1] == "| 0.3333 |"  # default .4g
    assert markdown_table(["x"], [[1 / 3]], fmt=".2f").splitlines()[-1] == "| 0.33 |"
    assert markdown_table(["n"], [[123456789]]).splitlines()[-1] == "| 123456789 |"  # ints are never rounded
    # NumPy scalars: float64 is a float (formatted), int64 prints as itself
    assert markdown_table(["p", "n"], [[np.float64(0.123456), np.int64(7)]]).splitlines()[-1] == "| 0.1235 | 7 |"


def test_strings_and_bools_pass_through():
    row = markdown_table(["a", "b", "c"], [["`jupyter`", True, "0.1000"]]).splitlines()[-1]
    assert row == "| `jupyter` | True | 0.1000 |"  # pre-formatted strings are not re-formatted


@pytest.mark.parametrize("missing", [None, float("nan"), math.nan, np.nan, np.float64("nan")])
def test_none_and_nan_show_as_a_dash(missing):
    assert markdown_table(["x", "y"], [[missing, 1]]).splitlines()[-1] == "| — | 1 |"


def test_pipes_are_escaped_in_cells_and_header():
    text = markdown_table(["a|b", "c"], [["x | y", "|"]])
    assert text.splitlines()[0] == "| a\\|b | c |"
    assert text.splitlines()[-1] == "| x \\| y | \\| |"
    # every line still has exactly one unescaped pipe per column boundary
    for line in text.splitlines():
        assert line.replace("\\|", "").count("|") == 3, line


def test_empty_rows_give_header_only():
    assert markdown_table(["a", "b"], []) == "| a | b |\n|---|---|"


@pytest.mark.parametrize("row", [[1], [1, 2, 3]])
def test_row_length_must_match_header(row):
    with pytest.raises(ValueError, match=r"row 1 has \d cells, the header has 2"):
        markdown_table(["a", "b"], [[0, 0], row])


def test_rows_may_be_tuples_or_generators():
    assert markdown_table(["a", "b"], ((i, i * i) for i in range(2))) == markdown_table(["a", "b"], [[0, 0], [1, 1]])


def test_show_table_displays_markdown_with_caption(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    show_table(["k"], [[1]], caption="**Table.**")
    show_table(["k"], [[2]])
    assert [type(obj).__name__ for obj in shown] == ["Markdown", "Markdown"]
    assert shown[0].data == "**Table.**\n\n| k |\n|---|\n| 1 |"
    assert shown[1].data == "| k |\n|---|\n| 2 |"


def test_course_map_is_a_well_formed_table():
    """The README's course map goes through the helper: one row per chapter plus the exercises."""
    for links, columns in (("relative", 3), ("colab", 4)):
        lines = config.course_map_markdown(links=links).splitlines()
        assert lines[1] == "|" + "---|" * columns
        assert len(lines) == 2 + len(config.CHAPTERS) + 1
        assert all(line.replace("\\|", "").count("|") == columns + 1 for line in lines)

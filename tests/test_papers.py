"""course_lib.papers: the quoted tables say where they come from and which k their pass@k is.

The numbers themselves are typed in from the papers (checked by hand against Chen et al.,
arXiv 2508.10751v1, Tables 2 and 3, and the repository figure that reprints them); what is tested
here is that every row carries its source and its k, that a column cannot mix two k, and that
the readings written in the docstrings are what the rows say.
"""

from __future__ import annotations

import pytest

from course_lib import papers

TABLES = {"7B": papers.CHEN_ENIGMATA, "32B": papers.CHEN_ENIGMATA_32B, "VL": papers.CHEN_SEED_VL}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_row_names_its_table_and_k(name):
    rows = TABLES[name]
    assert [r.recipe for r in rows] == [r.recipe for r in papers.CHEN_ENIGMATA]  # same four recipes
    for r in rows:
        assert "2508.10751" in r.source and ("Table 2" in r.source or "Table 3" in r.source)
        assert r.k == 8 and r.k_stated is False  # inferred: the tables' captions give no k
        assert 0 < r.pass_at_1 <= r.pass_at_k <= 100
    assert papers.pass_at_k_header(rows) == "pass@8 (%, k inferred)"


def test_the_chapters_tables_are_the_three_tables():
    assert list(papers.CHEN_TABLES.values()) == [papers.CHEN_ENIGMATA, papers.CHEN_ENIGMATA_32B, papers.CHEN_SEED_VL]
    for title, rows in papers.CHEN_TABLES.items():  # each title names the model its rows' source names
        assert rows[0].source.rsplit(", ", 1)[1].removesuffix(" rows").split(" (")[0] in title


def test_the_note_says_why_k_is_inferred():
    note = papers.CHEN_K_NOTE
    assert "inferred" in note and "8 samples" in note and "Appendix A.2" in note and "Figure 12" in note


def test_a_column_cannot_mix_two_k():
    mixed = (papers.CHEN_ENIGMATA[0], papers.Reported("x", 1.0, 2.0, 4, True, "a test"))
    with pytest.raises(ValueError, match="different k"):
        papers.pass_at_k_header(mixed)
    stated = (papers.Reported("x", 1.0, 2.0, 4, True, "a test"),)
    assert papers.pass_at_k_header(stated) == "pass@4 (%)"


def test_the_docstring_readings_are_what_the_rows_say():
    base, p1, pk, both = papers.CHEN_ENIGMATA
    assert pk.pass_at_1 > p1.pass_at_1 and pk.pass_at_k > p1.pass_at_k  # 7B: pass@k training ahead on both
    assert both.pass_at_1 > pk.pass_at_1 and both.pass_at_k > pk.pass_at_k  # the two phases best on both
    _, p1, pk, both = papers.CHEN_ENIGMATA_32B  # 32B: "0.7 behind, 1.4 ahead; 1.6 and 1.9"
    assert round(p1.pass_at_1 - pk.pass_at_1, 1) == 0.7 and round(pk.pass_at_k - p1.pass_at_k, 1) == 1.4
    assert round(both.pass_at_1 - p1.pass_at_1, 1) == 1.6 and round(both.pass_at_k - p1.pass_at_k, 1) == 1.9
    assert papers.reported_rows(papers.CHEN_SEED_VL)[-1] == ["pass@k training, then pass@1 training", 64.4, 80.7]

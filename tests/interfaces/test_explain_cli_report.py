"""The report's "why" section (:mod:`chipstress.interfaces.report.explain`)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from chipstress import read_network
from chipstress.interfaces.report._html import Page
from chipstress.interfaces.report.explain import explain_section, explained_sites_sections
from chipstress.workflows.explain import explain

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny"


def _text(page: Page) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", "".join(page.parts)))


def test_section_shows_the_explanation() -> None:
    page = Page("t")
    explain_section(page, explain(read_network(TINY), "water"))
    html = "".join(page.parts)
    assert '<h2 id="explain-water">Why Water district matters</h2>' in html
    text = _text(page)
    assert "exposed" in text and "1.00 weeks" in text and "0.25 weeks" in text
    assert "none: single-sourced" in text
    assert "its stock runs out" in text
    assert "3,000 USD" in text
    assert "hold 600 more units of water at water" in text
    assert "600 units per week of capacity" in text


def test_covered_and_forever_sites() -> None:
    page = Page("t")
    explain_section(page, explain(read_network(TINY), "resist_b"))
    text = _text(page)
    assert "covered" in text and "forever" in text
    assert "Nothing runs out" in text and "its recovery may take any time" in text


def test_worst_sites_of_a_sweep_table() -> None:
    page = Page("t")
    table = pd.DataFrame({"node": ["water", "fab", "gas"], "duration": [1.0, float("nan"), 6.0]})
    shown = explained_sites_sections(page, read_network(TINY), table, count=2)
    assert [e.site for e in shown] == ["water", "fab"]
    assert shown[1].ttr == 4  # no duration in the table: its own TTR
    assert "".join(page.parts).count("<h2") == 2

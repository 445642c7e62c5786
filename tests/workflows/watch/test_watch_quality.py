"""Measured quality of the news reader on the labelled set, and the scorer itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chipstress.errors import InvalidInput
from chipstress.model.builtin import load_builtin
from chipstress.workflows.watch.classify import Reader
from chipstress.workflows.watch.quality import Counts, LabelledItem, load_labelled, score

LABELLED = Path(__file__).resolve().parents[2] / "fixtures" / "watch" / "labelled"
FILES = (
    *(f"dev{n}.jsonl" for n in ("", 2, 3, 4)),
    *(f"heldout{n}.jsonl" for n in ("", *range(2, 26))),
)


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader(load_builtin())


def _item(title: str, expect: tuple = (), language: str = "en") -> LabelledItem:
    return LabelledItem("t", language, title, "", "2026-03-02", expect)


def test_scorer_counts_by_hand(reader: Reader) -> None:
    items = [
        # true positive
        _item("A fire broke out at TSMC Fab 14", (("fire", ("tsmc_fab14",)),)),
        # false negative: the reader needs a site for a fire, and "Tainan" is not one
        _item("A fire broke out in Tainan", (("fire", ("tainan",)),)),
        # false positive: labelled none
        _item("Port of Kaohsiung closed for two days"),
        # true negative
        _item("TSMC signs cooperation agreement with Kumamoto"),
        # a repeat of one disruption in one item counts once
        _item(
            "Fire at TSMC Fab 14. TSMC Fab 14 fire burned for hours.",
            (("fire", ("tsmc_fab14",)),),
        ),
    ]
    report = score(items, reader)
    assert (report.overall.tp, report.overall.fp, report.overall.fn) == (2, 1, 1)
    assert report.overall.precision == pytest.approx(2 / 3)
    assert report.overall.recall == pytest.approx(2 / 3)
    assert (report.by_hazard["port_closure"].fp, report.by_hazard["fire"].fn) == (1, 1)
    assert report.mistakes == [
        "t: missed fire@tainan",
        "t: false port_closure@port_kaohsiung/kaohsiung",
    ]
    assert "| **overall** (5 items) | 3 | 0.667 | 0.667 |" in report.table()


def test_counts_of_nothing_are_perfect() -> None:
    assert (Counts().precision, Counts().recall) == (1.0, 1.0)


def test_labelled_set_size_and_languages() -> None:
    items = [i for f in FILES for i in load_labelled(LABELLED / f)]
    assert len(items) >= 200
    assert {i.language for i in items} == {"en", "zh-TW", "zh-CN", "ja"}
    assert sum(1 for i in items if not i.expect) >= 100  # hard negatives
    assert sum(1 for i in items if len(i.expect) > 1) >= 10  # multi-event items
    assert len({i.item_id for i in items}) == len(items)


def test_quality_targets_overall(reader: Reader) -> None:
    items = [i for f in FILES for i in load_labelled(LABELLED / f)]
    report = score(items, reader)
    assert report.overall.precision >= 0.95, report.mistakes
    assert report.overall.recall >= 0.85, report.mistakes


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("nope", "line 1: not valid JSON"),
        ("[1]", "line 1: expected an object"),
        ('{"id": 1, "language": "en", "title": "x"}', "line 1: field 'id' must be a string"),
        (
            '{"id": "a", "language": "en", "title": "x", "expect": {}}',
            "line 1: 'expect' must be a list",
        ),
        (
            '{"id": "a", "language": "en", "title": "x", "expect": [{"hazard": "fire"}]}',
            r"expect\[0\] needs 'hazard' and 'place'",
        ),
    ],
)
def test_load_labelled_errors(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        load_labelled(path)


def test_labelled_files_are_valid_json_lines() -> None:
    for name in FILES:
        for line in (LABELLED / name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            assert set(record) == {"id", "language", "title", "body", "published", "expect"}

"""Measured quality: precision and recall of the news reader on a labelled set.

A labelled file is JSON lines, one item each::

    {"id": "en-001", "language": "en", "title": "...", "body": "...",
     "published": "2026-03-02", "expect": [{"hazard": "earthquake", "place": "hualien"}]}

``expect`` is empty for an item that reports no disruption (a drill, a visit, a park
fountain ...). ``place`` may list alternatives separated by ``/``; a reading matches an
expectation when the hazards are equal and one alternative is among the reading's places.
Readings of one hazard and place within an item count once (repeats on a page are one
event). Precision is matched readings over readings; recall is matched expectations over
expectations (docs/watch.md, "Measured quality").
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chipstress.errors import InvalidInput
from chipstress.workflows.watch.classify import Reader, Reading, hazard_name
from chipstress.workflows.watch.dates import parse_timestamp
from chipstress.workflows.watch.dedupe import dedupe
from chipstress.workflows.watch.sightings import Evidence, Sighting, WatchEvent

__all__ = ["Counts", "LabelledItem", "QualityReport", "load_labelled", "score"]


@dataclass(frozen=True)
class LabelledItem:
    """One labelled news item: its text and the disruptions it reports."""

    item_id: str
    language: str
    title: str
    body: str
    published: str | None
    expect: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass
class Counts:
    """True positives, false positives and false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 1 when nothing was read."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 1 when nothing was expected."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class QualityReport:
    """Counts overall, per language and per hazard, and the items read wrong."""

    overall: Counts = field(default_factory=Counts)
    by_language: dict[str, Counts] = field(default_factory=dict)
    by_hazard: dict[str, Counts] = field(default_factory=dict)
    items: int = 0
    mistakes: list[str] = field(default_factory=list)

    def table(self) -> str:
        """A Markdown table of precision and recall (overall, per language, per hazard)."""
        lines = ["| slice | items or cases | precision | recall |", "|---|---:|---:|---:|"]

        def row(name: str, c: Counts) -> None:
            cases = c.tp + c.fn
            lines.append(f"| {name} | {cases} | {c.precision:.3f} | {c.recall:.3f} |")

        lines.append(
            f"| **overall** ({self.items} items) | {self.overall.tp + self.overall.fn} | "
            f"{self.overall.precision:.3f} | {self.overall.recall:.3f} |"
        )
        for language in sorted(self.by_language):
            row(f"language {language}", self.by_language[language])
        for hazard in sorted(self.by_hazard):
            row(f"hazard {hazard}", self.by_hazard[hazard])
        return "\n".join(lines)


def _expectations(raw: Any, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(raw, list):
        raise InvalidInput(f"{where}: 'expect' must be a list")
    out = []
    for n, entry in enumerate(raw):
        if not isinstance(entry, dict) or "hazard" not in entry or "place" not in entry:
            raise InvalidInput(f"{where}: expect[{n}] needs 'hazard' and 'place'")
        out.append((str(entry["hazard"]), tuple(str(entry["place"]).split("/"))))
    return tuple(out)


def load_labelled(path: str | Path) -> list[LabelledItem]:
    """Read a labelled JSON-lines file.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    list of LabelledItem

    Raises
    ------
    InvalidInput
        Naming the file, line and field of any bad record.
    """
    items = []
    text = Path(path).read_text(encoding="utf-8")
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}, line {n}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{where}: not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise InvalidInput(f"{where}: expected an object")
        for name in ("id", "language", "title"):
            if not isinstance(record.get(name), str):
                raise InvalidInput(f"{where}: field '{name}' must be a string")
        items.append(
            LabelledItem(
                record["id"],
                record["language"],
                record["title"],
                str(record.get("body") or ""),
                record.get("published"),
                _expectations(record.get("expect", []), where),
            )
        )
    return items


def _merged(readings: list[Reading]) -> list[WatchEvent]:
    """Readings of one item merged as the intake merges them (repeats count once)."""
    evidence = Evidence("labelled", "item", "", "")
    return dedupe(Sighting(r.event, r.places, None, r.confidence, evidence) for r in readings)


def score(items: Iterable[LabelledItem], reader: Reader) -> QualityReport:
    """Precision and recall of ``reader`` on labelled items.

    Parameters
    ----------
    items
        The labelled items.
    reader
        The reader (and so the network and gazetteer) under test.

    Returns
    -------
    QualityReport
    """
    report = QualityReport()
    for item in items:
        report.items += 1
        published = parse_timestamp(item.published) if item.published else None
        readings, _ = reader.read(
            item.title, item.body, item.language, published.date() if published else None
        )
        found = [(hazard_name(e.event), e.places) for e in _merged(readings)]
        language = report.by_language.setdefault(item.language, Counts())
        matched_found: set[int] = set()
        for hazard, places in item.expect:
            hit = next(
                (
                    i
                    for i, (h, p) in enumerate(found)
                    if i not in matched_found and h == hazard and set(places) & set(p)
                ),
                None,
            )
            counts = report.by_hazard.setdefault(hazard, Counts())
            if hit is None:
                for c in (report.overall, language, counts):
                    c.fn += 1
                report.mistakes.append(f"{item.item_id}: missed {hazard}@{'/'.join(places)}")
            else:
                matched_found.add(hit)
                for c in (report.overall, language, counts):
                    c.tp += 1
        matched = [(found[j][0], set(found[j][1])) for j in matched_found]
        matched += [(h, set(p)) for h, p in item.expect]
        for i, (hazard, places) in enumerate(found):
            if i in matched_found:
                continue
            # a repeat of an expected disruption (same hazard, overlapping places) is one event
            if any(h == hazard and p & set(places) for h, p in matched):
                continue
            counts = report.by_hazard.setdefault(hazard, Counts())
            for c in (report.overall, language, counts):
                c.fp += 1
            report.mistakes.append(f"{item.item_id}: false {hazard}@{'/'.join(places)}")
    return report

"""Dates written in news and feeds: ROC years, Japanese eras, CJK and English forms.

``民國115年3月2日`` and ``115年3月2日`` (zh-TW, year + 1911), ``令和8年3月2日`` (Reiwa, year +
2018; 平成 + 1988; 元年 = 1), ``2026年3月2日``, ``2026-03-02``, ``115/03/02`` (ROC, zh-TW),
``March 2, 2026``, ``2 March 2026`` and, without a year, ``3月2日`` or ``March 2`` (the year
of the reference date, or the one before when that would put it more than 31 days after
the reference). Text is expected NFKC-normalised (full-width digits made ASCII).

dateparser does not know ROC years or Japanese eras, and is two orders of magnitude
slower than these patterns on 10,000 items, so dates are read here (docs/watch.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

__all__ = ["find_dates", "find_years", "parse_timestamp"]

_ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925}
_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))

_ROC = re.compile(r"(?:民國|民国)\s*(\d{2,3})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号號]")
_ERA = re.compile(r"(令和|平成|昭和)\s*(\d{1,2}|元)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_CJK_FULL = re.compile(r"(?<!\d)(\d{2,4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号號]")
_ISO = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_ROC_NUMERIC = re.compile(r"(?<![\d/.])(1\d{2})[/.](\d{1,2})[/.](\d{1,2})(?![\d/.])")
_EN_MDY = re.compile(
    rf"\b({_MONTH_NAMES})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b", re.IGNORECASE
)
_EN_DMY = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_NAMES})\.?(?:,?\s+(\d{{4}}))?\b", re.IGNORECASE
)
_CJK_MD = re.compile(r"(?<![\d年])(\d{1,2})\s*月\s*(\d{1,2})\s*[日号號]")


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _no_year(month: int, day: int, reference: date | None) -> date | None:
    if reference is None:
        return None
    found = _make(reference.year, month, day)
    if found is not None and found > reference + timedelta(days=31):
        found = _make(reference.year - 1, month, day)
    return found


def _cjk_year(value: int, language: str) -> int | None:
    if value >= 1900:
        return value
    if language == "zh-TW" and 60 <= value <= 200:
        return value + 1911
    return None


def _roc(m: re.Match[str], ref: date | None, language: str) -> date | None:
    return _make(int(m[1]) + 1911, int(m[2]), int(m[3]))


def _era(m: re.Match[str], ref: date | None, language: str) -> date | None:
    year = 1 if m[2] == "元" else int(m[2])
    return _make(_ERAS[m[1]] + year, int(m[3]), int(m[4]))


def _cjk_full(m: re.Match[str], ref: date | None, language: str) -> date | None:
    year = _cjk_year(int(m[1]), language)
    return _make(year, int(m[2]), int(m[3])) if year else None


def _iso(m: re.Match[str], ref: date | None, language: str) -> date | None:
    return _make(int(m[1]), int(m[2]), int(m[3]))


def _en(month: str, day: str, year: str | None, ref: date | None) -> date | None:
    number = _MONTHS[month.lower()]
    return _make(int(year), number, int(day)) if year else _no_year(number, int(day), ref)


def _en_mdy(m: re.Match[str], ref: date | None, language: str) -> date | None:
    return _en(m[1], m[2], m[3], ref)


def _en_dmy(m: re.Match[str], ref: date | None, language: str) -> date | None:
    return _en(m[2], m[1], m[3], ref)


def _cjk_md(m: re.Match[str], ref: date | None, language: str) -> date | None:
    return _no_year(int(m[1]), int(m[2]), ref)


# In order of precedence: a span read by an earlier pattern is not read again.
_READERS: tuple[
    tuple[re.Pattern[str], Callable[[re.Match[str], date | None, str], date | None]], ...
] = (
    (_ROC, _roc),
    (_ERA, _era),
    (_CJK_FULL, _cjk_full),
    (_ISO, _iso),
    (_ROC_NUMERIC, _roc),
    (_EN_MDY, _en_mdy),
    (_EN_DMY, _en_dmy),
    (_CJK_MD, _cjk_md),
)


def find_dates(text: str, reference: date | None = None, language: str = "en") -> list[date]:
    """Every date written in ``text``, in order of appearance.

    Parameters
    ----------
    text
        NFKC-normalised text.
    reference
        The date the text was published: it supplies the year of dates written without
        one (``3月2日``, ``March 2``); those are skipped when it is ``None``.
    language
        ``"zh-TW"`` reads bare three-digit years (``115年``, ``115/03/02``) as ROC years.

    Returns
    -------
    list of date
        Valid calendar dates only (``2月30日`` is skipped).
    """
    found: list[tuple[int, date]] = []
    taken: list[tuple[int, int]] = []
    for pattern, convert in _READERS:
        if pattern is _ROC_NUMERIC and language != "zh-TW":
            continue
        for m in pattern.finditer(text):
            value = convert(m, reference, language)
            if value is None or any(s < m.end() and m.start() < e for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            found.append((m.start(), value))
    return [value for _, value in sorted(found, key=lambda f: f[0])]


_YEAR = re.compile(
    r"(?:(民國|民国)\s*(\d{2,3})|(令和|平成|昭和)\s*(\d{1,2}|元)|(?<![\d.])(19\d\d|20\d\d))"
    r"(?!\d|[.,]\d|\s*(?:戸|户|戶|人|名|台|件|個|个|枚|萬|万|(?:households?|homes?|customers|people|"
    r"residents|workers|employees|tons?|tonnes?|units|wafers)\b))"
    r"(\s*年?\s*(?:以來|以来|ぶり|來|来))?"
)
_SINCE = re.compile(r"(?:since|最|worst|strongest|largest|biggest)\s*(?:in\s*)?$", re.IGNORECASE)


def find_years(text: str) -> list[int]:
    """The years a text names (``2016``, ``2016年``, ``民國105年``, ``平成28年``), Gregorian.

    A year that is a comparison point (``since 1999``, ``1999年以來``, ``25年ぶり``, ``the
    strongest since``) is not counted: it dates a record, not the event.

    Parameters
    ----------
    text
        NFKC-normalised text.

    Returns
    -------
    list of int
    """
    years = []
    for m in _YEAR.finditer(text):
        if m.group(6) or _SINCE.search(text[max(0, m.start() - 12) : m.start()]):
            continue
        if m.group(1):
            years.append(int(m.group(2)) + 1911)
        elif m.group(3):
            years.append(_ERAS[m.group(3)] + (1 if m.group(4) == "元" else int(m.group(4))))
        else:
            years.append(int(m.group(5)))
    return years


def parse_timestamp(value: str) -> datetime | None:
    """An ISO-8601 timestamp (``Z`` or an offset; naive means UTC) as aware UTC, or ``None``.

    Parameters
    ----------
    value
        ``2026-03-02T07:58:09Z``, ``2026-03-02 07:58:09+08:00``, ``2026-03-02`` ...

    Returns
    -------
    datetime or None
        In UTC; ``None`` when ``value`` is not a timestamp.
    """
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)

"""Severity written in news: magnitude, intensity, depth, stated duration, percent cut.

``M6.4``, ``規模6.4``, ``マグニチュード6.5``, ``6.2级地震``; JMA/CWA intensity ``震度6弱``,
``震度5強``, ``4級``, ``intensity 6-lower``; depth ``深度15公里``, ``深さ10キロ``, ``15 km deep``;
durations ``for five hours``, ``三天``, ``2日間``, ``1か月``, ``40 minutes`` (not ``two days
ago``); cuts ``減供11%``, ``三成``, ``3割`` when a cut word stands within 14 characters (so a
reservoir at 20% is not a 20% cut). Text is NFKC-normalised first (docs/watch.md).
"""

from __future__ import annotations

import re

from chipstress.workflows.hazards.events import Duration

__all__ = ["DEPTH", "find_duration", "find_intensity", "find_magnitude", "find_percent"]

_NUM = r"(\d+(?:\.\d+)?)"
_MAGNITUDE = re.compile(
    r"(?:\bm[wlj]?\s?|magnitude(?:-|\s)(?:of\s)?|規模\s?|芮氏規模\s?|マグニチュード\s?|震級\s?|里氏\s?)"
    r"(\d(?:\.\d)?)(?![\d.]*\s?(?:km|公里|キロ|%))"
    r"|(\d\.\d)\s?(?:級|级)?\s?(?:地震|earthquake|quake)",
    re.IGNORECASE,
)
_INTENSITY = re.compile(
    r"震度\s?([1-7])\s?(弱|強|强|級|级)?|(?:intensity|shindo)\s(?:of\s)?([1-7])\s?(upper|lower|\+|-)?",
    re.IGNORECASE,
)
DEPTH = re.compile(
    r"(?:深度|深さ|depth(?:\sof)?)\s?(?:約|约|about|of)?\s?" + _NUM + r"\s?(?:公里|km|キロ|kilomet)"
    r"|" + _NUM + r"\s?(?:km|kilometers|kilometres)\s(?:deep|below)",
    re.IGNORECASE,
)
_CN_DIGITS: dict[str, float] = {
    "一": 1,
    "二": 2,
    "兩": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
}
_CN_DIGITS.update({"七": 7, "八": 8, "九": 9, "十": 10, "半": 0.5})
_EN_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_EN_NUMBERS.update({"six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12})
_DURATION = re.compile(
    r"(\d+(?:\.\d+)?|[一二兩两三四五六七八九十半]+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve)"
    r"\s?-?\s?(?:個|个|か|ヶ|カ)?\s?"
    r"(minutes?|mins?|分鐘|分钟|分間|hours?|hrs?|days?|weeks?|months?|小時|小时|時間|天|日間|週間|週|周|星期|个月|個月|か月|ヶ月|カ月)"
    r"(?![a-z]*\s?(?:ago|前|以前|before))",
    re.IGNORECASE,
)
_UNITS = {"minute": "minute", "min": "minute", "分鐘": "minute", "分钟": "minute", "分間": "minute"}
_UNITS.update({"hour": "hour", "hr": "hour", "小時": "hour", "小时": "hour", "時間": "hour"})
_UNITS.update({"day": "day", "天": "day", "日間": "day", "week": "week", "週": "week"})
_UNITS.update({"週間": "week", "周": "week", "星期": "week", "month": "month"})
_UNITS.update({"个月": "month", "個月": "month", "か月": "month", "ヶ月": "month", "カ月": "month"})
_PERCENT = re.compile(
    r"(\d+(?:\.\d+)?)\s?(?:%|percent|per cent)|([一二兩两三四五六七八九\d])\s?(成|割)"
)
_CUT_WORDS = re.compile(
    r"(cut|reduc|curtail|save|saving|減|降|削減|カット|節水|少|lost|lose|loss|down|affect|停電|戶|户|世帯|households|customers|capacity|產能|产能|出力)",
    re.IGNORECASE,
)


def _number(text: str) -> float | None:
    text = text.lower()
    if text in _EN_NUMBERS:
        return float(_EN_NUMBERS[text])
    try:
        return float(text)
    except ValueError:
        pass
    if text == "十":
        return 10.0
    if "十" in text:
        head, _, tail = text.partition("十")
        return float(_CN_DIGITS.get(head, 1) * 10 + _CN_DIGITS.get(tail, 0))
    value = _CN_DIGITS.get(text)
    return float(value) if value is not None else None


def find_duration(text: str) -> Duration | None:
    """The first stated duration in ``text`` (``3 days``, ``三天``, ``2週間``), or ``None``.

    Parameters
    ----------
    text
        NFKC-normalised text.

    Returns
    -------
    Duration or None
        Minutes are turned into hours; a duration followed by *ago* or 前 is skipped.
    """
    for m in _DURATION.finditer(text):
        value = _number(m.group(1))
        unit = m.group(2).lower().rstrip("s")
        unit = _UNITS.get(unit, _UNITS.get(m.group(2), unit))
        if value is not None and value > 0 and unit == "minute":
            return Duration(round(value / 60, 3), "hour")
        if value is not None and value > 0 and unit in ("hour", "day", "week", "month"):
            return Duration(value, unit)
    return None


def find_percent(text: str) -> float | None:
    """A stated cut as a fraction (``20%``, ``兩成``, ``2割``) near a cut word, or ``None``.

    Parameters
    ----------
    text
        NFKC-normalised text.

    Returns
    -------
    float or None
        In (0, 1].
    """
    for m in _PERCENT.finditer(text):
        window = text[max(0, m.start() - 14) : m.end() + 14]
        if not _CUT_WORDS.search(window):
            continue
        if m.group(1) is not None:
            value = float(m.group(1)) / 100
        else:
            digit = _number(m.group(2))
            value = (digit or 0.0) / 10
        if 0 < value <= 1:
            return value
    return None


def find_magnitude(text: str) -> float | None:
    """The first magnitude in ``text`` (``M6.4``, ``規模6.4``, ``マグニチュード6.5``).

    Parameters
    ----------
    text
        NFKC-normalised text.

    Returns
    -------
    float or None
        Between 2 and 9.6.
    """
    for m in _MAGNITUDE.finditer(text):
        value = float(m.group(1) or m.group(2))
        if 2.0 <= value <= 9.6:
            return value
    return None


def find_intensity(text: str) -> str | None:
    """The highest JMA/CWA intensity stated (``4``, ``5-``, ``5+``, ``6-``, ``6+``, ``7``).

    Parameters
    ----------
    text
        NFKC-normalised text.

    Returns
    -------
    str or None
    """
    best: str | None = None
    order = ["1", "2", "3", "4", "5-", "5+", "6-", "6+", "7"]
    for m in _INTENSITY.finditer(text):
        level = m.group(1) or m.group(3)
        suffix = (m.group(2) or m.group(4) or "").lower()
        if level in ("5", "6"):
            level += "+" if suffix in ("強", "强", "upper", "+") else "-"
        if best is None or order.index(level) > order.index(best):
            best = level
    return best

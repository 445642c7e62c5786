"""Plain JSON from results: tables, numbers that may be infinite, node records.

JSON has no NaN or infinity. The API writes a missing number (NaN) as ``null`` and an
infinite one (a time-to-survive of "forever") as the string ``"Infinity"`` (or
``"-Infinity"``), which JavaScript's ``Number()`` turns back into ``Infinity``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["INFINITY", "number", "plain", "records", "series_dict"]

INFINITY = "Infinity"


def number(value: Any) -> float | str | None:
    """A float for JSON: ``None`` for NaN/None, ``"Infinity"``/``"-Infinity"`` for infinities."""
    if value is None or value is pd.NA:
        return None
    value = float(value)
    if math.isnan(value):
        return None
    if math.isinf(value):
        return INFINITY if value > 0 else f"-{INFINITY}"
    return value


def plain(value: Any) -> Any:
    """Any result value (numpy scalars, NaN, containers, frames) as plain JSON data."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, pd.DataFrame):
        return records(value)
    if isinstance(value, pd.Series):
        return series_dict(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | np.ndarray):
        return [plain(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as a list of row mappings, with JSON-safe values."""
    columns = [str(c) for c in frame.columns]
    return [
        {column: plain(value) for column, value in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def series_dict(series: pd.Series) -> dict[str, Any]:
    """A Series as ``{index: value}`` with JSON-safe values."""
    return {str(k): plain(v) for k, v in series.items()}

"""Plain JSON from results: tables, numbers that may be infinite, node records.

JSON has no NaN or infinity. The API writes a missing number (NaN) as ``null`` and an
infinite one (a time-to-survive of "forever") as the string ``"Infinity"`` (or
``"-Infinity"``), which JavaScript's ``Number()`` turns back into ``Infinity``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
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
    """Any result value (numpy scalars, NaN, containers, frames) as plain JSON data.

    Parameters
    ----------
    value
        A scalar, container, Series or DataFrame.

    Returns
    -------
    Any
        ``None``, a bool, int, float, the text ``"Infinity"``, a string, a list or a
        mapping of those.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    for types, convert in _CONVERTERS:
        if isinstance(value, types):
            return convert(value)
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


# Type -> converter, tried in order (bool before int: a bool is an int).
_CONVERTERS: tuple[tuple[type | tuple[type, ...], Callable[[Any], Any]], ...] = (
    ((bool, np.bool_), bool),
    ((int, np.integer), int),
    ((float, np.floating), number),
    (str, lambda value: value),
    (pd.DataFrame, records),
    (pd.Series, series_dict),
    (Mapping, lambda value: {str(k): plain(v) for k, v in value.items()}),
    ((list, tuple, set, np.ndarray), lambda value: [plain(v) for v in value]),
    (pd.Timestamp, lambda value: value.isoformat()),
)

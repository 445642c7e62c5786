"""A result table's rows on their way into and out of the results store.

A chunk's rows are a DataFrame or a list of records (:data:`Rows`); the rows of several
chunks are written as one frame with ``chunk`` and ``row_index`` columns
(:func:`stacked_rows`) and read back split by chunk (:func:`split_by_chunk`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chipstress.store.backends import sql_type

__all__ = ["Rows", "split_by_chunk", "stacked_rows", "text_values", "to_json", "utc_now"]

Rows = pd.DataFrame | list[dict[str, Any]]  # a table's rows: a frame, or records


def utc_now() -> str:
    """The time now (UTC, ISO 8601, to the second), as runs and chunks record it."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def to_json(value: Any) -> str:
    """``value`` as the JSON a run's parameters and summary are stored in (numpy
    numbers as numbers, paths as text, infinities and NaN as text).

    Raises
    ------
    TypeError
        A value JSON cannot hold.
    """

    def default(obj: Any) -> Any:
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, Path):
            return str(obj)
        if isinstance(obj, float) and not math.isfinite(obj):
            return str(obj)
        raise TypeError(f"cannot store {type(obj).__name__} in a run's JSON")

    return json.dumps(value, default=default, sort_keys=True, allow_nan=True)


def stacked_rows(parts: Sequence[tuple[int, Rows]]) -> pd.DataFrame:
    """Several chunks' rows of one table as one frame: ``chunk, row_index`` then the
    table's columns (text columns as ``str`` or ``None``)."""
    lengths = [len(rows) for _, rows in parts]
    records = [rows for _, rows in parts if isinstance(rows, list)]
    frames: list[pd.DataFrame]
    if len(records) == len(parts) and any(lengths):  # one frame for the whole batch
        flat = [record for rows in records for record in rows]
        frames = [pd.DataFrame(flat, columns=list(flat[0]))]
    else:
        frames = [
            rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows) for _, rows in parts
        ]
    filled = [frame for frame in frames if len(frame)]  # (empty frames: no dtypes)
    if len(filled) > 1:
        stacked = pd.concat(filled, ignore_index=True)
    else:
        stacked = (filled[0] if filled else frames[0]).reset_index(drop=True)
    stacked.columns = [str(c) for c in stacked.columns]
    for column in stacked.columns:
        if sql_type(stacked[column]) == "TEXT":
            stacked[column] = pd.Series(text_values(stacked[column]), dtype=object)
    stacked.insert(0, "row_index", np.concatenate([np.arange(n, dtype=np.int64) for n in lengths]))
    stacked.insert(
        0, "chunk", np.repeat(np.asarray([c for c, _ in parts], dtype=np.int64), lengths)
    )
    return stacked


def text_values(series: pd.Series) -> list[str | None]:
    """The values of a text column as stored: ``None`` for missing, else ``str(value)``."""
    return [
        None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
        for v in series.to_numpy(dtype=object)
    ]


def split_by_chunk(frame: pd.DataFrame) -> dict[int, pd.DataFrame]:
    """Rows in chunk order (a ``chunk`` column) split by chunk, without that column."""
    index = frame["chunk"].to_numpy(dtype=np.int64)
    if not len(index):
        return {}
    rows = frame.drop(columns="chunk")
    starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
    ends = np.r_[starts[1:], len(index)]
    return {
        int(index[a]): rows.iloc[a:b].reset_index(drop=True)
        for a, b in zip(starts, ends, strict=True)
    }

"""Coercing table columns to numbers and text, telling missing cells from wrong ones.

Cells come as read: text (CSV), typed Arrow columns (Parquet) or Python objects
(YAML, JSON, DataFrames). An integer too large for a float becomes ``inf`` (reported
as out of range by :mod:`chipstress.model.validation`), never an ``OverflowError``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["coerce_float", "coerce_str", "nan_as_text"]

_NAN_WORDS = {"nan", "+nan", "-nan"}


def coerce_float(series: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Numbers of a column: ``(values, missing, not_a_number)``.

    ``values`` holds NaN both where a cell is missing and where it literally says NaN;
    ``missing`` and ``not_a_number`` (a cell that is text or a boolean) tell them apart.
    """
    n = len(series)
    if pd.api.types.is_bool_dtype(series.dtype):
        return np.full(n, np.nan), np.zeros(n, bool), np.ones(n, bool)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = np.array(series.to_numpy(dtype=float, na_value=np.nan), copy=True)
        return values, np.isnan(values), np.zeros(n, bool)
    if (
        pd.api.types.is_string_dtype(series.dtype)
        and series.map(
            lambda v: isinstance(v, str) or v is None or (isinstance(v, float) and np.isnan(v))
        ).all()
    ):
        text = series.fillna("").astype(str).str.strip()
        missing = (text == "").to_numpy()
        values = np.array(pd.to_numeric(text.where(~missing, None), errors="coerce"), dtype=float)
        nan_word = text.str.lower().isin(_NAN_WORDS).to_numpy()
        bad = ~missing & np.isnan(values) & ~nan_word
        return values, missing, bad
    return _coerce_objects(series.tolist())


def _coerce_objects(cells: list[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mixed Python objects (YAML, JSON), element by element."""
    n = len(cells)
    values = np.full(n, np.nan)
    missing = np.zeros(n, bool)
    bad = np.zeros(n, bool)
    for i, v in enumerate(cells):
        if v is None or (isinstance(v, str) and v.strip() == ""):
            missing[i] = True
        elif isinstance(v, bool):
            bad[i] = True
        elif isinstance(v, int | float | np.integer | np.floating):
            try:
                values[i] = float(v)
            except OverflowError:  # an integer beyond a float: too large, said later
                values[i] = np.inf
        elif isinstance(v, str):
            try:
                values[i] = float(v)
            except ValueError:
                bad[i] = True
        else:
            bad[i] = True
    return values, missing, bad


def coerce_str(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Text of a column, stripped, missing cells as ``""``: ``(text, not_text)``."""
    if pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(
        series.dtype
    ):
        return series.fillna("").str.strip().astype("str"), np.zeros(len(series), bool)
    bad = np.zeros(len(series), bool)
    out = []
    for i, v in enumerate(series.tolist()):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append("")
        elif isinstance(v, list | dict | tuple | set | bytes | np.ndarray):
            bad[i] = True
            out.append("")
        elif isinstance(v, float) and v.is_integer():
            out.append(str(int(v)))
        elif isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10**100:
            bad[i] = True  # an id of a hundred digits is a mistake (and slow to print)
            out.append("")
        else:
            out.append(str(v).strip())
    return pd.Series(out, index=series.index, dtype="str"), bad


def nan_as_text(value: Any) -> Any:
    """A float NaN of a YAML or JSON document as the text ``"NaN"``, anything else unchanged.

    In a table of parsed objects a float NaN would read as a missing cell; as text it
    is reported as "is NaN" at its field.
    """
    return "NaN" if isinstance(value, float) and value != value else value

"""Excel workbooks of a stored run's tables, for the dashboard's downloads.

One sheet per table (named after it, cut to Excel's 31 characters), plus a ``run`` sheet
first with the run's id, kind, network, parameters and summary. Cells hold numbers as
numbers; a time-to-survive of "forever" is the text ``inf``; every text cell is written
as text, so a site named ``=HYPERLINK(...)`` stays a name and never becomes a formula.
Served as ``GET /api/runs/{id}/tables.xlsx`` and ``GET /api/runs/{id}/tables/{name}.xlsx``.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MEDIA_TYPE", "sheet_name", "workbook_bytes"]

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters Excel refuses in a sheet name.
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def sheet_name(name: str, taken: Iterable[str] = ()) -> str:
    """A valid, unused Excel sheet name for ``name``.

    Parameters
    ----------
    name : str
        The table's name.
    taken : iterable of str
        Sheet names already used (compared case-insensitively, as Excel does).

    Returns
    -------
    str
        ``name`` without ``[]:*?/\\``, at most 31 characters, with ``~2``, ``~3``...
        appended when the result is already taken.
    """
    base = _BAD_SHEET.sub("_", name).strip("'") or "table"
    used = {t.lower() for t in taken}
    candidate = base[:31]
    count = 1
    while candidate.lower() in used:
        count += 1
        suffix = f"~{count}"
        candidate = base[: 31 - len(suffix)] + suffix
    return candidate


def _cell(value: Any) -> Any:
    """A value openpyxl writes as it is: a number, bool, text, date or None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if isinstance(value, datetime):
        return value.isoformat() if value.tzinfo is not None else value
    if isinstance(value, date):
        return value
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, default=str, allow_nan=True)
    return str(value)


def _append(sheet: Any, values: Iterable[Any]) -> None:
    from openpyxl.cell import WriteOnlyCell

    row = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=_cell(value))
        if isinstance(cell.value, str):
            cell.data_type = "s"  # text, even when it starts with "="
        row.append(cell)
    sheet.append(row)


def workbook_bytes(tables: Mapping[str, pd.DataFrame], about: Mapping[str, Any]) -> bytes:
    """An ``.xlsx`` file holding ``about`` and every table.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Table name -> rows; each becomes a sheet, columns as the header row.
    about : mapping
        Key -> value pairs for the first sheet, ``run`` (run id, kind, parameters,
        summary...); nested values are written as JSON text.

    Returns
    -------
    bytes
        The workbook (Office Open XML), to be sent with :data:`MEDIA_TYPE`.
    """
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    names: list[str] = []
    first = book.create_sheet(sheet_name("run"))
    names.append(first.title)
    _append(first, ["field", "value"])
    for key, value in about.items():
        _append(first, [key, value])
    for name, frame in tables.items():
        sheet = book.create_sheet(sheet_name(name, names))
        names.append(sheet.title)
        _append(sheet, [str(c) for c in frame.columns])
        for row in frame.itertuples(index=False, name=None):
            _append(sheet, row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

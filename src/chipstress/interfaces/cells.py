"""Table cells as Python numbers, for the interfaces that print or draw them.

pandas types a cell read with ``.at``, ``.iloc`` or ``itertuples()`` as any scalar it
could hold (a string, a date, a number, ``pd.NA`` …). The tables the workflows return
hold numbers in their numeric columns; :func:`number` says so once, with a check, so
the formatters downstream can take a ``float``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["number"]


def number(value: object) -> float:
    """A numeric table cell as a ``float``.

    Parameters
    ----------
    value
        The cell: a Python or NumPy number (or bool), or a missing value
        (``None``, ``pd.NA``, ``pd.NaT``).

    Returns
    -------
    float
        The value as a float; NaN for a missing cell.

    Raises
    ------
    TypeError
        If the cell holds something other than a number or a missing value.
    """
    if isinstance(value, (bool, int, float, np.number, np.bool_)):
        return float(value)
    if value is None or value is pd.NA or value is pd.NaT:
        return math.nan
    raise TypeError(f"not a number: {value!r}")

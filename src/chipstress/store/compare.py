"""Two stored runs side by side (:meth:`chipstress.store.ResultsStore.compare`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from chipstress.errors import InvalidInput

if TYPE_CHECKING:
    from chipstress.store.results import ResultsStore

__all__ = ["compare_runs"]


def compare_runs(store: ResultsStore, first: str, second: str) -> pd.DataFrame:
    """Two runs side by side: their summary figures, and for sweeps every node.

    Parameters
    ----------
    store
        The store holding both runs.
    first, second
        The runs (ids, or unique parts of them).

    Returns
    -------
    pandas.DataFrame
        ``key, first, second, delta`` (delta = second − first where both are numbers);
        ``table.attrs["runs"]`` holds the two ids.

    Raises
    ------
    InvalidInput
        An unknown run, or runs of different kinds.
    """
    a, b = store.run(first), store.run(second)
    if a.kind != b.kind:
        raise InvalidInput(f"cannot compare a {a.kind} run with a {b.kind} run")
    rows: list[tuple[str, Any, Any]] = []
    for key in sorted(set(a.summary) | set(b.summary)):
        rows.append((f"summary.{key}", a.summary.get(key), b.summary.get(key)))
    if a.kind == "sweep" and "sweep" in a.table_names and "sweep" in b.table_names:
        ta = store.table(a.run_id, "sweep").set_index("node")
        tb = store.table(b.run_id, "sweep").set_index("node")
        for node in sorted(set(ta.index) | set(tb.index)):
            for column in ("lost_profit", "tts"):
                va = ta[column].get(node) if node in ta.index else None
                vb = tb[column].get(node) if node in tb.index else None
                rows.append((f"{node}.{column}", va, vb))
    table = pd.DataFrame(
        [(key, x, y, _delta(x, y)) for key, x, y in rows],
        columns=["key", "first", "second", "delta"],
    )
    table.attrs["runs"] = (a.run_id, b.run_id)
    return table


def _delta(x: Any, y: Any) -> Any:
    numbers = (int, float, np.integer, np.floating)
    if isinstance(x, numbers) and isinstance(y, numbers) and not isinstance(x, bool | np.bool_):
        return float(y) - float(x)
    return None

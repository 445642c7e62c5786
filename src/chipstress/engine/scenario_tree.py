"""A fan of time-expanded programs that share their decisions until they can be told apart.

A disruption in progress whose recovery time is uncertain is a *fan* of scenarios: branch
``b`` is the time-expanded program (:mod:`chipstress.engine.timeline_program`) under the
capacity profile "disrupted for the first ``D_b`` periods, then recovered", with
probability ``P_b``; ``D_1 < D_2 < … < D_B``. At the start of period ``t`` (0-based) the
planner knows only whether recovery has come yet, so every branch still disrupted then
(``D_b > t``) takes the *same* decisions in period ``t`` as the longest branch ``B``
(non-anticipativity). Written with shared variables instead of equality rows:

* columns: all of branch B's, then, for every other branch b, its columns of the periods
  ``t ≥ D_b`` (after it has recovered); a branch's column of a period ``t < D_b`` *is*
  branch B's column of that period;
* rows: all of branch B's, then every other branch's rows of the periods ``t ≥ D_b`` (a
  row of period t involves only columns of periods ≤ t, so a row of a period ``t < D_b``
  is branch B's row and is not repeated);
* objective: ``Σ_b P_b · cost · x_b``.

Bounds of a shared column are the same in every branch that shares it (every such branch
is disrupted in that period), which :func:`build_scenario_tree` checks.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chipstress.engine.solver import LPData
from chipstress.engine.timeline_program import TimelineLayout

__all__ = ["ScenarioTree", "build_scenario_tree", "column_periods", "row_periods"]

_COLUMN_BLOCKS = ("u", "y", "l", "s", "w", "b")
_ROW_BLOCKS = ("bom", "stock", "backlog")


def _periods(layout: TimelineLayout, names: Sequence[str], block: str) -> np.ndarray:
    size = layout.n_cols if block == "column_block" else layout.n_rows
    period = np.zeros(size, dtype=np.int64)
    for name in names:
        part = getattr(layout, block)(name)
        width = part.stop - part.start
        if width:
            period[part] = np.arange(width) // (width // layout.horizon)
    return period


def column_periods(layout: TimelineLayout) -> np.ndarray:
    """The period (0-based) of every column of a time-expanded program."""
    return _periods(layout, _COLUMN_BLOCKS, "column_block")


def row_periods(layout: TimelineLayout) -> np.ndarray:
    """The period (0-based) of every row of a time-expanded program."""
    return _periods(layout, _ROW_BLOCKS, "row_block")


@dataclass(frozen=True)
class ScenarioTree:
    """The fan's program and where each branch's columns are in it.

    Attributes
    ----------
    data
        The program: minimise the probability-weighted cost of every branch.
    columns
        Per branch, the fan's column of each of the branch program's columns.
    split
        Per branch, the number of leading periods it shares with the longest branch.
    """

    data: LPData
    columns: list[np.ndarray]
    split: list[int]


def build_scenario_tree(
    data: LPData,
    layout: TimelineLayout,
    col_uppers: Sequence[np.ndarray],
    split: Sequence[int],
    probabilities: Sequence[float],
) -> ScenarioTree:
    """Assemble the fan of branches of one time-expanded program.

    Parameters
    ----------
    data
        One branch's program (its matrix, costs and rows; column bounds come per branch).
    layout
        The program's layout.
    col_uppers
        Per branch, its columns' upper bounds (the capacity profile in the ``u`` block).
    split
        Per branch, the periods it shares with the last (longest) branch: strictly
        increasing, the last one at most the horizon.
    probabilities
        Per branch, its probability (> 0).

    Returns
    -------
    ScenarioTree
        The fan's program and the map of each branch's columns into it.

    Raises
    ------
    ValueError
        Branches out of order, or a shared column whose bounds differ between branches.
    """
    branches = len(split)
    if not (len(col_uppers) == len(probabilities) == branches) or branches == 0:
        raise ValueError("give one upper-bound vector, split and probability per branch")
    if any(b <= a for a, b in itertools.pairwise(split)) or split[-1] > layout.horizon:
        raise ValueError("splits must increase strictly and stay within the horizon")
    col_period, row_period = column_periods(layout), row_periods(layout)
    matrix = data.matrix.tocoo()
    n = data.n_cols
    columns: list[np.ndarray] = [np.zeros(n, dtype=np.int64) for _ in range(branches)]
    columns[-1] = np.arange(n)
    upper = [col_uppers[-1].copy()]
    cost = [probabilities[-1] * data.cost]
    next_column = n
    for b in range(branches - 1):
        own = col_period >= split[b]
        mapping = np.arange(n)
        mapping[own] = next_column + np.arange(int(own.sum()))
        next_column += int(own.sum())
        columns[b] = mapping
        shared = ~own
        if not np.allclose(col_uppers[b][shared], col_uppers[-1][shared], rtol=1e-12, atol=0):
            raise ValueError(f"branch {b} differs from the longest while they are shared")
        upper.append(col_uppers[b][own])
        cost.append(np.zeros(int(own.sum())))
    total_cost = np.concatenate(cost)
    for b in range(branches - 1):
        np.add.at(total_cost, columns[b], probabilities[b] * data.cost)
    rows: list[np.ndarray] = [matrix.row.astype(np.int64)]
    cols: list[np.ndarray] = [matrix.col.astype(np.int64)]
    vals: list[np.ndarray] = [matrix.data]
    row_upper, row_lower = [data.row_upper], [data.row_lower]
    next_row = data.n_rows
    for b in range(branches - 1):
        kept_rows = row_period >= split[b]
        new_row = np.full(data.n_rows, -1, dtype=np.int64)
        new_row[kept_rows] = next_row + np.arange(int(kept_rows.sum()))
        next_row += int(kept_rows.sum())
        keep = kept_rows[matrix.row]
        rows.append(new_row[matrix.row[keep]])
        cols.append(columns[b][matrix.col[keep]])
        vals.append(matrix.data[keep])
        row_upper.append(data.row_upper[kept_rows])
        row_lower.append(data.row_lower[kept_rows])
    tree = LPData.from_triplets(
        np.concatenate(rows).astype(np.int64),
        np.concatenate(cols).astype(np.int64),
        np.concatenate(vals),
        next_column,
        cost=total_cost,
        col_lower=np.zeros(next_column),
        col_upper=np.concatenate(upper),
        row_lower=np.concatenate(row_lower),
        row_upper=np.concatenate(row_upper),
    )
    return ScenarioTree(tree, columns, list(split))

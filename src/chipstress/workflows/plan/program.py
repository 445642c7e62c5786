"""Building blocks of the planner's programs: copies of the time-to-recover program on
the network with every candidate line, with each action's binary switching it on.

* :class:`Assembler` — a big program assembled block by block and row by row;
* :class:`Superset` — the network plus every candidate qualified line, and what each
  action changes; :meth:`Superset.add_copy` adds one copy of the per-period
  time-to-recover program (one disruption, one window) with the actions' effects:
  stock into the flow rows (``−(Δ/T)·x``), capacity and lines as rows
  (``u' − (1−α)·Δ·x ≤ (1−α)·capacity``, ``u'_line ≤ (1−α)·capacity·x``).

See :mod:`chipstress.workflows.plan.mip` for the programs built from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from chipstress.engine.formulation import ProgramKind, build_lp, compile_network, delayed_alpha
from chipstress.engine.solver import LPData
from chipstress.model.network import Network
from chipstress.workflows.plan.actions import Action
from chipstress.workflows.whatif.apply import apply_edits, qualified_lines, site_links
from chipstress.workflows.whatif.edits import AddInventory, CutTTR, QualifySource, RaiseCapacity

__all__ = ["Assembler", "CopyBlock", "Superset"]


@dataclass(frozen=True)
class CopyBlock:
    """Where one copy of the time-to-recover program sits in an assembled program."""

    col: int  # first column (u' of node 0)
    width: int  # its columns: u', y', l'
    lost: int  # first l' column
    cost: np.ndarray  # per-period cost of its columns (margin on l', premium on y')
    duration: float


class Assembler:
    """Builds a big program column block by column block and row by row."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.col_lower: list[np.ndarray] = []
        self.col_upper: list[np.ndarray] = []
        self.cost: list[np.ndarray] = []
        self.integer: list[np.ndarray] = []
        self.row_lower: list[float | np.ndarray] = []
        self.row_upper: list[float | np.ndarray] = []
        self.n_rows = 0
        self.n_cols = 0

    def columns(
        self,
        lower: np.ndarray,
        upper: np.ndarray,
        cost: np.ndarray | None = None,
        integer: bool = False,
    ) -> int:
        """Add columns; returns the first one's index.

        Parameters
        ----------
        lower, upper
            Bounds of each new column.
        cost
            Objective coefficient of each new column (default 0).
        integer
            Whether the new columns are integer.

        Returns
        -------
        int
            The index of the first new column.
        """
        first = self.n_cols
        count = len(lower)
        self.col_lower.append(np.asarray(lower, float))
        self.col_upper.append(np.asarray(upper, float))
        self.cost.append(np.zeros(count) if cost is None else np.asarray(cost, float))
        self.integer.append(np.full(count, integer))
        self.n_cols += count
        return first

    def block(self, matrix: sp.csc_matrix, col: int, lower: np.ndarray, upper: np.ndarray) -> int:
        """Add rows holding ``matrix`` from column ``col`` on; returns the first row.

        Parameters
        ----------
        matrix
            The block's coefficients, one row per new row.
        col
            The column of the block's first column.
        lower, upper
            Bounds of each new row.

        Returns
        -------
        int
            The index of the first new row.
        """
        first = self.n_rows
        coo = matrix.tocoo()
        self.entries(coo.row + first, coo.col + col, coo.data)
        self.row_lower.append(np.asarray(lower, float))
        self.row_upper.append(np.asarray(upper, float))
        self.n_rows += matrix.shape[0]
        return first

    def row(self, cols: Sequence[int], vals: Sequence[float], lower: float, upper: float) -> int:
        """Add one row; returns its index.

        Parameters
        ----------
        cols
            The columns of the row's coefficients.
        vals
            The coefficients.
        lower, upper
            The row's bounds.

        Returns
        -------
        int
            The new row's index.
        """
        first = self.n_rows
        self.entries(np.full(len(cols), first), cols, vals)
        self.row_lower.append(np.array([lower], float))
        self.row_upper.append(np.array([upper], float))
        self.n_rows += 1
        return first

    def entries(
        self,
        rows: Sequence[int] | np.ndarray,
        cols: Sequence[int] | np.ndarray,
        vals: Sequence[float] | np.ndarray,
    ) -> None:
        """Add coefficients to rows and columns already there.

        Parameters
        ----------
        rows, cols
            Row and column of each coefficient.
        vals
            The coefficients.
        """
        self.rows.append(np.asarray(rows, np.int64))
        self.cols.append(np.asarray(cols, np.int64))
        self.vals.append(np.asarray(vals, float))

    def program(self) -> LPData:
        """The assembled program (integer flags set)."""
        matrix = sp.csc_matrix(
            (
                np.concatenate(self.vals) if self.vals else np.zeros(0),
                (
                    np.concatenate(self.rows) if self.rows else np.zeros(0, np.int64),
                    np.concatenate(self.cols) if self.cols else np.zeros(0, np.int64),
                ),
            ),
            shape=(self.n_rows, self.n_cols),
        )
        data = LPData.from_matrix(
            matrix,
            cost=np.concatenate(self.cost),
            col_lower=np.concatenate(self.col_lower),
            col_upper=np.concatenate(self.col_upper),
            row_lower=np.concatenate(self.row_lower),
            row_upper=np.concatenate(self.row_upper),
        )
        data.integer = np.concatenate(self.integer)
        return data


class Superset:
    """The network with every candidate qualified line, and what each action switches on.

    Copies of the time-to-recover program built on it (:meth:`add_copy`) take the
    actions' binary columns: stock into the flow rows, capacity and lines as rows.
    """

    def __init__(self, network: Network, actions: Sequence[Action]) -> None:
        self.network = network
        self.actions = list(actions)
        qualify = [
            (k, e)
            for k, a in enumerate(self.actions)
            for e in a.increments
            if isinstance(e, QualifySource)
        ]
        known = len(qualified_lines(network))
        self.network_with_lines = apply_edits(network, [e for _, e in qualify])
        created = qualified_lines(self.network_with_lines)[known:]
        self.model = compile_network(self.network_with_lines)
        index = self.network_with_lines.index
        self.index = index
        self.links = site_links(self.network_with_lines)
        self.line_action = {
            int(index.positions([line["line"]])[0]): k
            for (k, _), line in zip(qualify, created, strict=True)
        }
        self.inventory: list[tuple[int, int, float]] = []  # (action, node, +units)
        self.capacity: list[tuple[int, int, float]] = []  # (action, node, +units/period)
        self.cuts: dict[str, list[tuple[int, float]]] = {}  # site -> (action, new TTR)
        for k, action in enumerate(self.actions):
            for edit in action.increments:
                if isinstance(edit, AddInventory) and edit.add:
                    self.inventory.append((k, int(index.positions([edit.node])[0]), edit.add))
                elif isinstance(edit, RaiseCapacity) and edit.add:
                    self.capacity.append((k, int(index.positions([edit.node])[0]), edit.add))
                elif isinstance(edit, CutTTR):
                    self.cuts.setdefault(edit.node, []).append((k, float(edit.to or 0.0)))
        self.delays = {
            int(index.positions([line])[0]): lead for line, lead in self.links.delayed.items()
        }
        self.linked = {site: index.positions(lines) for site, lines in self.links.linked.items()}

    def site_alpha(self, sites: dict[str, float], duration: float) -> np.ndarray:
        """Capacity lost per node when ``sites`` (id -> fraction) are hit for ``duration``:
        their lines with them, reactive lines for their lead time."""
        alpha = np.zeros(self.model.n_nodes)
        for site, fraction in sites.items():
            alpha[self.index.positions([site])] = fraction
            if site in self.linked:
                alpha[self.linked[site]] = np.maximum(alpha[self.linked[site]], fraction)
        return delayed_alpha(alpha, self.delays, duration)

    def add_copy(
        self,
        asm: Assembler,
        x0: int,
        alpha: np.ndarray,
        duration: float,
        blocked: Sequence[int] = (),
    ) -> CopyBlock:
        """One copy of the time-to-recover program (``alpha`` over ``duration`` periods,
        the source rows ``blocked`` closed), with the actions' columns ``x0 + k``
        switching their effects on.

        Parameters
        ----------
        asm
            The program being assembled.
        x0
            The column of the first action.
        alpha
            Fraction (0..1) of capacity each node loses, by node position.
        duration
            The window in periods.
        blocked
            Source rows (edges) closed in this copy.

        Returns
        -------
        CopyBlock
            Where the copy's columns and rows start.
        """
        model = self.model
        data, layout = build_lp(model, ProgramKind.TTR, alpha, duration)
        col_upper = data.col_upper.copy()
        if len(blocked):
            col_upper[model.n_nodes + np.asarray(blocked, dtype=np.int64)] = 0.0
        for _, node, delta in self.capacity:
            col_upper[node] += (1.0 - alpha[node]) * delta
        c0 = asm.columns(data.col_lower, col_upper)
        r0 = asm.block(data.matrix, c0, data.row_lower, data.row_upper)
        for k, node, delta in self.inventory:  # flow row of the node: −(Δ/T)·x
            asm.entries([r0 + layout.n_bom + node], [x0 + k], [-delta / duration])
        by_node: dict[int, list[tuple[int, float]]] = {}
        for k, node, delta in self.capacity:
            if alpha[node] < 1.0:
                by_node.setdefault(node, []).append((k, delta))
        for node, items in by_node.items():  # u' − (1−α)Δ·x ≤ (1−α)·capacity
            share = 1.0 - alpha[node]
            asm.row(
                [c0 + node, *[x0 + k for k, _ in items]],
                [1.0, *[-share * d for _, d in items]],
                -np.inf,
                share * model.capacity[node],
            )
        for line, k in self.line_action.items():  # u'_line ≤ (1−α)·capacity·x
            if alpha[line] < 1.0:
                share = 1.0 - alpha[line]
                asm.row([c0 + line, x0 + k], [1.0, -share * model.capacity[line]], -np.inf, 0.0)
        return CopyBlock(c0, data.n_cols, c0 + layout.extra_column, data.cost.copy(), duration)

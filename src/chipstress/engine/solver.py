"""The solver seam: the one module that talks to HiGHS (highspy).

* :class:`LPData` — one linear (or mixed-integer) program in the column-wise layout
  HiGHS takes;
* :class:`SolveStatus` — how a solve ended, as a string enum; HiGHS's model statuses
  are mapped to it here and nowhere else (:func:`status_from_highs`);
* :class:`Solver` — the small interface every caller uses (load a program, solve it,
  read the solution, duals and basis, change bounds and costs between solves);
* :class:`HighsSolver` — the default, one silent HiGHS instance;
* :class:`FakeSolver` — canned statuses and solutions, for interface tests that need no
  real solve.

HiGHS prints a banner on stdout when an instance is created; :class:`HighsSolver`
keeps it off the CLI's output by pointing file descriptor 1 at ``/dev/null`` while the
instance is built.

The regional solver loads thousands of small programs into one instance and starts each
from a basis; every call on that path is a thin method over the highspy call it wraps,
so the seam costs nothing measurable there.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Protocol

import highspy
import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = [
    "BasisStatus",
    "FakeSolver",
    "HighsSolver",
    "LPData",
    "Outcome",
    "Solution",
    "SolveStatus",
    "Solver",
    "status_from_highs",
]

_banner_lock = threading.Lock()

# HiGHS's own dual feasibility tolerance, for a program that does not ask for another
# (``LPData.dual_tolerance``).
DEFAULT_DUAL_TOLERANCE = 1e-7


class SolveStatus(StrEnum):
    """How a solve (or a scenario built from solves) ended.

    The first seven come from the solver. ``NO_DURATION`` and ``ERROR`` never come from
    the solver: a sweep marks a node without a time to recover, and a scenario (or a
    chunk of them) that raised, with them; the explanation goes beside the status, in a
    ``status_detail`` field or column.
    """

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    UNBOUNDED_OR_INFEASIBLE = "unbounded_or_infeasible"
    TIME_LIMIT = "time_limit"
    ITERATION_LIMIT = "iteration_limit"
    NUMERICAL_ERROR = "numerical_error"
    NO_DURATION = "no_duration"
    ERROR = "error"


# Every other HiGHS model status (load/model/presolve/solve errors, interrupts,
# objective bounds, memory, unknown) is reported as a numerical error.
_FROM_HIGHS = {
    highspy.HighsModelStatus.kOptimal: SolveStatus.OPTIMAL,
    highspy.HighsModelStatus.kInfeasible: SolveStatus.INFEASIBLE,
    highspy.HighsModelStatus.kUnbounded: SolveStatus.UNBOUNDED,
    highspy.HighsModelStatus.kUnboundedOrInfeasible: SolveStatus.UNBOUNDED_OR_INFEASIBLE,
    highspy.HighsModelStatus.kTimeLimit: SolveStatus.TIME_LIMIT,
    highspy.HighsModelStatus.kIterationLimit: SolveStatus.ITERATION_LIMIT,
}


def status_from_highs(status: highspy.HighsModelStatus) -> SolveStatus:
    """The :class:`SolveStatus` of a HiGHS model status (the only place they are mapped).

    Parameters
    ----------
    status
        A ``highspy.HighsModelStatus`` member.

    Returns
    -------
    SolveStatus
        Its enum value; ``NUMERICAL_ERROR`` for every status without its own member.
    """
    return _FROM_HIGHS.get(status, SolveStatus.NUMERICAL_ERROR)


class BasisStatus(IntEnum):
    """Simplex basis status of a column or row (HiGHS's integer codes)."""

    LOWER = 0
    BASIC = 1
    UPPER = 2
    ZERO = 3
    NONBASIC = 4


# HighsBasisStatus members indexed by their integer code.
_BASIS_MEMBERS = np.array(
    [
        highspy.HighsBasisStatus(code)
        for code in range(max(int(v) for v in highspy.HighsBasisStatus.__members__.values()) + 1)
    ],
    dtype=object,
)


@dataclass
class LPData:
    """One linear program: min ``cost @ x`` s.t. ``row_lower <= A x <= row_upper``, bounds on x.

    ``A`` is held column-wise (``start``, ``index``, ``value``), the layout HiGHS takes.
    ``integer`` (a boolean per column, or ``None``) makes it a mixed-integer program.
    ``dual_tolerance`` is the dual feasibility tolerance the program needs (``None``:
    HiGHS's default, :data:`DEFAULT_DUAL_TOLERANCE`); a program whose duals are all
    small, such as time-to-survive's, asks for a tighter one.
    """

    start: np.ndarray
    index: np.ndarray
    value: np.ndarray
    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    integer: np.ndarray | None = None
    dual_tolerance: float | None = field(default=None, init=False)

    @classmethod
    def from_triplets(
        cls,
        rows: np.ndarray,
        cols: np.ndarray,
        values: np.ndarray,
        n_cols: int,
        **arrays: np.ndarray,
    ) -> LPData:
        """Build from (row, column, value) triplets with no duplicates.

        Parameters
        ----------
        rows, cols, values
            The matrix's non-zeros.
        n_cols
            Number of columns.
        **arrays
            ``cost``, ``col_lower``, ``col_upper``, ``row_lower``, ``row_upper``
            (and optionally ``integer``).

        Returns
        -------
        LPData
            The program.
        """
        order = np.lexsort((rows, cols))
        start = np.zeros(n_cols + 1, dtype=np.int32)
        np.cumsum(np.bincount(cols, minlength=n_cols), out=start[1:])
        return cls(start, rows[order].astype(np.int32), values[order].astype(float), **arrays)

    @classmethod
    def from_matrix(cls, matrix: sp.spmatrix, **arrays: np.ndarray) -> LPData:
        """Build from a scipy sparse matrix (duplicates summed); ``arrays`` as above."""
        import scipy.sparse as sp

        csc = sp.csc_matrix(matrix)
        csc.sum_duplicates()
        return cls(
            csc.indptr.astype(np.int32),
            csc.indices.astype(np.int32),
            csc.data.astype(float),
            **arrays,
        )

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return len(self.row_upper)

    @property
    def n_cols(self) -> int:
        """Number of columns."""
        return len(self.cost)

    @property
    def matrix(self) -> sp.csc_matrix:
        """The constraint matrix as a scipy CSC matrix."""
        import scipy.sparse as sp

        return sp.csc_matrix((self.value, self.index, self.start), shape=(self.n_rows, self.n_cols))


class Solution(Protocol):
    """Primal and dual values of the last solve (arrays, one entry per column or row)."""

    @property
    def col_value(self) -> np.ndarray: ...

    @property
    def col_dual(self) -> np.ndarray: ...

    @property
    def row_dual(self) -> np.ndarray: ...


@dataclass(frozen=True)
class Outcome:
    """A canned solve for :class:`FakeSolver`: a status and what the solver would return."""

    status: SolveStatus
    col_value: np.ndarray = field(default_factory=lambda: np.zeros(0))
    col_dual: np.ndarray = field(default_factory=lambda: np.zeros(0))
    row_dual: np.ndarray = field(default_factory=lambda: np.zeros(0))
    objective: float = float("nan")
    mip_bound: float = float("nan")


class Solver(Protocol):
    """What the engine and the workflows need from a solver.

    One instance holds one program at a time: :meth:`load` replaces it, :meth:`solve`
    solves it (starting from the basis or solution set since the last load, if any).
    """

    def load(self, data: LPData, presolve: bool = False) -> None:
        """Load ``data``, replacing any program held; ``presolve`` switches presolve on."""
        ...

    def solve(self) -> SolveStatus:
        """Solve the program held and return how it ended."""
        ...

    def set_option(self, name: str, value: float | str | bool) -> None:
        """Set a solver option (HiGHS option names)."""
        ...

    def objective(self) -> float:
        """Objective value of the last solve."""
        ...

    def solution(self) -> Solution:
        """Primal values and duals of the last solve."""
        ...

    def has_solution(self) -> bool:
        """True when the last solve found a feasible point (also when not optimal)."""
        ...

    def mip_bound(self) -> float:
        """Proven dual bound of the last mixed-integer solve."""
        ...

    def change_row_bounds(self, row: int, lower: float, upper: float) -> None:
        """Change one row's bounds in the program held.

        Parameters
        ----------
        row
            Row index in the program held.
        lower, upper
            The row's new bounds (in the row's units, e.g. units per period; ``±inf`` for
            none).
        """
        ...

    def change_costs(self, cost: np.ndarray) -> None:
        """Replace the cost of every column of the program held."""
        ...

    def start_from(self, values: np.ndarray | None) -> None:
        """Discard the previous search and start the next solve from ``values`` (or none)."""
        ...

    def basis(self) -> tuple[np.ndarray, np.ndarray]:
        """Basis codes (:class:`BasisStatus`, int8) of the columns and rows of the last solve."""
        ...

    def set_basis(self, cols: np.ndarray, rows: np.ndarray) -> None:
        """Start the next solve from these basis codes (an incomplete basis is completed)."""
        ...

    def change_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Change the bounds of some columns of the program held, keeping its basis.

        Parameters
        ----------
        cols
            Column indices in the program held.
        lower, upper
            Their new bounds, one per column (in the columns' units; ``±inf`` for none).
        """
        ...


def _silent_highs(threads: int) -> highspy.Highs:
    """A HiGHS instance that prints nothing: no banner, no log."""
    with _banner_lock:
        sys.stdout.flush()
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            highs = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("log_to_console", False)
    highs.setOptionValue("threads", threads)
    return highs


class _HighsSolution:
    """A HiGHS solution read lazily: each array is converted only when asked for."""

    __slots__ = ("_raw",)

    def __init__(self, raw: highspy.HighsSolution) -> None:
        self._raw = raw

    @property
    def col_value(self) -> np.ndarray:
        return np.asarray(self._raw.col_value)

    @property
    def col_dual(self) -> np.ndarray:
        return np.asarray(self._raw.col_dual)

    @property
    def row_dual(self) -> np.ndarray:
        return np.asarray(self._raw.row_dual)


class HighsSolver:
    """The default :class:`Solver`: one silent HiGHS instance (presolve off by default).

    Parameters
    ----------
    threads
        Threads HiGHS may use.
    """

    def __init__(self, threads: int = 1) -> None:
        self.highs = _silent_highs(threads)

    def load(self, data: LPData, presolve: bool = False) -> None:
        """Load ``data``, replacing any program held (arrays passed as buffers).

        Raises
        ------
        RuntimeError
            HiGHS rejected the program.
        """
        integrality = (
            np.zeros(data.n_cols, dtype=np.int32)
            if data.integer is None
            else np.where(data.integer, int(highspy.HighsVarType.kInteger), 0).astype(np.int32)
        )
        highs = self.highs
        highs.setOptionValue("presolve", "on" if presolve else "off")
        highs.setOptionValue(
            "dual_feasibility_tolerance",
            DEFAULT_DUAL_TOLERANCE if data.dual_tolerance is None else data.dual_tolerance,
        )
        status = highs.passModel(
            data.n_cols,
            data.n_rows,
            len(data.value),
            int(highspy.MatrixFormat.kColwise),
            int(highspy.ObjSense.kMinimize),
            0.0,
            np.ascontiguousarray(data.cost, dtype=np.float64),
            np.ascontiguousarray(data.col_lower, dtype=np.float64),
            np.ascontiguousarray(data.col_upper, dtype=np.float64),
            np.ascontiguousarray(data.row_lower, dtype=np.float64),
            np.ascontiguousarray(data.row_upper, dtype=np.float64),
            np.ascontiguousarray(data.start[: data.n_cols], dtype=np.int32),
            np.ascontiguousarray(data.index, dtype=np.int32),
            np.ascontiguousarray(data.value, dtype=np.float64),
            integrality,
        )
        if status == highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS rejected the model (passModel returned an error)")

    def solve(self) -> SolveStatus:
        """Solve the program held; its model status as a :class:`SolveStatus`."""
        self.highs.run()
        return status_from_highs(self.highs.getModelStatus())

    def set_option(self, name: str, value: float | str | bool) -> None:
        """Set a HiGHS option."""
        self.highs.setOptionValue(name, value)

    def objective(self) -> float:
        """Objective value of the last solve."""
        return float(self.highs.getObjectiveValue())

    def solution(self) -> Solution:
        """Primal values and duals of the last solve."""
        return _HighsSolution(self.highs.getSolution())

    def has_solution(self) -> bool:
        """True when the last solve found a feasible point."""
        return bool(self.highs.getInfo().primal_solution_status >= 2)

    def mip_bound(self) -> float:
        """Proven dual bound of the last mixed-integer solve."""
        return float(self.highs.getInfo().mip_dual_bound)

    def change_row_bounds(self, row: int, lower: float, upper: float) -> None:
        """Change one row's bounds.

        Parameters
        ----------
        row
            Row index in the program held.
        lower, upper
            The row's new bounds (``±inf`` for none).
        """
        self.highs.changeRowBounds(row, lower, upper)

    def change_costs(self, cost: np.ndarray) -> None:
        """Replace every column's cost."""
        columns = np.arange(len(cost), dtype=np.int32)
        self.highs.changeColsCost(len(columns), columns, np.asarray(cost, dtype=np.float64))

    def change_all_row_bounds(self, lower: np.ndarray, upper: np.ndarray) -> None:
        """Replace every row's bounds (HiGHS keeps its basis: the next solve starts hot).

        Parameters
        ----------
        lower, upper
            One bound per row of the program held (``±inf`` for none).
        """
        rows = np.arange(len(upper), dtype=np.int32)
        self.highs.changeRowsBounds(  # type: ignore[attr-defined]  # missing from the stubs
            len(rows),
            rows,
            np.ascontiguousarray(lower, dtype=np.float64),
            np.ascontiguousarray(upper, dtype=np.float64),
        )

    def start_from(self, values: np.ndarray | None) -> None:
        """A fresh search (no state of the previous one), from ``values`` when given."""
        self.highs.clearSolver()
        if values is not None:
            solution = highspy.HighsSolution()
            solution.col_value = values.tolist()
            solution.value_valid = True
            self.highs.setSolution(solution)

    def basis(self) -> tuple[np.ndarray, np.ndarray]:
        """Basis codes of the columns and rows of the last solve."""
        basis = self.highs.getBasis()
        cols = np.fromiter((int(v) for v in basis.col_status), dtype=np.int8)
        rows = np.fromiter((int(v) for v in basis.row_status), dtype=np.int8)
        return cols, rows

    def set_basis(self, cols: np.ndarray, rows: np.ndarray) -> None:
        """Start the next solve from these codes, as an *alien* basis HiGHS completes."""
        basis = highspy.HighsBasis()
        basis.col_status = _BASIS_MEMBERS[cols].tolist()
        basis.row_status = _BASIS_MEMBERS[rows].tolist()
        basis.alien = True
        basis.valid = True
        self.highs.setBasis(basis)

    def change_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Change the bounds of columns ``cols`` (HiGHS keeps its basis and factorisation).

        Parameters
        ----------
        cols
            Column indices in the program held.
        lower, upper
            Their new bounds, one per column (``±inf`` for none).
        """
        index = np.ascontiguousarray(cols, dtype=np.int32)
        self.highs.changeColsBounds(
            len(index),
            index,
            np.ascontiguousarray(lower, dtype=np.float64),
            np.ascontiguousarray(upper, dtype=np.float64),
        )


@dataclass(frozen=True)
class _FakeSolution:
    col_value: np.ndarray
    col_dual: np.ndarray
    row_dual: np.ndarray


class FakeSolver:
    """A :class:`Solver` that returns canned outcomes, for tests that need no real solve.

    Each :meth:`solve` returns the next of ``outcomes`` (the last repeats); every program
    loaded is kept in ``loaded``, every option in ``options``. Arrays an outcome leaves
    empty are zeros of the loaded program's size.

    Parameters
    ----------
    outcomes
        The outcomes, in the order the solves should return them; a bare
        :class:`SolveStatus` stands for an outcome with zero values.
    """

    def __init__(self, outcomes: Iterable[Outcome | SolveStatus]) -> None:
        self.outcomes: Sequence[Outcome] = [
            o if isinstance(o, Outcome) else Outcome(SolveStatus(o)) for o in outcomes
        ]
        if not self.outcomes:
            raise ValueError("give at least one outcome")
        self.loaded: list[LPData] = []
        self.options: dict[str, float | str | bool] = {}
        self.solves = 0
        self._current = self.outcomes[0]

    def _sized(self, values: np.ndarray, size: int) -> np.ndarray:
        return np.asarray(values, dtype=float) if len(values) else np.zeros(size)

    def load(self, data: LPData, presolve: bool = False) -> None:
        """Keep ``data`` (nothing is solved)."""
        self.loaded.append(data)

    def solve(self) -> SolveStatus:
        """The next canned status."""
        self._current = self.outcomes[min(self.solves, len(self.outcomes) - 1)]
        self.solves += 1
        return self._current.status

    def set_option(self, name: str, value: float | str | bool) -> None:
        """Record the option."""
        self.options[name] = value

    def objective(self) -> float:
        """The canned objective, or ``cost @ col_value`` when it is NaN."""
        if not np.isnan(self._current.objective) or not self.loaded:
            return self._current.objective
        return float(self.loaded[-1].cost @ self.solution().col_value)

    def solution(self) -> Solution:
        """The canned values, zeros where none were given."""
        n_rows = self.loaded[-1].n_rows if self.loaded else 0
        n_cols = self.loaded[-1].n_cols if self.loaded else 0
        outcome = self._current
        return _FakeSolution(
            self._sized(outcome.col_value, n_cols),
            self._sized(outcome.col_dual, n_cols),
            self._sized(outcome.row_dual, n_rows),
        )

    def has_solution(self) -> bool:
        """True for an optimal outcome, or one that gives values."""
        outcome = self._current
        return outcome.status == SolveStatus.OPTIMAL or len(outcome.col_value) > 0

    def mip_bound(self) -> float:
        """The canned bound."""
        return self._current.mip_bound

    def change_row_bounds(self, row: int, lower: float, upper: float) -> None:
        """Change the bounds in the last program loaded.

        Parameters
        ----------
        row
            Row index in the last program loaded.
        lower, upper
            The row's new bounds.
        """
        self.loaded[-1].row_lower[row] = lower
        self.loaded[-1].row_upper[row] = upper

    def change_costs(self, cost: np.ndarray) -> None:
        """Change the costs in the last program loaded."""
        self.loaded[-1].cost = np.asarray(cost, dtype=float).copy()

    def start_from(self, values: np.ndarray | None) -> None:
        """Nothing to do."""

    def basis(self) -> tuple[np.ndarray, np.ndarray]:
        """All columns at their lower bound, all rows basic."""
        data = self.loaded[-1]
        return (
            np.full(data.n_cols, BasisStatus.LOWER, np.int8),
            np.full(data.n_rows, BasisStatus.BASIC, np.int8),
        )

    def set_basis(self, cols: np.ndarray, rows: np.ndarray) -> None:
        """Nothing to do."""

    def change_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Change the bounds in the last program loaded.

        Parameters
        ----------
        cols
            Column indices in the last program loaded.
        lower, upper
            Their new bounds.
        """
        self.loaded[-1].col_lower[cols] = lower
        self.loaded[-1].col_upper[cols] = upper

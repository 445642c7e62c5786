"""A thin layer over highspy: silent instances, models from sparse matrices, statuses.

HiGHS prints a banner on stdout when an instance is created; :func:`new_highs`
keeps it off the CLI's output by pointing file descriptor 1 at ``/dev/null`` while
the instance is built.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

__all__ = ["LPData", "lp_status", "new_highs", "pass_lp"]

_banner_lock = threading.Lock()

_STATUS = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnbounded: "unbounded",
    highspy.HighsModelStatus.kUnboundedOrInfeasible: "unbounded_or_infeasible",
    highspy.HighsModelStatus.kTimeLimit: "time_limit",
    highspy.HighsModelStatus.kIterationLimit: "iteration_limit",
}


def new_highs(threads: int = 1) -> highspy.Highs:
    """A HiGHS instance that prints nothing: no banner, no log, presolve off."""
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


@dataclass
class LPData:
    """One linear program: min ``cost @ x`` s.t. ``row_lower <= A x <= row_upper``, bounds on x.

    ``A`` is held column-wise (``start``, ``index``, ``value``), the layout HiGHS takes.
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

    @classmethod
    def from_triplets(
        cls,
        rows: np.ndarray,
        cols: np.ndarray,
        values: np.ndarray,
        n_cols: int,
        **arrays: np.ndarray,
    ) -> LPData:
        """Build from (row, column, value) triplets with no duplicates."""
        order = np.lexsort((rows, cols))
        start = np.zeros(n_cols + 1, dtype=np.int32)
        np.cumsum(np.bincount(cols, minlength=n_cols), out=start[1:])
        return cls(start, rows[order].astype(np.int32), values[order].astype(float), **arrays)

    @classmethod
    def from_matrix(cls, matrix: sp.spmatrix, **arrays: np.ndarray) -> LPData:
        """Build from a scipy sparse matrix."""
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
        return len(self.row_upper)

    @property
    def n_cols(self) -> int:
        return len(self.cost)

    @property
    def matrix(self) -> sp.csc_matrix:
        """The constraint matrix as a scipy CSC matrix."""
        return sp.csc_matrix((self.value, self.index, self.start), shape=(self.n_rows, self.n_cols))


def pass_lp(highs: highspy.Highs, data: LPData, presolve: bool = False) -> None:
    """Load ``data`` into ``highs``, replacing any model it held (arrays passed as buffers)."""
    integrality = (
        np.zeros(data.n_cols, dtype=np.int32)
        if data.integer is None
        else np.where(data.integer, int(highspy.HighsVarType.kInteger), 0).astype(np.int32)
    )
    highs.setOptionValue("presolve", "on" if presolve else "off")
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


def lp_status(highs: highspy.Highs) -> str:
    """The model status of the last solve as a word: optimal, infeasible, unbounded, ..."""
    status = highs.getModelStatus()
    return _STATUS.get(status, "numerical_error")

"""The golden check: sweeps, replays, scenarios, simulations, what-if and plans of
``tri-cluster`` and the reference fixtures, recomputed and compared to ``data/``.

The stored tables were written by ``generate.py`` from the code before the refactor of
issue 11; every refactor must reproduce them. Ids and labels must be equal; numbers
equal within ``rtol=1e-9, atol=1e-6`` (NaN equals NaN, ``inf`` equals ``inf``);
statuses only in their first word (``optimal``, ``error``, ...), so that an
explanation moved to another column does not count as a change. Columns a newer code
adds are ignored; columns or tables it drops fail.

Marked ``golden`` (about 25 s on one core): ``pytest -m "not golden"`` skips it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from cases import ALL_CASES, CASES, DATA, DETAIL_CASES, Tables

pytestmark = pytest.mark.golden

RTOL = 1e-9
ATOL = 1e-6
FLOAT_FORMAT = "%.17g"  # as generate.py writes them
SHOWN = 5  # mismatching rows shown per column


def _status(value: Any) -> str:
    """The first word of a status: ``optimal (cheapest tie: ...)`` -> ``optimal``."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(getattr(value, "value", value)).split(":")[0].split(";")[0].strip()
    return text.split(" ")[0] if text else ""


def _is_status(column: str) -> bool:
    return column == "status" or column.startswith("status_") or column.endswith("_status")


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def _round_trip(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as it reads back from its CSV (so both sides have the same dtypes)."""
    text = frame.to_csv(index=False, float_format=FLOAT_FORMAT)
    return pd.read_csv(io.StringIO(text))


def _numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def _row_label(frame: pd.DataFrame, row: int) -> str:
    first = frame.columns[0]
    return f"row {row} ({first}={frame[first].iloc[row]!r})"


def compare(expected: pd.DataFrame, actual: pd.DataFrame, where: str) -> list[str]:
    """The differences between a stored table and a recomputed one (empty: the same)."""
    missing = [c for c in expected.columns if c not in actual.columns]
    if missing:
        return [f"{where}: columns missing: {missing}"]
    if len(expected) != len(actual):
        return [f"{where}: {len(actual)} rows, expected {len(expected)}"]
    problems = []
    for column in expected.columns:
        want, got = expected[column], actual[column]
        if _is_status(column):
            bad = [
                i
                for i, (w, g) in enumerate(zip(want, got, strict=True))
                if _status(w) != _status(g)
            ]
            shown = [f"{_status(want.iloc[i])!r} -> {_status(got.iloc[i])!r}" for i in bad]
        elif _numeric(want) and _numeric(got) and not want.isna().all():
            w = want.to_numpy(dtype=float)
            g = got.to_numpy(dtype=float)
            close = np.isclose(g, w, rtol=RTOL, atol=ATOL, equal_nan=True)
            close |= (w == g) & np.isinf(w)  # equal infinities
            bad = [int(i) for i in np.flatnonzero(~close)]
            shown = [f"{w[i]!r} -> {g[i]!r}" for i in bad]
        else:
            bad = [
                i for i, (w, g) in enumerate(zip(want, got, strict=True)) if _text(w) != _text(g)
            ]
            shown = [f"{_text(want.iloc[i])!r} -> {_text(got.iloc[i])!r}" for i in bad]
        if bad:
            rows = "; ".join(
                f"{_row_label(expected, i)}: {s}" for i, s in zip(bad[:SHOWN], shown, strict=False)
            )
            problems.append(f"{where}.{column}: {len(bad)} of {len(want)} differ: {rows}")
    return problems


def _stored(case: str) -> Tables:
    prefix = f"{case}__"
    return {
        path.stem.removeprefix(prefix): pd.read_csv(path)
        for path in sorted(DATA.glob(f"{prefix}*.csv"))
    }


def _check(case: str, compute: Callable[[], Tables]) -> None:
    expected = _stored(case)
    assert expected, f"no stored tables for {case}: run tests/golden/generate.py {case}"
    actual = compute()
    assert sorted(actual) == sorted(expected), (
        f"{case}: tables {sorted(actual)}, stored {sorted(expected)} (update cases.py)"
    )
    problems = []
    for name, table in expected.items():
        problems += compare(table, _round_trip(actual[name]), f"{case}/{name}")
    assert not problems, "outputs changed:\n" + "\n".join(problems)


@pytest.mark.parametrize("case", list(CASES))
def test_golden(case: str) -> None:
    _check(case, CASES[case])


@pytest.mark.parametrize("case", list(DETAIL_CASES))
def test_golden_solution_detail(case: str) -> None:
    """LP solutions (plans, shipments): a failure here alone may be another optimum."""
    _check(case, DETAIL_CASES[case])


def test_every_stored_table_has_a_case() -> None:
    stray = sorted(
        path.name for path in DATA.glob("*.csv") if path.stem.split("__")[0] not in ALL_CASES
    )
    assert not stray, f"stored tables of no case: {stray}"


def test_compare_tolerates_only_what_it_should() -> None:
    stored = pd.DataFrame(
        {
            "node": ["a", "b"],
            "value": [1.0, np.inf],
            "gap": [np.nan, 0.0],
            "status": ["optimal", "error: bad"],
        }
    )
    same = stored.assign(
        value=[1.0 + 1e-12, np.inf], status=["optimal (cheapest tie: x)", "error"], extra=1
    )
    assert compare(stored, same, "t") == []
    for changed in (
        stored.assign(node=["a", "c"]),
        stored.assign(value=[1.001, np.inf]),
        stored.assign(value=[1.0, -np.inf]),
        stored.assign(gap=[0.0, 0.0]),
        stored.assign(status=["optimal", "optimal"]),
        stored.drop(columns="gap"),
        stored.iloc[:1],
    ):
        assert compare(stored, changed, "t"), changed

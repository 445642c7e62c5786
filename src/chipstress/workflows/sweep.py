"""The sweep: disrupt every node (one at a time) and rank them by risk exposure.

For each node, with its own time to recover (TTR) or the duration given:

* ``lost_profit`` — the time-to-recover program's optimum: margin of the demand lost
  while the node is down for ``duration`` periods (currency);
* ``tts`` — the node's time-to-survive: how long all demand is still met with the node
  down (periods, ``inf`` when forever);
* ``risk_exposure_index`` — the node's lost profit beyond what the undisrupted network
  loses anyway over the same duration (``baseline_lost_profit``), divided by the largest
  such figure (1 = the worst node);
* ``lost_profit_log10`` — ``log10(1 + that excess lost profit)``: the same ranking on a
  log scale, which keeps the many small risks apart (4 = 10k, 6 = 1M, 9 = 1bn currency)
  where the index squeezes everything below the worst node towards 0;
* ``ttr_minus_tts`` and ``exposed`` — a node whose TTR exceeds its TTS is an exposure.

Lost profit is zero whenever ``duration <= tts`` (demand is met throughout), so the
time-to-recover program is solved only where it can be non-zero — unless some source
edge charges a premium (lost profit then includes the premium paid, which can be
positive while demand is met).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from chipstress.engine import (
    RegionalSolver,
    SolveStatus,
    StressModel,
    compile_network,
    impact,
    time_to_survive,
)
from chipstress.engine.formulation import delayed_alpha
from chipstress.engine.regional import Baselines
from chipstress.errors import InvalidInput, excerpt
from chipstress.executors import ChunkFailure
from chipstress.model.network import Network
from chipstress.results import RunKind
from chipstress.store.rows import Rows
from chipstress.workflows.runner import Runner, run_chunks

__all__ = [
    "METRICS",
    "SWEEP_COLUMNS",
    "Metric",
    "SweepResult",
    "read_durations",
    "sweep",
    "sweep_chunks",
    "sweep_summary",
]

SWEEP_COLUMNS = ["node", "duration", "lost_profit", "tts", "status"]
EXPOSED_TOLERANCE = 1e-9  # relative: TTR must exceed TTS by more than this to be an exposure


class Metric(StrEnum):
    """Which stress tests a sweep runs per node (a member is its value, a plain string)."""

    BOTH = "both"
    TTR = "ttr"
    TTS = "tts"


METRICS: tuple[str, ...] = tuple(m.value for m in Metric)

Durations = float | Mapping[str, float] | pd.Series | None


@dataclass(frozen=True)
class _Item:
    node: str
    position: int
    duration: float
    linked: tuple[int, ...] = ()  # positions disrupted together with the node


def _sweep_setup(payload: Network | tuple[StressModel, Baselines]) -> Network | RegionalSolver:
    """A worker's state: the network (integer programs) or a regional solver."""
    if isinstance(payload, Network):
        return payload
    model, baselines = payload
    solver = RegionalSolver(model)
    solver.adopt(baselines)
    return solver


def _prepare(network: Network, items: list[_Item], metric: Metric) -> tuple[StressModel, Baselines]:
    """Compile the network and solve the undisrupted programs once, before the workers start."""
    model = compile_network(network)
    solver = RegionalSolver(model)
    survival = solver.baseline_tts()
    if metric != Metric.TTS:
        for duration in sorted({item.duration for item in items if not math.isnan(item.duration)}):
            if metric == Metric.TTR or survival.status != "optimal" or duration > survival.tts:
                solver.baseline_ttr(duration)
    return model, solver.baselines()


Job = tuple[list[_Item], Metric, tuple[tuple[int, float], ...]]


def _sweep_task(state: Network | RegionalSolver, job: Job) -> list[dict[str, Any]]:
    items, metric, delays = job
    order = list(range(len(items)))
    if isinstance(state, RegionalSolver):
        # Nodes that share a region one after the other (the solver keeps the region's
        # program hot); nothing from an earlier chunk, so results depend on the chunk only.
        state.reset()
        key = state.model.group_key
        order.sort(
            key=lambda i: (
                _item_key(key, items[i]),
                state.region_key(np.unique([items[i].position, *items[i].linked])),
                items[i].position,
            )
        )
    rows: list[dict[str, Any]] = [{} for _ in items]
    for i in order:
        rows[i] = _one_node(state, items[i], metric, dict(delays))
    return rows


def _item_key(key: np.ndarray, item: _Item) -> tuple[int, int]:
    """The group key of an item's disrupted nodes (see ``StressModel.group_key``)."""
    rows = key[[item.position, *item.linked]]
    return int(rows[:, 0].min()), int(rows[:, 1].max())


def _one_node(
    state: Network | RegionalSolver,
    item: _Item,
    metric: Metric,
    delays: dict[int, float] | None = None,
) -> dict[str, Any]:
    """Both stress tests of one node; errors become a status, never an exception."""
    row: dict[str, Any] = {
        "node": item.node,
        "duration": item.duration,
        "lost_profit": np.nan,
        "tts": np.nan,
        "status": SolveStatus.OPTIMAL,
        "baseline_lost_profit": np.nan,
        "status_detail": "",
    }
    try:
        if isinstance(state, RegionalSolver):
            _one_node_regional(state, item, metric, row, delays or {})
        else:
            _one_node_integer(state, item, metric, row)
    except Exception as error:  # one bad scenario must not stop a sweep
        row["status"] = SolveStatus.ERROR
        row["status_detail"] = f"{type(error).__name__}: {error}"
    return row


def _one_node_regional(
    solver: RegionalSolver,
    item: _Item,
    metric: Metric,
    row: dict[str, Any],
    delays: dict[int, float],
) -> None:
    alpha = np.zeros(solver.model.n_nodes)
    alpha[item.position] = 1.0
    alpha[list(item.linked)] = 1.0
    statuses: list[SolveStatus] = []
    if metric in (Metric.BOTH, Metric.TTS):
        survival = (
            solver.time_to_survive(alpha, delays) if delays else solver.time_to_survive(alpha)
        )
        row["tts"] = survival.value
        statuses.append(survival.status)
    if metric in (Metric.BOTH, Metric.TTR):
        if math.isnan(item.duration):
            statuses.append(SolveStatus.NO_DURATION)
        else:
            base = solver.baseline_ttr(item.duration)
            row["baseline_lost_profit"] = base.lost_profit
            if (
                metric == Metric.BOTH
                and statuses[0] == "optimal"
                and item.duration <= row["tts"]
                and not solver.model.has_premium
            ):
                row["lost_profit"] = 0.0  # demand is met throughout the window
            else:
                loss = solver.lost_profit(
                    delayed_alpha(alpha, delays, item.duration) if delays else alpha,
                    item.duration,
                )
                row["lost_profit"] = loss.value
                statuses.append(loss.status)
    row["status"], row["status_detail"] = _combine(statuses)


def _one_node_integer(network: Network, item: _Item, metric: Metric, row: dict[str, Any]) -> None:
    statuses: list[SolveStatus] = []
    ids = network.nodes["id"].to_numpy(dtype=object)
    down = {item.node: 1.0, **{str(ids[p]): 1.0 for p in item.linked}}
    if metric in (Metric.BOTH, Metric.TTS):
        survival = time_to_survive(network, down, integer=True)
        row["tts"] = survival.tts
        statuses.append(survival.status)
    if metric in (Metric.BOTH, Metric.TTR):
        if math.isnan(item.duration):
            statuses.append(SolveStatus.NO_DURATION)
        elif item.duration == 0:  # nothing is lost over an empty window
            row["baseline_lost_profit"] = row["lost_profit"] = 0.0
        else:
            row["baseline_lost_profit"] = impact(
                network, {}, item.duration, integer=True
            ).lost_profit
            loss = impact(network, down, item.duration, integer=True)
            row["lost_profit"] = loss.lost_profit
            statuses.append(loss.status)
    row["status"], row["status_detail"] = _combine(statuses)


def _combine(statuses: list[SolveStatus]) -> tuple[SolveStatus, str]:
    """``(status, status_detail)`` of a node: its first non-optimal status (optimal when
    none), and the other distinct non-optimal ones joined by ``"; "``."""
    problems = list(dict.fromkeys(s for s in statuses if s != SolveStatus.OPTIMAL))
    if not problems:
        return SolveStatus.OPTIMAL, ""
    return problems[0], "; ".join(problems[1:])


def _durations_table(path: str) -> pd.DataFrame:
    """The cells of a durations CSV file as text (``InvalidInput`` naming the file)."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path}: is a folder, not a CSV file of node,duration") from None
    except (
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
        ValueError,
    ) as error:
        raise InvalidInput(f"{path}: not a readable CSV file ({error})") from None
    except OSError as error:
        raise InvalidInput(f"{path}: cannot read ({error.strerror or error})") from None


def read_durations(path: str, network: Network | None = None) -> pd.Series:
    """A ``node,duration`` CSV file as a Series (node -> periods), checked row by row.

    Parameters
    ----------
    path
        The CSV file, with columns ``node`` and ``duration`` (periods).
    network
        When given, every node must be one of its ids (an unknown one names its row).

    Returns
    -------
    pandas.Series
        Durations in periods, by node id.

    Raises
    ------
    InvalidInput
        Unreadable file (missing, a folder), missing columns, duplicate or unknown
        nodes, or a duration that is not a number of periods from 0 to 1e12 — naming
        the file, row and field.
    """
    from chipstress.model.validation import MAX_MAGNITUDE

    table = _durations_table(path)
    table.columns = [c.strip() for c in table.columns]
    missing = [c for c in ("node", "duration") if c not in table.columns]
    if missing:
        raise InvalidInput(f"{path}: missing column(s) {', '.join(missing)} (need node,duration)")
    problems = []
    nodes = table["node"].str.strip()
    values = pd.to_numeric(table["duration"].str.strip(), errors="coerce")
    known = None if network is None else set(network.nodes["id"])
    for row, (node, text, value) in enumerate(
        zip(nodes, table["duration"], values, strict=True), start=1
    ):
        if not node:
            problems.append(f"row {row}, field 'node': node is empty")
        elif known is not None and node not in known:
            problems.append(f"row {row}, field 'node': unknown node id {excerpt(node)}")
        if not np.isfinite(value) or not 0 <= value <= MAX_MAGNITUDE:
            problems.append(
                f"row {row}, field 'duration': {excerpt(text)} is not a number of periods "
                f">= 0 (at most {MAX_MAGNITUDE:g})"
            )
    duplicated = nodes.duplicated() & (nodes != "")
    problems += [
        f"row {row}, field 'node': duplicate node {node!r}"
        for row, (node, again) in enumerate(zip(nodes, duplicated, strict=True), start=1)
        if again
    ]
    if problems:
        listed = "\n  - ".join(problems[:25])
        raise InvalidInput(f"{path}: {len(problems)} problem(s):\n  - {listed}")
    return pd.Series(values.to_numpy(dtype=float), index=nodes.to_numpy(), name="duration")


def _items(
    network: Network,
    nodes: Iterable[str] | None,
    durations: Durations,
    include_products: bool,
    linked: Mapping[str, Iterable[str]] | None = None,
) -> list[_Item]:
    table = network.nodes
    if nodes is None:
        if isinstance(durations, Mapping | pd.Series):
            nodes = list(durations.keys())
        elif include_products:
            nodes = table["id"].tolist()
        else:
            nodes = table.loc[~network.index.has_demand, "id"].tolist()
    nodes = list(dict.fromkeys(nodes))
    positions = network.index.positions(nodes)
    own_ttr = table["ttr"].to_numpy(dtype=float)[positions]
    if durations is None:
        values = own_ttr
    elif isinstance(durations, Mapping | pd.Series):
        given = pd.Series(durations, dtype=float)
        network.index.positions(given.index)
        values = given.reindex(nodes).to_numpy(dtype=float)
        values = np.where(np.isnan(values), own_ttr, values)
    else:
        values = np.full(len(nodes), float(durations))
    bad = [
        n
        for n, v in zip(nodes, values, strict=True)
        if not np.isnan(v) and (v < 0 or not np.isfinite(v))
    ]
    if bad:
        raise InvalidInput(
            f"durations must be finite numbers of periods >= 0; bad for {', '.join(bad[:10])}"
        )
    together = {
        str(node): tuple(int(p) for p in network.index.positions(list(others)))
        for node, others in (linked or {}).items()
    }
    return [
        _Item(n, int(p), float(d), together.get(n, ()))
        for n, p, d in zip(nodes, positions, values, strict=True)
    ]


@dataclass(frozen=True)
class SweepResult:
    """A ``sweep`` run: every node disrupted in turn, ranked by risk exposure.

    Attributes
    ----------
    table
        One row per node, worst risk first (see :func:`sweep`).
    failed_chunks
        The chunks whose worker failed, by chunk index (their nodes have the status
        ``error``, and ``chunk failed: ...`` in ``status_detail``); empty when the run is
        complete.
    parameters
        ``duration`` (one number for every node, else ``None``), ``metric``, ``integer``
        and ``include_products``.
    """

    table: pd.DataFrame = field(repr=False)
    failed_chunks: tuple[ChunkFailure, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> RunKind:
        """Always :attr:`RunKind.SWEEP`."""
        return RunKind.SWEEP

    @property
    def complete(self) -> bool:
        """True when every chunk was solved."""
        return not self.failed_chunks

    def tables(self) -> dict[str, pd.DataFrame]:
        """``sweep``: the ranked table."""
        return {"sweep": self.table}

    def summary(self) -> dict[str, Any]:
        """:func:`sweep_summary` of the table."""
        return sweep_summary(self.table)


def sweep(
    network: Network,
    nodes: Iterable[str] | None = None,
    durations: Durations = None,
    *,
    metric: Metric | str = Metric.BOTH,
    integer: bool = False,
    include_products: bool = False,
    linked: Mapping[str, Iterable[str]] | None = None,
    delayed: Mapping[str, float] | None = None,
    runner: Runner | None = None,
) -> SweepResult:
    """Disrupt each node in turn (fully, for its duration) and measure the damage.

    Parameters
    ----------
    network
        The supply network.
    nodes
        Node ids to disrupt; default every node without demand (or the nodes of
        ``durations`` when it is a mapping).
    include_products
        With ``nodes=None``, disrupt the nodes with demand too (e.g. fabs that sell wafers).
    durations
        Periods each node stays down: ``None`` for each node's own ``ttr``, one number
        for all, or a mapping node -> periods.
    metric
        ``both`` (default), ``ttr`` (lost profit only) or ``tts`` (time-to-survive only).
    integer
        Solve the all-integer programs (whole units) instead of the LPs; much slower.
    linked
        Node id -> ids of nodes that go down with it (e.g. the lines qualified at a
        supplier's site for other customers: they share its fate).
    delayed
        Node id -> periods it cannot produce at the start of every disruption (a source
        qualified only once a disruption starts): over a window of ``T`` periods it loses
        ``min(1, delay/T)`` of its capacity, and the time-to-survive counts it only
        from then on (:meth:`chipstress.engine.RegionalSolver.time_to_survive_delayed`).
        Not with ``integer=True``.
    runner
        Where the chunks run (default: in this process), the ``progress(done, total)``
        callback (nodes) and the recorder that stores each finished chunk (table
        ``sweep_chunks``); chunks the recorder already holds (a resumed run) are read
        back instead of solved again (:func:`chipstress.workflows.runner.run_chunks`).

    Returns
    -------
    SweepResult
        Its ``table``: ``node, duration, lost_profit, tts, status`` then
        ``baseline_lost_profit, status_detail, risk_exposure_index, lost_profit_log10,
        ttr_minus_tts, exposed, name, kind, cluster``, one row per node, worst risk first. ``status``
        is a :class:`chipstress.engine.SolveStatus` value: the first of the node's
        programs that did not end optimal (``no_duration`` without a TTR, ``error``
        when solving raised); ``status_detail`` holds the rest (other statuses, the
        error's message), ``""`` for optimal rows. Identical for any number of workers,
        any executor, and whether or not the run was interrupted and resumed. A chunk
        whose worker failed gives its nodes the status ``error`` (``chunk failed: ...``
        in ``status_detail``); the failures are also listed in ``failed_chunks``.
    """
    if metric not in METRICS:
        raise InvalidInput(f"metric must be one of {', '.join(METRICS)}, not {metric!r}")
    metric = Metric(metric)
    items = _items(network, nodes, durations, include_products, linked)
    delays: tuple[tuple[int, float], ...] = ()
    if delayed:
        if integer:
            raise InvalidInput("delayed nodes are not supported by the integer sweep")
        positions = network.index.positions(delayed.keys())
        bad = [k for k, v in delayed.items() if not (np.isfinite(float(v)) and float(v) >= 0)]
        if bad:
            raise InvalidInput(f"delays must be finite numbers of periods >= 0; bad for {bad}")
        delays = tuple(
            (int(p), float(v)) for p, v in zip(positions, delayed.values(), strict=True) if v > 0
        )
    payload = network if integer else _prepare(network, items, metric)
    group_key = None if isinstance(payload, Network) else payload[0].group_key
    chunks = sweep_chunks(items, metric, delays, group_key)
    run = run_chunks(
        runner,
        _sweep_setup,
        (payload,),
        _sweep_task,
        chunks,
        encode=_chunk_tables,
        decode=_stored_chunk,
        tables=["sweep_chunks"],
        size=lambda chunk: len(chunk[0]),
        parallel=len(items) >= 64,
    )
    rows: list[dict[str, Any]] = []
    for chunk, result in zip(chunks, run.results, strict=True):
        if isinstance(result, ChunkFailure):
            rows += [_failed_row(item, result.error) for item in chunk[0]]
        else:
            _check_resumed_chunk(chunk[0], result, runner)
            rows += result
    table = _finish(network, rows, items)
    return SweepResult(
        table,
        tuple(run.failures),
        {
            "duration": float(durations) if isinstance(durations, int | float) else None,
            "metric": metric,
            "integer": integer,
            "include_products": include_products,
        },
    )


# Columns of the raw per-node rows (before ranking), as stored chunk by chunk.
_ROW_COLUMNS = [*SWEEP_COLUMNS, "baseline_lost_profit", "status_detail"]

# Nodes per chunk: fixed by the number of nodes alone, so a resumed run (with any number
# of workers or any executor) splits the work exactly as the interrupted one did.
_TARGET_CHUNKS = 128
_MAX_CHUNK = 256


def sweep_chunks(
    items: list[_Item],
    metric: Metric,
    delays: tuple[tuple[int, float], ...] = (),
    group_key: np.ndarray | None = None,
) -> list[Job]:
    """The sweep's work split into chunks.

    With ``group_key`` (the compiled network's ``StressModel.group_key``), items are
    ordered by their key and cut into consecutive chunks, so nodes that share a scenario
    region land in the same chunk (their programs are reused); without it (integer
    sweeps) chunks are strided, so each mixes easy and hard nodes.

    Parameters
    ----------
    items
        The nodes to disrupt, with their durations (periods).
    metric
        ``ttr``, ``tts`` or ``both``.
    delays
        Node position -> periods before it produces (delayed sources).
    group_key
        One integer per node of the network, or ``None``.

    Returns
    -------
    list of Job
        One job per chunk: its items, ``metric`` and ``delays``.
    """
    if not items:
        return []
    size = min(_MAX_CHUNK, max(8, math.ceil(len(items) / _TARGET_CHUNKS)))
    count = math.ceil(len(items) / size)
    if group_key is None:
        return [(items[i::count], metric, delays) for i in range(count)]
    ordered = sorted(items, key=lambda item: (_item_key(group_key, item), item.position))
    return [(ordered[i * size : (i + 1) * size], metric, delays) for i in range(count)]


def _chunk_tables(rows: list[dict[str, Any]]) -> dict[str, Rows]:
    """A finished chunk's rows as stored (table ``sweep_chunks``, columns
    :data:`_ROW_COLUMNS`): the records themselves, made one frame per written batch."""
    return {"sweep_chunks": rows}


def _stored_chunk(index: int, tables: Mapping[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """A stored chunk's rows again (exact: floats round-trip)."""
    rows = []
    for record in tables["sweep_chunks"].to_dict(orient="records"):
        row = {str(key): value for key, value in record.items()}
        row["status"] = str(row["status"])
        detail = row.get("status_detail")
        row["status_detail"] = detail if isinstance(detail, str) else ""
        row["node"] = str(row["node"])
        rows.append(row)
    return rows


def _check_resumed_chunk(
    items: list[_Item], rows: list[dict[str, Any]], runner: Runner | None
) -> None:
    """Refuse a resumed run whose stored chunk holds other nodes than this chunk.

    Chunks are consecutive runs of nodes grouped by their downstream products (they were
    strided before): a run started by an older chipstress cannot be finished by this one
    without counting some nodes twice and others never.
    """
    if [item.node for item in items] == [str(row.get("node")) for row in rows]:
        return
    recorder = runner.recorder if runner is not None else None
    run_id = recorder.run_id if recorder is not None else "this run"
    raise InvalidInput(
        f"run {run_id} was started by an older chipstress that split the nodes into chunks "
        "differently; it cannot be resumed: start the sweep again without --resume"
    )


def _failed_row(item: _Item, error: str) -> dict[str, Any]:
    return {
        "node": item.node,
        "duration": item.duration,
        "lost_profit": np.nan,
        "tts": np.nan,
        "status": SolveStatus.ERROR,
        "baseline_lost_profit": np.nan,
        "status_detail": f"chunk failed: {error}",
    }


def _finish(network: Network, rows: list[dict[str, Any]], items: list[_Item]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=_ROW_COLUMNS)
    order = {item.node: i for i, item in enumerate(items)}
    table = table.sort_values("node", key=lambda s: s.map(order)).reset_index(drop=True)
    excess = (table["lost_profit"] - table["baseline_lost_profit"].fillna(0.0)).clip(lower=0.0)
    worst = excess.max(skipna=True)
    table["risk_exposure_index"] = excess / worst if worst and worst > 0 else excess * 0.0
    # The same excess on a log scale, so the many small risks stay apart (5 = 100k, 9 = 1bn).
    table["lost_profit_log10"] = np.log10(1.0 + excess)
    table["ttr_minus_tts"] = table["duration"] - table["tts"]
    # TTR > TTS, with a relative tolerance: a TTS equal to the TTR up to rounding (as
    # when both are 1 week) is not an exposure.
    table["exposed"] = table["duration"] > table["tts"] * (1 + EXPOSED_TOLERANCE)
    info = network.nodes.set_index("id")[["name", "kind", "cluster"]]
    table = table.join(info, on="node")
    table = table.sort_values(
        ["risk_exposure_index", "tts", "node"],
        ascending=[False, True, True],
        na_position="last",
        kind="stable",
    ).reset_index(drop=True)
    return table


def sweep_summary(table: pd.DataFrame) -> dict[str, Any]:
    """Headline figures of a sweep: nodes, exposures, the worst node, total lost profit."""
    worst = table.iloc[0] if len(table) else None
    return {
        "nodes": len(table),
        "exposed": int(table["exposed"].sum()),
        "worst_node": None if worst is None else str(worst["node"]),
        "worst_lost_profit": None if worst is None else float(worst["lost_profit"]),
        "total_lost_profit": float(table["lost_profit"].sum(skipna=True)),
        "not_optimal": int((table["status"] != "optimal").sum()),
    }

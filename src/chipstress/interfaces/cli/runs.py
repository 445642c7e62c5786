"""Stored runs: ``runs list|show|compare|delete``, and the ``--db`` option of run commands."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from chipstress.errors import InvalidInput
from chipstress.interfaces.cli._common import (
    console,
    error_console,
    fail_on_bad_input,
    money,
    write_table,
)
from chipstress.interfaces.cli._options import RUN_KIND_NAMES

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

    from chipstress.model import Network
    from chipstress.results import RunKind, RunResult
    from chipstress.store import ResultsStore, RunRecorder

__all__ = [
    "DbOption",
    "NoSaveOption",
    "app",
    "interrupted",
    "open_recorder",
    "run_parameters",
    "save_run",
]

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Results database: a DuckDB file or a postgresql:// URL "
        "(default: $CHIPSTRESS_DB or results.duckdb in your data directory).",
    ),
]
NoSaveOption = Annotated[
    bool, typer.Option("--no-save", help="Do not store this run in the results database.")
]

# Summary figures shown in `runs list`, per kind of run.
_HEADLINE = {
    "sweep": ("nodes", "exposed", "worst_node"),
    "impact": ("nodes", "duration", "lost_profit"),
    "survive": ("nodes", "tts", "binding_products"),
    "outage": ("name", "loss", "tts"),
    "simulate": ("years", "expected_annual_loss", "var_99"),
    "replay": ("event", "loss", "tts"),
    "scenario": ("event", "loss", "tts"),
    "whatif": ("edits", "worst_lost_profit_after", "exposed_sites_after"),
    "plan": ("measure", "baseline", "best_value"),
    "contingency": ("nodes", "expected_lost_profit", "longest_duration"),
}

app = typer.Typer(
    help="Stored runs: list, show, compare, delete.", no_args_is_help=True, rich_markup_mode=None
)


def save_run(
    db: str | None,
    result: RunResult,
    network: Network,
    parameters: Mapping[str, Any],
    wall_seconds: float,
) -> str:
    """Store a finished run and say where; returns its id.

    Parameters
    ----------
    db
        The results database (``--db``).
    result
        The run's result (its kind, tables and summary are stored).
    network
        The network it ran on.
    parameters
        The command's parameters as recorded (how to run it again).
    wall_seconds
        How long the run took (seconds).

    Returns
    -------
    str
        The new run's id.
    """
    from chipstress.store import ResultsStore

    with ResultsStore(db) as store:
        run_id = store.save_result(result, network, parameters, wall_seconds)
        error_console.print(f"saved run {run_id} to {store.location}")
    return run_id


def run_parameters(
    store: ResultsStore | None,
    resume: str | None,
    kind: RunKind | str,
    fresh: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """The parameters of a resumable run: the stored run's own with ``--resume``, else ``fresh()``.

    Parameters
    ----------
    store
        The results store (``None`` with ``--no-save``).
    resume
        The id of the run to resume (``--resume``), or ``None``.
    kind
        The command's run kind.
    fresh
        Builds the parameters of a new run.

    Returns
    -------
    dict
        The parameters to run with.

    Raises
    ------
    InvalidInput
        The run to resume is unknown or of another kind.
    """
    from chipstress.store.results import run_kind

    if resume is None:
        return fresh()
    assert store is not None, "--resume needs the results database"
    stored = store.run(resume)
    if stored.kind != run_kind(kind):
        raise InvalidInput(
            f"run {stored.run_id} is a {stored.kind} run, not a {run_kind(kind)} run"
        )
    error_console.print(f"resuming {stored.run_id} with its own parameters: {stored.parameters}")
    return dict(stored.parameters)


# How long a recording command keeps a DuckDB results file open after each write, for
# the next chunk (seconds). Opening and closing the file costs about 25 ms; a sweep of
# large.json writes 8 times. Another process that waits for the file gets it at once
# (see ResultsStore's linger_seconds); the command closes it when it ends.
RECORDING_LINGER_SECONDS = 1.0


def open_recorder(
    store: ResultsStore | None,
    resume: str | None,
    kind: RunKind | str,
    network: Network,
    parameters: Mapping[str, Any],
) -> RunRecorder | None:
    """The recorder that stores each finished chunk (``None`` with ``--no-save``).

    Parameters
    ----------
    store
        The results store (``None`` with ``--no-save``).
    resume
        The id of the run to resume, or ``None`` to start one.
    kind
        The run kind.
    network
        The network run on (its fingerprint must match a resumed run's).
    parameters
        The run's parameters (stored with a new run).

    Returns
    -------
    RunRecorder or None
        The recorder, or ``None`` when nothing is stored.

    Raises
    ------
    InvalidInput
        As :meth:`ResultsStore.resume`.
    """
    if store is None:
        return None
    if resume:
        return store.resume(resume, network, kind=kind)
    return store.start(kind, network, parameters)


def interrupted(recorder: RunRecorder | None, command: str) -> typer.Exit:
    """Say what Ctrl-C left stored and how to finish it; the exit to raise (code 130)."""
    if recorder is not None:
        error_console.print(
            f"[yellow]interrupted[/yellow]: {len(recorder.done_chunks())} chunks of run "
            f"{recorder.run_id} are stored; finish it with: "
            f"chipstress {command} --resume {recorder.run_id}"
        )
    return typer.Exit(130)


# Summary keys and table columns that hold money (printed by `money`, never in e-notation).
_MONEY_WORDS = ("profit", "loss", "var_", "cvar", "annual", "cost", "budget")


def _cell(value: Any, key: str = "") -> str:
    """A stored figure as text: money as ``1,234.00``, other numbers without e-notation."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool) or not isinstance(value, float | int):
        return str(value)
    if any(word in key.lower() for word in _MONEY_WORDS):
        return money(float(value))
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.6g}" if abs(value) < 1e6 or math.isinf(value) else f"{value:,.0f}"


def _frame_table(frame: pd.DataFrame, title: str, limit: int) -> Table:
    from rich.table import Table

    table = Table(title=title)
    for column in frame.columns:
        table.add_column(str(column))
    for row in frame.head(limit).itertuples(index=False):
        table.add_row(*[_cell(v, str(c)) for v, c in zip(row, frame.columns, strict=True)])
    if len(frame) > limit:  # a caption, so a narrow first column never wraps it
        table.caption = f"... {len(frame) - limit} more rows"
    return table


@app.command("list")
def list_runs(
    kind: Annotated[
        str | None,
        typer.Option("--kind", help=f"Only runs of this kind ({', '.join(RUN_KIND_NAMES)})."),
    ] = None,
    all_runs: Annotated[
        bool, typer.Option("--all", help="Include unfinished and failed runs.")
    ] = False,
    db: DbOption = None,
) -> None:
    """List stored runs, newest first."""
    from rich.table import Table

    from chipstress.store import ResultsStore

    with fail_on_bad_input(), ResultsStore(db) as store:
        runs = store.runs(kind, include_incomplete=all_runs)
        table = Table(title=f"Runs in {store.location} ({len(runs)})")
        for column in ("run", "kind", "network", "status", "created (UTC)", "wall s", "headline"):
            table.add_column(column)
        for record in runs.to_dict(orient="records"):
            row: dict[str, Any] = {str(k): v for k, v in record.items()}
            summary = json.loads(row["summary"]) if row["summary"] else {}
            headlines: tuple[str, ...] = _HEADLINE.get(str(row["kind"]), ())
            keys = [k for k in headlines if k in summary] or list(summary)[:3]
            headline = ", ".join(f"{k}={_cell(summary[k], k)}" for k in keys)
            table.add_row(
                str(row["run_id"]),
                str(row["kind"]),
                str(row["network"]),
                str(row["status"]),
                str(row["created_at"]),
                _cell(row["wall_seconds"]),
                headline,
            )
        console.print(table)


@app.command("show")
def show_run(
    run: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    table_name: Annotated[
        str | None, typer.Option("--table", help="Print (or --out) this result table.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the table to a .csv or .parquet file.")
    ] = None,
    rows: Annotated[int, typer.Option("--rows", min=1, help="Rows to print.")] = 20,
    db: DbOption = None,
) -> None:
    """A run's record: kind, network, fingerprint, parameters, summary and tables."""
    from chipstress.store import ResultsStore

    with fail_on_bad_input(), ResultsStore(db) as store:
        stored = store.run(run)
        console.print(
            f"[bold]{stored.run_id}[/bold]  {stored.kind} of {stored.network}  ({stored.status})"
        )
        console.print(f"network fingerprint: {stored.fingerprint}")
        console.print(
            f"created {stored.created_at}, finished {stored.finished_at or '-'}, "
            f"wall {_cell(stored.wall_seconds)} s, chipstress {stored.version}"
        )
        console.print("parameters: " + json.dumps(stored.parameters, sort_keys=True))
        for key, value in stored.summary.items():
            console.print(f"  {key}: {_cell(value, key)}")
        console.print("tables: " + (", ".join(stored.table_names) or "none"))
        if table_name is None and out is not None:
            raise typer.BadParameter("--out needs --table NAME", param_hint="--out")
        if table_name is not None:
            frame = store.table(stored.run_id, table_name)
            if out is not None:
                write_table(frame, out)
                console.print(f"wrote {out} ({len(frame)} rows)")
            else:
                console.print(_frame_table(frame, f"{table_name} ({len(frame)} rows)", rows))


@app.command("compare")
def compare_runs(
    first: Annotated[str, typer.Argument(help="First run id (or prefix).")],
    second: Annotated[str, typer.Argument(help="Second run id (or prefix).")],
    rows: Annotated[
        int, typer.Option("--rows", min=1, help="Rows to print, largest change first.")
    ] = 30,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the comparison to .csv/.parquet.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Two runs side by side (summaries; for sweeps every node's lost profit and TTS)."""
    from chipstress.store import ResultsStore

    with fail_on_bad_input(), ResultsStore(db) as store:
        table = store.compare(first, second)
        a, b = table.attrs["runs"]
        ordered = table.assign(_size=table["delta"].abs()).sort_values(
            "_size", ascending=False, na_position="last"
        )
        ordered = ordered.drop(columns="_size").rename(columns={"first": a, "second": b})
        console.print(_frame_table(ordered, f"{a} vs {b}", rows))
        if out is not None:
            write_table(ordered, out)
            console.print(f"wrote {out}")


@app.command("delete")
def delete_run(
    run: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    db: DbOption = None,
) -> None:
    """Delete a run and all its rows."""
    from chipstress.store import ResultsStore

    with fail_on_bad_input(), ResultsStore(db) as store:
        full = store.resolve(run)
        if not yes and not typer.confirm(f"delete run {full} from {store.location}?"):
            raise typer.Exit(1)
        store.delete(full)
        console.print(f"deleted {full}")


@app.command("import")
def import_runs(
    folders: Annotated[
        list[Path], typer.Argument(help="Folders of runs kept because the database was busy.")
    ],
    db: DbOption = None,
) -> None:
    """Store runs that were kept in a folder (<db>.pending/<run id>) under their own ids."""
    from chipstress.store import ResultsStore
    from chipstress.store.spill import import_kept

    failed = 0
    with fail_on_bad_input(), ResultsStore(db) as store:
        for folder in folders:
            try:
                console.print(f"imported run {import_kept(store, folder)} into {store.location}")
            except InvalidInput as error:  # one bad folder must not stop the others
                error_console.print(f"error: {error}")
                failed += 1
    if failed:
        raise typer.Exit(1)

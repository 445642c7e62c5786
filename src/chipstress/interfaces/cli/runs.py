"""Stored runs: ``runs list|show|compare|delete``, and the ``--db`` option of run commands."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from chipstress.errors import InvalidInput
from chipstress.interfaces.cli._common import console, error_console, fail_on_bad_input, write_table
from chipstress.model import Network
from chipstress.store import RUN_KINDS, ResultsStore, RunRecorder

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
    "simulation": ("years", "expected_annual_loss", "var_99"),
    "replay": ("event", "loss", "tts"),
    "scenario": ("event", "loss", "tts"),
    "whatif": ("edits", "worst_lost_profit_after", "exposed_sites_after"),
    "plan": ("measure", "baseline", "best_value"),
}

app = typer.Typer(
    help="Stored runs: list, show, compare, delete.", no_args_is_help=True, rich_markup_mode=None
)


def save_run(
    db: str | None,
    kind: str,
    network: Network,
    parameters: Mapping[str, Any],
    tables: Mapping[str, pd.DataFrame],
    summary: Mapping[str, Any],
    wall_seconds: float,
) -> str:
    """Store a finished run and say where; returns its id."""
    with ResultsStore(db) as store:
        run_id = store.save(kind, network, parameters, tables, summary, wall_seconds)
        error_console.print(f"saved run {run_id} to {store.location}")
    return run_id


def run_parameters(
    store: ResultsStore | None,
    resume: str | None,
    kind: str,
    fresh: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """The parameters of a resumable run: the stored run's own with ``--resume``, else ``fresh()``.

    Raises
    ------
    InvalidInput
        The run to resume is unknown or of another kind.
    """
    if resume is None:
        return fresh()
    assert store is not None, "--resume needs the results database"
    stored = store.run(resume)
    if stored.kind != kind:
        raise InvalidInput(f"run {stored.run_id} is a {stored.kind} run, not a {kind}")
    error_console.print(f"resuming {stored.run_id} with its own parameters: {stored.parameters}")
    return dict(stored.parameters)


def open_recorder(
    store: ResultsStore | None,
    resume: str | None,
    kind: str,
    network: Network,
    parameters: Mapping[str, Any],
) -> RunRecorder | None:
    """The recorder that stores each finished chunk (``None`` with ``--no-save``)."""
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


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.6g}"
    return str(value)


def _frame_table(frame: pd.DataFrame, title: str, limit: int) -> Table:
    table = Table(title=title)
    for column in frame.columns:
        table.add_column(str(column))
    for row in frame.head(limit).itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    if len(frame) > limit:
        table.add_row(f"... {len(frame) - limit} more rows", *[""] * (len(frame.columns) - 1))
    return table


@app.command("list")
def list_runs(
    kind: Annotated[
        str | None, typer.Option("--kind", help=f"Only runs of this kind ({', '.join(RUN_KINDS)}).")
    ] = None,
    all_runs: Annotated[
        bool, typer.Option("--all", help="Include unfinished and failed runs.")
    ] = False,
    db: DbOption = None,
) -> None:
    """List stored runs, newest first."""
    with fail_on_bad_input(), ResultsStore(db) as store:
        runs = store.runs(kind, include_incomplete=all_runs)
        table = Table(title=f"Runs in {store.location} ({len(runs)})")
        for column in ("run", "kind", "network", "status", "created (UTC)", "wall s", "headline"):
            table.add_column(column)
        for row in runs.itertuples(index=False):
            summary = json.loads(row.summary) if row.summary else {}
            keys = [k for k in _HEADLINE.get(row.kind, ()) if k in summary] or list(summary)[:3]
            headline = ", ".join(f"{k}={_cell(summary[k])}" for k in keys)
            table.add_row(
                row.run_id,
                row.kind,
                row.network,
                row.status,
                row.created_at,
                _cell(row.wall_seconds),
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
            console.print(f"  {key}: {_cell(value)}")
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
    with fail_on_bad_input(), ResultsStore(db) as store:
        full = store.resolve(run)
        if not yes and not typer.confirm(f"delete run {full} from {store.location}?"):
            raise typer.Exit(1)
        store.delete(full)
        console.print(f"deleted {full}")

"""Hazard commands: ``hazards`` (the catalogue), ``replay``, ``scenario``, ``simulate``."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from chipstress.errors import ChipstressError
from chipstress.interfaces.cli._common import (
    console,
    error_console,
    escape,
    fail_on_bad_input,
    load_network,
    money,
    progress,
    progress_reporter,
    step,
    write_table,
)
from chipstress.interfaces.cli._options import ExecutorChoice
from chipstress.interfaces.cli.network import NetworkArg
from chipstress.interfaces.cli.runs import (
    RECORDING_LINGER_SECONDS,
    DbOption,
    NoSaveOption,
    interrupted,
    open_recorder,
    run_parameters,
    save_run,
)
from chipstress.interfaces.cli.stress import (
    ExecutorOption,
    RayAddressOption,
    ResumeOption,
    chosen_executor,
)

if TYPE_CHECKING:
    from chipstress.executors import Executor
    from chipstress.model import Network
    from chipstress.store import RunRecorder
    from chipstress.workflows.hazards import HazardResult, SimulationResult

__all__ = [
    "hazards_command",
    "replay_command",
    "scenario_command",
    "simulate_command",
    "sites_title",
]

OutOption = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Write the sites hit to this .csv or .parquet file."),
]


def _check_out(out: Path | None) -> None:
    if out is not None and out.suffix.lower() not in (".csv", ".parquet"):
        raise typer.BadParameter("the output file must end in .csv or .parquet", param_hint="--out")


def sites_title(sites: int, rows: int) -> str:
    """The title of the "sites hit" table: sites and rows counted apart when they differ.

    Parameters
    ----------
    sites
        Distinct sites hit.
    rows
        Rows of the table (one per site and hazard).

    Returns
    -------
    str
        ``Sites hit and why (13 sites)`` or, when a site is hit by several hazards,
        ``Sites hit and why (13 sites, 25 rows: one per site and hazard)``.
    """
    counted = f"{sites} site{'s' if sites != 1 else ''}"
    if rows != sites:
        counted += f", {rows} rows: one per site and hazard"
    return f"Sites hit and why ({counted})"


def _print_result(result: HazardResult) -> None:
    """The summary, the sites hit and why, and the nodes the loss is allocated to."""
    from rich.console import JustifyMethod
    from rich.table import Table

    from chipstress.interfaces.cells import number

    if result.description:
        console.print(escape(result.description), style="dim")
    sites = result.sites
    if len(sites):
        table = Table(title=sites_title(sites["site"].nunique(), len(sites)))
        columns: tuple[tuple[str, JustifyMethod], ...] = (
            ("site", "left"),
            ("kind", "left"),
            ("hazard", "left"),
            ("intensity", "left"),
            ("damage", "left"),
            ("capacity loss", "right"),
            ("recovery (weeks)", "right"),
            ("reason", "left"),
        )
        for column, justify in columns:
            table.add_column(column, justify=justify)
        for row in sites.itertuples(index=False):
            table.add_row(
                escape(str(row.site)),
                str(row.kind),
                str(row.hazard),
                escape(str(row.intensity)),
                str(row.damage_state),
                "" if math.isnan(number(row.capacity_loss)) else f"{row.capacity_loss:.0%}",
                f"{row.recovery_weeks:,.2f}",
                escape(str(row.reason)),
            )
        console.print(table)
    if len(result.nodes) and result.loss > 0:
        shares = result.nodes[result.nodes["allocated_loss"] > 0]
        console.print(
            "Loss by node: "
            + "; ".join(
                f"{r.node} {number(r.allocated_loss) / result.loss:.0%}"
                for r in shares.head(8).itertuples()
            )
        )
    console.print(result.describe(), markup=False)


def hazards_command() -> None:
    """List the historical events that replay knows (id, date, name, events)."""
    from rich.table import Table

    from chipstress.workflows.hazards import catalogue

    with fail_on_bad_input():
        table = Table(title="Historical hazard catalogue")
        for column in ("id", "date", "name", "events"):
            table.add_column(column)
        for entry in catalogue().values():
            kinds = sorted({getattr(e, "hazard", e.type) for e in entry.events})
            table.add_row(entry.id, entry.date, escape(entry.name), ", ".join(kinds))
        console.print(table)


def _run_event(
    label: str,
    run: Callable[[Network], HazardResult],
    network: str,
    parameters: Callable[[], dict],
    out: Path | None,
    db: str | None,
    no_save: bool,
) -> None:
    """Load the network, run the event(s), print, write ``--out`` and store the run.

    ``parameters`` is called once the run has succeeded (it may read the input again).
    """
    _check_out(out)
    loaded = load_network(network)
    started = time.perf_counter()
    result = step(label, lambda: run(loaded))
    wall = time.perf_counter() - started
    _print_result(result)
    if out is not None:
        write_table(result.sites, out)
        console.print(f"wrote {out}")
    if not no_save:
        stored = {"network": str(network), **parameters()}
        save_run(db, result, loaded, stored, wall)


def replay_command(
    event: Annotated[str, typer.Argument(help="Catalogue id (see: chipstress hazards).")],
    network: NetworkArg,
    out: OutOption = None,
    db: DbOption = None,
    no_save: NoSaveOption = False,
) -> None:
    """Apply a historical event to a network as it is today: lost profit, TTS, sites hit and why."""
    from chipstress.workflows.hazards import replay

    with fail_on_bad_input():
        _run_event(
            f"Replaying {event}",
            lambda loaded: replay(event, loaded),
            network,
            lambda: {"event": event},
            out,
            db,
            no_save,
        )


def scenario_command(
    file: Annotated[
        Path, typer.Argument(help="Scenario YAML: one event, a list, or events: [...].")
    ],
    network: NetworkArg,
    out: OutOption = None,
    db: DbOption = None,
    no_save: NoSaveOption = False,
) -> None:
    """Apply the events of a scenario file to a network: lost profit, TTS, sites hit and why."""
    from chipstress.workflows.hazards import run_scenario

    with fail_on_bad_input():
        _run_event(
            f"Running {file}",
            lambda loaded: run_scenario(file, loaded),
            network,
            lambda: {"file": str(file), "events": file.read_text(encoding="utf-8")},
            out,
            db,
            no_save,
        )


def _print_simulation(result: SimulationResult) -> None:
    from rich.table import Table

    from chipstress.interfaces.cells import number

    table = Table(title="Loss-exceedance curve (annual)")
    for column in ("return period (years)", "exceedance probability", f"loss ({result.currency})"):
        table.add_column(column, justify="right")
    for row in result.exceedance.itertuples(index=False):
        table.add_row(
            f"{row.return_period:,}", f"{row.exceedance_probability:.4g}", money(number(row.loss))
        )
    console.print(table)
    console.print(result.describe(), markup=False)
    for note in result.notes:
        console.print(f"note: {note}", markup=False)


def simulate_command(
    network: Annotated[
        str | None,
        typer.Argument(help="Network folder or file, or a built-in name (tri-cluster)."),
    ] = None,
    years: Annotated[
        int | None,
        typer.Option(
            "--years", "-n", min=1, help="Simulated years. Required (no default) unless --resume."
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            "-s",
            min=0,
            help="Random seed (same seed, same numbers). Required (no default) unless --resume.",
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=0, help="Worker processes (0 = every core).")
    ] = 0,
    executor: ExecutorOption = ExecutorChoice.LOCAL,
    ray_address: RayAddressOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the per-year table to this .csv or .parquet file, and the events "
            "to <stem>-events.<ext> beside it.",
        ),
    ] = None,
    resume: ResumeOption = None,
    db: DbOption = None,
    no_save: NoSaveOption = False,
) -> None:
    """Monte-Carlo years of hazard events: expected annual loss, VaR/CVaR, exceedance curve.

    The run is stored chunk by chunk (500 years each) as it goes; after a crash or
    Ctrl-C, --resume RUN_ID finishes it with identical numbers.
    """
    from chipstress.results import RunKind
    from chipstress.store import ResultsStore

    with fail_on_bad_input():
        _check_simulate_options(out, resume, no_save, network, years, seed)
        store = None if no_save else ResultsStore(db, linger_seconds=RECORDING_LINGER_SECONDS)
        try:
            parameters = run_parameters(
                store,
                resume,
                RunKind.SIMULATE,
                lambda: {"network": str(network), "years": years, "seed": seed},
            )
            loaded = load_network(parameters["network"])
            executor_pool = chosen_executor(workers, executor, ray_address)
            recorder = open_recorder(store, resume, RunKind.SIMULATE, loaded, parameters)
            result = _run_simulation(
                loaded,
                int(parameters["years"]),
                int(parameters["seed"]),
                workers,
                executor_pool,
                recorder,
            )
            _print_simulation(result)
            if out is not None:
                events_path = out.with_name(f"{out.stem}-events{out.suffix}")
                write_table(result.years, out)
                write_table(result.events, events_path)
                console.print(f"wrote {out} and {events_path}")
            if recorder is not None:
                recorder.finish(result.summary(), result.tables())
                error_console.print(f"saved run {recorder.run_id} to {recorder.store.location}")
        finally:
            if store is not None:
                store.close()


def _check_simulate_options(
    out: Path | None,
    resume: str | None,
    no_save: bool,
    network: str | None,
    years: int | None,
    seed: int | None,
) -> None:
    _check_out(out)
    if resume and no_save:
        raise typer.BadParameter(
            "--resume needs the results database (drop --no-save)", param_hint="--resume"
        )
    if resume is None and (network is None or years is None or seed is None):
        raise typer.BadParameter(
            "give NETWORK, --years and --seed (or --resume RUN_ID)", param_hint="NETWORK"
        )


def _run_simulation(
    network: Network,
    n_years: int,
    seed: int,
    workers: int,
    executor: Executor | None,
    recorder: RunRecorder | None,
) -> SimulationResult:
    """``simulate`` under a progress bar; a failed run is marked failed in the store."""
    from chipstress.workflows.hazards import simulate
    from chipstress.workflows.runner import Runner

    with progress() as bar:
        task = bar.add_task(f"Simulating {n_years:,} years", total=n_years)
        report = progress_reporter(bar, task)
        try:
            return simulate(
                network, n_years, seed, runner=Runner(workers, executor, report, recorder)
            )
        except KeyboardInterrupt:
            raise interrupted(recorder, "simulate") from None
        except ChipstressError:
            if recorder is not None:
                recorder.fail("some chunks failed")
                error_console.print(
                    f"retry the failed chunks with: chipstress simulate --resume {recorder.run_id}"
                )
            raise

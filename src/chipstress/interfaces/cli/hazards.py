"""Hazard commands: ``hazards`` (the catalogue), ``replay``, ``scenario``, ``simulate``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from chipstress.interfaces.cli._common import (
    console,
    fail_on_bad_input,
    load_network,
    progress,
    step,
    write_table,
)
from chipstress.interfaces.cli.network import NetworkArg
from chipstress.workflows.hazards import (
    HazardResult,
    SimulationResult,
    catalogue,
    replay,
    run_scenario,
    simulate,
)

__all__ = ["hazards_command", "replay_command", "scenario_command", "simulate_command"]

OutOption = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Write the sites hit to this .csv or .parquet file."),
]


def _check_out(out: Path | None) -> None:
    if out is not None and out.suffix.lower() not in (".csv", ".parquet"):
        raise typer.BadParameter("the output file must end in .csv or .parquet", param_hint="--out")


def _money(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.0f}"


def _print_result(result: HazardResult) -> None:
    """The summary, the sites hit and why, and the nodes the loss is allocated to."""
    if result.description:
        console.print(escape(result.description), style="dim")
    sites = result.sites
    if len(sites):
        table = Table(title=f"Sites hit and why ({sites['site'].nunique()} sites)")
        for column, justify in (
            ("site", "left"),
            ("kind", "left"),
            ("hazard", "left"),
            ("intensity", "left"),
            ("damage", "left"),
            ("capacity loss", "right"),
            ("recovery (weeks)", "right"),
            ("reason", "left"),
        ):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for row in sites.itertuples(index=False):
            table.add_row(
                escape(str(row.site)),
                str(row.kind),
                str(row.hazard),
                escape(str(row.intensity)),
                str(row.damage_state),
                "" if math.isnan(row.capacity_loss) else f"{row.capacity_loss:.0%}",
                f"{row.recovery_weeks:,.2f}",
                escape(str(row.reason)),
            )
        console.print(table)
    if len(result.nodes) and result.loss > 0:
        shares = result.nodes[result.nodes["allocated_loss"] > 0]
        console.print(
            "Loss by node: "
            + "; ".join(
                f"{r.node} {r.allocated_loss / result.loss:.0%}"
                for r in shares.head(8).itertuples()
            )
        )
    console.print(result.summary(), markup=False)


def hazards_command() -> None:
    """List the historical events ``replay`` knows (id, date, name, events)."""
    with fail_on_bad_input():
        table = Table(title="Historical hazard catalogue")
        for column in ("id", "date", "name", "events"):
            table.add_column(column)
        for entry in catalogue().values():
            kinds = sorted({getattr(e, "hazard", e.type) for e in entry.events})
            table.add_row(entry.id, entry.date, escape(entry.name), ", ".join(kinds))
        console.print(table)


def replay_command(
    event: Annotated[str, typer.Argument(help="Catalogue id (see `chipstress hazards`).")],
    network: NetworkArg,
    out: OutOption = None,
) -> None:
    """Apply a historical event to a network as it is today: lost profit, TTS, sites hit and why."""
    with fail_on_bad_input():
        _check_out(out)
        loaded = load_network(network)
        result = step(f"Replaying {event}", lambda: replay(event, loaded))
        _print_result(result)
        if out is not None:
            write_table(result.sites, out)
            console.print(f"wrote {out}")


def scenario_command(
    file: Annotated[
        Path, typer.Argument(help="Scenario YAML: one event, a list, or events: [...].")
    ],
    network: NetworkArg,
    out: OutOption = None,
) -> None:
    """Apply the events of a scenario file to a network: lost profit, TTS, sites hit and why."""
    with fail_on_bad_input():
        _check_out(out)
        loaded = load_network(network)
        result = step(f"Running {file}", lambda: run_scenario(file, loaded))
        _print_result(result)
        if out is not None:
            write_table(result.sites, out)
            console.print(f"wrote {out}")


def _print_simulation(result: SimulationResult) -> None:
    table = Table(title="Loss-exceedance curve (annual)")
    for column in ("return period (years)", "exceedance probability", f"loss ({result.currency})"):
        table.add_column(column, justify="right")
    for row in result.exceedance.itertuples(index=False):
        table.add_row(
            f"{row.return_period:,}", f"{row.exceedance_probability:.4g}", _money(row.loss)
        )
    console.print(table)
    console.print(result.summary(), markup=False)
    for note in result.notes:
        console.print(f"note: {note}", markup=False)


def simulate_command(
    network: NetworkArg,
    years: Annotated[int, typer.Option("--years", "-n", min=1, help="Simulated years.")],
    seed: Annotated[
        int, typer.Option("--seed", "-s", min=0, help="Random seed (same seed, same numbers).")
    ],
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=0, help="Worker processes (0 = every core).")
    ] = 0,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the per-year table to this .csv or .parquet file, and the events "
            "to <stem>-events.<ext> beside it.",
        ),
    ] = None,
) -> None:
    """Monte-Carlo years of hazard events: expected annual loss, VaR/CVaR, exceedance curve."""
    with fail_on_bad_input():
        _check_out(out)
        loaded = load_network(network)
        with progress() as bar:
            task = bar.add_task(f"Simulating {years:,} years", total=years)

            def report(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = simulate(loaded, years, seed, workers=workers, progress=report)
        _print_simulation(result)
        if out is not None:
            events_path = out.with_name(f"{out.stem}-events{out.suffix}")
            write_table(result.years, out)
            write_table(result.events, events_path)
            console.print(f"wrote {out} and {events_path}")

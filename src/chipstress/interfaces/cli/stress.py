"""Stress-test commands: ``sweep``, ``impact``, ``survive``."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from chipstress.engine import impact as run_impact
from chipstress.engine import select_nodes, time_to_survive
from chipstress.errors import InvalidInput
from chipstress.executors import Executor, make_executor
from chipstress.interfaces.cli._common import (
    console,
    error_console,
    fail_on_bad_input,
    load_network,
    progress,
    write_table,
)
from chipstress.interfaces.cli.network import NetworkArg
from chipstress.interfaces.cli.runs import (
    DbOption,
    NoSaveOption,
    interrupted,
    open_recorder,
    run_parameters,
)
from chipstress.model import Network
from chipstress.store import ResultsStore, RunRecorder
from chipstress.workflows import METRICS, read_durations, sweep, sweep_summary

__all__ = ["impact", "ranked_table", "run_sweep", "survive"]

DisruptOption = Annotated[
    list[str] | None,
    typer.Option(
        "--disrupt",
        "-d",
        help="NODE or NODE=FRACTION of capacity lost (default 1.0 = down); repeat for several nodes.",
    ),
]
ClusterOption = Annotated[
    str | None,
    typer.Option("--cluster", help="Disrupt every node of this cluster (e.g. kumamoto)."),
]
DependingOption = Annotated[
    str | None,
    typer.Option(
        "--depending-on", help="Disrupt every node this node supplies (e.g. a water district)."
    ),
]
FractionOption = Annotated[
    float,
    typer.Option(
        "--fraction",
        min=0.0,
        max=1.0,
        help="Capacity lost by nodes chosen with --cluster/--depending-on.",
    ),
]
IntegerOption = Annotated[
    bool,
    typer.Option("--integer", help="Count whole units made and shipped (integer program; slower)."),
]


def _money(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.2f}"


def _periods(value: float) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return "forever" if math.isinf(value) else f"{value:,.2f}"


def ranked_table(result: pd.DataFrame, network: Network, top: int) -> Table:
    """The top rows of a sweep as a rich table, worst risk first."""
    currency = network.meta.currency or "money"
    period = network.meta.period
    table = Table(
        title=f"Top {min(top, len(result))} risks of {network.meta.name} (of {len(result)} nodes)"
    )
    for column, justify in (
        ("#", "right"),
        ("node", "left"),
        ("kind", "left"),
        ("cluster", "left"),
        (f"TTR ({period}s)", "right"),
        (f"lost profit ({currency})", "right"),
        (f"TTS ({period}s)", "right"),
        ("exposure index", "right"),
        ("TTR > TTS", "center"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for rank, row in enumerate(result.head(top).itertuples(index=False), start=1):
        table.add_row(
            str(rank),
            str(row.node),
            str(row.kind),
            str(row.cluster),
            _periods(row.duration),
            _money(row.lost_profit),
            _periods(row.tts),
            "n/a" if math.isnan(row.risk_exposure_index) else f"{row.risk_exposure_index:.3f}",
            "[red]yes[/red]" if row.exposed else "no",
        )
    return table


def run_sweep(
    network: Network,
    durations: float | pd.Series | None,
    metric: str,
    workers: int | None,
    integer: bool,
    include_products: bool = False,
    executor: Executor | None = None,
    recorder: RunRecorder | None = None,
) -> pd.DataFrame:
    """Run a sweep behind a progress bar (plain progress lines with $CHIPSTRESS_PROGRESS_LINES=1)."""
    lines = os.environ.get("CHIPSTRESS_PROGRESS_LINES") == "1"
    with progress() as bar:
        task = bar.add_task(f"Sweeping {network.meta.name}", total=None)

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)
            if lines:
                error_console.print(f"progress {done}/{total}")

        return sweep(
            network,
            durations=durations,
            metric=metric,
            workers=workers,
            executor=executor,
            integer=integer,
            include_products=include_products,
            progress=report,
            recorder=recorder,
        )


ExecutorOption = Annotated[
    str,
    typer.Option(
        "--executor", help="Where chunks run: local (processes) or ray.", case_sensitive=False
    ),
]
RayAddressOption = Annotated[
    str | None,
    typer.Option(
        "--ray-address",
        help="Ray cluster: auto, or ray://HOST:PORT (default: a private local Ray).",
    ),
]
ResumeOption = Annotated[
    str | None,
    typer.Option(
        "--resume",
        help="Finish an interrupted run (its id): stored chunks are kept, the rest solved.",
    ),
]


def sweep_command(
    network: Annotated[
        str | None,
        typer.Argument(
            help="Network folder, .yaml or reference .json file, or a built-in name (tri-cluster)."
        ),
    ] = None,
    duration: Annotated[
        float | None,
        typer.Option(
            "--duration",
            min=0.0,
            help="Periods every node stays down (default: each node's own TTR).",
        ),
    ] = None,
    durations: Annotated[
        Path | None,
        typer.Option(
            "--durations", help="CSV with columns node,duration: which nodes, for how long."
        ),
    ] = None,
    metric: Annotated[
        str, typer.Option("--metric", help="ttr, tts or both.", case_sensitive=False)
    ] = "both",
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=0, help="Worker processes (0 = every core).")
    ] = 0,
    executor: ExecutorOption = "local",
    ray_address: RayAddressOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write every row to this .csv or .parquet file."),
    ] = None,
    top: Annotated[
        int, typer.Option("--top", min=0, help="Rows of the ranked table to print.")
    ] = 15,
    all_nodes: Annotated[
        bool,
        typer.Option(
            "--all-nodes", help="Disrupt nodes with demand too (e.g. fabs), not only suppliers."
        ),
    ] = False,
    integer: IntegerOption = False,
    resume: ResumeOption = None,
    db: DbOption = None,
    no_save: NoSaveOption = False,
) -> None:
    """Disrupt every non-product node in turn; rank them by lost profit and time-to-survive.

    The output file has the columns node, duration, lost_profit, tts, status, then
    baseline_lost_profit, risk_exposure_index, ttr_minus_tts, exposed, name, kind, cluster.
    The run is stored chunk by chunk as it goes; after a crash or Ctrl-C, --resume RUN_ID
    finishes it with identical results.
    """
    with fail_on_bad_input():
        if metric.lower() not in METRICS:
            raise typer.BadParameter(f"must be one of {', '.join(METRICS)}", param_hint="--metric")
        if duration is not None and durations is not None:
            raise typer.BadParameter(
                "give --duration or --durations, not both", param_hint="--durations"
            )
        if out is not None and out.suffix.lower() not in (".csv", ".parquet"):
            raise typer.BadParameter(
                "the output file must end in .csv or .parquet", param_hint="--out"
            )
        if resume and no_save:
            raise typer.BadParameter(
                "--resume needs the results database (drop --no-save)", param_hint="--resume"
            )
        if network is None and resume is None:
            raise typer.BadParameter("give a NETWORK (or --resume RUN_ID)", param_hint="NETWORK")
        store = None if no_save else ResultsStore(db)
        try:
            parameters = run_parameters(
                store,
                resume,
                "sweep",
                lambda: {
                    "network": str(network),
                    "duration": duration,
                    "durations": None if durations is None else str(durations),
                    "metric": metric.lower(),
                    "integer": integer,
                    "all_nodes": all_nodes,
                },
            )
            loaded = load_network(parameters["network"])
            chosen: float | pd.Series | None = parameters["duration"]
            if parameters["durations"] is not None:
                chosen = read_durations(parameters["durations"])
            runner = (
                make_executor(workers, executor.lower(), ray_address)
                if executor.lower() != "local"
                else None
            )
            recorder = open_recorder(store, resume, "sweep", loaded, parameters)
            try:
                result = run_sweep(
                    loaded,
                    chosen,
                    parameters["metric"],
                    workers,
                    parameters["integer"],
                    parameters["all_nodes"],
                    runner,
                    recorder,
                )
            except KeyboardInterrupt:
                raise interrupted(recorder, "sweep") from None
            _print_sweep(result, loaded, top)
            if out is not None:
                write_table(result, out)
                console.print(f"wrote {out}")
            failed = result.attrs.get("failed_chunks", [])
            if recorder is not None:
                summary = sweep_summary(result)
                recorder.finish(summary, {"sweep": result}, complete=not failed)
                error_console.print(f"saved run {recorder.run_id} to {store.location}")
            for failure in failed:
                error_console.print(f"[red]chunk {failure.index} failed:[/red] {failure.error}")
            if failed:
                hint = (
                    f"; retry them with: chipstress sweep --resume {recorder.run_id}"
                    if recorder
                    else ""
                )
                error_console.print(f"[red]{len(failed)} chunk(s) failed[/red]{hint}")
                raise typer.Exit(1)
        finally:
            if store is not None:
                store.close()


def _print_sweep(result: pd.DataFrame, network: Network, top: int) -> None:
    if top:
        console.print(ranked_table(result, network, top))
    exposed = int(result["exposed"].sum())
    troubled = result[result["status"] != "optimal"]
    console.print(
        f"{len(result)} nodes swept; {exposed} with TTR > TTS; "
        f"total lost profit if each fails alone: {_money(float(result['lost_profit'].sum(skipna=True)))} "
        f"{network.meta.currency}".rstrip()
    )
    if len(troubled):
        error_console.print(
            f"[yellow]{len(troubled)} scenarios did not solve cleanly; see their status column[/yellow]"
        )


def _disruption(
    network: Network,
    disrupt: list[str] | None,
    cluster: str | None,
    depending_on: str | None,
    fraction: float,
) -> dict[str, float]:
    chosen: dict[str, float] = {}
    for item in disrupt or []:
        node, _, value = item.partition("=")
        node = node.strip()
        try:
            share = float(value) if value else 1.0
        except ValueError:
            raise InvalidInput(
                f"--disrupt {item!r}: the fraction after '=' must be a number in (0, 1]"
            ) from None
        chosen[node] = share
    if cluster or depending_on:
        for node in select_nodes(network, cluster=cluster, depending_on=depending_on):
            chosen.setdefault(node, fraction)
    if not chosen:
        raise typer.BadParameter(
            "name at least one node with --disrupt, --cluster or --depending-on",
            param_hint="--disrupt",
        )
    return chosen


def impact(
    network: NetworkArg,
    duration: Annotated[
        float, typer.Option("--duration", "-t", help="Periods the disruption lasts.")
    ],
    disrupt: DisruptOption = None,
    cluster: ClusterOption = None,
    depending_on: DependingOption = None,
    fraction: FractionOption = 1.0,
    plan: Annotated[
        Path | None,
        typer.Option("--plan", help="Write the shipment plan to this .csv or .parquet file."),
    ] = None,
    integer: IntegerOption = False,
) -> None:
    """Lost profit and lost units of one disruption over its duration."""
    with fail_on_bad_input():
        loaded = load_network(network)
        chosen = _disruption(loaded, disrupt, cluster, depending_on, fraction)
        result = run_impact(loaded, chosen, duration, integer=integer)
        currency = loaded.meta.currency
        if result.status != "optimal":
            error_console.print(f"[red]the program did not solve: {result.status}[/red]")
            raise typer.Exit(1)
        console.print(
            f"Disrupting {len(chosen)} node(s) for {duration:g} {loaded.meta.period}s: "
            f"lost profit {_money(result.lost_profit)} {currency}".rstrip()
        )
        table = Table(title="Lost units by end product")
        for column, justify in (
            ("node", "left"),
            ("demand over window", "right"),
            ("lost units", "right"),
            ("lost %", "right"),
        ):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        demand = loaded.nodes.set_index("id")["demand"]
        for node, lost in result.lost_units.items():
            wanted = float(demand[node]) * duration
            table.add_row(
                str(node),
                f"{wanted:,.0f}",
                f"{lost:,.1f}",
                f"{100 * lost / wanted:.1f}" if wanted else "",
            )
        console.print(table)
        if plan is not None:
            write_table(result.shipments, plan)
            console.print(f"wrote {plan}")


def survive(
    network: NetworkArg,
    disrupt: DisruptOption = None,
    cluster: ClusterOption = None,
    depending_on: DependingOption = None,
    fraction: FractionOption = 1.0,
    integer: IntegerOption = False,
) -> None:
    """Time-to-survive: how long all demand is still met under a lasting disruption."""
    with fail_on_bad_input():
        loaded = load_network(network)
        chosen = _disruption(loaded, disrupt, cluster, depending_on, fraction)
        result = time_to_survive(loaded, chosen, integer=integer)
        if result.status != "optimal":
            error_console.print(f"[red]the program did not solve: {result.status}[/red]")
            raise typer.Exit(1)
        if math.isinf(result.tts):
            console.print("Time to survive: forever (demand is met however long it lasts)")
        else:
            console.print(f"Time to survive: {_periods(result.tts)} {loaded.meta.period}s")
        if result.binding_products:
            console.print("Demand that runs out first: " + ", ".join(result.binding_products))
        if result.binding_nodes:
            console.print("Limited by: " + ", ".join(result.binding_nodes))

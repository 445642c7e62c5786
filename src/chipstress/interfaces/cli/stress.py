"""Stress-test commands: ``sweep``, ``impact``, ``survive``, ``outage``."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from chipstress.interfaces.cli._common import (
    check_periods,
    console,
    error_console,
    fail_on_bad_input,
    load_network,
    money,
    progress,
    progress_reporter,
    step,
    write_table,
)
from chipstress.interfaces.cli._options import ExecutorChoice, MetricChoice
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

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

    from chipstress.executors import Executor
    from chipstress.model import Network
    from chipstress.store import RunRecorder
    from chipstress.workflows import Metric, SweepResult

__all__ = [
    "chosen_disruption",
    "chosen_executor",
    "impact",
    "outage",
    "ranked_table",
    "run_sweep",
    "scope_note",
    "survive",
]

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


def _periods(value: float) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return "forever" if math.isinf(value) else f"{value:,.2f}"


def ranked_table(result: pd.DataFrame, network: Network, top: int) -> Table:
    """The top rows of a sweep as a rich table, worst risk first.

    Parameters
    ----------
    result
        A sweep table (lost profit in currency, TTR and TTS in periods).
    network
        The network swept (names, currency, period).
    top
        Rows to show.

    Returns
    -------
    rich.table.Table
        The table to print.
    """
    from rich.console import JustifyMethod
    from rich.table import Table

    from chipstress.interfaces.cells import number

    currency = network.meta.currency or "money"
    period = network.meta.period
    table = Table(
        title=f"Top {min(top, len(result))} risks of {network.meta.name} (of {len(result)} nodes)"
    )
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("#", "right"),
        ("node", "left"),
        ("kind", "left"),
        ("cluster", "left"),
        (f"TTR ({period}s)", "right"),
        (f"lost profit ({currency})", "right"),
        (f"TTS ({period}s)", "right"),
        ("exposure index", "right"),
        ("TTR > TTS", "center"),
    )
    for column, justify in columns:
        table.add_column(column, justify=justify)
    for rank, row in enumerate(result.head(top).itertuples(index=False), start=1):
        table.add_row(
            str(rank),
            str(row.node),
            str(row.kind),
            str(row.cluster),
            _periods(number(row.duration)),
            money(number(row.lost_profit)),
            _periods(number(row.tts)),
            "n/a"
            if math.isnan(number(row.risk_exposure_index))
            else f"{row.risk_exposure_index:.3f}",
            "[red]yes[/red]" if row.exposed else "no",
        )
    return table


def run_sweep(
    network: Network,
    durations: float | pd.Series | None,
    metric: Metric | str,
    workers: int | None,
    integer: bool,
    include_products: bool = False,
    executor: Executor | None = None,
    recorder: RunRecorder | None = None,
) -> SweepResult:
    """Run a sweep behind a progress bar (plain progress lines when piped; see ``PROGRESS_HELP``).

    Parameters
    ----------
    network
        The supply network.
    durations
        Periods each node stays down: one number for all, a Series by node id, or
        ``None`` for each node's own TTR.
    metric
        ``ttr``, ``tts`` or ``both``.
    workers
        Worker processes (1: in this process, ``None`` or 0: every core); ignored when
        ``executor`` is given.
    integer
        Count whole units (MIPs).
    include_products
        Disrupt nodes with demand too.
    executor
        Where chunks run (default: local processes).
    recorder
        Stores the run chunk by chunk (``None``: not stored).

    Returns
    -------
    SweepResult
        As :func:`chipstress.workflows.sweep`.
    """
    from chipstress.workflows import sweep
    from chipstress.workflows.runner import Runner

    with progress() as bar:
        task = bar.add_task(f"Sweeping {network.meta.name}", total=None)
        report = progress_reporter(bar, task)
        return sweep(
            network,
            durations=durations,
            metric=metric,
            integer=integer,
            include_products=include_products,
            runner=Runner(workers, executor, report, recorder),
        )


ExecutorOption = Annotated[
    ExecutorChoice,
    typer.Option(
        "--executor",
        help="Where chunks run: local (worker processes on this machine) or ray (a Ray "
        "cluster, see --ray-address).",
        case_sensitive=False,
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


def _check_sweep_options(
    network: str | None,
    duration: float | None,
    durations: Path | None,
    out: Path | None,
    resume: str | None,
    no_save: bool,
) -> None:
    """Usage errors of ``sweep`` (exit code 2)."""
    if duration is not None and durations is not None:
        raise typer.BadParameter(
            "give --duration or --durations, not both", param_hint="--durations"
        )
    if out is not None and out.suffix.lower() not in (".csv", ".parquet"):
        raise typer.BadParameter("the output file must end in .csv or .parquet", param_hint="--out")
    if resume and no_save:
        raise typer.BadParameter(
            "--resume needs the results database (drop --no-save)", param_hint="--resume"
        )
    if network is None and resume is None:
        raise typer.BadParameter("give a NETWORK (or --resume RUN_ID)", param_hint="NETWORK")


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
            callback=check_periods,
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
        MetricChoice,
        typer.Option(
            "--metric",
            help="ttr (lost profit over each node's time to recover), tts (time to survive) "
            "or both.",
            case_sensitive=False,
        ),
    ] = MetricChoice.BOTH,
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=0, help="Worker processes (0 = every core).")
    ] = 0,
    executor: ExecutorOption = ExecutorChoice.LOCAL,
    ray_address: RayAddressOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write every row to this .csv or .parquet file."),
    ] = None,
    top: Annotated[
        int, typer.Option("--top", min=0, help="Rows of the ranked table to print.")
    ] = 15,
    include_products: Annotated[
        bool,
        typer.Option(
            "--include-products",
            help="Disrupt nodes with demand too (e.g. fabs), not only suppliers.",
        ),
    ] = False,
    all_nodes: Annotated[
        bool,
        typer.Option(
            "--all-nodes", hidden=True, help="Deprecated: the old name of --include-products."
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
    from chipstress.results import RunKind
    from chipstress.store import ResultsStore

    with fail_on_bad_input():
        _check_sweep_options(network, duration, durations, out, resume, no_save)
        if all_nodes:
            error_console.print(
                "[yellow]--all-nodes is deprecated: use --include-products[/yellow]"
            )
        store = None if no_save else ResultsStore(db, linger_seconds=RECORDING_LINGER_SECONDS)
        try:
            parameters = run_parameters(
                store,
                resume,
                RunKind.SWEEP,
                lambda: {
                    "network": str(network),
                    "duration": duration,
                    "durations": None if durations is None else str(durations),
                    "metric": metric.value,
                    "integer": integer,
                    "include_products": include_products or all_nodes,
                },
            )
            # runs stored by older versions name it all_nodes
            products = parameters.get("include_products", parameters.get("all_nodes", False))
            loaded = load_network(parameters["network"])
            chosen: float | pd.Series | None = parameters["duration"]
            if parameters["durations"] is not None:
                from chipstress.workflows import read_durations

                chosen = read_durations(parameters["durations"], network=loaded)
            runner = chosen_executor(workers, executor, ray_address)
            recorder = open_recorder(store, resume, RunKind.SWEEP, loaded, parameters)
            try:
                result = run_sweep(
                    loaded,
                    chosen,
                    parameters["metric"],
                    workers,
                    parameters["integer"],
                    products,
                    runner,
                    recorder,
                )
            except KeyboardInterrupt:
                raise interrupted(recorder, "sweep") from None
            _print_sweep(result.table, loaded, top, bool(products))
            if out is not None:
                write_table(result.table, out)
                console.print(f"wrote {out}")
            failed = result.failed_chunks
            if recorder is not None:
                recorder.finish(result.summary(), result.tables(), complete=result.complete)
                error_console.print(f"saved run {recorder.run_id} to {recorder.store.location}")
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


def chosen_executor(
    workers: int, executor: ExecutorChoice, ray_address: str | None
) -> Executor | None:
    """The executor ``--executor`` names; ``None`` for local processes (the default).

    Parameters
    ----------
    workers
        Worker processes (``--workers``; 0 = every core).
    executor
        ``local`` or ``ray``.
    ray_address
        The Ray cluster (``--ray-address``), or ``None`` for a private local Ray.

    Returns
    -------
    Executor or None
        A Ray executor, or ``None`` (the runner then uses local processes).
    """
    if executor == ExecutorChoice.LOCAL:
        return None
    from chipstress.executors import ExecutorKind, make_executor

    return make_executor(workers, ExecutorKind(executor.value), ray_address)


def scope_note(network: Network, swept: int, include_products: bool) -> str:
    """Which nodes a sweep disrupted, so that its counts compare with other entry points.

    Parameters
    ----------
    network
        The network swept.
    swept
        Nodes the sweep disrupted.
    include_products
        Whether nodes with demand (products, e.g. fabs) were disrupted too.

    Returns
    -------
    str
        One sentence: suppliers only (and how many product nodes were left out), or
        every node.
    """
    products = int(network.index.has_demand.sum())
    if include_products or not products:
        return (
            f"Every node disrupted in turn ({swept} of {network.n_nodes}, products included), "
            "as in demo and the dashboard."
        )
    return (
        f"Suppliers only: {swept} of {network.n_nodes} nodes disrupted; the {products} nodes "
        "with demand (products) were not. demo and the dashboard disrupt them too "
        "(--include-products here), so their counts are larger."
    )


def _print_sweep(result: pd.DataFrame, network: Network, top: int, products: bool) -> None:
    if top:
        console.print(ranked_table(result, network, top))
    exposed = int(result["exposed"].sum())
    troubled = result[result["status"] != "optimal"]
    total = money(float(result["lost_profit"].sum(skipna=True)), network.meta.currency)
    console.print(
        f"{len(result)} nodes swept; {exposed} with TTR > TTS; "
        f"total lost profit if each fails alone: {total}"
    )
    console.print(scope_note(network, len(result), products), style="dim")
    if len(troubled):
        error_console.print(
            f"[yellow]{len(troubled)} scenarios did not solve cleanly; see their status column[/yellow]"
        )


def chosen_disruption(
    network: Network,
    disrupt: list[str] | None,
    cluster: str | None,
    depending_on: str | None,
    fraction: float,
) -> dict[str, float]:
    """The disruption the options name (:func:`chipstress.engine.parse_disruption`).

    Parameters
    ----------
    network
        The supply network.
    disrupt
        Node ids (``--disrupt``).
    cluster
        A cluster whose nodes are disrupted (``--cluster``).
    depending_on
        A node whose direct customers are disrupted (``--depending-on``).
    fraction
        Fraction (0..1] of capacity each chosen node loses.

    Returns
    -------
    dict of str to float
        Node id -> fraction of capacity lost.

    Raises
    ------
    typer.BadParameter
        No node is named.
    InvalidInput
        An unknown node, cluster or fraction (from :func:`chipstress.engine.parse_disruption`).
    """
    if not (disrupt or cluster or depending_on):
        raise typer.BadParameter(
            "name at least one node with --disrupt, --cluster or --depending-on",
            param_hint="--disrupt",
        )
    from chipstress.engine import parse_disruption

    return parse_disruption(
        network, disrupt or [], cluster=cluster, depending_on=depending_on, fraction=fraction
    )


def impact(
    network: NetworkArg,
    duration: Annotated[
        float,
        typer.Option(
            "--duration", "-t", callback=check_periods, help="Periods the disruption lasts."
        ),
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
    db: DbOption = None,
    no_save: NoSaveOption = False,
) -> None:
    """Lost profit and lost units of one disruption over its duration."""
    from rich.console import JustifyMethod
    from rich.table import Table

    from chipstress.interfaces.cells import number
    from chipstress.workflows import outage as outage_workflow

    with fail_on_bad_input():
        loaded = load_network(network)
        chosen = chosen_disruption(loaded, disrupt, cluster, depending_on, fraction)
        started = time.perf_counter()
        run = outage_workflow.impact(loaded, chosen, duration, integer=integer)
        wall = time.perf_counter() - started
        result = run.result
        currency = loaded.meta.currency
        if result.status != "optimal":
            error_console.print(f"[red]the program did not solve: {result.status}[/red]")
            raise typer.Exit(1)
        console.print(
            f"Disrupting {len(chosen)} node(s) for {duration:g} {loaded.meta.period}s: "
            f"lost profit {money(result.lost_profit)} {currency}".rstrip()
        )
        table = Table(title="Lost units by end product")
        columns: tuple[tuple[str, JustifyMethod], ...] = (
            ("node", "left"),
            ("demand over window", "right"),
            ("lost units", "right"),
            ("lost %", "right"),
        )
        for column, justify in columns:
            table.add_column(column, justify=justify)
        demand = loaded.nodes.set_index("id")["demand"]
        for node, lost in result.lost_units.items():
            wanted = number(demand[str(node)]) * duration
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
        if not no_save:
            save_run(db, run, loaded, {"network": str(network), **run.parameters}, wall)


def survive(
    network: NetworkArg,
    disrupt: DisruptOption = None,
    cluster: ClusterOption = None,
    depending_on: DependingOption = None,
    fraction: FractionOption = 1.0,
    integer: IntegerOption = False,
    db: DbOption = None,
    no_save: NoSaveOption = False,
) -> None:
    """Time-to-survive: how long all demand is still met under a lasting disruption."""
    from chipstress.workflows import outage as outage_workflow

    with fail_on_bad_input():
        loaded = load_network(network)
        chosen = chosen_disruption(loaded, disrupt, cluster, depending_on, fraction)
        started = time.perf_counter()
        run = outage_workflow.survive(loaded, chosen, integer=integer)
        wall = time.perf_counter() - started
        result = run.result
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
        if not no_save:
            save_run(db, run, loaded, {"network": str(network), **run.parameters}, wall)


def _outage_items(items: list[str]) -> list[tuple[str, float, float]]:
    """``NODE:PERIODS`` or ``NODE=FRACTION:PERIODS`` items as (node, fraction, periods)."""
    parsed = []
    for item in items:
        head, colon, periods = item.rpartition(":")
        node, _, share = head.partition("=")
        try:
            if not colon or not node.strip():
                raise ValueError
            parsed.append((node.strip(), float(share) if share else 1.0, float(periods)))
        except ValueError:
            raise typer.BadParameter(
                f"{item!r}: give NODE:PERIODS or NODE=FRACTION:PERIODS (e.g. fab_a=0.5:4)",
                param_hint="--down",
            ) from None
    return parsed


def outage(
    network: NetworkArg,
    down: Annotated[
        list[str] | None,
        typer.Option(
            "--down",
            help="NODE:PERIODS or NODE=FRACTION:PERIODS: a site losing FRACTION of its capacity "
            "(default 1.0 = down) until it recovers after PERIODS; repeat for several sites.",
        ),
    ] = None,
    events: Annotated[
        Path | None,
        typer.Option(
            "--events",
            help="Hazard events instead (a scenario YAML file: an earthquake, a water alert, ...).",
        ),
    ] = None,
    name: Annotated[str, typer.Option("--name", help="A name for the outage.")] = "outage",
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the sites hit to this .csv or .parquet file."),
    ] = None,
    db: DbOption = None,
    no_save: NoSaveOption = False,
) -> None:
    """Sites down for different lengths of time (or hazard events), over one window: the lost
    profit beyond the undisrupted network's, the time-to-survive and the sites hit.

    The window lasts as long as the longest outage; a site down for part of it loses that
    share of its capacity over the window.
    """
    from chipstress.model.io.safe import load_yaml_file
    from chipstress.workflows import outage as outage_workflow

    with fail_on_bad_input():
        if bool(down) == (events is not None):
            raise typer.BadParameter("give --down (one or more) or --events", param_hint="--down")
        loaded = load_network(network)
        event_data = None
        if events is not None:
            event_data = load_yaml_file(events)
            if isinstance(event_data, dict) and "events" in event_data:
                event_data = event_data["events"]
            if isinstance(event_data, dict):
                event_data = [event_data]
        started = time.perf_counter()
        result = step(
            f"Measuring {name}",
            lambda: outage_workflow.outage(
                loaded, _outage_items(down or []), events=event_data, name=name
            ),
        )
        wall = time.perf_counter() - started
        summary = result.summary()
        period, currency = loaded.meta.period, loaded.meta.currency
        tts = float(summary["tts"])
        console.print(
            f"{name}: loss {money(float(summary['loss']))} {currency} over a window of "
            f"{_periods(float(summary['window']))} {period}s; "
            f"time to survive {'forever' if math.isinf(tts) else _periods(tts) + ' ' + period + 's'}"
        )
        sites = result.sites
        shown = [c for c in _SITE_COLUMNS if c in sites.columns]
        if len(sites):
            console.print(_frame(sites[shown], "Sites hit"))
        if summary["status"] != "optimal":
            error_console.print(
                f"[yellow]the programs did not solve cleanly: {summary['status']}[/yellow]"
            )
        if out is not None:
            write_table(sites, out)
            console.print(f"wrote {out}")
        if not no_save:
            parameters = {"network": str(network), **result.parameters}
            if events is not None:
                parameters["events_file"] = str(events)
            save_run(db, result, loaded, parameters, wall)


_SITE_COLUMNS = ("site", "name", "cluster", "capacity_loss", "recovery_periods", "reason")


def _frame(frame: pd.DataFrame, title: str) -> Table:
    from rich.table import Table

    table = Table(title=title)
    for column in frame.columns:
        table.add_column(str(column))
    for row in frame.itertuples(index=False):
        table.add_row(*[f"{v:,.4g}" if isinstance(v, float) else str(v) for v in row])
    return table

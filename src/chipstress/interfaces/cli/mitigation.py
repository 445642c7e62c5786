"""Mitigation commands: ``whatif`` (edits before/after), ``plan`` (budgets -> actions),
``contingency`` (the plan for a disruption in progress)."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from chipstress.errors import InvalidInput
from chipstress.interfaces.cli._common import (
    check_periods,
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
from chipstress.interfaces.cli._options import MeasureChoice
from chipstress.interfaces.cli.network import NetworkArg
from chipstress.interfaces.cli.runs import DbOption, NoSaveOption, save_run
from chipstress.interfaces.cli.stress import DisruptOption, chosen_disruption

if TYPE_CHECKING:
    from chipstress.workflows.contingency import ContingencyPlan

__all__ = ["contingency_command", "example_file", "parse_amount", "plan_command", "whatif_command"]

_SUFFIXES = {"k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9}

YearsOption = Annotated[
    int | None,
    typer.Option("--years", "-n", min=1, help="Also simulate this many years of hazard events."),
]
SeedOption = Annotated[
    int, typer.Option("--seed", "-s", min=0, help="Random seed of the simulation.")
]


def example_file(kind: str, name: str) -> Path:
    """A shipped example file (``tri-cluster``) for ``edits`` or ``actions``, or ``name``
    itself as a path."""
    from chipstress.workflows.examples import example_path

    path = Path(name)
    shipped = example_path(kind, name)
    return shipped if shipped is not None and not path.exists() else path


def parse_amount(text: str) -> float:
    """An amount of money: ``2500000``, ``2.5e6``, ``2.5M``, ``800k``, ``1.2B``."""
    value = text.strip().replace("_", "").replace(",", "")
    factor = 1.0
    if value and value[-1].lower() in _SUFFIXES:
        factor, value = _SUFFIXES[value[-1].lower()], value[:-1]
    try:
        amount = float(value) * factor
    except ValueError:
        raise InvalidInput(f"{text!r} is not an amount (e.g. 2500000, 2.5M, 800k)") from None
    if not math.isfinite(amount) or amount < 0:
        raise InvalidInput(f"{text!r}: an amount must be finite and >= 0")
    return amount


def _check_out(out: Path | None) -> None:
    if out is not None and out.suffix.lower() not in (".csv", ".parquet"):
        raise typer.BadParameter("the output file must end in .csv or .parquet", param_hint="--out")


def _money(value: float, currency: str = "") -> str:
    return money(value, currency)


def _figure(value: float) -> str:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return "forever" if isinstance(value, float) and math.isinf(value) else "n/a"
    return f"{value:,.6g}" if abs(value) < 1e4 else f"{value:,.0f}"


# ---------------------------------------------------------------------------- whatif
def whatif_command(
    network: NetworkArg,
    edits: Annotated[
        str,
        typer.Argument(help="Edits YAML file (or tri-cluster for the shipped example)."),
    ],
    years: YearsOption = None,
    seed: SeedOption = 0,
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=0, help="Worker processes (0 = every core).")
    ] = 1,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the per-site table to this .csv or .parquet file."),
    ] = None,
    top: Annotated[
        int, typer.Option("--top", min=0, help="Sites with the largest change to print.")
    ] = 15,
    db: DbOption = None,
    no_save: NoSaveOption = False,
) -> None:
    """Apply edits to a network and compare sweeps (and simulations) before and after.

    Edits: add_inventory, qualify_source, raise_capacity, cut_ttr, remove_site (see the
    shipped example: chipstress whatif tri-cluster tri-cluster). Every site is taken
    down alone for its own TTR before and after; with --years both networks also face
    the same simulated hazard events. Deltas are after - before.
    """
    from rich.table import Table

    from chipstress.interfaces.cells import number
    from chipstress.interfaces.figures.changes import changed_sites, differs, limit_notes
    from chipstress.workflows.runner import Runner
    from chipstress.workflows.whatif import apply_edits, edit_to_dict, parse_edits, whatif
    from chipstress.workflows.whatif.edits import read_yaml_file

    with fail_on_bad_input():
        _check_out(out)
        loaded = load_network(network)
        path = example_file("edits", edits)
        document = read_yaml_file(path)
        apply_edits(loaded, document, source=str(path))  # every problem of the file at once
        parsed = parse_edits(document, str(path))
        started = time.perf_counter()
        result = step(
            "Sweeping before and after",
            lambda: whatif(
                loaded,
                parsed,
                simulate_years=years,
                seed=seed,
                source=str(path),
                runner=Runner(workers=workers),
            ),
        )
        wall = time.perf_counter() - started
        currency, period = loaded.meta.currency, loaded.meta.period
        console.print(f"What-if on {loaded.meta.name}: {len(parsed)} edit(s) from {path}")
        applied = result.edits_table()
        for index, description in zip(applied["index"], applied["description"], strict=True):
            console.print(f"  {index + 1}. {description}", markup=False)
        table = Table(title="Before and after (delta = after - before)")
        for column in ("measure", "before", "after", "delta"):
            table.add_column(column, justify="left" if column == "measure" else "right")
        for row in result.totals.itertuples(index=False):
            in_money = "currency" in str(row.unit)
            fmt = (lambda v: _money(v, currency)) if in_money else _figure
            unit = str(row.unit).replace("currency", currency).replace("periods", f"{period}s")
            before, after = number(row.before), number(row.after)
            # rounding noise of the solver (1e-15 periods) is no change
            delta = number(row.delta) if differs(before, after) else 0.0
            table.add_row(f"{row.label} ({unit})", fmt(before), fmt(after), fmt(delta))
        console.print(table)
        changed = changed_sites(result.nodes)
        if top and len(changed):
            sites = Table(title=f"Sites that change ({len(changed)}; top {min(top, len(changed))})")
            for column in (
                "site",
                "cluster",
                f"lost profit before ({currency})",
                "after",
                f"TTS before ({period}s)",
                "after",
                "exposed",
                "note",
            ):
                left = column in ("site", "cluster", "note")
                sites.add_column(
                    column,
                    justify="left" if left else "right",
                    no_wrap=not left,
                    overflow="fold",
                    min_width=24 if column == "note" else None,
                )
            for row in changed.head(top).itertuples(index=False):
                exposed = f"{'yes' if row.exposed_before else 'no'} -> {'yes' if row.exposed_after else 'no'}"
                sites.add_row(
                    escape(str(row.node)) + (" (removed)" if row.change else ""),
                    str(row.cluster),
                    _money(number(row.lost_profit_before)),
                    _money(number(row.lost_profit_after)),
                    _figure(number(row.tts_before)),
                    _figure(number(row.tts_after)),
                    exposed,
                    escape(str(row.note)),
                )
            console.print(sites)
            for footnote in limit_notes(changed, period):
                console.print(footnote, markup=False)
        if out is not None:
            write_table(result.nodes, out)
            console.print(f"wrote {out}")
        if not no_save:
            parameters: dict[str, Any] = {
                "network": str(network),
                "edits_file": str(path),
                "edits": [edit_to_dict(e) for e in parsed],
                "years": years,
                "seed": seed if years else None,
            }
            save_run(db, result, loaded, parameters, wall)


# ---------------------------------------------------------------------------- plan
def _budgets(budget: str | None, budgets: str | None) -> list[float]:
    if (budget is None) == (budgets is None):
        raise typer.BadParameter("give --budget B or --budgets B1,B2,...", param_hint="--budget")
    if budget is not None:
        return [parse_amount(budget)]
    assert budgets is not None
    return [parse_amount(part) for part in budgets.split(",") if part.strip()]


def plan_command(
    network: NetworkArg,
    actions: Annotated[
        str,
        typer.Argument(help="Actions YAML file (or tri-cluster for the shipped candidates)."),
    ],
    measure: Annotated[
        MeasureChoice,
        typer.Option(
            "--measure",
            "-m",
            help="worst (single-site lost profit), exposed (sites with TTR > TTS), eal or cvar.",
            case_sensitive=False,
        ),
    ] = MeasureChoice.WORST,
    budget: Annotated[
        str | None, typer.Option("--budget", "-b", help="One budget (e.g. 25M).")
    ] = None,
    budgets: Annotated[
        str | None, typer.Option("--budgets", help="Budgets, comma-separated (e.g. 5M,10M,50M).")
    ] = None,
    years: Annotated[
        int | None,
        typer.Option("--years", "-n", min=1, help="Simulated years for eal/cvar (default 1000)."),
    ] = None,
    seed: SeedOption = 0,
    cvar_level: Annotated[
        float, typer.Option("--cvar-level", min=0.5, max=0.9999, help="CVaR confidence level.")
    ] = 0.95,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=1.0, help="Seconds per MIP solve.")
    ] = 120.0,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the curve to this .csv/.parquet file (and the choices beside it).",
        ),
    ] = None,
    db: DbOption = None,
    no_save: NoSaveOption = False,
) -> None:
    """Choose the actions that minimise a risk measure for each budget: the trade-off curve.

    worst and exposed are solved exactly (a mixed-integer program, HiGHS); eal and cvar
    by greedy search and local search on common simulated events, with the gap to a
    proven lower bound. Every point is re-evaluated from scratch with its actions applied.
    """
    from rich.table import Table

    from chipstress.interfaces.cells import number
    from chipstress.workflows.plan import Measure, load_actions, plan
    from chipstress.workflows.plan.planner import MEASURE_LABELS
    from chipstress.workflows.runner import Runner

    chosen_measure = Measure(measure.value)
    with fail_on_bad_input():
        _check_out(out)
        levels = _budgets(budget, budgets)
        loaded = load_network(network)
        path = example_file("actions", actions)
        candidates = load_actions(path, loaded)
        currency = loaded.meta.currency
        started = time.perf_counter()
        with progress() as bar:
            task = bar.add_task(f"Planning ({measure})", total=len(set(levels)))
            result = plan(
                loaded,
                candidates,
                chosen_measure,
                levels,
                years=years,
                seed=seed,
                cvar_level=cvar_level,
                time_limit=time_limit,
                runner=Runner(progress=progress_reporter(bar, task)),
            )
        wall = time.perf_counter() - started
        label = MEASURE_LABELS[chosen_measure]
        base = result.baseline.get(chosen_measure)
        console.print(
            f"{len(candidates)} candidate actions from {path}; measure: {label}; "
            f"with no action: {_figure(float(base)) if base is not None else 'n/a'}"
        )
        in_money = measure != "exposed"
        table = Table(title=f"Trade-off curve: {label}" + (f" ({currency})" if in_money else ""))
        for column in ("budget", "cost", label, "bound", "gap", "actions", "status", "detail"):
            table.add_column(
                column, justify="left" if column in ("actions", "status", "detail") else "right"
            )
        for row in result.curve.itertuples(index=False):
            value = _money(number(row.value)) if in_money else _figure(number(row.value))
            bound = _money(number(row.bound)) if in_money else _figure(number(row.bound))
            gap = "n/a" if math.isnan(number(row.gap)) else f"{row.gap:.2%}"
            table.add_row(
                _money(number(row.budget)),
                _money(number(row.cost)),
                value,
                bound,
                gap,
                escape(str(row.actions).replace(";", ", ")) or "-",
                escape(str(row.status)),
                escape(str(row.status_detail)),
            )
        console.print(table)
        for note in result.notes:
            console.print(f"note: {note}", markup=False)
        if out is not None:
            choices_path = out.with_name(f"{out.stem}-choices{out.suffix}")
            write_table(result.curve, out)
            write_table(result.choices, choices_path)
            console.print(f"wrote {out} and {choices_path}")
        if not no_save:
            parameters = {
                "network": str(network),
                "actions_file": str(path),
                "measure": measure.value,
                "budgets": sorted(set(levels)),
                "years": years,
                "seed": seed,
                "cvar_level": cvar_level,
            }
            save_run(db, result, loaded, parameters, wall)


# ---------------------------------------------------------------------------- contingency
def contingency_command(
    network: NetworkArg,
    disrupt: DisruptOption = None,
    duration: Annotated[
        float | None,
        typer.Option(
            "--duration", "-t", callback=check_periods, help="Periods until recovery (known)."
        ),
    ] = None,
    ttr: Annotated[
        str | None,
        typer.Option(
            "--ttr", help="Uncertain recovery: DURATION:PROBABILITY,... (e.g. 4:0.5,8:0.3,13:0.2)."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder for the plan's tables (CSV files)."),
    ] = None,
    top: Annotated[int, typer.Option("--top", min=0, help="Rows of each table to print.")] = 15,
    db: DbOption = None,
    no_save: NoSaveOption = False,
) -> None:
    """The production and allocation plan that minimises (expected) lost profit while a
    disruption lasts: which site makes what, who ships to whom, which stocks are drawn.

    With --ttr the plan is shared by every recovery time until that time has passed, and
    the expected lost profit over the distribution is minimised.
    """
    from rich.table import Table

    from chipstress.interfaces.cells import number
    from chipstress.workflows.contingency import contingency_plan, parse_ttr_distribution

    with fail_on_bad_input():
        if (duration is None) == (ttr is None):
            raise typer.BadParameter(
                "give --duration T or --ttr T1:P1,T2:P2,...", param_hint="--ttr"
            )
        loaded = load_network(network)
        chosen = chosen_disruption(loaded, disrupt, None, None, 1.0)
        distribution: Any = duration if ttr is None else parse_ttr_distribution(ttr)
        started = time.perf_counter()
        result = step("Planning", lambda: contingency_plan(loaded, chosen, distribution))
        wall = time.perf_counter() - started
        if result.status != "optimal":
            error_console.print(f"[red]the program did not solve: {result.status}[/red]")
            raise typer.Exit(1)
        currency, period = loaded.meta.currency, loaded.meta.period
        console.print(
            f"Expected lost profit: {_money(result.expected_lost_profit, currency)} "
            f"({len(chosen)} node(s) disrupted; margin of lost demand plus premiums paid)"
        )
        scenarios = Table(title=f"Recovery scenarios ({period}s)")
        for column in (
            "recovery",
            "probability",
            "lost profit (this plan)",
            "knowing it",
            "expected, if planned for it alone",
        ):
            scenarios.add_column(column, justify="right")
        for row in result.scenarios.itertuples(index=False):
            scenarios.add_row(
                _figure(number(row.duration)),
                f"{row.probability:.3g}",
                _money(number(row.lost_profit)),
                _money(number(row.perfect_information)),
                _money(number(row.planned_for_this)),
            )
        console.print(scenarios)
        lost = result.lost[result.lost["lost_units"] > 1e-9]
        if top and len(lost):
            table = Table(title="Lost units by product and scenario")
            for column in ("product", "recovery", "lost units", f"lost profit ({currency})"):
                table.add_column(column, justify="left" if column == "product" else "right")
            for row in lost.head(top).itertuples(index=False):
                table.add_row(
                    escape(str(row.product)),
                    _figure(number(row.duration)),
                    _figure(number(row.lost_units)),
                    _money(number(row.lost_profit)),
                )
            console.print(table)
        _write_tables(result, out)
        if not no_save:
            parameters = {"network": str(network), **result.parameters}
            save_run(db, result, loaded, parameters, wall)


def _write_tables(result: ContingencyPlan, out: Path | None) -> None:
    """Every table of a contingency plan as ``<name>.csv`` in the folder ``out``."""
    if out is None:
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in result.tables().items():
        write_table(frame, out / f"{name}.csv")
    console.print(f"wrote {', '.join(f'{n}.csv' for n in result.tables())} to {out}")

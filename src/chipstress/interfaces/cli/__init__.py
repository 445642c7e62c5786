"""The ``chipstress`` command line.

Every command takes a network as a folder, a ``.yaml`` or reference ``.json`` file, or
a built-in name (``tri-cluster``). Exit codes: 0 ok, 1 bad input, 2 usage error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chipstress.interfaces.cli import explain as explain_commands
from chipstress.interfaces.cli import hazards as hazard_commands
from chipstress.interfaces.cli import mitigation as mitigation_commands
from chipstress.interfaces.cli import network as network_commands
from chipstress.interfaces.cli import report as report_commands
from chipstress.interfaces.cli import runs as runs_commands
from chipstress.interfaces.cli import serve as serve_commands
from chipstress.interfaces.cli import spreadsheet as spreadsheet_commands
from chipstress.interfaces.cli import stress as stress_commands
from chipstress.interfaces.cli import watch as watch_commands
from chipstress.interfaces.cli._common import console, fail_on_bad_input, load_network, write_table
from chipstress.interfaces.cli._options import PROGRESS_HELP
from chipstress.interfaces.cli._process import begin_start_up, end_start_up, exit_at_once

__all__ = ["app", "demo", "main"]

app = typer.Typer(
    name="chipstress",
    help="Stress-test multi-tier semiconductor supply networks "
    "(the Kaohsiung, Kumamoto and Arizona fab clusters, or your own).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        import chipstress

        console.print(f"chipstress {chipstress.__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Stress-test multi-tier semiconductor supply networks."""


app.command()(network_commands.validate)
app.command()(network_commands.info)
app.command()(network_commands.convert)
app.command()(network_commands.export)
app.command()(network_commands.generate)
app.command("sweep", epilog=PROGRESS_HELP)(stress_commands.sweep_command)
app.command()(stress_commands.impact)
app.command()(stress_commands.survive)
app.command("outage")(stress_commands.outage)
app.command("hazards")(hazard_commands.hazards_command)
app.command("replay")(hazard_commands.replay_command)
app.command("scenario")(hazard_commands.scenario_command)
app.command("simulate", epilog=PROGRESS_HELP)(hazard_commands.simulate_command)
app.command("whatif")(mitigation_commands.whatif_command)
app.command("plan", epilog=PROGRESS_HELP)(mitigation_commands.plan_command)
app.command("contingency")(mitigation_commands.contingency_command)
app.add_typer(runs_commands.app, name="runs")
app.command()(serve_commands.serve)
app.command("report")(report_commands.report)
app.command("import")(spreadsheet_commands.import_command)
app.command("template")(spreadsheet_commands.template_command)
app.command("explain")(explain_commands.explain_command)
app.command("news")(watch_commands.news_command)
app.command("watch")(watch_commands.watch_command)


@app.command()
def demo(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the demo's result files.")
    ] = Path("demo-output"),
    db: runs_commands.DbOption = None,
) -> None:
    """The main job on the built-in tri-cluster network: validate it, sweep it, rank the risks.

    Writes the sweep's rows (CSV) and its HTML report to --out, and stores the run.
    The demo disrupts every node, products (fabs) included, as the dashboard does; a
    plain sweep disrupts suppliers only unless given --include-products, so its
    headline counts are smaller.
    """
    import time

    from chipstress.interfaces.report import write_report
    from chipstress.store import ResultsStore

    with fail_on_bad_input():
        network = load_network("tri-cluster")
        console.print(f"[green]✓[/green] valid: {network.summary()}")
        started = time.perf_counter()
        run = stress_commands.run_sweep(network, None, "both", 0, False, include_products=True)
        wall = time.perf_counter() - started
        result = run.table
        console.print(stress_commands.ranked_table(result, network, 15))
        exposed = result[result["exposed"]]
        console.print(
            f"{len(exposed)} of {len(result)} sites would outlast the network's stocks if they failed "
            f"(time to recover > time to survive)."
        )
        console.print(stress_commands.scope_note(network, len(result), True), style="dim")
        out.mkdir(parents=True, exist_ok=True)
        path = out / "tri-cluster-sweep.csv"
        write_table(result, path)
        console.print(f"wrote {path}")
        parameters = {
            "network": "tri-cluster",
            "duration": None,
            "durations": None,
            "metric": "both",
            "workers": 0,
            "integer": False,
            "include_products": True,
        }
        run_id = runs_commands.save_run(db, run, network, parameters, wall)
        report = out / "tri-cluster-report.html"
        with ResultsStore(db) as store:
            write_report(store, run_id, report, network)
        console.print(f"wrote {report} (open it in a browser; it works offline)")


def main() -> None:
    """Entry point of the ``chipstress`` script.

    The garbage collector pauses while the command starts up, and the process ends
    without the interpreter's teardown (:mod:`chipstress.interfaces.cli._process`).
    """
    begin_start_up()
    try:
        app()
    except SystemExit as done:  # how every command ends (click's standalone mode)
        exit_at_once(done.code)
        raise
    finally:
        end_start_up()

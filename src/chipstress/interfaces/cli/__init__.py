"""The ``chipstress`` command line.

Every command takes a network as a folder, a ``.yaml`` or reference ``.json`` file, or
a built-in name (``tri-cluster``). Exit codes: 0 ok, 1 bad input, 2 usage error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chipstress import __version__
from chipstress.interfaces.cli import network as network_commands
from chipstress.interfaces.cli import runs as runs_commands
from chipstress.interfaces.cli import stress as stress_commands
from chipstress.interfaces.cli._common import console, fail_on_bad_input, load_network, write_table

__all__ = ["app", "main"]

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
        console.print(f"chipstress {__version__}")
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
app.command("sweep")(stress_commands.sweep_command)
app.command()(stress_commands.impact)
app.command()(stress_commands.survive)
app.add_typer(runs_commands.app, name="runs")


@app.command()
def demo(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the demo's result files.")
    ] = Path("demo-output"),
) -> None:
    """The main job on the built-in tri-cluster network: validate it, sweep it, rank the risks."""
    with fail_on_bad_input():
        network = load_network("tri-cluster")
        console.print(f"[green]✓[/green] valid: {network.summary()}")
        result = stress_commands.run_sweep(network, None, "both", 0, False, include_products=True)
        console.print(stress_commands.ranked_table(result, network, 15))
        exposed = result[result["exposed"]]
        console.print(
            f"{len(exposed)} of {len(result)} sites would outlast the network's stocks if they failed "
            f"(time to recover > time to survive)."
        )
        out.mkdir(parents=True, exist_ok=True)
        path = out / "tri-cluster-sweep.csv"
        write_table(result, path)
        console.print(f"wrote {path}")


def main() -> None:
    """Entry point of the ``chipstress`` script."""
    app()

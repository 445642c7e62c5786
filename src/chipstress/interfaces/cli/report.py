"""``chipstress report RUN``: the self-contained HTML report of a stored run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chipstress.interfaces.cli._common import console, fail_on_bad_input, load_network, step
from chipstress.interfaces.cli.runs import DbOption

__all__ = ["report"]


def report(
    run: Annotated[str, typer.Argument(help="Run id (or a unique prefix or part of it).")],
    network: Annotated[
        str | None,
        typer.Option(
            "--network",
            "-n",
            help="The run's network (folder, file or built-in name); default: the one the run "
            "names, if it is a built-in or an existing path. Checked by fingerprint.",
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")] = Path(
        "report.html"
    ),
    db: DbOption = None,
) -> None:
    """Write the HTML report of a stored run: one file that opens offline.

    Sweeps get the site map by risk exposure, TTR against TTS, the ranked risks, the
    per-cluster summary and the tiered network; simulations the loss-exceedance curve
    and contributions; replays and scenarios the sites hit and why.
    """
    from chipstress.interfaces.report import write_report
    from chipstress.store import ResultsStore

    with fail_on_bad_input(), ResultsStore(db) as store:
        full = store.resolve(run)
        loaded = load_network(network) if network is not None else None
        path = step(f"Writing the report of {full}", lambda: write_report(store, full, out, loaded))
        console.print(f"wrote {path}")

"""Spreadsheet commands: ``import`` (a workbook or CSV sheet to a network) and ``template``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chipstress.interfaces.cli._common import (
    console,
    error_console,
    fail_on_bad_input,
    step,
)

__all__ = ["import_command", "template_command"]


def import_command(
    spreadsheet: Annotated[
        Path,
        typer.Argument(
            help="An .xlsx workbook (one sheet per table, or one flat sheet of supplier, "
            "customer, part, quantity) or a .csv flat sheet."
        ),
    ],
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            "-m",
            help="YAML file naming which sheet is which table and which header is which "
            "column (default: recognised from the sheet names and headers).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the network here: a folder (CSV tables), a .yaml, .json or .xlsx file. "
            "Without it the spreadsheet is only checked.",
        ),
    ] = None,
) -> None:
    """Read a network from a spreadsheet: say how each sheet and header was read, list every
    problem with its sheet, row and column, and write the network with --out."""
    from chipstress.model import write_network
    from chipstress.model.io.spreadsheet import import_spreadsheet

    with fail_on_bad_input():
        result = step(f"Reading {spreadsheet}", lambda: import_spreadsheet(spreadsheet, mapping))
        for sheet, role in result.sheets.items():
            used = {h: c for h, c in result.mapping.get(sheet, {}).items() if c}
            shown = ", ".join(f"{h} -> {c}" if h != c else h for h, c in used.items())
            console.print(
                f"sheet '{sheet}': {role}" + (f" ({shown})" if shown else ""), markup=False
            )
        for note in result.notes:
            error_console.print(f"note: {note}", markup=False)
        network = result.network
        console.print(f"[green]✓[/green] valid: {network.summary()}")
        if out is None:
            return
        dropped = step(f"Writing {out}", lambda: write_network(network, out))
        if dropped:
            error_console.print(
                f"note: the reference JSON format has no place for: {', '.join(dropped)} "
                "(not written)"
            )
        console.print(f"[green]✓[/green] wrote {out}")


def template_command(
    out: Annotated[Path, typer.Argument(help="The .xlsx workbook to write.")],
    example: Annotated[
        bool,
        typer.Option(
            "--example/--no-example", help="Fill the sheets with a three-site example network."
        ),
    ] = True,
) -> None:
    """Write an annotated workbook to fill in: a README sheet, the network's name, period and
    currency, and one sheet per table (nodes, bom, sources) with a note on every column."""
    from chipstress.errors import InvalidInput
    from chipstress.model.io.spreadsheet_write import write_template

    with fail_on_bad_input():
        if out.suffix.lower() != ".xlsx":
            raise InvalidInput(f"{out}: the template is an .xlsx workbook; name it *.xlsx")
        step(f"Writing {out}", lambda: write_template(out, example=example))
        console.print(
            f"[green]✓[/green] wrote {out}: fill it in, then `chipstress import {out}` "
            "(or give it to any command)"
        )

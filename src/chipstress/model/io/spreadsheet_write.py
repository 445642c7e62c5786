"""Writing a network as an annotated workbook, and the template analysts fill in.

The workbook has a ``README`` sheet (what each sheet holds, every column with its unit,
whether it is required, its default and its meaning), a ``network`` sheet
(``key, value``: name, description, period, currency), a ``materials`` sheet, and one
sheet per table (``nodes``, ``bom``, ``sources``) whose header cells carry the same notes
as comments. :func:`chipstress.model.io.spreadsheet.read_spreadsheet` reads it back to
an equal network.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from chipstress.model.io.files import atomic_file
from chipstress.model.io.spreadsheet_headers import FLAT_COLUMNS
from chipstress.model.network import Network
from chipstress.model.schema import TABLES, table_schema

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["example_network", "write_template", "write_workbook"]

_README = [
    "chipstress network workbook",
    "",
    "Fill in one sheet per table: 'nodes' (one row per site), 'bom' (what each site needs per "
    "unit it makes) and 'sources' (who may ship to whom). 'network' holds the name, the "
    "period every rate is per (week, month, ...) and the currency of margins; 'materials' "
    "the unit of each material.",
    "Replace the example rows. Hover a header for its unit and meaning; the table below "
    "lists every column.",
    "Or keep one flat sheet instead: one row per supplier -> customer -> part with its "
    "quantity (columns listed under 'flat' below).",
    "Read it with: chipstress import THIS.xlsx --out my-network  (or any chipstress "
    "command: chipstress sweep THIS.xlsx).",
    "",
]


def _note(unit: str, required: bool, default: str, description: str) -> str:
    parts = [description]
    if unit:
        parts.append(f"Unit: {unit}.")
    parts.append(
        "Required." if required else f"Optional{f' (default {default})' if default else ''}."
    )
    return " ".join(parts)


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, str) and value == "":
        return None
    return value


def _header(sheet: Worksheet, names: list[str], notes: dict[str, str]) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.append(names)
    for position, name in enumerate(names, start=1):
        cell = sheet.cell(row=1, column=position)
        cell.font = Font(bold=True)
        if name in notes:
            cell.comment = Comment(notes[name], "chipstress", width=320, height=140)
        sheet.column_dimensions[get_column_letter(position)].width = max(10, min(40, len(name) + 4))
    sheet.freeze_panes = "A2"


def _readme(sheet: Worksheet) -> None:
    from openpyxl.styles import Font

    for line in _README:
        sheet.append([line])
    sheet.append(["sheet", "column", "unit", "required", "default", "description"])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for table in TABLES:
        for name, a in table_schema(table).items():
            sheet.append(
                [table, name, a.unit, "yes" if a.required else "no", a.default, a.description]
            )
    for name, (unit, required, description) in FLAT_COLUMNS.items():
        sheet.append(["flat", name, unit, "yes" if required else "no", "", description])
    sheet.column_dimensions["A"].width = 12
    sheet.column_dimensions["B"].width = 18
    sheet.column_dimensions["C"].width = 30
    sheet.column_dimensions["F"].width = 100


def _meta_value(value: Any) -> Any:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _fill(book: Any, network: Network, annotate: bool) -> None:
    readme = book.active
    readme.title = "README"
    if annotate:
        _readme(readme)
    meta = book.create_sheet("network")
    meta.append(["key", "value"])
    for key, value in network.meta.to_dict().items():
        if key != "materials":
            meta.append([key, _meta_value(value)])
    materials = book.create_sheet("materials")
    materials.append(["material", "unit", "description"])
    for material, info in network.meta.materials.items():
        materials.append([material, info.get("unit"), info.get("description")])
    for table in TABLES:
        frame: pd.DataFrame = getattr(network, table)
        schema = table_schema(table)
        notes = (
            {n: _note(a.unit, a.required, a.default, a.description) for n, a in schema.items()}
            if annotate
            else {}
        )
        sheet = book.create_sheet(table)
        _header(sheet, [str(c) for c in frame.columns], notes)
        for record in frame.itertuples(index=False, name=None):
            sheet.append([_plain(v) for v in record])


def write_workbook(network: Network, path: str | Path, *, annotate: bool = True) -> None:
    """Write ``network`` as a workbook (``README``, ``network``, ``materials``, one sheet per table).

    Parameters
    ----------
    network
        The network to write.
    path
        The ``.xlsx`` file to write (replaced atomically).
    annotate
        Add the README's column table and a note (unit, required, meaning) on each header.

    Raises
    ------
    InvalidInput
        The file cannot be written.
    """
    from openpyxl import Workbook

    book = Workbook()
    _fill(book, network, annotate)
    with atomic_file(Path(path), "wb") as handle:
        book.save(handle)


def example_network() -> Network:
    """A three-site example (a fab, its resist supplier and a water utility), per week in USD.

    Returns
    -------
    Network
        The template's example rows.
    """
    nodes = pd.DataFrame(
        {
            "id": ["fab_a", "resist_x", "water_w"],
            "name": ["Fab A", "Resist supplier X", "Water district W"],
            "kind": ["fab", "supplier", "utility"],
            "cluster": ["kaohsiung", "kumamoto", "kaohsiung"],
            "country": ["TW", "JP", "TW"],
            "material": ["wafer", "photoresist", "water"],
            "capacity": [1000.0, 500.0, 50000.0],
            "inventory": [0.0, 800.0, 0.0],
            "ttr": [4.0, 6.0, 1.0],
            "demand": [900.0, None, None],
            "margin": [2000.0, None, None],
            "source": ["estimate: template example"] * 3,
        }
    )
    bom = pd.DataFrame(
        {
            "node": ["fab_a", "fab_a"],
            "material": ["photoresist", "water"],
            "quantity": [0.2, 10.0],
        }
    )
    sources = pd.DataFrame({"supplier": ["resist_x", "water_w"], "customer": ["fab_a", "fab_a"]})
    meta = {
        "name": "my-network",
        "description": "Replace the example rows with your sites.",
        "period": "week",
        "currency": "USD",
        "materials": {
            "wafer": {"unit": "wafer", "description": "300 mm wafer"},
            "photoresist": {"unit": "litre", "description": "photoresist"},
            "water": {"unit": "m3", "description": "ultra-pure water feed"},
        },
    }
    return Network.from_tables(nodes, bom, sources, meta)


def write_template(path: str | Path, *, example: bool = True) -> None:
    """Write the annotated workbook an analyst fills in (``chipstress template``).

    Parameters
    ----------
    path
        The ``.xlsx`` file to write.
    example
        Fill the sheets with :func:`example_network` (``False``: headers only).

    Raises
    ------
    InvalidInput
        The file cannot be written.
    """
    network = example_network()
    if not example:
        network = Network(
            network.nodes.iloc[0:0], network.bom.iloc[0:0], network.sources.iloc[0:0], network.meta
        )
    write_workbook(network, path, annotate=True)

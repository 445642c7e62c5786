"""A flat supplier → customer → part sheet turned into the three network tables.

Each row says: ``supplier`` makes ``material`` and may ship it to ``customer``, who
needs ``quantity`` units of it per unit it makes. Columns describing the supplier
(``capacity``, ``inventory``, ``ttr``, ``kind``, ``cluster``, ``country``, ``name``) may be
repeated on each of its rows or given once; the customer's ``demand``, ``margin`` and
``customer_capacity`` likewise. Two rows that give one site different values are a
problem at the second row. A customer that supplies nobody is an end product: its
material is its own id, its kind ``product`` and its capacity ``customer_capacity`` or
else its demand.

The tables keep the flat sheet's rows: a problem the validation finds in a node, a BOM
line or a source edge names the sheet row and column it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from chipstress.errors import Problem, excerpt
from chipstress.model.validation import RawTable

__all__ = ["flat_tables"]

# Node columns taken from a row's supplier, and from its customer.
_SUPPLIER_FIELDS = ("capacity", "inventory", "ttr", "kind", "cluster", "country", "name")
_CUSTOMER_FIELDS = {"demand": "demand", "margin": "margin", "customer_capacity": "capacity"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class _Nodes:
    """Nodes gathered from the rows: values, and the flat row and column each came from."""

    def __init__(self, raw: RawTable, problems: list[Problem]) -> None:
        self.raw = raw
        self.problems = problems
        self.values: dict[str, dict[str, Any]] = {}
        self.origin: dict[str, dict[str, tuple[int, str]]] = {}

    def add(self, node: str, row: int, column: str) -> None:
        if node not in self.values:
            self.values[node] = {"id": node}
            self.origin[node] = {"id": (row, column)}

    def set(self, node: str, target: str, value: Any, row: int, column: str) -> None:
        """Give ``node`` a value; a different value given before is a problem here."""
        if value is None:
            return
        have = self.values[node].get(target)
        if have is None:
            self.values[node][target] = value
            self.origin[node][target] = (row, column)
        elif _text(have) != _text(value):
            first_row, _ = self.origin[node][target]
            location, where = self.raw.where(row, column)
            first, _ = self.raw.where(first_row, column)
            self.problems.append(
                Problem(
                    self.raw.file,
                    location,
                    where,
                    f"site {excerpt(node)} has {target} {excerpt(have)} at {first} and "
                    f"{excerpt(value)} here: give one value",
                )
            )


def _cells(frame: pd.DataFrame, column: str) -> list[Any]:
    if column in frame.columns:
        return list(frame[column])
    return [None] * len(frame)


def _required(
    raw: RawTable, columns: Mapping[str, list[Any]], problems: list[Problem]
) -> list[bool]:
    """Rows with supplier, customer and material present (a problem per empty cell)."""
    usable = []
    for row in range(len(raw.frame) if raw.frame is not None else 0):
        ok = True
        for column in ("supplier", "customer", "material"):
            if _text(columns[column][row]) == "":
                location, where = raw.where(row, column)
                problems.append(Problem(raw.file, location, where, f"{column} is empty"))
                ok = False
        usable.append(ok)
    return usable


def _gather(raw: RawTable, problems: list[Problem]) -> tuple[_Nodes, list[int], set[str]]:
    """The nodes of the rows, the usable rows, and the ids that supply something."""
    frame = raw.frame if raw.frame is not None else pd.DataFrame()
    columns = {c: _cells(frame, c) for c in ("supplier", "customer", "material")}
    usable = _required(raw, columns, problems)
    nodes = _Nodes(raw, problems)
    rows = [r for r, ok in enumerate(usable) if ok]
    suppliers = {_text(columns["supplier"][r]) for r in rows}
    extra = {c: _cells(frame, c) for c in (*_SUPPLIER_FIELDS, *_CUSTOMER_FIELDS)}
    for row in rows:
        supplier, customer = _text(columns["supplier"][row]), _text(columns["customer"][row])
        nodes.add(supplier, row, "supplier")
        nodes.set(supplier, "material", columns["material"][row], row, "material")
        for column in _SUPPLIER_FIELDS:
            nodes.set(supplier, column, extra[column][row], row, column)
        nodes.add(customer, row, "customer")
        for column, target in _CUSTOMER_FIELDS.items():
            nodes.set(customer, target, extra[column][row], row, column)
    return nodes, rows, suppliers


def _node_table(raw: RawTable, nodes: _Nodes, suppliers: set[str]) -> RawTable:
    records = []
    origins = []
    for node, values in nodes.values.items():
        record = dict(values)
        if node not in suppliers:  # an end product: it makes its own product line
            record.setdefault("material", node)
            record.setdefault("kind", "product")
            if record.get("capacity") is None and record.get("demand") is not None:
                record["capacity"] = record["demand"]
                nodes.origin[node]["capacity"] = nodes.origin[node].get(
                    "demand", nodes.origin[node]["id"]
                )
        records.append(record)
        origins.append(nodes.origin[node])
    columns = [
        "id",
        "material",
        "capacity",
        *(c for c in _SUPPLIER_FIELDS if c != "capacity"),
        "demand",
        "margin",
    ]
    frame = pd.DataFrame(
        {c: pd.Series([r.get(c) for r in records], dtype=object) for c in columns},
        index=pd.RangeIndex(len(records)),
    )

    def where(row: int, column: str) -> tuple[str, str]:
        origin = origins[row] if 0 <= row < len(origins) else {}
        flat_row, flat_column = origin.get(column, origin.get("id", (-1, column)))
        location, field = raw.where(flat_row, flat_column)
        return location, field

    return RawTable("nodes", frame, raw.file, where)


def _line_tables(raw: RawTable, rows: list[int]) -> tuple[RawTable, RawTable]:
    """BOM lines (customer, material, quantity) and source edges (supplier, customer)."""
    frame = raw.frame if raw.frame is not None else pd.DataFrame()
    cells = {c: _cells(frame, c) for c in ("supplier", "customer", "material", "quantity")}
    bom_rows: list[int] = []
    seen_lines: dict[tuple[str, str], Any] = {}
    source_rows: list[int] = []
    seen_edges: set[tuple[str, str]] = set()
    for row in rows:
        customer, material = _text(cells["customer"][row]), _text(cells["material"][row])
        supplier = _text(cells["supplier"][row])
        line = (customer, material)
        if line not in seen_lines or _text(seen_lines[line]) != _text(cells["quantity"][row]):
            bom_rows.append(row)  # a second, different quantity is reported as a duplicate line
            seen_lines.setdefault(line, cells["quantity"][row])
        if (supplier, customer) not in seen_edges:
            source_rows.append(row)
            seen_edges.add((supplier, customer))
    bom = pd.DataFrame(
        {
            "node": pd.Series([cells["customer"][r] for r in bom_rows], dtype=object),
            "material": pd.Series([cells["material"][r] for r in bom_rows], dtype=object),
            "quantity": pd.Series([cells["quantity"][r] for r in bom_rows], dtype=object),
        }
    )
    sources = pd.DataFrame(
        {
            "supplier": pd.Series([cells["supplier"][r] for r in source_rows], dtype=object),
            "customer": pd.Series([cells["customer"][r] for r in source_rows], dtype=object),
        }
    )
    column_of = {"node": "customer", "material": "material", "quantity": "quantity"}

    def bom_where(row: int, column: str) -> tuple[str, str]:
        return raw.where(
            bom_rows[row] if 0 <= row < len(bom_rows) else -1, column_of.get(column, column)
        )

    def source_where(row: int, column: str) -> tuple[str, str]:
        return raw.where(source_rows[row] if 0 <= row < len(source_rows) else -1, column)

    return RawTable("bom", bom, raw.file, bom_where), RawTable(
        "sources", sources, raw.file, source_where
    )


def flat_tables(raw: RawTable, problems: list[Problem]) -> dict[str, RawTable]:
    """The ``nodes``, ``bom`` and ``sources`` tables of a flat sheet.

    Parameters
    ----------
    raw
        The flat sheet, its columns named as in
        :data:`~chipstress.model.io.spreadsheet_headers.FLAT_COLUMNS`; its ``where``
        names the sheet's rows and columns.
    problems
        Problems found (empty cells, a site given two values) are added here.

    Returns
    -------
    dict of str to RawTable
        ``nodes``, ``bom`` and ``sources``, whose ``where`` names the flat sheet's row and
        column each value came from.
    """
    nodes, rows, suppliers = _gather(raw, problems)
    bom, sources = _line_tables(raw, rows)
    return {"nodes": _node_table(raw, nodes, suppliers), "bom": bom, "sources": sources}

"""The network's table schema, declared as data in ``schema/<table>.csv``.

Each schema file lists, per column: name, dtype (``string``, ``float`` or
``integer``), unit, default, whether it is required, and a description. The
loaders, the validation and the docs all read it from here.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["NODE_KINDS", "TABLES", "Attribute", "table_schema"]

TABLES: tuple[str, ...] = ("nodes", "bom", "sources")

NODE_KINDS: tuple[str, ...] = (
    "fab",
    "packaging",
    "supplier",
    "equipment",
    "utility",
    "logistics",
    "talent",
    "product",
    "other",
)


@dataclass(frozen=True)
class Attribute:
    """One column of a network table."""

    name: str
    dtype: str
    unit: str
    default: str
    required: bool
    description: str


@cache
def table_schema(table: str) -> dict[str, Attribute]:
    """Columns of ``table`` (``nodes``, ``bom`` or ``sources``), in file order."""
    if table not in TABLES:
        raise KeyError(f"unknown table {table!r}; tables are {', '.join(TABLES)}")
    text = resources.files("chipstress.model").joinpath("schema", f"{table}.csv").read_text()
    rows = csv.DictReader(text.splitlines())
    return {
        row["attribute"]: Attribute(
            name=row["attribute"],
            dtype=row["dtype"],
            unit=row["unit"],
            default=row["default"],
            required=row["required"] == "yes",
            description=row["description"],
        )
        for row in rows
    }

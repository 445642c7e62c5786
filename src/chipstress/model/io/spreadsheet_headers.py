"""Matching a spreadsheet's headers to the network schema: which table, which column.

Analysts keep supplier lists in their own words ("Vendor", "Qty per", "Cap / wk").
:func:`suggest_mapping` proposes, for the headers of one sheet, the table the sheet
most likely holds (``nodes``, ``bom``, ``sources``, or ``flat``: one row per supplier →
customer → part) and, for each header, the schema column it names, with a score from 0
to 1: 1 for the column's own name or a known synonym, the best
:class:`difflib.SequenceMatcher` ratio otherwise. A header scoring below
:data:`ACCEPT_SCORE` is left unmapped (``None``); an import names it and ignores it.

The flat table's columns (:data:`FLAT_COLUMNS`) describe the supplier of each row
(``capacity``, ``inventory``, ``ttr``, ``kind``, ...) and, for end products, its customer
(``demand``, ``margin``); see :mod:`chipstress.model.io.spreadsheet`.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chipstress.errors import InvalidInput, excerpt
from chipstress.model.io.safe import load_yaml_file
from chipstress.model.schema import table_schema

__all__ = [
    "ACCEPT_SCORE",
    "FLAT_COLUMNS",
    "SHEET_TABLES",
    "ImportMapping",
    "MappingSuggestion",
    "columns_of",
    "normalize_header",
    "read_mapping",
    "required_of",
    "suggest_mapping",
    "table_of_sheet",
]

# A header maps to a column automatically only from this score up (0..1).
ACCEPT_SCORE = 0.8

SHEET_TABLES: tuple[str, ...] = ("nodes", "bom", "sources", "flat")

# Columns of the flat sheet: (column, unit, required, description).
FLAT_COLUMNS: dict[str, tuple[str, bool, str]] = {
    "supplier": ("", True, "Id of the supplying site."),
    "customer": ("", True, "Id of the site it ships to (an end product if it supplies nobody)."),
    "material": ("", True, "The part the supplier makes and the customer needs."),
    "quantity": (
        "units of material per unit of the customer's output",
        True,
        "Units of the part the customer needs per unit it makes, > 0.",
    ),
    "capacity": ("units of material per period", False, "The supplier's capacity."),
    "inventory": ("units of material", False, "The supplier's stock of its part, 0 by default."),
    "ttr": ("periods", False, "The supplier's time to recover after a disruption."),
    "kind": ("", False, "The supplier's kind (fab, supplier, equipment, ...)."),
    "cluster": ("", False, "The supplier's cluster or region."),
    "country": ("", False, "The supplier's country."),
    "name": ("", False, "The supplier's name."),
    "demand": (
        "units per period",
        False,
        "End-customer demand of the customer (set it on rows whose customer is an end product).",
    ),
    "margin": ("currency per unit", False, "Profit per unit of the customer's demand served."),
    "customer_capacity": (
        "units per period",
        False,
        "Capacity of an end-product customer (default: its demand).",
    ),
}

# Other words analysts use for a column (normalized: lowercase, words joined by "_").
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("site", "site_id", "node", "node_id", "code", "site_code", "facility", "plant"),
    "name": ("site_name", "facility_name", "description_name", "label"),
    "kind": ("type", "site_type", "category", "role"),
    "cluster": ("region", "area", "hub", "cluster_name"),
    "country": ("nation", "country_code"),
    "lat": ("latitude",),
    "lon": ("longitude", "lng", "long"),
    "material": ("part", "part_number", "item", "component", "product", "commodity", "sku"),
    "capacity": ("cap", "capacity_per_period", "output", "max_output", "throughput"),
    "inventory": ("stock", "on_hand", "safety_stock", "inventory_on_hand", "buffer"),
    "ttr": ("time_to_recover", "recovery", "recovery_time", "recovery_weeks", "downtime"),
    "demand": ("forecast", "sales", "demand_per_period", "orders"),
    "margin": ("unit_margin", "profit_per_unit", "profit", "gross_margin", "contribution"),
    "tier": ("level",),
    "source": ("reference", "evidence", "data_source"),
    "node": ("site", "site_id", "node_id", "customer", "consumer", "plant", "user"),
    "quantity": ("qty", "qty_per", "quantity_per", "usage", "per_unit", "bom_quantity"),
    "supplier": ("vendor", "from", "seller", "supplier_id", "source_site", "supplied_by"),
    "customer": ("buyer", "to", "client", "customer_id", "ship_to", "destination"),
    "premium": ("extra_cost", "premium_per_unit", "surcharge"),
    "lead_time": ("transit", "transit_time", "lead", "shipping_time"),
    "customer_capacity": ("product_capacity", "customer_cap"),
}

# Words that name a sheet's table (normalized).
_SHEET_NAMES: dict[str, tuple[str, ...]] = {
    "nodes": ("nodes", "node", "sites", "site", "facilities", "plants", "suppliers_list"),
    "bom": ("bom", "bill_of_materials", "boms", "recipe", "parts"),
    "sources": ("sources", "source", "edges", "lanes", "links", "sourcing", "relations"),
    "flat": ("flat", "supply", "supply_chain", "supplier_list", "suppliers", "network"),
}


def columns_of(table: str) -> list[str]:
    """The columns a sheet of ``table`` may hold.

    Parameters
    ----------
    table
        ``nodes``, ``bom``, ``sources`` or ``flat``.

    Returns
    -------
    list of str
        The schema's columns (the flat sheet's own for ``flat``).

    Raises
    ------
    KeyError
        An unknown table.
    """
    if table == "flat":
        return list(FLAT_COLUMNS)
    return list(table_schema(table))


def required_of(table: str) -> list[str]:
    """The columns a sheet of ``table`` must hold (``flat``: supplier, customer, material, quantity)."""
    if table == "flat":
        return [c for c, (_, required, _) in FLAT_COLUMNS.items() if required]
    return [name for name, attribute in table_schema(table).items() if attribute.required]


def normalize_header(text: object) -> str:
    """A header as a comparable word: lowercase, units in brackets dropped, words joined by ``_``.

    Parameters
    ----------
    text
        The header as written (any cell value).

    Returns
    -------
    str
        E.g. ``"Capacity (wafers / week)"`` -> ``"capacity"``, ``"Qty-Per"`` -> ``"qty_per"``.
    """
    value = unicodedata.normalize("NFKC", str(text if text is not None else "")).lower()
    value = re.sub(r"[\(\[\{].*?[\)\]\}]", " ", value)
    value = re.sub(r"[^0-9a-z]+", "_", value)
    return value.strip("_")


@functools.lru_cache(maxsize=65536)
def _score(header: str, column: str) -> float:
    """How well a normalized header names ``column``: 1 for the name or a synonym."""
    words = (column, *_SYNONYMS.get(column, ()))
    if header in words:
        return 1.0
    if any(header.startswith(w + "_") or header.endswith("_" + w) for w in words):
        return 0.9  # "capacity_per_week", "supplier_name"
    best = max(difflib.SequenceMatcher(None, header, word).ratio() for word in words)
    return round(best, 3)


@dataclass(frozen=True)
class MappingSuggestion:
    """What a sheet's headers most likely mean.

    Attributes
    ----------
    table
        ``nodes``, ``bom``, ``sources`` or ``flat``.
    mapping
        Header as written -> schema column, or ``None`` when no column scores at least
        :data:`ACCEPT_SCORE` (or a better header already took it).
    scores
        Header -> score of its best column (0..1).
    alternatives
        Header -> its three best columns, best first.
    missing
        Required columns of ``table`` no header maps to.
    """

    table: str
    mapping: dict[str, str | None]
    scores: dict[str, float]
    alternatives: dict[str, list[str]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """The suggestion as plain JSON values."""
        return {
            "table": self.table,
            "mapping": dict(self.mapping),
            "scores": dict(self.scores),
            "alternatives": {k: list(v) for k, v in self.alternatives.items()},
            "missing": list(self.missing),
        }


def _assign(
    headers: Sequence[str], table: str, fixed: Mapping[str, str]
) -> tuple[dict[str, str | None], dict[str, float], dict[str, list[str]]]:
    """Each header's best column, greedily by score, each column taken at most once."""
    columns = columns_of(table)
    ranked: list[tuple[float, int, str, str]] = []
    alternatives: dict[str, list[str]] = {}
    for position, header in enumerate(headers):
        word = normalize_header(header)
        scored = sorted(((_score(word, c), c) for c in columns), key=lambda p: (-p[0], p[1]))
        alternatives[header] = [c for _, c in scored[:3]]
        ranked += [(s, position, header, c) for s, c in scored if s >= ACCEPT_SCORE]
    mapping: dict[str, str | None] = {h: None for h in headers}
    scores: dict[str, float] = {}
    taken: set[str] = set()
    for header, column in fixed.items():
        if header in mapping:
            mapping[header], scores[header] = column, 1.0
            taken.add(column)
    for score, _, header, column in sorted(ranked, key=lambda r: (-r[0], r[1])):
        if mapping[header] is None and column not in taken and header not in fixed:
            mapping[header], scores[header] = column, score
            taken.add(column)
    ordered = {}
    for header in headers:
        word = normalize_header(header)
        ordered[header] = scores.get(header, max((_score(word, c) for c in columns), default=0.0))
    return mapping, ordered, alternatives


def table_of_sheet(sheet: str) -> str | None:
    """The table a sheet's name says it holds (``"Bill of materials"`` -> ``bom``), or ``None``."""
    word = normalize_header(sheet)
    for table, names in _SHEET_NAMES.items():
        if word in names:
            return table
    return None


def _fit(headers: Sequence[str], table: str) -> float:
    """How well the headers fit ``table``: required columns found, then columns found."""
    mapping, _, _ = _assign(headers, table, {})
    found = set(v for v in mapping.values() if v)
    required = required_of(table)
    share = sum(c in found for c in required) / len(required)
    return share * 10 + len(found) / max(1, len(headers))


def suggest_mapping(
    headers: Iterable[object],
    sheet: str = "",
    table: str | None = None,
    fixed: Mapping[str, str] | None = None,
) -> MappingSuggestion:
    """Suggest the table a sheet holds and the column each header names.

    Parameters
    ----------
    headers
        The sheet's header cells, in order (empty cells are left out).
    sheet
        The sheet's name: a name such as ``nodes``, ``Sites`` or ``BOM`` settles the table
        when the headers fit it.
    table
        The table, when known (``nodes``, ``bom``, ``sources`` or ``flat``).
    fixed
        Header -> column pairs already decided (a mapping file); kept as they are.

    Returns
    -------
    MappingSuggestion
        The table, header -> column (or ``None``), scores (0..1) and the required
        columns left unmapped.

    Raises
    ------
    KeyError
        An unknown ``table``.
    """
    names = [str(h).strip() for h in headers if h is not None and str(h).strip()]
    names = list(dict.fromkeys(names))
    if table is not None and table not in SHEET_TABLES:
        raise KeyError(f"unknown table {table!r}; tables are {', '.join(SHEET_TABLES)}")
    if table is None:
        fits = {t: _fit(names, t) for t in SHEET_TABLES}
        named = table_of_sheet(sheet)
        best = max(SHEET_TABLES, key=lambda t: (fits[t], t == named))
        table = named if named is not None and fits[named] >= fits[best] - 1 else best
    mapping, scores, alternatives = _assign(names, table, dict(fixed or {}))
    found = set(v for v in mapping.values() if v)
    missing = [c for c in required_of(table) if c not in found]
    return MappingSuggestion(table, mapping, scores, alternatives, missing)


@dataclass(frozen=True)
class ImportMapping:
    """What a mapping file says: sheet -> table, sheet -> header -> column, metadata.

    Attributes
    ----------
    sheets
        Sheet name -> ``nodes``, ``bom``, ``sources``, ``flat``, ``network``,
        ``materials`` or ``ignore``; when given, only these sheets are read.
    columns
        Sheet name -> header as written -> schema column (``None``: ignore the header).
    meta
        Network metadata (``name``, ``period``, ``currency``, ``description``).
    file
        The mapping file, for messages.
    """

    sheets: dict[str, str] = field(default_factory=dict)
    columns: dict[str, dict[str, str | None]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    file: str = ""


# --------------------------------------------------------------------------- the mapping file
_ROLES = (*SHEET_TABLES, "network", "materials", "ignore")


def _mapping_sheets(data: Mapping[str, Any], file: str, problems: list[str]) -> dict[str, str]:
    sheets = data.get("sheets") or {}
    if not isinstance(sheets, Mapping):
        problems.append(f"{file}, field 'sheets': must map sheet names to tables")
        return {}
    out: dict[str, str] = {}
    for sheet, role in sheets.items():
        if str(role) not in _ROLES:
            problems.append(
                f"{file}, sheets.{sheet}: {excerpt(role)} is not one of {', '.join(_ROLES)}"
            )
        else:
            out[str(sheet)] = str(role)
    return out


def _mapping_columns(
    data: Mapping[str, Any], file: str, problems: list[str]
) -> dict[str, dict[str, str | None]]:
    columns = data.get("columns") or {}
    if not isinstance(columns, Mapping):
        problems.append(f"{file}, field 'columns': must map sheet names to header: column")
        return {}
    out: dict[str, dict[str, str | None]] = {}
    for sheet, pairs in columns.items():
        if not isinstance(pairs, Mapping):
            problems.append(f"{file}, columns.{sheet}: must map headers to columns")
            continue
        out[str(sheet)] = {
            str(h): (None if c in (None, "", "ignore") else str(c)) for h, c in pairs.items()
        }
    return out


def read_mapping(path: str | Path) -> ImportMapping:
    """Read a mapping file (YAML): which sheet is which table, which header is which column.

    The file holds ``sheets`` (sheet -> ``nodes``/``bom``/``sources``/``flat``/``network``/
    ``materials``/``ignore``), ``columns`` (sheet -> header -> column, or ``null`` to
    ignore a header) and optional metadata ``name``, ``period``, ``currency`` and
    ``description``::

        name: my-suppliers
        period: week
        sheets: {Suppliers: flat}
        columns:
          Suppliers: {Vendor: supplier, Buyer: customer, Part no.: material, Qty: quantity}

    Parameters
    ----------
    path
        The YAML file.

    Returns
    -------
    ImportMapping
        The mapping (columns are checked against the sheets when the workbook is read).

    Raises
    ------
    InvalidInput
        The file is missing, not valid YAML (file and line named), not a mapping, or
        names an unknown table.
    """
    data = load_yaml_file(path)
    file = str(path)
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{file}: a mapping file is a mapping of sheets, columns, name, ...")
    problems: list[str] = []
    sheets = _mapping_sheets(data, file, problems)
    columns = _mapping_columns(data, file, problems)
    unknown = sorted(
        str(k)
        for k in data
        if k not in ("sheets", "columns", "name", "period", "currency", "description")
    )
    if unknown:
        problems.append(f"{file}: unknown key(s) {', '.join(unknown)}")
    if problems:
        raise InvalidInput("\n".join(problems))
    meta = {k: data[k] for k in ("name", "period", "currency", "description") if k in data}
    return ImportMapping(sheets, columns, meta, Path(path).name)

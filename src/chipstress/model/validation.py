"""Validation: raw tables in, a whole :class:`Network` or one error listing every problem out.

Readers turn files into :class:`RawTable` objects (a DataFrame as read plus a way to
say where each row and field came from) and record file-level problems (empty file,
not the format its extension says). :func:`validate_tables` then coerces the columns
to their schema types and checks every rule at once:

* missing columns, wrong cell types, empty tables;
* duplicate ids, unknown kinds, empty materials;
* negative, NaN, infinite or too large (see :data:`MAX_MAGNITUDE`) capacity,
  inventory, ttr, demand, margin, quantity, source premium or source lead time;
* node ids with a character that cannot stand in a URL path or a file name
  (``/``, ``\\``, control characters);
* latitude/longitude out of range;
* BOM and source rows naming unknown nodes, duplicate rows, self-supply;
* a source edge shipping a material its customer does not need;
* a material a node needs that no source row lets anyone supply;
* cycles in the supply graph;
* a node that ships to nobody and has no demand (an end product without demand),
  and demand without a margin.

Loading never half-succeeds: any problem raises :class:`InvalidNetwork`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from chipstress.errors import InvalidNetwork, Problem, excerpt
from chipstress.model.canonical import canonical_nodes, canonical_table, infer_tiers, supply_cycles
from chipstress.model.coerce import coerce_float, coerce_str
from chipstress.model.meta import NetworkMeta
from chipstress.model.schema import NODE_KINDS, table_schema

__all__ = [
    "MAX_MAGNITUDE",
    "RawTable",
    "ValidTables",
    "Where",
    "meta_from_mapping",
    "validate_tables",
]

# Most problems of one kind reported per table and field before summarising the rest.
MAX_PROBLEMS_PER_CHECK = 25

# The largest magnitude of a quantity (units, periods, currency per unit). HiGHS
# treats a bound of 1e20 or more as infinite and refuses matrix values of 1e15 or
# more, and the programs multiply these numbers (margin x demand x periods in an
# objective, quantity x flow in a balance row): 1e12 keeps every product far from
# both while leaving six orders of magnitude above the largest real supply chain.
MAX_MAGNITUDE = 1e12

Where = Callable[[int, str], tuple[str, str]]


@dataclass
class RawTable:
    """A table as read from a file, before types and rules are checked.

    ``frame`` is ``None`` when the file could not be read at all (its problem is
    already recorded). ``where(row, column)`` returns ``(location, field)`` for a
    row position and column, in the terms of the file it came from.
    """

    table: str
    frame: pd.DataFrame | None
    file: str
    where: Where

    @classmethod
    def rows(cls, table: str, frame: pd.DataFrame | None, file: str) -> RawTable:
        """A table whose rows are numbered ``row 1, row 2, ...`` (CSV, Parquet, DataFrames).

        Parameters
        ----------
        table
            The table's name (``nodes``, ``bom``, ``sources``).
        frame
            The table as read (``None``: the table is missing).
        file
            The file it came from, as named in problems.

        Returns
        -------
        RawTable
            The table with row labels ``row 1``, ``row 2``, ...
        """
        return cls(table, frame, file, lambda row, column: (f"row {row + 1}", column))

    @classmethod
    def items(cls, table: str, frame: pd.DataFrame | None, file: str, key: str) -> RawTable:
        """A table read from a list of mappings: rows are ``key[0], key[1], ...``.

        Parameters
        ----------
        table
            The table's name (``nodes``, ``bom``, ``sources``).
        frame
            The table as read (``None``: the table is missing).
        file
            The file it came from, as named in problems.
        key
            The name of the list in the document (row labels ``key[0]``, ``key[1]``, ...).

        Returns
        -------
        RawTable
            The table with its row labels.
        """
        return cls(table, frame, file, lambda row, column: (f"{key}[{row}]", column))


class _Problems:
    """Collects problems, at most ``MAX_PROBLEMS_PER_CHECK`` per check."""

    def __init__(self) -> None:
        self.found: list[Problem] = []

    def file(self, file: str, message: str, field: str = "") -> None:
        self.found.append(Problem(file, "", field, message))

    def rows(
        self,
        raw: RawTable,
        mask: np.ndarray,
        column: str,
        message: Callable[[int], str],
    ) -> None:
        """One problem per row where ``mask`` is true; ``message(row)`` says what."""
        rows = np.flatnonzero(mask)
        for row in rows[:MAX_PROBLEMS_PER_CHECK]:
            location, field = raw.where(int(row), column)
            self.found.append(Problem(raw.file, location, field, message(int(row))))
        if len(rows) > MAX_PROBLEMS_PER_CHECK:
            extra = len(rows) - MAX_PROBLEMS_PER_CHECK
            first = message(int(rows[MAX_PROBLEMS_PER_CHECK]))
            self.found.append(
                Problem(raw.file, "", column, f"... and {extra} more rows like: {first}")
            )


# Messages of rows with a problem, ``partial``-ed with what they name: ``(row) -> message``.
def _said(message: str, row: int) -> str:
    return message


def _not_a(values: pd.Series, kind: str, row: int) -> str:
    return f"{excerpt(values.iloc[row], 40)} is not {kind}"


def _out_of_range(column: str, bound: float, values: np.ndarray, row: int) -> str:
    return f"{column} {values[row]:g} is out of range [-{bound:g}, {bound:g}]"


def _unknown_node(ids: pd.Series, row: int) -> str:
    return f"unknown node '{ids.iat[row]}' (no such id in the node table)"


def _typed_table(raw: RawTable, problems: _Problems) -> pd.DataFrame | None:
    """Coerce ``raw`` to its schema types; ``None`` when required columns are missing."""
    frame = raw.frame
    if frame is None:
        return None
    schema = table_schema(raw.table)
    columns = [str(c) for c in frame.columns]
    frame = frame.set_axis(columns, axis=1)
    missing = [a.name for a in schema.values() if a.required and a.name not in columns]
    for name in missing:
        found = ", ".join(columns) if columns else "none"
        problems.file(raw.file, f"required column '{name}' is missing (columns: {found})", name)
    if missing:
        return None
    frame = frame.reset_index(drop=True)
    out: dict[str, Any] = {}
    wrong_type: dict[str, np.ndarray] = {}
    for name, attribute in schema.items():
        if name not in frame.columns:
            continue
        original = frame[name]
        if attribute.dtype == "string":
            text, bad = coerce_str(original)
            problems.rows(raw, bad, name, partial(_not_a, original, "text"))
            out[name] = text
            wrong_type[name] = bad
            continue
        values, absent, bad = coerce_float(original)
        kind = "a whole number" if attribute.dtype == "integer" else "a number"
        problems.rows(raw, bad, name, partial(_not_a, original, kind))
        values[bad] = np.nan
        out[name] = (values, absent | bad)
        wrong_type[name] = bad
    for name in columns:
        if name not in schema:
            out[name] = coerce_str(frame[name])[0]
    typed = pd.DataFrame(
        {k: (v[0] if isinstance(v, tuple) else v) for k, v in out.items()}, index=frame.index
    )
    # "absent": no usable number (missing or the wrong type); "wrong_type": the cells
    # already reported as not a number / not text, which later checks leave alone.
    typed.attrs["absent"] = {k: v[1] for k, v in out.items() if isinstance(v, tuple)}
    typed.attrs["wrong_type"] = wrong_type
    return typed


def _check_number(
    raw: RawTable,
    table: pd.DataFrame,
    column: str,
    problems: _Problems,
    *,
    required: bool = False,
    positive: bool = False,
    unit: str = "",
) -> None:
    """Missing (if required), NaN, infinite and negative (or non-positive) cells."""
    if column not in table.columns:
        if required:
            problems.file(raw.file, f"required column '{column}' is missing", column)
        return
    values = table[column].to_numpy(dtype=float)
    absent = table.attrs["absent"][column]
    if required:
        missing = absent & ~table.attrs["wrong_type"][column]
        problems.rows(raw, missing, column, lambda r: f"{column} is missing")
    nan = np.isnan(values) & ~absent
    problems.rows(raw, nan, column, lambda r: f"{column} is NaN: give a number{unit}")
    problems.rows(raw, np.isinf(values), column, lambda r: f"{column} is infinite")
    problems.rows(
        raw,
        np.isfinite(values) & (np.abs(np.nan_to_num(values)) > MAX_MAGNITUDE),
        column,
        lambda r: (
            f"{column} {values[r]:g} is out of range: give a number of magnitude at most "
            f"{MAX_MAGNITUDE:g}"
        ),
    )
    finite = np.where(np.abs(np.nan_to_num(values)) <= MAX_MAGNITUDE, values, 0.0)
    if positive:
        problems.rows(
            raw,
            ~absent & ~nan & (finite <= 0) & ~np.isinf(values),
            column,
            lambda r: f"{column} must be > 0, got {values[r]:g}",
        )
    else:
        problems.rows(raw, finite < 0, column, lambda r: f"{column} is negative ({values[r]:g})")


# --------------------------------------------------------------------------- tables
def _check_nodes(raw: RawTable, problems: _Problems) -> pd.DataFrame | None:
    """The typed node table with every node rule checked; ``None`` when unusable."""
    nodes = _typed_table(raw, problems)
    if nodes is None:
        return None
    if len(nodes) == 0:
        problems.file(raw.file, "has no rows: a network needs at least one node")
        return None
    _check_node_ids(raw, nodes, problems)
    wrong_type = nodes.attrs["wrong_type"]
    if "material" in nodes:
        problems.rows(
            raw,
            (nodes["material"] == "").to_numpy() & ~wrong_type["material"],
            "material",
            lambda r: "material is empty: every node supplies exactly one material",
        )
    if "kind" in nodes:
        kinds = nodes["kind"].where(nodes["kind"] != "", "supplier")
        nodes["kind"] = kinds
        unknown = ~kinds.isin(NODE_KINDS).to_numpy()
        allowed = ", ".join(NODE_KINDS)
        problems.rows(
            raw, unknown, "kind", lambda r: f"unknown kind '{kinds.iat[r]}'; kinds are {allowed}"
        )
    _check_number(raw, nodes, "capacity", problems, required=True, unit=" of units per period")
    for column in ("inventory", "ttr", "demand", "margin"):
        _check_number(raw, nodes, column, problems)
    _check_coordinates(raw, nodes, problems)
    if "tier" in nodes:
        tier = nodes["tier"].to_numpy(dtype=float)
        present = ~np.isnan(tier)
        whole = np.mod(np.where(present & np.isfinite(tier), tier, 1), 1) == 0
        bad_tier = present & ((tier < 1) | ~whole)
        problems.rows(
            raw,
            bad_tier,
            "tier",
            lambda r: f"tier must be a whole number >= 1, got {tier[r]:g}",
        )
        problems.rows(raw, present & (tier > 10_000), "tier", partial(_said, "tier is above 10000"))
    if "demand" in nodes and "margin" in nodes:
        demand = np.nan_to_num(nodes["demand"].to_numpy(dtype=float), nan=0.0)
        no_margin = (demand > 0) & nodes.attrs["absent"]["margin"] & ~wrong_type["margin"]
        problems.rows(raw, no_margin, "margin", lambda r: "demand is set but margin is missing")
    return nodes


def _check_node_ids(raw: RawTable, nodes: pd.DataFrame, problems: _Problems) -> None:
    """Empty and duplicate ids (a duplicate names the row of the first)."""
    ids = nodes["id"]
    wrong_type = nodes.attrs["wrong_type"]
    problems.rows(raw, (ids == "").to_numpy() & ~wrong_type["id"], "id", lambda r: "id is empty")
    # Ids name API paths (/nodes/{id}) and file names: no slash, backslash or control character.
    odd = ids.str.contains(r"[/\\\x00-\x1f\x7f]", regex=True).to_numpy(dtype=bool)
    problems.rows(
        raw,
        odd,
        "id",
        lambda r: (
            f"id {excerpt(ids.iat[r], 40)} contains '/', '\\' or a control character: "
            "ids may use any other character (letters, digits, spaces, - _ . : and so on)"
        ),
    )
    first_row: dict[Any, int] = {}
    duplicate = np.zeros(len(ids), bool)
    dup_mask = ids.duplicated(keep=False).to_numpy() & (ids != "").to_numpy()
    for row in np.flatnonzero(dup_mask).tolist():
        node_id = ids.iat[row]
        if node_id in first_row:
            duplicate[row] = True
        else:
            first_row[node_id] = row
    problems.rows(
        raw,
        duplicate,
        "id",
        lambda r: (
            f"duplicate id '{ids.iat[r]}' (first at {raw.where(first_row[ids.iat[r]], 'id')[0]})"
        ),
    )


def _check_coordinates(raw: RawTable, nodes: pd.DataFrame, problems: _Problems) -> None:
    """Latitude and longitude: NaN, out of range, or one given without the other."""
    for column, bound in (("lat", 90.0), ("lon", 180.0)):
        if column not in nodes:
            continue
        values = nodes[column].to_numpy(dtype=float)
        absent = nodes.attrs["absent"][column]
        problems.rows(raw, np.isnan(values) & ~absent, column, partial(_said, f"{column} is NaN"))
        problems.rows(
            raw,
            np.abs(np.nan_to_num(values, nan=0.0)) > bound,
            column,
            partial(_out_of_range, column, bound, values),
        )
    if "lat" in nodes and "lon" in nodes:
        # A coordinate of the wrong type is reported already, not as "not given".
        wrong_type = nodes.attrs["wrong_type"]
        lat_absent = nodes.attrs["absent"]["lat"] & ~wrong_type["lat"]
        lon_absent = nodes.attrs["absent"]["lon"] & ~wrong_type["lon"]
        problems.rows(raw, lat_absent & ~lon_absent, "lat", lambda r: "lon is given but lat is not")
        problems.rows(raw, lon_absent & ~lat_absent, "lon", lambda r: "lat is given but lon is not")


def _check_links(
    raw: RawTable,
    table: pd.DataFrame,
    columns: tuple[str, ...],
    known: pd.Index,
    problems: _Problems,
) -> np.ndarray:
    """Flag empty and unknown node ids in ``columns``; returns rows that are all known."""
    ok = np.ones(len(table), bool)
    for column in columns:
        ids = table[column]
        wrong_type = table.attrs["wrong_type"][column]
        empty = (ids == "").to_numpy()
        problems.rows(raw, empty & ~wrong_type, column, partial(_said, f"{column} is empty"))
        unknown = ~empty & (known.get_indexer(pd.Index(ids)) < 0)
        problems.rows(raw, unknown, column, partial(_unknown_node, ids))
        ok &= ~empty & ~unknown
    return ok


def _check_duplicates(
    raw: RawTable, table: pd.DataFrame, keys: list[str], problems: _Problems, what: str
) -> None:
    dup = table.duplicated(keys, keep="first").to_numpy()
    problems.rows(
        raw,
        dup,
        keys[-1],
        lambda r: f"duplicate {what} " + " / ".join(f"'{table[k].iat[r]}'" for k in keys),
    )


# --------------------------------------------------------------------------- network
class ValidTables(NamedTuple):
    """The three tables of a valid network, in canonical form (see :class:`Network`)."""

    nodes: pd.DataFrame
    bom: pd.DataFrame
    sources: pd.DataFrame


def validate_tables(
    tables: Mapping[str, RawTable],
    problems: list[Problem] | None = None,
    source: str = "",
) -> ValidTables:
    """Check raw tables against the schema and every rule; return them canonical.

    :func:`chipstress.model.network.build_network` wraps the result in a network.

    Parameters
    ----------
    tables
        ``nodes``, ``bom`` and ``sources`` raw tables.
    problems
        Problems the reader found already (file-level); they are reported with the rest.
    source
        What was loaded (a path), for the error message.

    Returns
    -------
    ValidTables
        Nodes (with their tiers inferred where not given), BOM and source tables.

    Raises
    ------
    InvalidNetwork
        With every problem found, when there is at least one.
    """
    found = _Problems()
    found.found.extend(problems or [])
    nodes_raw, bom_raw, sources_raw = tables["nodes"], tables["bom"], tables["sources"]
    nodes = _check_nodes(nodes_raw, found)
    bom = _typed_table(bom_raw, found)
    sources = _typed_table(sources_raw, found)
    if nodes is None:
        raise InvalidNetwork(found.found, source)

    ids = pd.Index(nodes["id"].to_numpy(dtype=object))
    unique_ids = pd.Index(ids.unique())
    material_of = pd.Series(nodes["material"].to_numpy(dtype=object), index=ids)
    material_of = material_of[~material_of.index.duplicated()]

    if bom is not None:
        bom_ok = _check_bom(bom_raw, bom, unique_ids, found)
    if sources is not None:
        src_ok = _check_sources(sources_raw, sources, unique_ids, found)
    if bom is not None and sources is not None:
        _check_bom_against_sources(
            _Linked(bom_raw, bom, bom_ok), _Linked(sources_raw, sources, src_ok), material_of, found
        )

    demand, no_demand = _demand(nodes)
    if sources is not None:
        rows = np.flatnonzero(src_ok)
        sup = unique_ids.get_indexer(sources["supplier"][src_ok])
        cus = unique_ids.get_indexer(sources["customer"][src_ok])
        keep = sup != cus
        sup, cus, rows = sup[keep], cus[keep], rows[keep]
        _check_cycles(sources_raw, unique_ids, sup, cus, rows, found)
        ships = np.asarray(ids.isin(unique_ids[np.unique(sup)]))  # hash lookup, O(n)
        found.rows(
            nodes_raw,
            no_demand & ~ships & (nodes["id"] != "").to_numpy(),
            "demand",
            lambda r: (
                f"node '{nodes['id'].iat[r]}' ships to nobody and has no demand: an end "
                "product needs demand > 0 (or add a sources row from it)"
            ),
        )

    if found.found:
        raise InvalidNetwork(found.found, source)

    assert bom is not None and sources is not None
    tiers = infer_tiers(len(nodes), demand > 0, sup, cus)
    return ValidTables(
        canonical_nodes(nodes, tiers),
        canonical_table(bom, "bom"),
        canonical_table(sources, "sources"),
    )


@dataclass
class _Linked:
    """A typed table with its raw table and the rows whose node ids are all known."""

    raw: RawTable
    table: pd.DataFrame
    ok: np.ndarray


def _check_bom(raw: RawTable, bom: pd.DataFrame, known: pd.Index, found: _Problems) -> np.ndarray:
    """BOM rules; returns the rows with a known node and a material."""
    ok = _check_links(raw, bom, ("node",), known, found)
    ok &= (bom["material"] != "").to_numpy()
    found.rows(
        raw,
        (bom["material"] == "").to_numpy() & ~bom.attrs["wrong_type"]["material"],
        "material",
        lambda r: "material is empty",
    )
    _check_number(raw, bom, "quantity", found, required=True, positive=True)
    _check_duplicates(raw, bom, ["node", "material"], found, "BOM line")
    return ok


def _check_sources(
    raw: RawTable, sources: pd.DataFrame, known: pd.Index, found: _Problems
) -> np.ndarray:
    """Source-edge rules; returns the rows whose supplier and customer are known."""
    ok = _check_links(raw, sources, ("supplier", "customer"), known, found)
    self_loop = ok & (sources["supplier"] == sources["customer"]).to_numpy()
    found.rows(
        raw,
        self_loop,
        "customer",
        lambda r: f"node '{sources['supplier'].iat[r]}' cannot supply itself (a cycle)",
    )
    _check_duplicates(raw, sources, ["supplier", "customer"], found, "source edge")
    _check_number(raw, sources, "premium", found, unit=" of currency per unit")
    _check_number(raw, sources, "lead_time", found, unit=" of periods")
    return ok


def _check_bom_against_sources(
    bom: _Linked, sources: _Linked, material_of: pd.Series, found: _Problems
) -> None:
    """A BOM line nobody can fill; an edge shipping a material its customer does not need."""
    src_ok = sources.ok
    shipped = pd.DataFrame(
        {
            "node": sources.table["customer"].to_numpy(dtype=object)[src_ok],
            "material": material_of.reindex(sources.table["supplier"][src_ok]).to_numpy(
                dtype=object
            ),
            "row": np.flatnonzero(src_ok),
        }
    )
    needed = pd.DataFrame(
        {
            "node": bom.table["node"].to_numpy(dtype=object),
            "material": bom.table["material"].to_numpy(dtype=object),
            "row": np.arange(len(bom.table)),
        }
    )[bom.ok]
    # A BOM line nobody can fill.
    filled = needed.merge(
        shipped[["node", "material"]].drop_duplicates(), how="left", indicator=True
    )
    unfilled = np.zeros(len(bom.table), bool)
    unfilled[filled.loc[filled["_merge"] == "left_only", "row"].to_numpy(dtype=int)] = True
    lines = bom.table
    found.rows(
        bom.raw,
        unfilled,
        "material",
        lambda r: (
            f"node '{lines['node'].iat[r]}' needs '{lines['material'].iat[r]}' but no "
            "sources row lets a supplier of that material ship to it"
        ),
    )
    # An edge shipping a material the customer does not need.
    useful = shipped.merge(
        needed[["node", "material"]].drop_duplicates(), how="left", indicator=True
    )
    useless = np.zeros(len(sources.table), bool)
    useless[useful.loc[useful["_merge"] == "left_only", "row"].to_numpy(dtype=int)] = True
    edges = sources.table
    found.rows(
        sources.raw,
        useless,
        "customer",
        lambda r: (
            f"supplier '{edges['supplier'].iat[r]}' ships "
            f"'{material_of.get(edges['supplier'].iat[r], '')}', which customer "
            f"'{edges['customer'].iat[r]}' has no BOM line for"
        ),
    )


def _demand(nodes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Demand per node (NaN as 0) and the nodes with no demand."""
    if "demand" not in nodes:
        return np.zeros(len(nodes)), np.ones(len(nodes), bool)
    given = nodes["demand"].to_numpy(dtype=float)
    demand = np.nan_to_num(given, nan=0.0)
    # "No demand" is a demand left out or zero; a negative, NaN or wrongly typed
    # demand is reported as such already.
    no_demand = (nodes.attrs["absent"]["demand"] & ~nodes.attrs["wrong_type"]["demand"]) | (
        given == 0
    )
    return demand, no_demand


def _check_cycles(
    raw: RawTable,
    ids: pd.Index,
    sup: np.ndarray,
    cus: np.ndarray,
    rows: np.ndarray,
    found: _Problems,
) -> None:
    """One problem per cycle of the supply graph, located at the edges that close it."""
    for cycle, edges in supply_cycles(len(ids), sup, cus, ids):
        places = [raw.where(int(rows[e]), "supplier") for e in edges]
        names = [place for place, _ in places[:12]]
        location = ", ".join(names)
        if all(name.startswith("row ") for name in names):  # "rows 5 and 1", not "row 5, row 1"
            numbers = [name.removeprefix("row ") for name in names]
            location = f"row {numbers[0]}" if len(numbers) == 1 else "rows " + ", ".join(numbers)
            if 1 < len(numbers) == len(places):
                location = f"rows {', '.join(numbers[:-1])} and {numbers[-1]}"
        if len(places) > 12:
            location += f", ... ({len(places)} edges)"
        found.found.append(
            Problem(raw.file, location, places[0][1], f"cycle in the supply graph: {cycle}")
        )


# --------------------------------------------------------------------------- metadata
def meta_from_mapping(
    data: Mapping[str, Any], file: str = "network.yaml", problems: list[Problem] | None = None
) -> NetworkMeta:
    """Metadata from a ``network.yaml`` mapping; bad fields are added to ``problems``.

    Without a ``problems`` list, bad fields raise :class:`InvalidNetwork` at once.

    Parameters
    ----------
    data
        The parsed ``network.yaml`` document.
    file
        The file name used in problems.
    problems
        A list to add problems to; ``None`` raises them instead.

    Returns
    -------
    NetworkMeta
        The metadata, bad fields left out.

    Raises
    ------
    InvalidNetwork
        Without ``problems``, when any field is bad.
    """
    collected: list[Problem] = []
    values: dict[str, Any] = {}
    for key in ("name", "period", "currency", "description"):
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            collected.append(
                Problem(file, "", key, f"{key} must be text, got {excerpt(value, 40)}")
            )
        else:
            values[key] = str(value)
    materials = data.get("materials") or {}
    if not isinstance(materials, Mapping):
        collected.append(
            Problem(
                file,
                "",
                "materials",
                "materials must be a mapping of material -> {unit, description}",
            )
        )
        materials = {}
    clean: dict[str, dict[str, str]] = {}
    for material, info in materials.items():
        if not isinstance(info, Mapping):
            collected.append(
                Problem(
                    file,
                    f"materials.{material}",
                    "",
                    "must be a mapping with 'unit' and 'description'",
                )
            )
            continue
        clean[str(material)] = {str(k): str(v) for k, v in info.items()}
    values["materials"] = clean
    reserved = {"name", "period", "currency", "description", "materials", "nodes", "bom", "sources"}
    values["extra"] = {k: v for k, v in data.items() if k not in reserved}
    if problems is not None:
        problems.extend(collected)
    elif collected:
        raise InvalidNetwork(collected, file)
    return NetworkMeta(**values)

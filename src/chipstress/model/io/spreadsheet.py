"""Networks from spreadsheets: an ``.xlsx`` workbook or a ``.csv`` sheet, as analysts keep them.

Two shapes are read:

* **one sheet per table** — ``nodes``, ``bom`` and ``sources`` (the schema of
  ``model/schema/*.csv``; see ``docs/architecture.md``), with optional ``network``
  (rows of ``key, value``: name, period, currency, description) and ``materials``
  (``material, unit, description``) sheets, as
  :func:`~chipstress.model.io.spreadsheet_write.write_template` writes them;
* **one flat sheet** — one row per supplier → customer → part with its quantity
  (:data:`~chipstress.model.io.spreadsheet_headers.FLAT_COLUMNS`): each supplier
  becomes a node that makes the row's part, with the row's ``capacity``, ``inventory``,
  ``ttr``, ...; a customer that supplies nobody becomes an end product (its material
  is its own id, its ``demand`` and ``margin`` from its rows, its capacity
  ``customer_capacity`` or else its demand); each row becomes a BOM line of the
  customer and a source edge.

Which sheet holds which table, and which header names which column, comes from a
mapping file (:func:`~chipstress.model.io.spreadsheet_headers.read_mapping`) or, where it says nothing, from
:func:`~chipstress.model.io.spreadsheet_headers.suggest_mapping`. The header is a
sheet's first non-empty row. Every problem names the file, the sheet, the row (as
numbered in the spreadsheet) and the column (its header and letter).

The file is treated as hostile: a workbook is a zip archive, checked before it is
opened — at most :data:`MAX_WORKBOOK_BYTES` on disk, :data:`MAX_EXPANDED_BYTES` once
expanded, :data:`MAX_RATIO` times compressed per large member, :data:`MAX_MEMBERS`
members; XML is parsed with ``defusedxml`` (no entity expansion); at most
:data:`MAX_SHEETS` sheets, :data:`MAX_ROWS` rows and :data:`MAX_COLUMNS` columns per
sheet are read. Compare the budgets of :mod:`chipstress.model.io.safe`.
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from chipstress.errors import InvalidInput, InvalidNetwork, Problem, excerpt
from chipstress.model.io.files import read_csv_table
from chipstress.model.io.safe import load_json
from chipstress.model.io.spreadsheet_flat import flat_tables
from chipstress.model.io.spreadsheet_headers import (
    ImportMapping,
    columns_of,
    normalize_header,
    read_mapping,
    suggest_mapping,
)
from chipstress.model.network import Network, build_network
from chipstress.model.schema import TABLES
from chipstress.model.validation import RawTable, meta_from_mapping

__all__ = [
    "MAX_COLUMNS",
    "MAX_EXPANDED_BYTES",
    "MAX_MEMBERS",
    "MAX_RATIO",
    "MAX_ROWS",
    "MAX_SHEETS",
    "MAX_WORKBOOK_BYTES",
    "SPREADSHEET_SUFFIXES",
    "Sheet",
    "SpreadsheetImport",
    "column_letter",
    "import_spreadsheet",
    "read_sheets",
    "read_spreadsheet",
]

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".csv")
MAX_WORKBOOK_BYTES = 64 * 2**20
MAX_EXPANDED_BYTES = 256 * 2**20
MAX_RATIO = 200
MAX_MEMBERS = 2_000
MAX_SHEETS = 64
MAX_ROWS = 250_000
MAX_COLUMNS = 256

# Sheet roles besides the tables: metadata, materials, and sheets never read.
_META_SHEETS = ("network", "meta", "metadata", "network_info")
_MATERIAL_SHEETS = ("materials", "material_units")
_META_TEXT = ("name", "period", "currency", "description")
_MAX_TITLE_ROWS = 10  # single-cell rows above a header read as titles
_IGNORED_SHEETS = ("readme", "read_me", "notes", "instructions", "help", "lists")


def column_letter(position: int) -> str:
    """The spreadsheet letter of a 0-based column position (0 -> ``A``, 26 -> ``AA``)."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass(frozen=True)
class Sheet:
    """One sheet as read: its header and its non-empty rows.

    Attributes
    ----------
    name
        The sheet's name (a CSV file's stem).
    header_row
        Row number of the header in the spreadsheet (1-based).
    headers
        The header cells as text (``""`` for an empty one).
    rows
        ``(row number, cells)`` of each non-empty row below the header, cells cut to
        the header's width.
    """

    name: str
    header_row: int
    headers: list[str]
    rows: list[tuple[int, list[Any]]]


@dataclass(frozen=True)
class SpreadsheetImport:
    """A network read from a spreadsheet, and how it was read.

    Attributes
    ----------
    network
        The validated network.
    sheets
        Sheet -> what it was read as (``nodes``, ``flat``, ``network``, ``ignored``, ...).
    mapping
        Sheet -> header -> the column it was read as (``None``: not used).
    notes
        Headers and sheets left unused, in words.
    """

    network: Network
    sheets: dict[str, str]
    mapping: dict[str, dict[str, str | None]]
    notes: list[str]


# --------------------------------------------------------------------------- reading cells
def _check_archive(path: Path, label: str) -> str | None:
    """Why a workbook must not be opened (size, expansion, ratio), or ``None``."""
    size = path.stat().st_size
    if size > MAX_WORKBOOK_BYTES:
        return f"is larger than {MAX_WORKBOOK_BYTES // 2**20} MiB: too large"
    with path.open("rb") as handle:
        magic = handle.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        return "is an old binary Excel (.xls) or an encrypted workbook: save it as .xlsx"
    if not magic.startswith(b"PK"):
        return "is not an .xlsx workbook (not a zip archive; a CSV file needs the .csv extension)"
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            return f"holds {len(members):,} parts; at most {MAX_MEMBERS:,} are read"
        expanded = sum(m.file_size for m in members)
        if expanded > MAX_EXPANDED_BYTES:
            return (
                f"expands to {expanded / 2**20:,.0f} MiB; at most "
                f"{MAX_EXPANDED_BYTES // 2**20} MiB are read"
            )
        for member in members:
            if member.file_size > 2**20 and member.file_size > MAX_RATIO * max(
                1, member.compress_size
            ):
                return (
                    f"part {excerpt(member.filename)} is compressed "
                    f"{member.file_size / max(1, member.compress_size):,.0f} times (at most "
                    f"{MAX_RATIO}): a zip bomb?"
                )
    return None


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _too_wide(name: str, number: int, raw: Any, label: str, problems: list[Problem]) -> bool:
    if len(raw) > MAX_COLUMNS and any(v is not None for v in raw[MAX_COLUMNS:]):
        problems.append(
            Problem(
                label,
                f"sheet '{name}', row {number}",
                "",
                f"has more than {MAX_COLUMNS} columns: too wide",
            )
        )
        return True
    return False


def _fit(cells: list[Any], width: int) -> list[Any]:
    cells = cells[:width]
    return cells + [None] * (width - len(cells))


def _sheet(name: str, header: tuple[int, list[Any]], body: list[tuple[int, list[Any]]]) -> Sheet:
    number, cells = header
    cells = list(cells)
    while cells and cells[-1] is None:
        cells.pop()
    width = len(cells)
    rows = [(n, _fit(c, width)) for n, c in body]
    return Sheet(
        name,
        number,
        ["" if v is None else str(v) for v in cells],
        [r for r in rows if any(v is not None for v in r[1])],
    )


def _sheet_from_rows(name: str, rows: Any, label: str, problems: list[Problem]) -> Sheet | None:
    """A sheet from an iterator of row tuples: header, then non-empty rows (row budget kept).

    The header is the first row with two or more cells filled; single-cell rows above it
    are titles and skipped (a sheet of single cells takes its first one as the header).
    """
    titles: list[tuple[int, list[Any]]] = []
    header: tuple[int, list[Any]] | None = None
    body: list[tuple[int, list[Any]]] = []
    width = MAX_COLUMNS
    for number, raw in enumerate(rows, start=1):
        if number > MAX_ROWS + 1:
            problems.append(
                Problem(label, f"sheet '{name}'", "", f"has more than {MAX_ROWS:,} rows: too large")
            )
            return None
        cells = [_cell(v) for v in raw[:width]]
        filled = sum(v is not None for v in cells)
        if not filled:
            continue
        if header is not None:
            body.append((number, cells))
        elif _too_wide(name, number, raw, label, problems):
            return None
        elif filled == 1 and len(titles) < _MAX_TITLE_ROWS:
            titles.append((number, cells))
        else:
            header = (number, cells) if filled > 1 else titles[0]
            body = [] if filled > 1 else [*titles[1:], (number, cells)]
            width = max(i + 1 for i, v in enumerate(header[1]) if v is not None)
    if header is None:
        if not titles:
            return Sheet(name, 0, [], [])
        header, body = titles[0], titles[1:]
    return _sheet(name, header, body)


def _read_xlsx(path: Path, label: str, problems: list[Problem]) -> list[Sheet]:
    import openpyxl

    try:
        reason = _check_archive(path, label)
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile) as error:
        reason = f"is not a readable .xlsx workbook ({excerpt(str(error), 120)})"
    if reason is not None:
        problems.append(Problem(label, "", "", reason))
        return []
    sheets: list[Sheet] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns of unsupported extensions
            book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
            try:
                if len(book.worksheets) > MAX_SHEETS:
                    problems.append(
                        Problem(label, "", "", f"has more than {MAX_SHEETS} sheets: too many")
                    )
                    return []
                for sheet in book.worksheets:
                    rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1)
                    read = _sheet_from_rows(str(sheet.title), rows, label, problems)
                    if read is not None:
                        sheets.append(read)
            finally:
                book.close()
    except (MemoryError, RecursionError):
        problems.append(Problem(label, "", "", "is too large or too deeply nested to read"))
        return []
    except Exception as error:  # a hostile or broken workbook: never a traceback
        problems.append(Problem(label, "", "", _unreadable(error, path)))
        return []
    return sheets


def _unreadable(error: BaseException, path: Path) -> str:
    """Why openpyxl could not read a workbook: the first cause (e.g. ``EntitiesForbidden``)."""
    while error.__cause__ is not None or error.__context__ is not None:
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    text = str(error).replace(str(path), path.name)
    return f"is not a readable .xlsx workbook ({type(error).__name__}: {excerpt(text, 160)})"


def _read_csv(path: Path, label: str, problems: list[Problem]) -> list[Sheet]:
    frame = read_csv_table(path, label, problems)
    if frame is None:
        return []
    if len(frame) > MAX_ROWS:
        problems.append(Problem(label, "", "", f"has more than {MAX_ROWS:,} rows: too large"))
        return []
    rows = [list(frame.columns), *frame.itertuples(index=False, name=None)]
    return [s for s in [_sheet_from_rows(path.stem, rows, label, problems)] if s is not None]


def read_sheets(path: str | Path, problems: list[Problem]) -> list[Sheet]:
    """Every sheet of a workbook (or the one sheet of a CSV file), within the budgets.

    Parameters
    ----------
    path
        An ``.xlsx``/``.xlsm`` workbook or a ``.csv`` file.
    problems
        Problems found (too large, not a workbook, ...) are added here.

    Returns
    -------
    list of Sheet
        The sheets in workbook order; empty when the file cannot be read.
    """
    path = Path(path)
    label = path.name
    if not path.is_file():
        problems.append(
            Problem(label, "", "", "no such file" if not path.exists() else "is a folder")
        )
        return []
    if path.suffix.lower() == ".csv":
        return _read_csv(path, label, problems)
    return _read_xlsx(path, label, problems)


# --------------------------------------------------------------------------- sheets to tables
def _role(sheet: Sheet, mapping: ImportMapping) -> str:
    """What a sheet is read as: a table, ``network``, ``materials`` or ``ignore``."""
    if mapping.sheets:
        return mapping.sheets.get(sheet.name, "ignore")
    word = normalize_header(sheet.name)
    if word in _META_SHEETS:
        return "network"
    if word in _MATERIAL_SHEETS:
        return "materials"
    if word in _IGNORED_SHEETS or word.startswith("readme"):
        return "ignore"
    fixed = {h: c for h, c in mapping.columns.get(sheet.name, {}).items() if c}
    suggestion = suggest_mapping(sheet.headers, sheet.name, fixed=fixed)
    if suggestion.missing and normalize_header(sheet.name) not in (*TABLES, "flat"):
        return "ignore"  # a sheet of something else (charts, totals, lists)
    return suggestion.table


@dataclass
class _Context:
    """State of one import: labels, problems found, notes, what each sheet was read as."""

    label: str
    mapping: ImportMapping
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)
    columns: dict[str, dict[str, str | None]] = field(default_factory=dict)

    def where(self, sheet: Sheet) -> str:
        return f"{self.label}, sheet '{sheet.name}'"


def _column_map(sheet: Sheet, table: str, context: _Context) -> dict[str, int]:
    """Schema column -> position in the sheet; problems for bad mapping entries."""
    given = context.mapping.columns.get(sheet.name, {})
    known = set(columns_of(table))
    file = context.where(sheet)
    header_at = f"row {sheet.header_row}"
    for header, column in given.items():
        if header not in sheet.headers:
            shown = ", ".join(repr(h) for h in sheet.headers if h)
            context.problems.append(
                Problem(
                    context.mapping.file or "mapping",
                    f"columns.{sheet.name}",
                    header,
                    f"sheet '{sheet.name}' has no header {excerpt(header)} (its headers: {excerpt(shown, 200)})",
                )
            )
        elif column is not None and column not in known:
            context.problems.append(
                Problem(
                    context.mapping.file or "mapping",
                    f"columns.{sheet.name}",
                    header,
                    f"{excerpt(column)} is not a column of {table} "
                    f"({', '.join(columns_of(table))})",
                )
            )
    fixed = {h: c for h, c in given.items() if c in known}
    suggestion = suggest_mapping(sheet.headers, sheet.name, table=table, fixed=fixed)
    positions: dict[str, int] = {}
    seen: dict[str, int] = {}
    for position, header in enumerate(sheet.headers):
        letter = column_letter(position)
        key = normalize_header(header) or header
        if header and key in seen:
            context.problems.append(
                Problem(
                    file,
                    header_at,
                    f"{header} (column {letter})",
                    f"the header appears twice (also in column {column_letter(seen[key])})",
                )
            )
            continue
        seen[key] = position
        column = (
            None if header in given and given[header] is None else suggestion.mapping.get(header)
        )
        if column is None:
            if header:
                best = suggestion.alternatives.get(header, ["?"])[0]
                context.notes.append(
                    f"{file}, column {letter} {excerpt(header)}: not used "
                    f"(closest column: {best}, score {suggestion.scores.get(header, 0):.2f}; "
                    "map it in a mapping file to use it)"
                )
            continue
        positions[column] = position
    used = {sheet.headers[p]: c for c, p in positions.items()}
    context.columns[sheet.name] = {h: used.get(h) for h in sheet.headers if h}
    for column in suggestion.missing:
        context.problems.append(
            Problem(
                file,
                header_at,
                column,
                f"no header names the required column '{column}' (headers: "
                f"{excerpt(', '.join(h for h in sheet.headers if h), 200)}); rename one or map it "
                "in a mapping file",
            )
        )
    return positions


def _frame(sheet: Sheet, positions: Mapping[str, int]) -> pd.DataFrame:
    data = {
        column: pd.Series([cells[p] for _, cells in sheet.rows], dtype=object)
        for column, p in positions.items()
    }
    return pd.DataFrame(data, index=pd.RangeIndex(len(sheet.rows)))


def _raw_table(table: str, sheet: Sheet, positions: Mapping[str, int], file: str) -> RawTable:
    numbers = [n for n, _ in sheet.rows]

    def where(row: int, column: str) -> tuple[str, str]:
        location = f"row {numbers[row]}" if 0 <= row < len(numbers) else ""
        if column in positions:
            p = positions[column]
            return location, f"{sheet.headers[p]} (column {column_letter(p)})"
        return location, column

    return RawTable(table, _frame(sheet, positions), file, where)


def _meta_sheet(sheet: Sheet, context: _Context) -> dict[str, Any]:
    """``key, value`` rows (the header is the first pair when it is not ``key, value``)."""
    pairs = (
        [(sheet.header_row, sheet.headers[:2])]
        if normalize_header(sheet.headers[0] if sheet.headers else "")
        not in ("key", "field", "name_of_field")
        else []
    )
    pairs += [(n, cells[:2]) for n, cells in sheet.rows]
    data: dict[str, Any] = {}
    for number, cells in pairs:
        key, value = [*cells, None, None][:2]
        if key is None or str(key).strip() == "":
            continue
        if str(key) in data:
            context.problems.append(
                Problem(
                    context.where(sheet),
                    f"row {number}",
                    "key (column A)",
                    f"key {excerpt(key)} appears twice",
                )
            )
        data[str(key)] = _meta_cell(str(key), value, context.where(sheet), number)
    return data


def _meta_cell(key: str, value: Any, file: str, number: int) -> Any:
    """A metadata value: empty text for an empty cell, JSON text of a nested extra key parsed."""
    if value is None:
        return None if key == "name" else ""
    if key not in _META_TEXT and isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return load_json(value, f"{file}, row {number}")
        except InvalidInput:
            return value
    return value


def _materials_sheet(sheet: Sheet, context: _Context) -> dict[str, dict[str, str]]:
    positions = _column_positions(sheet, ("material", "unit", "description"))
    if "material" not in positions:
        context.problems.append(
            Problem(
                context.where(sheet), f"row {sheet.header_row}", "material", "no 'material' header"
            )
        )
        return {}
    out: dict[str, dict[str, str]] = {}
    for _, cells in sheet.rows:
        material = cells[positions["material"]]
        if material is None:
            continue
        out[str(material)] = {
            k: str(cells[positions[k]])
            for k in ("unit", "description")
            if k in positions and cells[positions[k]] is not None
        }
    return out


def _column_positions(sheet: Sheet, names: tuple[str, ...]) -> dict[str, int]:
    words = [normalize_header(h) for h in sheet.headers]
    return {n: words.index(n) for n in names if n in words}


def _assemble(sheets: list[Sheet], context: _Context) -> tuple[dict[str, RawTable], dict[str, Any]]:
    """Raw tables and the metadata mapping from the sheets, by role."""
    tables: dict[str, RawTable] = {}
    meta: dict[str, Any] = {}
    for sheet in sheets:
        role = _role(sheet, context.mapping)
        context.roles[sheet.name] = role
        if role == "ignore":
            continue
        if role == "network":
            meta.update(_meta_sheet(sheet, context))
        elif role == "materials":
            meta["materials"] = _materials_sheet(sheet, context)
        elif role in tables or (role == "flat" and tables) or ("flat" in tables):
            context.problems.append(
                Problem(
                    context.where(sheet),
                    "",
                    "",
                    f"read as '{role}', but another sheet already holds "
                    f"{'that table' if role in tables else 'the network'}: give one flat sheet or "
                    "one sheet per table (nodes, bom, sources); name the others in a mapping file",
                )
            )
        else:
            positions = _column_map(sheet, role, context)
            if role == "flat":
                tables.update(
                    flat_tables(
                        _raw_table("flat", sheet, positions, context.where(sheet)), context.problems
                    )
                )
            else:
                tables[role] = _raw_table(role, sheet, positions, context.where(sheet))
    return tables, meta


def _no_sites(label: str, sheets: list[Sheet], context: _Context) -> Problem:
    """The problem of a workbook none of whose sheets holds the sites, sheet by sheet."""
    said = []
    for sheet in sheets:
        role = context.roles.get(sheet.name, "ignore")
        if role != "ignore" or not sheet.headers:
            said.append(f"'{sheet.name}' ({role})")
            continue
        guess = suggest_mapping(sheet.headers, sheet.name)
        said.append(
            f"'{sheet.name}' (looks most like {guess.table}, but no header names "
            f"{', '.join(guess.missing)})"
        )
    return Problem(
        label,
        "",
        "",
        f"no sheet holds the network's sites (sheets: {'; '.join(said) or 'none'}): give a "
        "'nodes' sheet (id, material, capacity, ...) or one flat sheet of supplier, customer, "
        "material, quantity, or map the headers in a mapping file (--mapping); "
        "`chipstress template` writes a workbook to fill in",
    )


def _empty(table: str, file: str) -> RawTable:
    columns = {"bom": ["node", "material", "quantity"], "sources": ["supplier", "customer"]}
    return RawTable.rows(table, pd.DataFrame(columns=columns[table]), file)


def import_spreadsheet(
    path: str | Path, mapping: ImportMapping | str | Path | None = None
) -> SpreadsheetImport:
    """Read a network from a workbook or a CSV sheet, and say how it was read.

    Parameters
    ----------
    path
        An ``.xlsx``/``.xlsm`` workbook (one sheet per table, or one flat sheet) or a
        ``.csv`` flat sheet.
    mapping
        An :class:`ImportMapping`, or the path of a mapping file (:func:`~chipstress.model.io.spreadsheet_headers.read_mapping`);
        ``None``: tables and columns are recognised from the sheet names and headers.

    Returns
    -------
    SpreadsheetImport
        The network, each sheet's role, each header's column, and notes on what was
        left unused.

    Raises
    ------
    InvalidNetwork
        Listing every problem, each with file, sheet, row and column.
    InvalidInput
        A bad mapping file.
    """
    path = Path(path)
    if mapping is not None and not isinstance(mapping, ImportMapping):
        mapping = read_mapping(mapping)
    context = _Context(path.name, mapping or ImportMapping())
    sheets = read_sheets(path, context.problems)
    if context.problems:
        raise InvalidNetwork(context.problems, str(path))
    named = {s.name for s in sheets}
    for sheet in context.mapping.sheets:
        if sheet not in named:
            context.problems.append(
                Problem(
                    context.mapping.file or "mapping",
                    f"sheets.{sheet}",
                    "",
                    f"{path.name} has no sheet {excerpt(sheet)} (its sheets: {', '.join(sorted(named))})",
                )
            )
    tables, meta_data = _assemble(sheets, context)
    if "nodes" not in tables and not context.problems:
        context.problems.append(_no_sites(path.name, sheets, context))
    if "nodes" not in tables:
        raise InvalidNetwork(context.problems, str(path))
    for table in ("bom", "sources"):
        tables.setdefault(table, _empty(table, path.name))
    meta_data = {**meta_data, **context.mapping.meta}
    meta_data.setdefault("name", path.stem)
    meta = meta_from_mapping(meta_data, f"{path.name}, sheet 'network'", context.problems)
    network = build_network(tables, meta, context.problems, source=str(path))
    return SpreadsheetImport(
        network, dict(context.roles), dict(context.columns), list(context.notes)
    )


def read_spreadsheet(path: str | Path) -> Network:
    """The network of a workbook or CSV sheet, tables and columns recognised by name.

    Parameters
    ----------
    path
        An ``.xlsx``/``.xlsm`` workbook or a ``.csv`` flat sheet.

    Returns
    -------
    Network
        The validated network.

    Raises
    ------
    InvalidNetwork
        Listing every problem, each with file, sheet, row and column.
    """
    return import_spreadsheet(path).network

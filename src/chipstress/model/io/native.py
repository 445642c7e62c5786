"""The native formats: a network folder, and the single-file YAML form.

A folder holds ``network.yaml`` (name, description, period, currency, materials) and
the tables ``nodes``, ``bom`` and ``sources``, each as ``.csv`` or ``.parquet``. The
single-file YAML form has the same metadata keys plus ``nodes``, ``bom`` and
``sources`` as lists of mappings, for small hand-written networks.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, cast

import pandas as pd

from chipstress.errors import InvalidNetwork, Problem
from chipstress.model.coerce import nan_as_text
from chipstress.model.io.files import (
    atomic_directory,
    atomic_file,
    dump_yaml,
    read_csv_table,
    read_parquet_table,
    read_yaml_document,
)
from chipstress.model.network import Network, NetworkMeta, build_network
from chipstress.model.schema import TABLES, table_schema
from chipstress.model.validation import RawTable, meta_from_mapping

__all__ = ["read_folder", "read_yaml_file", "write_folder", "write_yaml_file"]

TABLE_FORMATS = ("csv", "parquet")


def read_folder(path: Path) -> Network:
    """Read a network folder; raises :class:`InvalidNetwork` listing every problem."""
    path = Path(path)
    problems: list[Problem] = []
    meta_file = path / "network.yaml"
    if meta_file.exists():
        data = read_yaml_document(meta_file, "network.yaml", problems)
        if data is not None and not isinstance(data, dict):
            problems.append(
                Problem("network.yaml", "", "", "must be a mapping of name, period, ...")
            )
            data = None
        meta = meta_from_mapping(data or {}, "network.yaml", problems)
        if data is not None and "name" not in data:
            meta = NetworkMeta(**{**meta.__dict__, "name": path.name})
    else:
        meta = NetworkMeta(name=path.resolve().name)
    tables = {}
    for table in TABLES:
        candidates = [
            path / f"{table}.{ext}" for ext in TABLE_FORMATS if (path / f"{table}.{ext}").exists()
        ]
        if len(candidates) > 1:
            problems.append(
                Problem(
                    f"{table}.*", "", "", f"both {table}.csv and {table}.parquet exist: keep one"
                )
            )
            frame = None
        elif not candidates:
            problems.append(
                Problem(
                    f"{table}.csv",
                    "",
                    "",
                    f"not found in {path}: a network folder needs {table}.csv or {table}.parquet",
                )
            )
            frame = None
        else:
            file = candidates[0]
            reader = read_csv_table if file.suffix == ".csv" else read_parquet_table
            frame = reader(file, file.name, problems)
        label = candidates[0].name if len(candidates) == 1 else f"{table}.csv"
        tables[table] = RawTable.rows(table, frame, label)
    return build_network(tables, meta, problems, source=str(path))


def read_yaml_file(path: Path) -> Network:
    """Read the single-file YAML form; raises :class:`InvalidNetwork` listing every problem."""
    path = Path(path)
    label = path.name
    problems: list[Problem] = []
    data = read_yaml_document(path, label, problems)
    if data is None:
        raise InvalidNetwork(problems, str(path))
    if not isinstance(data, dict) or "nodes" not in data:
        raise InvalidNetwork(
            [Problem(label, "", "nodes", "a single-file network needs a top-level 'nodes' list")],
            str(path),
        )
    meta = meta_from_mapping(data, label, problems)
    if "name" not in data:
        meta = NetworkMeta(**{**meta.__dict__, "name": path.stem})
    tables = {}
    for table in TABLES:
        items = data.get(table)
        frame: pd.DataFrame | None
        if items is None:
            items = []
        if not isinstance(items, list):
            problems.append(Problem(label, "", table, f"'{table}' must be a list of mappings"))
            frame = None
        else:
            bad = [i for i, item in enumerate(items) if not isinstance(item, dict)]
            for i in bad:
                problems.append(
                    Problem(label, f"{table}[{i}]", "", "must be a mapping of column: value")
                )
            frame = None if bad else _records_frame(items, list(table_schema(table)))
        tables[table] = RawTable.items(table, frame, label, table)
    return build_network(tables, meta, problems, source=str(path))


def _records_frame(records: list[dict[str, Any]], schema_columns: list[str]) -> pd.DataFrame:
    """A table of Python objects from mappings; a key a mapping leaves out is ``None``."""
    columns = list(dict.fromkeys(str(key) for record in records for key in record))
    if not records:
        columns = schema_columns
    data = {
        c: pd.Series([nan_as_text(record.get(c)) for record in records], dtype=object)
        for c in columns
    }
    return pd.DataFrame(data, index=pd.RangeIndex(len(records)))


def _is_network_folder(path: Path) -> bool:
    return (
        (path / "network.yaml").exists()
        or (path / "nodes.csv").exists()
        or (path / "nodes.parquet").exists()
    )


def write_folder(network: Network, path: Path, table_format: str = "csv") -> None:
    """Write ``network`` as a folder with CSV or Parquet tables, atomically.

    An existing network folder at ``path`` is replaced; any other non-empty folder
    is left alone and an :class:`InvalidInput` raised.

    Parameters
    ----------
    network
        The network to write.
    path
        The folder to write (created or replaced).
    table_format
        ``csv`` or ``parquet``.

    Raises
    ------
    ValueError
        An unknown ``table_format``.
    InvalidInput
        ``path`` is a file or a non-empty folder that is not a network folder.
    """
    if table_format not in TABLE_FORMATS:
        raise ValueError(f"table_format must be one of {TABLE_FORMATS}")

    def write(tmp: Path) -> None:
        (tmp / "network.yaml").write_text(dump_yaml(network.meta.to_dict()), encoding="utf-8")
        for table in TABLES:
            frame: pd.DataFrame = getattr(network, table)
            if table_format == "csv":
                frame.to_csv(tmp / f"{table}.csv", index=False)
            else:
                frame.to_parquet(tmp / f"{table}.parquet", index=False)

    atomic_directory(Path(path), write, _is_network_folder)


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def write_yaml_file(network: Network, path: Path) -> None:
    """Write ``network`` in the single-file YAML form, atomically.

    Cells equal to their default (empty text, missing numbers, zero inventory or
    premium, a name equal to the id) are left out to keep the file short; reading restores them.
    """
    data = network.meta.to_dict()
    for table in TABLES:
        frame: pd.DataFrame = getattr(network, table)
        defaults = {
            name: float(a.default) if a.dtype == "float" else a.default
            for name, a in table_schema(table).items()
            if a.default
        }
        records = []
        for record in cast(list[dict[str, Any]], frame.to_dict(orient="records")):
            clean = {}
            for key, value in record.items():
                value = _plain(value)
                if value is None or value == "" or defaults.get(key) == value:
                    continue
                if key == "name" and value == record.get("id"):
                    continue
                clean[key] = value
            records.append(clean)
        data[table] = records
    with atomic_file(Path(path)) as handle:
        handle.write(dump_yaml(data))

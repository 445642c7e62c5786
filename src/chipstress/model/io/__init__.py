"""Readers and writers for every network format, chosen by path.

=====================  ==========================================  ==========
format                 path                                        read/write
=====================  ==========================================  ==========
native folder (CSV)    a folder with ``network.yaml``, ``*.csv``    both
native folder (Parquet) a folder with ``*.parquet`` tables          both
single-file YAML       ``*.yaml`` / ``*.yml`` with a ``nodes`` list both
reference JSON         ``*.json``                                  both
workbook               ``*.xlsx`` (sheets per table, or one flat)  both
GraphML                ``*.graphml``                               write
built-in               ``tri-cluster``                             read
=====================  ==========================================  ==========
"""

from __future__ import annotations

from pathlib import Path

from chipstress.errors import InvalidInput
from chipstress.model.builtin import BUILTIN_NETWORKS, load_builtin
from chipstress.model.io.graph import to_networkx, write_graphml
from chipstress.model.io.native import read_folder, read_yaml_file, write_folder, write_yaml_file
from chipstress.model.io.reference_json import read_reference_json, write_reference_json
from chipstress.model.network import Network

__all__ = [
    "WRITE_FORMATS",
    "detect_write_format",
    "read_network",
    "to_networkx",
    "write_network",
]

WRITE_FORMATS = ("csv", "parquet", "yaml", "json", "graphml", "xlsx")


def read_network(source: str | Path) -> Network:
    """Load a network from a folder, a YAML, reference JSON or ``.xlsx`` file, or a built-in name.

    A workbook's sheets and headers are recognised by name
    (:func:`chipstress.model.io.spreadsheet.import_spreadsheet` takes a mapping file).

    Raises
    ------
    InvalidNetwork
        The file was found but is not a valid network; lists every problem.
    InvalidInput
        Nothing to read at ``source``.
    """
    path = Path(source)
    if not path.exists():
        if str(source) in BUILTIN_NETWORKS:
            return load_builtin(str(source))
        known = ", ".join(sorted(BUILTIN_NETWORKS))
        raise InvalidInput(
            f"{source}: no such file or folder, and not a built-in network ({known})"
        )
    if path.is_dir():
        return read_folder(path)
    suffix = path.suffix.lower()
    if path.name == "network.yaml":
        return read_folder(path.parent)
    if suffix in (".yaml", ".yml"):
        return read_yaml_file(path)
    if suffix == ".json":
        return read_reference_json(path)
    if suffix in (".xlsx", ".xlsm"):
        from chipstress.model.io.spreadsheet import read_spreadsheet

        return read_spreadsheet(path)
    raise InvalidInput(
        f"{source}: cannot tell the format from the extension '{suffix}'; give a network folder, "
        "a .yaml/.yml file, a reference .json file, an .xlsx workbook or a built-in name"
    )


def detect_write_format(path: str | Path, table_format: str | None = None) -> str:
    """The format a path will be written in: by extension, else a folder of ``table_format``."""
    suffix = Path(path).suffix.lower()
    by_suffix = {
        ".json": "json",
        ".yaml": "yaml",
        ".yml": "yaml",
        ".graphml": "graphml",
        ".xlsx": "xlsx",
    }
    if suffix in by_suffix:
        if table_format is not None:
            raise InvalidInput(
                f"{path}: a table format applies to folders only, not '{suffix}' files"
            )
        return by_suffix[suffix]
    if suffix in (".csv", ".parquet"):
        raise InvalidInput(
            f"{path}: a network is a folder of tables; give a folder name (and --table-format {suffix[1:]})"
        )
    fmt = table_format or "csv"
    if fmt not in ("csv", "parquet"):
        raise InvalidInput(f"unknown table format {fmt!r}; use csv or parquet")
    return fmt


def write_network(network: Network, path: str | Path, table_format: str | None = None) -> list[str]:
    """Write ``network`` to ``path`` in the format its extension names, atomically.

    Folders get CSV tables unless ``table_format="parquet"``. Returns the node
    columns the chosen format could not carry (reference JSON drops names,
    coordinates, ...), empty for lossless formats.

    Parameters
    ----------
    network
        The network to write.
    path
        Target: a folder, ``.yaml``/``.yml``, reference ``.json``, ``.graphml`` or ``.xlsx``
        (an annotated workbook, :func:`~chipstress.model.io.spreadsheet_write.write_workbook`)
        file.
    table_format
        ``csv`` or ``parquet`` for folders (``None``: from the path, CSV by default).

    Returns
    -------
    list of str
        The node columns the format dropped; empty when lossless.

    Raises
    ------
    InvalidInput
        A table format for a single-file target, a ``.csv``/``.parquet`` path, an unknown
        ``table_format``, or a target :func:`write_folder` refuses to replace.
    """
    fmt = detect_write_format(path, table_format)
    path = Path(path)
    if fmt == "json":
        return write_reference_json(network, path)
    if fmt == "yaml":
        write_yaml_file(network, path)
    elif fmt == "graphml":
        write_graphml(network, path)
    elif fmt == "xlsx":
        from chipstress.model.io.spreadsheet_write import write_workbook

        write_workbook(network, path)
    else:
        write_folder(network, path, fmt)
    return []

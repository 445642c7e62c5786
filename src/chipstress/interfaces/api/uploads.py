"""Reading an uploaded network: a reference ``.json``, a single-file ``.yaml``, an ``.xlsx`` workbook or a ``.zip``.

A zip holds a native network folder (``network.yaml`` with ``nodes``, ``bom`` and
``sources`` as CSV or Parquet), at its root or in one sub-folder. Archives are checked
before anything is extracted: no absolute paths, no ``..``, no links, at most
:data:`MAX_MEMBERS` files and a bounded uncompressed size, both as declared and as
actually decompressed (extraction streams each member to disk and stops at the limit).

The upload is streamed to a file, never held in memory, and the network is read in a
child process (:mod:`chipstress.interfaces.api.isolation`) with a time and a memory
budget, so a slow or hostile file cannot stall the server or keep its memory. See
``docs/security.md``.
"""

from __future__ import annotations

import logging
import re
import shutil
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from chipstress.errors import ChipstressError, InvalidNetwork, Problem
from chipstress.interfaces.api.errors import ApiError
from chipstress.interfaces.api.isolation import (
    IsolationError,
    NoWorkerProcess,
    OutOfMemory,
    OutOfTime,
    run_isolated,
)
from chipstress.interfaces.api.registry import Entry, NetworkRegistry
from chipstress.model import Network, read_network

__all__ = ["ACCEPTED", "MAX_MEMBERS", "PARSE_SECONDS", "parse_memory_budget", "read_upload"]

# Seconds the reading of one upload may take.
PARSE_SECONDS = 60.0

ACCEPTED = {
    ".json": "reference-json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".zip": "folder",
    ".xlsx": "spreadsheet",
}
MAX_MEMBERS = 200
_CHUNK = 1 << 20
log = logging.getLogger("chipstress.api")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe_name(filename: str) -> str:
    name = PurePosixPath(filename.replace("\\", "/")).name
    name = _UNSAFE.sub("_", name).strip("._") or "upload"
    return name[-100:]


def _copy_limited(source: BinaryIO, target: Path, limit: int) -> int:
    """Copy at most ``limit`` bytes; 413 when the upload is larger."""
    size = 0
    with target.open("wb") as out:
        while chunk := source.read(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise ApiError(
                    413, f"upload too large: more than {limit:,} bytes (the limit)", field="file"
                )
            out.write(chunk)
    if size == 0:
        raise ApiError(422, "the uploaded file is empty", field="file")
    return size


def _extract(archive: Path, folder: Path, limit: int) -> Path:
    """Extract a zip safely into ``folder``; returns the network folder inside it."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = [m for m in zipped.infolist() if not m.is_dir()]
            _check_members(members, limit)
            _extract_members(zipped, members, folder, limit)
    except zipfile.BadZipFile as error:
        raise ApiError(422, f"not a readable zip file ({error})", field="file") from None
    except (OSError, RuntimeError, NotImplementedError, ValueError, zlib.error) as error:
        raise ApiError(422, f"cannot extract the zip file ({error})", field="file") from None
    return _network_folder(folder)


def _check_members(members: list[zipfile.ZipInfo], limit: int) -> None:
    """Refuse too many files, too many bytes, unsafe paths and links."""
    if len(members) > MAX_MEMBERS:
        raise ApiError(
            422, f"the zip holds {len(members)} files; at most {MAX_MEMBERS}", field="file"
        )
    total = sum(m.file_size for m in members)
    if total > limit:
        raise ApiError(
            413,
            f"the zip expands to {total:,} bytes; at most {limit:,}",
            field="file",
        )
    for member in members:
        parts = PurePosixPath(member.filename.replace("\\", "/")).parts
        if member.filename.startswith(("/", "\\")) or ".." in parts or not parts:
            raise ApiError(422, f"unsafe path in the zip: {member.filename!r}", field="file")
        if stat.S_ISLNK(member.external_attr >> 16):
            raise ApiError(422, f"link in the zip: {member.filename!r}", field="file")


def _extract_members(
    zipped: zipfile.ZipFile, members: list[zipfile.ZipInfo], folder: Path, limit: int
) -> None:
    """Stream each member to disk, counting the bytes really decompressed (413 past ``limit``).

    A member's declared size may lie; its data is read in chunks and extraction stops
    as soon as the total passes ``limit`` (or a member outgrows its declared size).
    """
    total = 0
    root = folder.resolve()
    for member in members:
        target = (folder / member.filename.replace("\\", "/")).resolve()
        if root not in target.parents:
            raise ApiError(422, f"unsafe path in the zip: {member.filename!r}", field="file")
        target.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with zipped.open(member) as source, target.open("wb") as out:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                total += len(chunk)
                if total > limit or written > member.file_size:
                    raise ApiError(
                        413,
                        f"the zip expands to more than {limit:,} bytes (its declared sizes "
                        "are wrong or too large)",
                        field="file",
                    )
                out.write(chunk)


def parse_memory_budget(max_bytes: int) -> int:
    """Memory (bytes) reading one upload may take: 16 × the upload limit, at least 1 GiB.

    Parameters
    ----------
    max_bytes
        The largest upload accepted, in bytes.

    Returns
    -------
    int
        Bytes of data (heap) the reading process may add to what it starts with.
    """
    return max(1 << 30, 16 * int(max_bytes))


MAX_MAPPING_BYTES = 256 * 1024  # the mapping field of an upload (bytes of JSON)


def _mapping_file(mapping: str | None, suffix: str, folder: Path) -> Path | None:
    """The upload's ``mapping`` field written as a mapping file (JSON is YAML), checked."""
    if mapping is None or not mapping.strip():
        return None
    if suffix != ".xlsx":
        raise ApiError(422, "a mapping is only for .xlsx workbooks", field="mapping")
    if len(mapping.encode("utf-8")) > MAX_MAPPING_BYTES:
        raise ApiError(
            413, f"the mapping is larger than {MAX_MAPPING_BYTES // 1024} KiB", field="mapping"
        )
    from chipstress.model.io.spreadsheet_headers import read_mapping

    path = folder / "mapping.yaml"
    path.write_text(mapping, encoding="utf-8")
    try:
        read_mapping(path)
    except ChipstressError as error:
        message = str(error).replace(str(path), "mapping")
        raise ApiError(422, f"the mapping: {message}", field="mapping") from None
    return path


def _read_with_mapping(path: Path, mapping: Path | None) -> Network:
    """:func:`read_network`, or a workbook read with a mapping file (sheets and columns)."""
    if mapping is None:
        return read_network(path)
    from chipstress.model.io.spreadsheet import import_spreadsheet

    return import_spreadsheet(path, mapping).network


def _read_isolated(
    path: Path, max_bytes: int, isolate: bool, mapping: Path | None = None
) -> Network:
    """:func:`read_network` in a child process with a time and memory budget."""
    if not isolate:
        return _read_with_mapping(path, mapping)
    budget = parse_memory_budget(max_bytes)
    try:
        network: Network = run_isolated(
            _read_with_mapping, (path, mapping), timeout=PARSE_SECONDS, memory_bytes=budget
        )
    except NoWorkerProcess as error:
        log.warning("upload read on the server's thread: %s", error)
        return _read_with_mapping(path, mapping)
    except OutOfTime:
        raise ApiError(
            422, f"reading the network took longer than {PARSE_SECONDS:g} s", field="file"
        ) from None
    except OutOfMemory:
        raise ApiError(
            413,
            f"reading the network needs more than {budget / 2**20:,.0f} MB of memory",
            field="file",
        ) from None
    except IsolationError as error:
        raise ApiError(422, f"cannot read the network ({error})", field="file") from None
    return network


def _network_folder(folder: Path) -> Path:
    """The one network folder among the extracted files."""
    candidates = sorted({p.parent for p in folder.rglob("network.yaml")})
    if not candidates:
        candidates = sorted(
            {p.parent for pattern in ("nodes.csv", "nodes.parquet") for p in folder.rglob(pattern)}
        )
    candidates = [c for c in candidates if "__MACOSX" not in c.parts]
    if not candidates:
        raise ApiError(
            422,
            "the zip holds no network folder (network.yaml with nodes, bom and sources tables)",
            field="file",
        )
    if len(candidates) > 1:
        shown = ", ".join(str(c.relative_to(folder)) or "." for c in candidates[:5])
        raise ApiError(
            422,
            f"the zip holds {len(candidates)} network folders ({shown}); upload one",
            field="file",
        )
    return candidates[0]


def _clean(problem: Problem, folder: Path, label: str) -> Problem:
    def strip(text: str) -> str:
        return text.replace(str(folder) + "/", "").replace(str(folder), label)

    return Problem(strip(problem.file), problem.location, problem.field, strip(problem.message))


def read_upload(
    registry: NetworkRegistry,
    filename: str,
    stream: BinaryIO,
    max_bytes: int,
    *,
    isolate: bool = True,
    mapping: str | None = None,
) -> Entry:
    """Read, validate and keep an uploaded network.

    Parameters
    ----------
    registry
        The registry that keeps uploaded networks.
    filename
        The uploaded file's name (its extension chooses the reader).
    stream
        The file's bytes.
    max_bytes
        The largest upload accepted (bytes); a zip may expand to 4 times as much.
    isolate
        Read the network in a child process with a time budget
        (:data:`PARSE_SECONDS`) and a memory budget (:func:`parse_memory_budget`).
    mapping
        For a workbook: the mapping the user chose, as the JSON text of a
        mapping file (``{"sheets": {...}, "columns": {...}}``,
        :func:`~chipstress.model.io.spreadsheet_headers.read_mapping`); ``None``: tables
        and columns are recognised from the names.

    Returns
    -------
    Entry
        The registered network.

    Raises
    ------
    ApiError
        413 too large (the file, its expansion, or the memory to read it), 415 not a
        .json/.yaml/.yml/.xlsx/.zip file, 422 unreadable, too slow to read or invalid (with
        every problem: file, location, field, message).
    """
    name = _safe_name(filename or "")
    suffix = Path(name).suffix.lower()
    if suffix not in ACCEPTED:
        raise ApiError(
            415,
            f"cannot read {filename!r}: upload a reference .json file, a single-file .yaml/.yml "
            "network, an .xlsx workbook, or a .zip of a network folder",
            field="file",
        )
    if name == "network.yaml":
        name = "network-upload.yaml"
    upload_id, folder = registry.new_upload_folder()
    try:
        target = folder / name
        _copy_limited(stream, target, max_bytes)
        path = _extract(target, folder / "network", 4 * max_bytes) if suffix == ".zip" else target
        mapping_file = _mapping_file(mapping, suffix, folder)
        try:
            network = _read_isolated(path, max_bytes, isolate, mapping_file)
        except InvalidNetwork as error:
            problems = [_clean(p, folder, name) for p in error.problems]
            count = len(problems)
            raise ApiError(
                422,
                f"{filename}: not a valid network: {count} problem{'s' if count != 1 else ''}",
                field="file",
                problems=problems,
            ) from None
        except ChipstressError as error:
            message = str(error).replace(str(folder) + "/", "").replace(str(folder), name)
            raise ApiError(422, f"{filename}: {message}", field="file") from None
        except (ValueError, TypeError, KeyError, OSError, ArithmeticError, RecursionError) as error:
            # A reader tripping on garbage is still bad input, not a server error.
            log.warning("upload %s: reader failed: %r", filename, error)
            raise ApiError(
                422, f"{filename}: cannot read this file as a network ({error})", field="file"
            ) from None
        entry = Entry(upload_id, network, "upload", filename=filename, format=ACCEPTED[suffix])
        return registry.add_upload(entry)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise

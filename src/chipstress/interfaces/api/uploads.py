"""Reading an uploaded network: a reference ``.json``, a single-file ``.yaml`` or a ``.zip``.

A zip holds a native network folder (``network.yaml`` with ``nodes``, ``bom`` and
``sources`` as CSV or Parquet), at its root or in one sub-folder. Archives are checked
before anything is extracted: no absolute paths, no ``..``, no links, at most
:data:`MAX_MEMBERS` files and a bounded uncompressed size.
"""

from __future__ import annotations

import logging
import re
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from chipstress.errors import ChipstressError, InvalidNetwork, Problem
from chipstress.interfaces.api.errors import ApiError
from chipstress.interfaces.api.registry import Entry, NetworkRegistry
from chipstress.model import read_network

__all__ = ["ACCEPTED", "MAX_MEMBERS", "read_upload"]

ACCEPTED = {".json": "reference-json", ".yaml": "yaml", ".yml": "yaml", ".zip": "folder"}
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
            zipped.extractall(folder, members)
    except zipfile.BadZipFile as error:
        raise ApiError(422, f"not a readable zip file ({error})", field="file") from None
    except (OSError, RuntimeError, NotImplementedError, ValueError) as error:
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
    registry: NetworkRegistry, filename: str, stream: BinaryIO, max_bytes: int
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
        The largest upload accepted (bytes).

    Returns
    -------
    Entry
        The registered network.

    Raises
    ------
    ApiError
        413 too large, 415 not a .json/.yaml/.yml/.zip file, 422 unreadable or invalid
        (with every problem: file, location, field, message).
    """
    name = _safe_name(filename or "")
    suffix = Path(name).suffix.lower()
    if suffix not in ACCEPTED:
        raise ApiError(
            415,
            f"cannot read {filename!r}: upload a reference .json file, a single-file .yaml/.yml "
            "network, or a .zip of a network folder",
            field="file",
        )
    if name == "network.yaml":
        name = "network-upload.yaml"
    upload_id, folder = registry.new_upload_folder()
    try:
        target = folder / name
        _copy_limited(stream, target, max_bytes)
        path = _extract(target, folder / "network", 4 * max_bytes) if suffix == ".zip" else target
        try:
            network = read_network(path)
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
        except (ValueError, TypeError, KeyError, OSError, UnicodeError) as error:
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

"""Reading table and document files safely, and writing them atomically.

Each reader returns what it read, or records a :class:`Problem` (empty file, not the
format its extension says, unparsable content) and returns ``None``, so that a loader
can report every problem in every file at once.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import yaml

from chipstress.errors import InvalidDocument, InvalidInput, Problem
from chipstress.model.io.safe import MAX_TEXT_BYTES, load_json, load_yaml

__all__ = [
    "atomic_directory",
    "atomic_file",
    "process_umask",
    "read_csv_table",
    "read_json_document",
    "read_parquet_table",
    "read_yaml_document",
]

try:  # the C dumper is much faster on large files where libyaml is available
    _YamlDumper: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _YamlDumper = yaml.SafeDumper


def _read_bytes(path: Path, label: str, problems: list[Problem]) -> bytes | None:
    try:
        if path.is_dir():
            problems.append(Problem(label, "", "", "is a folder, not a file"))
            return None
        if path.stat().st_size > MAX_TEXT_BYTES:
            problems.append(
                Problem(label, "", "", f"is larger than {MAX_TEXT_BYTES // 2**20} MiB: too large")
            )
            return None
        data = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(label, "", "", f"cannot be read: {exc.strerror or exc}"))
        return None
    if not data.strip():
        problems.append(Problem(label, "", "", "file is empty"))
        return None
    return data


def _read_text(path: Path, label: str, kind: str, problems: list[Problem]) -> str | None:
    data = _read_bytes(path, label, problems)
    if data is None:
        return None
    if data.startswith(b"PAR1"):
        problems.append(
            Problem(label, "", "", f"is a Parquet file, not {kind} as its extension says")
        )
        return None
    if b"\x00" in data[:8192]:
        problems.append(
            Problem(label, "", "", f"is a binary file, not {kind} as its extension says")
        )
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(
            Problem(
                label, "", "", f"is not UTF-8 text ({kind} expected): byte {exc.start} is invalid"
            )
        )
        return None


def read_csv_table(path: Path, label: str, problems: list[Problem]) -> pd.DataFrame | None:
    """A CSV file as a table of text cells (types are checked later).

    Parameters
    ----------
    path
        The CSV file.
    label
        The file's name in problems.
    problems
        Problems found are added here.

    Returns
    -------
    pandas.DataFrame or None
        The table, or ``None`` if it cannot be read (a problem recorded).
    """
    text = _read_text(path, label, "CSV", problems)
    if text is None:
        return None
    header = next(csv.reader(io.StringIO(text)), [])
    seen: set[str] = set()
    for name in header:
        if name.strip() in seen:
            problems.append(Problem(label, "row 0 (header)", name.strip(), "column appears twice"))
            return None
        seen.add(name.strip())
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        message = str(exc).strip().replace("\n", " ")
        problems.append(Problem(label, "", "", f"is not a valid CSV table: {message}"))
        return None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def read_parquet_table(path: Path, label: str, problems: list[Problem]) -> pd.DataFrame | None:
    """A Parquet file as a table (column types are checked later).

    Parameters
    ----------
    path
        The Parquet file.
    label
        The file's name in problems.
    problems
        Problems found are added here.

    Returns
    -------
    pandas.DataFrame or None
        The table, or ``None`` if it cannot be read (a problem recorded).
    """
    data = _read_bytes(path, label, problems)
    if data is None:
        return None
    if not data.startswith(b"PAR1"):
        looks = "text (CSV?)" if b"\x00" not in data[:4096] else "something else"
        problems.append(
            Problem(
                label, "", "", f"is not a Parquet file as its extension says: it looks like {looks}"
            )
        )
        return None
    import pyarrow.parquet as pq  # only here: 8 ms of every command's start-up

    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as exc:
        problems.append(Problem(label, "", "", f"is not a readable Parquet file: {exc}"))
        return None
    bad_text = False
    for position, field in enumerate(table.schema):
        kind = field.type
        if not any(
            test(kind)
            for test in (
                pa.types.is_string,
                pa.types.is_large_string,
                pa.types.is_binary,
                pa.types.is_large_binary,
            )
        ):
            continue
        row = _first_invalid_utf8(table.column(position))
        if row is not None:
            problems.append(Problem(label, f"row {row + 1}", field.name, "text is not valid UTF-8"))
            bad_text = True
        elif pa.types.is_binary(kind) or pa.types.is_large_binary(kind):  # bytes -> text
            table = table.set_column(
                position, field.name, table.column(position).cast(pa.large_string())
            )
    if bad_text:
        return None
    try:
        return table.to_pandas()
    except (pa.ArrowException, ValueError, OverflowError) as exc:
        problems.append(Problem(label, "", "", f"cannot be read as a table: {exc}"))
        return None


def _first_invalid_utf8(column: pa.ChunkedArray) -> int | None:
    """The first row of a text or bytes column that is not valid UTF-8, or ``None``."""
    try:
        if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
            column.cast(pa.large_string())  # checks the bytes are UTF-8
        else:
            column.validate(full=True)
        return None
    except pa.ArrowInvalid:
        pass
    raw = column.cast(pa.large_binary())
    for row, value in enumerate(raw.to_pylist()):
        if value is not None:
            try:
                value.decode("utf-8")
            except UnicodeDecodeError:
                return row
    return 0


def read_yaml_document(path: Path, label: str, problems: list[Problem]) -> Any:
    """A YAML file as Python data (budgets: :mod:`chipstress.model.io.safe`), or ``None``.

    Parameters
    ----------
    path
        The YAML file.
    label
        The file's name in problems.
    problems
        Problems found are added here.

    Returns
    -------
    Any
        The parsed document, or ``None``.
    """
    text = _read_text(path, label, "YAML", problems)
    if text is None:
        return None
    try:
        return load_yaml(text, label)
    except InvalidDocument as exc:
        problems.append(_document_problem(exc))
        return None


def _document_problem(error: InvalidDocument) -> Problem:
    return Problem(error.file, error.location, "", error.message)


def read_json_document(path: Path, label: str, problems: list[Problem]) -> Any:
    """A JSON file as Python data (budgets: :mod:`chipstress.model.io.safe`), or ``None``.

    Parameters
    ----------
    path
        The JSON file.
    label
        The file's name in problems.
    problems
        Problems found are added here.

    Returns
    -------
    Any
        The parsed document, or ``None``.
    """
    text = _read_text(path, label, "JSON", problems)
    if text is None:
        return None
    try:
        return load_json(text, label)
    except InvalidDocument as exc:
        problems.append(_document_problem(exc))
        return None


def dump_yaml(data: Any) -> str:
    """YAML text for plain data, keys in insertion order, Unicode kept readable."""
    return yaml.dump(data, Dumper=_YamlDumper, sort_keys=False, allow_unicode=True, width=100)


def _cannot_write(path: Path, error: OSError) -> InvalidInput:
    """The message of a file the operating system refuses to write (no raw temp names)."""
    return InvalidInput(f"{path}: cannot write ({error.strerror or error})")


_UMASK_LOCK = threading.Lock()


def process_umask() -> int:
    """The process's file-mode creation mask (``umask``), read without changing it.

    Linux reports it in ``/proc/self/status``; elsewhere it is read by setting and
    restoring it under a lock.

    Returns
    -------
    int
        The mask, e.g. ``0o022``.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _UMASK_LOCK:  # pragma: no cover - not Linux
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def _creation_mode(path: Path, default: int) -> int:
    """The mode a file or folder written at ``path`` gets: the one it has if it exists
    (a rewrite keeps its permissions), else ``default`` less the umask, as ``open`` and
    ``mkdir`` would give (the temporary files they replace are created owner-only)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return default & ~process_umask()


@contextlib.contextmanager
def atomic_file(path: Path, mode: str = "w") -> Iterator[Any]:
    """Open a temporary file beside ``path``; it replaces ``path`` only if the block succeeds.

    The file gets the permissions a plain ``open(path, "w")`` would give it: an
    existing file's own, a new file's from the process umask (``0o644`` under umask
    ``022``), never the owner-only mode of the temporary file.

    Parameters
    ----------
    path
        The file to write.
    mode
        ``"w"`` (UTF-8 text) or ``"wb"``.

    Yields
    ------
    file
        The temporary file, open for writing.

    Raises
    ------
    InvalidInput
        The folder cannot be created or written, or the write fails (disk full, a
        read-only or special file system such as ``/proc``): naming ``path``.
    """
    path = Path(path)
    if path.is_dir():
        raise InvalidInput(f"{path}: is a folder, not a file to write")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise _cannot_write(path, error) from error
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
        os.chmod(tmp, _creation_mode(path, 0o666))
        os.replace(tmp, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(error, OSError):
            raise _cannot_write(path, error) from error
        raise


def atomic_directory(
    path: Path, write: Callable[[Path], None], is_replaceable: Callable[[Path], bool]
) -> None:
    """Build a directory with ``write(tmpdir)``, then swap it into place at ``path``.

    An existing ``path`` is replaced only if ``is_replaceable(path)`` says so (for
    instance, it is a network folder written before); otherwise nothing is touched.
    The folder keeps an existing folder's permissions, or gets the umask's
    (``0o755`` under umask ``022``), never the temporary folder's owner-only mode.

    Parameters
    ----------
    path
        The folder to create or replace.
    write
        Writes the folder's content into the temporary folder it is given.
    is_replaceable
        Whether an existing non-empty folder at ``path`` may be replaced.

    Raises
    ------
    InvalidInput
        ``path`` is a file, or a non-empty folder ``is_replaceable`` refuses, or the
        operating system refuses the write (naming ``path``).
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InvalidInput(f"{path} exists and is not a folder")
    if path.exists() and any(path.iterdir()) and not is_replaceable(path):
        raise InvalidInput(
            f"{path} exists, is not empty and is not a network folder: refusing to overwrite it"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    except OSError as error:
        raise _cannot_write(path, error) from error
    try:
        write(tmp)
        os.chmod(tmp, _creation_mode(path, 0o777))
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old.", dir=path.parent))
            os.replace(path, old / "previous")
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException as error:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(error, OSError):
            raise _cannot_write(path, error) from error
        raise

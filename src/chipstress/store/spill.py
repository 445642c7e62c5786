"""A finished run is never lost because the results database is busy or failing.

:func:`save_or_keep` stores a run; when the database cannot take it (another process
held a DuckDB file past the deadline, the disk is full, the file is read-only), the run
is written to a folder instead — ``run.json`` (its record) and one Parquet file per
result table — and the one-line message says where it is and how to import it.
:func:`import_kept` stores such a folder later, under the same run id (also
``chipstress runs import FOLDER... [--db DB]``, or ``python -m chipstress.store.spill``); :func:`import_pending`
imports every run kept for a database.

Kept runs go to ``<database file>.pending/<run id>/`` beside a DuckDB file (when that
folder can be written), else to ``pending/`` in the user's chipstress data directory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from chipstress.model.network import Network
from chipstress.results import RunKind, RunResult
from chipstress.store.errors import StoreError, UnknownRun
from chipstress.store.results import ResultsStore, default_location, new_run_id, run_kind
from chipstress.store.rows import to_json, utc_now

__all__ = ["SaveOutcome", "import_kept", "import_pending", "pending_directory", "save_or_keep"]

_RECORD = "run.json"


@dataclass(frozen=True)
class SaveOutcome:
    """What :func:`save_or_keep` did with a run.

    Attributes
    ----------
    run_id
        The run's id (the same once a kept run is imported).
    stored
        True when the run is in the database.
    kept
        The folder holding the run when it could not be stored, else ``None``.
    message
        One line for the local user (names the database or the folder).
    public_message
        The same for API callers, without filesystem paths.
    """

    run_id: str
    stored: bool
    kept: Path | None
    message: str
    public_message: str


def pending_directory(location: str) -> Path:
    """Where runs are kept for the database ``location`` when it cannot take them.

    Parameters
    ----------
    location
        A DuckDB file path or a (redacted) PostgreSQL URL.

    Returns
    -------
    pathlib.Path
        ``<file>.pending`` beside a DuckDB file whose folder is writable, else
        ``pending`` in the user's chipstress data directory.
    """
    if "://" not in location:
        beside = Path(location).with_name(Path(location).name + ".pending")
        if os.access(beside.parent, os.W_OK):
            return beside
    import platformdirs

    return Path(platformdirs.user_data_dir("chipstress")) / "pending"


def save_or_keep(
    store: ResultsStore | str | Path | None,
    result: RunResult,
    network: Network,
    parameters: Mapping[str, Any] | None = None,
    wall_seconds: float | None = None,
) -> SaveOutcome:
    """Store a finished run; if the database cannot take it, keep it in a folder.

    The store already waits for a busy DuckDB file (up to its ``wait_seconds``); this
    adds the last resort, so a computed result is never discarded.

    Parameters
    ----------
    store
        An open store, or the location of one (``None``: the default location).
    result
        The run's result (its kind, tables and summary are stored).
    network
        The network it ran on (name and fingerprint).
    parameters
        Parameters recorded with the run (default ``result.parameters``).
    wall_seconds
        How long the run took (seconds).

    Returns
    -------
    SaveOutcome
        The run id, whether it is stored or kept (and where), and one-line messages.

    Raises
    ------
    OSError
        The run could neither be stored nor written to its folder.
    """
    chosen = dict(result.parameters if parameters is None else parameters)
    opened: ResultsStore | None = None
    location = str(store.location if isinstance(store, ResultsStore) else store or "")
    try:
        if isinstance(store, ResultsStore):
            target = store
        else:
            opened = target = ResultsStore(store)
            location = target.location
        run_id = target.save_result(result, network, chosen, wall_seconds)
        return SaveOutcome(
            run_id,
            True,
            None,
            f"saved run {run_id} to {target.location}",
            f"saved run {run_id}",
        )
    except StoreError as error:
        location = location or default_location()
        kind = RunKind(result.kind).value
        run_id = new_run_id(kind)
        folder = _write_kept(
            pending_directory(location) / run_id,
            {
                "run_id": run_id,
                "kind": kind,
                "network": network.meta.name,
                "fingerprint": network.fingerprint(),
                "parameters": to_json(chosen),
                "summary": to_json(dict(result.summary())),
                "wall_seconds": wall_seconds,
                "created_at": utc_now(),
            },
            result.tables(),
        )
        db = f" --db {location}" if "://" not in location else " --db URL"
        return SaveOutcome(
            run_id,
            False,
            folder,
            f"{error}; run {run_id} is kept in {folder}: import it with "
            f"chipstress runs import {folder}{db}",
            f"{error.public_message}; run {run_id} is kept on the server and can be "
            "imported when the database is available",
        )
    finally:
        if opened is not None:
            opened.close()


def _write_kept(folder: Path, record: Mapping[str, Any], tables: Mapping[str, Any]) -> Path:
    """Write a run's record and tables to ``folder`` (complete or not at all)."""
    partial = folder.with_name(folder.name + ".partial")
    partial.mkdir(parents=True, exist_ok=True)
    names = []
    for name, frame in tables.items():
        table = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame)
        table = table.reset_index(drop=True)
        table.columns = [str(c) for c in table.columns]
        table.to_parquet(partial / f"{name}.parquet", index=False)
        names.append(name)
    (partial / _RECORD).write_text(json.dumps({**record, "tables": names}), encoding="utf-8")
    partial.rename(folder)
    return folder


def import_kept(store: ResultsStore, folder: str | Path) -> str:
    """Store a run kept by :func:`save_or_keep`, under its own id, then remove the folder.

    Parameters
    ----------
    store
        The store to import into.
    folder
        The run's folder (holding ``run.json``).

    Returns
    -------
    str
        The run's id.

    Raises
    ------
    InvalidInput
        ``folder`` holds no kept run, or the store holds a run of this id already
        (then the folder is left as it is).
    StoreError
        The database cannot take the run now (the folder stays).
    """
    from chipstress import __version__
    from chipstress.errors import InvalidInput

    folder = Path(folder)
    try:
        record = json.loads((folder / _RECORD).read_text(encoding="utf-8"))
        tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in record["tables"]}
    except (OSError, ValueError, KeyError) as error:
        raise InvalidInput(f"{folder}: not a kept run ({error})") from None
    run_id = str(record["run_id"])
    with store.session():
        try:
            store.resolve(run_id, exact=True)
        except UnknownRun:
            pass
        else:
            raise InvalidInput(f"run {run_id} is already in {store.location}; {folder} was kept")
        with store._transaction():
            store._record_run(
                {
                    "run_id": run_id,
                    "kind": run_kind(record["kind"]),
                    "network": record["network"],
                    "fingerprint": record["fingerprint"],
                    "parameters": record["parameters"],
                    "summary": record["summary"],
                    "status": "complete",
                    "created_at": record["created_at"],
                    "finished_at": utc_now(),
                    "wall_seconds": record.get("wall_seconds"),
                    "version": __version__,
                    "chunks_total": None,
                }
            )
            store._insert_tables(run_id, 0, tables)
    shutil.rmtree(folder, ignore_errors=True)
    return run_id


def import_pending(store: ResultsStore) -> list[str]:
    """Import every run kept for this store's database (see :func:`pending_directory`).

    A folder is claimed by renaming it first, so two processes never import the same
    run twice; a run that fails to import stays kept.

    Parameters
    ----------
    store
        The store.

    Returns
    -------
    list of str
        The ids imported.
    """
    pending = pending_directory(store.location)
    imported: list[str] = []
    if not pending.is_dir():
        return imported
    for folder in sorted(pending.iterdir()):
        if not (folder / _RECORD).is_file() or folder.name.endswith((".partial", ".claimed")):
            continue
        claimed = folder.with_name(f"{folder.name}.claimed")
        try:
            folder.rename(claimed)
        except OSError:
            continue  # another process took it
        try:
            imported.append(import_kept(store, claimed))
        except Exception:
            claimed.rename(folder)
            raise
    return imported


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m chipstress.store.spill FOLDER... [--db DB]``: import kept runs.

    Parameters
    ----------
    argv
        The arguments (default: the command line's).

    Returns
    -------
    int
        The exit status (0 when every folder was imported).
    """
    parser = argparse.ArgumentParser(
        prog="python -m chipstress.store.spill",
        description="Store runs that were kept in a folder because the database was busy.",
    )
    parser.add_argument("folders", nargs="+", type=Path, help="kept run folders")
    parser.add_argument("--db", default=None, help="the results database (default: $CHIPSTRESS_DB)")
    args = parser.parse_args(argv)
    status = 0
    with ResultsStore(args.db) as store:
        for folder in args.folders:
            try:
                print(f"imported run {import_kept(store, folder)} into {store.location}")
            except Exception as error:  # one bad folder must not stop the others
                print(f"error: {error}")
                status = 1
    return status


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

"""The results store shared, full, read-only and asked for odd run ids (issue 14).

Real processes compete for one DuckDB file and one brand-new PostgreSQL database; a
full disk is simulated (``OSError(ENOSPC)`` from a write); a read-only file is a real
one when the tests can drop root, else a simulated ``Permission denied``.
"""

from __future__ import annotations

import errno
import gc
import os
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import pytest
from typer.testing import CliRunner

from chipstress.errors import InvalidInput
from chipstress.model import Network
from chipstress.store import ResultsStore
from chipstress.store.errors import StoreBusy, StoreWriteFailed, UnknownRun, public_message
from chipstress.store.spill import import_kept, import_pending, save_or_keep

TIMEOUT = 120  # seconds any helper process may take


def sweep_tables(tag: str = "a") -> dict[str, pd.DataFrame]:
    return {"sweep": pd.DataFrame({"node": [f"{tag}1", f"{tag}2"], "lost_profit": [1.0, 2.5]})}


class _Result:
    """A tiny RunResult (kind, parameters, tables(), summary())."""

    kind = "sweep"
    parameters: ClassVar[dict[str, Any]] = {"duration": 4}

    def tables(self) -> dict[str, pd.DataFrame]:
        return sweep_tables("k")

    def summary(self) -> dict[str, Any]:
        return {"exposed": 2}


def python(script: str, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


# ---------------------------------------------------------------- PostgreSQL race
@pytest.fixture
def fresh_postgres(postgres_url: str) -> Iterator[str]:
    """A brand-new, empty database on the test server, dropped afterwards."""
    import psycopg

    name = f"chipstress_fresh_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(postgres_url, autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        pytest.skip(f"cannot create a database on the test server: {error}")
    base, _, query = postgres_url.partition("?")
    url = f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")
    yield url
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        db.execute(f'DROP DATABASE IF EXISTS "{name}"')


RACER = """
    import sys, time
    import pandas as pd
    from chipstress.store import ResultsStore

    class Net:  # what the store reads of a network
        class meta:
            name = "racer"
        @staticmethod
        def fingerprint():
            return "f" * 64

    url, start, index = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    time.sleep(max(0.0, start - time.time()))
    with ResultsStore(url) as store:
        tables = {
            "sweep": pd.DataFrame({"node": ["a"], "lost_profit": [1.0], f"extra_{index % 3}": [index]}),
            "years": pd.DataFrame({"year": [index], "loss": [0.5]}),
        }
        store.save("sweep", Net(), {}, tables)
        recorder = store.start("simulate", Net(), {}, chunks_total=1)
        recorder.add_chunk(0, {"events": pd.DataFrame({"year": [index], "event": ["q"]})})
        recorder.finish({"years": 1}, {"exceedance": pd.DataFrame({"p": [0.1], "loss": [1.0]})})
    print("ok")
"""


def test_many_first_runs_at_once_on_a_new_postgres_database(fresh_postgres: str) -> None:
    start = time.time() + 4.0  # all processes start their first write together
    racers = [python(RACER, fresh_postgres, str(start), str(i)) for i in range(8)]
    outcomes = [racer.communicate(timeout=TIMEOUT) for racer in racers]
    for racer, (out, err) in zip(racers, outcomes, strict=True):
        assert racer.returncode == 0, err[-2000:]
        assert out.strip() == "ok"
    with ResultsStore(fresh_postgres) as store:
        assert len(store.runs(include_incomplete=True)) == 16
        assert store.count_rows(["sweep", "years", "events", "exceedance"]) == {
            "sweep": 8,
            "years": 8,
            "events": 8,
            "exceedance": 8,
        }


# ---------------------------------------------------------------- one DuckDB file, two processes
HOLDER = """
    import sys, time
    from pathlib import Path
    from chipstress.store import ResultsStore

    db, flag, seconds = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])
    store = ResultsStore(db)
    with store.backend.transaction():  # a long write, as a big run being saved
        store.backend.execute("UPDATE chipstress_runs SET summary = summary")
        flag.write_text("holding")
        time.sleep(seconds)
    store.close()
    print("released")
"""


def hold(db: Path, tmp_path: Path, seconds: float) -> subprocess.Popen[str]:
    flag = tmp_path / f"holding-{uuid.uuid4().hex[:6]}"
    holder = python(HOLDER, str(db), str(flag), str(seconds))
    deadline = time.monotonic() + 60
    while not flag.exists():
        assert holder.poll() is None, holder.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "the holder did not start"
        time.sleep(0.05)
    return holder


def test_a_writer_waits_for_another_process_then_succeeds(tmp_path: Path, small: Network) -> None:
    db = tmp_path / "shared.duckdb"
    ResultsStore(db).close()
    holder = hold(db, tmp_path, 2.5)
    began = time.monotonic()
    with ResultsStore(db, wait_seconds=30) as store:
        run_id = store.save("sweep", small, {}, sweep_tables())
        waited = time.monotonic() - began
        assert store.run(run_id).status == "complete"
    assert holder.communicate(timeout=TIMEOUT)[0].strip() == "released"
    assert waited > 1.0  # it did wait for the holder


def test_an_idle_store_does_not_hold_the_file(tmp_path: Path, small: Network) -> None:
    db = tmp_path / "served.duckdb"
    server = ResultsStore(db)  # like `chipstress serve --db X`: open, idle between requests
    run_id = server.save("sweep", small, {}, sweep_tables())
    reader = python(
        """
        import sys
        from chipstress.store import ResultsStore
        with ResultsStore(sys.argv[1], wait_seconds=0) as store:
            print(",".join(store.runs()["run_id"]))
            store.save("sweep", type("N", (), {"meta": type("M", (), {"name": "n"}),
                       "fingerprint": staticmethod(lambda: "0" * 64)})(), {}, {})
        """,
        str(db),
    )
    out, err = reader.communicate(timeout=TIMEOUT)
    assert reader.returncode == 0, err[-2000:]
    assert out.strip() == run_id
    assert len(server.runs()) == 2  # and the server sees the CLI's run
    server.close()


def test_a_busy_database_keeps_the_result_and_it_imports_later(
    tmp_path: Path, small: Network
) -> None:
    db = tmp_path / "busy.duckdb"
    ResultsStore(db).close()
    holder = hold(db, tmp_path, 3.0)
    with pytest.raises(StoreBusy) as busy:
        ResultsStore(db, wait_seconds=0.3)
    assert str(db) in str(busy.value) and str(db) not in busy.value.public_message
    outcome = save_or_keep(str(db), _Result(), small)  # default wait: 30 s > 3 s: it waits
    assert outcome.stored and outcome.kept is None
    holder.communicate(timeout=TIMEOUT)

    holder = hold(db, tmp_path, 3.0)
    os.environ["CHIPSTRESS_DB_WAIT"] = "0.3"
    try:
        kept = save_or_keep(str(db), _Result(), small, {"duration": 9}, 1.5)
    finally:
        del os.environ["CHIPSTRESS_DB_WAIT"]
    holder.communicate(timeout=TIMEOUT)
    assert not kept.stored and kept.kept is not None and kept.kept.is_dir()
    assert "\n" not in kept.message and str(kept.kept) in kept.message
    assert "chipstress runs import" in kept.message
    assert str(tmp_path) not in kept.public_message
    with ResultsStore(db) as store:
        assert import_pending(store) == [kept.run_id]
        run = store.run(kept.run_id)
        assert run.parameters == {"duration": 9} and run.summary == {"exposed": 2}
        assert store.table(kept.run_id, "sweep").equals(sweep_tables("k")["sweep"])
        assert import_pending(store) == []  # imported once
        assert len(store.runs()) == 2
    assert not kept.kept.exists()


def test_import_kept_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    with (
        ResultsStore(tmp_path / "x.duckdb") as store,
        pytest.raises(InvalidInput, match="not a kept run"),
    ):
        import_kept(store, tmp_path)


# ---------------------------------------------------------------- read-only databases
def _filled(db: Path, small: Network) -> str:
    with ResultsStore(db) as store:
        return store.save("sweep", small, {}, sweep_tables())


def test_a_read_only_database_can_be_read(
    tmp_path: Path, small: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    db = tmp_path / "ro.duckdb"
    run_id = _filled(db, small)
    real = duckdb.connect

    def denied(path: str, read_only: bool = False, **kwargs: Any) -> Any:
        if not read_only:
            raise duckdb.IOException(f'IO Error: Cannot open file "{path}": Permission denied')
        return real(path, read_only=True, **kwargs)

    monkeypatch.setattr(duckdb, "connect", denied)
    with ResultsStore(db) as store:
        assert store.read_only
        assert store.runs()["run_id"].tolist() == [run_id]
        assert store.table(run_id, "sweep")["node"].tolist() == ["a1", "a2"]
        with pytest.raises(InvalidInput, match="read-only") as refused:
            store.save("sweep", small, {}, sweep_tables())
        assert str(db) not in public_message(refused.value)


READER = """
    import sys
    from chipstress.store import ResultsStore
    with ResultsStore(sys.argv[1]) as store:
        print(store.read_only, ",".join(store.runs()["run_id"]), len(store.table(sys.argv[2], "sweep")))
"""


def test_a_really_read_only_file_and_folder(small: Network) -> None:
    folder = Path(tempfile.mkdtemp(prefix="chipstress-ro-"))
    db = folder / "ro.duckdb"
    run_id = _filled(db, small)
    db.chmod(0o444)
    folder.chmod(0o555)
    extra: dict[str, Any] = {}
    try:
        if os.geteuid() == 0:  # root writes anything: read as nobody instead
            if not os.access(sys.executable, os.X_OK):
                pytest.skip("cannot run Python as another user")
            extra = {"user": 65534, "group": 65534, "env": {**os.environ, "HOME": str(folder)}}
        try:
            reader = python(READER, str(db), run_id, **extra)
        except PermissionError:
            pytest.skip("this Python cannot be run by another user")
        out, err = reader.communicate(timeout=TIMEOUT)
        if reader.returncode != 0 and "Permission denied" in err and "chipstress" not in err:
            pytest.skip("the checkout is not readable by another user")
        assert reader.returncode == 0, err[-2000:]
        assert out.split() == ["True", run_id, "2"]
    finally:
        folder.chmod(stat.S_IRWXU)
        db.chmod(0o644)


# ---------------------------------------------------------------- a full disk
def test_disk_full_at_finish_leaves_a_resumable_run(
    tmp_path: Path, small: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ResultsStore(tmp_path / "full.duckdb")
    recorder = store.start("sweep", small, {}, chunks_total=2)
    recorder.add_chunk(0, {"values": pd.DataFrame({"x": [1.0]})})
    assert recorder.done_chunks() == {0}
    recorder.add_chunk(1, {"values": pd.DataFrame({"x": [2.0]})})

    def full(table: str, frame: pd.DataFrame) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(store.backend, "insert_frame", full)
    with pytest.raises(StoreWriteFailed) as failed:
        recorder.finish({"n": 2}, {"whole": pd.DataFrame({"y": [3]})})
    message = str(failed.value)
    assert "\n" not in message and "No space left on device" in message
    assert f"chipstress sweep --resume {recorder.run_id}" in message
    assert str(tmp_path) not in failed.value.public_message
    monkeypatch.undo()
    run_id = recorder.run_id
    assert store.run(run_id).status == "running"
    del recorder, failed  # the process ends: what it still buffered is lost
    gc.collect()
    resumed = store.resume(run_id, small, kind="sweep")
    assert resumed.done_chunks() == {0}
    resumed.add_chunk(1, {"values": pd.DataFrame({"x": [2.0]})})
    resumed.finish({"n": 2}, {"whole": pd.DataFrame({"y": [3]})})
    assert store.run(run_id).status == "complete"
    assert store.table(run_id, "values")["x"].tolist() == [1.0, 2.0]
    store.close()


def test_disk_full_in_the_cli_is_one_line(
    tiny_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chipstress.interfaces.cli import app

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    db = tmp_path / "cli.duckdb"
    monkeypatch.setattr(ResultsStore, "_insert_tables", full)  # the whole-run tables at finish
    result = CliRunner().invoke(app, ["sweep", str(tiny_path), "--db", str(db), "--top", "0"])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "No space left on device" in lines[0] and "--resume" in lines[0]
    monkeypatch.undo()
    run_id = lines[0].split("--resume ")[-1].strip()
    again = CliRunner().invoke(app, ["sweep", "--resume", run_id, "--db", str(db), "--top", "0"])
    assert again.exit_code == 0, again.output
    with ResultsStore(db) as store:
        assert store.run(run_id).status == "complete"


# ---------------------------------------------------------------- run ids are not patterns
def test_run_ids_match_exactly_and_delete_removes_one(tmp_path: Path, small: Network) -> None:
    with ResultsStore(tmp_path / "ids.duckdb") as store:
        ids = [store.save("sweep", small, {}, sweep_tables(str(i))) for i in range(3)]
        for pattern in ("%", "_", "%%", "sw%", "s_"):
            with pytest.raises(UnknownRun) as unknown:
                store.resolve(pattern, exact=True)
            assert str(tmp_path) not in unknown.value.public_message
            with pytest.raises(UnknownRun):
                store.delete(pattern)
        with pytest.raises(UnknownRun):
            store.resolve("%")  # no id contains a literal %
        with pytest.raises(UnknownRun, match="matches 3 runs") as ambiguous:
            store.resolve("sw-")  # a prefix of all three
        assert ambiguous.value.ambiguous
        with pytest.raises(UnknownRun):
            store.delete(ids[0][:-1])  # a prefix deletes nothing
        assert sorted(store.runs()["run_id"]) == sorted(ids)
        store.backend.execute("UPDATE chipstress_runs SET run_id = '%' WHERE run_id = ?", [ids[0]])
        store.backend.execute(
            "UPDATE chipstress_tables SET run_id = '%' WHERE run_id = ?", [ids[0]]
        )
        assert store.resolve("%", exact=True) == "%"
        assert store.delete("%") == "%"
        assert sorted(store.runs()["run_id"]) == sorted(ids[1:])


def test_a_recorder_keeps_its_chunks_while_the_database_is_busy(
    tmp_path: Path, small: Network
) -> None:
    db = tmp_path / "recorded.duckdb"
    store = ResultsStore(db, wait_seconds=0.2)
    recorder = store.start("sweep", small, {}, chunks_total=3)
    recorder.flush_seconds = 0.0  # every chunk written at once
    recorder.add_chunk(0, {"values": pd.DataFrame({"x": [0.0]})})
    assert recorder.buffered == []
    holder = hold(db, tmp_path, 2.0)
    recorder.add_chunk(1, {"values": pd.DataFrame({"x": [1.0]})})  # busy: stays buffered
    assert recorder.buffered == [1]
    with pytest.raises(StoreWriteFailed, match="in use by another process"):
        recorder.flush()  # an explicit write says so
    holder.communicate(timeout=TIMEOUT)
    recorder.add_chunk(2, {"values": pd.DataFrame({"x": [2.0]})})
    recorder.finish({"n": 3})
    assert store.table(recorder.run_id, "values")["x"].tolist() == [0.0, 1.0, 2.0]
    store.close()


WRITER = """
    import sys, time
    from chipstress.store import ResultsStore
    began = time.monotonic()
    with ResultsStore(sys.argv[1], wait_seconds=20) as store:
        store.backend.execute("UPDATE chipstress_runs SET summary = summary")
    print(round(time.monotonic() - began, 2))
"""


def test_a_lingering_server_connection_lets_a_waiting_process_in(
    tmp_path: Path, small: Network
) -> None:
    db = tmp_path / "linger.duckdb"
    server = ResultsStore(db, linger_seconds=30)
    for _ in range(3):
        server.save("sweep", small, {}, sweep_tables())
        server.runs()
    assert server.backend.opens == 1  # kept open between calls ...
    writer = python(WRITER, str(db))
    out, err = writer.communicate(timeout=TIMEOUT)
    assert writer.returncode == 0, err[-2000:]
    assert float(out) < 10  # ... but given up to a process waiting for it
    assert len(server.runs()) == 3 and server.backend.opens == 2
    server.close()

"""``chipstress news`` and ``chipstress watch``: output, files, the store as memory across
runs, and every error path as one clear line (no traceback)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from chipstress.interfaces.cli import app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflows" / "watch"))
from watch_alert_helpers import STORY, SmtpLog, closed_port, smtp_server, usgs_feed

FEED = usgs_feed("us7000cli01")


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str | Path) -> Result:
        result = runner.invoke(app, [str(a) for a in args])
        assert "Traceback" not in result.output
        return result

    return invoke


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "story.txt").write_text(STORY, encoding="utf-8")
    (folder / "usgs.geojson").write_text(json.dumps(FEED), encoding="utf-8")
    return folder


def test_news_ranks_and_writes_csv_and_json(run, inbox: Path, tmp_path: Path) -> None:
    result = run("news", inbox, "tri-cluster", "--out", tmp_path / "events.csv")
    assert result.exit_code == 0, result.output
    assert "Events ranked by loss (2)" in result.stdout
    table = pd.read_csv(tmp_path / "events.csv")
    assert list(table["rank"]) == [1, 2]
    assert table["loss"].is_monotonic_decreasing and (table["loss"] > 0).all()
    assert any("Kaohsiung" in str(e) for e in table["evidence"])
    result = run("news", inbox, "tri-cluster", "--out", tmp_path / "events.json")
    assert result.exit_code == 0, result.output
    body = json.loads((tmp_path / "events.json").read_text(encoding="utf-8"))
    assert [e["rank"] for e in body["events"]] == [1, 2]
    assert body["events"][0]["loss"] == pytest.approx(table.loc[0, "loss"])
    assert body["events"][0]["sites"] and body["events"][0]["timeline"]


def test_news_usage_errors(run, inbox: Path, tmp_path: Path) -> None:
    result = run("news", "tri-cluster")
    assert result.exit_code == 2 and "at least one source" in result.output
    result = run("news", inbox, "tri-cluster", "--out", tmp_path / "events.txt")
    assert result.exit_code == 2 and ".csv or .json" in result.output


def test_news_on_a_missing_path_fails_in_one_line(run, tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = run("news", missing, "tri-cluster")
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and str(missing) in lines[0]


def test_watch_once_alerts_then_remembers(run, inbox: Path, tmp_path: Path) -> None:
    db, out = tmp_path / "w.duckdb", tmp_path / "alerts.jsonl"
    args = ("watch", inbox, "tri-cluster", "--once", "--db", db, "--jsonl", out)
    first = run(*args)
    assert first.exit_code == 0, first.output
    assert first.stdout.count("ALERT ") == 2
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    second = run(*args)
    assert second.exit_code == 0 and "ALERT " not in second.stdout
    assert "(0 new), 0 alerts" in second.stdout
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2


def test_watch_threshold(run, inbox: Path, tmp_path: Path) -> None:
    result = run(
        "watch", inbox, "tri-cluster", "--once", "--db", tmp_path / "t.duckdb", "--min-loss", "1e15"
    )
    assert result.exit_code == 0 and "ALERT " not in result.stdout and "0 alerts" in result.stdout


def test_watch_sends_mail_to_a_local_server(run, inbox: Path, tmp_path: Path) -> None:
    log = SmtpLog()
    with smtp_server(log) as (host, port):
        result = run(
            "watch", inbox, "tri-cluster", "--once", "--db", tmp_path / "m.duckdb",
            "--smtp-host", host, "--smtp-port", str(port), "--smtp-from", "w@example.test",
            "--smtp-to", "ops@example.test",
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(log.messages) == 2
    assert any(b"Kaohsiung" in raw for _, _, raw in log.messages)


def test_watch_unreachable_webhook_is_one_line_and_the_alert_is_kept(
    run, inbox: Path, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/hook"
    db = tmp_path / "h.duckdb"
    result = run("watch", inbox, "tri-cluster", "--once", "--db", db, "--webhook", url)
    assert result.exit_code == 0, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and all("unreachable" in line for line in errors)
    assert result.stdout.count("ALERT ") == 2
    from chipstress.store import ResultsStore
    from chipstress.store.watch import WatchStore

    with ResultsStore(db) as store:
        total, alerts = WatchStore(store).alerts()
    assert total == 2
    assert {d["status"] for a in alerts for d in a["deliveries"]} == {"failed"}


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (("--webhook", "ftp://example.org/x"), 1, "bad webhook URL"),
        (("--smtp-host", "127.0.0.1"), 2, "--smtp-from, --smtp-to"),
        (("--smtp-host", "127.0.0.1", "--smtp-from", "nobody", "--smtp-to", "a@b.test"), 1, "bad e-mail address"),
        (("--interval", "0"), 2, "--interval"),
    ],
)  # fmt: skip
def test_watch_bad_options(
    run, inbox: Path, tmp_path: Path, extra: tuple[str, ...], code: int, message: str
) -> None:
    result = run("watch", inbox, "tri-cluster", "--once", "--db", tmp_path / "b.duckdb", *extra)
    assert result.exit_code == code, result.output
    assert message in result.output


def test_watch_keeps_going_when_a_source_fails(run, inbox: Path, tmp_path: Path) -> None:
    missing = tmp_path / "gone"
    result = run("watch", missing, inbox, "tri-cluster", "--once", "--db", tmp_path / "s.duckdb")
    assert result.exit_code == 0, result.output
    assert any(
        str(missing) in line for line in result.stderr.splitlines() if line.startswith("error:")
    )
    assert result.stdout.count("ALERT ") == 2


def test_watch_loops_until_sigterm(inbox: Path, tmp_path: Path) -> None:
    import signal
    import subprocess

    code = (
        "import sys; from chipstress.interfaces.cli import main; sys.argv[0] = 'chipstress'; main()"
    )
    args = [sys.executable, "-c", code, "watch", str(inbox), "tri-cluster", "--interval", "0.5"]
    args += ["--db", str(tmp_path / "loop.duckdb"), "--jsonl", str(tmp_path / "a.jsonl")]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    import threading

    guard = threading.Timer(120, process.kill)  # bounded even if nothing is printed
    guard.start()
    try:
        assert process.stdout is not None
        summaries = 0
        for line in process.stdout:  # a pass prints one summary line
            summaries += " errors in " in line
            if summaries == 2:
                break
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        guard.cancel()
        if process.poll() is None:
            process.kill()
            process.wait(10)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert len((tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()) == 2

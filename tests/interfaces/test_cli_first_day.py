"""What a new user met on the command line (issue 16, defects 5, 7 and 9), each with a
test that would have caught it."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import typer.main
from typer.testing import CliRunner

from chipstress import load_builtin
from chipstress.interfaces.cli import app
from chipstress.interfaces.cli._common import money, progress_reporter
from chipstress.interfaces.cli.hazards import sites_title
from chipstress.interfaces.cli.stress import scope_note
from chipstress.interfaces.figures import fmt_money
from chipstress.interfaces.figures.changes import (
    NETWORK_LIMIT,
    changed_sites,
    differs,
    limit_notes,
)
from chipstress.store import ResultsStore

CLI = [sys.executable, "-c", "from chipstress.interfaces.cli import main; main()"]
TINY = "tests/fixtures/tiny"
runner = CliRunner()


def _help(*command: str) -> str:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    return result.output


def _command_paths() -> list[list[str]]:
    group = typer.main.get_command(app)
    paths: list[list[str]] = [[]]
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        paths.append([name])
        paths.extend([name, sub] for sub in getattr(command, "commands", {}))
    return paths


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
        check=False,
    )


# ------------------------------------------------------------------ defect 9: help
@pytest.mark.parametrize("command", _command_paths(), ids=lambda p: " ".join(p) or "chipstress")
def test_help_has_no_rest_markup(command: list[str]) -> None:
    text = _help(*command)
    assert "`" not in text, [line for line in text.splitlines() if "`" in line]


def test_choices_are_listed_in_help() -> None:
    sweep = _help("sweep")
    assert "--metric <both|ttr|tts>" in sweep and "--executor <local|ray>" in sweep
    assert "ttr (lost profit" in sweep and "ray (a Ray cluster" in sweep
    assert "--executor <local|ray>" in _help("simulate")
    assert "--measure <worst|exposed|eal|cvar>" in _help("plan")


def test_a_choice_outside_the_list_is_a_usage_error() -> None:
    result = runner.invoke(app, ["sweep", TINY, "--metric", "nope", "--no-save"])
    assert result.exit_code == 2
    assert "nope" in result.output and "both" in result.output


def test_simulate_says_years_and_seed_are_required() -> None:
    text = " ".join(_help("simulate").split())
    assert "Simulated years. Required (no default) unless --resume." in text
    assert "same numbers). Required (no default) unless --resume." in text
    result = runner.invoke(app, ["simulate", "tri-cluster", "--years", "10", "--no-save"])
    assert result.exit_code == 2 and "--seed" in result.output


@pytest.mark.parametrize("command", ["sweep", "simulate", "plan"])
def test_progress_lines_are_documented(command: str) -> None:
    text = " ".join(_help(command).split())
    assert "CHIPSTRESS_PROGRESS_LINES=1" in text and "CHIPSTRESS_PROGRESS_LINES=0" in text
    assert "when stderr is piped" in text


# ------------------------------------------------------------------ defect 9: progress
class _Bar:
    def __init__(self) -> None:
        self.updates: list[tuple[int, int]] = []

    def update(self, task: object, completed: int, total: int) -> None:
        self.updates.append((completed, total))


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("", [f"progress {d}/20" for d in (0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20)]),
        ("1", [f"progress {d}/20" for d in range(21)]),
        ("0", []),
    ],
)
def test_piped_progress_lines(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    setting: str,
    expected: list,
) -> None:
    """Piped (stderr not a terminal): a line per tenth by default, every step with =1,
    none with =0; the bar is moved in every case."""
    monkeypatch.setenv("CHIPSTRESS_PROGRESS_LINES", setting)
    bar = _Bar()
    report = progress_reporter(bar, 0)  # type: ignore[arg-type]
    for done in range(21):
        report(done, 20)
    assert len(bar.updates) == 21
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("progress")]
    assert lines == expected


def test_a_piped_sweep_shows_progress_on_stderr() -> None:
    done = _run(["sweep", TINY, "--no-save", "--workers", "1"])
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("progress ")]
    assert lines and lines[-1].split()[1].split("/")[0] == lines[-1].split("/")[1]
    assert "progress" not in done.stdout  # results on stdout, progress on stderr
    quiet = _run(["sweep", TINY, "--no-save", "--workers", "1"], CHIPSTRESS_PROGRESS_LINES="0")
    assert quiet.returncode == 0 and "progress " not in quiet.stderr


# ------------------------------------------------------------------ defect 7: money
@pytest.mark.parametrize(
    ("value", "text"),
    [
        (4.1123e9, "4,112,300,000"),
        (3423780000.0, "3,423,780,000"),
        (1808.0666, "1,808"),
        (12.5, "12.50"),
        (0.0, "0"),
        (-2.5e6, "-2,500,000"),
        (math.inf, "∞"),
        (math.nan, "n/a"),
        (None, "n/a"),
    ],
)
def test_money_is_printed_one_way(value: float | None, text: str) -> None:
    assert money(value) == text
    assert money(value, "USD") == (text if text in ("n/a", "∞") else f"{text} USD")
    if value is not None and not math.isnan(value):  # the report's and dashboard's rule
        assert money(value, "USD") == fmt_money(value, "USD")


def test_runs_list_and_show_print_no_e_notation(tmp_path: Path) -> None:
    db = str(tmp_path / "runs.duckdb")
    network = load_builtin("tri-cluster")
    summary = {"years": 2000, "expected_annual_loss": 4.1123e9, "var_99": 1.2066e10}
    with ResultsStore(db) as store:
        run_id = store.save("simulate", network, {"network": "tri-cluster"}, {}, summary, 12.5)
    listed = runner.invoke(app, ["runs", "list", "--db", db])
    assert listed.exit_code == 0, listed.output
    assert "e+" not in listed.output
    assert "4,112,300,000" in listed.output and "12,066,000,000" in listed.output
    shown = runner.invoke(app, ["runs", "show", run_id, "--db", db])
    assert "e+" not in shown.output and "expected_annual_loss: 4,112,300,000" in shown.output


# ------------------------------------------------------------------ defect 7: scope, period
def test_sweep_says_which_nodes_it_disrupted() -> None:
    network = load_builtin("tri-cluster")
    products = int(network.index.has_demand.sum())
    suppliers = network.n_nodes - products
    note = scope_note(network, suppliers, False)
    assert note.startswith(f"Suppliers only: {suppliers} of {network.n_nodes} nodes")
    assert f"the {products} nodes with demand" in note and "--include-products" in note
    assert scope_note(network, network.n_nodes, True).startswith(
        f"Every node disrupted in turn ({network.n_nodes} of {network.n_nodes}"
    )
    result = runner.invoke(app, ["sweep", TINY, "--no-save", "--top", "0", "-w", "1"])
    assert result.exit_code == 0 and "Suppliers only:" in result.stdout


def test_info_names_the_networks_period() -> None:
    result = runner.invoke(app, ["info", TINY])
    assert result.exit_code == 0 and "demand/week" in result.stdout
    assert "demand/period" not in result.stdout


# ------------------------------------------------------------------ defect 5: what-if
def _whatif_rows(rows: list[dict]) -> pd.DataFrame:
    base = {
        "name": "",
        "kind": "supplier",
        "cluster": "c",
        "change": "",
        "ttr_before": 2.0,
        "ttr_after": 2.0,
        "exposed_before": False,
        "exposed_after": False,
    }
    return pd.DataFrame([{**base, **row} for row in rows])


def test_rounding_noise_is_not_a_change() -> None:
    assert not differs(0.0, 1e-9)
    assert not differs(5.65521, 5.65521 + 8.9e-16)
    assert not differs(3.25e9, 3.25e9 + 1.0)  # a dollar in billions
    assert differs(3.25e9, 3.25e9 + 1e5)
    assert differs(0.0, 0.01)
    assert not differs(math.inf, math.inf)
    assert differs(math.inf, 79.0) and differs(79.0, math.inf)
    assert differs(1.0, math.nan) and not differs(math.nan, math.nan)


def test_changed_sites_keep_real_changes_and_say_why() -> None:
    nodes = _whatif_rows(
        [
            {
                "node": "noise",
                "lost_profit_before": 0.0,
                "lost_profit_after": 1e-8,
                "tts_before": 5.65521,
                "tts_after": 5.65521 + 8.9e-16,
            },
            {
                "node": "both_forever",
                "lost_profit_before": 0.0,
                "lost_profit_after": 0.0,
                "tts_before": math.inf,
                "tts_after": math.inf,
            },
            {
                "node": "saved",
                "lost_profit_before": 3.25e9,
                "lost_profit_after": 0.0,
                "tts_before": 5.6,
                "tts_after": 13.7,
                "exposed_before": True,
            },
            {
                "node": "a",
                "lost_profit_before": 0.0,
                "lost_profit_after": 0.0,
                "tts_before": math.inf,
                "tts_after": 79.0114,
            },
            {
                "node": "b",
                "lost_profit_before": 0.0,
                "lost_profit_after": 0.0,
                "tts_before": math.inf,
                "tts_after": 79.0114,
            },
            {
                "node": "alone",
                "lost_profit_before": 0.0,
                "lost_profit_after": 0.0,
                "tts_before": math.inf,
                "tts_after": 12.0,
            },
            {
                "node": "gone",
                "change": "removed",
                "lost_profit_before": 0.0,
                "lost_profit_after": math.nan,
                "tts_before": 104.7,
                "tts_after": math.nan,
            },
        ]
    )
    changed = changed_sites(nodes)
    notes = dict(zip(changed["node"], changed["note"], strict=True))
    assert list(notes) == ["saved", "a", "b", "alone", "gone"]
    assert notes["saved"] == "no longer exposed"
    assert notes["a"] == notes["b"] == NETWORK_LIMIT
    assert notes["alone"] == "the network no longer covers this site's loss indefinitely"
    assert notes["gone"] == "removed by the edits"
    footnotes = limit_notes(changed, "week")
    assert len(footnotes) == 1
    assert footnotes[0].startswith("(*) 2 sites had no time-to-survive limit before")
    assert "79.01 weeks" in footnotes[0] and "sites removed by the edits: gone" in footnotes[0]


def test_whatif_cli_counts_and_explains_like_the_report(tmp_path: Path) -> None:
    """The shipped tri-cluster what-if, piped: no rounding noise listed, the TTS
    "forever -> 79.01" rows explained, no cell cut short."""
    out = tmp_path / "sites.csv"
    done = _run(
        ["whatif", "tri-cluster", "tri-cluster", "--no-save", "--top", "100", "--out", str(out)],
        COLUMNS="80",
    )
    assert done.returncode == 0, done.stderr
    nodes = pd.read_csv(out)
    expected = changed_sites(nodes)
    assert f"Sites that change ({len(expected)};" in done.stdout
    assert len(expected) < len(nodes)
    assert "network-wide limit (*)" in done.stdout
    assert "(*) " in done.stdout and "now all run short after 79.01 weeks" in done.stdout
    assert "…" not in done.stdout  # no cell cut with an ellipsis
    assert "3,250,710,000" in done.stdout  # a wide money cell whole on one line
    assert "e-1" not in done.stdout  # no 8.88e-16 delta


# ------------------------------------------------------------------ defect 9: replay, convert
def test_sites_title_counts_sites_and_rows_apart() -> None:
    assert sites_title(13, 13) == "Sites hit and why (13 sites)"
    assert sites_title(1, 1) == "Sites hit and why (1 site)"
    assert sites_title(13, 25) == "Sites hit and why (13 sites, 25 rows: one per site and hazard)"


def test_replay_title_matches_its_table(tmp_path: Path) -> None:
    out = tmp_path / "sites.csv"
    result = runner.invoke(
        app, ["replay", "taiwan_drought_2021", "tri-cluster", "--no-save", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    sites = pd.read_csv(out)
    assert sites_title(sites["site"].nunique(), len(sites)) in result.stdout


def test_convert_to_reference_json_explains_what_it_cannot_hold(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    result = runner.invoke(app, ["convert", "tri-cluster", str(target)])
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert "cannot hold nodes that both sell to end customers and ship to other nodes" in message
    assert "tsmc_fab18" in message and "Nothing was written" in message
    assert f"chipstress convert tri-cluster {tmp_path / 'x.yaml'}" in message
    assert not target.exists() and not list(tmp_path.iterdir())
    fallback = runner.invoke(app, ["convert", "tri-cluster", str(tmp_path / "x.yaml")])
    assert fallback.exit_code == 0

"""The stress-test commands of the CLI: sweep, impact, survive; files, exit codes, stdout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from chipstress import Network, write_network
from chipstress.engine import impact
from chipstress.interfaces.cli import app
from chipstress.model.generate import generate_network
from chipstress.store import ResultsStore

REL = 1e-6
BANNER = "HiGHS"


@pytest.fixture
def run(capfd: pytest.CaptureFixture[str]):
    """Invoke the CLI; fail if anything reached file descriptor 1 behind Python's back
    (HiGHS writes its banner there, which CliRunner alone would not see)."""
    runner = CliRunner()

    def invoke(*args: str | Path) -> Result:
        result = runner.invoke(app, [str(a) for a in args])
        leaked = capfd.readouterr()
        assert BANNER not in leaked.out and BANNER not in leaked.err
        assert BANNER not in result.stdout
        assert "Traceback" not in result.output
        return result

    return invoke


@pytest.fixture(scope="module")
def expected(small_json: Path) -> pd.DataFrame:
    return pd.read_csv(small_json.parent / "small-expected.csv").set_index("node")


@pytest.fixture(scope="module")
def durations(small_json: Path) -> Path:
    return small_json.parent / "small-durations.csv"


def assert_matches_expected(table: pd.DataFrame, expected: pd.DataFrame) -> None:
    table = table.set_index("node")
    assert sorted(table.index) == sorted(expected.index)
    for node, row in expected.iterrows():
        assert table.loc[node, "status"] == "optimal"
        assert table.loc[node, "duration"] == row["duration"]
        assert table.loc[node, "lost_profit"] == pytest.approx(
            row["lost_profit"], rel=REL, abs=1e-9
        )
        assert table.loc[node, "tts"] == pytest.approx(row["tts"], rel=REL)


# --------------------------------------------------------------------------- sweep
def test_sweep_reproduces_small_expected(
    run, small_json: Path, durations: Path, expected: pd.DataFrame, tmp_path: Path
) -> None:
    out = tmp_path / "X.csv"
    result = run("sweep", small_json, "--durations", durations, "--out", out)
    assert result.exit_code == 0, result.output
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",")[:5] == ["node", "duration", "lost_profit", "tts", "status"]
    assert header.startswith("node,duration,lost_profit,tts,status,")
    assert_matches_expected(pd.read_csv(out), expected)
    # The ranked table and the summary go to stdout.
    assert "Top 15 risks of small (of 30 nodes)" in result.stdout
    assert "T2_10" in result.stdout and "1,808" in result.stdout
    assert "30 nodes swept; 11 with TTR > TTS" in result.stdout
    assert f"wrote {out}" in result.stdout


def test_sweep_parquet(
    run, small_json: Path, durations: Path, expected: pd.DataFrame, tmp_path: Path
) -> None:
    out = tmp_path / "X.parquet"
    result = run("sweep", small_json, "--durations", durations, "--out", out, "--top", "0")
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out)
    assert list(table.columns[:5]) == ["node", "duration", "lost_profit", "tts", "status"]
    assert_matches_expected(table, expected)
    assert "Top" not in result.stdout


@pytest.mark.parametrize(("metric", "empty"), [("ttr", "tts"), ("TTS", "lost_profit")])
def test_sweep_metric(
    run,
    small_json: Path,
    durations: Path,
    expected: pd.DataFrame,
    tmp_path: Path,
    metric: str,
    empty: str,
) -> None:
    out = tmp_path / "X.csv"
    result = run("sweep", small_json, "--durations", durations, "--metric", metric, "--out", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out).set_index("node").loc[expected.index]
    assert table[empty].isna().all()
    kept = "lost_profit" if empty == "tts" else "tts"
    np.testing.assert_allclose(table[kept], expected[kept], rtol=REL, atol=1e-9)


def test_sweep_single_duration(run, small: Network, small_json: Path, tmp_path: Path) -> None:
    """--duration 3: every supplier down 3 periods; small.json nodes carry no TTR."""
    out = tmp_path / "X.csv"
    result = run("sweep", small_json, "--duration", "3", "--out", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out).set_index("node")
    assert len(table) == 30 and (table["duration"] == 3.0).all()
    for node in ["T2_8", "T2_10", "T3_15"]:
        assert table.loc[node, "lost_profit"] == pytest.approx(
            impact(small, {node: 1.0}, 3.0).lost_profit, rel=REL, abs=1e-9
        )
    # Without durations the nodes have none: TTS only.
    result = run("sweep", small_json, "--out", out)
    assert result.exit_code == 0, result.output
    assert (pd.read_csv(out)["status"] == "no_duration").all()


def test_sweep_same_file_for_any_workers(run, tmp_path: Path) -> None:
    folder = tmp_path / "generated"
    write_network(generate_network(90, 3, seed=4), folder)  # 87 suppliers: two processes
    files = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}.csv"
        result = run("sweep", folder, "--duration", "4", "--workers", workers, "--out", out)
        assert result.exit_code == 0, result.output
        files.append(out.read_bytes())
    assert files[0] == files[1]
    assert len(files[0].splitlines()) == 88


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--metric", "cost"], "'cost' is not one of 'both', 'ttr', 'tts'"),
        (["--duration", "3", "--durations", "d.csv"], "give --duration or --durations, not both"),
        (["--out", "x.txt"], "must end in .csv or .parquet"),
        (["--duration", "-1"], "--duration"),
    ],
)
def test_sweep_usage_errors(run, small_json: Path, args: list[str], message: str) -> None:
    result = run("sweep", small_json, *args)
    assert result.exit_code == 2
    assert message in result.output


def test_sweep_missing_durations_file(run, small_json: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"
    result = run("sweep", small_json, "--durations", missing)
    assert result.exit_code == 1
    assert f"{missing}: no such file" in result.stderr
    assert result.stdout == ""


def test_sweep_bad_durations_file(run, small_json: Path, tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("node,duration\nT2_1,4\nT2_2,soon\nT9_9,1\n", encoding="utf-8")
    result = run("sweep", small_json, "--durations", path)
    assert result.exit_code == 1
    assert "row 2, field 'duration': 'soon' is not a number of periods >= 0" in result.stderr
    path.write_text("node,duration\nT2_1,4\nT9_9,1\n", encoding="utf-8")
    result = run("sweep", small_json, "--durations", path)
    assert result.exit_code == 1
    assert "unknown node id 'T9_9'" in result.stderr


def test_sweep_include_products_and_integer(run, tiny_path: Path, tmp_path: Path) -> None:
    """--include-products adds the fab (down 4 weeks: 300 of 320 wafers lost x 50 = 15000);
    --integer gives the same whole-unit optima on tiny; --all-nodes is its deprecated alias."""
    files = []
    for option, extra in (("--include-products", []), ("--include-products", ["--integer"])):
        out = tmp_path / f"all{len(extra)}.csv"
        result = run("sweep", tiny_path, option, "--out", out, *extra)
        assert result.exit_code == 0, result.output
        table = pd.read_csv(out).set_index("node")
        assert sorted(table.index) == ["fab", "gas", "resist_a", "resist_b", "water"]
        assert table.loc["fab", "lost_profit"] == pytest.approx(15000.0)
        assert table.loc["water", "lost_profit"] == pytest.approx(3000.0)
        assert table.loc["resist_b", "tts"] == np.inf
        files.append(table)
    pd.testing.assert_frame_equal(files[0], files[1], rtol=1e-7, atol=1e-7)
    with ResultsStore() as store:
        stored = store.run(store.runs("sweep")["run_id"].iloc[0])
    assert stored.parameters["include_products"] is True and "all_nodes" not in stored.parameters
    alias = tmp_path / "alias.csv"
    result = run("sweep", tiny_path, "--all-nodes", "--out", alias, "--no-save")
    assert result.exit_code == 0, result.output
    assert "--all-nodes is deprecated: use --include-products" in result.stderr
    pd.testing.assert_frame_equal(pd.read_csv(alias).set_index("node"), files[0])
    assert "--all-nodes" not in run("sweep", "--help").stdout


# --------------------------------------------------------------------------- impact
def test_impact(run, small_json: Path) -> None:
    result = run("impact", small_json, "--disrupt", "T2_10", "--duration", "8")
    assert result.exit_code == 0, result.output
    assert "Disrupting 1 node(s) for 8 periods: lost profit 1,808\n" in result.stdout
    assert "Lost units by end product" in result.stdout
    for product in ["T1_1", "T1_2", "T1_3", "T1_4", "T1_5"]:
        assert product in result.stdout


def test_impact_partial(run, small: Network, small_json: Path) -> None:
    result = run("impact", small_json, "--disrupt", "T2_10=0.5", "-d", "T2_8", "--duration", "8")
    assert result.exit_code == 0, result.output
    value = impact(small, {"T2_10": 0.5, "T2_8": 1.0}, 8.0).lost_profit
    assert value > 0
    assert f"Disrupting 2 node(s) for 8 periods: lost profit {value:,.0f}" in result.stdout


def test_impact_cluster(run, tiny_path: Path) -> None:
    """tiny's kumamoto cluster down 10 weeks: 750 USD (see tests/engine/test_stress.py)."""
    result = run("impact", tiny_path, "--cluster", "kumamoto", "--duration", "10")
    assert result.exit_code == 0, result.output
    assert "Disrupting 2 node(s) for 10 weeks: lost profit 750 USD" in result.stdout
    assert "fab" in result.stdout
    # Half of each node's capacity: resist_b 150 + resist_a 100 (gas 200 neon is ample):
    # 125 wafers a week >= 80: nothing lost.
    result = run("impact", tiny_path, "--cluster", "kumamoto", "--fraction", "0.5", "-t", "10")
    assert result.exit_code == 0, result.output
    assert "lost profit 0 USD" in result.stdout
    # Everything water feeds (the fab) down 2 weeks: 20 of 160 sold: 140 x 50.
    result = run("impact", tiny_path, "--depending-on", "water", "--duration", "2")
    assert result.exit_code == 0, result.output
    assert "lost profit 7,000 USD" in result.stdout
    result = run("impact", tiny_path, "--cluster", "kumamoto", "-t", "10", "--integer")
    assert result.exit_code == 0, result.output
    assert "lost profit 750 USD" in result.stdout


def test_impact_plan(run, small: Network, small_json: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.csv"
    result = run("impact", small_json, "-d", "T2_10", "-t", "8", "--plan", plan)
    assert result.exit_code == 0, result.output
    assert f"wrote {plan}" in result.stdout
    written = pd.read_csv(plan)
    shipments = impact(small, {"T2_10": 1.0}, 8.0).shipments
    assert list(written.columns) == ["supplier", "customer", "material", "quantity"]
    assert len(written) == len(shipments) > 0
    pd.testing.assert_frame_equal(written, shipments, check_dtype=False, rtol=1e-12)
    # T2_10 is down: all it ships is its stock.
    stock = small.nodes.set_index("id").loc["T2_10", "inventory"]
    assert written.loc[written["supplier"] == "T2_10", "quantity"].sum() <= stock + 1e-6


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--disrupt", "T9_9", "--duration", "8"], 1, "unknown node id 'T9_9'"),
        (["--disrupt", "T2_10=1.5", "--duration", "8"], 1, "fraction in (0, 1]"),
        (["--disrupt", "T2_10=0", "--duration", "8"], 1, "fraction in (0, 1]"),
        (
            ["--disrupt", "T2_10=half", "--duration", "8"],
            1,
            "the fraction after '=' must be a number",
        ),
        (["--disrupt", "T2_10", "--duration", "0"], 1, "duration must be a finite number"),
        (["--cluster", "kumamoto", "--duration", "8"], 1, "no node has cluster 'kumamoto'"),
        (["--duration", "8"], 2, "name at least one node"),
        (["--disrupt", "T2_10"], 2, "--duration"),
    ],
)
def test_impact_errors(run, small_json: Path, args: list[str], code: int, message: str) -> None:
    result = run("impact", small_json, *args)
    assert result.exit_code == code
    assert message in result.output


# --------------------------------------------------------------------------- survive
def test_survive(run, small_json: Path, expected: pd.DataFrame) -> None:
    result = run("survive", small_json, "--disrupt", "T2_10")
    assert result.exit_code == 0, result.output
    tts = expected.loc["T2_10", "tts"]  # 3.5516...
    assert f"Time to survive: {tts:,.2f} periods" in result.stdout
    assert "Demand that runs out first: T1_1, T1_3, T1_5" in result.stdout
    assert "Limited by: " in result.stdout and "T2_10" in result.stdout


def test_survive_cluster_and_forever(run, tiny_path: Path) -> None:
    result = run("survive", tiny_path, "--cluster", "kumamoto")
    assert result.exit_code == 0, result.output
    assert "Time to survive: 7.00 weeks" in result.stdout
    assert "Demand that runs out first: fab" in result.stdout
    result = run("survive", tiny_path, "--disrupt", "resist_b")
    assert result.exit_code == 0, result.output
    assert "Time to survive: forever (demand is met however long it lasts)\n" in result.stdout
    assert "runs out" not in result.stdout


def test_survive_errors(run, small_json: Path) -> None:
    result = run("survive", small_json, "--disrupt", "nope")
    assert result.exit_code == 1 and "unknown node id 'nope'" in result.stderr
    result = run("survive", small_json)
    assert result.exit_code == 2 and "name at least one node" in result.output


# --------------------------------------------------------------------------- the real script
def test_no_highs_banner_from_the_installed_script(small_json: Path, tmp_path: Path) -> None:
    """Run the real ``chipstress`` executable (two worker processes): stdout has no banner."""
    script = Path(sys.executable).parent / "chipstress"
    out = tmp_path / "X.csv"
    done = subprocess.run(
        [
            str(script),
            "sweep",
            str(small_json),
            "--duration",
            "2",
            "--workers",
            "2",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert BANNER not in done.stdout and BANNER not in done.stderr
    assert done.stdout.startswith("Top 15 risks of small")
    done = subprocess.run(
        [str(script), "survive", str(small_json), "-d", "T2_10"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "Time to survive: 3.55 periods"


# --------------------------------------------------------------------------- outage
def test_outage_command_matches_the_workflow(run, tmp_path: Path) -> None:
    from chipstress.model import load_builtin
    from chipstress.workflows.outage import outage

    out = tmp_path / "sites.csv"
    result = run(
        "outage",
        "tri-cluster",
        "--down",
        "port_hakata:3",
        "--down",
        "water_tainan=0.5:6",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    expected = outage(load_builtin(), {"port_hakata": (1.0, 3.0), "water_tainan": (0.5, 6.0)})
    assert f"loss {expected.loss:,.0f}" in result.stdout
    sites = pd.read_csv(out)
    assert sites["site"].tolist() == ["port_hakata", "water_tainan"]
    assert sites["window_capacity_loss"].tolist() == pytest.approx([0.5, 0.5])
    with ResultsStore() as store:
        runs = store.runs("outage")
        stored = store.run(runs["run_id"].iloc[0])
    assert stored.kind == "outage" and stored.parameters["network"] == "tri-cluster"
    assert sorted(stored.table_names) == [
        "components",
        "outage_products",
        "outage_sites",
        "timeline",
        "timeline_nodes",
        "timeline_products",
    ]
    assert stored.summary["loss"] == pytest.approx(expected.loss)


def test_outage_of_hazard_events(run, tmp_path: Path) -> None:
    scenario = tmp_path / "water.yaml"
    scenario.write_text(
        "events:\n  - type: water_restriction\n    district: hsinchu\n    level: red\n"
        "    duration: 6\n",
        encoding="utf-8",
    )
    result = run("outage", "tri-cluster", "--events", scenario, "--no-save")
    assert result.exit_code == 0, result.output
    assert "baoshan_reservoirs" in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ([], 2, "give --down"),
        (["--down", "port_hakata"], 2, "NODE:PERIODS"),
        (["--down", "port_hakata=x:2"], 2, "NODE:PERIODS"),
        (["--down", "ghost:2"], 1, "ghost"),
        (["--down", "port_hakata:2", "--down", "port_hakata:3"], 1, "listed twice"),
    ],
)
def test_outage_errors(run, args: list[str], code: int, message: str) -> None:
    result = run("outage", "tri-cluster", *args, "--no-save")
    assert result.exit_code == code, result.output
    assert message in result.output


def test_impact_survive_and_contingency_are_stored(run) -> None:
    assert run("impact", "tri-cluster", "-d", "port_hakata", "-t", "3").exit_code == 0
    assert run("survive", "tri-cluster", "--cluster", "kumamoto").exit_code == 0
    assert run("contingency", "tri-cluster", "-d", "port_hakata", "-t", "3").exit_code == 0
    with ResultsStore() as store:
        kinds = sorted(store.runs()["kind"])
        impact_run = store.run(store.runs("impact")["run_id"].iloc[0])
    assert kinds == ["contingency", "impact", "survive"]
    assert impact_run.parameters["disruption"] == {"port_hakata": 1.0}
    assert impact_run.summary["baseline_lost_profit"] is not None
    assert run("impact", "tri-cluster", "-d", "port_hakata", "-t", "3", "--no-save").exit_code == 0


def test_resume_a_sweep_stored_with_all_nodes(run, tiny_path: Path, tmp_path: Path) -> None:
    """Runs stored by older versions name include_products all_nodes; resuming honours it."""
    from chipstress import read_network

    with ResultsStore() as store:
        parameters = {
            "network": str(tiny_path),
            "duration": None,
            "durations": None,
            "metric": "both",
            "integer": False,
            "all_nodes": True,
        }
        run_id = store.start("sweep", read_network(tiny_path), parameters).run_id
    out = tmp_path / "resumed.csv"
    result = run("sweep", "--resume", run_id, "--out", out)
    assert result.exit_code == 0, result.output
    assert "fab" in pd.read_csv(out)["node"].tolist()


def test_a_recorded_sweep_keeps_its_database_open_between_chunks(
    run, large_json: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stored run is complete, and the DuckDB file was opened once for all its
    chunks (it lingers between writes), not once per write; it is closed at the end."""
    import duckdb

    opened: list[str] = []
    connect = duckdb.connect

    def counting_connect(database: str, *args, **kwargs):
        opened.append(database)
        return connect(database, *args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", counting_connect)
    db = tmp_path / "runs.duckdb"
    result = run("sweep", large_json, "--duration", "4", "--out", tmp_path / "s.csv", "--db", db)
    assert result.exit_code == 0, result.output
    writes = len(opened)
    assert opened and set(opened) == {str(db)}
    with ResultsStore(db) as store:  # the file is free again, and the run is whole
        (run_id,) = store.runs()["run_id"]
        assert store.run(run_id).status == "complete"
        assert len(store.table(run_id, "sweep")) == 1_500
    # One opening when the store is created and one for the run's chunks (the written
    # chunks and the finished run would be at least 8 openings without lingering).
    assert writes <= 2, opened

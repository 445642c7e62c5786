"""The mitigation commands: whatif, plan, contingency — outputs, stored runs, reports, and
exit codes (0 ok, 1 bad input, 2 usage)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from chipstress import Network, write_network
from chipstress.errors import InvalidInput
from chipstress.interfaces.cli import app
from chipstress.interfaces.cli.mitigation import parse_amount
from chipstress.store import ResultsStore

BANNER = "HiGHS"


@pytest.fixture
def run(capfd: pytest.CaptureFixture[str]):
    runner = CliRunner()

    def invoke(*args: str | Path) -> Result:
        result = runner.invoke(app, [str(a) for a in args])
        leaked = capfd.readouterr()
        assert BANNER not in leaked.out and BANNER not in result.stdout
        assert "Traceback" not in result.output
        return result

    return invoke


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A small network folder: fab single-sourced from gas_a (north); gas_b (south)."""
    network = Network.from_tables(
        pd.DataFrame(
            [
                {"id": "gas_a", "material": "gas", "capacity": 15, "ttr": 4, "cluster": "north"},
                {"id": "gas_b", "material": "gas", "capacity": 25, "ttr": 4, "cluster": "south"},
                {
                    "id": "fab",
                    "material": "w",
                    "capacity": 20,
                    "demand": 10,
                    "margin": 100,
                    "ttr": 1,
                    "cluster": "north",
                },
                {
                    "id": "fab_b",
                    "material": "w2",
                    "capacity": 20,
                    "demand": 5,
                    "margin": 50,
                    "ttr": 1,
                    "cluster": "south",
                },
            ]
        ),
        pd.DataFrame(
            [
                {"node": "fab", "material": "gas", "quantity": 1.0},
                {"node": "fab_b", "material": "gas", "quantity": 1.0},
            ]
        ),
        pd.DataFrame(
            [{"supplier": "gas_a", "customer": "fab"}, {"supplier": "gas_b", "customer": "fab_b"}]
        ),
        meta={"name": "two", "period": "week", "currency": "USD"},
    )
    path = tmp_path / "two"
    write_network(network, path)
    return path


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


EDITS = (
    "edits:\n  - {type: qualify_source, supplier: gas_b, customer: fab, capacity: 10, premium: 2}\n"
)
ACTIONS = """horizon: 52
actions:
  - {id: dual, edit: {type: qualify_source, supplier: gas_b, customer: fab, capacity: 10, premium: 2}, cost: 500}
  - {id: stock, edit: {type: add_inventory, node: gas_a, add: 40}, cost: {per_unit_period: 1}}
  - {id: fast, edit: {type: cut_ttr, node: gas_a, to: 1}, cost: 300}
"""


def test_parse_amount() -> None:
    assert parse_amount("2500000") == 2.5e6
    assert parse_amount("2.5M") == 2.5e6 and parse_amount("800k") == 8e5
    assert parse_amount("1.2B") == 1.2e9 and parse_amount("1_000") == 1000
    for bad in ("lots", "-5", "inf"):
        with pytest.raises(InvalidInput):
            parse_amount(bad)


def test_whatif_command(run, folder: Path, tmp_path: Path) -> None:
    edits = _file(tmp_path, "edits.yaml", EDITS)
    out = tmp_path / "nodes.csv"
    db = tmp_path / "runs.duckdb"
    result = run("whatif", folder, edits, "--out", out, "--db", db)
    assert result.exit_code == 0, result.output
    assert "Before and after" in result.stdout and "exposed sites" in result.stdout
    assert "qualify gas_b for fab" in result.stdout
    nodes = pd.read_csv(out).set_index("node")
    assert nodes.at["gas_a", "lost_profit_after"] == pytest.approx(80.0)
    assert not nodes.at["gas_a", "exposed_after"]
    with ResultsStore(db) as store:
        runs = store.runs("whatif")
        assert len(runs) == 1
        stored = store.run(runs["run_id"].iloc[0])
        assert {"whatif_nodes", "whatif_totals", "whatif_clusters", "whatif_edits"} <= set(
            stored.table_names
        )
        assert stored.parameters["edits"][0]["type"] == "qualify_source"
        run_id = stored.run_id
    report = tmp_path / "report.html"
    result = run("report", run_id, "--db", db, "--network", folder, "--out", report)
    assert result.exit_code == 0, result.output
    html = report.read_text(encoding="utf-8")
    assert "What-if on two" in html and "Before and after" in html


def test_whatif_bad_input(run, folder: Path, tmp_path: Path) -> None:
    missing = run("whatif", folder, tmp_path / "nope.yaml", "--no-save")
    assert missing.exit_code == 1 and "no such file" in missing.output
    bad = _file(
        tmp_path, "bad.yaml", "edits:\n  - {type: cut_ttr, node: ghost, to: 1}\n  - {type: nope}\n"
    )
    result = run("whatif", folder, bad, "--no-save")
    assert result.exit_code == 1
    assert "edits[1], field 'type'" in result.output
    wrong = _file(tmp_path, "wrong.yaml", "edits:\n  - {type: cut_ttr, node: ghost, to: 1}\n")
    result = run("whatif", folder, wrong, "--no-save")
    assert result.exit_code == 1 and "edits[0], field 'node': unknown node 'ghost'" in result.output
    edits = _file(tmp_path, "edits.yaml", EDITS)
    assert run("whatif", folder, edits, "--out", tmp_path / "x.txt").exit_code == 2
    assert run("whatif", folder).exit_code == 2


def test_whatif_with_the_shipped_example(run) -> None:
    result = run("whatif", "tri-cluster", "tri-cluster", "--no-save", "--top", "3")
    assert result.exit_code == 0, result.output
    assert "remove neon_cryoin_odesa" in result.stdout


def test_plan_command(run, folder: Path, tmp_path: Path) -> None:
    actions = _file(tmp_path, "actions.yaml", ACTIONS)
    out = tmp_path / "curve.csv"
    db = tmp_path / "runs.duckdb"
    result = run(
        "plan",
        folder,
        actions,
        "--measure",
        "worst",
        "--budgets",
        "0,400,1k",
        "--out",
        out,
        "--db",
        db,
    )
    assert result.exit_code == 0, result.output
    curve = pd.read_csv(out)
    assert curve["budget"].tolist() == [0.0, 400.0, 1000.0]
    # 300 buys the cut: gas_a down 1 week loses 1,000, as much as gas_b or fab down: the
    # worst site is then at 1,000 whatever else is bought, and the cheapest plan is kept.
    assert curve["value"].tolist() == pytest.approx([4000.0, 1000.0, 1000.0])
    assert curve["actions"].fillna("").tolist() == ["", "fast", "fast"]
    choices = pd.read_csv(tmp_path / "curve-choices.csv")
    assert choices["action"].tolist() == ["fast", "fast"]
    with ResultsStore(db) as store:
        run_id = store.runs("plan")["run_id"].iloc[0]
        assert set(store.run(run_id).table_names) == {"curve", "choices", "plan_actions"}
    report = tmp_path / "plan.html"
    result = run("report", run_id, "--db", db, "--network", folder, "--out", report)
    assert result.exit_code == 0, result.output
    assert "Trade-off" in report.read_text(encoding="utf-8")
    exposed = run("plan", folder, actions, "--measure", "exposed", "--budget", "600", "--no-save")
    assert exposed.exit_code == 0, exposed.output
    assert "sites with TTR > TTS" in exposed.stdout


def test_plan_bad_input(run, folder: Path, tmp_path: Path) -> None:
    actions = _file(tmp_path, "actions.yaml", ACTIONS)
    assert (
        run("plan", folder, actions, "--budget", "1", "--budgets", "1,2", "--no-save").exit_code
        == 2
    )
    assert run("plan", folder, actions, "--no-save").exit_code == 2
    assert run("plan", folder, actions, "--measure", "median", "--budget", "1").exit_code == 2
    assert run("plan", folder, actions, "--budget", "1", "--out", tmp_path / "c.txt").exit_code == 2
    lots = run("plan", folder, actions, "--budget", "lots", "--no-save")
    assert lots.exit_code == 1 and "not an amount" in lots.output
    bad = _file(
        tmp_path,
        "bad.yaml",
        "actions:\n  - {id: x, edit: {type: remove_site, node: fab}, cost: 1}\n",
    )
    result = run("plan", folder, bad, "--budget", "1", "--no-save")
    assert result.exit_code == 1 and "actions[0] (x)" in result.output
    assert run("plan", folder, tmp_path / "none.yaml", "--budget", "1", "--no-save").exit_code == 1


def test_contingency_command(run, folder: Path, tmp_path: Path) -> None:
    known = run("contingency", folder, "--disrupt", "gas_a", "--duration", "4")
    assert known.exit_code == 0, known.output
    assert "Expected lost profit: 4,000 USD" in known.stdout
    out = tmp_path / "plan"
    result = run("contingency", folder, "-d", "gas_a=0.5", "--ttr", "2:0.5,4:0.5", "--out", out)
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {
        "scenarios.csv",
        "segments.csv",
        "production.csv",
        "shipments.csv",
        "inventory.csv",
        "lost.csv",
        "lost_by_period.csv",
    }
    assert len(pd.read_csv(out / "scenarios.csv")) == 2
    assert run("contingency", folder, "-d", "gas_a").exit_code == 2
    assert (
        run("contingency", folder, "-d", "gas_a", "--duration", "2", "--ttr", "2:1").exit_code == 2
    )
    assert run("contingency", folder, "--duration", "2").exit_code == 2
    bad = run("contingency", folder, "-d", "gas_a", "--ttr", "2:0.3")
    assert bad.exit_code == 1 and "add up to 1" in bad.output
    assert run("contingency", folder, "-d", "ghost", "--duration", "2").exit_code == 1

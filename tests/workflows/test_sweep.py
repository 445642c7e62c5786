"""The sweep workflow: columns, ranking, metrics, durations, workers, errors.

Hand-computed values on the tiny network (fab needs 2 photoresist and 10 water per
wafer, demand 80/week, margin 50, stock 20; resist_a 200/week needing 0.5 neon from gas,
resist_b 150/week with 30 in stock; TTRs: resist_a 2, resist_b 3, water 1, gas 6, fab 4):

* water down 1 week: no water, no wafers; the fab sells its 20 of 80: 60 x 50 = 3000.
  TTS 20/80 = 0.25.
* gas down 6 weeks: no neon, so no resist_a; resist_b's 900 + 30 litres make 465 wafers,
  + 20 in stock = 485 >= 480: nothing lost. TTS: 80t - 20 <= 75t + 15, t = 7.
* resist_a down 2 weeks: the same supply as gas down: 2 weeks need 160 <= 185. TTS 7.
* resist_b down 3 weeks: resist_a's 200/week make 100 wafers/week >= 80: TTS inf.
* fab down 4 weeks (a product, with ``include_products``): 20 of 320: 300 x 50 = 15000;
  TTS 0.25.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chipstress import InvalidInput, Network
from chipstress.engine import RegionalSolver, SolveStatus, impact, time_to_survive
from chipstress.executors import ProcessExecutor
from chipstress.model.generate import generate_network
from chipstress.workflows import SWEEP_COLUMNS, read_durations, sweep
from chipstress.workflows.runner import Runner

ALL_COLUMNS = [
    "node",
    "duration",
    "lost_profit",
    "tts",
    "status",
    "baseline_lost_profit",
    "status_detail",
    "risk_exposure_index",
    "lost_profit_log10",
    "ttr_minus_tts",
    "exposed",
    "name",
    "kind",
    "cluster",
]
INF = math.inf


@pytest.fixture(scope="module")
def small_result(small: Network, small_json: Path) -> pd.DataFrame:
    return sweep(
        small, durations=read_durations(str(small_json.parent / "small-durations.csv"))
    ).table


# --------------------------------------------------------------------------- shape
def test_columns(small_result: pd.DataFrame) -> None:
    assert SWEEP_COLUMNS == ["node", "duration", "lost_profit", "tts", "status"]
    assert list(small_result.columns[:5]) == SWEEP_COLUMNS
    assert list(small_result.columns) == ALL_COLUMNS
    assert len(small_result) == 30 and small_result["node"].is_unique


def test_tiny_sweep_hand_computed(tiny: Network) -> None:
    result = sweep(tiny).table
    # Worst risk first, then the shortest TTS, then the node id.
    assert result["node"].tolist() == ["water", "gas", "resist_a", "resist_b"]
    assert result["duration"].tolist() == [1.0, 6.0, 2.0, 3.0]
    np.testing.assert_allclose(result["lost_profit"], [3000, 0, 0, 0], atol=1e-9)
    np.testing.assert_allclose(result["tts"], [0.25, 7, 7, INF], rtol=1e-9)
    np.testing.assert_allclose(result["baseline_lost_profit"], [0, 0, 0, 0], atol=1e-9)
    np.testing.assert_allclose(result["risk_exposure_index"], [1, 0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(result["ttr_minus_tts"], [0.75, -1, -5, -INF], rtol=1e-9)
    assert result["exposed"].tolist() == [True, False, False, False]
    assert result["status"].tolist() == ["optimal"] * 4
    assert result["kind"].tolist() == ["utility", "supplier", "supplier", "supplier"]
    assert result["cluster"].tolist() == ["tainan", "kumamoto", "kumamoto", "arizona"]
    assert result["name"].tolist() == ["Water district", "Gas plant", "Resist A", "Resist B"]


def test_risk_exposure_index(small_result: pd.DataFrame) -> None:
    index = small_result["risk_exposure_index"]
    assert ((index >= 0) & (index <= 1)).all()
    assert index.max() == 1.0
    worst = small_result.loc[index.idxmax()]
    assert worst["node"] == "T2_10"  # 1808.07, the largest lost profit of small-expected.csv
    expected = small_result["lost_profit"] / small_result["lost_profit"].max()
    np.testing.assert_allclose(index, expected, rtol=1e-12)
    assert index.is_monotonic_decreasing  # ranked


def test_exposure_and_gap(small_result: pd.DataFrame) -> None:
    assert (small_result["exposed"] == (small_result["duration"] > small_result["tts"])).all()
    np.testing.assert_allclose(
        small_result["ttr_minus_tts"], small_result["duration"] - small_result["tts"]
    )
    assert small_result["exposed"].sum() == (small_result["lost_profit"] > 0).sum() == 11


def test_no_loss_within_tts(small_result: pd.DataFrame, tiny: Network) -> None:
    for result in (small_result, sweep(tiny, durations=5.0, include_products=True).table):
        safe = result["duration"] <= result["tts"]
        assert safe.any()
        assert (result.loc[safe, "lost_profit"] == 0).all()


def test_risk_exposure_counts_only_the_loss_the_node_causes(tiny: Network) -> None:
    """Demand 120/week is more than the fab can make (100/week), so it loses sales even
    undisrupted: over 2 weeks 200 made + 20 in stock of 240: 20 x 50 = 1000, the baseline.
    TTS undisrupted: 120t - 20 <= 100t, t = 1.

    * water down: 20 sold of 240: 11000 (10000 more than the baseline); TTS 20/120 = 1/6.
    * gas or resist_a down: resist_b's 300 + 30 litres make 165 wafers, + 20 = 185 of 240:
      2750 (1750 more); TTS: 120t - 20 <= 75t + 15, t = 7/9.
    * resist_b down: resist_a alone feeds 100 wafers/week, the fab's limit anyway: 1000,
      nothing more; TTS 1.

    The index ranks what each node adds: water 1, gas and resist_a 1750/10000, resist_b 0.
    """
    short = tiny.with_demand({"fab": 120.0})
    result = sweep(short, durations=2.0).table.set_index("node")
    assert impact(short, {}, 2.0).lost_profit == pytest.approx(1000.0)
    np.testing.assert_allclose(result["baseline_lost_profit"], 1000.0)
    expected = pd.DataFrame(
        {
            "lost_profit": [11000.0, 2750.0, 2750.0, 1000.0],
            "tts": [1 / 6, 7 / 9, 7 / 9, 1.0],
            "risk_exposure_index": [1.0, 0.175, 0.175, 0.0],
        },
        index=pd.Index(["water", "gas", "resist_a", "resist_b"], name="node"),
    )
    pd.testing.assert_frame_equal(result[expected.columns], expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("short", [False, True])
def test_sweep_agrees_with_the_whole_program(short: bool) -> None:
    """Every node of a generated network (products too), one duration for all; with
    ``short`` the demand (x 2.5) is beyond what the network can make, so it loses sales
    even undisrupted once its stocks run out (after 1.29 periods)."""
    network = generate_network(60, 3, seed=7)
    if short:
        demand = network.nodes.set_index("id")["demand"].dropna()
        network = network.with_demand((demand * 2.5).to_dict())
    result = sweep(network, durations=2.5, include_products=True).table.set_index("node")
    assert len(result) == 60 and (result["status"] == "optimal").all()
    baseline = impact(network, {}, 2.5).lost_profit
    assert (baseline > 0) == short
    np.testing.assert_allclose(result["baseline_lost_profit"], baseline, rtol=1e-9)
    for node in result.index:
        loss = impact(network, {node: 1.0}, 2.5).lost_profit
        tts = time_to_survive(network, {node: 1.0}).tts
        assert result.loc[node, "lost_profit"] == pytest.approx(loss, rel=1e-6, abs=1e-6), node
        assert result.loc[node, "tts"] == pytest.approx(tts, rel=1e-6, abs=1e-9), node
    if short:
        undisrupted = time_to_survive(network).tts
        assert undisrupted == pytest.approx(1.2917795844625113, rel=1e-9)
        assert (result["tts"] <= undisrupted * (1 + 1e-9)).all() and result["exposed"].all()
    else:
        assert np.isinf(result["tts"]).any() and (result["lost_profit"] > 0).any()


# --------------------------------------------------------------------------- metrics
def test_metrics(small: Network, small_result: pd.DataFrame) -> None:
    durations = small_result.set_index("node")["duration"]
    both = small_result.set_index("node").sort_index()
    ttr = sweep(small, durations=durations, metric="ttr").table.set_index("node").sort_index()
    tts = sweep(small, durations=durations, metric="tts").table.set_index("node").sort_index()
    assert list(ttr.reset_index().columns) == ALL_COLUMNS
    assert ttr["tts"].isna().all() and tts["lost_profit"].isna().all()
    np.testing.assert_allclose(ttr["lost_profit"], both["lost_profit"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(tts["tts"], both["tts"], rtol=1e-12)
    assert (ttr["status"] == "optimal").all() and (tts["status"] == "optimal").all()
    np.testing.assert_allclose(ttr["risk_exposure_index"], both["risk_exposure_index"], atol=1e-9)
    assert tts["risk_exposure_index"].isna().all()
    assert not ttr["exposed"].any()  # no TTS computed: nothing is flagged


def test_bad_metric(tiny: Network) -> None:
    with pytest.raises(InvalidInput, match="metric must be one of both, ttr, tts"):
        sweep(tiny, metric="TTR+")


# --------------------------------------------------------------------------- durations
def test_durations_none_uses_each_nodes_ttr(tiny: Network) -> None:
    result = sweep(tiny).table.set_index("node")
    ttr = tiny.nodes.set_index("id")["ttr"]
    for node in result.index:
        assert result.loc[node, "duration"] == ttr[node]
        assert result.loc[node, "lost_profit"] == pytest.approx(
            impact(tiny, {node: 1.0}, float(ttr[node])).lost_profit, abs=1e-9
        )
        assert result.loc[node, "tts"] == time_to_survive(tiny, {node: 1.0}).tts


def test_scalar_duration(tiny: Network) -> None:
    """Everything down 2 weeks: only water loses (160 - 20 = 140 wafers x 50 = 7000)."""
    result = sweep(tiny, durations=2.0).table.set_index("node")
    assert (result["duration"] == 2.0).all()
    assert result["lost_profit"].to_dict() == pytest.approx(
        {"water": 7000.0, "gas": 0.0, "resist_a": 0.0, "resist_b": 0.0}, abs=1e-9
    )


def test_mapping_durations(tiny: Network) -> None:
    """The mapping names the nodes: water half a week (40 - 20 = 20 lost: 1000); gas 10
    weeks (765 + 20 = 785 of 800 wafers: 15 x 50 = 750)."""
    result = sweep(tiny, durations={"water": 0.5, "gas": 10}).table.set_index("node")
    assert sorted(result.index) == ["gas", "water"]
    assert result.loc["water", "lost_profit"] == pytest.approx(1000.0)
    assert result.loc["gas", "lost_profit"] == pytest.approx(750.0)
    assert result.loc["gas", "exposed"]  # 10 > TTS 7
    # With nodes given, the mapping only sets durations; others keep their own TTR.
    result = sweep(tiny, nodes=["water", "gas"], durations=pd.Series({"water": 0.5})).table
    assert result.set_index("node")["duration"].to_dict() == {"water": 0.5, "gas": 6.0}


def test_include_products(tiny: Network) -> None:
    result = sweep(tiny, include_products=True).table.set_index("node")
    assert sorted(result.index) == ["fab", "gas", "resist_a", "resist_b", "water"]
    assert result.loc["fab", "lost_profit"] == pytest.approx(15000.0)
    assert result.loc["fab", "tts"] == pytest.approx(0.25)
    assert result.loc["fab", "risk_exposure_index"] == 1.0
    assert result.loc["water", "risk_exposure_index"] == pytest.approx(0.2)
    assert "fab" not in sweep(tiny).table["node"].tolist()


def test_nodes_without_duration(small: Network) -> None:
    """small.json has no TTRs: without durations the TTS is still computed."""
    result = sweep(small, nodes=["T2_1", "T2_2"], durations={"T2_1": 4.0}).table.set_index("node")
    assert result.loc["T2_2", "status"] == "no_duration"
    assert math.isnan(result.loc["T2_2", "lost_profit"])
    assert math.isnan(result.loc["T2_2", "duration"])
    assert result.loc["T2_2", "tts"] == pytest.approx(5.520097442143727, rel=1e-9)
    assert result.loc["T2_1", "status"] == "optimal"
    everything = sweep(small).table
    assert (everything["status"] == "no_duration").all() and len(everything) == 30
    assert everything["tts"].notna().all()
    assert everything["risk_exposure_index"].isna().all()


def test_zero_duration_loses_nothing(tiny: Network) -> None:
    for integer in (False, True):
        result = sweep(tiny, durations=0.0, integer=integer).table
        assert (result["status"] == "optimal").all()
        assert (result["lost_profit"] == 0.0).all()
        assert not result["exposed"].any()


def test_empty_sweep_keeps_the_columns(tiny: Network) -> None:
    result = sweep(tiny, nodes=[]).table
    assert len(result) == 0 and list(result.columns) == ALL_COLUMNS


def test_bad_durations(tiny: Network) -> None:
    with pytest.raises(InvalidInput, match="durations must be finite numbers of periods >= 0"):
        sweep(tiny, durations=-1.0)
    with pytest.raises(InvalidInput, match="bad for water"):
        sweep(tiny, durations={"water": math.inf})
    with pytest.raises(InvalidInput, match="unknown node id 'nowhere'"):
        sweep(tiny, durations={"nowhere": 2.0})
    with pytest.raises(InvalidInput, match="unknown node id 'nowhere'"):
        sweep(tiny, nodes=["nowhere"])


def test_integer_sweep_matches_where_optima_are_whole(tiny: Network) -> None:
    lp = sweep(tiny).table
    whole = sweep(tiny, integer=True).table
    pd.testing.assert_frame_equal(lp, whole, rtol=1e-7, atol=1e-7)


def test_progress_is_reported(tiny: Network) -> None:
    calls: list[tuple[int, int]] = []
    sweep(tiny, runner=Runner(progress=lambda done, total: calls.append((done, total))))
    assert calls and calls[-1] == (4, 4)
    assert all(total == 4 for _, total in calls)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


# --------------------------------------------------------------------------- workers
def test_same_output_for_any_number_of_workers(small: Network, small_result: pd.DataFrame) -> None:
    durations = small_result.set_index("node")["duration"]
    one = sweep(small, durations=durations, runner=Runner(workers=1)).table
    pd.testing.assert_frame_equal(one, small_result)
    two = sweep(small, durations=durations, runner=Runner(executor=ProcessExecutor(2))).table
    pd.testing.assert_frame_equal(one, two, check_exact=True)


def test_same_output_with_two_worker_processes() -> None:
    """Enough nodes (>= 64) that ``workers=2`` really runs two processes."""
    network = generate_network(90, 3, seed=11)
    one = sweep(network, durations=3.0, runner=Runner(workers=1)).table
    two = sweep(network, durations=3.0, runner=Runner(workers=2)).table
    assert len(one) == 87
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    assert (one["lost_profit"] > 0).any()


# --------------------------------------------------------------------------- a failing scenario
def test_a_scenario_that_raises_becomes_a_status(
    tiny: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = RegionalSolver.time_to_survive

    def flaky(self: RegionalSolver, alpha: np.ndarray):
        if alpha[tiny.index.positions(["gas"])[0]] > 0:
            raise RuntimeError("solver fell over")
        return original(self, alpha)

    monkeypatch.setattr(RegionalSolver, "time_to_survive", flaky)
    result = sweep(tiny).table.set_index("node")
    assert result.loc["gas", "status"] == "error"
    assert result.loc["gas", "status_detail"] == "RuntimeError: solver fell over"
    assert math.isnan(result.loc["gas", "lost_profit"]) and math.isnan(result.loc["gas", "tts"])
    others = result.drop(index="gas")
    assert (others["status"] == "optimal").all()
    assert others.loc["water", "lost_profit"] == pytest.approx(3000.0)
    assert result.index[-1] == "gas"  # NaN index: ranked last
    assert (others["status_detail"] == "").all()


def test_status_columns_hold_only_solve_statuses(small: Network, tiny: Network) -> None:
    """Statuses are :class:`SolveStatus` values, never prose; details go beside them."""
    values = {s.value for s in SolveStatus}
    for table in (
        sweep(small, nodes=["T2_1", "T2_2"], durations={"T2_1": 4.0}).table,
        sweep(tiny, integer=True).table,
        sweep(tiny, metric="tts").table,
    ):
        assert set(table["status"]) <= values
        assert "status_detail" in table.columns


# --------------------------------------------------------------------------- read_durations
def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "durations.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_read_durations(tmp_path: Path, small_json: Path) -> None:
    series = read_durations(write(tmp_path, "node,duration\n a ,1.5\nb, 2\nc,0\n"))
    assert series.to_dict() == {"a": 1.5, "b": 2.0, "c": 0.0}
    assert series.name == "duration"
    fixture = read_durations(str(small_json.parent / "small-durations.csv"))
    assert len(fixture) == 30 and fixture["T2_1"] == 4.0
    # Extra columns are fine, in any order.
    assert read_durations(write(tmp_path, "duration,note,node\n3,x,a\n")).to_dict() == {"a": 3.0}


def test_read_durations_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(InvalidInput, match=f"{missing}: no such file"):
        read_durations(str(missing))


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        ("node,ttr\na,1\n", ["missing column(s) duration (need node,duration)"]),
        ("id,ttr\na,1\n", ["missing column(s) node, duration"]),
        ("", ["not a readable CSV file"]),
        (
            "node,duration\na,1\nb,soon\nc,-2\nd,\ne,inf\n",
            [
                "4 problem(s)",
                "row 2, field 'duration': 'soon' is not a number of periods >= 0",
                "row 3, field 'duration': '-2' is not",
                "row 4, field 'duration': '' is not",
                "row 5, field 'duration': 'inf' is not",
            ],
        ),
        (
            "node,duration\na,1\nb,2\na,3\n b,4\n",
            [
                "2 problem(s)",
                "row 3, field 'node': duplicate node 'a'",
                "row 4, field 'node': duplicate node 'b'",
            ],
        ),
        ("node,duration\na,1\n ,2\n", ["1 problem(s)", "row 2, field 'node': node is empty"]),
    ],
)
def test_read_durations_errors(tmp_path: Path, text: str, messages: list[str]) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InvalidInput) as error:
        read_durations(path)
    assert str(error.value).startswith(path)
    for message in messages:
        assert message in str(error.value)

"""Figure builders: the offline basemap, the site map, TTR/TTS, exceedance, tables, tiers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from chipstress import Network, load_builtin
from chipstress.errors import InvalidInput
from chipstress.interfaces import figures as figs
from chipstress.interfaces.figures import basemap
from chipstress.interfaces.figures.basemap import Window
from chipstress.workflows import sweep
from chipstress.workflows.runner import Runner


@pytest.fixture(scope="module")
def tri() -> Network:
    return load_builtin("tri-cluster")


@pytest.fixture(scope="module")
def tri_sweep(tri: Network) -> pd.DataFrame:
    return sweep(tri, include_products=True, runner=Runner(workers=1)).table


def traces(fig, name: str) -> list:
    return [t for t in fig.data if t.name == name]


def segments(x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """Runs of points of a NaN-separated trace."""
    pts = np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
    breaks = np.flatnonzero(np.isnan(pts[:, 0]))
    out, start = [], 0
    for stop in [*breaks, len(pts)]:
        if stop > start:
            out.append(pts[start:stop])
        start = stop + 1
    return out


# ------------------------------------------------------------------ basemap
@pytest.mark.parametrize("resolution", ["c", "l"])
def test_taiwan_outline_is_where_taiwan_is(resolution: str) -> None:
    outlines = basemap.read_outlines("gshhs", resolution)
    taiwan = [
        o
        for o in outlines
        if o.level == 1
        and o.area > 30_000
        and o.points[:, 0].min() >= 119.9
        and o.points[:, 0].max() <= 122.1
        and o.points[:, 1].min() >= 21.8
        and o.points[:, 1].max() <= 25.4
    ]
    assert len(taiwan) == 1
    points = taiwan[0].points
    # The island reaches from Eluanbi (~21.9° N) to Fuguijiao (~25.3° N).
    assert points[:, 1].min() < 22.1 and points[:, 1].max() > 25.2
    assert points[:, 0].min() < 120.2 and points[:, 0].max() > 121.8


def test_outline_files_parse_and_are_cached() -> None:
    coast = basemap.read_outlines("gshhs", "c")
    assert basemap.read_outlines("gshhs", "c") is coast
    assert {o.level for o in coast} >= {1, 2}
    assert all(o.points.shape[1] == 2 and not o.points.flags.writeable for o in coast)
    everything = np.vstack([o.points for o in coast])
    assert everything[:, 0].min() >= -180 and everything[:, 0].max() <= 180
    assert everything[:, 1].min() >= -90 and everything[:, 1].max() <= 90
    kyushu = [
        o
        for o in coast
        if o.level == 1 and o.area > 30_000 and o.west > 129 and o.east < 132.2 and o.north < 34
    ]
    assert len(kyushu) == 1 and kyushu[0].south == pytest.approx(31.0, abs=0.05)
    borders = basemap.read_outlines("countries", "c")
    assert len(borders) > 100 and all(o.level == -1 for o in borders)
    with pytest.raises(InvalidInput, match="no basemap outlines"):
        basemap.read_outlines("rivers", "c")


def test_clip_polygon_keeps_the_part_inside() -> None:
    square = np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]])
    clipped = basemap.clip_polygon(square, Window(1.0, 3.0, 1.0, 3.0))
    x, y = clipped[:, 0], clipped[:, 1]
    area = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    assert area == pytest.approx(1.0)
    assert x.min() == 1.0 and y.min() == 1.0 and x.max() == 2.0 and y.max() == 2.0
    assert len(basemap.clip_polygon(square, Window(5, 6, 5, 6))) == 0
    assert len(basemap.clip_polygon(square, Window(-1, 3, -1, 3))) == 4


def test_land_and_coast_across_the_dateline() -> None:
    window = Window(160.0, 200.0, 50.0, 72.0)  # Chukotka and Alaska, unwrapped
    (land_x, _), _ = basemap.land(window, "c")
    assert land_x.dtype == np.float32 and np.isnan(land_x).any()
    finite = land_x[np.isfinite(land_x)]
    assert finite.min() >= 160 and finite.max() <= 200 and (finite > 190).any()
    coast_x, coast_y = basemap.coastlines(window, "c")
    for run in segments(coast_x, coast_y):
        # No seam at 180° (where GSHHS splits Eurasia) and no cut along the window edge.
        on_seam = np.abs(run[:, 0] - 180.0) < 1e-3
        assert not (on_seam[:-1] & on_seam[1:]).any()
        on_edge = np.abs(run[:, 1] - 72.0) < 1e-3
        assert not (on_edge[:-1] & on_edge[1:]).any()
    assert basemap.coastlines(window, "c") is basemap.coastlines(window, "c")


# ------------------------------------------------------------------ site map
def test_site_map_colours_and_sizes_sites_by_value(tri: Network, tri_sweep: pd.DataFrame) -> None:
    index = tri_sweep.set_index("node")["risk_exposure_index"]
    fig = figs.site_map(tri, index, value_label="risk exposure index")
    assert {"land", "lakes", "borders", "coastline", "states", "sites"} <= {
        t.name for t in fig.data
    }
    assert not any(
        t.type.startswith("scattergeo") or t.type.startswith("scattermap") for t in fig.data
    )
    assert "geo" not in fig.to_plotly_json()["layout"]
    overview = [
        t for t in fig.data if t.name in ("sites", "sites without value") and t.xaxis == "x"
    ]
    shown = {c[0] for t in overview for c in t.customdata}
    assert shown == set(tri.nodes["id"])  # every site is located and on the overview
    coloured = traces(fig, "sites")[0]
    ids = [c[0] for c in coloured.customdata]
    values = index.reindex(ids).to_numpy()
    assert (values > 0).all()
    colours = np.asarray(coloured.marker.color, dtype=float)
    order = np.argsort(values)
    assert np.all(np.diff(colours[order]) >= -1e-9)  # larger value, further up the scale
    assert np.all(np.diff(np.asarray(coloured.marker.size)[order]) >= -1e-9)
    assert coloured.marker.coloraxis == "coloraxis"
    grey = traces(fig, "sites without value")[0]
    assert (index.reindex([c[0] for c in grey.customdata]).fillna(0) <= 0).all()
    assert grey.marker.color == "#9aa3ad"
    assert fig.layout.coloraxis.colorbar.title.text == "risk exposure index"
    assert "risk exposure index" in coloured.hovertext[0]


def test_site_map_overview_is_pacific_centred_with_cluster_panels(tri: Network) -> None:
    fig = figs.site_map(tri)
    regions = figs.find_regions(tri.nodes)
    assert len(regions) == 3
    titles = " | ".join(r.title for r in regions)
    for word in ("Taiwan", "kaohsiung", "kumamoto", "arizona"):
        assert word in titles
    nodes = tri.nodes.set_index("id")
    for region in regions:
        cluster = next(c for c in ("kaohsiung", "kumamoto", "arizona") if c in region.title)
        members = nodes[nodes["cluster"] == cluster]
        w = region.window
        lon = np.where(members["lon"] < 0, members["lon"] + 360, members["lon"])
        assert ((lon >= w.west) & (lon <= w.east)).all()
        assert ((members["lat"] >= w.south) & (members["lat"] <= w.north)).all()
    # Longitudes are unwrapped so Arizona sits east of Japan on the overview.
    overview = [
        t for t in fig.data if t.name in ("sites", "sites without value") and t.xaxis == "x"
    ]
    where = {c[0]: x for t in overview for c, x in zip(t.customdata, t.x, strict=True)}
    assert where["tsmc_fab21_az"] == pytest.approx(-112.16 + 360)
    assert where["jasm_fab1"] == pytest.approx(130.85)
    ticks = dict(zip(fig.layout.xaxis.tickvals, fig.layout.xaxis.ticktext, strict=True))
    assert ticks[240.0] == "120°W" and ticks[120.0] == "120°E"
    assert fig.layout.yaxis.scaleanchor == "x"
    panel_axes = {t.xaxis for t in traces(fig, "sites without value")}
    assert panel_axes == {"x", "x2", "x3", "x4"}


def test_site_map_explicit_regions_and_unlocated_networks(tri: Network, small: Network) -> None:
    region = figs.Region("Phoenix", Window(-113.0, -111.0, 33.0, 34.5))
    fig = figs.site_map(tri, regions=[region], title="custom")
    assert fig.layout.title.text == "custom"
    assert list(fig.layout.xaxis2.range) == [247.0, 249.0]  # moved into the overview's range
    empty = figs.site_map(small, {"T2_1": 1.0})
    assert "nothing to map" in empty.layout.annotations[0].text
    assert (
        "30 site(s) without coordinates" in empty.layout.title.text
        or "site(s)" in empty.layout.title.text
    )


def test_site_map_without_panels_and_log_scale_choice(tiny: Network) -> None:
    fig = figs.site_map(tiny, {"water": 5.0, "gas": 50.0, "resist_a": 0.0}, panels=0)
    assert {t.xaxis for t in fig.data if t.name == "sites"} == {"x"}
    assert fig.layout.coloraxis.cmax == 50.0  # a linear scale below 100× spread
    hover = " ".join(h for t in traces(fig, "sites") for h in t.hovertext)
    assert "晶圓十八廠" not in hover  # fab has no value: drawn grey
    grey = " ".join(traces(fig, "sites without value")[0].hovertext)
    assert "晶圓十八廠" in grey and "n/a" in grey and "レジストA" in grey
    log = figs.site_map(tiny, {"water": 1.0, "gas": 5000.0}, panels=0)
    assert log.layout.coloraxis.cmax == pytest.approx(math.log10(5000.0))
    assert log.layout.coloraxis.colorbar.ticktext[-1] == "1k"


# ------------------------------------------------------------------ TTR vs TTS
def scatter_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "node": ["a", "b", "c", "d", "e", "f"],
            "name": ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta"],
            "duration": [4.0, 1.0, 2.0, 1.0, 12.0, np.nan],
            "tts": [2.0, np.inf, 8.0, np.inf, 0.5, 3.0],
            "lost_profit": [1000.0, 0.0, 0.0, 0.0, 50_000.0, np.nan],
            "risk_exposure_index": [0.02, 0.0, 0.0, 0.0, 1.0, np.nan],
            "exposed": [True, False, False, False, True, False],
            "status": ["optimal"] * 5 + ["no_duration"],
        }
    )


def test_ttr_tts_scatter_marks_the_exposure_zone_and_caps_infinity() -> None:
    fig = figs.ttr_tts_scatter(scatter_table(), period="week", currency="USD")
    zone = traces(fig, "exposed: TTR > TTS")[0]
    assert zone.fill == "toself"
    assert all(y <= x + 1e-12 for x, y in zip(zone.x, zone.y, strict=True))  # below the diagonal
    diagonal = traces(fig, "TTR = TTS")[0]
    assert list(diagonal.x) == list(diagonal.y)
    cap = fig.layout.meta["tts_cap"]
    assert cap > 12.0 and fig.layout.meta["log"] is True
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    nodes = traces(fig, "nodes")[0]
    points = {c[0]: (x, y) for c, x, y in zip(nodes.customdata, nodes.x, nodes.y, strict=True)}
    assert "f" not in points  # no duration: left out, and said so
    assert "1 node(s) without both figures" in fig.layout.title.text
    assert points["a"] == (4.0, 2.0) and points["e"] == (12.0, 0.5)
    # b and d (TTR 1, TTS = ∞) share one marker on the cap, labelled ∞.
    on_cap = [k for k, (_, y) in points.items() if y == cap]
    assert len(on_cap) == 1 and on_cap[0] in ("b", "d")
    hover = dict(zip([c[0] for c in nodes.customdata], nodes.hovertext, strict=True))
    assert "2 nodes" in hover[on_cap[0]] and "forever" in hover[on_cap[0]]
    assert "Alpha" in hover["a"] and "1,000 USD" in hover["a"] and "4.00 weeks" in hover["a"]
    ticks = dict(zip(fig.layout.yaxis.tickvals, fig.layout.yaxis.ticktext, strict=True))
    assert ticks[cap] == "∞"
    assert traces(fig, "TTS = ∞")[0].y == (cap, cap)
    colours = dict(zip([c[0] for c in nodes.customdata], nodes.marker.color, strict=True))
    assert colours["e"] == pytest.approx(1.0) and colours["a"] == pytest.approx(0.02)
    assert fig.layout.coloraxis.cmax == pytest.approx(1.0)  # linear below a 100× spread
    assert colours["c"] == "#9aa3ad"  # no loss: grey
    symbols = dict(zip([c[0] for c in nodes.customdata], nodes.marker.symbol, strict=True))
    assert symbols["a"] == "circle" and symbols["c"] == "circle-open"


def test_ttr_tts_scatter_linear_axes_and_zero_tts() -> None:
    table = (
        scatter_table().iloc[:4].assign(duration=[2.0, 1.0, 3.0, 2.0], tts=[1.0, np.inf, 4.0, 0.0])
    )
    fig = figs.ttr_tts_scatter(table)
    assert fig.layout.xaxis.type in (None, "linear") and fig.layout.meta["log"] is False
    assert fig.layout.yaxis.ticktext[-1] == "∞"
    logged = scatter_table().assign(tts=[2.0, np.inf, 8.0, 0.0, 0.5, 3.0])
    fig = figs.ttr_tts_scatter(logged)
    floor = fig.layout.meta["tts_floor"]
    ticks = dict(zip(fig.layout.yaxis.tickvals, fig.layout.yaxis.ticktext, strict=True))
    assert ticks[floor] == "0"
    nodes = traces(fig, "nodes")[0]
    assert dict(zip([c[0] for c in nodes.customdata], nodes.y, strict=True))["d"] == pytest.approx(
        floor
    )
    empty = figs.ttr_tts_scatter(scatter_table().iloc[5:])
    assert "No node has both" in empty.layout.annotations[0].text


# ------------------------------------------------------------------ exceedance
def test_exceedance_points_from_years_and_from_tables() -> None:
    years = pd.DataFrame({"year": range(1, 6), "loss": [0.0, 10.0, 30.0, 20.0, np.inf]})
    points = figs.exceedance_points(years)
    assert points["loss"].tolist() == [0.0, 10.0, 20.0, 30.0]  # infinite losses dropped
    assert points["probability"].tolist() == pytest.approx([0.8, 0.6, 0.4, 0.2])
    assert points["return_period"].iloc[-1] == pytest.approx(5.0)
    table = pd.DataFrame(
        {
            "return_period": [2, 10, 100],
            "exceedance_probability": [0.5, 0.1, 0.01],
            "loss": [1.0, 5.0, 9.0],
        }
    )
    assert figs.exceedance_points(table)["probability"].tolist() == [0.5, 0.1, 0.01]
    periods_only = figs.exceedance_points(table.drop(columns="exceedance_probability"))
    assert periods_only["probability"].tolist() == pytest.approx([0.5, 0.1, 0.01])
    with pytest.raises(ValueError, match="loss"):
        figs.exceedance_points(pd.DataFrame({"x": [1]}))


def test_exceedance_curve_draws_var_lines() -> None:
    table = pd.DataFrame(
        {
            "return_period": [2, 10, 100],
            "exceedance_probability": [0.5, 0.1, 0.01],
            "loss": [1e6, 5e7, 9e8],
        }
    )
    years = pd.DataFrame({"loss": np.linspace(0, 1e9, 200)})
    summary = {
        "expected_annual_loss": 2e7,
        "var_95": 4e8,
        "cvar_95": 6e8,
        "var_99": 8e8,
        "cvar_99": float("inf"),
    }
    fig = figs.exceedance_curve(table, years=years, summary=summary, currency="USD")
    names = [t.name for t in fig.data]
    assert names[:2] == ["every simulated year", "loss exceedance"]
    assert "VaR 95%: 400M USD" in names and "VaR 99%: 800M USD" in names
    assert "expected annual loss: 20M USD" in names
    assert not any(n.startswith("CVaR 99%") for n in names)  # infinite: not drawn
    assert fig.layout.xaxis.type == "log"
    curve = traces(fig, "loss exceedance")[0]
    assert list(curve.x) == [100.0, 10.0, 2.0][::-1] or sorted(curve.x) == [2.0, 10.0, 100.0]


def test_contributions_bar_top_and_rest() -> None:
    table = pd.DataFrame({"hazard": list("abcdef"), "eal": [1.0, 6.0, 3.0, 2.0, 5.0, 4.0]})
    fig = figs.contributions_bar(table, top=3, currency="USD")
    bar = fig.data[0]
    assert list(bar.y) == ["3 others", "f", "e", "b"]
    assert list(bar.x) == [6.0, 4.0, 5.0, 6.0]
    assert fig.layout.xaxis.title.text == "expected annual loss (USD)"
    assert "Nothing to show" in figs.contributions_bar(pd.DataFrame()).layout.annotations[0].text


# ------------------------------------------------------------------ tables
def test_ranked_risks_orders_worst_first(tri_sweep: pd.DataFrame) -> None:
    ranked = figs.ranked_risks(tri_sweep.sample(frac=1.0, random_state=3))
    assert list(ranked.columns) == figs.RANKED_COLUMNS
    assert ranked["rank"].tolist() == list(range(1, len(tri_sweep) + 1))
    assert ranked["node"].iloc[0] == tri_sweep["node"].iloc[0] == "asml_veldhoven"
    assert ranked["risk_exposure_index"].is_monotonic_decreasing
    top = figs.ranked_risks(tri_sweep, top=5)
    assert len(top) == 5 and top["ttr"].tolist() == tri_sweep["duration"].head(5).tolist()


def test_cluster_summary_adds_up(tri: Network, tri_sweep: pd.DataFrame) -> None:
    summary = figs.cluster_summary(tri, tri_sweep).set_index("cluster")
    assert {"kaohsiung", "kumamoto", "arizona", "hsinchu"} <= set(summary.index)
    assert summary["sites"].sum() == tri.n_nodes
    assert summary.loc["kumamoto", "sites"] == int((tri.nodes["cluster"] == "kumamoto").sum())
    assert summary["lost_profit"].sum() == pytest.approx(tri_sweep["lost_profit"].sum())
    assert summary["exposed"].sum() == int(tri_sweep["exposed"].sum())
    assert summary["share"].sum() == pytest.approx(1.0)
    for cluster in ("kaohsiung", "kumamoto", "arizona"):
        rows = tri_sweep[tri_sweep["cluster"] == cluster]
        worst = rows.sort_values(["lost_profit", "tts"], ascending=[False, True]).iloc[0]
        assert summary.loc[cluster, "worst_node"] == worst["node"]
        assert summary.loc[cluster, "worst_lost_profit"] == pytest.approx(worst["lost_profit"])
        assert summary.loc[cluster, "shortest_tts"] == pytest.approx(rows["tts"].min())
    assert summary.index[0] == "europe"  # ASML: the largest loss


# ------------------------------------------------------------------ tiers
def test_node_tiers_fills_missing_tiers(tiny: Network, tri: Network) -> None:
    assert figs.node_tiers(tiny).to_dict() == {
        "fab": 1,
        "resist_a": 2,
        "resist_b": 2,
        "water": 2,
        "gas": 3,
    }
    assert figs.node_tiers(tri).to_dict() == tri.nodes.set_index("id")["tier"].astype(int).to_dict()


def test_tiered_network_layers_and_edges(tri: Network, tri_sweep: pd.DataFrame) -> None:
    index = tri_sweep.set_index("node")["risk_exposure_index"]
    fig = figs.tiered_network(tri, index, value_label="risk exposure index")
    nodes = traces(fig, "nodes")[0]
    ids = [c[0] for c in nodes.customdata]
    assert sorted(ids) == sorted(tri.nodes["id"])
    tier = tri.nodes.set_index("id")["tier"]
    assert all(x == -tier[i] for i, x in zip(ids, nodes.x, strict=True))  # products on the right
    drawn = sum(
        len(segments(t.x, t.y))
        for t in fig.data
        if t.name in ("supply edges", "edges from affected nodes")
    )
    assert drawn == len(tri.sources)
    hot = traces(fig, "edges from affected nodes")[0]
    assert len(segments(hot.x, hot.y)) == int(
        tri.sources["supplier"].map(index).fillna(0).gt(0).sum()
    )
    colours = dict(zip(ids, nodes.marker.color, strict=True))
    assert colours["asml_veldhoven"] == pytest.approx(0.0)  # log10(1.0): top of the scale
    labels = traces(fig, "labels")[0]
    assert "TSMC Fab 22 (Kaohsiung, Nanzih)" in labels.text


def test_tiered_network_folds_large_networks(large: Network) -> None:
    values = pd.Series(np.linspace(1.0, 2.0, 50), index=large.nodes["id"].iloc[300:350])
    fig = figs.tiered_network(large, values, max_nodes=100)
    nodes = traces(fig, "nodes")[0]
    ids = [c[0] for c in nodes.customdata]
    groups = [i for i in ids if i.startswith("group:")]
    assert len(ids) - len(groups) == 80 and sorted(groups) == ["group:1:", "group:2:", "group:3:"]
    assert set(values.index) <= set(ids)  # the valued nodes are kept
    assert "folded" in fig.layout.title.text
    assert len(fig.data[0].x) < 20_000  # edges between folded boxes are merged


# ------------------------------------------------------------------ recovery over time
def timeline_tables(horizon: int = 6, length: float = 1 / 7) -> dict[str, pd.DataFrame]:
    """The three timeline tables of a run, as the contract in docs/hazards.md lays them out."""
    period = np.arange(1, horizon + 1)
    fab = np.minimum(1.0, 0.1 + 0.2 * (period - 1))
    water = np.minimum(1.0, 0.6 + 0.2 * (period - 1))
    nodes = pd.DataFrame(
        {
            "period": np.concatenate([period, period]),
            "node": ["tsmc_fab18"] * horizon + ["water_tainan"] * horizon,
            "capacity": np.concatenate([fab, water]),
            "stock": np.concatenate([np.maximum(0.0, 50.0 - 20 * period), np.zeros(horizon)]),
        }
    )
    service = np.minimum(1.0, 0.5 + 0.15 * (period - 1))
    lost = (1 - service) * 2e6
    timeline = pd.DataFrame(
        {
            "period": period,
            "start": (period - 1) * length,
            "end": period * length,
            "capacity": (fab + water) / 2,
            "service_level": service,
            "lost_profit": lost,
        }
    )
    lossy = period[lost > 0]
    products = pd.DataFrame(
        {
            "period": np.concatenate([lossy, lossy]),
            "product": ["chip_a"] * len(lossy) + ["chip_b"] * len(lossy),
            "lost_units": np.concatenate([lost[lost > 0] / 1000, lost[lost > 0] / 4000]),
            "lost_profit": np.concatenate([lost[lost > 0] * 0.8, lost[lost > 0] * 0.2]),
        }
    )
    return {"timeline": timeline, "timeline_nodes": nodes, "timeline_products": products}


def test_run_period_names_days_and_weeks() -> None:
    assert figs.run_period("week", 1 / 7) == ("day", pytest.approx(1 / 7))
    assert figs.run_period("week", None) == ("week", 1.0)
    assert figs.run_period("day", 7) == ("week", 7.0)
    assert figs.run_period("week", 1 / 168)[0] == "hour"
    assert figs.run_period("week", 0.3)[0] == "period"
    assert figs.run_period("shift", 1.0) == ("shift", 1.0)
    assert figs.run_period("shift", 2.0)[0] == "period"


def test_recovery_chart_steps_capacity_and_service_on_one_axis() -> None:
    tables = timeline_tables()
    timeline = tables["timeline"]
    fig = figs.recovery_chart(
        timeline.iloc[::-1],  # any row order
        nodes=tables["timeline_nodes"],
        names={"tsmc_fab18": "TSMC Fab 18"},
        period="week",
        period_length=1 / 7,
        currency="USD",
    )
    assert fig.layout.title.text == "Recovery over time"
    assert fig.layout.meta == {"period_unit": "day", "horizon": 6}
    (capacity,) = traces(fig, figs.recovery.CAPACITY)
    (service,) = traces(fig, figs.recovery.SERVICE_LEVEL)
    (lost,) = traces(fig, figs.recovery.LOST_PROFIT)
    # Held from each period's start to its end, in days since the event began.
    assert capacity.x == pytest.approx([0, 1, 2, 3, 4, 5, 6])
    assert capacity.y == pytest.approx([*timeline["capacity"], timeline["capacity"].iloc[-1]])
    assert service.y[:-1] == pytest.approx(timeline["service_level"].tolist())
    assert capacity.line.shape == service.line.shape == "hv"
    assert capacity.yaxis == service.yaxis == "y" and lost.yaxis == "y2"
    assert fig.layout.yaxis.range == (0, 1.05) and fig.layout.yaxis.tickformat == ".0%"
    assert lost.type == "bar" and lost.x == pytest.approx([0.5, 1.5, 2.5, 3.5, 4.5, 5.5])
    assert lost.y == pytest.approx(timeline["lost_profit"].tolist())
    assert fig.layout.yaxis2.title.text == "lost profit (USD)"
    assert fig.layout.xaxis2.title.text == "days since the event began"
    # Per-site lines, worst first, hidden until clicked in the legend.
    sites = [t for t in fig.data if t.name in ("TSMC Fab 18", "water_tainan")]
    assert [t.name for t in sites] == ["TSMC Fab 18", "water_tainan"]
    assert all(t.visible == "legendonly" for t in sites)
    json_text = fig.to_json()
    assert "http://" not in json_text and "https://" not in json_text


def test_recovery_chart_in_weeks_without_start_end_and_when_empty() -> None:
    timeline = timeline_tables(3, 1.0)["timeline"].drop(columns=["start", "end"])
    fig = figs.recovery_chart(timeline, period="week")
    assert fig.layout.meta["period_unit"] == "week"
    assert traces(fig, figs.recovery.CAPACITY)[0].x == pytest.approx([0, 1, 2, 3])
    assert fig.layout.xaxis2.title.text == "weeks since the event began"
    assert len(fig.data) == 3
    empty = figs.recovery_chart(timeline.iloc[:0])
    assert len(empty.data) == 0 and "No timeline" in empty.layout.annotations[0].text

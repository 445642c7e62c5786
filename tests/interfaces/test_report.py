"""The HTML report: contents per run kind, offline-ness, network checks, CLI, demo."""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from chipstress import Network, load_builtin, write_network
from chipstress.errors import InvalidInput
from chipstress.interfaces.cli import app
from chipstress.interfaces.report import build_report, resolve_network, write_report
from chipstress.interfaces.report._html import plotly_js
from chipstress.store import ResultsStore
from chipstress.workflows import sweep, sweep_summary
from chipstress.workflows.runner import Runner


@pytest.fixture(scope="module")
def tri() -> Network:
    return load_builtin("tri-cluster")


@pytest.fixture(scope="module")
def tri_sweep(tri: Network) -> pd.DataFrame:
    return sweep(tri, include_products=True, runner=Runner(workers=1)).table


@pytest.fixture
def store(tmp_path: Path):
    with ResultsStore(tmp_path / "runs.duckdb") as opened:
        yield opened


@pytest.fixture
def sweep_run(store: ResultsStore, tri: Network, tri_sweep: pd.DataFrame) -> str:
    parameters = {"network": "tri-cluster", "duration": None, "metric": "both", "integer": False}
    return store.save("sweep", tri, parameters, {"sweep": tri_sweep}, sweep_summary(tri_sweep), 0.3)


@pytest.fixture(scope="module")
def sweep_html(
    tmp_path_factory: pytest.TempPathFactory, tri: Network, tri_sweep: pd.DataFrame
) -> str:
    with ResultsStore(tmp_path_factory.mktemp("db") / "runs.duckdb") as store:
        run_id = store.save(
            "sweep", tri, {"network": "tri-cluster"}, {"sweep": tri_sweep}, sweep_summary(tri_sweep)
        )
        return build_report(store, run_id)


class _Loads(HTMLParser):
    """Every URL a page could load: src/href/data/poster/srcset attributes and CSS url()."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []
        self._style = False
        self.styles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._style = tag == "style"
        for name, value in attrs:
            if (
                name in ("src", "href", "data", "poster", "srcset", "action", "background")
                and value
            ):
                self.urls.append(value)
            if name == "style" and value:
                self.styles.append(value)

    def handle_endtag(self, tag: str) -> None:
        self._style = False

    def handle_data(self, data: str) -> None:
        if self._style:
            self.styles.append(data)


def figure_blocks(html: str) -> dict[str, dict]:
    blocks = re.findall(
        r'<script type="application/json" data-figure="([^"]+)">(.*?)</script>', html, re.S
    )
    return {ident: json.loads(text) for ident, text in blocks}


def assert_offline(html: str) -> None:
    """Nothing in the page loads from anywhere: no external src/href, no CSS url(), and
    no http(s):// at all outside the bundled plotly.js (whose own strings are inert)."""
    parser = _Loads()
    parser.feed(html)
    assert parser.urls == []
    assert not any(re.search(r"url\(|@import", s) for s in parser.styles)
    assert "iframe" not in parser.tags and "link" not in parser.tags and "img" not in parser.tags
    packed = re.findall(
        r'<script id="plotly-js" type="application/gzip;base64">([^<]*)</script>', html
    )
    assert len(packed) == 1  # the vendored bundle, included once, packed
    # it unpacks to exactly the vendored plotly.js (the page adds nothing to it)
    assert gzip.decompress(base64.b64decode(packed[0])).decode("utf-8") == plotly_js()
    outside = html.replace(packed[0], "")
    assert "http://" not in outside and "https://" not in outside


# ------------------------------------------------------------------ sweep
def test_sweep_report_has_every_section(
    sweep_html: str, tri: Network, tri_sweep: pd.DataFrame
) -> None:
    html = sweep_html
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "<title>Risk exposure of tri-cluster</title>" in html
    assert tri.fingerprint() in html
    for anchor in ("map", "ttr-tts", "ranked", "clusters", "tiers", "assumptions", "run"):
        assert f'id="{anchor}"' in html
    for text in (
        "How to read this",
        "TTS = ∞",
        "beyond the baseline",
        "Kaohsiung",
        "Kumamoto",
        "Arizona",
    ):
        assert text in html
    for cluster in ("kaohsiung", "kumamoto", "arizona", "hsinchu"):
        assert f"<td >{cluster}</td>" in html or f'<td class="">{cluster}</td>' in html
    worst = tri_sweep.iloc[0]
    assert "ASML headquarters and EUV production (Veldhoven)" in html
    assert f"{worst['lost_profit']:,.0f}" in html
    assert f">{int(tri_sweep['exposed'].sum())}<" in html  # the exposures card
    assert "台積電晶圓二十二廠" in html  # Chinese names in the ranked table
    figures = figure_blocks(html)
    assert len(figures) == 3
    kinds = [sorted({t.get("name") for t in f["data"]}) for f in figures.values()]
    assert "coastline" in kinds[0] and "sites" in kinds[0]
    assert "exposed: TTR > TTS" in kinds[1]
    assert "supply edges" in kinds[2]
    for ident in figures:
        assert f'<div class="fig" id="{ident}"' in html


def test_sweep_report_is_offline(sweep_html: str) -> None:
    assert_offline(sweep_html)


def test_report_escapes_names(store: ResultsStore, tiny: Network) -> None:
    nodes = tiny.nodes.copy()
    nodes.loc[0, "name"] = "Fab <script>alert(1)</script> & co"
    evil = Network(nodes, tiny.bom, tiny.sources, tiny.meta)
    result = sweep(evil, durations=2.0, include_products=True).table
    run_id = store.save("sweep", evil, {}, {"sweep": result}, sweep_summary(result))
    html = build_report(store, run_id, evil)
    assert "<script>alert(1)" not in html
    assert "Fab &lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert_offline(html)


def test_report_of_a_network_without_coordinates(
    store: ResultsStore, small: Network, small_json: Path
) -> None:
    result = sweep(small, durations=3.0).table
    run_id = store.save(
        "sweep", small, {"network": str(small_json)}, {"sweep": result}, sweep_summary(result)
    )
    html = build_report(store, run_id)
    assert "No site of this network has coordinates: no map." in html
    assert len(figure_blocks(html)) == 2  # TTR/TTS and tiers
    assert '<td class="">(none)</td>' in html  # one cluster for every node
    assert_offline(html)


def test_write_report_is_atomic(
    store: ResultsStore, sweep_run: str, tiny: Network, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "report.html"
    assert write_report(store, sweep_run, target) == target
    first = target.read_text(encoding="utf-8")
    assert first.startswith("<!DOCTYPE html>")
    with pytest.raises(InvalidInput, match="not the network run"):
        write_report(store, sweep_run, target, tiny)
    assert target.read_text(encoding="utf-8") == first  # untouched
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]  # no temp files


# ------------------------------------------------------------------ networks
def test_network_checks(
    store: ResultsStore, sweep_run: str, tri: Network, tiny: Network, tmp_path: Path
) -> None:
    run = store.run(sweep_run)
    assert resolve_network(run) == tri  # the run names the built-in
    assert resolve_network(run, "tri-cluster") == tri
    folder = tmp_path / "tri"
    write_network(tri, folder)
    with pytest.raises(InvalidInput, match=r"fingerprint .* is not the network run"):
        resolve_network(run, tiny)
    assert resolve_network(run, folder) == tri  # the same network, from a folder
    changed = tri.with_inventory({"port_hakata": 1.0})
    with pytest.raises(InvalidInput, match="not the network run"):
        resolve_network(run, changed)  # one figure differs: another fingerprint
    moved = store.save(
        "sweep", tri, {"network": str(tmp_path / "gone")}, {"sweep": pd.DataFrame({"node": []})}
    )
    with pytest.raises(InvalidInput, match="neither a built-in network nor a path that exists"):
        build_report(store, moved)
    unnamed = store.save("sweep", tri, {}, {"sweep": pd.DataFrame({"node": []})})
    with pytest.raises(InvalidInput, match="give it with --network"):
        build_report(store, unnamed)
    with pytest.raises(InvalidInput, match="no run"):
        build_report(store, "nope")
    recorder = store.start("simulation", tri, {"network": "tri-cluster"})
    with pytest.raises(InvalidInput, match="is running, not complete"):
        build_report(store, recorder.run_id)


# ------------------------------------------------------------------ simulation
def simulation_tables(tri: Network) -> tuple[dict[str, pd.DataFrame], dict[str, float]]:
    rng = np.random.default_rng(5)
    loss = np.where(rng.random(400) < 0.3, rng.lognormal(17, 2, 400), 0.0)
    years = pd.DataFrame(
        {"year": np.arange(1, 401), "events": rng.integers(0, 4, 400), "loss": loss}
    )
    ordered = np.sort(loss)[::-1]
    periods = [2, 5, 10, 50, 100, 200]
    exceedance = pd.DataFrame(
        {
            "return_period": periods,
            "exceedance_probability": [1 / p for p in periods],
            "loss": [ordered[int(400 / p) - 1] for p in periods],
        }
    )
    events = pd.DataFrame(
        {
            "year": [3, 9, 27],
            "hazard": ["earthquake", "water_restriction", "export_control"],
            "source": ["taiwan", "hsinchu red", "china_neon"],
            "description": ["M6.8 at 23.9,121.6 depth 15 km", "red alert 6 weeks", "neon blocked"],
            "sites_hit": [12, 5, 1],
            "window": [8.0, 6.0, 26.0],
            "loss": [4.2e9, 3.1e8, 2.2e7],
        }
    )
    ids = tri.nodes["id"].head(10)
    nodes = pd.DataFrame(
        {"node": ids, "eal": np.linspace(5e7, 1e6, 10), "share": np.linspace(0.3, 0.01, 10)}
    )
    hazards = pd.DataFrame(
        {
            "hazard": ["earthquake", "water_restriction"],
            "source": ["taiwan", "hsinchu red"],
            "eal": [3e8, 2e7],
            "share": [0.9, 0.1],
        }
    )
    tables = {
        "years": years,
        "events": events,
        "exceedance": exceedance,
        "node_contributions": nodes,
        "hazard_contributions": hazards,
    }
    summary = {
        "years": 400,
        "seed": 5,
        "expected_annual_loss": float(loss.mean()),
        "var_95": float(ordered[19]),
        "cvar_95": float(ordered[:20].mean()),
        "var_99": float(ordered[3]),
        "cvar_99": float(ordered[:4].mean()),
    }
    return tables, summary


def test_simulation_report(store: ResultsStore, tri: Network) -> None:
    tables, summary = simulation_tables(tri)
    run_id = store.save(
        "simulation", tri, {"network": "tri-cluster", "years": 400, "seed": 5}, tables, summary, 2.0
    )
    html = build_report(store, run_id)
    assert "<title>Simulated hazard losses of tri-cluster</title>" in html
    for anchor in ("exceedance", "hazards", "sites", "map", "events", "assumptions"):
        assert f'id="{anchor}"' in html
    assert "VaR 99%" in html and "CVaR 95%" in html and "seed 5" in html
    figures = list(figure_blocks(html).values())
    assert len(figures) == 4
    curve = {t.get("name", "") for t in figures[0]["data"]}
    assert {"loss exceedance", "every simulated year"} <= curve
    assert any(n.startswith("VaR 95%") for n in curve) and any(
        n.startswith("VaR 99%") for n in curve
    )
    assert "earthquake: taiwan" in json.dumps(figures[1], ensure_ascii=False)
    assert (
        figures[3]["layout"]["coloraxis"]["colorbar"]["title"]["text"]
        == "expected annual loss (USD)"
    )
    assert "M6.8 at 23.9,121.6 depth 15 km" in html  # worst events table
    assert_offline(html)


# ------------------------------------------------------------------ replay / scenario
def test_replay_report_shows_the_sites_hit_and_why(store: ResultsStore, tri: Network) -> None:
    sites = pd.DataFrame(
        {
            "node": ["tsmc_fab22", "tsmc_fab18", "water_tainan"],
            "hazard": ["earthquake"] * 3,
            "measure": ["PGA 0.31 g", "PGA 0.22 g", "PGA 0.18 g"],
            "damage_state": ["extensive", "moderate", "slight"],
            "capacity_loss": [0.8, 0.4, 0.1],
            "recovery_periods": [6.0, 3.0, 1.0],
            "reason": ["within 30 km of the epicentre <M7>", "soft soil", "pipe breaks"],
        }
    )
    impact = pd.DataFrame(
        {
            "product": ["tsmc_fab22", "tsmc_fab18"],
            "lost_units": [1200.0, 300.0],
            "lost_profit": [1.8e7, 2.7e6],
        }
    )
    summary = {"lost_profit": 2.07e7, "tts": 0.5, "event": "ev_1999_chichi"}
    run_id = store.save(
        "replay",
        tri,
        {"network": "tri-cluster", "event": "ev_1999_chichi"},
        {"sites": sites, "impact": impact},
        summary,
    )
    html = build_report(store, run_id)
    assert "<title>Replay on tri-cluster</title>" in html
    assert "ev_1999_chichi" in html and "0.50 weeks" in html
    assert "within 30 km of the epicentre &lt;M7&gt;" in html
    assert 'id="why"' in html and 'id="impact"' in html
    (figure,) = figure_blocks(html).values()
    hit = [t for t in figure["data"] if t.get("name") == "sites"]
    assert {c[0] for t in hit for c in t["customdata"]} == set(sites["node"])
    assert_offline(html)


def test_other_runs_get_their_summary_and_tables(store: ResultsStore, tri: Network) -> None:
    run_id = store.save(
        "whatif",
        tri,
        {"network": "tri-cluster"},
        {"changes": pd.DataFrame({"node": ["a"], "delta": [1.5]})},
        {"saved": 12.0},
    )
    html = build_report(store, run_id)
    assert 'id="table-changes"' in html and ">saved<" in html
    assert_offline(html)


# ------------------------------------------------------------------ recovery over time
def _timeline_tables(horizon: int, length: float) -> dict[str, pd.DataFrame]:
    """The three timeline tables of a run, laid out as docs/hazards.md says."""
    period = np.arange(1, horizon + 1)
    fab = np.minimum(1.0, 0.2 * period)
    service = np.minimum(1.0, 0.4 + 0.2 * period)
    lost = (1 - service) * 1e6
    lossy = period[lost > 0]
    return {
        "timeline": pd.DataFrame(
            {
                "period": period,
                "start": (period - 1) * length,
                "end": period * length,
                "capacity": fab,
                "service_level": service,
                "lost_profit": lost,
            }
        ),
        "timeline_nodes": pd.DataFrame(
            {"period": period, "node": "tsmc_fab18", "capacity": fab, "stock": 30.0 / period}
        ),
        "timeline_products": pd.DataFrame(
            {
                "period": lossy,
                "product": "tsmc_fab18",
                "lost_units": lost[lost > 0] / 1500,
                "lost_profit": lost[lost > 0],
            }
        ),
    }


@pytest.mark.parametrize("kind", ["replay", "scenario", "outage"])
def test_event_runs_draw_their_recovery_over_time(
    store: ResultsStore, tri: Network, kind: str
) -> None:
    timeline = _timeline_tables(6, 1 / 7)
    sites = pd.DataFrame({"node": ["tsmc_fab18"], "capacity_loss": [0.8]})
    impact = pd.DataFrame({"loss": [1e6]})
    tables = {"sites": sites, "impact": impact} if kind != "outage" else {}
    summary = {"loss": 1e6, "event": "ev_x", "period_length": 1 / 7, "horizon": 6}
    run_id = store.save(kind, tri, {"network": "tri-cluster"}, {**tables, **timeline}, summary)
    html = build_report(store, run_id)
    assert 'id="recovery"' in html and "Recovery over time" in html
    assert "lowest service level" in html and "60.0%" in html and "in day 1" in html
    assert "after 4 days" in html  # Fab 18 back to full from day 5 (start 4/7 weeks)
    assert "Lost per product, by day" in html and "Sites hit, over time" in html
    assert ">day 2<" in html and ">day 3<" not in html  # one column per day with a loss
    assert "table-timeline" not in html  # the timeline tables are not dumped raw as well
    charts = [f for f in figure_blocks(html).values() if f["layout"].get("meta", {}).get("horizon")]
    (chart,) = charts
    names = [t.get("name") for t in chart["data"]]
    assert {"capacity of the sites hit", "service level", "lost profit"} <= set(names)
    assert chart["layout"]["meta"]["period_unit"] == "day"
    assert_offline(html)


def test_replay_report_draws_the_replays_own_timeline(store: ResultsStore, tri: Network) -> None:
    from chipstress.workflows.hazards import replay

    run = replay("kumamoto_2016", tri)
    run_id = store.save("replay", tri, {"network": "tri-cluster"}, run.tables(), run.summary())
    html = build_report(store, run_id)
    timeline = run.tables()["timeline"].sort_values("period")
    (chart,) = [
        f for f in figure_blocks(html).values() if "period_unit" in f["layout"].get("meta", {})
    ]
    capacity, service = chart["data"][:2]
    assert capacity["y"][:-1] == pytest.approx(timeline["capacity"].tolist())
    assert service["y"][:-1] == pytest.approx(timeline["service_level"].tolist())
    assert chart["layout"]["meta"] == {"period_unit": "day", "horizon": len(timeline)}
    assert "Lost per product, by day" in html and "Sites hit, over time" in html
    assert_offline(html)


def test_many_periods_give_per_product_totals(store: ResultsStore, tri: Network) -> None:
    timeline = _timeline_tables(20, 1.0)
    timeline["timeline"]["service_level"] = 0.5  # a loss in each of 20 weeks
    timeline["timeline_products"] = pd.DataFrame(
        {"period": range(1, 21), "product": "tsmc_fab18", "lost_units": 1.0, "lost_profit": 5.0}
    )
    run_id = store.save("scenario", tri, {"network": "tri-cluster"}, timeline, {"loss": 100.0})
    html = build_report(store, run_id)
    assert "Lost per product, by week" in html
    assert "first week with a loss" in html and "week 20<" not in html


def test_runs_stored_without_a_timeline_show_no_recovery(store: ResultsStore, tri: Network) -> None:
    sites = pd.DataFrame({"node": ["tsmc_fab18"], "capacity_loss": [0.8]})
    for kind, tables in (("replay", {"sites": sites}), ("outage", {"impact_products": sites})):
        run_id = store.save(kind, tri, {"network": "tri-cluster"}, tables, {"loss": 1.0})
        html = build_report(store, run_id)
        assert "Recovery over time" not in html and "No timeline" not in html
        assert_offline(html)
    empty = _timeline_tables(2, 1.0)
    empty["timeline"] = empty["timeline"].iloc[:0]
    run_id = store.save("scenario", tri, {"network": "tri-cluster"}, empty, {"loss": 0.0})
    html = build_report(store, run_id)
    assert "Recovery over time" not in html and "No timeline" not in html


# ------------------------------------------------------------------ CLI
def test_cli_report(tmp_path: Path, sweep_run: str, store: ResultsStore) -> None:
    runner = CliRunner()
    db = str(store.location)
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", sweep_run[-6:], "--out", str(out), "--db", db])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"wrote {out}"
    assert "Risk exposure of tri-cluster" in out.read_text(encoding="utf-8")
    result = runner.invoke(
        app, ["report", "no-such-run", "--out", str(tmp_path / "x.html"), "--db", db]
    )
    assert result.exit_code == 1
    assert "no run 'no-such-run'" in result.stderr
    result = runner.invoke(
        app,
        [
            "report",
            sweep_run,
            "--network",
            "tests/fixtures/tiny",
            "--out",
            str(tmp_path / "y.html"),
            "--db",
            db,
        ],
    )
    assert result.exit_code == 1
    assert "is not the network run" in result.stderr
    assert not (tmp_path / "x.html").exists() and not (tmp_path / "y.html").exists()
    result = runner.invoke(
        app,
        [
            "report",
            sweep_run,
            "--network",
            "tri-cluster",
            "--out",
            str(tmp_path / "z.html"),
            "--db",
            db,
        ],
    )
    assert result.exit_code == 0
    assert runner.invoke(app, ["report"]).exit_code == 2


def test_demo_stores_its_run_and_writes_the_report(
    tmp_path: Path, _private_results_db: Path
) -> None:
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = tmp_path / "tri-cluster-report.html"
    assert f"wrote {report}" in result.stdout
    with ResultsStore(os.environ["CHIPSTRESS_DB"]) as store:
        runs = store.runs()
        assert runs["kind"].tolist() == ["sweep"]
        assert runs["network"].tolist() == ["tri-cluster"]
        assert runs["run_id"].iloc[0] in report.read_text(encoding="utf-8")


# ------------------------------------------------------------------ browser
def _chromium() -> str | None:
    return (
        os.environ.get("CHIPSTRESS_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


def test_report_renders_offline_in_chromium(sweep_html: str, tmp_path: Path) -> None:
    """Headless Chromium draws every figure with every non-file request refused."""
    browser_path = _chromium()
    if browser_path is None:
        if os.environ.get("CHIPSTRESS_REQUIRE_SERVICES") == "1":
            pytest.fail("no Chromium, but CI requires the browser tests")
        pytest.skip("no Chromium (run scripts/services.sh)")
    sync_api = pytest.importorskip("playwright.sync_api")
    page_path = tmp_path / "report.html"
    page_path.write_text(sweep_html, encoding="utf-8")
    requested: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=browser_path, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("pageerror", lambda error: errors.append(str(error)))

            def route(handle) -> None:
                requested.append(handle.request.url)
                if handle.request.url.startswith("file://"):
                    handle.continue_()
                else:
                    handle.abort()

            page.route("**/*", route)
            page.goto(page_path.as_uri())
            page.wait_for_function(
                "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 3", timeout=30_000
            )
            drawn = page.evaluate("document.querySelectorAll('.js-plotly-plot').length")
            page.screenshot(path=str(tmp_path / "report.png"))
        finally:
            browser.close()
    assert drawn == 3
    assert errors == []
    assert requested == [page_path.as_uri()]


def test_sweep_report_explains_its_worst_sites(sweep_html: str, tri_sweep: pd.DataFrame) -> None:
    from chipstress.interfaces.figures import ranked_risks
    from chipstress.interfaces.report.sections import EXPLAINED_SITES

    ranked = ranked_risks(tri_sweep)
    worst = ranked[ranked["status"] == "optimal"]["node"].head(EXPLAINED_SITES).tolist()
    assert len(worst) == EXPLAINED_SITES
    for site in worst:
        assert f'id="explain-{site}"' in sweep_html
    assert sweep_html.count('id="explain-') == EXPLAINED_SITES
    assert "What runs out first" in sweep_html

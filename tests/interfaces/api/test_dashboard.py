"""The dashboard in headless Chromium, against a live server: pick the network, click a
site on the map and in the table, run a sweep and what-ifs, switch languages, and check
every number shown against the engine for the same inputs.

Skips when Chromium is missing, unless ``CHIPSTRESS_REQUIRE_SERVICES=1`` (CI), where it
fails. Screenshots go to ``tests/artifacts/``; ``docs/images/dashboard.png`` (the
README's) is written when missing or when ``CHIPSTRESS_UPDATE_SCREENSHOTS=1``.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboard_browser import serving

from chipstress import load_builtin
from chipstress.engine import impact, time_to_survive
from chipstress.engine.timeline import TimelineModel
from chipstress.interfaces.api import create_app
from chipstress.workflows import sweep

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "tests" / "artifacts"
README_IMAGE = ROOT / "docs" / "images" / "dashboard.png"


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A uvicorn server on a free port, with its own results DB."""
    app = create_app(db=tmp_path_factory.mktemp("dashboard") / "results.duckdb", workers=2)
    with serving(app) as url:
        yield url


def _watched_page(
    browser: Any, base: str, width: int = 1440, height: int = 1280
) -> tuple[Any, Any, list[str], list[str]]:
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    outside: list[str] = []
    errors: list[str] = []
    tab.on("request", lambda r: None if r.url.startswith(base) else outside.append(r.url))
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.set_default_timeout(30_000)
    return context, tab, outside, errors


@pytest.fixture(scope="module")
def page(browser: Any, live_url: str) -> Iterator[Any]:
    """The dashboard, loaded; fails the tests on any request off this server or JS error."""
    context, tab, outside, errors = _watched_page(browser, live_url)
    tab.goto(f"{live_url}/")
    tab.wait_for_selector("body[data-ready='1']")
    tab.wait_for_selector("#map .main-svg")
    yield tab
    context.close()
    assert not outside, f"the dashboard fetched from outside the server: {outside}"
    assert not errors, f"JavaScript errors: {errors}"


def test_token_protected_dashboard(browser: Any, tmp_path: Path) -> None:
    app = create_app(db=tmp_path / "results.duckdb", token="tok-123")
    with serving(app) as url:
        context, tab, outside, errors = _watched_page(browser, url)
        tab.goto(f"{url}/?token=tok-123")
        tab.wait_for_selector("body[data-ready='1']")
        tab.wait_for_selector("#map .main-svg")
        assert "token" not in tab.url  # dropped from the address bar, kept in sessionStorage
        assert tab.evaluate("sessionStorage.getItem('chipstress-token')") == "tok-123"
        assert tab.input_value("#network-select") == "tri-cluster"
        context.close()
        assert not outside and not errors, (outside, errors)


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _wait_text(page: Any, selector: str, text: str) -> None:
    """Wait until the element exists and its text contains ``text``."""
    page.wait_for_function(
        "([sel, text]) => { const el = document.querySelector(sel); "
        "return el !== null && el.textContent.includes(text); }",
        arg=[selector, text],
    )


def _value(page: Any, selector: str, attribute: str = "data-value") -> float:
    text = page.get_attribute(selector, attribute)
    return float(text) if text not in ("", None) else float("nan")


def _shown_number(page: Any, selector: str) -> float:
    """The number as displayed (thousands separators and units stripped)."""
    text = page.inner_text(selector)
    match = re.search(r"-?[\d,]+(?:\.\d+)?", text)
    assert match, f"no number in {text!r}"
    return float(match.group(0).replace(",", ""))


def _click_site_on_map(page: Any, node: str) -> None:
    """Move the mouse to the site's marker (in the last panel that draws it) and click."""
    box = page.evaluate(
        """(node) => {
          const gd = document.getElementById('map');
          const rect = gd.getBoundingClientRect();
          let found = null;
          gd.data.forEach((trace) => (trace.customdata || []).forEach((cd, i) => {
            const id = Array.isArray(cd) ? cd[0] : cd;
            if (id !== node) return;
            const xa = gd._fullLayout[(trace.xaxis || 'x').replace('x', 'xaxis')];
            const ya = gd._fullLayout[(trace.yaxis || 'y').replace('y', 'yaxis')];
            found = { x: rect.left + xa._offset + xa.l2p(trace.x[i]),
                      y: rect.top + ya._offset + ya.l2p(trace.y[i]) };
          }));
          return found;
        }""",
        node,
    )
    assert box, f"{node} is not on the map"
    page.mouse.move(box["x"], box["y"])
    page.wait_for_timeout(150)
    page.mouse.click(box["x"], box["y"])


def test_pick_network_click_site_and_check_its_numbers(page: Any) -> None:
    network = load_builtin()
    page.select_option("#network-select", "tri-cluster")
    _click_site_on_map(page, "amkor_peoria")  # a site alone at its spot
    _wait_text(page, "#site-name", "Amkor")
    # Fab 21 shares its spot with Linde's on-site gas plant: the panel offers the other one.
    _click_site_on_map(page, "tsmc_fab21_az")
    page.wait_for_function("document.querySelector('#site-panel .nearby') !== null")
    if "Fab 21" not in page.inner_text("#site-name"):
        # The click took a site at (or, on a busy machine, next to) that spot; its panel
        # must offer Fab 21 among the sites nearby.
        page.click("#site-panel .nearby a[data-goto='tsmc_fab21_az']")
    _wait_text(page, "#site-name", "Fab 21")
    assert "Linde" in page.inner_text("#site-panel .nearby")
    tts = time_to_survive(network, {"tsmc_fab21_az": 1.0}).tts
    lost = impact(network, {"tsmc_fab21_az": 1.0}, 4.0).lost_profit  # its TTR is 4 weeks
    assert _value(page, "#site-ttr") == 4.0
    assert _value(page, "#site-tts") == pytest.approx(tts, rel=1e-9)
    assert _shown_number(page, "#site-tts") == pytest.approx(round(tts, 2))
    assert _value(page, "#site-impact") == pytest.approx(lost, rel=1e-9)
    assert _shown_number(page, "#site-impact") == round(lost)
    panel = page.inner_text("#site-panel")
    assert "Amkor Arizona" in panel  # downstream: the packaging it supplies
    assert "ASML" in panel  # upstream: the lithography tools it depends on


def test_sweep_with_progress_then_click_a_row(page: Any) -> None:
    page.click("#sweep-button")
    page.wait_for_selector("#risk-table tbody tr[data-node]")
    expected = sweep(load_builtin(), include_products=True).table
    rows = page.query_selector_all("#risk-table tbody tr[data-node]")
    assert len(rows) == len(expected)
    assert rows[0].get_attribute("data-node") == expected["node"].iloc[0]
    first_lost = rows[0].query_selector("td:nth-child(6)").get_attribute("data-value")
    assert float(first_lost) == pytest.approx(expected["lost_profit"].iloc[0], rel=1e-9)
    page.click("#risk-table tbody tr[data-node='port_hakata']")
    _wait_text(page, "#site-name", "Hakata")
    network = load_builtin()
    assert _value(page, "#site-tts") == pytest.approx(
        time_to_survive(network, {"port_hakata": 1.0}).tts, rel=1e-9
    )
    assert page.input_value("#outage-node") == "port_hakata"
    _shot(page, "dashboard-sweep")


def test_whatif_take_a_site_down(page: Any) -> None:
    network = load_builtin()
    page.click(".tabs button[data-tab='outage']")
    page.select_option("#outage-node", "kumamoto_groundwater")
    page.eval_on_selector(
        "#outage-fraction", "(el) => { el.value = '0.6'; el.dispatchEvent(new Event('input')); }"
    )
    page.fill("#outage-duration", "5")
    page.click("#outage-run")
    _wait_text(page, "#whatif-result .verdict", "Kumamoto")
    # Five weeks (back within 8): days, over 5 weeks and one day, without foresight.
    model = TimelineModel(network, 36, 1 / 7)
    hit = model.solve(model.profile([({"kumamoto_groundwater": 0.6}, 35)]))
    tts = time_to_survive(network, {"kumamoto_groundwater": 0.6}).tts
    assert _value(page, "#whatif-lost-profit", "data-lost-profit") == pytest.approx(
        hit.lost_profit, rel=1e-9
    )
    loss = hit.loss
    assert _value(page, "#whatif-lost-profit") == pytest.approx(loss, rel=1e-9, abs=1e-6)
    assert _shown_number(page, "#whatif-lost-profit") == round(loss)
    assert _value(page, "#whatif-window") == pytest.approx(36 / 7)
    assert _value(page, "#whatif-tts") == pytest.approx(tts, rel=1e-9)
    assert _value(page, "#whatif-sites") == 1
    assert loss > 0, "the check should compare a real loss"
    _shot(page, "dashboard-whatif-outage")


def test_whatif_earthquake_placed_on_the_map(page: Any) -> None:
    page.click(".tabs button[data-tab='quake']")
    page.click("#quake-place")
    # Place the epicentre on the Kumamoto detail panel, next to JASM.
    _click_site_on_map(page, "jasm_fab1")
    page.wait_for_function("!document.querySelector('#quake-place').classList.contains('active')")
    lat, lon = float(page.input_value("#quake-lat")), float(page.input_value("#quake-lon"))
    assert abs(lat - 32.87) < 0.2 and abs(lon - 130.76) < 0.2
    page.eval_on_selector(
        "#quake-magnitude", "(el) => { el.value = '7'; el.dispatchEvent(new Event('input')); }"
    )
    page.click("#quake-run")
    _wait_text(page, "#whatif-result .verdict", "M7.0")
    from chipstress.workflows.hazards import evaluate, parse_events

    events = parse_events(
        [{"type": "earthquake", "epicentre": [lat, lon], "magnitude": 7.0, "depth_km": 10}]
    )
    expected = evaluate(events, load_builtin())
    assert _value(page, "#whatif-lost-profit") == pytest.approx(expected.loss, rel=1e-9)
    assert _value(page, "#whatif-sites") == expected.sites["site"].nunique() > 0
    _shot(page, "dashboard-whatif-quake")


def test_water_alert_and_languages(page: Any) -> None:
    page.click(".tabs button[data-tab='water']")
    page.select_option("#water-district", "hsinchu")
    page.select_option("#water-level", "red")
    page.fill("#water-duration", "4")
    page.click("#water-run")
    _wait_text(page, "#whatif-result .verdict", "red")
    assert "Baoshan" in page.inner_text("#whatif-result")
    page.click("#risk-table tbody tr[data-node='tsmc_fab21_az']")
    _wait_text(page, "#site-name", "Arizona")
    page.click(".lang-switch button[data-lang='zh-Hant']")
    assert page.inner_text("#site-name") == "台積電亞利桑那晶圓二十一廠"
    assert "亞利桑那" in page.inner_text("#risk-table")
    assert "高雄" in page.inner_text("#risk-table") and "熊本" in page.inner_text("#risk-table")
    _shot(page, "dashboard-zh-Hant")
    page.click(".lang-switch button[data-lang='ja']")
    assert page.inner_text("#site-name") == "TSMCアリゾナ Fab 21"
    assert "アリゾナ" in page.inner_text("#risk-table")
    _shot(page, "dashboard-ja")
    page.click(".lang-switch button[data-lang='en']")
    assert "Arizona" in page.inner_text("#risk-table")


def test_readme_screenshot(page: Any) -> None:
    page.click(".tabs button[data-tab='outage']")
    page.click("#risk-table tbody tr[data-node='tsmc_fab21_az']")
    _wait_text(page, "#site-name", "Arizona")
    page.select_option("#outage-node", "tsmc_fab21_az")
    page.eval_on_selector(
        "#outage-fraction", "(el) => { el.value = '1'; el.dispatchEvent(new Event('input')); }"
    )
    page.fill("#outage-duration", "4")
    page.click("#outage-run")
    _wait_text(page, "#whatif-result .verdict", "Fab 21")
    # Colour the map by the stored sweep's risk exposure (the run the sweep test saved).
    assert page.eval_on_selector("#stored-select", "(el) => el.options.length") >= 2
    page.select_option("#stored-select", index=1)
    page.wait_for_function(
        "[...document.querySelectorAll('#map .gtitle')].some(t => t.textContent.includes('Exposure'))"
    )
    page.eval_on_selector(".risks-card .table-wrap", "(el) => { el.scrollTop = 0; }")
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(400)
    _shot(page, "dashboard")
    if not README_IMAGE.exists() or os.environ.get("CHIPSTRESS_UPDATE_SCREENSHOTS") == "1":
        README_IMAGE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ARTIFACTS / "dashboard.png", README_IMAGE)


def test_mitigation_plan_draws_the_tradeoff_curve(page: Any) -> None:
    from chipstress.workflows.examples import example_path
    from chipstress.workflows.plan import load_actions, plan

    network = load_builtin()
    path = example_path("actions", "tri-cluster")
    assert path is not None
    expected = plan(network, load_actions(path, network), "exposed", [1e6]).curve.iloc[0]
    page.select_option("#network-select", "tri-cluster")
    page.select_option("#plan-measure", "exposed")
    page.fill("#plan-budgets", "1M")
    page.click("#plan-run")
    page.wait_for_selector("#plan-curve .main-svg", timeout=120_000)
    page.wait_for_selector("#plan-value")
    assert _value(page, "#plan-value") == expected["value"]
    assert _value(page, "#plan-cost") == pytest.approx(expected["cost"], rel=1e-9)
    points = page.evaluate("() => document.getElementById('plan-curve').data.at(-1).x.length")
    assert points == 1
    rows = page.query_selector_all("#plan-choices tbody tr")
    assert len(rows) == int(expected["n_actions"])
    page.click("#plan-compare-run")
    page.wait_for_selector("#plan-compare-table", timeout=120_000)
    after = _value(page, "#plan-compare-table tr[data-metric='exposed_sites'] td:nth-child(3)")
    assert after == expected["value"]
    page.eval_on_selector("#mitigation", "(el) => el.scrollIntoView()")
    _shot(page, "dashboard-mitigation")


# ------------------------------------------------------------------ recovery over time
def _timeline_rows(horizon: int = 6, length: float = 1 / 7) -> list[dict[str, float]]:
    """A ``timeline`` table's rows, laid out as docs/hazards.md says (days of a weekly network)."""
    return [
        {
            "period": p,
            "start": (p - 1) * length,
            "end": p * length,
            "capacity": min(1.0, 0.2 * p),
            "service_level": min(1.0, 0.5 + 0.15 * p),
            "lost_profit": max(0.0, 1 - (0.5 + 0.15 * p)) * 1e6,
        }
        for p in range(1, horizon + 1)
    ]


def _serve_results(tab: Any, timeline: bool, seen: list[dict[str, Any]]) -> None:
    """Route job results through: add a timeline where the run has none (``timeline``), or
    take it out (``not timeline``, as a result from before timelines); keep what was sent."""

    def handle(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        result = body["result"]
        if not timeline:
            for key in ("timeline", "period_length", "horizon"):
                result.pop(key, None)
        elif not result.get("timeline"):
            rows = _timeline_rows()
            result.update(timeline={"rows": rows}, period_length=1 / 7, horizon=len(rows))
        seen.append(result)
        route.fulfill(response=response, json=body)

    tab.route("**/api/jobs/*/result", handle)


def _site_down(tab: Any, node: str = "kumamoto_groundwater", marker: str = "Kumamoto") -> None:
    tab.click(".tabs button[data-tab='outage']")
    tab.select_option("#outage-node", node)
    tab.fill("#outage-duration", "2")
    tab.click("#outage-run")
    _wait_text(tab, "#whatif-result .verdict", marker)


@pytest.mark.parametrize("viewport", [(1440, 900), (390, 844)], ids=["desktop", "phone"])
def test_whatif_draws_the_recovery_chart(
    browser: Any, live_url: str, viewport: tuple[int, int]
) -> None:
    width, height = viewport
    context, tab, outside, errors = _watched_page(browser, live_url, width, height)
    seen: list[dict[str, Any]] = []
    _serve_results(tab, True, seen)
    tab.goto(f"{live_url}/?network=tri-cluster&lang=en")
    tab.wait_for_selector("body[data-ready='1']")
    _site_down(tab)
    tab.wait_for_selector("#whatif-recovery .main-svg")
    rows = sorted(seen[-1]["timeline"]["rows"], key=lambda r: r["period"])
    chart = tab.evaluate(
        """() => { const gd = document.getElementById('whatif-recovery');
          return { names: gd.data.map((t) => t.name), x: gd.data[0].x, capacity: gd.data[0].y,
                   service: gd.data[1].y, lost: gd.data[2].y, type: gd.data[2].type,
                   meta: gd.layout.meta, right: gd.getBoundingClientRect().right,
                   svg: gd.querySelector('.main-svg').getBoundingClientRect().right }; }"""
    )
    assert chart["names"] == ["Capacity of the sites hit", "Service level", "Lost profit"]
    assert chart["capacity"][:-1] == pytest.approx([r["capacity"] for r in rows])
    assert chart["service"][:-1] == pytest.approx([r["service_level"] for r in rows])
    assert chart["lost"] == pytest.approx([r["lost_profit"] for r in rows])
    assert chart["type"] == "bar" and chart["x"][0] == pytest.approx(0.0)
    assert chart["meta"]["horizon"] == len(rows)
    assert chart["right"] <= width and chart["svg"] <= width  # the chart fits the screen
    assert "Recovery over time" in tab.text_content("#whatif-recovery .gtitle")
    if chart["meta"]["period_unit"] == "day":
        assert "days" in tab.text_content("#whatif-recovery .xtitle")
    tab.eval_on_selector("#whatif-recovery", "(el) => el.scrollIntoView()")
    _shot(tab, f"dashboard-recovery-{width}")
    tab.click(".lang-switch button[data-lang='ja']")
    tab.wait_for_selector("#whatif-recovery .main-svg")
    assert "復旧の推移" in tab.text_content("#whatif-recovery .gtitle")
    tab.click(".lang-switch button[data-lang='zh-Hant']")
    tab.wait_for_selector("#whatif-recovery .main-svg")
    assert "復原歷程" in tab.text_content("#whatif-recovery .gtitle")
    tab.click(".lang-switch button[data-lang='en']")
    context.close()
    assert not outside, f"the dashboard fetched from outside the server: {outside}"
    assert not errors, f"JavaScript errors: {errors}"


def test_whatif_without_a_timeline_draws_no_chart(browser: Any, live_url: str) -> None:
    context, tab, outside, errors = _watched_page(browser, live_url, 1440, 900)
    seen: list[dict[str, Any]] = []
    _serve_results(tab, False, seen)
    tab.goto(f"{live_url}/?network=tri-cluster&lang=en")
    tab.wait_for_selector("body[data-ready='1']")
    _site_down(tab)
    assert "timeline" not in seen[-1]
    assert tab.query_selector("#whatif-recovery") is None
    assert tab.query_selector("#whatif-result .main-svg") is None
    assert "Recovery over time" not in tab.inner_text("#whatif-result")
    context.close()
    assert not outside and not errors, (outside, errors)


@pytest.mark.parametrize("kind", ["outage", "replay", "scenario"])
def test_event_jobs_carry_the_timeline_the_chart_draws(run_job: Any, kind: str) -> None:
    from chipstress.workflows.hazards import default_parameters, evaluate, parse_events, replay
    from chipstress.workflows.outage import outage

    network = load_builtin()
    water = {"type": "water_restriction", "district": "hsinchu", "level": "red", "duration": 2}
    if kind == "outage":
        body: dict[str, Any] = {"outages": [{"node": "kumamoto_groundwater", "duration": 2}]}
        expected: Any = outage(network, {"kumamoto_groundwater": (1.0, 2.0)})
    elif kind == "replay":
        body = {"event": "kumamoto_2016"}
        expected = replay("kumamoto_2016", network)
    else:
        body = {"events": [water]}
        params = default_parameters()
        events = parse_events([water], "events", params)
        expected = evaluate(events, network, name="scenario", params=params, source="events")
    result = run_job(kind, {"network": "tri-cluster", **body})["result"]
    timeline = expected.tables()["timeline"]
    rows = result["timeline"]["rows"]
    assert [r["period"] for r in rows] == timeline["period"].tolist()
    for column in ("start", "end", "capacity", "service_level", "lost_profit"):
        assert [r[column] for r in rows] == pytest.approx(timeline[column].tolist(), abs=1e-9)
    assert result["period_length"] == pytest.approx(expected.summary()["period_length"])
    assert result["horizon"] == expected.summary()["horizon"] == len(rows)

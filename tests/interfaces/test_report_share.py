"""No chart offers to upload itself to Plotly Cloud (issue 16, defect 2), and the
plotly.js bundle the report and dashboard load is the vendored partial one (issue 17).

plotly.js 4 adds a "Share chart..." mode-bar button (``sendChartToCloud``) to every
chart unless the config says ``showSendToCloud: false``; it opens a dialog that uploads
the chart, data included, to Plotly Cloud.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest

from chipstress import Network, load_builtin
from chipstress.errors import InvalidInput
from chipstress.interfaces.figures.plotlyjs import (
    PLOTLY_CONFIG,
    PLOTLY_JS_SHA256,
    PLOTLY_JS_TRACES,
    PLOTLY_JS_VERSION,
    plotly_js,
    plotly_js_path,
    unsupported_traces,
)
from chipstress.interfaces.report import build_report
from chipstress.interfaces.report._html import Page
from chipstress.store import ResultsStore
from chipstress.workflows import sweep, sweep_summary
from chipstress.workflows.runner import Runner

CLOUD_BUTTONS = {"sendChartToCloud", "sendDataToCloud", "editInChartStudio"}


@pytest.fixture(scope="module")
def tri() -> Network:
    return load_builtin("tri-cluster")


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory, tri: Network) -> str:
    table = sweep(tri, include_products=True, runner=Runner(workers=1)).table
    with ResultsStore(tmp_path_factory.mktemp("db") / "runs.duckdb") as store:
        run_id = store.save(
            "sweep", tri, {"network": "tri-cluster"}, {"sweep": table}, sweep_summary(table)
        )
        return build_report(store, run_id)


def _page_config(html: str) -> dict:
    """The plotly config the report's boot script draws every chart with."""
    found = re.search(r"var config = (\{.*?\});", html)
    assert found is not None, "the report has no chart config"
    return json.loads(found.group(1))


def test_the_config_turns_every_cloud_path_off() -> None:
    assert PLOTLY_CONFIG["showSendToCloud"] is False
    assert PLOTLY_CONFIG["showEditInChartStudio"] is False
    assert PLOTLY_CONFIG["showLink"] is False
    assert PLOTLY_CONFIG["displaylogo"] is False
    assert PLOTLY_CONFIG["plotlyServerURL"] == ""
    assert set(PLOTLY_CONFIG["modeBarButtonsToRemove"]) >= CLOUD_BUTTONS


def test_the_report_draws_with_that_config(report_html: str) -> None:
    assert _page_config(report_html) == PLOTLY_CONFIG
    assert report_html.count("Plotly.newPlot(") == 1  # one call, with that config


def test_the_bundle_is_the_pinned_vendored_one() -> None:
    data = plotly_js_path().read_bytes()
    assert hashlib.sha256(data).hexdigest() == PLOTLY_JS_SHA256
    head = plotly_js()[:200]
    assert f"plotly.js (basic - minified) v{PLOTLY_JS_VERSION}" in head
    licence = plotly_js_path().with_name("plotly-basic.LICENSE.txt").read_text(encoding="utf-8")
    assert "MIT License" in licence and "Plotly" in licence
    assert len(data) < 1_300_000  # the basic bundle, not the 4.8 MB full one


def test_the_bundle_registers_the_trace_types_it_claims() -> None:
    text = plotly_js()
    for trace in PLOTLY_JS_TRACES:
        assert re.search(rf'moduleType:"trace",name:"{trace}"', text), trace
    assert not re.search(r'moduleType:"trace",name:"scattergeo"', text)


def test_a_trace_the_bundle_lacks_is_refused() -> None:
    page = Page("t")
    page.figure(go.Figure(go.Scatter(x=[1], y=[1])))
    assert unsupported_traces(go.Figure(go.Bar(x=[1], y=[1]))) == []
    geo = go.Figure(go.Scattergeo(lon=[1], lat=[1]))
    assert unsupported_traces(geo) == ["scattergeo"]
    assert unsupported_traces(geo.to_plotly_json()) == ["scattergeo"]
    with pytest.raises(InvalidInput, match="cannot draw scattergeo"):
        page.figure(geo)


def test_the_dashboard_serves_the_same_bundle_and_config(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from chipstress.interfaces.api import create_app

    client = TestClient(create_app(db=tmp_path / "r.duckdb"))
    served = client.get("/static/plotly.min.js")
    assert served.status_code == 200
    assert served.content == plotly_js_path().read_bytes()
    state = client.get("/static/state.js").text
    config = state[state.index("PLOTLY_CONFIG") :]
    assert re.search(r"showSendToCloud:\s*false", config)
    assert re.search(r"showEditInChartStudio:\s*false", config)
    for button in CLOUD_BUTTONS:
        assert f'"{button}"' in config, button
    # every trace type the dashboard scripts draw is in the bundle (scattergeo is drawn
    # only for figures on geo subplots, which the server's figures never use)
    types = set()
    for name in ("app.js", "map.js", "runs.js", "mitigation.js", "recovery.js"):
        response = client.get(f"/static/{name}")
        if response.status_code == 200:
            types |= set(re.findall(r'type:\s*"([a-z]+)"', response.text))
    assert {"scatter", "bar"} <= types
    assert types - PLOTLY_JS_TRACES - {"scattergeo", "earthquake"} == set()


# ------------------------------------------------------------------ browser
def _chromium() -> str | None:
    return (
        os.environ.get("CHIPSTRESS_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


_BUTTONS = """
() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(
  (plot) => Array.from(plot.querySelectorAll('.modebar-btn')).map(
    (b) => (b.getAttribute('data-title') || '') + '|' + (b.getAttribute('data-attr') || '')))
"""

_DEFAULT_CHART = """
async () => {
  const div = document.createElement('div');
  div.id = 'control';
  document.body.appendChild(div);
  await Plotly.newPlot(div, [{x: [1, 2], y: [1, 2]}], {}, {});
  return Array.from(div.querySelectorAll('.modebar-btn')).map(
    (b) => b.getAttribute('data-title') || '');
}
"""


def test_no_chart_in_the_report_offers_share_in_chromium(report_html: str, tmp_path: Path) -> None:
    browser_path = _chromium()
    if browser_path is None:
        if os.environ.get("CHIPSTRESS_REQUIRE_SERVICES") == "1":
            pytest.fail("no Chromium, but CI requires the browser tests")
        pytest.skip("no Chromium (run scripts/services.sh)")
    sync_api = pytest.importorskip("playwright.sync_api")
    page_path = tmp_path / "report.html"
    page_path.write_text(report_html, encoding="utf-8")
    figures = report_html.count('data-figure="')
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=browser_path, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.route(
                "**/*",
                lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort(),
            )
            page.goto(page_path.as_uri())
            page.wait_for_function(
                f"document.querySelectorAll('.js-plotly-plot .modebar').length >= {figures}",
                timeout=30_000,
            )
            buttons = page.evaluate(_BUTTONS)
            control = page.evaluate(_DEFAULT_CHART)
        finally:
            browser.close()
    assert len(buttons) == figures and all(buttons)  # every chart has its mode bar
    for chart in buttons:
        assert not [b for b in chart if "share" in b.lower() or "cloud" in b.lower()], chart
        assert any("png" in b.lower() for b in chart), chart  # the local download stays
    # the same bundle with plotly's default config does offer it: the check can fail
    assert any("Share chart" in title for title in control), control


def test_figures_in_reports_use_bundle_traces(tri: Network) -> None:
    """Every figure builder the report uses draws only traces the bundle holds."""
    from chipstress.interfaces.figures import exceedance_curve, site_map, tiered_network

    values = pd.Series(1.0, index=tri.nodes["id"])
    figures = [
        site_map(tri, values, title="t"),
        tiered_network(tri, values),
        exceedance_curve(
            pd.DataFrame(
                {"return_period": [1, 2], "exceedance_probability": [1.0, 0.5], "loss": [2.0, 1.0]}
            )
        ),
    ]
    for figure in figures:
        assert unsupported_traces(figure) == []

"""The dashboard's layout in headless Chromium at 1440×900 and 390×844: the map inside its
card, its legend clear of the inset titles, toolbars clear of the titles, no sideways
scroll (defect 1); no chart offers to send itself to Plotly's cloud (defect 2); the print
stylesheet hides the controls and unfolds the tables."""

from __future__ import annotations

from typing import Any

from dashboard_browser import (
    DESKTOP,
    VIEWPORTS,
    box,
    cloud_buttons,
    dashboard,
    overlap,
    run_sweep,
)


def _inside(inner: dict[str, float], outer: dict[str, float], slack: float = 0.5) -> bool:
    return (
        inner["x"] >= outer["x"] - slack
        and inner["y"] >= outer["y"] - slack
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack
    )


def _boxes(page: Any, selector: str) -> list[dict[str, Any]]:
    return list(
        page.evaluate(
            """(sel) => [...document.querySelectorAll(sel)].map((el) => {
              const r = el.getBoundingClientRect();
              return { x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height, text: el.textContent };
            })""",
            selector,
        )
    )


@VIEWPORTS
def test_nothing_spills_or_overlaps(browser: Any, server: str, viewport: tuple[int, int]) -> None:
    with dashboard(browser, server, viewport) as page:
        run_sweep(page)
        page.locator("#risk-table tbody tr[data-node]").first.click()
        page.wait_for_selector("#site-name")
        width = viewport[0]
        # No sideways scroll, and no element wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # The map (every layer plotly draws) stays inside its card; cards do not overlap.
        card = box(page, ".map-card")
        for layer in _boxes(page, "#map .main-svg"):
            assert _inside(layer, card), (layer, card)
        cards = _boxes(page, "main.grid > .card")
        for i, a in enumerate(cards):
            for b in cards[i + 1 :]:
                assert overlap(a, b) == 0, (a["text"][:30], b["text"][:30])
        # The legend covers no inset title (the "A  Taiwan" lines above each detail panel).
        titles = [a for a in _boxes(page, "#map .annotation") if len(a["text"].strip()) > 2]
        assert titles, "the map has inset titles"
        for legend in _boxes(page, "#map .legend"):
            for title in titles:
                assert overlap(legend, title) == 0, (legend, title["text"])
        # Toolbars and controls never cover a card's title or the brand.
        for head in page.locator(".card-head").all():
            title = head.locator("h2").bounding_box()
            for tool in head.locator(".toolbar").all():
                assert overlap(title, tool.bounding_box()) == 0
        assert overlap(box(page, ".brand"), box(page, ".topbar .controls")) == 0
        assert overlap(box(page, ".explorer-tools"), box(page, ".explorer-card h2")) == 0
        # Every card fits the screen.
        for card_box in cards:
            assert card_box["x"] >= 0 and card_box["x"] + card_box["width"] <= width + 0.5


def test_no_chart_offers_a_cloud_upload(browser: Any, server: str) -> None:
    with dashboard(browser, server, DESKTOP) as page:
        # The map, the recovery chart of a what-if and the plan's trade-off curve.
        page.select_option("#outage-node", "kumamoto_groundwater")
        page.fill("#outage-duration", "2")
        page.click("#outage-run")
        page.wait_for_selector("#whatif-recovery .main-svg", timeout=180_000)
        page.fill("#plan-budgets", "2M")
        page.click("#plan-run")
        page.wait_for_selector("#plan-curve .main-svg", timeout=300_000)
        charts = page.evaluate("document.querySelectorAll('.js-plotly-plot').length")
        assert charts >= 3
        page.hover("#map .main-svg")  # the mode bar shows on hover
        assert cloud_buttons(page) == []
        # Plotly's own default (showSendToCloud: true) is off for the whole page too.
        assert page.evaluate("Plotly.setPlotConfig && window.Plotly ? true : false")
        probe = page.evaluate(
            """async () => {
              const div = document.createElement('div');
              document.body.appendChild(div);
              await Plotly.newPlot(div, [{ y: [1, 2] }], {});
              const c = div._context;
              const out = [c.showSendToCloud, c.showEditInChartStudio, c.displaylogo];
              Plotly.purge(div); div.remove();
              return out;
            }"""
        )
        assert probe == [False, False, False]


def test_print_stylesheet(browser: Any, server: str) -> None:
    with dashboard(browser, server, DESKTOP) as page:
        run_sweep(page)
        page.emulate_media(media="print")
        style = page.evaluate(
            """() => ({
              controls: getComputedStyle(document.querySelector('.topbar .controls')).display,
              toolbar: getComputedStyle(document.querySelector('.risks-card .toolbar')).display,
              downloads: getComputedStyle(document.querySelector('#sweep-downloads .downloads')).display,
              tableHeight: getComputedStyle(document.querySelector('.risks-card .table-wrap')).maxHeight,
              shadow: getComputedStyle(document.querySelector('.card')).boxShadow,
            })"""
        )
        assert style == {
            "controls": "none",
            "toolbar": "none",
            "downloads": "none",
            "tableHeight": "none",
            "shadow": "none",
        }
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 2
        page.emulate_media(media="screen")
        assert (
            page.evaluate("getComputedStyle(document.querySelector('.topbar .controls')).display")
            == "flex"
        )

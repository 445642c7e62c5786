"""The network explorer in headless Chromium: every site and edge drawn, columns by tier and
by material, search, filters by cluster and kind, a site's upstream and downstream as the
API lists them, colours from a sweep, and a network without coordinates (which the map
cannot draw) drawn in full."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from dashboard_browser import (
    DESKTOP,
    PHONE,
    VIEWPORTS,
    box,
    dashboard,
    explorer_eval,
    run_sweep,
)

from chipstress import load_builtin
from chipstress.model import read_network, write_network

ROOT = Path(__file__).resolve().parents[3]


@VIEWPORTS
def test_every_site_and_edge_in_tier_columns(
    browser: Any, server: str, viewport: tuple[int, int]
) -> None:
    network = load_builtin("tri-cluster")
    with dashboard(browser, server, viewport) as page:
        drawn = explorer_eval(
            page,
            "return { nodes: cy.nodes().length, edges: cy.edges().length,"
            " x: Object.fromEntries(cy.nodes().map((n) => [n.id(), n.position('x')])) };",
        )
        assert drawn["nodes"] == network.n_nodes
        assert drawn["edges"] == len(network.sources)
        # By tier: upstream tiers stand left of downstream ones, each tier in its own band.
        tier = dict(zip(network.nodes["id"], network.nodes["tier"].astype(int), strict=True))
        for high in range(2, max(tier.values()) + 1):
            right_of_high = max(x for n, x in drawn["x"].items() if tier[n] == high)
            left_of_low = min(x for n, x in drawn["x"].items() if tier[n] == high - 1)
            assert right_of_high < left_of_low
        # The canvas stays inside its card, and the page does not scroll sideways.
        card = box(page, "#explorer-card")
        canvas = box(page, "#explorer")
        assert (
            card["x"] <= canvas["x"]
            and canvas["x"] + canvas["width"] <= card["x"] + card["width"] + 0.5
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0]

        # By material: one column per material, sites of a material share it.
        page.select_option("#explorer-layout", "material")
        xs = explorer_eval(
            page, "return Object.fromEntries(cy.nodes().map((n) => [n.id(), n.position('x')]));"
        )
        material = dict(zip(network.nodes["id"], network.nodes["material"], strict=True))
        spans: dict[str, tuple[float, float]] = {}
        for node, x in xs.items():
            lo, hi = spans.get(material[node], (x, x))
            spans[material[node]] = (min(lo, x), max(hi, x))
        ordered = sorted(spans.values())
        assert all(a[1] < b[0] for a, b in pairwise(ordered))


def test_search_filter_and_highlight(browser: Any, server: str) -> None:
    network = load_builtin("tri-cluster")
    with dashboard(browser, server, DESKTOP) as page:
        # Filter by cluster, then by kind: the sites left are exactly those of the network.
        nodes = network.nodes
        page.select_option("#explorer-cluster", "kumamoto")
        shown = explorer_eval(page, "return cy.nodes().not('.hidden').map((n) => n.id()).sort();")
        assert shown == sorted(nodes.loc[nodes["cluster"] == "kumamoto", "id"])
        page.select_option("#explorer-kind", "supplier")
        shown = explorer_eval(page, "return cy.nodes().not('.hidden').map((n) => n.id()).sort();")
        both = (nodes["cluster"] == "kumamoto") & (nodes["kind"] == "supplier")
        assert shown == sorted(nodes.loc[both, "id"]) and shown
        assert page.text_content("#explorer-count") == f"{len(shown)} / {network.n_nodes}"
        page.select_option("#explorer-cluster", "*")
        page.select_option("#explorer-kind", "*")

        # Search by any of a site's names: Japanese names find it too.
        site = "asml_veldhoven"
        name_ja = str(nodes.set_index("id").at[site, "name_ja"])
        page.fill("#explorer-search", name_ja[:4])
        hits = explorer_eval(page, "return cy.nodes('.match').map((n) => n.id());")
        assert site in hits
        assert all(name_ja[:4] in str(nodes.set_index("id").at[h, "name_ja"]) for h in hits)

        # Enter focuses the first hit: the site panel opens, upstream and downstream are
        # highlighted exactly as the API lists them.
        page.fill("#explorer-search", "ASML")
        page.press("#explorer-search", "Enter")
        first = explorer_eval(page, "return cy.nodes('.focus').map((n) => n.id());")
        assert len(first) == 1
        node = first[0]
        page.wait_for_function(
            f"document.querySelector('#site-panel .site-id')?.textContent.includes('{node}')"
        )
        detail = page.request.get(f"{server}/api/networks/tri-cluster/nodes/{node}").json()
        up = explorer_eval(page, "return cy.nodes('.up').map((n) => n.id()).sort();")
        down = explorer_eval(page, "return cy.nodes('.down').map((n) => n.id()).sort();")
        assert up == sorted(d["id"] for d in detail["upstream"])
        assert down == sorted(d["id"] for d in detail["downstream"])
        assert down, "ASML feeds fabs"
        # A row of the risk table focuses the explorer on that site.
        run_sweep(page)
        row = page.locator("#risk-table tbody tr[data-node]").nth(1)
        target = row.get_attribute("data-node")
        row.click()
        assert explorer_eval(page, "return cy.nodes('.focus').map((n) => n.id());") == [target]


def test_colour_by_a_sweep_column(browser: Any, server: str) -> None:
    with dashboard(browser, server, DESKTOP) as page:
        run_sweep(page)
        page.select_option("#explorer-colour", "sweep:lost_profit")
        rows = page.evaluate(
            "() => [...document.querySelectorAll('#risk-table tbody tr[data-node]')].map((tr) =>"
            " [tr.dataset.node, Number(tr.children[5].dataset.value)])"
        )
        values = explorer_eval(
            page,
            "return Object.fromEntries(cy.nodes().map((n) => [n.id(), [n.data('value'), n.data('color')]]));",
        )
        for node, lost in rows:
            assert values[node][0] == pytest.approx(lost)
        # The largest loss is the darkest red; a site the sweep did not disrupt is grey.
        worst = max(rows, key=lambda r: r[1])[0]
        assert values[worst][1] == "rgb(189,0,38)"
        swept = {r[0] for r in rows}
        assert all(v[1] == "#cbd5e1" for n, v in values.items() if n not in swept)
        legend = page.text_content("#explorer-legend") or ""
        assert "log" in legend  # losses spread over decades: a log scale


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_network_without_coordinates(
    browser: Any, server: str, viewport: tuple[int, int], tmp_path: Path
) -> None:
    network = read_network(ROOT / "tests" / "fixtures" / "tiny")
    path = tmp_path / "no-coordinates.json"
    dropped = write_network(network, path)
    assert "lat" in dropped  # the reference JSON holds no coordinates
    with dashboard(browser, server, viewport) as page:
        page.set_input_files("#upload-input", str(path))
        page.wait_for_selector(
            "#network-select option[value^='up-']:checked", state="attached", timeout=180_000
        )
        page.wait_for_function(
            f"document.querySelector('#explorer').dataset.nodes === '{network.n_nodes}'"
        )
        assert explorer_eval(page, "return cy.edges().length;") == len(network.sources)
        # The map says why it is empty and where to look instead.
        page.wait_for_function("document.querySelector('#map').textContent.includes('explorer')")
        # Tiers come from the graph: the fab (demand) right of its suppliers, gas further left.
        xs = explorer_eval(
            page, "return Object.fromEntries(cy.nodes().map((n) => [n.id(), n.position('x')]));"
        )
        assert xs["gas"] < xs["resist_a"] < xs["fab"]
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0]

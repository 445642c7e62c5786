"""An analyst's first day, end to end in headless Chromium: import a supplier workbook
through the dashboard (the upload dialog suggests which column is which), sweep it, open
the network explorer and a site's explanation, download the results as Excel, and switch
to 日本語 with no English label left on the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dashboard_browser import (
    DESKTOP,
    PHONE,
    dashboard,
    download,
    english_left,
    explorer_eval,
    run_sweep,
)
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[3]
WORKBOOK = ROOT / "tests" / "fixtures" / "spreadsheets" / "flat.xlsx"


def _import_workbook(page: Any) -> str:
    """Uploads the workbook, checks the suggested mapping, accepts it; the network's id."""
    page.set_input_files("#upload-input", str(WORKBOOK))
    page.wait_for_selector("#mapping-dialog[open] select[data-header]")
    chosen = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('#mapping-table select[data-header]')]"
        ".map((s) => [s.dataset.header, s.value]))"
    )
    assert chosen["Vendor"] == "supplier" and chosen["Buyer"] == "customer"
    assert chosen["Part"] == "material" and chosen["Qty per"] == "quantity"
    assert chosen["Comment"] == ""  # nothing in the schema: left out
    assert (
        page.eval_on_selector("#mapping-table select[data-sheet-table]", "s => s.value") == "flat"
    )
    page.click("#mapping-dialog button[value='ok']")
    page.wait_for_selector(
        "#network-select option[value^='up-']:checked", state="attached", timeout=180_000
    )
    return str(page.eval_on_selector("#network-select", "s => s.value"))


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_first_day(browser: Any, server: str, viewport: tuple[int, int], tmp_path: Path) -> None:
    with dashboard(browser, server, viewport) as page:
        network_id = _import_workbook(page)
        net = page.request.get(f"{server}/api/networks/{network_id}").json()
        nodes = page.request.get(f"{server}/api/networks/{network_id}/nodes").json()
        assert net["source"] == "upload" and len(nodes) == net["nodes"] >= 4

        # Sweep it.
        run_sweep(page)
        rows = page.evaluate(
            "() => [...document.querySelectorAll('#risk-table tbody tr[data-node]')].map((tr) =>"
            " [tr.dataset.node, tr.children[5].dataset.value])"
        )
        assert rows  # lost profit as shown: a number, or "" where the sweep has none

        # The explorer draws every site and edge (the workbook has no coordinates).
        page.locator("#explorer-card").scroll_into_view_if_needed()
        edges = page.request.get(f"{server}/api/networks/{network_id}/edges").json()
        drawn = explorer_eval(page, "return [cy.nodes().length, cy.edges().length];")
        assert drawn == [len(nodes), len(edges)]

        # A site's explanation, opened from the explorer: what the API explains.
        worst = rows[0][0]
        explorer_eval(page, f"cy.getElementById({worst!r}).emit('tap'); return true;")
        page.wait_for_selector("#explain-verdict", timeout=120_000)
        why = page.request.get(f"{server}/api/networks/{network_id}/explain/{worst}").json()
        assert page.get_attribute("#site-panel .site-id span", "translate") == "no"
        assert worst in (page.text_content("#site-panel .site-id") or "")
        shown = page.evaluate(
            "() => [...document.querySelectorAll('#explain-products tbody tr')].map((tr) =>"
            " [tr.dataset.node, Number(tr.children[2].dataset.value)])"
        )
        assert shown == [
            [p["product"], pytest.approx(p["lost_profit"])] for p in why["per_product"]
        ]
        assert ("bad" in (page.get_attribute("#explain-verdict", "class") or "")) == (
            why["verdict"] == "exposed"
        )

        # The results as Excel: the sweep's rows, as the table shows them.
        saved = download(page, "#sweep-downloads a.primary-dl", tmp_path)
        book = load_workbook(saved, read_only=True)
        assert "sweep" in book.sheetnames
        sheet = list(book["sweep"].iter_rows(values_only=True))
        header = list(sheet[0])
        at_node, at_loss = header.index("node"), header.index("lost_profit")
        in_book = {r[at_node]: r[at_loss] for r in sheet[1:]}
        assert len(in_book) == len(rows)
        for node, lost in rows:
            assert in_book[node] == (None if lost == "" else pytest.approx(float(lost)))

        # 日本語, with no English label left (site ids and names are data, not labels).
        page.click(".lang-switch button[data-lang='ja']")
        page.wait_for_selector("body[data-lang='ja']")
        page.wait_for_selector("#explain-verdict")
        names = {network_id, net["name"], str(net.get("filename") or "")}
        for node in nodes:
            names |= {node["id"], node["name"], node["name_zh"], node["name_ja"]}
        assert english_left(page, names) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0]

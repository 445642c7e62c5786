"""The "Events and plans" panels in headless Chromium: replay, scenario, simulate and
contingency, each run as a job of the API, its figures as the job returned them, its
tables shown, and its stored run taken away as Excel, CSV and the HTML report."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dashboard_browser import DESKTOP, PHONE, dashboard, download
from openpyxl import load_workbook


def _keep_results(page: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def handle(route: Any) -> None:
        response = route.fetch()
        seen.append(response.json())
        route.fulfill(response=response)

    page.route("**/api/jobs/*/result", handle)
    return seen


def _replay(page: Any) -> None:
    page.select_option("#replay-event", "kumamoto_2016")
    page.click("#form-replay button[type=submit]")


def _scenario(page: Any) -> None:
    page.click("#runs-card .tabs button[data-tab='scenario']")
    page.click("#form-scenario button[type=submit]")


def _simulate(page: Any) -> None:
    page.click("#runs-card .tabs button[data-tab='simulate']")
    page.fill("#simulate-years", "30")
    page.fill("#simulate-seed", "7")
    page.click("#form-simulate button[type=submit]")


def _contingency(page: Any) -> None:
    page.click("#runs-card .tabs button[data-tab='contingency']")
    page.select_option("#contingency-node", "kumamoto_groundwater")
    page.fill("#contingency-duration", "3")
    page.click("#form-contingency button[type=submit]")


PANELS: dict[str, Callable[[Any], None]] = {
    "replay": _replay,
    "scenario": _scenario,
    "simulate": _simulate,
    "contingency": _contingency,
}


@pytest.mark.parametrize("kind", list(PANELS))
def test_panel_runs_and_takes_away(browser: Any, server: str, kind: str, tmp_path: Path) -> None:
    with dashboard(browser, server, DESKTOP) as page:
        seen = _keep_results(page)
        PANELS[kind](page)
        page.wait_for_selector("#runs-result .downloads", timeout=300_000)
        job, result = seen[-1]["job"], seen[-1]["result"]
        assert job["kind"] == kind and job["status"] == "succeeded"
        run_id = job["run_id"]
        # The figures shown are the job's.
        for cell in page.locator("#runs-result .stat .value").all():
            key = cell.get_attribute("data-key")
            shown = float(cell.get_attribute("data-value") or "nan")
            expected = result[key]
            assert shown == (math.inf if expected == "Infinity" else pytest.approx(expected)), key
        # Hazards: the verdict follows the loss.
        if kind in ("replay", "scenario"):
            bad = "bad" in (page.get_attribute("#runs-verdict", "class") or "")
            assert bad == (float(result["loss"]) > 0)
        run = page.request.get(f"{server}/api/runs/{run_id}").json()
        assert run["kind"] == kind and run["tables"]

        # Excel: the whole run, one sheet per stored table after the run's record.
        saved = download(page, "#runs-result a.primary-dl", tmp_path)
        assert saved.name == f"{run_id}.xlsx"
        book = load_workbook(saved, read_only=True)
        assert book.sheetnames == ["run", *run["tables"]]
        about = {r[0]: r[1] for r in book["run"].iter_rows(min_row=2, values_only=True)}
        assert about["run_id"] == run_id and about["kind"] == kind
        name = run["tables"][0]
        stored = page.request.get(f"{server}/api/runs/{run_id}/tables/{name}?limit=100000").json()
        assert sum(1 for _ in book[name].iter_rows()) - 1 == stored["total_rows"]

        # CSV of one table, and the HTML report.
        page.click("#runs-result .downloads details summary")
        saved = download(page, f"#runs-result a[data-download$='/tables/{name}.csv']", tmp_path)
        rows = list(csv.DictReader(io.StringIO(saved.read_text())))
        assert len(rows) == stored["total_rows"]
        if rows:
            assert list(rows[0]) == list(stored["rows"][0])
        report = download(page, "#runs-result a[data-download$='/report']", tmp_path)
        html = report.read_text()
        assert report.name == f"{run_id}-report.html" and "<html" in html.lower() and run_id in html


def test_panels_on_a_phone(browser: Any, server: str) -> None:
    with dashboard(browser, server, PHONE) as page:
        _contingency(page)
        page.wait_for_selector("#runs-result .downloads", timeout=300_000)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
        excel = page.locator("#runs-result a.primary-dl")
        assert excel.is_visible()
        card = page.locator("#runs-card").bounding_box()
        link = excel.bounding_box()
        assert link["x"] >= card["x"] and link["x"] + link["width"] <= card["x"] + card["width"]

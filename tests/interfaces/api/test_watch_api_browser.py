"""The dashboard's Alerts panel in headless Chromium (desktop 1440x900 and phone 390x844):
a stored alert shows with its evidence sentences, hazard, sites, loss and a link to its
scenario run; "Check folders now" polls the server's watch folder and adds the new one.

Skips when Chromium is missing, unless ``CHIPSTRESS_REQUIRE_SERVICES=1``.
Screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboard_browser import serving

from chipstress import load_builtin
from chipstress.interfaces.api import create_app
from chipstress.store import ResultsStore
from chipstress.workflows.watch.watcher import Watcher

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "workflows" / "watch"))
from watch_alert_helpers import FakeReader, quake

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "tests" / "artifacts"
EVIDENCE = "高雄發生規模7.1地震，南科高雄園區廠房停工。"
STORY = "A magnitude 6.7 earthquake struck Kikuyo, Kumamoto, halting the JASM fab.\n"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A live server whose results DB holds one alert, watching a folder with one story."""
    folder = tmp_path_factory.mktemp("alerts-browser")
    db = folder / "results.duckdb"
    network = load_builtin("tri-cluster")
    with ResultsStore(db) as store:
        reader = FakeReader([quake("zh-quake", magnitude=7.1, text=EVIDENCE, language="zh-TW")])
        report = Watcher(["inbox"], network, store, read=reader).poll()
    stored = report.alerts[0].to_dict()
    inbox = folder / "inbox"
    inbox.mkdir()
    (inbox / "story.txt").write_text(STORY, encoding="utf-8")
    app = create_app(db=db, workers=1)
    app.state.watch_folders = [str(inbox)]
    with serving(app) as url:
        yield {"url": url, "alert": stored}


def _open(
    browser: Any, base: str, width: int, height: int
) -> tuple[Any, Any, list[str], list[str]]:
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    outside: list[str] = []
    errors: list[str] = []
    tab.on("request", lambda r: None if r.url.startswith(base) else outside.append(r.url))
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.set_default_timeout(30_000)
    tab.goto(f"{base}/")
    tab.wait_for_selector("body[data-ready='1']")
    return context, tab, outside, errors


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (390, 844)])
def test_alerts_panel_shows_the_alert_with_its_evidence(
    browser: Any, served: dict[str, Any], width: int, height: int
) -> None:
    base, stored = served["url"], served["alert"]
    context, tab, outside, errors = _open(browser, base, width, height)
    item = tab.wait_for_selector(f".alert-item[data-alert='{stored['id']}']")
    item.scroll_into_view_if_needed()
    assert item.is_visible()
    assert EVIDENCE in item.inner_text()
    assert (
        tab.get_attribute(f".alert-item[data-alert='{stored['id']}'] .alert-evidence p", "lang")
        == "zh-Hant"
    )
    assert "earthquake" in item.inner_text().lower()
    shown = tab.inner_text(f".alert-item[data-alert='{stored['id']}'] .alert-loss")
    assert int(shown.replace(",", "")) == round(stored["loss"])
    sites_text = tab.inner_text(f".alert-item[data-alert='{stored['id']}'] .alert-sites")
    assert f"({len(stored['sites'])})" in sites_text and "TSMC Fab 22" in sites_text
    link = tab.get_attribute(f".alert-item[data-alert='{stored['id']}'] a[data-run]", "href")
    assert link == f"/api/runs/{stored['run_id']}/report"
    status = tab.evaluate("(url) => fetch(url).then((r) => r.status)", link)
    assert status == 200
    # The panel fits the screen: nothing wider than the viewport.
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    box = item.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1
    # Another language: the heading follows.
    tab.click(".lang-switch button[data-lang='ja']")
    tab.wait_for_function(
        "document.querySelector('#alerts-panel h2').textContent.includes('アラート')"
    )
    assert "損失" in tab.inner_text(f".alert-item[data-alert='{stored['id']}'] .alert-meta")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.locator("#alerts-panel").screenshot(path=str(ARTIFACTS / f"alerts-{width}x{height}.png"))
    context.close()
    assert not outside, f"the dashboard fetched from outside the server: {outside}"
    assert not errors, f"JavaScript errors: {errors}"


def test_check_folders_now_adds_the_new_alert(browser: Any, served: dict[str, Any]) -> None:
    base = served["url"]
    context, tab, outside, errors = _open(browser, base, 1440, 900)
    tab.wait_for_selector(".alert-item")
    before = tab.locator(".alert-item").count()
    tab.click("#alerts-poll")
    tab.wait_for_function(f"document.querySelectorAll('.alert-item').length > {before}")
    text = tab.inner_text("#alerts-list")
    assert "JASM fab" in text
    total = json.loads(tab.evaluate("fetch('/api/alerts').then((r) => r.text())"))["total"]
    assert total == tab.locator(".alert-item").count() == before + 1
    context.close()
    assert not outside and not errors, (outside, errors)

"""The dashboard in 繁中 and 日本語 (defect 8): after a sweep, a site's panel and an
earthquake what-if, no visible text holds an English word (names of sites, networks and
events, ids and units aside); and the what-if verdict follows the loss (defect 3)."""

from __future__ import annotations

from typing import Any

import pytest
from dashboard_browser import (
    DESKTOP,
    PHONE,
    dashboard,
    english_left,
    run_sweep,
)

from chipstress import load_builtin


def _names() -> set[str]:
    nodes = load_builtin("tri-cluster").nodes
    names = {"tri-cluster"}
    for column in ("id", "name", "name_zh", "name_ja"):
        names |= {str(v) for v in nodes[column].dropna()}
    return names


def _earthquake(page: Any) -> None:
    page.click(".tabs button[data-tab='quake']")
    page.click("#quake-run")
    page.wait_for_selector("#whatif-verdict", timeout=180_000)


@pytest.mark.parametrize(
    ("lang", "viewport"),
    [("ja", DESKTOP), ("zh-Hant", DESKTOP), ("ja", PHONE)],
    ids=["ja-desktop", "zh-desktop", "ja-phone"],
)
def test_no_english_label_left(
    browser: Any, server: str, lang: str, viewport: tuple[int, int]
) -> None:
    names = _names()
    with dashboard(browser, server, viewport) as page:
        # English first: the walk does find English labels (the check can fail).
        assert "Network explorer" in english_left(page, names)
        run_sweep(page)
        page.locator("#risk-table tbody tr[data-node]").first.click()
        page.wait_for_selector("#site-explain")
        _earthquake(page)
        page.wait_for_selector("#whatif-recovery .main-svg")
        page.click(f".lang-switch button[data-lang='{lang}']")
        page.wait_for_selector(f"body[data-lang='{lang}']")
        assert english_left(page, names) == []
        # The translations are those of the labels file (a few samples, by key).
        labels = page.request.get(f"{server}/api/labels").json()["ui"]
        assert page.title() == labels["page_title"][lang]
        assert labels["explorer"][lang] in (page.text_content("#explorer-card h2") or "")
        map_text = page.text_content("#map") or ""
        assert labels["map_title_by"][lang].split("{")[0] in map_text
        assert "台湾" in map_text or "台灣" in map_text  # the inset's country
        assert labels["lat"][lang] in (page.text_content("#form-quake") or "")


def _serve_outage(page: Any, loss: float, tts: float, window: float) -> None:
    """The what-if result as the engine could send it: a TTS shorter than the window, with
    ``loss`` lost (zero when stock and other sources cover the gap)."""

    def handle(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        body["result"].update(loss=loss, tts=tts, window=window, notes=[])
        route.fulfill(response=response, json=body)

    page.route("**/api/jobs/*/result", handle)


@pytest.mark.parametrize(("loss", "verdict"), [(0.0, "ok"), (1234.0, "bad")])
def test_whatif_verdict_follows_the_loss(
    browser: Any, server: str, loss: float, verdict: str
) -> None:
    with dashboard(browser, server, DESKTOP) as page:
        _serve_outage(page, loss, tts=0.5, window=3.0)
        _earthquake(page)
        labels = page.request.get(f"{server}/api/labels").json()["ui"]
        shown = page.locator("#whatif-verdict")
        assert f"verdict {verdict}" == shown.get_attribute("class")
        text = shown.text_content() or ""
        assert text.startswith(labels["survives" if verdict == "ok" else "fails"]["en"])
        assert float(page.get_attribute("#whatif-lost-profit", "data-value") or "nan") == loss
        tts_card = page.locator("#whatif-tts").locator("xpath=..")
        assert ("alert" in (tts_card.get_attribute("class") or "")) == (verdict == "bad")


def test_real_earthquake_verdict_matches_its_loss(browser: Any, server: str) -> None:
    with dashboard(browser, server, DESKTOP) as page:
        _earthquake(page)
        loss = float(page.get_attribute("#whatif-lost-profit", "data-value") or "nan")
        bad = "bad" in (page.get_attribute("#whatif-verdict", "class") or "")
        assert bad == (loss > 0)
        notes = page.evaluate("document.querySelector('#whatif-result .notes')?.textContent ?? ''")
        assert not (bad and "absorbs" in notes)

"""Helpers of the dashboard's browser tests (imported as ``dashboard_browser``): a live
server on loopback, Debian's Chromium through Playwright, a page that fails the test on
any request off the server or any JavaScript error, and the checks several tests share
(English text left on the page, plotly's cloud buttons, boxes that overlap).

Skips when Chromium is missing, unless ``CHIPSTRESS_REQUIRE_SERVICES=1`` (CI).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from chipstress.interfaces.api import create_app
from chipstress.interfaces.api.background import free_port

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = (1440, 900)
PHONE = (390, 844)
VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])

# Words that are the same in every language of the dashboard: units, acronyms, formats.
ALLOWED_WORDS = frozenset(
    {
        "chipstress",
        "TTR",
        "TTS",
        "USD",
        "EUR",
        "JPY",
        "TWD",
        "YAML",
        "CSV",
        "Excel",
        "HTML",
        "CVaR",
        "VaR",
    }
)

# Visible text nodes of the page (outside translate="no", which marks names and ids; a
# <select> shows only its chosen option).
VISIBLE_TEXT = """() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.trim();
    if (!text) continue;
    const el = node.parentElement;
    if (!el || el.closest('[translate="no"], code, kbd, script, style, noscript, dialog:not([open]), .modebar-container')) continue;
    const option = el.closest("option");
    if (option && !option.selected) continue;
    const box = option ? option.parentElement : el;
    if (box.closest("[hidden]") || !box.checkVisibility({ visibilityProperty: true })) continue;
    found.push(text);
  }
  found.push(document.title);
  return found;
}"""


def chromium_path() -> str:
    """Debian's Chromium (``CHIPSTRESS_CHROMIUM``), or skip (fail on CI)."""
    path = os.environ.get("CHIPSTRESS_CHROMIUM") or "/usr/bin/chromium"
    found = shutil.which(path) or (path if Path(path).exists() else None)
    if found is None:
        reason = f"no Chromium at {path} (install Debian's chromium or set CHIPSTRESS_CHROMIUM)"
        if os.environ.get("CHIPSTRESS_REQUIRE_SERVICES") == "1":
            pytest.fail(reason + "; CI requires the browser tests")
        pytest.skip(reason)
    return found


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve ``app`` (a chipstress API) on a free loopback port; close it and its state after."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.chipstress.jobs.close()
        app.state.chipstress.store.close()
        app.state.chipstress.registry.close()


@contextmanager
def live_server(db: Path, **options: Any) -> Iterator[str]:
    """The API and dashboard on a free loopback port, with their own results DB."""
    with serving(create_app(db=db, workers=2, **options)) as url:
        yield url


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium driven by Playwright."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def dashboard(
    browser: Any, base: str, viewport: tuple[int, int] = DESKTOP, query: str = ""
) -> Iterator[Any]:
    """The dashboard loaded in a fresh context; fails on requests off ``base`` or JS errors."""
    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, accept_downloads=True
    )
    page = context.new_page()
    outside: list[str] = []
    errors: list[str] = []
    page.on(
        "request",
        lambda r: None if r.url.startswith((base, "blob:", "data:")) else outside.append(r.url),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(60_000)
    page.goto(f"{base}/{query}")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("#map .main-svg")
    page.wait_for_function("document.querySelector('#explorer canvas') !== null")
    try:
        yield page
    finally:
        context.close()
    assert not outside, f"the dashboard fetched from outside the server: {outside}"
    assert not errors, f"JavaScript errors: {errors}"


def english_left(page: Any, names: set[str]) -> list[str]:
    """Visible texts that still hold an English word once names, ids, numbers, commands
    quoted in backticks and the words of :data:`ALLOWED_WORDS` are taken out."""
    left = []
    ordered = sorted((n for n in names if n), key=len, reverse=True)
    for text in page.evaluate(VISIBLE_TEXT):
        rest = re.sub(r"`[^`]*`", " ", text)  # a command quoted as code
        for name in ordered:
            rest = rest.replace(name, " ")
        words = [w for w in re.findall(r"[A-Za-z]{3,}", rest) if w not in ALLOWED_WORDS]
        if words:
            left.append(text)
    return left


def cloud_buttons(page: Any) -> list[str]:
    """Mode-bar buttons of every plotly chart that send it away (cloud, Chart Studio), and
    charts whose configuration would show one."""
    return list(
        page.evaluate(
            """() => {
      const out = [];
      document.querySelectorAll('.js-plotly-plot').forEach((gd) => {
        gd.querySelectorAll('.modebar-btn').forEach((b) => {
          const title = (b.getAttribute('data-title') || '') + ' ' + (b.getAttribute('data-attr') || '');
          if (/cloud|share|chart studio|edit in/i.test(title)) out.push(`${gd.id}: ${title}`);
        });
        const c = gd._context || {};
        if (c.showSendToCloud || c.showEditInChartStudio || c.displaylogo) out.push(`${gd.id}: config ${JSON.stringify({s: c.showSendToCloud, e: c.showEditInChartStudio, l: c.displaylogo})}`);
      });
      return out;
    }"""
        )
    )


def box(page: Any, selector: str) -> dict[str, float]:
    """The bounding box of the first element matching ``selector``, in page pixels (from
    the top of the page, not of the viewport)."""
    found = page.evaluate(
        """(sel) => {
          const el = document.querySelector(sel);
          if (!el) return null;
          const r = el.getBoundingClientRect();
          return { x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height };
        }""",
        selector,
    )
    assert found is not None, f"{selector} is not drawn"
    return dict(found)


def overlap(a: dict[str, float], b: dict[str, float]) -> float:
    """Area (px²) two boxes share."""
    w = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    h = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    return max(0.0, w) * max(0.0, h)


def run_sweep(page: Any) -> None:
    """Runs a sweep from the Ranked risks card and waits for its rows and downloads."""
    page.click("#sweep-button")
    page.wait_for_selector("#risk-table tbody tr[data-node]", timeout=180_000)
    page.wait_for_selector("#sweep-downloads a[data-download$='tables.xlsx']")


def download(page: Any, selector: str, into: Path) -> Path:
    """Clicks a download link and saves the file it gives under ``into``."""
    with page.expect_download() as info:
        page.click(selector)
    target = into / info.value.suggested_filename
    info.value.save_as(target)
    return target


def explorer_eval(page: Any, body: str) -> Any:
    """Evaluates ``body`` with ``cy`` (the explorer's cytoscape instance) and ``E`` (its
    state) in scope: the module the page imported, not a copy."""
    return page.evaluate(
        "async () => { const m = await import('/static/explorer.js'); const E = m.explorerState;"
        f" const cy = E.cy; {body} }}"
    )

"""Benchmark: how big the HTML reports are and how long they take to open.

Runs a sweep (``tri-cluster``, products included) and a simulation (``tri-cluster``,
2,000 years, seed 7) into a temporary results database, writes their reports, and for
each prints the file size and the time headless Chromium takes from navigation until
every chart is drawn (best of ``--repeat``, a fresh browser context each time, every
non-file request refused). Beside each, in the same run and taken in turns, the
**baseline**: the same page carrying the full plotly.js of the plotly Python package
inline, as reports did before (4.8 MB).

Target (issue 17): <= 1.5 MB and <= 1.5 s to open.

Chromium: ``$CHIPSTRESS_CHROMIUM`` (or ``chromium`` on the PATH), driven by playwright.

Usage::

    .venv/bin/python benchmarks/bench_report.py
    .venv/bin/python benchmarks/bench_report.py --repeat 5
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

RUNS = {
    "sweep": ["sweep", "tri-cluster", "--include-products", "--top", "0"],
    "simulate": ["simulate", "tri-cluster", "--years", "2000", "--seed", "7"],
}
_PACKED = re.compile(r'<script id="plotly-js" type="application/gzip;base64">[^<]*</script>')


def chipstress(args: list[str], env: dict[str, str]) -> str:
    """Run the CLI; its stdout and stderr together."""
    done = subprocess.run(
        [sys.executable, "-c", "from chipstress.interfaces.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return done.stdout + done.stderr


def baseline_page(page: str) -> str:
    """The page with the full plotly.js bundle inline instead of the packed basic one."""
    full = resources.files("plotly").joinpath("package_data/plotly.min.js").read_text("utf-8")
    script = f'<script id="plotly-js">{full}</script>'
    replaced, count = _PACKED.subn(lambda _: script, page)
    if count != 1:
        raise SystemExit("the report holds no packed plotly.js to replace")
    return replaced


def open_seconds(browser: object, path: Path, figures: int) -> float:
    """Seconds from navigation until ``figures`` charts are drawn, in a fresh context."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        page.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith("file://") else route.abort()
            ),
        )
        started = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {figures}",
            timeout=60_000,
        )
        return time.perf_counter() - started
    finally:
        context.close()


def main() -> None:
    """Print size and time-to-open of each report, and of its full-bundle baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="Openings of each (best kept).")
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHIPSTRESS_CHROMIUM") or shutil.which("chromium")
    if not chromium:
        raise SystemExit("no Chromium: set CHIPSTRESS_CHROMIUM")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        env = {**os.environ, "CHIPSTRESS_DB": str(root / "runs.duckdb")}
        pages: dict[str, tuple[Path, Path, int]] = {}
        for name, args in RUNS.items():
            saved = chipstress(args, env)
            run_id = re.findall(r"saved run (\S+)", saved)[-1]
            report = root / f"{name}.html"
            chipstress(["report", run_id, "--out", str(report)], env)
            text = report.read_text(encoding="utf-8")
            baseline = root / f"{name}-full-bundle.html"
            baseline.write_text(baseline_page(text), encoding="utf-8")
            pages[name] = (report, baseline, text.count('data-figure="'))
        print(f"best of {options.repeat} openings; Chromium {chromium}")
        print(f"{'report':<10} {'MB':>6} {'open s':>8}   {'baseline MB':>11} {'open s':>8}")
        worst_size, worst_time = 0.0, 0.0
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                for name, (report, baseline, figures) in pages.items():
                    ours, theirs = [], []
                    for _ in range(options.repeat):
                        ours.append(open_seconds(browser, report, figures))
                        theirs.append(open_seconds(browser, baseline, figures))
                    size = report.stat().st_size / 1e6
                    worst_size, worst_time = max(worst_size, size), max(worst_time, min(ours))
                    print(
                        f"{name:<10} {size:>6.2f} {min(ours):>8.2f}   "
                        f"{baseline.stat().st_size / 1e6:>11.2f} {min(theirs):>8.2f}"
                    )
            finally:
                browser.close()
    met = worst_size <= 1.5 and worst_time <= 1.5
    print(
        f"largest {worst_size:.2f} MB, slowest {worst_time:.2f} s "
        f"(target <= 1.5 MB and <= 1.5 s: {'met' if met else 'NOT met'})"
    )


if __name__ == "__main__":
    main()

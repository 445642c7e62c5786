"""The plotly.js the report and the dashboard load: a partial bundle, vendored, offline.

The figures (:mod:`chipstress.interfaces.figures`) draw only ``scatter`` and ``bar``
traces on ordinary axes, so the browser needs plotly.js's *basic* bundle (scatter, bar,
pie; 1.2 MB) rather than the full one in the plotly Python package (4.8 MB, every trace
type). The bundle is vendored in ``vendor/`` (npm ``plotly.js-basic-dist-min``, pinned
to the plotly.js version the Python package ships; MIT licence beside it) and is read
from the installed package: nothing is fetched from the network. A report carries it
gzip-compressed and base64-encoded (:func:`plotly_js_packed`, 0.5 MB), unpacked by the
browser's ``DecompressionStream`` when the page opens.

:data:`PLOTLY_CONFIG` is the plotly config every chart is drawn with: no "Share chart…"
button (``sendChartToCloud``, which uploads the chart to Plotly Cloud), no Chart Studio
link, no plotly logo, no server URL.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from chipstress.errors import InvalidInput

__all__ = [
    "PLOTLY_CONFIG",
    "PLOTLY_JS_FILE",
    "PLOTLY_JS_SHA256",
    "PLOTLY_JS_TRACES",
    "PLOTLY_JS_VERSION",
    "plotly_js",
    "plotly_js_packed",
    "plotly_js_path",
    "unsupported_traces",
]

PLOTLY_JS_VERSION = "4.1.1"
PLOTLY_JS_FILE = "plotly-basic.min.js"
PLOTLY_JS_SHA256 = "99784e3abfb07b142a15e521a439e6d9addceadb3f79553fd24c72774f0649ba"
# The trace types the basic bundle registers.
PLOTLY_JS_TRACES = frozenset({"scatter", "bar", "pie"})

# Mode-bar buttons that send data off the machine (Plotly Cloud, Chart Studio), and the
# selection tools the charts do not use.
_REMOVED_BUTTONS = [
    "sendChartToCloud",
    "sendDataToCloud",
    "editInChartStudio",
    "lasso2d",
    "select2d",
]

PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "responsive": True,
    "scrollZoom": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "showLink": False,
    "plotlyServerURL": "",
    "modeBarButtonsToRemove": _REMOVED_BUTTONS,
}


def plotly_js_path() -> Path:
    """Where the vendored plotly.js bundle is installed.

    Returns
    -------
    pathlib.Path
        The ``plotly-basic.min.js`` file inside the installed package.
    """
    return Path(str(resources.files("chipstress.interfaces.figures").joinpath("vendor"))) / (
        PLOTLY_JS_FILE
    )


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The vendored plotly.js bundle as text, checked, ready to inline in a page.

    Returns
    -------
    str
        The minified bundle (about 1.2 MB).

    Raises
    ------
    InvalidInput
        The file is missing, is not the pinned version (its SHA-256 differs), or holds
        ``</script`` (which would end an inline script early).
    """
    path = plotly_js_path()
    try:
        data = path.read_bytes()
    except OSError as error:  # pragma: no cover - a broken install
        raise InvalidInput(f"{path}: the vendored plotly.js is missing ({error})") from None
    if hashlib.sha256(data).hexdigest() != PLOTLY_JS_SHA256:
        raise InvalidInput(f"{path}: not the pinned plotly.js {PLOTLY_JS_VERSION} (hash differs)")
    text = data.decode("utf-8")
    if "</script" in text.lower():  # pragma: no cover - checked by the hash above
        raise InvalidInput(f"{path}: cannot be inlined, it contains '</script'")
    return text


@lru_cache(maxsize=1)
def plotly_js_packed() -> str:
    """The vendored bundle gzip-compressed (level 9, no timestamp) and base64-encoded.

    The same bytes every time, so reports of the same run are identical files.

    Returns
    -------
    str
        ASCII base64 text (about 0.5 MB), safe inside a ``<script>`` element.

    Raises
    ------
    InvalidInput
        As :func:`plotly_js`.
    """
    packed = gzip.compress(plotly_js().encode("utf-8"), compresslevel=9, mtime=0)
    return base64.b64encode(packed).decode("ascii")


def unsupported_traces(figure: Any) -> list[str]:
    """Trace types of a figure that the vendored bundle cannot draw.

    Parameters
    ----------
    figure
        A :class:`plotly.graph_objects.Figure` (or its ``to_plotly_json()`` dict).

    Returns
    -------
    list of str
        The unknown trace types, sorted (empty when the bundle draws every trace).
    """
    data = figure["data"] if isinstance(figure, dict) else figure.data
    types = {
        (trace.get("type") if isinstance(trace, dict) else trace.type) or "scatter"
        for trace in data
    }
    return sorted(types - PLOTLY_JS_TRACES)

"""Parts of chipstress the API uses when they are installed: hazards, the report, figures.

Each is looked up when first needed; a missing (or broken) one makes only the endpoints
that need it answer 503 with the reason, never the whole server.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from chipstress.interfaces.api.errors import ApiError

__all__ = ["available", "function"]

log = logging.getLogger("chipstress.api")

# feature -> (public module, function, fallback modules searched in order)
_FEATURES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "replay": ("chipstress.workflows.hazards", "replay", ("chipstress.workflows.hazards.replay",)),
    "run_scenario": (
        "chipstress.workflows.hazards",
        "run_scenario",
        ("chipstress.workflows.hazards.replay",),
    ),
    "catalogue": (
        "chipstress.workflows.hazards",
        "catalogue",
        ("chipstress.workflows.hazards.replay",),
    ),
    "evaluate": (
        "chipstress.workflows.hazards",
        "evaluate",
        ("chipstress.workflows.hazards.replay",),
    ),
    "parse_events": (
        "chipstress.workflows.hazards",
        "parse_events",
        ("chipstress.workflows.hazards.parse", "chipstress.workflows.hazards.events"),
    ),
    "default_parameters": (
        "chipstress.workflows.hazards",
        "default_parameters",
        ("chipstress.workflows.hazards.params",),
    ),
    "simulate": (
        "chipstress.workflows.hazards",
        "simulate",
        ("chipstress.workflows.hazards.simulate", "chipstress.workflows.hazards.simulation"),
    ),
    "build_report": ("chipstress.interfaces.report", "build_report", ()),
    "site_map": ("chipstress.interfaces.figures", "site_map", ()),
}

_LABELS = {
    "replay": "hazards module",
    "run_scenario": "hazards module",
    "catalogue": "hazards module",
    "default_parameters": "hazards module",
    "evaluate": "hazards module",
    "parse_events": "hazards module",
    "simulate": "simulation (hazards) module",
    "build_report": "report module",
    "site_map": "figures module",
}

_found: dict[str, Callable[..., Any]] = {}


def _lookup(feature: str) -> tuple[Callable[..., Any] | None, str]:
    if feature in _found:
        return _found[feature], ""
    module_name, name, fallbacks = _FEATURES[feature]
    reason = f"{module_name}.{name} is not installed"
    for candidate in (module_name, *fallbacks):
        try:
            module = importlib.import_module(candidate)
        except ModuleNotFoundError as error:
            if error.name and not candidate.startswith(error.name) and error.name != candidate:
                reason = f"{candidate} cannot be imported ({error})"
            continue
        except Exception as error:  # a half-written module must not take the server down
            log.warning("cannot import %s: %r", candidate, error)
            reason = f"{candidate} cannot be imported ({type(error).__name__}: {error})"
            continue
        found = getattr(module, name, None)
        if callable(found):
            _found[feature] = found
            return found, ""
    return None, reason


def available(feature: str) -> bool:
    """True when ``feature`` (``replay``, ``simulate``, ``build_report``, ...) can be used."""
    return _lookup(feature)[0] is not None


def function(feature: str) -> Callable[..., Any]:
    """The function behind ``feature``; 503 "<module> not available" when missing."""
    found, reason = _lookup(feature)
    if found is None:
        raise ApiError(503, f"{_LABELS[feature]} not available: {reason}")
    return found

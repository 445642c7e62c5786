"""Hazards: earthquakes, water restrictions, outages, storms, incidents, closures and
export controls turned into disruptions, run through the engine.

* :func:`replay` — a historical event of the catalogue on a network as it is today;
* :func:`run_scenario` / :func:`evaluate` — user events (YAML file / event objects);
* :func:`simulate` — Monte-Carlo years of events from annual rates: expected annual
  loss, VaR/CVaR, the loss-exceedance curve, contributions by node and hazard;
* :func:`capacity_profile` — the same events period by period (recovery curves, phases,
  export controls with start and end), for the time-expanded engine
  (:func:`timeline_inputs`).

Parameters live in data files (``hazards/data/``), each figure with its source or the
basis of its estimate; see ``docs/hazards.md``.
"""

from chipstress.workflows.hazards.checks import check_events
from chipstress.workflows.hazards.events import (
    EVENT_TYPES,
    Closure,
    Duration,
    Earthquake,
    Event,
    ExportControl,
    PowerOutage,
    SiteIncident,
    Storm,
    WaterRestriction,
)
from chipstress.workflows.hazards.footprints import Attenuation, great_circle_km, hypocentral_km
from chipstress.workflows.hazards.montecarlo import CHUNK_YEARS, SimulationResult, simulate
from chipstress.workflows.hazards.params import (
    HazardParameters,
    default_parameters,
    load_parameters,
)
from chipstress.workflows.hazards.parse import load_events, parse_events
from chipstress.workflows.hazards.profiles import Profile, capacity_profile, timeline_inputs
from chipstress.workflows.hazards.rates import Rates, load_rates
from chipstress.workflows.hazards.replay import (
    CatalogueEntry,
    HazardResult,
    catalogue,
    evaluate,
    replay,
    run_scenario,
)
from chipstress.workflows.hazards.translate import SITE_COLUMNS, Translation, translate

__all__ = [
    "CHUNK_YEARS",
    "EVENT_TYPES",
    "SITE_COLUMNS",
    "Attenuation",
    "CatalogueEntry",
    "Closure",
    "Duration",
    "Earthquake",
    "Event",
    "ExportControl",
    "HazardParameters",
    "HazardResult",
    "PowerOutage",
    "Profile",
    "Rates",
    "SimulationResult",
    "SiteIncident",
    "Storm",
    "Translation",
    "WaterRestriction",
    "capacity_profile",
    "catalogue",
    "check_events",
    "default_parameters",
    "evaluate",
    "great_circle_km",
    "hypocentral_km",
    "load_events",
    "load_parameters",
    "load_rates",
    "parse_events",
    "replay",
    "run_scenario",
    "simulate",
    "timeline_inputs",
    "translate",
]

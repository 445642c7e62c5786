"""Watching: official hazard feeds and news read into the hazard layer's events (docs/watch.md)."""

from chipstress.workflows.watch.dedupe import merge
from chipstress.workflows.watch.intake import intake
from chipstress.workflows.watch.sightings import (
    Evidence,
    Intake,
    Sighting,
    SourceError,
    WatchEvent,
)

__all__ = ["Evidence", "Intake", "Sighting", "SourceError", "WatchEvent", "intake", "merge"]

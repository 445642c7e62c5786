"""What watching reads: a disruption seen in one item, merged into events, and source errors.

The watch layer turns official feeds and news into the hazard layer's own events
(:mod:`chipstress.workflows.hazards.events`); there is no second event model. One item
(a feed entry, a news story, a page) may yield several :class:`Sighting`; sightings of one
disruption from several items and sources are merged into one :class:`WatchEvent` that
keeps all of their :class:`Evidence` (docs/watch.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from chipstress.workflows.hazards.events import Event

__all__ = ["Evidence", "Intake", "Sighting", "SourceError", "WatchEvent"]


@dataclass(frozen=True)
class Evidence:
    """Where a sighting was read.

    Attributes
    ----------
    source : str
        The feed URL, file path or adapter name the item came from.
    item_id : str
        The item's id in its source (GUID, link, event id, or ``path#n``).
    language : str
        ``"zh-TW"``, ``"zh-CN"``, ``"ja"`` or ``"en"``.
    text : str
        The sentence (or feed fields, rendered) the sighting was read from.
    published : datetime or None
        When the source published the item (UTC, timezone-aware), if it says.
    url : str or None
        A link to the item, if it has one.
    """

    source: str
    item_id: str
    language: str
    text: str
    published: datetime | None = None
    url: str | None = None


@dataclass(frozen=True)
class Sighting:
    """One disruption read from one item.

    Attributes
    ----------
    event : Event
        The hazard-layer event (``Earthquake``, ``WaterRestriction``, ...), ready to be a
        scenario on the network.
    places : tuple of str
        Gazetteer keys matched (node ids, cluster, park, water-district, grid, port or
        airport names), most specific first.
    started : datetime or None
        When the disruption began (UTC), if the item says.
    confidence : float
        In [0, 1]: how sure the reader is that this is a real, current disruption.
    evidence : Evidence
        Where it was read.
    """

    event: Event
    places: tuple[str, ...]
    started: datetime | None
    confidence: float
    evidence: Evidence


@dataclass
class WatchEvent:
    """One disruption after deduplication, with every piece of evidence for it.

    Attributes
    ----------
    key : str
        A stable identity (hazard type, place and time bucket): the same disruption read
        again, from any source, gets the same key, so a restarted watcher neither repeats
        nor misses it.
    event : Event
        The merged hazard-layer event (the most severe / most precise reading).
    places : tuple of str
        Gazetteer keys matched by any sighting.
    started : datetime or None
        Earliest start any sighting gives (UTC).
    confidence : float
        In [0, 1], at least the best sighting's.
    evidence : list of Evidence
        Every item that reported it, in the order read.
    """

    key: str
    event: Event
    places: tuple[str, ...]
    started: datetime | None
    confidence: float
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def hazard(self) -> str:
        """The hazard-layer type name of the event (``"earthquake"``, ...)."""
        return str(self.event.type)


@dataclass(frozen=True)
class SourceError:
    """A source that could not be read: which, and why (one line, no traceback)."""

    source: str
    message: str


@dataclass
class Intake:
    """What one pass over the sources read.

    Attributes
    ----------
    events : list of WatchEvent
        Deduplicated disruptions, most confident first.
    errors : list of SourceError
        Sources that failed; the others were still read.
    items_read : int
        Items (feed entries, stories, pages) read.
    items_rejected : int
        Items recognised as not a disruption (drills, investment, visits, ...).
    """

    events: list[WatchEvent] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    items_read: int = 0
    items_rejected: int = 0

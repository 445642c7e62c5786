"""Reading one news item: which disruptions it reports, where, how bad, since when.

An item (title and body, one language) is split into sentences. A sentence reports a
hazard when it holds a hazard cue of ``data/lexicon.yaml`` and none of the rejection
cues (drills, deals, visits, ceremonies, anniversaries, hypotheticals, denials, planned
maintenance, other senses of the word such as a park fountain); a title holding a
rejection cue rejects the whole item. A cue said not to have happened, only possible or
feared ("could lead to", "若", "のおそれ"), conceded ("despite the quake") or named only as
what a recovery followed ("back to normal after the outage", "停電後已恢復") does not
count, nor does a clause in the past ("last year", "曾"); a port named in a clause that says
it reopened is not closed, and an incident's site must be named near its cue. Each hazard
sentence is then located with the
:class:`~chipstress.workflows.watch.gazetteer.Gazetteer` (its own places, else the title's,
else the previous sentence's) and turned into the hazard layer's event by one builder per
type, which also reads the severity (magnitude, intensity, water-alert colour or tier,
stated duration, percent cut). An event that cannot be placed on the network, or lacks
what its type needs (a quake's magnitude or intensity, an incident's site, a closure's
port or airport, an export control's material and country), is not emitted: precision
first (docs/watch.md, "Reading the news"). A hazard first named deep in a long story
(fifth sentence on) and not in its headline or lead is read with less confidence, and a
reading below ``min_confidence`` is not raised (docs/watch.md, "Measured quality").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from chipstress.model.network import Network
from chipstress.workflows.hazards.events import (
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
from chipstress.workflows.hazards.params import HazardParameters, default_parameters
from chipstress.workflows.watch.dates import find_dates, find_years
from chipstress.workflows.watch.gazetteer import (
    Gazetteer,
    Mention,
    Place,
    company_sites,
    facility_sites,
    find_company_site,
)
from chipstress.workflows.watch.lexicon import Cues
from chipstress.workflows.watch.lexicon import lexicon as _lexicon
from chipstress.workflows.watch.modality import (
    FLOOD_WARNING,
    NO_IMPACT,
    PAST,
    UNAFFECTED,
    affirmed,
    clause,
    hypothetical,
    negated,
    recovery,
)
from chipstress.workflows.watch.phrases import (
    EPICENTRE_AFTER,
    EPICENTRE_BEFORE,
    EXPORT_PHRASE,
    STORM_CAUSE,
    SUSPEND_PHRASE,
    WATER_TOPIC,
    haversine_km,
    normalise,
    segment,
    split_sentences,
)
from chipstress.workflows.watch.severity import (
    DEPTH,
    find_duration,
    find_intensity,
    find_magnitude,
    find_percent,
)

__all__ = [
    "Reader",
    "Reading",
    "find_duration",
    "find_intensity",
    "find_magnitude",
    "find_percent",
    "haversine_km",
    "hazard_name",
    "normalise",
    "split_sentences",
]

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_SITE_KINDS = {"fab", "packaging", "supplier", "equipment", "utility"}
# How far (characters) from its cue a site may be named to be the site of an incident.
_INCIDENT_REACH = 60


@dataclass(frozen=True)
class Reading:
    """One disruption read from one item, before it is tied to its source.

    Attributes
    ----------
    event : Event
        The hazard-layer event.
    places : tuple of str
        Gazetteer keys, most specific first.
    started : date or None
        The date the item gives for it (or ``None``).
    confidence : float
        In [0, 1].
    sentence : str
        The sentence it was read from.
    """

    event: Event
    places: tuple[str, ...]
    started: date | None
    confidence: float
    sentence: str


@dataclass
class _Context:
    """What a builder needs besides its sentence."""

    sentence: str
    lower: str
    mentions: list[Mention]
    item_text: str
    in_sentence: bool
    published: date | None
    language: str
    notes: list[str] = field(default_factory=list)


_Builder = Callable[["Reader", str, _Context], Event | None]


class Reader:
    """Reads items against one network's gazetteer.

    Parameters
    ----------
    network
        The network the events are placed on.
    gazetteer
        Its gazetteer; built from ``network`` when ``None``.
    params
        Hazard data (districts, grids, water schemes); shipped defaults when ``None``.
    """

    def __init__(
        self,
        network: Network,
        gazetteer: Gazetteer | None = None,
        params: HazardParameters | None = None,
    ) -> None:
        self.params = params or default_parameters()
        self.gazetteer = gazetteer or Gazetteer.build(network, self.params)
        self.lex = _lexicon()
        nodes = [p for p in self.gazetteer.nodes() if p.lat is not None and p.lon is not None]
        self._node_points = [(float(p.lat), float(p.lon)) for p in nodes]  # type: ignore[arg-type]
        self._materials = set(network.index.materials)
        self._countries = set(network.nodes["country"].dropna().astype(str))
        self._kinds = {p.key: p.kind for p in nodes}
        self.min_confidence = float(self.lex.defaults["min_confidence"])
        self.company_sites = company_sites(network)
        self.facility_sites = facility_sites(network)

    # ------------------------------------------------------------------ items
    def read(
        self,
        title: str,
        body: str,
        language: str,
        published: date | None = None,
        headline_only: bool = False,
    ) -> tuple[list[Reading], bool]:
        """The disruptions an item reports.

        Parameters
        ----------
        title, body
            The item's headline and main text (either may be empty).
        language
            ``"zh-TW"``, ``"zh-CN"``, ``"ja"`` or ``"en"``.
        published
            The item's publication date (UTC); supplies years and recency.
        headline_only
            The item is a bare headline (a sidebar link): confidence is lowered.

        Returns
        -------
        readings : list of Reading
            Confident readings (at least ``min_confidence`` of lexicon.yaml).
        rejected : bool
            Whether the item was recognised as not a disruption (a drill, a deal, a
            visit, ...), as opposed to not mentioning any hazard.
        """
        title, body = normalise(title), normalise(body)
        whole = f"{title}\n{body}"
        lower_whole = whole.lower()
        if not self._any_cue(lower_whole):
            return [], False
        if title and self.lex.title_reject.search(title.lower()):
            return [], True
        sentences = ([title] if title else []) + split_sentences(body)
        title_mentions = self.gazetteer.find(title) if title else []
        previous: list[Mention] = title_mentions
        readings: list[Reading] = []
        rejected = False
        lead = f"{title}\n{' '.join(sentences[1:3] if title else sentences[:2])}".lower()
        lead_hazards = set(self._hazards(lead))
        unharmed: set[str] = set()
        # what the body says of the hazards the headline names (the body decides)
        named: set[str] = set()
        affirmed: set[str] = set()
        in_title: list[tuple[str, Reading]] = []
        for index, sentence in enumerate(sentences):
            lower = sentence.lower()
            self._note(sentence, lower, previous, unharmed, named if title and index else None)
            if not self._any_cue(lower):
                found = self.gazetteer.find(sentence)
                previous = found or previous
                continue
            if self.lex.sentence_reject.search(lower):
                rejected = True
                continue
            hazards, only_recovered = self._current_hazards(lower)
            if only_recovered:
                rejected = True
                previous = self.gazetteer.find(sentence) or previous
                continue
            mentions = self.gazetteer.find(sentence)
            ctx = _Context(
                sentence,
                lower,
                mentions or previous,
                whole,
                bool(mentions),
                published,
                language,
            )
            if index > 0 and self._started(ctx) is not False:  # not history ("a month after")
                affirmed.update(hazards)
            # a hazard first named deep in a long story, outside its headline and lead,
            # is more often background than news: it needs more to be raised
            deep = index >= 4 and not (title and index == 0)
            for hazard in hazards:
                reading = self._reading(hazard, ctx, headline_only)
                if reading is not None and deep and hazard not in lead_hazards:
                    reading = replace(reading, confidence=round(reading.confidence - 0.15, 2))
                readings.extend([reading] if reading is not None else [])
                in_title.extend([(hazard, reading)] if reading is not None and index == 0 else [])
            previous = mentions or previous
        # a headline hazard that the body names only as past, recovered, denied or possible
        unsaid = {id(r) for h, r in in_title if title and h in named and h not in affirmed}
        kept = [
            r
            for r in readings
            if r.confidence >= self.min_confidence
            and not self._unharmed(r, unharmed)
            and id(r) not in unsaid
        ]
        return kept, rejected and not kept

    @staticmethod
    def _unharmed(reading: Reading, unharmed: set[str]) -> bool:
        """Whether the story says the site of an incident came through unharmed."""
        event = reading.event
        return isinstance(event, SiteIncident) and event.node in unharmed

    def _note(
        self,
        sentence: str,
        lower: str,
        previous: list[Mention],
        unharmed: set[str],
        named: set[str] | None,
    ) -> None:
        """Note the sites a sentence says came through unharmed or had no incident
        ("並無火災"), and (for a body sentence, ``named`` given) the hazards it names."""
        if named is not None and not self.lex.reject["other_sense"].search(lower):
            named.update(h for h, cues in self.lex.hazards.items() if cues.search(lower))
        if NO_IMPACT.search(lower) or self._denies_incident(lower):
            unharmed.update(self._nodes_named(sentence, previous))

    def _nodes_named(self, sentence: str, previous: list[Mention]) -> set[str]:
        """The nodes a sentence names, else those of the mentions before it."""
        here = {p.key for m in self.gazetteer.find(sentence) for p in m.places if p.is_node}
        return here or {p.key for m in previous for p in m.places if p.is_node}

    def _denies_incident(self, lower: str) -> bool:
        """Whether the sentence says an incident (fire, contamination, attack) did not occur."""
        return any(
            negated(lower, m)
            for h in ("fire", "contamination", "cyber")
            for m in self.lex.hazards[h].all(lower)
        )

    def _current_hazards(self, lower: str) -> tuple[list[str], bool]:
        """The hazards a sentence reports as current, and whether it names hazards only as
        what a recovery followed ("back to normal after the outage": not a new one)."""
        found = self._hazards(lower)
        current = [
            h
            for h in found
            if h not in self.lex.hazards or not recovery(lower, self.lex.hazards[h].all(lower))
        ]
        return current, bool(found) and not current

    def _any_cue(self, lower: str) -> bool:
        """Whether ``lower`` holds any hazard cue or phrase."""
        return bool(
            self.lex.any_hazard.search(lower)
            or EXPORT_PHRASE.search(lower)
            or any(phrase.search(lower) for phrase in SUSPEND_PHRASE.values())
        )

    def _hazards(self, lower: str) -> list[str]:
        found = [
            name
            for name, cues in self.lex.hazards.items()
            if any(not negated(lower, m) and not hypothetical(lower, m) for m in cues.all(lower))
        ]
        if "export_control" not in found and any(
            not negated(lower, m) and not hypothetical(lower, m)
            for m in EXPORT_PHRASE.finditer(lower)
        ):
            found.append("export_control")
        for name, phrase in SUSPEND_PHRASE.items():
            if name in found or (name == "water_restriction" and not WATER_TOPIC.search(lower)):
                continue
            if any(
                not negated(lower, m) and not hypothetical(lower, m) for m in phrase.finditer(lower)
            ):
                found.append(name)
        return found

    def _reading(self, hazard: str, ctx: _Context, headline_only: bool) -> Reading | None:
        started = self._started(ctx)
        if started is False:
            return None
        builder = _BUILDERS[hazard]
        event = builder(self, hazard, ctx)
        if event is None:
            return None
        notes = list(ctx.notes)
        for key in ctx.notes:
            place = self.gazetteer.places.get(key)
            if place is not None and place.is_node and place.cluster in self.gazetteer.places:
                notes.append(place.cluster)
        places = tuple(dict.fromkeys(notes))
        confidence = 0.6
        confidence += 0.15 if ctx.in_sentence or hazard == "export_control" else 0.0
        confidence += 0.1 if "severity" in ctx.notes else 0.0
        confidence += 0.1 if isinstance(started, date) else 0.0
        confidence -= 0.1 if headline_only else 0.0
        return Reading(
            event,
            tuple(p for p in places if p != "severity"),
            started if isinstance(started, date) else None,
            round(min(confidence, 0.99), 2),
            ctx.sentence,
        )

    def _started(self, ctx: _Context) -> date | bool | None:
        """The sentence's date; ``False`` when it is long before publication (history)."""
        dates = find_dates(ctx.sentence, ctx.published, ctx.language)
        years = find_years(ctx.sentence)
        if ctx.published is not None and years and max(years) < ctx.published.year - 1:
            return False  # "the 2016 quakes", "平成28年の地震": history
        if PAST.search(ctx.sentence):
            return False  # "shut by a strike last year", "去年曾發生": history
        if not dates:
            return None
        first = dates[0]
        if ctx.published is not None and first < ctx.published - timedelta(days=60):
            return False
        return first

    # --------------------------------------------------------------- helpers
    def _places(self, ctx: _Context, accept: Callable[[Place], bool]) -> list[Place]:
        """Accepted places in order of mention, except that of two names written together
        ("熊本県菊陽町", "Kikuyo, Kumamoto") the narrower, second one comes first."""
        mentions = list(ctx.mentions)
        for i in range(len(mentions) - 1):
            if mentions[i + 1].start - mentions[i].end <= 2:
                mentions[i], mentions[i + 1] = mentions[i + 1], mentions[i]
        out: list[Place] = []
        for mention in mentions:
            out.extend(p for p in mention.places if accept(p) and p not in out)
        return out

    def near_network(self, lat: float, lon: float, reach_km: float) -> bool:
        """Whether some node of the network lies within ``reach_km`` of a point.

        Parameters
        ----------
        lat, lon
            The point (degrees).
        reach_km
            The distance (km).

        Returns
        -------
        bool
        """
        return any(haversine_km(lat, lon, a, b) <= reach_km for a, b in self._node_points)

    def quake_reach_km(self, magnitude: float) -> float:
        """How far from its epicentre a quake is kept as an event (lexicon.yaml defaults).

        Parameters
        ----------
        magnitude
            Moment or local magnitude.

        Returns
        -------
        float
            ``10 ** (a * magnitude + b)`` km.
        """
        d = self.lex.defaults
        return float(10 ** (float(d["quake_reach_a"]) * magnitude + float(d["quake_reach_b"])))

    def default_duration(self, name: str) -> Duration:
        """A default duration of lexicon.yaml.

        Parameters
        ----------
        name
            ``water_duration``, ``power_duration``, ``closure_duration`` or
            ``export_duration``.

        Returns
        -------
        Duration
        """
        parsed = Duration.parse(str(self.lex.defaults[name]))
        assert parsed is not None
        return parsed

    def _level(self, table: dict[str, Cues], lower: str) -> str | None:
        for level, cues in table.items():
            if cues.search(lower):
                return level
        return None


# ------------------------------------------------------------------ builders
def _quake(reader: Reader, hazard: str, ctx: _Context) -> Event | None:
    magnitude = find_magnitude(ctx.sentence) or find_magnitude(ctx.item_text)
    if magnitude is None:
        intensity = find_intensity(ctx.sentence) or find_intensity(ctx.item_text)
        if intensity is None or intensity not in reader.lex.intensity_magnitude:
            return None
        magnitude = reader.lex.intensity_magnitude[intensity]
    if magnitude < float(reader.lex.defaults["quake_min_magnitude"]):
        return None
    candidates = [
        m for m in ctx.mentions if any(p.lat is not None and p.kind != "region" for p in m.places)
    ]
    if not candidates:
        return None
    chosen = candidates[0]
    for later in candidates[1:]:  # "熊本県阿蘇地方", "Hualien County, Taiwan": the narrower name
        if later.start - chosen.end <= 1 and later.places[0].kind != "region":
            chosen = later
    for mention in candidates:
        before = ctx.sentence[max(0, mention.start - 25) : mention.start]
        if EPICENTRE_BEFORE.search(before) or EPICENTRE_AFTER.search(
            ctx.sentence[mention.end : mention.end + 8]
        ):
            chosen = mention
            break
    place = next(p for p in chosen.places if p.lat is not None and p.kind != "region")
    assert place.lat is not None and place.lon is not None
    if not reader.near_network(place.lat, place.lon, reader.quake_reach_km(magnitude)):
        return None
    depth = DEPTH.search(ctx.sentence) or DEPTH.search(ctx.item_text)
    depth_km = float(depth.group(1) or depth.group(2)) if depth else None
    ctx.notes.extend([place.key, "severity"])
    return Earthquake(
        lat=place.lat,
        lon=place.lon,
        magnitude=magnitude,
        depth_km=depth_km if depth_km is not None and 0 < depth_km <= 700 else 10.0,
        name=f"M{magnitude:g} earthquake near {place.key}",
    )


def _water(reader: Reader, hazard: str, ctx: _Context) -> Event | None:
    if reader.lex.lifted.search(ctx.lower):
        return None
    places = reader._places(ctx, lambda p: p.district is not None)
    if not places:
        return None
    place = places[0]
    assert place.district is not None
    system = reader.params.districts[place.district].system
    table = {
        "taiwan_wra": reader.lex.water_levels,
        "colorado_river": reader.lex.water_tiers,
        "kumamoto_groundwater": reader.lex.water_jp,
    }.get(system, {})
    level = reader._level(table, ctx.lower) or reader._level(table, ctx.item_text.lower())
    cut = find_percent(ctx.sentence)
    if level == "blue":
        return None
    if level is None and cut is None:
        level = {"taiwan_wra": "yellow", "colorado_river": "tier1"}.get(system, "advisory")
    else:
        ctx.notes.append("severity")
    levels = reader.params.water_systems[system].levels if system else {}
    if level is not None and level not in levels:
        level = None
        cut = cut if cut is not None else None
    if level is None and cut is None:
        return None
    ctx.notes.insert(0, place.district)
    ctx.notes.insert(1, place.key)
    return WaterRestriction(
        district=place.district,
        duration=find_duration(ctx.sentence) or reader.default_duration("water_duration"),
        level=None if cut is not None and level is None else level,
        cut=cut if level is None else None,
        name=f"water restriction {place.district}" + (f" ({level})" if level else ""),
    )


def _power(reader: Reader, hazard: str, ctx: _Context) -> Event | None:
    places = reader._places(ctx, lambda p: p.grid is not None or p.is_node)
    places = [p for p in places if p.kind != "region" or reader.lex.blackout.search(ctx.lower)]
    # where the power went out (a city, a park) before a site, and before who reports it
    # (the utility's node); a site with no grid region loses its own supply
    places.sort(key=lambda p: (p.kind == "region", p.is_node, p.kind == "utility"))
    if not places:
        return None
    place = places[0]
    region = place.grid if place.grid is not None else place.key
    fraction = find_percent(ctx.sentence)
    if fraction is not None:
        ctx.notes.append("severity")
    elif reader.lex.blackout.search(ctx.lower):
        fraction = 1.0
    else:
        fraction = float(reader.lex.defaults["power_fraction"])
    duration = find_duration(ctx.sentence)
    if duration is not None:
        ctx.notes.append("severity")
    ctx.notes[:0] = [region, place.key]
    return PowerOutage(
        region=region,
        duration=duration or reader.default_duration("power_duration"),
        fraction=fraction,
        name=f"power outage {region}",
    )


def _storm(reader: Reader, hazard: str, ctx: _Context) -> Event | None:
    lex = reader.lex
    if hazard == "typhoon":
        strong = affirmed(lex.storm_strong, ctx.lower)
        if (lex.storm_far.search(ctx.lower) or STORM_CAUSE.search(ctx.lower)) and not strong:
            return None
        if lex.lifted.search(ctx.lower) and not affirmed(lex.landfall, ctx.lower):
            return None  # warnings lifted: the storm has passed
        if not (strong or affirmed(lex.storm_impact, ctx.lower)):
            return None
    if hazard != "typhoon" and ctx.in_sentence:
        # a flood or storm is where its cue is: the place named nearest to it comes first
        cues = lex.hazards[hazard].all(ctx.lower)
        ctx.mentions.sort(key=lambda m: min((abs(m.start - c.start()) for c in cues), default=0))
    places = reader._places(ctx, lambda p: p.lat is not None)
    if hazard == "flood" and not any(
        not FLOOD_WARNING.match(ctx.lower, m.end()) for m in lex.hazards["flood"].all(ctx.lower)
    ):
        return None  # a flood warning or danger level, not a flood
    if hazard != "typhoon":
        places = [p for p in places if p.kind != "region"]
    # a storm is named by the land it hits: places before sites, then specific before regions
    places.sort(key=lambda p: (p.is_node, p.kind == "region"))  # stable: nearest first
    if not places:
        return None
    place = places[0]
    assert place.lat is not None and place.lon is not None
    severity = reader._level(lex.storm_severity, ctx.lower) if hazard == "typhoon" else None
    if severity is not None:
        ctx.notes.append("severity")
    ctx.notes.insert(0, place.key)
    return Storm(
        hazard=hazard,
        severity=severity or "moderate",
        track=((place.lat, place.lon),),
        radius_km=float(lex.defaults[f"{hazard}_radius_km"]),
        name=f"{hazard} near {place.key}",
    )


def _incident(reader: Reader, hazard: str, ctx: _Context) -> Event | None:
    # the site must be named near the cue ("a fire at Fab 14", "景碩新屋廠發生火警"), not
    # in another clause of a long sentence about something elsewhere
    cues = reader.lex.hazards[hazard].all(ctx.lower)
    near = [
        m
        for m in ctx.mentions
        if any(min(abs(m.start - c.end()), abs(c.start() - m.end)) <= _INCIDENT_REACH for c in cues)
    ]
    nearby = _Context(ctx.sentence, ctx.lower, near, ctx.item_text, ctx.in_sentence, None, "")
    sites = reader._places(nearby, lambda p: p.is_node and p.kind in _SITE_KINDS)
    company_site = find_company_site(reader.company_sites, ctx.lower) if not sites else None
    if company_site is not None:  # "Merck's chemical site in Kaohsiung"
        sites = [reader.gazetteer.places[company_site]]
    if not sites or not (ctx.in_sentence or company_site) or UNAFFECTED.search(ctx.lower):
        return None  # no site named here, or the site named was not hit
    site = sites[0]
    fraction = find_percent(ctx.sentence)
    recovery = find_duration(ctx.sentence)
    if fraction is not None or recovery is not None:
        ctx.notes.append("severity")
    ctx.notes.insert(0, site.key)
    return SiteIncident(
        hazard=hazard,
        node=site.key,
        fraction=fraction,
        recovery=recovery,
        name=f"{hazard} at {site.key}",
    )


def _closure(reader: Reader, hazard: str, ctx: _Context) -> Event | None:
    # a port or airport whose own clause says it reopened is not closed ("Keelung reopened,
    # but Kaohsiung remained shut")
    still = [
        m
        for m in ctx.mentions
        if not reader.lex.reopened.search(clause(ctx.lower, m.start))
        and not UNAFFECTED.search(segment(ctx.lower, m.start))
    ]
    if reader.lex.reopened.search(ctx.lower) and not (ctx.in_sentence and still):
        return None
    nearby = _Context(ctx.sentence, ctx.lower, still, ctx.item_text, ctx.in_sentence, None, "")
    want = "airport" if hazard == "airport_closure" else "port"
    nodes = reader._places(
        nearby, lambda p: p.is_node and p.kind == "logistics" and p.key.startswith(want)
    )
    named = find_company_site({want: reader.facility_sites.get(want, [])}, ctx.lower)
    if not nodes and named is not None and not reader.lex.reopened.search(ctx.lower):
        nodes = [reader.gazetteer.places[named]]  # "Kaohsiung's port and airport"
    if not nodes:
        return None
    duration = find_duration(ctx.sentence)
    if duration is not None:
        ctx.notes.append("severity")
    ctx.notes[:0] = [n.key for n in nodes]
    return Closure(
        hazard=hazard,
        nodes=tuple(n.key for n in nodes),
        duration=duration or reader.default_duration("closure_duration"),
        name=f"{hazard} {', '.join(n.key for n in nodes)}",
    )


def _export(reader: Reader, hazard: str, ctx: _Context) -> Event | None:
    if reader.lex.lifted.search(ctx.lower):
        return None
    material = reader._level(reader.lex.materials, ctx.lower)
    if hazard != "export_control":
        return None
    if material is None or material not in reader._materials:
        return None
    found: list[tuple[int, str]] = []
    for country, cues in reader.lex.countries.items():
        for m in cues.all(ctx.lower):
            found.append((m.start(), country))
    countries = [c for _, c in sorted(found) if c in reader._countries]
    countries = list(dict.fromkeys(countries))
    if not countries:
        return None
    duration = find_duration(ctx.sentence)
    ctx.notes[:0] = [material, countries[0]]
    return ExportControl(
        duration=duration or reader.default_duration("export_duration"),
        material=material,
        country=countries[0],
        destination=countries[1] if len(countries) > 1 else None,
        name=f"export control {countries[0]} {material}",
    )


_BUILDERS: dict[str, _Builder] = {
    "earthquake": _quake,
    "water_restriction": _water,
    "power_outage": _power,
    "typhoon": _storm,
    "flood": _storm,
    "storm": _storm,
    "fire": _incident,
    "contamination": _incident,
    "cyber": _incident,
    "port_closure": _closure,
    "airport_closure": _closure,
    "export_control": _export,
}


def hazard_name(event: Event) -> str:
    """The hazard type of an event (``earthquake``, ``fire``, ``port_closure``, ...).

    Unlike ``type(event).type`` (``incident``, ``storm``, ``closure``), this names the
    hazard of a site incident, storm or closure.

    Parameters
    ----------
    event
        A hazard-layer event.

    Returns
    -------
    str
    """
    hazard = getattr(event, "hazard", None)
    return str(hazard) if isinstance(hazard, str) else str(event.type)

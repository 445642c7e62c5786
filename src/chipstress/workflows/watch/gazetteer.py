"""Gazetteer: the names a news item may use for a place on the network, in four scripts.

A :class:`Gazetteer` is built from a network (every node: its id, its English name, its
Chinese and Japanese names) and from ``data/places.yaml`` (cities, parks, counties and
regions with a position, the water district, grid region and cluster they fall in, and
aliases in English, Traditional Chinese and Japanese; node aliases the news uses, such
as 台積電高雄廠 or 桃機). Simplified Chinese forms are derived with OpenCC (``t2s``), so one
alias list serves zh-TW, zh-CN and ja (docs/watch.md, "Places").

Matching is one pass of two compiled regular expressions built from a trie of the
aliases (one for CJK, one for Latin words with word boundaries, case-insensitive), so its
cost grows with the text, not with the number of aliases; the longest alias at a position
wins and matches do not overlap.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from chipstress.errors import InvalidInput
from chipstress.model.network import Network
from chipstress.workflows.hazards.params import HazardParameters, default_parameters

__all__ = [
    "Gazetteer",
    "Mention",
    "Place",
    "build_trie_pattern",
    "company_sites",
    "facility_sites",
    "find_company_site",
    "simplified_forms",
    "to_simplified",
]

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Place:
    """A named place: a network node, or a city, park, county or region.

    Attributes
    ----------
    key : str
        A node id, or a place name from ``places.yaml``.
    kind : str
        The node's kind (``fab``, ``utility``, ``logistics``, ...) or the place's kind
        (``city``, ``park``, ``county``, ``region``).
    lat, lon : float or None
        Position (degrees).
    is_node : bool
        Whether ``key`` is a node id of the network.
    cluster, district, grid, country : str or None
        The network cluster, water district (water.yaml), grid region (locations.yaml)
        and country the place falls in.
    """

    key: str
    kind: str
    lat: float | None
    lon: float | None
    is_node: bool
    cluster: str | None = None
    district: str | None = None
    grid: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class Mention:
    """A place named in a text: which place(s), where, and by which alias."""

    places: tuple[Place, ...]
    start: int
    end: int
    alias: str


@lru_cache(maxsize=2)
def _converter(config: str) -> Any:
    import opencc

    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """``text`` with Traditional Chinese characters converted to Simplified (OpenCC ``t2s``).

    Parameters
    ----------
    text
        Any text.

    Returns
    -------
    str
    """
    return str(_converter("t2s").convert(text))


def simplified_forms(text: str) -> set[str]:
    """The Simplified forms of ``text``.

    Parameters
    ----------
    text
        Traditional Chinese (or any) text.

    Returns
    -------
    set of str
        Converted character by character (OpenCC ``t2s``) and with Taiwan phrases turned
        into mainland ones (``tw2sp``: 軟體 -> 软件, 網路 -> 网络).
    """
    return {to_simplified(text), str(_converter("tw2sp").convert(text))}


def build_trie_pattern(words: Iterable[str]) -> str:
    """A regular expression matching any of ``words``, longest first, built from a trie.

    Parameters
    ----------
    words
        The strings to match (non-empty).

    Returns
    -------
    str
        A pattern whose alternations share prefixes, so matching costs about one step per
        character of text rather than one per word.
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = True

    def render(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(char) + render(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return "(?:" + body + ")?"
        return body

    return render(trie)


def _clean_alias(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip())


_FACILITY = re.compile(r"(工場|工廠|廠|事業所|拠点|據點|製造所|センター)$")


def _name_aliases(name: str) -> list[str]:
    """A node's name, its part before a parenthesis (ASCII or full-width) and, for a CJK
    name written "company facility", the forms the news writes: joined, joined with の,
    and the facility alone (信越化学工業 直江津工場 -> 信越化学工業の直江津工場, 直江津工場)."""
    name = _clean_alias(str(name))
    out = [name]
    head = re.split(r"[（(]", name, maxsplit=1)[0].strip(" ,、")
    if head and head != name:
        out.append(head)
    if _CJK.search(head) and " " in head:
        company, _, facility = head.rpartition(" ")
        out += [company + facility, f"{company}の{facility}"]
        if _FACILITY.search(facility) and len(facility) >= 4:
            out.append(facility)
    return [alias for alias in out if len(alias) >= 2]


def _places_data(path: str | Path | None) -> tuple[str, dict[str, Any]]:
    if path is None:
        source = resources.files("chipstress.workflows.watch").joinpath("data/places.yaml")
        label, text = "places.yaml", source.read_text(encoding="utf-8")
    else:
        label = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"{label}: cannot read: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{label}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{label}: expected a mapping with 'places' and 'nodes'")
    return label, data


def _place(key: str, record: Any, where: str, params: HazardParameters) -> Place:
    """A place of places.yaml."""
    if not isinstance(record, dict):
        raise InvalidInput(f"{where}: expected a mapping")
    try:
        lat, lon = float(record["lat"]), float(record["lon"])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(f"{where}: needs numeric 'lat' and 'lon'") from None
    district, grid = record.get("district"), record.get("grid")
    return Place(
        key=key,
        kind=str(record.get("kind", "city")),
        lat=lat,
        lon=lon,
        is_node=False,
        cluster=record.get("cluster"),
        district=district if district in params.districts else None,
        grid=grid if grid in params.grids else None,
        country=record.get("country"),
    )


def _node_places(network: Network, params: HazardParameters) -> Iterable[tuple[Place, list[str]]]:
    """Each node of ``network`` as a place, with the aliases its names give."""
    district_of = {n: d for d, rec in params.districts.items() for n in rec.nodes}
    grid_of = {n: g for g, nodes in params.grids.items() for n in nodes if len(nodes) == 1}
    for row in network.nodes.to_dict("records"):
        node = str(row["id"])
        cluster = str(row["cluster"]) if isinstance(row.get("cluster"), str) else None
        lat, lon = float(row["lat"]), float(row["lon"])
        place = Place(
            key=node,
            kind=str(row["kind"]),
            lat=None if math.isnan(lat) else lat,
            lon=None if math.isnan(lon) else lon,
            is_node=True,
            cluster=cluster,
            district=district_of.get(node) or (cluster if cluster in params.districts else None),
            grid=grid_of.get(node) or (cluster if cluster in params.grids else None),
            country=str(row["country"]) if isinstance(row.get("country"), str) else None,
        )
        names = [node] if "_" in node else []
        for column in ("name", "name_zh", "name_ja"):
            value = row.get(column)
            if isinstance(value, str) and value:
                names.extend(_name_aliases(value))
        yield place, names


class Gazetteer:
    """Places of a network and the aliases that name them.

    Parameters
    ----------
    places
        Every place by key.
    aliases
        Alias (as written; Latin aliases lower-cased) -> keys of the places it names.
    """

    def __init__(self, places: Mapping[str, Place], aliases: Mapping[str, Iterable[str]]) -> None:
        self.places = dict(places)
        self.aliases: dict[str, tuple[str, ...]] = {}
        for alias, keys in aliases.items():
            self.aliases[alias] = tuple(dict.fromkeys(keys))
        cjk = [a for a in self.aliases if _CJK.search(a)]
        latin = [a for a in self.aliases if not _CJK.search(a)]
        self._cjk = re.compile(build_trie_pattern(cjk)) if cjk else None
        self._latin = (
            re.compile(
                r"(?<![A-Za-z0-9])" + build_trie_pattern(latin) + r"(?![A-Za-z0-9])",
                re.IGNORECASE,
            )
            if latin
            else None
        )

    @classmethod
    def build(
        cls,
        network: Network,
        params: HazardParameters | None = None,
        places_path: str | Path | None = None,
    ) -> Gazetteer:
        """The gazetteer of ``network``: its nodes plus the places of ``places.yaml``.

        Parameters
        ----------
        network
            The network whose nodes are places.
        params
            Hazard data (water districts, grid regions); the shipped defaults if ``None``.
        places_path
            Another places file instead of the shipped ``data/places.yaml``.

        Returns
        -------
        Gazetteer

        Raises
        ------
        InvalidInput
            If the places file cannot be read or a place lacks a position.
        """
        params = params or default_parameters()
        label, data = _places_data(places_path)
        places: dict[str, Place] = {}
        aliases: dict[str, list[str]] = {}

        def add(alias: str, key: str) -> None:
            alias = _clean_alias(alias)
            if len(alias) < 2:
                return
            variants = {alias}
            if _CJK.search(alias):
                variants.update(simplified_forms(alias))
                variants.update(v.replace("臺", "台") for v in list(variants))
            for variant in variants:
                norm = variant if _CJK.search(variant) else variant.lower()
                aliases.setdefault(norm, []).append(key)

        for key, record in (data.get("places") or {}).items():
            place = _place(str(key), record, f"{label}: places.{key}", params)
            places[place.key] = place
            for alias in record.get("aliases") or []:
                add(str(alias), place.key)

        extra = data.get("nodes") or {}
        for place, names in _node_places(network, params):
            places[place.key] = place
            for alias in [*names, *(str(a) for a in extra.get(place.key) or [])]:
                add(alias, place.key)
        return cls(places, aliases)

    def find(self, text: str) -> list[Mention]:
        """Every place named in ``text``, in order, longest alias first, not overlapping.

        Parameters
        ----------
        text
            Text in any of the four scripts (NFKC-normalised by the caller).

        Returns
        -------
        list of Mention
            By position in ``text``.
        """
        found: list[tuple[int, int, str]] = []
        if self._cjk is not None:
            found.extend((m.start(), m.end(), m.group()) for m in self._cjk.finditer(text))
        if self._latin is not None:
            found.extend(
                (m.start(), m.end(), m.group().lower()) for m in self._latin.finditer(text)
            )
        found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
        mentions: list[Mention] = []
        end = -1
        for start, stop, alias in found:
            if start < end:
                continue
            keys = self.aliases.get(alias, ())
            if not keys:
                continue
            mentions.append(
                Mention(tuple(self.places[k] for k in keys if k in self.places), start, stop, alias)
            )
            end = stop
        return mentions

    def nodes(self) -> list[Place]:
        """The places that are network nodes."""
        return [p for p in self.places.values() if p.is_node]


# Kinds of node named after the company that runs them.
_COMPANY_KINDS = {"fab", "packaging", "supplier", "equipment"}
# Words of a site's name that do not say where it is.
_GENERIC = {
    "plant",
    "plants",
    "site",
    "fab",
    "factory",
    "campus",
    "advanced",
    "packaging",
    "test",
    "and",
    "the",
    "production",
    "electronics",
    "gigafab",
    "backend",
    "assembly",
    "hbm",
    "semiconductor",
    "manufacturing",
    "chemical",
    "chemicals",
    "materials",
    "plant)",
    "for",
}


def company_sites(network: Network) -> dict[str, list[tuple[str, frozenset[str]]]]:
    """Each company word of the network's site names with its sites and their place words.

    A site named "Merck Electronics Kaohsiung site (Luzhu)" gives the company ``merck`` and
    the place words ``kaohsiung`` and ``luzhu``, so that "Merck's chemical site in Kaohsiung"
    names it (docs/watch.md, "Reading the news").

    Parameters
    ----------
    network
        The network.

    Returns
    -------
    dict
        Lower-cased company word -> list of (node id, place words).
    """
    out: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for row in network.nodes.to_dict("records"):
        name = row.get("name")
        if not isinstance(name, str) or _CJK.search(name) or row.get("kind") not in _COMPANY_KINDS:
            continue
        words = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z-]+", name)]
        if len(words) < 2:
            continue
        places = frozenset(w for w in words[1:] if len(w) >= 4 and w not in _GENERIC)
        if places:
            out.setdefault(words[0], []).append((str(row["id"]), places))
    return out


def find_company_site(
    index: Mapping[str, list[tuple[str, frozenset[str]]]], lower: str
) -> str | None:
    """The one site a sentence names as a company and a place ("Amkor's Peoria plant").

    Parameters
    ----------
    index
        What :func:`company_sites` returns.
    lower
        The lower-cased sentence.

    Returns
    -------
    str or None
        The node id whose place words the sentence names most, or ``None`` when no
        site, or two equally, are named so.
    """
    words = set(re.findall(r"[a-z][a-z-]+", lower))
    scores = {
        node: len(places & words)
        for company in words & index.keys()
        for node, places in index[company]
        if places & words
    }
    best = sorted(scores.values(), reverse=True)
    if not best or (len(best) > 1 and best[1] == best[0]):
        return None
    return max(scores, key=lambda node: scores[node])


def facility_sites(network: Network) -> dict[str, list[tuple[str, frozenset[str]]]]:
    """Ports and airports by the place words of their names ("Port of Kaohsiung",
    "Kaohsiung International Airport"), so that "Kaohsiung's port" names a port.

    Parameters
    ----------
    network
        The network.

    Returns
    -------
    dict
        ``port`` or ``airport`` -> list of (node id, place words), as
        :func:`find_company_site` reads them.
    """
    out: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for row in network.nodes.to_dict("records"):
        name, node = row.get("name"), str(row["id"])
        if row.get("kind") != "logistics" or not isinstance(name, str):
            continue
        facility = next((f for f in ("airport", "port") if node.startswith(f + "_")), None)
        words = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z-]+", name)}
        places = frozenset(w for w in words if len(w) >= 4 and w not in _FACILITY_WORDS)
        if facility is not None and places:
            out.setdefault(facility, []).append((node, places))
    return out


_FACILITY_WORDS = {"port", "airport", "international", "harbor", "route", "direct", "airlines"}

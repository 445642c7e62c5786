"""The cue words of ``data/lexicon.yaml``, compiled once (docs/watch.md, "Reading the news").

Latin words match whole words, case-insensitively (the text is lower-cased by the
caller); Chinese and Japanese words match as substrings, with their Simplified forms
added (OpenCC ``t2s`` and ``tw2sp``). Each list becomes one regular expression built from a
trie of its words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from chipstress.workflows.watch.gazetteer import build_trie_pattern, simplified_forms

__all__ = ["Cues", "Lexicon", "lexicon"]

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def _normal(text: str) -> str:
    return re.sub(r"[ \t\u3000]+", " ", unicodedata.normalize("NFKC", text))


class Cues:
    """One compiled matcher for a list of cue words (Latin whole words, CJK substrings)."""

    def __init__(self, words: Iterable[str]) -> None:
        latin: set[str] = set()
        cjk: set[str] = set()
        for word in words:
            word = _normal(str(word)).lower()
            if _CJK.search(word):
                cjk.update({word, *simplified_forms(word)})
            else:
                latin.add(word)
        parts = []
        if latin:
            parts.append(r"(?<![a-z0-9])" + build_trie_pattern(latin) + r"(?![a-z0-9])")
        if cjk:
            parts.append(build_trie_pattern(cjk))
        self.pattern = re.compile("|".join(parts)) if parts else None

    def search(self, text: str) -> re.Match[str] | None:
        """The first cue in ``text``, or ``None``.

        Parameters
        ----------
        text
            Lower-cased, NFKC-normalised text.

        Returns
        -------
        re.Match or None
        """
        return self.pattern.search(text) if self.pattern is not None else None

    def all(self, text: str) -> list[re.Match[str]]:
        """Every cue in ``text``.

        Parameters
        ----------
        text
            Lower-cased, NFKC-normalised text.

        Returns
        -------
        list of re.Match
        """
        return list(self.pattern.finditer(text)) if self.pattern is not None else []


@dataclass(frozen=True)
class Lexicon:
    """The compiled cue lists of lexicon.yaml, by section (hazards, rejections, ...)."""

    hazards: dict[str, Cues]
    any_hazard: Cues
    reject: dict[str, Cues]
    title_reject: Cues
    sentence_reject: Cues
    lifted: Cues
    reopened: Cues
    storm_impact: Cues
    storm_far: Cues
    storm_strong: Cues
    landfall: Cues
    storm_severity: dict[str, Cues]
    blackout: Cues
    water_levels: dict[str, Cues]
    water_tiers: dict[str, Cues]
    water_jp: dict[str, Cues]
    materials: dict[str, Cues]
    countries: dict[str, Cues]
    intensity_magnitude: dict[str, float]
    defaults: dict[str, Any]


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The cue words of the shipped ``data/lexicon.yaml``, compiled (once per process).

    Returns
    -------
    Lexicon
    """
    text = (
        resources.files("chipstress.workflows.watch")
        .joinpath("data/lexicon.yaml")
        .read_text(encoding="utf-8")
    )
    data = yaml.safe_load(text)

    def table(name: str) -> dict[str, Cues]:
        return {key: Cues(words) for key, words in data[name].items()}

    reject = table("reject")
    title_kinds = ("drill", "deal", "visit", "ceremony", "memory", "denial", "planned", "forum")
    sentence_kinds = (*title_kinds[:-1], "hypothetical", "other_sense")
    return Lexicon(
        hazards=table("hazards"),
        any_hazard=Cues(w for words in data["hazards"].values() for w in words),
        reject=reject,
        title_reject=Cues(w for k in title_kinds for w in data["reject"][k]),
        sentence_reject=Cues(w for k in sentence_kinds for w in data["reject"][k]),
        lifted=reject["lifted"],
        reopened=Cues(data["reopened"]),
        storm_impact=Cues(data["storm_impact"]),
        storm_far=Cues(data["storm_far"]),
        storm_strong=Cues(
            ["landfall", "made landfall", "登陸", "上陸", "陸上", "停班停課", "休校", "直撃"]
        ),
        landfall=Cues(["landfall", "made landfall", "makes landfall", "登陸", "上陸", "登陆"]),
        storm_severity=table("storm_severity"),
        blackout=Cues(data["blackout"]),
        water_levels=table("water_levels"),
        water_tiers=table("water_tiers"),
        water_jp=table("water_jp"),
        materials=table("materials"),
        countries=table("countries"),
        intensity_magnitude={str(k): float(v) for k, v in data["intensity_magnitude"].items()},
        defaults=dict(data["defaults"]),
    )

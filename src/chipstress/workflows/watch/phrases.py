"""Phrases the news reader matches around its cue words (docs/watch.md, "Reading the news").

Text normalisation and sentence splitting, great-circle distance; epicentre phrases ("off X", "X近海", "Xを震源"), a typhoon named only as a cause ("受颱風影響",
"台風の接近に伴い"), export controls and suspensions written around their object
("限制光阻劑出口", "高雄港暫停所有船舶進出"), colour water alerts in English, and the
comma-delimited segment of a sentence.
"""

from __future__ import annotations

import math
import re
import unicodedata

__all__ = [
    "EPICENTRE_AFTER",
    "EPICENTRE_BEFORE",
    "EXPORT_PHRASE",
    "STORM_CAUSE",
    "SUSPEND_PHRASE",
    "WATER_TOPIC",
    "haversine_km",
    "normalise",
    "segment",
    "split_sentences",
]

_SENTENCE = re.compile(r"(?<=[。！？!?])|\n+|(?<=[.;])\s+(?=[A-Z0-9\"'“(])")


def normalise(text: str) -> str:
    """NFKC form of ``text`` (full-width digits and letters made ASCII), spaces collapsed.

    Parameters
    ----------
    text
        Any text.

    Returns
    -------
    str
    """
    return re.sub(r"[ \t\u3000]+", " ", unicodedata.normalize("NFKC", text))


def split_sentences(text: str) -> list[str]:
    """``text`` cut into sentences at CJK and Latin sentence ends and line breaks.

    Parameters
    ----------
    text
        NFKC-normalised text.

    Returns
    -------
    list of str
        Non-empty sentences, stripped, in order.
    """
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points, in km.

    Parameters
    ----------
    lat1, lon1, lat2, lon2
        The points' latitudes and longitudes (degrees).

    Returns
    -------
    float
        Distance (km) on a sphere of radius 6,371 km.
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


# A place is the epicentre when the text attaches it as such: "off X", "near X", "centred in
# X", "震央位於X" before it, or "X近海", "X外海", "X沖", "Xを震源" after it.
EPICENTRE_BEFORE = re.compile(
    r"(?:\boff(?: the coast of)?|\bnear|centred in|centered in|epicent(?:re|er)(?: was)? in|"
    r"震央位於|震央在|震源位於|震央は)\s?$",
    re.IGNORECASE,
)
EPICENTRE_AFTER = re.compile(r"^\s?(?:縣|県|县)?\s?(?:近海|外海|沖|付近を震源|を震源|附近|海域)")
# A typhoon named only as the cause of something else ("after the typhoon", "受颱風影響",
# "台風の影響で") is not itself reported by that sentence.
STORM_CAUSE = re.compile(
    r"(?:after|due to|because of|amid) (?:the )?(?:typhoon|storm)|受.{0,8}(?:颱風|台風|台风).{0,6}影響|"
    r"受.{0,8}台风.{0,6}影响|(?:台風|颱風|台风).{0,6}(?:の影響|のため|により|によって|の接近で|の接近に伴|に伴|を受け|過後|過境後|过后)",
    re.IGNORECASE,
)
# Suspensions written around their object: "高雄港暫停所有船舶進出", "停止所有航班起降".
SUSPEND_PHRASE = {
    "port_closure": re.compile(
        r"(?:暫停|暂停|停止)[^，。,]{0,6}(?:進出|进出|進港|进港|裝卸|装卸)|"
        r"(?:進出|进出|裝卸|装卸|碼頭作業|码头作业)[^，。,]{0,2}(?:暫停|暂停|停止|中斷|中断)|"
        r"(?:荷役|入出港|出入港)[^、。,]{0,6}(?:停止|中止|見合わせ)"
    ),
    "airport_closure": re.compile(
        r"(?:暫停|暂停|停止|取消)[^，。,]{0,8}(?:起降|航班)|(?:起降|航班)[^，。,]{0,2}(?:暫停|暂停|中斷|中断)"
    ),
    # "move to an orange alert", in a sentence about water (WATER_TOPIC)
    "water_restriction": re.compile(r"\b(?:yellow|orange|red)(?:-light)? alert\b"),
}
WATER_TOPIC = re.compile(r"\b(?:water|reservoirs?|drought)\b")
# A comma-delimited segment of a sentence, for "福岡空港で閉鎖、熊本空港に影響なし".
SEGMENT = re.compile(r"[、，,;；]")
# Export controls written around the material: "限制光阻劑出口", "ネオンの輸出を禁止",
# "bans polysilicon exports".
EXPORT_PHRASE = re.compile(
    r"(?:限制|禁止|管制|管控|暫停|暂停)[^，。,;]{0,10}(?:出口|輸出)|(?:出口|輸出)[^，。,;]{0,4}(?:管制|禁令|限制)|"
    r"(?:輸出|输出)[をの]?(?:禁止|規制|制限|停止|管理)|"
    r"\b(?:ban|bans|banned|restrict|restricts|restricted|curb|curbs|halt|halts|suspend|suspends)\s(?:\S+\s){0,3}exports?\b|"
    r"\brequir(?:e|es|ed|ing) (?:a )?licen[cs]es? for (?:\S+\s){0,2}exports?\b",
    re.IGNORECASE,
)


def segment(lower: str, position: int) -> str:
    """The comma-delimited part of a sentence holding a position.

    Parameters
    ----------
    lower
        The lower-cased sentence.
    position
        A character offset in it.

    Returns
    -------
    str
    """
    starts = [m.end() for m in SEGMENT.finditer(lower, 0, position)]
    end = SEGMENT.search(lower, position)
    return lower[starts[-1] if starts else 0 : end.start() if end else len(lower)]

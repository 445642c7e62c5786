"""What a hazard cue says happened: negated, hypothetical, conceded, recovered from, or past.

Rules of the four languages (not of examples) that decide whether a cue of
``data/lexicon.yaml`` reports a current disruption: "did not expect outages", "暫不限水" and
"停電はなかった" deny it; "could lead to water restrictions", "若限水" and "のおそれ" only fear
it; "despite the quake" concedes it; "back to normal after the outage" and "停電後已恢復"
report its end; "last year" and "曾" put it in the past. Clauses are cut at contrasts ("...,
but ...", "，但", "が、") so that one clause's reopening does not cancel another's closure
(docs/watch.md, "Measured quality").
"""

from __future__ import annotations

import re

from chipstress.workflows.watch.lexicon import Cues

__all__ = [
    "FLOOD_WARNING",
    "NO_IMPACT",
    "PAST",
    "UNAFFECTED",
    "affirmed",
    "clause",
    "hypothetical",
    "negated",
    "recovery",
]


# A cue said not to have happened: "did not expect outages", "no reports of fire", "暫不限水",
# "未發生停電", "取水制限は行っていない", "停電はなかった".
_NEGATION_BEFORE = re.compile(
    r"(?:\bno|\bnot|\bnever|n't|\bwithout|\bavoid(?:ed|ing)?|\bavert(?:ed|ing)?|\bprevent(?:ed|ing)?|no reports? of|ruled out)"
    r"(?:\s+\w+){0,2}\s*$"
    r"|\b(?:did|does|do|will|would) not (?:plan|expect|intend|need) to(?:\s+\w+){0,3}\s*$"
    r"|(?:暫不|暂不|未|無|无|沒有|没有|不會|不会|不致|避免|並無|并无)\s?$"
    r"|(?:尚未|並未|并未|未曾|未再|沒有|没有|不會|不会|無需|无需|無須|无须|毋須|毋须|不需|不必|不用)[^，。,]{0,4}$"
    r"|(?<![得])不\s?$"
    r"|未(?:出現|出现|發生|发生|傳出|传出|造成|有)\s?$",
    re.IGNORECASE,
)
_NEGATION_AFTER = re.compile(
    r"^[^、。,]{0,8}?(?:ない|なし|なかった|ません|せず)"
    r"|^\s?(?:を|は|の)?\s?(?:回避|中止|撤回|見送|取りやめ|取り止め|取消|取消し|避免|撤銷|撤销|喊停|暫緩|暂缓)"
)
# A cue said only to be possible, feared or conditional: "could lead to water restrictions",
# "threatened to strike", "if the river moved to a Tier 3 shortage", "a shortage could come
# in 2027", "若限水", "不排除限電", "ストライキに入る可能性", "断水のおそれ". An announced
# measure ("will restrict exports", "将于下周减压供水") stays a disruption.
_HYPOTHETICAL_BEFORE = re.compile(
    r"(?:\b(?:if|unless|whether|in case|in the event)\b[^,;:.]*"
    r"|\b(?:could|might|(?<!in )may|possible|possibly|potential|threaten(?:s|ed|ing)? to|risks?(?: of)?|"
    r"warn(?:s|ed|ing)? of|fears? of|feared|prepar(?:e|es|ed|ing) for|likely|unlikely|plans? for|"
    r"contingency|threat of|threats of|planned|threatened|consider(?:s|ing)?|mull(?:s|ing)?|"
    r"weigh(?:s|ing)?|propos(?:e|es|ed|ing)|draft)\b(?:\s+[\w-]+){0,4}\s*)$"
    r"|恐[^，。,慌怖]{0,2}$|(?:可能|恐將|恐将|恐怕|若|如果|假如|倘若|一旦|萬一|万一|不排除|或將|或将|擔心|担心|憂心|忧心|防範|防范|"
    r"將來|将来|未來|未来|考慮|考虑|研擬|研拟|擬議|拟议|もし|仮に)"
    r"[^，。,、;]{0,8}$|(?<![例よ])[れけげせてねめべえ]ば[^、。]{0,4}$",
    re.IGNORECASE,
)
_HYPOTHETICAL_AFTER = re.compile(
    r"^[^.。!！]{0,40}?[?？]|"  # asked, not told: "Water cuts in Kaohsiung? Not yet"
    r"^[^,;:.]{0,32}?\b(?:could|might|may|would) (?:\w+ )?(?:come|happen|occur|follow|begin|start|"
    r"return|turn|move|go|rise|escalate|reach|become|be (?:declared|imposed|ordered|introduced|triggered|raised))\b"
    r"|^[^,;:.]{0,24}?\b(?:(?:is|are|was|were|remain|remains|seem|seems) (?:unlikely|possible|likely)|"
    r"(?:cannot|can't|could not|couldn't) be ruled out)\b"
    r"|^[^，。、,;]{0,8}?(?:の可能性|可能性|のおそれ|の恐れ|おそれ|恐れ|に備え|リスク|風險|风险|危機|危机|之虞|"
    r"を懸念|懸念|を心配|的疑慮|的疑虑|的擔憂|的担忧|もあり得る|もありうる|があり得る|かもしれない|"
    r"を検討|検討中)",
    re.IGNORECASE,
)
# A cue conceded as what something withstood: "outlook intact despite the quake".
_CONCESSION_BEFORE = re.compile(
    r"\b(?:despite|in spite of|unaffected by|not affected by|weathered|withstood|survived)\b"
    r"(?:\s+[\w'-]+){0,4}\s*$|(?:儘管|尽管|雖然|虽然|不受|未受)[^，。,]{0,6}$"
    r"|\b(?:despite|in spite of)\b[^.;]{0,40},\s(?:which|that)\b[^.;]*$",
    re.IGNORECASE,
)
_CONCESSION_AFTER = re.compile(r"^[^、。,]{0,8}?(?:にもかかわらず|にも関わらず|の影響を受けず)")
# A contrast that starts a new clause: "Keelung reopened, but Kaohsiung remained closed".
_CONTRAST = re.compile(
    r",?\s(?:but|while|whereas|although|though|however)\s|[,，;；]\s?(?:但是?|不過|不过|而|然而)|"
    r"(?:が、|一方、?|ものの、?)",
    re.IGNORECASE,
)


def _bounds(lower: str, position: int) -> tuple[int, int]:
    """Start and end of the clause of ``lower`` around ``position``."""
    start, end = 0, len(lower)
    for m in _CONTRAST.finditer(lower):
        if m.end() <= position:
            start = m.end()
        elif m.start() >= position:
            end = m.start()
            break
    return start, end


def clause(lower: str, position: int) -> str:
    """The clause of a sentence around a position, cut at contrasts ("..., but ...").

    Parameters
    ----------
    lower
        The lower-cased sentence.
    position
        A character offset in it.

    Returns
    -------
    str
        The clause holding ``position``.
    """
    start, end = _bounds(lower, position)
    return lower[start:end]


# A sentence that reports the end of a disruption it names as its cause or background:
# "production returned to normal two days after an outage", "restarted lines a week after
# the quake", "停電後已全面恢復生產", "地震の後、生産を再開". The recovery words come
# before the cue, or the cue is marked as what the recovery follows.
_RECOVERY = re.compile(
    r"\b(?:back to normal|returned to normal|returns to normal|return to normal|normal operations?|"
    r"operating normally|running normally|resum(?:e|es|ed|ing)|restor(?:e|es|ed|ing)|restart(?:s|ed|ing)?|"
    r"reopen(?:s|ed|ing)?|recover(?:s|ed|ing|y)|came back|back online|back up|reced(?:e|es|ed|ing)|"
    r"subsid(?:e|es|ed|ing))\b"
    r"|恢復|恢复|復工|复工|復電|复电|復產|复产|復航|复航|復水|复水|正常運作|正常运作|正常生產|正常生产|"
    r"再開|復旧|通常通り|通常操業|正常化|水退|退水|水が引",
    re.IGNORECASE,
)
_PENDING = re.compile(
    r"(?:\b(?:when|until|before|expected to|expects to|plans? to|aims? to|hopes? to|not|yet to|"
    r"could|would|will)(?:\s+\w+){0,2}\s*$)|(?:預計|预计|尚未|未|待|何時|何时|可望|有望)[^，。,]{0,8}$",
    re.IGNORECASE,
)
_PENDING_AFTER = re.compile(r"^[^，。,]{0,4}?(?:のめど|の見通し|時間未定|时间未定|見込み|まで)")
_AFTER_CUE = re.compile(r"\b(?:after|following|since|from)\b(?:\s+\S+){0,5}\s*$", re.IGNORECASE)
_CUE_THEN = re.compile(
    r"^[^，。,;、]{0,10}?(?:後|后|過後|过后|以來|以来|以降|の後|から一夜|から|で|により|による|のため|導致|导致)"
)
# Words that put a clause in the past, beyond what the hazard layer should act on now.
PAST = re.compile(
    r"\b(?:last year|a year ago|in previous years|earlier this year|in past years|the previous year|"
    r"in recent years|last month)\b|近年|近幾年|近几年|上月|上個月|上个月|先月"
    r"|去年|昨年|前年|往年|曾經|曾经|曾(?:造成|導致|导致|使|一度|因|發生|发生|遭|受)"
    r"|から\s?\d+\s?(?:年|周年)|\b\d+ years (?:since|after|on)\b|屆滿|届满"
    r"|\b(?:a|one|two|three|four|six|several|\d+) (?:weeks?|months?|years?) (?:after|since)\b"
    r"|(?:個月|个月|カ月|か月|ヶ月)(?:後|后|が経)",
    re.IGNORECASE,
)


# A site said not to be hit by the incident the sentence reports.
UNAFFECTED = re.compile(
    r"not affected|unaffected|no damage|未受影響|未受影响|不受影響|不受影响|無受損|无受损|未受損|影響はない|被害はない|影響なし"
)
# A statement that a site or its output came through unharmed: "operations were not
# affected", "output was not affected", "運作正常", "通常通り稼働".
NO_IMPACT = re.compile(
    r"not affected|unaffected|no damage|no impact|operating normally|running normally|"
    r"(?:operations?|output|production) (?:was|were|remained|is|are) normal|"
    r"未受影響|未受影响|不受影響|不受影响|無受損|无受损|未受損|影響はない|被害はない|影響なし|被害なし|"
    r"運作正常|运作正常|營運正常|运营正常|生產正常|生产正常|正常運作|正常运作|通常通り稼働|通常通り操業"
)
# A flood word that names a warning or a danger level rather than a flood.
FLOOD_WARNING = re.compile(r"\s?(?:危険|警戒|警報|注意報|特報|預警|预警|warning|watch|risk|alert)")


def affirmed(cues: Cues, lower: str) -> bool:
    """Whether one of ``cues`` occurs in ``lower``, not negated nor only hypothetical.

    Parameters
    ----------
    cues
        A compiled cue list.
    lower
        The lower-cased, NFKC-normalised sentence.

    Returns
    -------
    bool
    """
    return any(not negated(lower, m) and not hypothetical(lower, m) for m in cues.all(lower))


def negated(lower: str, match: re.Match[str]) -> bool:
    """Whether the cue ``match`` in ``lower`` is said not to have happened.

    Parameters
    ----------
    lower
        The lower-cased, NFKC-normalised sentence.
    match
        A cue found in it.

    Returns
    -------
    bool
    """
    before = lower[max(0, match.start() - 24) : match.start()]
    after = lower[match.end() : match.end() + 12]
    return bool(_NEGATION_BEFORE.search(before) or _NEGATION_AFTER.search(after))


def hypothetical(lower: str, match: re.Match[str]) -> bool:
    """Whether the cue ``match`` in ``lower`` is only possible, feared, conditional or a
    concession ("despite the quake", "儘管颱風").

    Parameters
    ----------
    lower
        The lower-cased, NFKC-normalised sentence.
    match
        A cue found in it.

    Returns
    -------
    bool
    """
    if _CONCESSION_BEFORE.search(lower[max(0, match.start() - 90) : match.start()]):
        return True
    if _CONCESSION_AFTER.search(lower[match.end() : match.end() + 12]):
        return True
    start = max(0, match.start() - 60)
    for stop in ("。", ". ", "；", "; "):  # the clause's sentence only
        cut = lower.rfind(stop, start, match.start())
        start = max(start, cut + 1) if cut >= 0 else start
    before = lower[start : match.start()]
    after = lower[match.end() : match.end() + 40]
    return bool(_HYPOTHETICAL_BEFORE.search(before) or _HYPOTHETICAL_AFTER.search(after))


def recovery(lower: str, cues: list[re.Match[str]]) -> bool:
    """Whether the sentence reports the end of the disruption its cues ``cues`` name
    (every cue of it sits in a clause that reports a recovery).

    Parameters
    ----------
    lower
        The lower-cased, NFKC-normalised sentence.
    cues
        The cues of one hazard found in it.

    Returns
    -------
    bool
        ``False`` when there are no cues.
    """
    return bool(cues) and all(_recovered(lower, c) for c in cues)


def _recovered(lower: str, cue: re.Match[str]) -> bool:
    """Whether the clause holding ``cue`` reports the recovery from it."""
    start, end = _bounds(lower, cue.start())
    return _recovery_in(lower[start:end], cue.start() - start, cue.end() - start)


def _recovery_in(lower: str, start: int, end: int) -> bool:
    first = _RECOVERY.search(lower)
    if first is None:
        return False
    if _PENDING.search(lower[max(0, first.start() - 24) : first.start()]) or _PENDING_AFTER.search(
        lower[first.end() : first.end() + 10]
    ):
        return False  # "too early to say when production will resume": still disrupted
    if first.start() < start:
        return True
    return bool(
        _AFTER_CUE.search(lower[max(0, start - 40) : start])
        or _CUE_THEN.search(lower[end : end + 12])
    )

"""News items: RSS/Atom entries, saved HTML pages and plain text, read into sightings.

* RSS/Atom: each entry is one item (feedparser reads every RSS and Atom version).
* HTML: the story is the ``<article>`` (or ``<main>``, or the densest text block) with
  navigation, headers, footers, asides, scripts and forms removed (selectolax); a list whose
  text is mostly links (a sidebar of related headlines) is cut out of the story and each of
  its links becomes a separate headline-only item; a paragraph repeating the title is
  dropped.
* Plain text: the first line is the title; blank-line-separated blocks after a line of
  ``---`` or ``===`` are separate items.

The language of an item is detected from its script: kana means Japanese; Han text is
zh-CN when OpenCC's Simplified-to-Traditional conversion changes more characters than the
Traditional-to-Simplified one does, else zh-TW; anything else is English
(docs/watch.md, "Reading the news").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from chipstress.workflows.watch.classify import Reader, normalise
from chipstress.workflows.watch.sightings import Evidence, Sighting

__all__ = [
    "NewsItem",
    "detect_language",
    "html_items",
    "read_items",
    "rss_items",
    "text_items",
]

_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_SPLIT = re.compile(r"^\s*(?:-{3,}|={3,})\s*$", re.MULTILINE)


@dataclass(frozen=True)
class NewsItem:
    """One story, entry or headline to read.

    Attributes
    ----------
    source : str
        Where it came from (path or URL).
    item_id : str
        Its id in the source (GUID, link, or ``path#n``).
    title, body : str
        Headline and main text.
    language : str
        ``zh-TW``, ``zh-CN``, ``ja`` or ``en``.
    published : datetime or None
        Publication time (UTC).
    url : str or None
        Link to it.
    headline_only : bool
        A bare headline (a sidebar link), read with less confidence.
    """

    source: str
    item_id: str
    title: str
    body: str
    language: str
    published: datetime | None = None
    url: str | None = None
    headline_only: bool = False


@lru_cache(maxsize=2)
def _opencc(config: str) -> Any:
    import opencc

    return opencc.OpenCC(config)


def detect_language(text: str) -> str:
    """``ja``, ``zh-CN``, ``zh-TW`` or ``en`` from the script of ``text``.

    Parameters
    ----------
    text
        Any text; only its first 2,000 characters are looked at.

    Returns
    -------
    str
    """
    sample = text[:2000]
    if len(_KANA.findall(sample)) >= 2:
        return "ja"
    han = "".join(_HAN.findall(sample))
    if len(han) < 2:
        return "en"
    to_simple = _opencc("t2s").convert(han)
    to_trad = _opencc("s2t").convert(han)
    traditional = sum(a != b for a, b in zip(han, to_simple, strict=False))
    simplified = sum(a != b for a, b in zip(han, to_trad, strict=False))
    return "zh-CN" if simplified > traditional else "zh-TW"


def read_items(items: list[NewsItem], reader: Reader) -> tuple[list[Sighting], int]:
    """Sightings of every item, and how many items were recognised as non-disruptions.

    Parameters
    ----------
    items
        The items to read.
    reader
        The reader of the network the sightings are placed on.

    Returns
    -------
    sightings : list of Sighting
    rejected : int
    """
    sightings: list[Sighting] = []
    rejected = 0
    for item in items:
        published = item.published.date() if item.published else None
        readings, was_rejected = reader.read(
            item.title, item.body, item.language, published, item.headline_only
        )
        rejected += was_rejected
        for reading in readings:
            started = (
                datetime(
                    reading.started.year, reading.started.month, reading.started.day, tzinfo=UTC
                )
                if reading.started
                else item.published
            )
            evidence = Evidence(
                source=item.source,
                item_id=item.item_id,
                language=item.language,
                text=reading.sentence,
                published=item.published,
                url=item.url,
            )
            sightings.append(
                Sighting(reading.event, reading.places, started, reading.confidence, evidence)
            )
    return sightings, rejected


def text_items(text: str, source: str, published: datetime | None = None) -> list[NewsItem]:
    """Items of a plain-text file: blocks split by ``---`` lines; first line is the title.

    Parameters
    ----------
    text
        The file's text.
    source
        Its path, for evidence.
    published
        When it was published (the file's time), if known.

    Returns
    -------
    list of NewsItem
    """
    items = []
    for n, block in enumerate(b for b in _SPLIT.split(text) if b.strip()):
        lines = block.strip().splitlines()
        title, body = lines[0].strip(), "\n".join(lines[1:]).strip()
        items.append(
            NewsItem(source, f"{source}#{n}", title, body, detect_language(block), published)
        )
    return items


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime(*value[:6]).replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _strip_tags(text: str) -> str:
    if "<" not in text:
        return text
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    return HTMLParser(text).text(separator="\n")


def rss_items(parsed: Any, source: str) -> Iterator[NewsItem]:
    """Items of a parsed RSS/Atom feed (a ``feedparser`` result).

    Parameters
    ----------
    parsed
        What ``feedparser.parse`` returned.
    source
        The feed's path or URL.

    Yields
    ------
    NewsItem
    """
    for n, entry in enumerate(parsed.entries):
        title = _strip_tags(str(entry.get("title", "")))
        summary = str(entry.get("summary", ""))
        content = entry.get("content") or []
        body_html = max([summary, *(str(c.get("value", "")) for c in content)], key=len)
        body = _strip_tags(body_html)
        link = entry.get("link")
        item_id = str(entry.get("id") or link or f"{source}#{n}")
        published = _struct_time(entry.get("published_parsed") or entry.get("updated_parsed"))
        yield NewsItem(
            source,
            item_id,
            title,
            body,
            detect_language(f"{title}\n{body}"),
            published,
            str(link) if link else None,
        )


_BOILERPLATE = "nav, header, footer, aside, script, style, noscript, form, iframe, svg, button"
_RELATED = re.compile(
    r"related|more|popular|trending|sidebar|recommend|latest|熱門|相關|延伸|推薦|最新|関連|人気",
    re.IGNORECASE,
)


def _link_density(node: Any) -> float:
    text = len(node.text(strip=True)) or 1
    links = sum(len(a.text(strip=True)) for a in node.css("a"))
    return links / text


def _published_meta(tree: Any) -> datetime | None:
    from chipstress.workflows.watch.dates import parse_timestamp

    for selector in (
        'meta[property="article:published_time"]',
        'meta[name="pubdate"]',
        'meta[name="date"]',
        "time[datetime]",
    ):
        node = tree.css_first(selector)
        if node is None:
            continue
        value = node.attributes.get("content") or node.attributes.get("datetime")
        if value:
            moment = parse_timestamp(value)
            if moment is not None:
                return moment
    return None


def _cut_headline_lists(tree: Any, title: str) -> list[tuple[str, str | None]]:
    """Remove lists that are mostly links (or marked related/popular); return their links."""
    headlines: list[tuple[str, str | None]] = []
    for block in tree.css("ul, ol, div, section"):
        links = block.css("a")
        if len(links) < 3:
            continue
        marker = " ".join(str(block.attributes.get(k) or "") for k in ("class", "id", "aria-label"))
        density = _link_density(block)
        if density <= 0.7 and (not _RELATED.search(marker) or block.css_first("p") is not None):
            continue
        for a in links:
            text = a.text(strip=True)
            if len(text) >= 6 and text != title:
                headlines.append((text, a.attributes.get("href")))
        block.decompose()
    return headlines


def html_items(html: str, source: str, published: datetime | None = None) -> list[NewsItem]:
    """The story of a saved news page, plus each sidebar headline as a separate item.

    Parameters
    ----------
    html
        The page.
    source
        Its path or URL.
    published
        Publication time if the page does not say (``article:published_time`` meta or a
        ``<time datetime>`` element win).

    Returns
    -------
    list of NewsItem
        The story first (when it has text), then the headline-only items.
    """
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    tree = HTMLParser(html)
    published = _published_meta(tree) or published
    title_node = tree.css_first("article h1") or tree.css_first("h1") or tree.css_first("title")
    title = title_node.text(strip=True) if title_node else ""
    headlines = _cut_headline_lists(tree, title)
    for node in tree.css(_BOILERPLATE):
        node.decompose()
    root = tree.css_first("article") or tree.css_first("main") or tree.body
    paragraphs: list[str] = []
    if root is not None:
        blocks = root.css("p, li, h2, h3, blockquote") or [root]
        for node in blocks:
            text = node.text(separator=" ", strip=True)
            if text and normalise(text) != normalise(title) and text not in paragraphs:
                paragraphs.append(text)
    body = "\n".join(paragraphs)
    language = detect_language(f"{title}\n{body}")
    items = []
    if title or body:
        items.append(NewsItem(source, f"{source}#story", title, body, language, published))
    seen: set[str] = set()
    for n, (text, href) in enumerate(headlines):
        if text in seen:
            continue
        seen.add(text)
        items.append(
            NewsItem(
                source,
                f"{source}#related-{n}",
                text,
                "",
                detect_language(text),
                published,
                href,
                headline_only=True,
            )
        )
    return items

"""One pass over the sources: read every feed and news source, place and merge what they report.

Sources are file paths, folders (every file inside, recursively, hidden files skipped)
or http(s) URLs (fetched with ``fetch``; by default an httpx GET with a 20 s timeout that
refuses bodies over 20 MB). Each is read by the adapter its content calls for
(:func:`~chipstress.workflows.watch.feeds.detect_format`): an official feed, an RSS/Atom
feed of news, a saved HTML page, a JSON-lines file of news items or plain text. A source
that cannot be fetched or read becomes a :class:`SourceError` and the others are still
read. All sightings are then deduplicated (docs/watch.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from chipstress.model.network import Network
from chipstress.workflows.watch.classify import Reader
from chipstress.workflows.watch.dates import parse_timestamp
from chipstress.workflows.watch.dedupe import dedupe
from chipstress.workflows.watch.feeds import ADAPTERS, FeedError, detect_format, read_gdacs
from chipstress.workflows.watch.news import (
    NewsItem,
    detect_language,
    html_items,
    read_items,
    rss_items,
    text_items,
)
from chipstress.workflows.watch.sightings import Intake, Sighting, SourceError

__all__ = ["MAX_BYTES", "http_fetch", "intake", "read_source"]

MAX_BYTES = 20 * 1024 * 1024
_TIMEOUT_S = 20.0


def http_fetch(url: str) -> bytes:
    """GET ``url`` (20 s timeout, at most :data:`MAX_BYTES`), following redirects.

    Parameters
    ----------
    url
        An http(s) URL.

    Returns
    -------
    bytes
        The body.

    Raises
    ------
    OSError
        On a transport error, an HTTP error status or an oversized body (the message
        says which).
    """
    import httpx

    try:
        with httpx.stream("GET", url, timeout=_TIMEOUT_S, follow_redirects=True) as response:
            if response.status_code >= 400:
                raise OSError(f"HTTP {response.status_code}")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BYTES:
                    raise OSError(f"body larger than {MAX_BYTES} bytes")
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.HTTPError as exc:
        raise OSError(f"{type(exc).__name__}: {exc}") from None


def _files(source: str | Path) -> Iterator[tuple[str, Path]]:
    path = Path(source)
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and not any(
                p.startswith(".") for p in child.relative_to(path).parts
            ):
                yield str(child), child
    else:
        yield str(path), path


_CHARSET = re.compile(rb"""charset=["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _decode(data: bytes, name: str) -> str:
    """UTF-8 text, or the charset an HTML page declares (Big5, Shift_JIS, GB18030 ...)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        declared = _CHARSET.search(data[:4096])
        if declared is not None:
            charset = declared.group(1).decode("ascii")
            try:
                return data.decode(charset)
            except (LookupError, UnicodeDecodeError):
                raise FeedError(f"not valid {charset} text, as the page declares") from None
        raise FeedError(f"not UTF-8 text (byte {exc.start})") from None


def _jsonl_items(text: str, source: str) -> list[NewsItem]:
    items = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise FeedError(f"line {n}: not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict) or not ({"title", "body"} & set(record)):
            raise FeedError(f"line {n}: expected an object with 'title' and/or 'body'")
        title, body = str(record.get("title") or ""), str(record.get("body") or "")
        published = parse_timestamp(str(record["published"])) if record.get("published") else None
        items.append(
            NewsItem(
                source,
                str(record.get("id") or f"{source}#{n}"),
                title,
                body,
                str(record.get("language") or detect_language(f"{title}\n{body}")),
                published,
                record.get("url"),
            )
        )
    return items


def _text_published(text: str) -> tuple[str, datetime | None]:
    """A leading ``date: ...`` / ``published: ...`` line of a text file, removed."""
    first, _, rest = text.lstrip().partition("\n")
    key, _, value = first.partition(":")
    if key.strip().lower() in ("date", "published"):
        return rest, parse_timestamp(value.strip())
    return text, None


def read_source(name: str, data: bytes, reader: Reader) -> tuple[list[Sighting], int, int]:
    """Sightings of one source's content, with the items read and rejected.

    Parameters
    ----------
    name
        Path or URL (names the source in evidence; its extension helps detection).
    data
        The content.
    reader
        The reader of the network.

    Returns
    -------
    sightings : list of Sighting
    items_read : int
        News items read, or for an official feed the entries that became sightings.
    items_rejected : int

    Raises
    ------
    FeedError
        If the content cannot be read in its format.
    """
    kind = "jsonl" if name.lower().endswith(".jsonl") else detect_format(name, data)
    if kind in ADAPTERS:
        sightings = list(ADAPTERS[kind](data, name, reader))
        return sightings, len(sightings), 0
    if kind in ("rss", "gdacs"):
        import feedparser  # type: ignore[import-untyped]

        parsed = feedparser.parse(data)
        if parsed.get("bozo") and not parsed.entries:
            raise FeedError(f"RSS/Atom: not a readable feed ({parsed.get('bozo_exception')})")
        if kind == "gdacs":
            sightings = list(read_gdacs(parsed, name, reader))
            return sightings, len(parsed.entries), 0
        items = list(rss_items(parsed, name))
    else:
        text = _decode(data, name)
        if kind == "html":
            items = html_items(text, name)
        elif kind == "jsonl":
            items = _jsonl_items(text, name)
        else:
            body, published = _text_published(text)
            items = text_items(body, name, published)
    sightings, rejected = read_items(items, reader)
    return sightings, len(items), rejected


def intake(
    sources: Sequence[str | Path],
    network: Network,
    *,
    fetch: Callable[[str], bytes] | None = None,
    since: datetime | None = None,
    reader: Reader | None = None,
) -> Intake:
    """Read every source once and return the deduplicated disruptions on ``network``.

    Parameters
    ----------
    sources
        File paths, folders (every file inside) or http(s) URLs.
    network
        The network events are placed on (its gazetteer names the places).
    fetch
        Gets a URL's bytes; :func:`http_fetch` when ``None``. Raise ``OSError`` (or any
        exception) to report a failure: it becomes that source's error.
    since
        Drop sightings that started (or were published) before this time (naive means UTC).
    reader
        A reader built for ``network`` already (saves rebuilding its gazetteer).

    Returns
    -------
    Intake
        Events (most confident first), source errors, items read and rejected.
    """
    reader = reader or Reader(network)
    fetch = fetch or http_fetch
    result = Intake()
    sightings: list[Sighting] = []
    for source in sources:
        text = str(source)
        if text.startswith(("http://", "https://")):
            try:
                contents = [(text, fetch(text))]
            except Exception as exc:  # the fetcher's failure, whatever it is, is the source's
                result.errors.append(SourceError(text, f"cannot fetch: {exc}"))
                continue
        else:
            if not Path(text).exists():
                result.errors.append(SourceError(text, "no such file or folder"))
                continue
            contents = []
            for name, path in _files(text):
                try:
                    contents.append((name, path.read_bytes()))
                except OSError as exc:
                    result.errors.append(SourceError(name, f"cannot read: {exc.strerror}"))
        for name, data in contents:
            try:
                found, read, rejected = read_source(name, data, reader)
            except FeedError as exc:
                result.errors.append(SourceError(name, f"{exc}"))
                continue
            result.items_read += read
            result.items_rejected += rejected
            sightings.extend(found)
    if since is not None:
        since = since if since.tzinfo is not None else since.replace(tzinfo=UTC)
        sightings = [s for s in sightings if _kept(s, since)]
    result.events = dedupe(sightings)
    return result


def _kept(sighting: Sighting, since: datetime) -> bool:
    when = sighting.started or sighting.evidence.published
    return when is None or when >= since

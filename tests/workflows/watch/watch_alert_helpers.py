"""Shared by the alert and watcher tests: watched events, a loopback HTTP server that
serves feeds and takes webhooks, and a minimal loopback SMTP server.

Every server binds 127.0.0.1 on a free port; nothing talks to any other address.
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from chipstress.interfaces.api.background import handler_serving
from chipstress.workflows.hazards import Duration, Earthquake, WaterRestriction
from chipstress.workflows.hazards.events import Event
from chipstress.workflows.watch.sightings import Evidence, Intake, WatchEvent

# Kaohsiung, Nanzih (TSMC Fab 22, ASE) and open sea far east of Taiwan.
KAOHSIUNG = (22.70, 120.30)
STORY = (
    "A magnitude 6.9 earthquake struck Kaohsiung on Monday morning, damaging factories "
    "in the Nanzih science park.\n"
)
FAR_SEA = (20.0, 140.0)


def quake(
    key: str,
    where: tuple[float, float] = KAOHSIUNG,
    magnitude: float = 6.8,
    text: str = "A magnitude 6.8 earthquake struck Kaohsiung.",
    language: str = "en",
    source: str = "test-feed",
) -> WatchEvent:
    """A watched earthquake with one piece of evidence."""
    event = Earthquake(lat=where[0], lon=where[1], magnitude=magnitude, depth_km=15.0, name=key)
    return watch_event(key, event, ("kaohsiung",), text, language, source)


def water(key: str, district: str, text: str = "Water cut.") -> WatchEvent:
    """A watched water restriction (the district may be unknown to the hazard data)."""
    event = WaterRestriction(district=district, duration=Duration(4.0, "week"), cut=0.3)
    return watch_event(key, event, (district,), text, "en", "test-news")


def watch_event(
    key: str,
    event: Event,
    places: tuple[str, ...],
    text: str,
    language: str = "en",
    source: str = "test",
) -> WatchEvent:
    """A WatchEvent with one piece of evidence read from ``source``."""
    evidence = Evidence(
        source,
        f"{source}#{key}",
        language,
        text,
        datetime(2026, 12, 7, 1, 0, tzinfo=UTC),
        f"http://127.0.0.1/{key}",
    )
    return WatchEvent(key, event, places, datetime(2026, 12, 7, tzinfo=UTC), 0.9, [evidence])


class FakeReader:
    """An intake stand-in: returns the events it is given (changeable between passes)."""

    def __init__(self, events: list[WatchEvent] | None = None) -> None:
        self.events = list(events or [])
        self.calls: list[list[str]] = []

    def __call__(self, sources: Any, network: Any, fetch: Any = None) -> Intake:
        self.calls.append([str(s) for s in sources])
        return Intake(events=list(self.events), items_read=len(self.events))


@dataclass
class HttpLog:
    """What the loopback HTTP server was asked and will answer."""

    routes: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # GET path -> (type, body)
    post_statuses: list[int] = field(default_factory=list)  # answers to POSTs, in order; then 200
    posts: list[tuple[str, bytes]] = field(default_factory=list)
    gets: list[str] = field(default_factory=list)


@contextmanager
def http_server(log: HttpLog) -> Iterator[str]:
    """A threading HTTP server on 127.0.0.1 serving ``log.routes``; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            log.gets.append(self.path)
            found = log.routes.get(self.path)
            if found is None:
                self.send_response(404)
                self.end_headers()
                return
            kind, body = found
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            status = log.post_statuses.pop(0) if log.post_statuses else 200
            log.posts.append((self.path, body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    with handler_serving(Handler) as url:
        yield url


@dataclass
class SmtpLog:
    """What the loopback SMTP server received, and how it should misbehave."""

    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    greeting: str = "220 localhost test SMTP"
    refuse_rcpt: bool = False


@contextmanager
def smtp_server(log: SmtpLog) -> Iterator[tuple[str, int]]:
    """A minimal SMTP server on 127.0.0.1 (HELO/EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT)."""

    class Handler(socketserver.StreamRequestHandler):
        timeout = 10

        def reply(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")

        def handle(self) -> None:
            self.reply(log.greeting)
            if not log.greeting.startswith("220"):
                return
            sender, rcpts = "", []
            commands: dict[str, Callable[[str], bool]] = {}

            def data(_: str) -> bool:
                self.reply("354 end with <CRLF>.<CRLF>")
                lines = []
                while True:
                    line = self.rfile.readline()
                    if not line or line in (b".\r\n", b".\n"):
                        break
                    lines.append(line[1:] if line.startswith(b"..") else line)
                log.messages.append((sender, list(rcpts), b"".join(lines)))
                self.reply("250 queued")
                return True

            commands["DATA"] = data
            while True:
                raw = self.rfile.readline()
                if not raw:
                    return
                line = raw.decode("utf-8", "replace").strip()
                verb = line.split(" ", 1)[0].split(":", 1)[0].upper()
                if verb == "EHLO":
                    self.reply("250-localhost")
                    self.reply("250 8BITMIME")
                elif verb == "HELO" or verb in ("RSET", "NOOP"):
                    self.reply("250 ok")
                elif verb == "MAIL":
                    sender = line.split(":", 1)[1].strip()
                    self.reply("250 ok")
                elif verb == "RCPT":
                    if log.refuse_rcpt:
                        self.reply("550 no such user here")
                    else:
                        rcpts.append(line.split(":", 1)[1].strip())
                        self.reply("250 ok")
                elif verb == "DATA":
                    commands["DATA"](line)
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:
                    self.reply("502 not implemented")

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def usgs_feed(event_id: str) -> dict[str, Any]:
    """A one-entry USGS GeoJSON feed: an M6.7 near Kikuyo (JASM's town), id ``event_id``."""
    return {
        "type": "FeatureCollection",
        "metadata": {"generated": 1796605200000, "title": "USGS All Earthquakes, Past Day", "status": 200, "count": 1},
        "features": [
            {
                "type": "Feature", "id": event_id,
                "properties": {
                    "mag": 6.7, "place": "6 km S of Kikuyo, Japan", "time": 1796605000000,
                    "updated": 1796605100000, "url": f"https://earthquake.usgs.gov/earthquakes/eventpage/{event_id}",
                    "status": "reviewed", "type": "earthquake", "title": "M 6.7 - 6 km S of Kikuyo, Japan",
                },
                "geometry": {"type": "Point", "coordinates": [130.82, 32.83, 10.0]},
            }
        ],
    }  # fmt: skip

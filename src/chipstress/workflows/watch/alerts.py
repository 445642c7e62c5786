"""Alerts: when a watched event is worth telling someone, and the places it is sent.

An :class:`Alert` is made for a costed event that hits at least one site of the network
and passes the :class:`Threshold` (a loss of at least ``min_loss`` in the network's
currency, or a time-to-survive of at most ``max_tts`` periods). It carries the evidence
sentences, the hazard, the sites, the loss and its components, and the id of the stored
scenario run behind it (docs/watch.md, "Watching and alerts").

Sinks (each ``send(alert)`` raises :class:`SinkError`, one line, when it fails):

* :class:`FileSink` — one JSON object per line, appended to a file;
* :class:`WebhookSink` — an HTTP POST of the alert's JSON, retried with exponential
  backoff (bounded attempts and delay) on connection errors, timeouts, 408, 429 and 5xx;
* :class:`EmailSink` — a plain-text e-mail over SMTP (optional STARTTLS and login).

The results store is the fourth sink: every alert is kept there (``store/watch.py``)
for the dashboard's Alerts panel, whatever the other sinks do.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import smtplib
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from chipstress.errors import InvalidInput
from chipstress.workflows.watch.costing import CostedEvent, event_record

__all__ = [
    "Alert",
    "AlertSink",
    "EmailSink",
    "FileSink",
    "SinkError",
    "Threshold",
    "WebhookSink",
    "alert_id",
    "alert_json",
    "check_url",
    "make_alert",
    "webhook_name",
]


class SinkError(Exception):
    """An alert could not be delivered: the sink and why, in one line."""


@dataclass(frozen=True)
class Threshold:
    """When a costed event raises an alert.

    Attributes
    ----------
    min_loss
        Alert when the event's total loss is at least this (currency); ``None``: not
        a condition.
    max_tts
        Alert when the network's time-to-survive with the hit sites at their worst is at
        most this (periods); ``None``: not a condition.

    Notes
    -----
    The event must hit at least one site of the network. With neither condition given,
    every such event alerts; with one or both, the event alerts when either holds.
    """

    min_loss: float | None = None
    max_tts: float | None = None

    def __post_init__(self) -> None:
        if self.min_loss is not None and not (math.isfinite(self.min_loss) and self.min_loss >= 0):
            raise InvalidInput(f"min_loss must be a finite number >= 0, not {self.min_loss}")
        if self.max_tts is not None and not (self.max_tts >= 0 and not math.isnan(self.max_tts)):
            raise InvalidInput(f"max_tts must be a number of periods >= 0, not {self.max_tts}")

    def passes(self, costed: CostedEvent) -> bool:
        """Whether ``costed`` raises an alert.

        Parameters
        ----------
        costed
            A costed event.

        Returns
        -------
        bool
            True when it hits a site and meets a condition (or none is set).
        """
        if not costed.hits or costed.error is not None:
            return False
        if self.min_loss is None and self.max_tts is None:
            return True
        by_loss = self.min_loss is not None and costed.loss >= self.min_loss
        by_tts = self.max_tts is not None and costed.tts <= self.max_tts
        return by_loss or by_tts


def alert_id(scope: str, key: str) -> str:
    """The id of the alert for event ``key`` watched on network ``scope`` (stable).

    Parameters
    ----------
    scope
        The network's name (what the watcher keeps state under).
    key
        The event's stable key.

    Returns
    -------
    str
        ``al-`` and 16 hex digits of a SHA-256 of both.
    """
    digest = hashlib.sha256(f"{scope}\x00{key}".encode()).hexdigest()
    return f"al-{digest[:16]}"


@dataclass(frozen=True)
class Alert:
    """An event that hit the network above the threshold, ready to send.

    Attributes
    ----------
    alert_id
        Stable id (:func:`alert_id`).
    scope
        The network's name.
    key
        The event's key.
    created_at
        When the alert was raised (UTC, ISO 8601).
    hazard, title
        The hazard and a one-line title.
    loss
        Total loss (currency).
    tts
        Time-to-survive with the hit sites at their worst (periods; ``inf`` = forever).
    currency, period
        The network's currency and period names.
    run_id
        The stored scenario run of the event (``None`` when it could not be stored).
    record
        The event in full (:func:`chipstress.workflows.watch.costing.event_record`):
        evidence, sites, components, timeline.
    """

    alert_id: str
    scope: str
    key: str
    created_at: str
    hazard: str
    title: str
    loss: float
    tts: float
    currency: str
    period: str
    run_id: str | None
    record: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The alert as JSON-safe data (what every sink sends and the API returns).

        Returns
        -------
        dict
            ``id``, ``network``, ``key``, ``created_at``, ``hazard``, ``title``,
            ``loss`` (currency), ``tts`` (periods; ``"Infinity"`` = forever),
            ``currency``, ``period``, ``run_id``, ``report`` (the run's report path),
            ``evidence``, ``sites``, ``components``, ``places``, ``event``, ``timeline``.
        """
        record = self.record
        return {
            "id": self.alert_id,
            "network": self.scope,
            "key": self.key,
            "created_at": self.created_at,
            "hazard": self.hazard,
            "title": self.title,
            "loss": self.loss,
            "tts": self.tts if math.isfinite(self.tts) else "Infinity",
            "currency": self.currency,
            "period": self.period,
            "run_id": self.run_id,
            "report": f"/api/runs/{self.run_id}/report" if self.run_id else None,
            "confidence": record.get("confidence"),
            "started": record.get("started"),
            "places": record.get("places", []),
            "event": record.get("event", {}),
            "evidence": record.get("evidence", []),
            "sites": record.get("sites", []),
            "components": record.get("components", {}),
            "timeline": record.get("timeline", []),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        """The alert back from :meth:`to_dict` (as stored; extra keys are ignored).

        Parameters
        ----------
        data
            An ``Alert.to_dict()`` mapping.

        Returns
        -------
        Alert
            The same alert.
        """
        tts = data.get("tts")
        record_keys = (
            "confidence", "started", "places", "event", "evidence", "sites", "components",
            "timeline",
        )  # fmt: skip
        return cls(
            str(data["id"]),
            str(data.get("network", "")),
            str(data["key"]),
            str(data.get("created_at", "")),
            str(data.get("hazard", "")),
            str(data.get("title", "")),
            float(data.get("loss") or 0.0),
            math.inf if tts is None or isinstance(tts, str) else float(tts),
            str(data.get("currency", "")),
            str(data.get("period", "period")),
            data.get("run_id"),
            {k: data[k] for k in record_keys if k in data},
        )

    def text(self) -> str:
        """The alert as a few lines of plain text (the e-mail body).

        Returns
        -------
        str
            Title, loss, time-to-survive, sites and evidence sentences.
        """
        tts = "forever" if math.isinf(self.tts) else f"{self.tts:,.2f} {self.period}s"
        lines = [
            self.title,
            f"loss: {self.loss:,.0f} {self.currency}",
            f"time to survive with the hit sites at their worst: {tts}",
            "sites: " + ", ".join(s.get("node", "") for s in self.record.get("sites", [])),
        ]
        if self.run_id:
            lines.append(f"scenario run: {self.run_id}")
        lines.append("evidence:")
        for item in self.record.get("evidence", []):
            where = item.get("url") or item.get("source") or ""
            lines.append(f"  - {' '.join(str(item.get('text', '')).split())} ({where})")
        return "\n".join(lines)


def make_alert(
    scope: str, costed: CostedEvent, run_id: str | None, created_at: str, rank: int | None = None
) -> Alert:
    """The alert for a costed event.

    Parameters
    ----------
    scope
        The network's name.
    costed
        The costed event (it should pass the threshold).
    run_id
        Its stored scenario run, if stored.
    created_at
        The time to stamp it with (UTC, ISO 8601).
    rank
        Its rank among the pass's events, if known.

    Returns
    -------
    Alert
        The alert, with the event's full record.
    """
    record = event_record(costed, rank)
    return Alert(
        alert_id(scope, costed.key),
        scope,
        costed.key,
        created_at,
        costed.hazard,
        costed.title,
        float(costed.loss),
        float(costed.tts),
        str(record["currency"]),
        str(record["period"]),
        run_id,
        record,
    )


def alert_json(alert: Alert) -> str:
    """The alert as compact JSON text (infinities as ``"Infinity"``)."""
    return json.dumps(alert.to_dict(), ensure_ascii=False, separators=(",", ":"), default=str)


class AlertSink(Protocol):
    """Where alerts go: a stable ``name`` (kept in the store) and ``send``."""

    name: str

    def send(self, alert: Alert) -> None:
        """Deliver one alert; raise :class:`SinkError` (one line) when it cannot."""


class FileSink:
    """Alerts appended to a file, one JSON object per line (JSONL).

    Parameters
    ----------
    path
        The file (created with its folder when missing).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = f"file:{self.path}"

    def send(self, alert: Alert) -> None:
        """Append the alert and flush it to disk.

        Raises
        ------
        SinkError
            The file cannot be written (permission, missing disk, a folder in the way).
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(alert_json(alert) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as error:
            raise SinkError(f"{self.name}: {error.strerror or error}") from None


def check_url(url: str, what: str) -> str:
    """``url`` when it is an absolute http(s) URL with a host.

    Parameters
    ----------
    url
        The URL.
    what
        What it is for, for the message (``webhook``, ``feed``).

    Returns
    -------
    str
        ``url`` unchanged.

    Raises
    ------
    InvalidInput
        Another scheme, no host, or not a URL.
    """
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        parts, port_ok = None, False
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise InvalidInput(f"bad {what} URL {url!r}: give an http:// or https:// URL with a host")
    return url


def webhook_name(url: str) -> str:
    """A webhook's name for the store and messages: scheme, host and port, and a digest of
    the whole URL instead of its path and query (which often hold a secret token).

    Parameters
    ----------
    url
        The webhook URL.

    Returns
    -------
    str
        ``webhook:https://host:port#1a2b3c4d``.
    """
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    digest = hashlib.sha256(url.encode()).hexdigest()[:8]
    return f"webhook:{parts.scheme}://{parts.hostname}{port}#{digest}"


_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class WebhookSink:
    """Alerts POSTed as JSON to a URL, retried with exponential backoff.

    Parameters
    ----------
    url
        An http(s) URL.
    attempts
        Tries in all (at least 1).
    backoff
        Wait before the second try (seconds); doubled before each further try.
    max_delay
        Longest wait between tries (seconds).
    timeout
        Seconds each try may take.
    sleep
        Waits between tries (tests pass a recorder).

    Raises
    ------
    InvalidInput
        A URL that is not http(s) with a host, or attempts < 1.
    """

    def __init__(
        self,
        url: str,
        attempts: int = 5,
        backoff: float = 0.5,
        max_delay: float = 8.0,
        timeout: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = check_url(url, "webhook")
        if attempts < 1:
            raise InvalidInput(f"webhook attempts must be at least 1, not {attempts}")
        self.attempts = int(attempts)
        self.backoff = float(backoff)
        self.max_delay = float(max_delay)
        self.timeout = float(timeout)
        self.sleep = sleep
        self.name = webhook_name(url)

    def delays(self) -> list[float]:
        """The waits between tries (seconds): ``backoff × 2^k``, at most ``max_delay``."""
        return [min(self.backoff * 2**k, self.max_delay) for k in range(self.attempts - 1)]

    def _post(self, body: bytes) -> tuple[bool, str]:
        """One try: (worth retrying, reason); returns ``(False, "")`` on success."""
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "chipstress-watch"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read(1 << 16)
            return False, ""
        except urllib.error.HTTPError as error:
            return error.code in _RETRY_STATUS, f"HTTP {error.code} {error.reason}"
        except urllib.error.URLError as error:
            return True, f"unreachable ({_reason(error.reason)})"
        except TimeoutError:
            return True, f"no answer within {self.timeout:g} s"
        except OSError as error:
            return True, f"connection failed ({_reason(error)})"

    def send(self, alert: Alert) -> None:
        """POST the alert's JSON; retry transient failures.

        Raises
        ------
        SinkError
            Every try failed, or the server refused it (4xx other than 408/425/429).
        """
        body = alert_json(alert).encode("utf-8")
        delays = self.delays()
        for attempt in range(self.attempts):
            retry, reason = self._post(body)
            if not reason:
                return
            if not retry or attempt == self.attempts - 1:
                tries = f"after {attempt + 1} attempt{'s' if attempt else ''}"
                raise SinkError(f"{self.name}: {reason} {tries}")
            self.sleep(delays[attempt])


def _reason(error: object) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return " ".join(str(error).split()) or type(error).__name__


class EmailSink:
    """Alerts sent as plain-text e-mail over SMTP.

    Parameters
    ----------
    host, port
        The SMTP server.
    sender
        The From address.
    to
        The recipients (at least one).
    starttls
        Upgrade the connection with STARTTLS before sending.
    username, password
        Log in when given.
    timeout
        Seconds each SMTP exchange may take.

    Raises
    ------
    InvalidInput
        No recipient, no sender, or an address without ``@``.
    """

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        to: Sequence[str],
        *,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        if not to:
            raise InvalidInput("e-mail alerts need at least one recipient (--smtp-to)")
        for address in (sender, *to):
            if "@" not in address or any(c.isspace() for c in address):
                raise InvalidInput(f"bad e-mail address {address!r}")
        if not 0 < int(port) < 65536:
            raise InvalidInput(f"bad SMTP port {port}: give 1 to 65535")
        self.host = host
        self.port = int(port)
        self.sender = sender
        self.to = list(to)
        self.starttls = starttls
        self.username = username
        self.password = password
        self.timeout = float(timeout)
        self.name = f"email:{','.join(self.to)}"

    def message(self, alert: Alert) -> EmailMessage:
        """The e-mail for ``alert`` (subject: hazard, sites hit, loss)."""
        message = EmailMessage()
        message["Subject"] = f"[chipstress] {alert.title}; loss {alert.loss:,.0f} {alert.currency}"
        message["From"] = self.sender
        message["To"] = ", ".join(self.to)
        message["X-Chipstress-Alert"] = alert.alert_id
        message.set_content(alert.text())
        return message

    def send(self, alert: Alert) -> None:
        """Send the alert's e-mail.

        Raises
        ------
        SinkError
            The server cannot be reached, refuses the connection, the login or a
            recipient.
        """
        where = f"{self.name} via {self.host}:{self.port}"
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(self.message(alert))
        except smtplib.SMTPRecipientsRefused as error:
            refused = ", ".join(sorted(error.recipients))
            raise SinkError(f"{where}: recipients refused ({refused})") from None
        except smtplib.SMTPResponseException as error:
            text = (
                error.smtp_error.decode("utf-8", "replace")
                if isinstance(error.smtp_error, bytes)
                else str(error.smtp_error)
            )
            raise SinkError(
                f"{where}: refused ({error.smtp_code} {' '.join(text.split())})"
            ) from None
        except smtplib.SMTPException as error:
            raise SinkError(f"{where}: {' '.join(str(error).split())}") from None
        except OSError as error:
            raise SinkError(f"{where}: unreachable ({_reason(error)})") from None

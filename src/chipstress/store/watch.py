"""The watcher's memory in the results store: events seen, alerts raised, deliveries.

Three tables beside the runs (the same SQL on DuckDB and PostgreSQL, through the results
store's backend, :mod:`chipstress.store.backends`):

* ``chipstress_watch_seen`` — one row per (network, event key) already costed, so a
  restarted watcher does not cost or alert it again;
* ``chipstress_watch_alerts`` — one row per alert (its JSON in ``body``), what the API
  and the dashboard's Alerts panel read;
* ``chipstress_watch_deliveries`` — one row per (alert, sink): ``pending``, ``sent`` or
  ``failed`` with the attempts and the last error;
* ``chipstress_watch_items`` — one row per (network, reading: a digest of its hazard,
  source, item id and sentence) with the key of the event it was part of: an event whose
  key changed between passes (an earlier report of it arrived, or its first report left a
  rolling feed) but that holds a reading already seen is the same disruption, not a new
  one.

A pass records its seen events, its alerts and their pending deliveries in one
transaction, then delivers; a delivery is marked ``sent`` only once the sink took it.
So a watcher stopped at any point neither repeats an alert a sink already has nor
misses one: on restart it delivers whatever is still pending or failed
(docs/watch.md, "Watching and alerts").
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chipstress.store.rows import utc_now

if TYPE_CHECKING:
    import pandas as pd

    from chipstress.store.results import ResultsStore

__all__ = ["WATCH_TABLES", "Delivery", "SeenEvent", "WatchStore", "item_digest"]

WATCH_TABLES = (
    "chipstress_watch_alerts",
    "chipstress_watch_deliveries",
    "chipstress_watch_items",
    "chipstress_watch_seen",
)
_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS chipstress_watch_seen (
        scope TEXT NOT NULL,
        event_key TEXT NOT NULL,
        hazard TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        loss DOUBLE PRECISION,
        tts DOUBLE PRECISION,
        alert_id TEXT,
        error TEXT,
        PRIMARY KEY (scope, event_key)
    )""",
    """CREATE TABLE IF NOT EXISTS chipstress_watch_alerts (
        alert_id TEXT PRIMARY KEY,
        scope TEXT NOT NULL,
        event_key TEXT NOT NULL,
        created_at TEXT NOT NULL,
        hazard TEXT NOT NULL,
        title TEXT NOT NULL,
        loss DOUBLE PRECISION,
        tts DOUBLE PRECISION,
        run_id TEXT,
        body TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS chipstress_watch_deliveries (
        alert_id TEXT NOT NULL,
        sink TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts BIGINT NOT NULL,
        message TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (alert_id, sink)
    )""",
    """CREATE TABLE IF NOT EXISTS chipstress_watch_items (
        scope TEXT NOT NULL,
        item TEXT NOT NULL,
        event_key TEXT NOT NULL,
        PRIMARY KEY (scope, item)
    )""",
]


@dataclass(frozen=True)
class SeenEvent:
    """An event costed by a pass: its key, hazard, loss, time-to-survive and alert."""

    key: str
    hazard: str
    loss: float
    tts: float
    alert_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Delivery:
    """One alert owed to one sink: status (``pending``/``sent``/``failed``), attempts."""

    alert_id: str
    sink: str
    status: str
    attempts: int
    message: str | None


def item_digest(hazard: str, source: str, item_id: str, text: str) -> str:
    """A bounded, stable id of one reading: SHA-256 of its hazard, source, item id and
    sentence (32 hex digits). The sentence is part of it because one item (a page) may
    report several disruptions, each from its own sentence.

    Parameters
    ----------
    hazard
        The hazard of the event it was read into.
    source
        The feed URL, file or adapter the item came from.
    item_id
        The item's id in its source.
    text
        The evidence sentence.

    Returns
    -------
    str
        32 hex digits.
    """
    joined = "\x00".join((hazard, source, item_id, " ".join(text.split())))
    return hashlib.sha256(joined.encode()).hexdigest()[:32]


def _finite(value: float) -> float | None:
    """A number the SQL column keeps on both databases (infinite as NULL = forever)."""
    return float(value) if math.isfinite(value) else None


class WatchStore:
    """Seen events, alerts and deliveries of the watcher, in a :class:`ResultsStore`.

    Parameters
    ----------
    store
        The results store (DuckDB file or PostgreSQL URL); its tables are created on
        first use.

    Raises
    ------
    StoreError
        The database failed.
    """

    def __init__(self, store: ResultsStore) -> None:
        self.store = store
        self.backend = store.backend
        with self.backend.session():
            if not self._present():
                with self.backend.transaction():
                    self.backend.lock_schema()
                    for statement in _SCHEMA:
                        self.backend.execute(statement)

    def _present(self) -> bool:
        marks = ", ".join("?" for _ in WATCH_TABLES)
        rows = self.backend.query(
            "SELECT table_name FROM information_schema.tables "
            f"WHERE table_schema = current_schema() AND table_name IN ({marks})",
            list(WATCH_TABLES),
        )
        return set(WATCH_TABLES) <= set(rows["table_name"])

    # ------------------------------------------------------------------ seen events
    def seen(self, scope: str, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` were already costed for network ``scope``.

        Parameters
        ----------
        scope
            The network's name.
        keys
            Event keys.

        Returns
        -------
        set of str
            The keys already seen.
        """
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        with self.backend.session():
            for start in range(0, len(wanted), 500):
                part = wanted[start : start + 500]
                marks = ", ".join("?" for _ in part)
                rows = self.backend.query(
                    "SELECT event_key FROM chipstress_watch_seen "
                    f"WHERE scope = ? AND event_key IN ({marks})",
                    [scope, *part],
                )
                found.update(str(k) for k in rows["event_key"])
        return found

    def seen_items(self, scope: str, items: Iterable[str]) -> dict[str, str]:
        """Which items were already part of a seen event, and of which.

        Parameters
        ----------
        scope
            The network's name.
        items
            Item digests (:func:`item_digest`).

        Returns
        -------
        dict
            Item digest -> the key of the event it was seen in.
        """
        wanted = list(dict.fromkeys(items))
        found: dict[str, str] = {}
        with self.backend.session():
            for start in range(0, len(wanted), 500):
                part = wanted[start : start + 500]
                marks = ", ".join("?" for _ in part)
                rows = self.backend.query(
                    "SELECT item, event_key FROM chipstress_watch_items "
                    f"WHERE scope = ? AND item IN ({marks})",
                    [scope, *part],
                )
                found.update(
                    zip(rows["item"].astype(str), rows["event_key"].astype(str), strict=True)
                )
        return found

    def record(
        self,
        scope: str,
        seen: Sequence[SeenEvent],
        alerts: Sequence[dict[str, Any]],
        sinks: Sequence[str],
        items: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Store a pass in one transaction: events seen, alerts, pending deliveries.

        Parameters
        ----------
        scope
            The network's name.
        seen
            The events the pass costed.
        alerts
            The pass's alerts (``Alert.to_dict()`` mappings, with ``id``, ``key``,
            ``created_at``, ``hazard``, ``title``, ``loss``, ``tts``, ``run_id``).
        sinks
            The names of the sinks each alert is owed to.
        items
            ``(item digest, event key)`` of every item the seen events hold.

        Raises
        ------
        StoreError
            The database failed (nothing of the pass is stored).
        """
        now = utc_now()
        with self.backend.transaction():
            for event in seen:
                self.backend.execute(
                    "INSERT INTO chipstress_watch_seen (scope, event_key, hazard, first_seen, "
                    "loss, tts, alert_id, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    [
                        scope,
                        event.key,
                        event.hazard,
                        now,
                        _finite(event.loss),
                        _finite(event.tts),
                        event.alert_id,
                        event.error,
                    ],
                )
            for item, key in items:
                self.backend.execute(
                    "INSERT INTO chipstress_watch_items (scope, item, event_key) "
                    "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    [scope, item, key],
                )
            for alert in alerts:
                tts = alert["tts"]
                self.backend.execute(
                    "INSERT INTO chipstress_watch_alerts (alert_id, scope, event_key, "
                    "created_at, hazard, title, loss, tts, run_id, body) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [
                        alert["id"],
                        scope,
                        alert["key"],
                        alert["created_at"],
                        alert["hazard"],
                        alert["title"],
                        float(alert["loss"]),
                        None if isinstance(tts, str) else _finite(float(tts)),
                        alert.get("run_id"),
                        json.dumps(alert, ensure_ascii=False, default=str),
                    ],
                )
                for sink in sinks:
                    self.backend.execute(
                        "INSERT INTO chipstress_watch_deliveries (alert_id, sink, status, "
                        "attempts, message, updated_at) VALUES (?, ?, 'pending', 0, NULL, ?) "
                        "ON CONFLICT DO NOTHING",
                        [alert["id"], sink, now],
                    )

    # ------------------------------------------------------------------ deliveries
    def owed(self, scope: str, sinks: Sequence[str]) -> list[Delivery]:
        """Deliveries still owed (``pending`` or ``failed``) to ``sinks`` for ``scope``.

        Parameters
        ----------
        scope
            The network's name.
        sinks
            The names of the sinks configured now (others are left as they are).

        Returns
        -------
        list of Delivery
            Oldest alert first.
        """
        if not sinks:
            return []
        marks = ", ".join("?" for _ in sinks)
        rows = self.backend.query(
            "SELECT d.alert_id, d.sink, d.status, d.attempts, d.message "
            "FROM chipstress_watch_deliveries d JOIN chipstress_watch_alerts a "
            "ON a.alert_id = d.alert_id WHERE a.scope = ? AND d.status <> 'sent' "
            f"AND d.sink IN ({marks}) ORDER BY a.created_at, d.alert_id, d.sink",
            [scope, *sinks],
        )
        return _deliveries(rows)

    def mark(self, alert_id: str, sink: str, sent: bool, message: str | None = None) -> None:
        """Note the outcome of one delivery try (``sent`` or ``failed`` with its reason).

        Parameters
        ----------
        alert_id
            The alert.
        sink
            The sink's name.
        sent
            Whether the sink took it.
        message
            Why it failed (one line).
        """
        with self.backend.transaction():
            self.backend.execute(
                "UPDATE chipstress_watch_deliveries SET status = ?, attempts = attempts + 1, "
                "message = ?, updated_at = ? WHERE alert_id = ? AND sink = ?",
                ["sent" if sent else "failed", message, utc_now(), alert_id, sink],
            )

    def deliveries(self, alert_id: str) -> list[Delivery]:
        """Every delivery of one alert (any status), by sink name."""
        rows = self.backend.query(
            "SELECT alert_id, sink, status, attempts, message FROM chipstress_watch_deliveries "
            "WHERE alert_id = ? ORDER BY sink",
            [alert_id],
        )
        return _deliveries(rows)

    # ------------------------------------------------------------------ reading alerts
    def alerts(
        self, scope: str | None = None, limit: int = 100, offset: int = 0
    ) -> tuple[int, list[dict[str, Any]]]:
        """Stored alerts, newest first.

        Parameters
        ----------
        scope
            Only this network's (``None``: all).
        limit, offset
            The page.

        Returns
        -------
        tuple of (int, list of dict)
            How many there are in all, and the page's alerts (``Alert.to_dict()``
            mappings plus ``deliveries``).
        """
        where, params = ("WHERE scope = ?", [scope]) if scope is not None else ("", [])
        with self.backend.session():
            total = self.backend.query(
                f"SELECT COUNT(*) AS n FROM chipstress_watch_alerts {where}", params
            )
            rows = self.backend.query(
                f"SELECT alert_id, body FROM chipstress_watch_alerts {where} "
                "ORDER BY created_at DESC, alert_id LIMIT ? OFFSET ?",
                [*params, int(limit), int(offset)],
            )
            out = [self._with_deliveries(str(r.alert_id), str(r.body)) for r in rows.itertuples()]
        return int(total["n"].iloc[0]), out

    def alert(self, alert_id: str) -> dict[str, Any] | None:
        """One stored alert with its deliveries, or ``None`` when there is none by that id."""
        with self.backend.session():
            rows = self.backend.query(
                "SELECT body FROM chipstress_watch_alerts WHERE alert_id = ?", [alert_id]
            )
            if not len(rows):
                return None
            return self._with_deliveries(alert_id, str(rows["body"].iloc[0]))

    def _with_deliveries(self, alert_id: str, body: str) -> dict[str, Any]:
        alert: dict[str, Any] = json.loads(body)
        alert["deliveries"] = [
            {"sink": d.sink, "status": d.status, "attempts": d.attempts, "message": d.message}
            for d in self.deliveries(alert_id)
        ]
        return alert


def _deliveries(rows: pd.DataFrame) -> list[Delivery]:
    return [
        Delivery(
            str(r["alert_id"]),
            str(r["sink"]),
            str(r["status"]),
            int(r["attempts"]),
            _text(r["message"]),
        )
        for r in rows.to_dict("records")
    ]


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)

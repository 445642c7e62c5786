"""The watcher: read the sources, cost what is new, alert, deliver; again every interval.

One pass (:meth:`Watcher.poll`):

1. reads every source with the intake (feed URLs only when online; folders always), a
   failing source becoming a one-line error while the others are read;
2. keeps the events whose key the results store has not seen for this network;
3. costs them on the network (:func:`chipstress.workflows.watch.costing.cost_events`);
4. raises an alert for each that hits a site above the threshold, stores its scenario
   run (the alert links to it) and records the pass — events seen, alerts, deliveries
   owed — in one transaction (:class:`chipstress.store.watch.WatchStore`);
5. delivers every alert still owed to a configured sink, this pass's and any an earlier
   (interrupted or failed) pass left, marking each as it is taken.

:meth:`Watcher.run` repeats passes every ``interval`` seconds (measured from the start
of one pass to the start of the next), so a new feed entry is alerted within one
interval plus the time of a pass. An error in a pass (a database that is down, a sink
that fails) is reported in one line and the watcher keeps going (docs/watch.md,
"Watching and alerts").
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chipstress.workflows.watch.alerts import (
    Alert,
    AlertSink,
    SinkError,
    Threshold,
    make_alert,
)
from chipstress.workflows.watch.costing import CostedEvent, cost_events, hazard_name
from chipstress.workflows.watch.sightings import Evidence, Intake, SourceError, WatchEvent

if TYPE_CHECKING:
    from chipstress.model.network import Network
    from chipstress.store.results import ResultsStore
    from chipstress.store.watch import WatchStore
    from chipstress.workflows.hazards import HazardParameters

__all__ = ["PassReport", "Reader", "Watcher", "is_url", "read_sources"]

log = logging.getLogger("chipstress.watch")

Reader = Callable[..., Intake]


def is_url(source: str | Path) -> bool:
    """Whether a source is a feed URL (``http://`` or ``https://``) rather than a path."""
    text = str(source).strip().lower()
    return text.startswith(("http://", "https://"))


def read_sources(
    sources: Sequence[str | Path],
    network: Network,
    fetch: Callable[[str], bytes] | None = None,
) -> Intake:
    """The intake's reading of ``sources`` (:func:`chipstress.workflows.watch.intake.intake`).

    Parameters
    ----------
    sources
        Files, folders and feed URLs.
    network
        The network whose gazetteer places the events.
    fetch
        Reads a URL's bytes (default: the intake's HTTP client).

    Returns
    -------
    Intake
        The deduplicated events and the sources that failed.
    """
    from chipstress.workflows.watch.intake import intake

    return intake(sources, network, fetch=fetch)


@dataclass
class PassReport:
    """What one pass did.

    Attributes
    ----------
    started_at
        When it began (UTC, ISO 8601).
    seconds
        How long it took (seconds).
    items_read, events, new_events
        Items the intake read, events it made, and those not seen before.
    repeats
        Events under a new key that hold an item already seen (the same disruption,
        not alerted again).
    costed
        The new events, costed and ranked by loss.
    alerts
        Alerts this pass raised.
    delivered
        Deliveries made this pass (this pass's alerts and owed ones).
    failures
        One line per delivery, storing or reading problem.
    source_errors
        Sources that could not be read.
    """

    started_at: str
    seconds: float = 0.0
    items_read: int = 0
    events: int = 0
    new_events: int = 0
    repeats: int = 0
    costed: list[CostedEvent] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    delivered: int = 0
    failures: list[str] = field(default_factory=list)
    source_errors: list[SourceError] = field(default_factory=list)

    def summary(self) -> str:
        """One line: items, events, new, alerts, deliveries, errors, time."""
        return (
            f"{self.started_at}: {self.items_read} items, {self.events} events "
            f"({self.new_events} new), {len(self.alerts)} alert"
            f"{'s' if len(self.alerts) != 1 else ''}, {self.delivered} delivered, "
            f"{len(self.source_errors) + len(self.failures)} errors in {self.seconds:.2f} s"
        )

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-safe data (alerts in full, events by key and loss)."""
        return {
            "started_at": self.started_at,
            "seconds": self.seconds,
            "items_read": self.items_read,
            "events": self.events,
            "new_events": self.new_events,
            "repeats": self.repeats,
            "costed": [
                {
                    "key": c.key,
                    "hazard": c.hazard,
                    "title": c.title,
                    "loss": c.loss,
                    "sites_hit": len(c.sites),
                    "error": c.error,
                }
                for c in self.costed
            ],
            "alerts": [a.to_dict() for a in self.alerts],
            "delivered": self.delivered,
            "failures": list(self.failures),
            "source_errors": [
                {"source": e.source, "message": e.message} for e in self.source_errors
            ],
        }


# Columns that hold ids: an empty table may come with them typed as numbers, which
# would create the store's column as a number and refuse a later run's ids.
_ID_COLUMNS = frozenset({"node", "product", "site", "name", "kind", "cluster", "event", "hazard"})


def _typed_tables(tables: dict[str, Any]) -> dict[str, Any]:
    """The run's tables with the id columns of empty tables as text."""
    out = {}
    for name, frame in tables.items():
        if len(frame) == 0:
            frame = frame.astype({c: object for c in frame.columns if str(c) in _ID_COLUMNS})
        out[name] = frame
    return out


def _digest(event: WatchEvent, evidence: Evidence) -> str:
    from chipstress.store.watch import item_digest

    return item_digest(hazard_name(event.event), evidence.source, evidence.item_id, evidence.text)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__


class Watcher:
    """Polls sources, costs new events on a network and sends alerts.

    Parameters
    ----------
    sources
        Files, folders and feed URLs (``http(s)://``).
    network
        The network watched; its name is the scope its seen events and alerts are kept
        under.
    store
        The results store (seen events, alerts, deliveries, and the events' scenario
        runs).
    sinks
        Where alerts go besides the store (file, webhook, e-mail).
    threshold
        When a costed event alerts.
    fetch
        Reads a feed URL's bytes (default: the intake's HTTP client).
    offline
        Skip feed URLs (read only files and folders).
    read
        The intake (default :func:`read_sources`); called as
        ``read(sources, network, fetch=fetch)``.
    params
        Hazard data (default: the package's).
    save_runs
        Store each alerted event's scenario run (the alert links to it).
    """

    def __init__(
        self,
        sources: Sequence[str | Path],
        network: Network,
        store: ResultsStore,
        *,
        sinks: Sequence[AlertSink] = (),
        threshold: Threshold | None = None,
        fetch: Callable[[str], bytes] | None = None,
        offline: bool = False,
        read: Reader | None = None,
        params: HazardParameters | None = None,
        save_runs: bool = True,
    ) -> None:
        from chipstress.store.watch import WatchStore

        self.sources = [s for s in sources if not (offline and is_url(s))]
        self.network = network
        self.scope = str(network.meta.name)
        self.store = store
        self.watch_store: WatchStore = WatchStore(store)
        self.sinks = list(sinks)
        names = [s.name for s in self.sinks]
        if len(set(names)) != len(names):
            raise ValueError(f"two alert sinks have the same name: {', '.join(names)}")
        self.threshold = threshold or Threshold()
        self.fetch = fetch
        self.read: Reader = read or read_sources
        self.params = params
        self.save_runs = save_runs

    # ------------------------------------------------------------------ one pass
    def poll(self) -> PassReport:
        """Run one pass: read, keep the new events, cost, alert, record, deliver.

        Returns
        -------
        PassReport
            What the pass did; sink failures are in ``failures`` (they stay owed and
            are tried again next pass).

        Raises
        ------
        StoreError
            The results store failed while recording the pass (nothing of it is kept;
            the next pass does it again).
        """
        from chipstress.store.rows import utc_now

        begun = time.perf_counter()
        report = PassReport(utc_now())
        read = self._read(report)
        report.items_read = read.items_read
        report.events = len(read.events)
        report.source_errors = list(read.errors)
        new, repeats = self._new_events(read.events)
        report.new_events = len(new)
        report.repeats = len(repeats)
        report.costed = cost_events(new, self.network, self.params) if new else []
        report.alerts = self._alerts(report)
        self._record(report, repeats)
        self._deliver(report)
        report.seconds = time.perf_counter() - begun
        return report

    def _new_events(
        self, events: Sequence[WatchEvent]
    ) -> tuple[list[WatchEvent], list[WatchEvent]]:
        """The events not seen before, and those seen under another key (an item in common)."""
        seen = self.watch_store.seen(self.scope, (e.key for e in events))
        fresh = list({e.key: e for e in events if e.key not in seen}.values())
        digests = [_digest(e, ev) for e in fresh for ev in e.evidence]
        known = self.watch_store.seen_items(self.scope, digests) if digests else {}
        new: list[WatchEvent] = []
        repeats: list[WatchEvent] = []
        for event in fresh:
            held = (_digest(event, ev) for ev in event.evidence)
            (repeats if any(d in known for d in held) else new).append(event)
        return new, repeats

    def _read(self, report: PassReport) -> Intake:
        try:
            return self.read(self.sources, self.network, fetch=self.fetch)
        except Exception as error:  # the intake keeps per-source errors; this is a last guard
            log.exception("the intake failed")
            return Intake(errors=[SourceError("intake", _one_line(error))])

    def _alerts(self, report: PassReport) -> list[Alert]:
        from chipstress.errors import ChipstressError
        from chipstress.store.rows import utc_now

        alerts = []
        for rank, costed in enumerate(report.costed, start=1):
            if not self.threshold.passes(costed):
                continue
            run_id = None
            if self.save_runs and costed.result is not None:
                try:
                    result = costed.result
                    run_id = self.store.save(
                        result.kind,
                        self.network,
                        result.parameters,
                        _typed_tables(result.tables()),
                        result.summary(),
                    )
                except ChipstressError as error:
                    report.failures.append(f"storing the run of {costed.key}: {_one_line(error)}")
            alerts.append(make_alert(self.scope, costed, run_id, utc_now(), rank))
        return alerts

    def _record(self, report: PassReport, repeats: Sequence[WatchEvent]) -> None:
        from chipstress.store.watch import SeenEvent

        alerted = {a.key: a.alert_id for a in report.alerts}
        seen = [
            SeenEvent(c.key, c.hazard, c.loss, c.tts, alerted.get(c.key), c.error)
            for c in report.costed
        ]
        seen += [
            SeenEvent(
                e.key, hazard_name(e.event), math.nan, math.inf, None, "seen under another key"
            )
            for e in repeats
        ]
        events = [c.watch for c in report.costed] + list(repeats)
        items = [(_digest(e, ev), e.key) for e in events for ev in e.evidence]
        self.watch_store.record(
            self.scope,
            seen,
            [a.to_dict() for a in report.alerts],
            [s.name for s in self.sinks],
            items,
        )

    def _deliver(self, report: PassReport) -> None:
        by_name = {s.name: s for s in self.sinks}
        cache: dict[str, Alert | None] = {a.alert_id: a for a in report.alerts}
        for owed in self.watch_store.owed(self.scope, list(by_name)):
            if owed.alert_id not in cache:
                stored = self.watch_store.alert(owed.alert_id)
                cache[owed.alert_id] = Alert.from_dict(stored) if stored else None
            alert = cache[owed.alert_id]
            if alert is None:
                continue
            try:
                by_name[owed.sink].send(alert)
            except SinkError as error:
                report.failures.append(_one_line(error))
                self.watch_store.mark(owed.alert_id, owed.sink, False, _one_line(error))
                continue
            self.watch_store.mark(owed.alert_id, owed.sink, True)
            report.delivered += 1

    # ------------------------------------------------------------------ the loop
    def run(
        self,
        interval: float,
        *,
        passes: int | None = None,
        stop: threading.Event | None = None,
        on_pass: Callable[[PassReport], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> int:
        """Poll every ``interval`` seconds until stopped.

        Parameters
        ----------
        interval
            Seconds from the start of one pass to the start of the next (> 0).
        passes
            Stop after this many passes (``None``: until ``stop`` is set).
        stop
            Set it to stop the loop (checked while waiting).
        on_pass
            Called with each pass's report.
        on_error
            Called with a one-line message when a pass fails as a whole (the loop goes
            on).

        Returns
        -------
        int
            The number of passes run.

        Raises
        ------
        ValueError
            ``interval`` is not a positive number.
        """
        if not interval > 0:
            raise ValueError(f"the polling interval must be > 0 seconds, not {interval}")
        stop = stop or threading.Event()
        done = 0
        while not stop.is_set():
            begun = time.monotonic()
            try:
                report = self.poll()
            except Exception as error:  # a pass that fails must not end the watch
                log.warning("watch pass failed: %s", _one_line(error))
                if on_error is not None:
                    on_error(f"pass failed: {_one_line(error)}")
            else:
                if on_pass is not None:
                    on_pass(report)
            done += 1
            if passes is not None and done >= passes:
                break
            stop.wait(max(0.0, interval - (time.monotonic() - begun)))
        return done

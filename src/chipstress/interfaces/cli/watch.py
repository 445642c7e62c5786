"""Watch commands: ``news`` (read sources once, cost and rank the events) and ``watch``
(poll sources, alert when a site is hit). See docs/watch.md, "Watching and alerts".

Heavy modules (pandas, the engine, the store) are imported inside the commands.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from chipstress.interfaces.cli._common import console, error_console, fail_on_bad_input

if TYPE_CHECKING:
    from chipstress.model import Network
    from chipstress.workflows.watch.alerts import AlertSink
    from chipstress.workflows.watch.costing import CostedEvent
    from chipstress.workflows.watch.watcher import PassReport

__all__ = ["news_command", "watch_command"]

SourcesArg = Annotated[
    list[str],
    typer.Argument(
        help="Sources then the network: files, folders (every file inside) and feed URLs "
        "(http:// or https://); the last argument is the network (folder, file or "
        "built-in name such as tri-cluster).",
        show_default=False,
        metavar="SOURCES... NETWORK",
    ),
]
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Results database: a DuckDB file or a postgresql:// URL "
        "(default: $CHIPSTRESS_DB or results.duckdb in your data directory).",
    ),
]


def _split(arguments: list[str]) -> tuple[list[str], str]:
    """``SOURCES... NETWORK``: the sources and the network (the last argument)."""
    if len(arguments) < 2:
        raise typer.BadParameter(
            "give at least one source and then the network, e.g. `news feeds/ tri-cluster`",
            param_hint="SOURCES... NETWORK",
        )
    return arguments[:-1], arguments[-1]


def _money(value: float) -> str:
    return f"{value:,.0f}"


def _periods(value: float, period: str) -> str:
    return "forever" if math.isinf(value) else f"{value:,.2f} {period}s"


def _print_ranking(costed: list[CostedEvent], network: Network, top: int) -> None:
    from rich.markup import escape
    from rich.table import Table

    currency, period = network.meta.currency, network.meta.period
    table = Table(title=f"Events ranked by loss ({len(costed)})")
    for column, justify in (
        ("#", "right"),
        ("hazard", "left"),
        ("places", "left"),
        ("sites hit", "right"),
        (f"loss ({currency})", "right"),
        (f"TTS ({period}s)", "right"),
        ("evidence", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for rank, item in enumerate(costed[:top], start=1):
        first = item.watch.evidence[0].text if item.watch.evidence else ""
        first = " ".join(first.split())
        table.add_row(
            str(rank),
            item.hazard,
            escape(", ".join(list(dict.fromkeys(item.watch.places))[:3])),
            str(len(item.sites)),
            _money(item.loss) if item.error is None else "error",
            "forever" if math.isinf(item.tts) else f"{item.tts:,.2f}",
            escape(first[:120] + ("…" if len(first) > 120 else "")),
        )
    console.print(table)
    if len(costed) > top:
        console.print(f"… and {len(costed) - top} more (--top, or --out for all)")
    for item in costed:
        if item.error is not None:
            error_console.print(f"warning: event {item.key} not costed: {item.error}", markup=False)


def _write_news(
    path: Path, costed: list[CostedEvent], network: Network, extra: dict[str, Any]
) -> None:
    from chipstress.errors import InvalidInput
    from chipstress.model.io.files import atomic_file
    from chipstress.workflows.watch.costing import event_record, ranking_table

    suffix = path.suffix.lower()
    if suffix == ".csv":
        with atomic_file(path) as handle:
            ranking_table(costed, network).to_csv(handle, index=False)
    elif suffix == ".json":
        body = {
            "network": network.meta.name,
            **extra,
            "events": [event_record(c, rank) for rank, c in enumerate(costed, start=1)],
        }
        with atomic_file(path) as handle:
            json.dump(body, handle, ensure_ascii=False, indent=1, default=str)
    else:
        raise InvalidInput(f"{path}: write the ranked events to a .csv or .json file")


def news_command(
    arguments: SourcesArg,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write every ranked event to this .csv or .json file."),
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Events to print.")] = 20,
    offline: Annotated[
        bool, typer.Option("--offline", help="Skip feed URLs; read only files and folders.")
    ] = False,
) -> None:
    """Read news and feeds once, cost every event on the network, and rank them by loss.

    SOURCES... NETWORK: files, folders and feed URLs, then the network.
    """
    sources, network_name = _split(arguments)
    if out is not None and out.suffix.lower() not in (".csv", ".json"):
        raise typer.BadParameter("the output file must end in .csv or .json", param_hint="--out")
    from chipstress.interfaces.cli._common import load_network, step
    from chipstress.workflows.watch.costing import cost_events
    from chipstress.workflows.watch.watcher import is_url, read_sources

    with fail_on_bad_input():
        network = load_network(network_name)
        kept = [s for s in sources if not (offline and is_url(s))]
        read = step("Reading sources", lambda: read_sources(kept, network))
        for failure in read.errors:
            error_console.print(f"error: {failure.source}: {failure.message}", markup=False)
        costed = step(
            f"Costing {len(read.events)} events", lambda: cost_events(read.events, network)
        )
        console.print(
            f"{read.items_read} items read, {read.items_rejected} not disruptions, "
            f"{len(read.events)} events, {len(read.errors)} sources failed"
        )
        _print_ranking(costed, network, top)
        if out is not None:
            extra = {
                "items_read": read.items_read,
                "items_rejected": read.items_rejected,
                "errors": [{"source": e.source, "message": e.message} for e in read.errors],
            }
            _write_news(out, costed, network, extra)
            console.print(f"wrote {out}")
        if read.errors and not read.items_read and len(read.errors) == len(kept):
            raise typer.Exit(1)


def _sinks(
    jsonl: Path | None,
    webhooks: list[str],
    smtp: dict[str, Any],
) -> list[AlertSink]:
    from chipstress.workflows.watch.alerts import EmailSink, FileSink, WebhookSink

    sinks: list[AlertSink] = []
    if jsonl is not None:
        sinks.append(FileSink(jsonl))
    sinks += [WebhookSink(url) for url in webhooks]
    if smtp["host"] or smtp["to"] or smtp["sender"]:
        missing = [name for name in ("host", "sender", "to") if not smtp[name]]
        if missing:
            options = ", ".join(f"--smtp-{'from' if m == 'sender' else m}" for m in missing)
            raise typer.BadParameter(f"e-mail alerts also need {options}", param_hint="--smtp-*")
        sinks.append(
            EmailSink(
                smtp["host"],
                smtp["port"],
                smtp["sender"],
                smtp["to"],
                starttls=smtp["starttls"],
                username=smtp["user"],
                password=os.environ.get("CHIPSTRESS_SMTP_PASSWORD"),
            )
        )
    return sinks


def _stop_on_sigterm() -> threading.Event:
    """An event set by SIGTERM (a service manager stopping the watcher ends it between
    passes, like Ctrl-C)."""
    stop = threading.Event()
    with contextlib.suppress(ValueError):  # not the main thread: no handler
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    return stop


def _print_pass(report: PassReport) -> None:
    for failure in report.source_errors:
        error_console.print(f"error: {failure.source}: {failure.message}", markup=False)
    for message in report.failures:
        error_console.print(f"error: {message}", markup=False)
    for alert in report.alerts:
        tts = _periods(alert.tts, alert.period)
        run = f"; run {alert.run_id}" if alert.run_id else ""
        console.print(
            f"ALERT {alert.alert_id}: {alert.title}; loss {_money(alert.loss)} {alert.currency}; "
            f"time to survive {tts}{run}",
            markup=False,
        )
    console.print(report.summary(), markup=False)


def watch_command(
    arguments: SourcesArg,
    interval: Annotated[
        float,
        typer.Option("--interval", min=0.1, help="Seconds between the starts of two passes."),
    ] = 300.0,
    once: Annotated[bool, typer.Option("--once", help="Run one pass and exit.")] = False,
    min_loss: Annotated[
        float | None,
        typer.Option("--min-loss", min=0, help="Alert when the loss is at least this (currency)."),
    ] = None,
    max_tts: Annotated[
        float | None,
        typer.Option(
            "--max-tts", min=0, help="Alert when the time-to-survive is at most this (periods)."
        ),
    ] = None,
    jsonl: Annotated[
        Path | None, typer.Option("--jsonl", help="Append alerts to this JSONL file.")
    ] = None,
    webhook: Annotated[
        list[str] | None,
        typer.Option("--webhook", help="POST alerts as JSON to this URL (repeatable)."),
    ] = None,
    smtp_host: Annotated[
        str | None, typer.Option("--smtp-host", help="SMTP server for e-mail alerts.")
    ] = None,
    smtp_port: Annotated[int, typer.Option("--smtp-port", min=1, max=65535)] = 25,
    smtp_from: Annotated[str | None, typer.Option("--smtp-from", help="From address.")] = None,
    smtp_to: Annotated[
        list[str] | None, typer.Option("--smtp-to", help="Recipient (repeatable).")
    ] = None,
    smtp_starttls: Annotated[
        bool, typer.Option("--smtp-starttls", help="Use STARTTLS before sending.")
    ] = False,
    smtp_user: Annotated[
        str | None,
        typer.Option("--smtp-user", help="SMTP login (password from $CHIPSTRESS_SMTP_PASSWORD)."),
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Skip feed URLs; read only files and folders.")
    ] = False,
    passes: Annotated[
        int | None, typer.Option("--passes", min=1, hidden=True, help="Stop after N passes.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Poll sources every --interval seconds; alert when a new event hits a site of the network.

    SOURCES... NETWORK: folders and files (read every pass) and feed URLs (unless
    --offline), then the network. Events already seen and alerts already sent are kept
    in the results database, so a restart neither repeats nor misses an alert. Alerts
    go to the database (the dashboard's Alerts panel) and to --jsonl, --webhook and
    e-mail (--smtp-*). Stop with Ctrl-C.
    """
    sources, network_name = _split(arguments)
    smtp = {
        "host": smtp_host,
        "port": smtp_port,
        "sender": smtp_from,
        "to": list(smtp_to or []),
        "starttls": smtp_starttls,
        "user": smtp_user,
    }
    from chipstress.interfaces.cli._common import load_network
    from chipstress.store import ResultsStore
    from chipstress.workflows.watch.alerts import Threshold
    from chipstress.workflows.watch.watcher import Watcher

    with fail_on_bad_input():
        sinks = _sinks(jsonl, list(webhook or []), smtp)
        threshold = Threshold(min_loss, max_tts)
        network = load_network(network_name)
        with ResultsStore(db) as store:
            watcher = Watcher(
                sources, network, store, sinks=sinks, threshold=threshold, offline=offline
            )
            names = ", ".join(["store", *(s.name for s in sinks)])
            error_console.print(
                f"watching {len(watcher.sources)} sources for {network.meta.name} "
                f"every {interval:g} s; alerts to {names}",
                markup=False,
            )
            stop = _stop_on_sigterm()
            try:
                watcher.run(
                    interval,
                    passes=1 if once else passes,
                    stop=stop,
                    on_pass=_print_pass,
                    on_error=lambda message: error_console.print(f"error: {message}", markup=False),
                )
            except KeyboardInterrupt:
                error_console.print("stopped")

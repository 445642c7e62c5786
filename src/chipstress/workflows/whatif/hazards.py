"""Hazard simulations of two networks with common random numbers.

The events are drawn **once**, on the network before the edits, exactly as
:func:`chipstress.workflows.hazards.simulate` draws them (same chunks of years, same
seeds, same order), and each event is then evaluated on both networks. On the edited
network an event hits the same sites, mapped by node id:

* a removed site is no longer hit;
* a site's qualified lines are hit with it (same capacity loss, same recovery);
* a site whose TTR was cut recovers faster in the same proportion: its outage lasts
  ``periods × ttr_after / ttr_before`` (an assumption: the cut scales every recovery of
  that site, e.g. engineers dispatched from another cluster's talent pool);
* a reactively qualified line is out for the first ``lead_time`` periods of every event
  (at most until the event's last hit is back), on top of any outage of its own site;
* an export control blocks the same kind of edges (material, supplier country,
  destination) in the edited network, and the lines of a named supplier with it.

With no edits both evaluations are the same computation, so the numbers are identical
to ``simulate`` bit for bit, and any difference after edits is the edits' effect, not
sampling noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from chipstress.errors import ChipstressError
from chipstress.model.network import Network
from chipstress.workflows.hazards.events import Duration, ExportControl
from chipstress.workflows.hazards.losses import EventKey, RawHit, event_hits, event_key
from chipstress.workflows.hazards.montecarlo import SimulationWorker as _Worker
from chipstress.workflows.hazards.montecarlo import tail_risk as _tail
from chipstress.workflows.hazards.montecarlo import year_chunks
from chipstress.workflows.hazards.params import HazardParameters, default_parameters, period_days
from chipstress.workflows.hazards.profiles import load_curves
from chipstress.workflows.hazards.rates import Rates, load_rates
from chipstress.workflows.hazards.sampling import SampledEvent
from chipstress.workflows.hazards.translate import blocked_edges
from chipstress.workflows.runner import Runner, run_chunks
from chipstress.workflows.whatif.apply import site_links

__all__ = ["EventMapper", "PairedSimulation", "loss_figures", "simulate_pair"]


def loss_figures(year_loss: np.ndarray) -> dict[str, float]:
    """EAL, VaR and CVaR at 95 and 99 % of annual losses (as ``simulate`` defines them)."""
    out = {"expected_annual_loss": float(np.mean(year_loss))}
    for level in (0.95, 0.99):
        var, cvar = _tail(year_loss, 1.0 - level)
        out[f"var_{round(level * 100)}"] = var
        out[f"cvar_{round(level * 100)}"] = cvar
    return out


class EventMapper:
    """Turns an event drawn on ``before`` into the disruption it is on ``after``."""

    def __init__(self, before: Network, after: Network, rates: Rates) -> None:
        self.identity = before is after or before.equals(after)
        self.kinds = before.nodes["kind"].to_numpy(dtype=object)
        self.period_days = period_days(before)
        before_ids = before.nodes["id"].to_numpy(dtype=object)
        after_position = {str(n): i for i, n in enumerate(after.nodes["id"])}
        self.position = np.array([after_position.get(str(n), -1) for n in before_ids], np.int64)
        links = site_links(after)
        self.lines = {
            i: np.array([after_position[line] for line in links.linked.get(str(n), [])], np.int64)
            for i, n in enumerate(before_ids)
            if links.linked.get(str(n))
        }
        ttr_before = before.nodes["ttr"].to_numpy(dtype=float)
        after_ttr = after.nodes.set_index("id")["ttr"]
        ttr_after = after_ttr.reindex(before_ids).to_numpy(dtype=float)
        ok = np.isfinite(ttr_before) & np.isfinite(ttr_after) & (ttr_before > 0)
        self.factor = np.where(ok, ttr_after / np.where(ok, ttr_before, 1.0), 1.0)
        self.delayed = [(after_position[line], lead) for line, lead in links.delayed.items()]
        self.exports: dict[str, tuple[int, ...]] = {}
        for record in rates.sections.get("export_controls", []):
            control = ExportControl(
                Duration(1.0),
                material=record.get("material"),
                supplier=record.get("supplier"),
                country=record.get("country"),
                destination=record.get("destination"),
            )
            mask = blocked_edges(control, after)
            for line in links.linked.get(str(record.get("supplier")), []):
                mask |= blocked_edges(replace(control, supplier=line), after)
            self.exports[str(record.get("id", "export control"))] = tuple(
                int(r) for r in np.flatnonzero(mask)
            )

    def key(self, event: SampledEvent) -> EventKey | None:
        """The signature of ``event`` on the edited network (``None``: no damage).

        Parameters
        ----------
        event
            An event drawn on the network before the edits.

        Returns
        -------
        EventKey or None
            Its hits mapped by node id (each with its recovery curve, the time scaled by
            the site's TTR cut), its qualified lines hit with it, reactive lines out for
            their lead time, and the export control's edges on the edited network.
        """
        hits = event_hits(event, self.kinds)
        if self.identity:
            return event_key(hits, self.period_days, event.blocked, event.export_periods)
        mapped: list[RawHit] = []
        for position, curve, fraction, periods in hits:
            after = int(self.position[position])
            if after < 0:
                continue
            scaled = periods * float(self.factor[position])
            mapped.append((after, curve, fraction, scaled))
            for line in self.lines.get(position, ()):
                mapped.append((int(line), curve, fraction, scaled))
        blocked = self.exports.get(event.source, ()) if event.blocked else ()
        end = max([hit[3] for hit in mapped] + [event.export_periods])
        if end <= 0 or (not mapped and not blocked):
            return None
        flat = load_curves()[0]["flat"]
        for line, lead in self.delayed:
            mapped.append((int(line), flat, 1.0, min(float(lead), end)))
        return event_key(mapped, self.period_days, blocked, event.export_periods)


@dataclass(frozen=True)
class PairedSimulation:
    """Annual hazard losses of a network before and after edits, on the same events.

    ``years``: ``year, events, damaging_events, loss_before, loss_after, delta``;
    ``events``: every damaging event with its loss before and after (currency);
    ``before``/``after``: expected annual loss, VaR and CVaR at 95 and 99 % (currency per
    year, defined as in :class:`chipstress.workflows.hazards.SimulationResult`).
    """

    years: pd.DataFrame = field(repr=False)
    events: pd.DataFrame = field(repr=False)
    before: dict[str, float]
    after: dict[str, float]
    seed: int
    n_years: int

    def delta(self, key: str) -> float:
        """After − before of one figure (e.g. ``expected_annual_loss``)."""
        return self.after[key] - self.before[key]


class _PairWorker:
    def __init__(
        self, before: Network, after: Network, rates: Rates, params: HazardParameters
    ) -> None:
        self.base = _Worker(before, rates, params)
        self.same = before is after or before.equals(after)
        self.edited = self.base if self.same else _Worker(after, rates, params)
        self.mapper = EventMapper(before, after, rates)


def _pair_setup(
    before: Network, after: Network, rates: Rates, params: HazardParameters
) -> _PairWorker:
    return _PairWorker(before, after, rates, params)


def _pair_chunk(
    worker: _PairWorker, job: tuple[int, int, np.random.SeedSequence]
) -> dict[str, Any]:
    first_year, n_years, seed = job
    events, drawn = worker.base.sampler.sample(np.random.default_rng(seed), n_years)
    before = np.zeros(n_years)
    after = np.zeros(n_years)
    damaging = np.zeros(n_years, dtype=np.int64)
    rows: list[tuple[Any, ...]] = []
    keys = [worker.base.key(event) for event in events]
    worker.base.losses.prefetch(keys)
    mapped_keys = keys if worker.same else [worker.mapper.key(event) for event in events]
    worker.edited.losses.prefetch(mapped_keys)
    for event, key, mapped in zip(events, keys, mapped_keys, strict=True):
        loss = worker.base.loss(key)
        loss_after = worker.edited.loss(mapped)
        if not (math.isfinite(loss) and math.isfinite(loss_after)):
            raise ChipstressError(
                f"an event ({event.label}) could not be solved; the network may be infeasible"
            )
        damaging[event.year] += 1
        before[event.year] += loss
        after[event.year] += loss_after
        if loss or loss_after:
            rows.append(
                (
                    first_year + event.year + 1,
                    event.hazard,
                    event.source,
                    event.label,
                    loss,
                    loss_after,
                )
            )
    return {"drawn": drawn, "damaging": damaging, "before": before, "after": after, "rows": rows}


def simulate_pair(
    before: Network,
    after: Network,
    years: int,
    seed: int,
    *,
    rates: Rates | None = None,
    params: HazardParameters | None = None,
    runner: Runner | None = None,
) -> PairedSimulation:
    """Simulate ``years`` of hazard events once and evaluate each on both networks.

    Parameters
    ----------
    before, after
        The network before and after the edits.
    years
        Number of simulated years (>= 1).
    seed
        Seed of the random numbers (the same draws as ``simulate`` with this seed).
    rates
        The hazard rates (default: the packaged ``rates.yaml``).
    params
        Hazard parameters (default :func:`chipstress.workflows.hazards.default_parameters`).
    runner
        Where the chunks run (default: in this process) and the ``progress(years_done,
        years)`` callback; a paired simulation is not recorded (no recorder).

    Returns
    -------
    PairedSimulation
        Annual losses before and after, on the same events (currency per year).

    Raises
    ------
    InvalidInput
        Bad years or seed, or a network whose period is not a unit of time.
    ChipstressError
        A chunk failed (an event could not be solved).
    """
    jobs = year_chunks(years, seed)
    n_chunks = len(jobs)
    params = params or default_parameters()
    rates = rates if isinstance(rates, Rates) else load_rates(rates)
    _Worker(before, rates, params)  # checks the period before any worker starts
    run = run_chunks(
        runner,
        _pair_setup,
        (before, after, rates, params),
        _pair_chunk,
        jobs,
        size=lambda job: job[1],
        parallel=n_chunks > 1,
    )
    if run.failures:
        raise ChipstressError(
            f"{len(run.failures)} of {len(jobs)} chunks of the simulation failed; the first: "
            f"{run.failures[0].error}"
        )
    results = run.completed()
    loss_before = np.concatenate([r["before"] for r in results])
    loss_after = np.concatenate([r["after"] for r in results])
    table = pd.DataFrame(
        {
            "year": np.arange(1, years + 1),
            "events": np.concatenate([r["drawn"] for r in results]),
            "damaging_events": np.concatenate([r["damaging"] for r in results]),
            "loss_before": loss_before,
            "loss_after": loss_after,
            "delta": loss_after - loss_before,
        }
    )
    events = pd.DataFrame(
        [row for r in results for row in r["rows"]],
        columns=["year", "hazard", "source", "description", "loss_before", "loss_after"],
    )
    events["delta"] = events["loss_after"] - events["loss_before"]
    return PairedSimulation(
        years=table,
        events=events,
        before=loss_figures(loss_before),
        after=loss_figures(loss_after),
        seed=int(seed),
        n_years=years,
    )

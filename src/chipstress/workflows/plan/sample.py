"""The simulated events the hazard planner optimises over: :class:`EventSample`.

Events are drawn once (chunks and seeds as ``simulate``) and kept when they cost
something; any set of candidate actions is then measured on the same events (see
:mod:`chipstress.workflows.plan.hazard`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chipstress.errors import InvalidInput
from chipstress.model.network import Network
from chipstress.workflows.hazards.montecarlo import SimulationWorker, tail_risk, year_chunks
from chipstress.workflows.hazards.params import default_parameters
from chipstress.workflows.hazards.rates import load_rates
from chipstress.workflows.hazards.sampling import SampledEvent
from chipstress.workflows.plan.actions import Action, combined_edits
from chipstress.workflows.plan.result import Measure
from chipstress.workflows.whatif.apply import apply_edits
from chipstress.workflows.whatif.hazards import EventMapper

__all__ = ["EventSample", "KeptEvent"]


@dataclass
class KeptEvent:
    """A simulated event that costs something (or may, on an edited network)."""

    year: int
    event: SampledEvent
    loss: float  # at baseline (currency)


class EventSample:
    """Simulated events drawn once, and the measure of any set of actions on them.

    Parameters
    ----------
    network
        The network as it is.
    actions
        The candidate actions.
    years, seed
        How many years to simulate, with which seed (chunks as ``simulate``).
    measure, level
        ``eal`` or ``cvar`` (of the annual loss at ``level``, e.g. 0.95).
    """

    def __init__(
        self,
        network: Network,
        actions: Sequence[Action],
        years: int,
        seed: int,
        measure: Measure | str,
        level: float = 0.95,
    ) -> None:
        chunks = year_chunks(years, seed)
        if measure not in (Measure.EAL, Measure.CVAR):
            raise InvalidInput(f"simulated events measure eal or cvar, not {measure!r}")
        if not (0.0 < float(level) < 1.0):
            raise InvalidInput(f"the CVaR level must be between 0 and 1, got {level!r}")
        self.network = network
        self.actions = list(actions)
        self.measure = Measure(measure)
        self.level = float(level)
        self.n_years = int(years)
        self.rates = load_rates(None)
        self.params = default_parameters()
        worker = SimulationWorker(network, self.rates, self.params)
        self.monotone = worker.losses.monotone
        self.year_loss = np.zeros(self.n_years)
        kept: list[KeptEvent] = []
        for first, count, chunk_seed in chunks:
            events, _ = worker.sampler.sample(np.random.default_rng(chunk_seed), count)
            keys = [worker.key(event) for event in events]
            worker.losses.prefetch(keys)
            for event, key in zip(events, keys, strict=True):
                loss = worker.loss(key)
                self.year_loss[first + event.year] += loss
                if loss > 0 or not self.monotone:
                    kept.append(KeptEvent(first + event.year, event, loss))
        self.kept = kept
        self.cache: dict[frozenset[int], float] = {}
        self.evaluations = 0
        self.baseline = self.value_of(self.year_loss)
        self.cache[frozenset()] = self.baseline
        everything = frozenset(range(len(self.actions)))
        every = self._losses(everything, self.kept)
        year_loss = self.year_loss.copy()
        for kept_event, loss in zip(self.kept, every, strict=True):
            year_loss[kept_event.year] += loss - kept_event.loss
        self.all_actions = self.value_of(year_loss)
        self.cache[everything] = self.all_actions
        self.improvable = self.kept
        if self.monotone:  # events no plan can improve are constants from now on
            self.improvable = [
                k
                for k, loss in zip(self.kept, every, strict=True)
                if loss < k.loss * (1 - 1e-9) - 1e-9
            ]

    def value_of(self, year_loss: np.ndarray) -> float:
        """The measure of annual losses: their mean, or the CVaR at ``level``."""
        if self.measure == Measure.EAL:
            return float(np.mean(year_loss))
        return tail_risk(year_loss, 1.0 - self.level)[1]

    def _losses(self, chosen: frozenset[int], events: list[KeptEvent]) -> list[float]:
        actions = [self.actions[k] for k in sorted(chosen)]
        edited = apply_edits(self.network, combined_edits(actions)) if actions else self.network
        mapper = EventMapper(self.network, edited, self.rates)
        worker = SimulationWorker(edited, self.rates, self.params)
        keys = [mapper.key(kept.event) for kept in events]
        worker.losses.prefetch(keys)
        return [float(worker.loss(key)) for key in keys]

    def evaluate(self, chosen: frozenset[int]) -> float:
        """The measure (currency per year) with the actions ``chosen`` applied."""
        if chosen in self.cache:
            return self.cache[chosen]
        events = self.improvable
        losses = self._losses(chosen, events)
        year_loss = self.year_loss.copy()
        for kept, loss in zip(events, losses, strict=True):
            year_loss[kept.year] += loss - kept.loss
        value = self.value_of(year_loss)
        self.cache[chosen] = value
        self.evaluations += 1
        return value

"""Event losses from the engine's :class:`~chipstress.engine.RegionalSolver`, memoised.

The loss of an event is the lost profit of the disrupted network over the event's
window minus the undisrupted network's lost profit over the same window — both from
the engine, never from a second formula. Export controls are solved on the network
without the blocked source edges (one solver per distinct set of blocked edges).

With ``quantise=True`` (the Monte-Carlo) every disruption is rounded before it is
solved and used as the memo key: the window to 0.1 period (at least 0.1) and each
node's capacity loss over the window to 1 % (of the capacity-periods it loses, so a
short outage in a stretched window keeps its size). Equal keys give equal numbers,
whichever worker or chunk meets them first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from chipstress.engine import RegionalSolver, StressModel, compile_network
from chipstress.model.network import Network

__all__ = ["DisruptionKey", "EventLosses", "quantise", "quantise_arrays"]

# (window in tenths of a period, ((node position, capacity loss in %), ...), blocked edges)
DisruptionKey = tuple[int, tuple[tuple[int, int], ...], tuple[int, ...]]

WINDOW_STEP = 0.1  # periods
LOSS_STEP = 0.01  # fraction of capacity


def quantise(
    lost: Mapping[int, float], window: float, blocked: tuple[int, ...] = ()
) -> DisruptionKey:
    """The memo key of a disruption: ``lost`` maps node position → capacity-periods lost.

    Parameters
    ----------
    lost
        Node position -> capacity-periods lost (fraction of capacity × periods).
    window
        The event's window in periods.
    blocked
        Source rows (edges) closed by export controls.

    Returns
    -------
    DisruptionKey
        Window in tenths of a period, ``(position, loss in %)`` pairs and blocked rows.
    """
    positions = np.fromiter(lost.keys(), dtype=np.int64, count=len(lost))
    values = np.fromiter(lost.values(), dtype=float, count=len(lost))
    return quantise_arrays(positions, values, window, blocked)


def quantise_arrays(
    positions: np.ndarray, lost: np.ndarray, window: float, blocked: tuple[int, ...] = ()
) -> DisruptionKey:
    """:func:`quantise` for arrays of distinct node positions and capacity-periods lost.

    Parameters
    ----------
    positions
        Distinct node positions.
    lost
        Capacity-periods lost per position (fraction of capacity × periods).
    window
        The event's window in periods.
    blocked
        Source rows (edges) closed by export controls.

    Returns
    -------
    DisruptionKey
        Window in tenths of a period, ``(position, loss in %)`` pairs and blocked rows.
    """
    tenths = max(1, round(window / WINDOW_STEP))
    span = tenths * WINDOW_STEP
    order = np.argsort(positions, kind="stable")
    percent = np.rint(np.minimum(1.0, lost[order] / span) / LOSS_STEP).astype(np.int64)
    keep = percent > 0
    entries = tuple(zip(positions[order][keep].tolist(), percent[keep].tolist(), strict=True))
    return tenths, entries, tuple(sorted(blocked))


class EventLosses:
    """Solves (and remembers) event losses of one network.

    Parameters
    ----------
    network
        The supply network.
    model
        Its compiled form, if already at hand.
    """

    def __init__(self, network: Network, model: StressModel | None = None) -> None:
        self.network = network
        self.model = model or compile_network(network)
        self.base = RegionalSolver(self.model)
        self._solvers: dict[tuple[int, ...], RegionalSolver] = {(): self.base}
        self.memo: dict[DisruptionKey, float] = {}
        self.solves = 0

    def solver(self, blocked: tuple[int, ...]) -> RegionalSolver:
        """A solver of the network without the source rows ``blocked`` (cached)."""
        if blocked not in self._solvers:
            mask = np.zeros(len(self.network.sources), dtype=bool)
            mask[list(blocked)] = True
            self._solvers[blocked] = RegionalSolver(
                compile_network(self.network.without_sources(mask))
            )
        return self._solvers[blocked]

    def solve(
        self, alpha: Mapping[int, float], window: float, blocked: tuple[int, ...] = ()
    ) -> float:
        """Loss (currency) of capacity losses ``alpha`` (position → fraction) over ``window``.

        Parameters
        ----------
        alpha
            Node position -> fraction (0..1) of capacity lost over the window.
        window
            The window in periods.
        blocked
            Source rows (edges) closed by export controls.

        Returns
        -------
        float
            Lost profit beyond the undisrupted network's over the window (currency); NaN if
            the program does not solve.
        """
        if window <= 0 or (not alpha and not blocked):
            return 0.0
        vector = np.zeros(self.model.n_nodes)
        for node, fraction in alpha.items():
            vector[node] = fraction
        result = self.solver(blocked).lost_profit(vector, window)
        self.solves += 1
        if result.status != "optimal":
            return float("nan")
        value = result.value - self.base.baseline_ttr(window).lost_profit
        scale = 1e-9 * (1.0 + abs(result.value))
        return 0.0 if abs(value) <= scale else float(value)

    def loss(self, key: DisruptionKey) -> float:
        """Loss of a quantised disruption (memoised)."""
        if key not in self.memo:
            tenths, entries, blocked = key
            alpha = {node: percent * LOSS_STEP for node, percent in entries}
            self.memo[key] = self.solve(alpha, tenths * WINDOW_STEP, blocked)
        return self.memo[key]

    def allocate(
        self,
        key: DisruptionKey,
        total: float,
        blocked_by: Mapping[int, tuple[int, ...]] | None = None,
        loss_of: Callable[[DisruptionKey], float] | None = None,
    ) -> dict[int, float]:
        """Split an event's loss over its nodes in proportion to their standalone losses.

        A node's standalone loss is the loss of its own part of the disruption alone (its
        capacity loss, and the source edges blocked at it as a supplier). When every
        standalone loss is zero (only the combination hurts) the loss is split equally.

        Parameters
        ----------
        key
            The event's quantised disruption (:func:`quantise`).
        total
            The event's loss to split (currency).
        blocked_by
            Supplier position -> the source rows blocked at it.
        loss_of
            The loss of a disruption key (default: this object's memoised loss).

        Returns
        -------
        dict of int to float
            Node position -> its share of ``total`` (currency).
        """
        tenths, entries, _ = key
        parts: dict[int, DisruptionKey] = {
            node: (tenths, ((node, percent),), ()) for node, percent in entries
        }
        for supplier, edges in (blocked_by or {}).items():
            own = next((e for e in entries if e[0] == supplier), None)
            parts[supplier] = (tenths, (own,) if own else (), tuple(sorted(edges)))
        if not parts or total == 0 or not np.isfinite(total):
            return dict.fromkeys(parts, 0.0)
        if len(parts) == 1:
            return {next(iter(parts)): total}
        loss_of = loss_of or self.loss
        standalone = {node: max(0.0, loss_of(part)) for node, part in parts.items()}
        weight = sum(standalone.values())
        if weight <= 0:
            return {node: total / len(parts) for node in parts}
        return {node: total * value / weight for node, value in standalone.items()}

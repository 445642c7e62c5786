"""Which sites a what-if changes, and a note saying how: one rule for the CLI and report.

Two solves of the same program agree to rounding, not to the last bit: a lost profit of
``0`` before may be ``1e-7`` after, a time to survive ``5.655`` before ``5.655 + 9e-16``
after. Such differences are not changes. A value changes when it moves by more than
``atol + rtol * max(|before|, |after|)``; an infinite time to survive changes only when
it becomes finite (or the other way round).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["CHANGE_ATOL", "CHANGE_RTOL", "NETWORK_LIMIT", "changed_sites", "differs", "limit_notes"]

CHANGE_RTOL = 1e-6  # relative: a millionth of the value
CHANGE_ATOL = 1e-6  # absolute: a millionth of a currency unit or a period
# The note of a site whose TTS went from forever to a limit several sites share.
NETWORK_LIMIT = "network-wide limit (*)"


def differs(before: float, after: float) -> bool:
    """True when ``after`` is a real change from ``before`` (not rounding noise).

    Parameters
    ----------
    before, after
        Two values of one figure (currency or periods; ``inf`` = forever).

    Returns
    -------
    bool
        Whether they differ by more than ``CHANGE_ATOL + CHANGE_RTOL * max(|before|,
        |after|)``; NaN against a number is a change, NaN against NaN is not, ``inf``
        against ``inf`` is not.
    """
    if math.isnan(before) or math.isnan(after):
        return math.isnan(before) != math.isnan(after)
    if math.isinf(before) or math.isinf(after):
        return before != after
    return abs(after - before) > CHANGE_ATOL + CHANGE_RTOL * max(abs(before), abs(after))


def _shared_limits(nodes: pd.DataFrame) -> dict[float, int]:
    """Finite after-TTS values that several sites reached from "forever": the edited
    network's own limits (a stock drawn down, a site removed), not the sites'."""
    opened = nodes[np.isinf(nodes["tts_before"]) & np.isfinite(nodes["tts_after"])]
    counts = opened["tts_after"].round(9).value_counts()
    return {float(v): int(n) for v, n in counts.items() if n >= 2}


def _note(row: pd.Series, limits: dict[float, int]) -> str:
    """Why a row is listed, in words."""
    if row["change"] == "removed":
        return "removed by the edits"
    notes = []
    before, after = float(row["tts_before"]), float(row["tts_after"])
    if math.isinf(before) and math.isfinite(after):
        if round(after, 9) in limits:
            notes.append(NETWORK_LIMIT)
        else:
            notes.append("the network no longer covers this site's loss indefinitely")
    elif math.isfinite(before) and math.isinf(after):
        notes.append("the network now covers this site's loss indefinitely")
    if bool(row["exposed_before"]) != bool(row["exposed_after"]):
        notes.append("now exposed (TTR > TTS)" if row["exposed_after"] else "no longer exposed")
    return "; ".join(notes)


def changed_sites(nodes: pd.DataFrame) -> pd.DataFrame:
    """The rows of a what-if's per-site table that really change, with a ``note``.

    Parameters
    ----------
    nodes
        The what-if's ``nodes`` table (``lost_profit_before/after`` in currency,
        ``tts_before/after`` and ``ttr_before/after`` in periods, ``exposed_before/
        after``, ``change``).

    Returns
    -------
    pandas.DataFrame
        The rows where a site was removed, its exposure flips, or its lost profit, TTR
        or TTS differs (:func:`differs`), in the table's order, with a ``note`` column
        (why a time to survive became finite or infinite, removals, exposure flips).
    """
    if nodes.empty:
        return nodes.assign(note=pd.Series(dtype=str))

    def moved(row: pd.Series) -> bool:
        return (
            row["change"] == "removed"
            or bool(row["exposed_before"]) != bool(row["exposed_after"])
            or any(
                differs(float(row[f"{key}_before"]), float(row[f"{key}_after"]))
                for key in ("lost_profit", "tts", "ttr")
                if f"{key}_before" in row
            )
        )

    changed = nodes[nodes.apply(moved, axis=1)]
    limits = _shared_limits(changed)
    notes = [_note(row, limits) for _, row in changed.iterrows()]
    return changed.assign(note=notes)


def limit_notes(nodes: pd.DataFrame, period: str = "period") -> list[str]:
    """The footnotes of :data:`NETWORK_LIMIT`: why many sites' TTS became the same limit.

    When several sites go from "forever" to one finite time to survive, the limit is the
    edited network's own (a stock it drew on is used up, a source is gone), reached
    whichever of those sites fails, not something about each site.

    Parameters
    ----------
    nodes
        The what-if's ``nodes`` table.
    period
        The network's period name (``week``).

    Returns
    -------
    list of str
        One sentence per shared limit, starting ``(*)``; empty when there is none.
    """
    if nodes.empty:
        return []
    removed = [str(n) for n in nodes.loc[nodes["change"] == "removed", "node"]]
    gone = f"; sites removed by the edits: {', '.join(removed)}" if removed else ""
    return [
        f"(*) {count} sites had no time-to-survive limit before and now all run short after "
        f"{limit:,.2f} {period}s: after the edits the network as a whole runs short then, "
        f"whichever of them fails (a stock or source it relied on is used up or gone{gone})."
        for limit, count in sorted(_shared_limits(nodes).items())
    ]

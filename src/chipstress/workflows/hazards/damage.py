"""Damage models: from an intensity at a site to a capacity loss and a recovery time.

* Earthquakes: a lognormal fragility curve per node kind and damage state
  (``fragility.csv``). A site reaches state *k* when its PGA reaches the state's capacity
  ``median_k · exp(beta_k · Φ⁻¹(q))``; ``q`` is the *capacity quantile*: 0.5 (a
  replay) puts every capacity at its median, and the Monte-Carlo draws one ``q`` per
  event, shared by all sites (fully correlated fragility uncertainty).
* Water restrictions: the level's ``capacity_cut`` of the district's water node(s).
* Typhoons, floods and storms: ``storms.csv`` per hazard, severity and node kind.
* Fires, contamination and cyber incidents: ``incidents.yaml`` defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from chipstress.workflows.hazards.params import DAMAGE_STATES, HazardParameters

__all__ = ["FragilityArrays", "damage_states", "exceedance", "storm_damage"]


@dataclass(frozen=True)
class FragilityArrays:
    """Each node's fragility curve as arrays of shape (nodes, states).

    Kinds missing from ``fragility.csv`` use the ``other`` curve.
    """

    median: np.ndarray  # PGA, g
    beta: np.ndarray
    loss: np.ndarray  # fraction of capacity
    recovery_weeks: np.ndarray

    @classmethod
    def for_kinds(cls, kinds: np.ndarray, params: HazardParameters) -> FragilityArrays:
        """Arrays for nodes of the given kinds."""
        fallback = params.fragility["other"]
        curves = [params.fragility.get(str(kind), fallback) for kind in kinds]
        pick = lambda attribute: np.array(  # noqa: E731
            [[getattr(state, attribute) for state in curve] for curve in curves], dtype=float
        ).reshape(len(kinds), len(DAMAGE_STATES))
        return cls(
            pick("median_pga_g"), pick("beta"), pick("capacity_loss"), pick("recovery_weeks")
        )


def damage_states(
    pga_g: np.ndarray, median: np.ndarray, beta: np.ndarray, quantile: float | np.ndarray = 0.5
) -> np.ndarray:
    """Index of the damage state reached at each site (``-1`` = none, 0 = slight, ...).

    ``pga_g`` has one entry per site, or shape (events, sites) with one ``quantile`` per
    event or per (event, site); ``median``/``beta`` are (sites, states). A state is reached when the PGA is
    at least its capacity at ``quantile``; the highest state reached counts.

    Parameters
    ----------
    pga_g
        Peak ground acceleration (g) per site, or per (event, site).
    median
        Median capacity (g) of each damage state, shape (sites, states).
    beta
        Log standard deviation of each fragility curve (dimensionless), shape (sites, states).
    quantile
        Quantile (0..1) of the capacities to compare with: one per event, or per event
        and site, when ``pga_g`` is 2-D.

    Returns
    -------
    numpy.ndarray
        The state index per site (per event and site for 2-D ``pga_g``); ``-1`` for none.
    """
    pga = np.asarray(pga_g, dtype=float)
    z = ndtri(np.clip(np.asarray(quantile, dtype=float), 1e-12, 1 - 1e-12))
    if pga.ndim == 2:
        z = z[:, :, None] if z.ndim == 2 else np.broadcast_to(z, pga.shape[:1])[:, None, None]
    thresholds = median * np.exp(beta * z)
    reached = pga[..., None] >= thresholds
    index = np.arange(len(DAMAGE_STATES))
    return np.where(reached, index, -1).max(axis=-1)


def exceedance(pga_g: float, median: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """P(damage state >= k | PGA) for each state k of one site's curve.

    Parameters
    ----------
    pga_g
        Peak ground acceleration at the site (g).
    median
        Median capacity (g) of each damage state.
    beta
        Log standard deviation of each state's fragility curve (dimensionless).

    Returns
    -------
    numpy.ndarray
        One probability (0..1) per damage state.
    """
    return ndtr((np.log(max(pga_g, 1e-12)) - np.log(median)) / beta)


def storm_damage(
    params: HazardParameters, hazard: str, severity: str, kinds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Capacity loss (fraction) and recovery (weeks) per node kind; 0 where none expected.

    Parameters
    ----------
    params
        Hazard data (the storm damage table).
    hazard
        The storm hazard (e.g. ``typhoon``).
    severity
        Its severity class, as in the storm table.
    kinds
        The node kind of each node.

    Returns
    -------
    tuple of numpy.ndarray
        Capacity loss (fraction 0..1) and recovery time (weeks) per node.
    """
    table = params.storms
    loss = np.array([table.get((hazard, severity, str(k)), (0.0, 0.0))[0] for k in kinds])
    weeks = np.array([table.get((hazard, severity, str(k)), (0.0, 0.0))[1] for k in kinds])
    return loss, weeks

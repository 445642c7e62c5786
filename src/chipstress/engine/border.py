"""The border certificate of a regional program, with its fixed parts computed once.

A regional optimum is the whole program's optimum when every border edge's reduced cost
agrees with its held flow (see :mod:`chipstress.engine.regional`). For an edge e from
supplier i to customer j the reduced cost is ``premium_e − π_flow(i) + π_bom(row of e)``,
one dual from inside the region and one from outside (the baseline's, or zero for
time-to-survive). :func:`border_terms` gathers, once per region and baseline, everything
but the regional duals; :func:`border_violations` then needs two gathers and two
comparisons per solve, and does the rest only when an edge fails.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chipstress.engine.formulation import Layout, StressModel

__all__ = ["BorderTerms", "border_terms", "border_violations"]


@dataclass(frozen=True)
class BorderTerms:
    """The parts of a region's border reduced costs that do not change between solves.

    ``out_*`` are the edges leaving the region (supplier inside), ``in_*`` those entering
    it (customer inside): the local row of the inside dual, the outside dual plus the
    premium (currency per unit), whether the held flow is positive, and the node on the
    far side.
    """

    out_row: np.ndarray
    out_fixed: np.ndarray
    out_carrying: np.ndarray
    out_far: np.ndarray
    in_row: np.ndarray
    in_fixed: np.ndarray
    in_carrying: np.ndarray
    in_far: np.ndarray
    premium_scale: float


def border_terms(
    model: StressModel,
    layout: Layout,
    flow: np.ndarray,
    outside_flow_dual: np.ndarray | None,
    outside_bom_dual: np.ndarray | None,
    premium: np.ndarray | None,
) -> BorderTerms:
    """The fixed parts of the border certificate of ``layout``'s region.

    Parameters
    ----------
    model
        The network as arrays.
    layout
        The regional program's layout.
    flow
        Held shipment per edge (units per period).
    outside_flow_dual, outside_bom_dual
        Duals of the flow and BOM rows outside the region (``None``: zero).
    premium
        Premium per unit shipped on each edge (``None``: costs 0, time-to-survive).

    Returns
    -------
    BorderTerms
        Indices, fixed sums and flags of the border edges.
    """
    out_edges, in_edges = layout.boundary_out, layout.boundary_in
    out_fixed = np.zeros(len(out_edges))
    in_fixed = np.zeros(len(in_edges))
    if outside_bom_dual is not None:
        out_fixed = out_fixed + outside_bom_dual[model.edge_bom_row[out_edges]]
    if outside_flow_dual is not None:
        in_fixed = in_fixed - outside_flow_dual[model.edge_supplier[in_edges]]
    if premium is not None:
        out_fixed = out_fixed + premium[out_edges]
        in_fixed = in_fixed + premium[in_edges]

    def carrying(edges: np.ndarray) -> np.ndarray:
        return flow[edges] > 1e-9 * (1.0 + np.abs(flow[edges]))

    return BorderTerms(
        out_row=layout.n_bom + layout.node_local[model.edge_supplier[out_edges]],
        out_fixed=out_fixed,
        out_carrying=carrying(out_edges),
        out_far=model.edge_customer[out_edges],
        in_row=layout.bom_local[model.edge_bom_row[in_edges]],
        in_fixed=in_fixed,
        in_carrying=carrying(in_edges),
        in_far=model.edge_supplier[in_edges],
        premium_scale=0.0 if premium is None else float(np.max(premium, initial=0.0)),
    )


def border_violations(terms: BorderTerms, pi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Far-side nodes of the border edges whose reduced cost disagrees with their flow.

    An edge at zero flow needs a reduced cost ``>= 0``, an edge carrying flow needs 0
    (to ``1e-9`` relative to the largest dual).

    Parameters
    ----------
    terms
        The region's :class:`BorderTerms`.
    pi
        Row duals of the regional optimum (BOM rows, then flow rows).

    Returns
    -------
    tuple of numpy.ndarray
        Customers across failing leaving edges (should give up supply) and suppliers
        across failing entering edges (should ship more); both empty when the
        certificate holds.
    """
    scale = float(np.max(np.abs(pi), initial=0.0)) + terms.premium_scale
    tolerance = 1e-9 * (1.0 + scale)
    found = []
    for row, fixed, carrying, far, sign in (
        (terms.out_row, terms.out_fixed, terms.out_carrying, terms.out_far, -1.0),
        (terms.in_row, terms.in_fixed, terms.in_carrying, terms.in_far, 1.0),
    ):
        reduced = sign * pi[row] + fixed
        bad = np.where(carrying, np.abs(reduced) > tolerance, reduced < -tolerance)
        found.append(far[bad])
    return found[0], found[1]

"""What-if: edits to a network and the before/after comparison of its risks.

* :mod:`~chipstress.workflows.whatif.edits` — the edits as data (YAML or objects);
* :func:`apply_edits` — a network with the edits applied (qualified sources become
  *qualified lines*: nodes at the supplier's site that share its fate);
* :func:`whatif` — sweeps (and, when asked, hazard simulations with common random
  numbers) before and after, with deltas per node, per cluster and in total.
"""

from chipstress.workflows.whatif.apply import (
    SiteLinks,
    apply_edits,
    qualified_lines,
    site_links,
    sites_of,
)
from chipstress.workflows.whatif.compare import (
    NODE_COLUMNS,
    WhatIfResult,
    site_sweep,
    whatif,
    whatif_totals,
)
from chipstress.workflows.whatif.edits import (
    EDIT_TYPES,
    AddInventory,
    CutTTR,
    Edit,
    QualifySource,
    RaiseCapacity,
    RemoveSite,
    describe_edit,
    edit_to_dict,
    load_edits,
    parse_edits,
)
from chipstress.workflows.whatif.hazards import PairedSimulation, simulate_pair

__all__ = [
    "EDIT_TYPES",
    "NODE_COLUMNS",
    "AddInventory",
    "CutTTR",
    "Edit",
    "PairedSimulation",
    "QualifySource",
    "RaiseCapacity",
    "RemoveSite",
    "SiteLinks",
    "WhatIfResult",
    "apply_edits",
    "describe_edit",
    "edit_to_dict",
    "load_edits",
    "parse_edits",
    "qualified_lines",
    "simulate_pair",
    "site_links",
    "site_sweep",
    "sites_of",
    "whatif",
    "whatif_totals",
]

"""Imported by the API's fork server: each interactive computation run once.

The fork server (:mod:`chipstress.interfaces.api.isolation`) imports this module before
it makes any child. Running an impact, a time-to-survive and an outage what-if on the
built-in ``tri-cluster`` network here does the lazy imports and reads the data files
(damage and recovery parameters, hazard tables) those computations need, so every child
inherits them and its first job is as fast as its later ones. A failure here is logged
and ignored: the children then warm up on their first job instead.
"""

from __future__ import annotations

import logging

__all__ = ["warm"]

log = logging.getLogger("chipstress.api")
NETWORK = "tri-cluster"


def warm() -> None:
    """Run an impact, a time-to-survive and an outage what-if once (about 0.3 s)."""
    from chipstress.engine import impact, time_to_survive
    from chipstress.model import load_builtin
    from chipstress.workflows.outage import outage

    network = load_builtin(NETWORK)
    node = str(network.nodes["id"].iloc[0])
    impact(network, {node: 1.0}, 2.0)
    time_to_survive(network, {node: 1.0})
    outage(network, [(node, 1.0, 2.0)])


try:
    warm()
except Exception as error:  # the fork server must start whatever happens here
    log.warning("warming up the worker processes failed: %s", error)

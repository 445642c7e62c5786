"""chipstress: stress-test multi-tier semiconductor supply networks.

Architecture in one paragraph: a :class:`Network` holds three tables (nodes, BOM,
sources) and metadata; the model layer reads, writes and validates it and ships the
built-in ``tri-cluster`` network of the Kaohsiung, Kumamoto and Arizona fab clusters.
Engines are functions that take a network and build their linear programs straight
from its integer-indexed tables; workflows (sweeps, hazards, simulations, what-if) are
functions of (network, parameters) returning tables; interfaces (CLI, HTTP API,
dashboard, report) are thin layers over those functions. Dependencies point down only:
interfaces -> workflows -> engine -> model.
"""

from importlib.metadata import PackageNotFoundError, version

from chipstress.errors import ChipstressError, InvalidInput, InvalidNetwork, Problem
from chipstress.model import (
    BUILTIN_NETWORKS,
    Network,
    NetworkMeta,
    load_builtin,
    read_network,
    to_networkx,
    write_network,
)

try:
    __version__ = version("chipstress")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "BUILTIN_NETWORKS",
    "ChipstressError",
    "InvalidInput",
    "InvalidNetwork",
    "Network",
    "NetworkMeta",
    "Problem",
    "__version__",
    "load_builtin",
    "read_network",
    "to_networkx",
    "write_network",
]

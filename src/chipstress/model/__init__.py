"""The model layer: the :class:`Network`, its files, validation and built-in networks."""

from chipstress.model.builtin import BUILTIN_NETWORKS, load_builtin
from chipstress.model.io import read_network, to_networkx, write_network
from chipstress.model.network import Network, NetworkIndex, NetworkMeta

__all__ = [
    "BUILTIN_NETWORKS",
    "Network",
    "NetworkIndex",
    "NetworkMeta",
    "load_builtin",
    "read_network",
    "to_networkx",
    "write_network",
]

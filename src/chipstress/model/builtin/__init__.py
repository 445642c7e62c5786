"""Built-in networks that load with no file: ``tri-cluster``.

Each lives in a native network folder inside the package; its ``README.md`` explains
the model, its sources and its assumptions.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from chipstress.errors import InvalidInput
from chipstress.model.network import Network

__all__ = ["BUILTIN_NETWORKS", "builtin_path", "load_builtin"]

# Built-in name -> package folder.
BUILTIN_NETWORKS: dict[str, str] = {"tri-cluster": "tri_cluster"}


def builtin_path(name: str) -> Path:
    """Folder of the built-in network ``name``."""
    if name not in BUILTIN_NETWORKS:
        known = ", ".join(sorted(BUILTIN_NETWORKS))
        raise InvalidInput(f"no built-in network named {name!r}; built-ins: {known}")
    return Path(str(resources.files("chipstress.model.builtin").joinpath(BUILTIN_NETWORKS[name])))


def load_builtin(name: str = "tri-cluster") -> Network:
    """Load a built-in network by name (``tri-cluster``)."""
    from chipstress.model.io.native import read_folder

    network = read_folder(builtin_path(name))
    return network.with_meta(name=name) if network.meta.name != name else network

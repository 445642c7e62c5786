"""chipstress: stress-test multi-tier semiconductor supply networks.

Architecture in one paragraph: a :class:`Network` holds three tables (nodes, BOM,
sources) and metadata; the model layer reads, writes and validates it and ships the
built-in ``tri-cluster`` network of the Kaohsiung, Kumamoto and Arizona fab clusters.
Engines are functions that take a network and build their linear programs straight
from its integer-indexed tables; workflows (sweeps, hazards, simulations, what-if) are
functions of (network, parameters) returning tables; interfaces (CLI, HTTP API,
dashboard, report) are thin layers over those functions. Dependencies point down only:
interfaces -> workflows -> engine -> model.

The names taken from the model (and ``__version__``) are loaded on first use
(:pep:`562`), so that ``import chipstress`` and ``chipstress --help`` do not pay for
pandas, NumPy and SciPy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chipstress.errors import ChipstressError, InvalidInput, InvalidNetwork, Problem

if TYPE_CHECKING:
    from chipstress.model import (
        BUILTIN_NETWORKS,
        Network,
        NetworkMeta,
        load_builtin,
        read_network,
        to_networkx,
        write_network,
    )

    __version__: str

# Served by ``__getattr__`` on first use: name -> the module that defines it.
_LAZY = {
    "BUILTIN_NETWORKS": "chipstress.model",
    "Network": "chipstress.model",
    "NetworkMeta": "chipstress.model",
    "load_builtin": "chipstress.model",
    "read_network": "chipstress.model",
    "to_networkx": "chipstress.model",
    "write_network": "chipstress.model",
}

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


def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chipstress")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def __getattr__(name: str) -> Any:
    """Load a model name (or ``__version__``) the first time it is asked for.

    Parameters
    ----------
    name
        The attribute asked for.

    Returns
    -------
    Any
        The attribute, also bound in the module so later uses are plain look-ups.

    Raises
    ------
    AttributeError
        ``name`` is not a name of the package.
    """
    if name == "__version__":
        value: Any = _installed_version()
    elif name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module 'chipstress' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

"""The networks a server knows: the built-ins, loaded on first use, and uploads.

Uploaded networks get an id (``up-`` and 10 hex digits), keep their file in the
server's temporary folder and live as long as the server (or until deleted).

A network never changes once loaded, so what the cheap reads send about it (its
summary, its node table, a node's dependencies) is rendered once and kept, as JSON
bytes, in :attr:`Entry.rendered`.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from chipstress.interfaces.api.errors import ApiError, not_found
from chipstress.model import BUILTIN_NETWORKS, Network, load_builtin

__all__ = ["Entry", "NetworkRegistry"]


@dataclass
class Entry:
    """A network the server holds, where it came from, and its dependency graph."""

    id: str
    network: Network
    source: str  # "builtin" or "upload"
    filename: str = ""
    format: str = ""
    fingerprint: str = ""
    _graph: tuple[dict[str, list[str]], dict[str, list[str]]] | None = field(
        default=None, repr=False
    )
    rendered: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict[str, object]:
        """Pickled without the rendered responses (a job's child process needs none)."""
        state = dict(self.__dict__)
        state["rendered"] = {}
        return state

    def graph(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """(customers, suppliers) adjacency: node id -> ids it ships to / receives from."""
        if self._graph is None:
            customers: dict[str, list[str]] = {}
            suppliers: dict[str, list[str]] = {}
            sources = self.network.sources
            for s, c in zip(sources["supplier"], sources["customer"], strict=True):
                customers.setdefault(str(s), []).append(str(c))
                suppliers.setdefault(str(c), []).append(str(s))
            self._graph = (customers, suppliers)
        return self._graph

    def node_position(self, node: str) -> int:
        """Row of ``node`` in the node table; 404 when the network has no such node."""
        position = self.network.index.node_ids.get_indexer(pd.Index([node]))[0]
        if position < 0:
            raise not_found("node", node, field="node")
        return int(position)

    def check_nodes(self, nodes: list[str], field_name: str) -> None:
        """422 naming the request field and every unknown node id."""
        positions = self.network.index.node_ids.get_indexer(pd.Index(nodes))
        missing = [n for n, p in zip(nodes, np.asarray(positions), strict=True) if p < 0]
        if missing:
            shown = ", ".join(repr(m) for m in missing[:10])
            more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
            raise ApiError(
                422,
                f"{field_name}: unknown node id {shown}{more} in network {self.id!r}",
                field=field_name,
            )


class NetworkRegistry:
    """Built-in and uploaded networks by id; thread-safe."""

    def __init__(self, loader: Callable[[str], Network] = load_builtin) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, Entry] = {}
        self._loader = loader
        self._folder = Path(tempfile.mkdtemp(prefix="chipstress-uploads-"))

    @property
    def folder(self) -> Path:
        """Where uploads are kept while the server runs."""
        return self._folder

    def new_upload_folder(self) -> tuple[str, Path]:
        """A fresh id and an empty folder for an upload."""
        upload_id = f"up-{secrets.token_hex(5)}"
        folder = self._folder / upload_id
        folder.mkdir(parents=True)
        return upload_id, folder

    def loaded(self, network_id: str) -> Entry | None:
        """The network ``network_id`` if it is already in memory, else None (never loads)."""
        with self._lock:
            return self._entries.get(network_id)

    def ids(self) -> list[str]:
        """Every network id: built-ins first, then uploads in upload order."""
        with self._lock:
            uploads = [k for k, e in self._entries.items() if e.source == "upload"]
        return [*BUILTIN_NETWORKS, *uploads]

    def get(self, network_id: str) -> Entry:
        """The network ``network_id`` (a built-in is loaded on first use); 404 if unknown."""
        with self._lock:
            entry = self._entries.get(network_id)
        if entry is not None:
            return entry
        if network_id in BUILTIN_NETWORKS:
            network = self._loader(network_id)
            entry = Entry(network_id, network, "builtin", format="builtin")
            entry.fingerprint = network.fingerprint()
            with self._lock:
                return self._entries.setdefault(network_id, entry)
        raise not_found("network", network_id, self.ids(), field="network")

    def add_upload(self, entry: Entry) -> Entry:
        """Keep an uploaded network."""
        entry.fingerprint = entry.network.fingerprint()
        with self._lock:
            self._entries[entry.id] = entry
        return entry

    def delete(self, network_id: str) -> None:
        """Forget an uploaded network and remove its files; built-ins cannot be deleted."""
        entry = self.get(network_id)
        if entry.source != "upload":
            raise ApiError(409, f"{network_id!r} is a built-in network; it cannot be deleted")
        with self._lock:
            self._entries.pop(network_id, None)
        shutil.rmtree(self._folder / network_id, ignore_errors=True)

    def by_fingerprint(self, fingerprint: str) -> Entry | None:
        """A loaded network with this fingerprint (built-ins are loaded to compare)."""
        for network_id in self.ids():
            entry = self.get(network_id)
            if entry.fingerprint == fingerprint:
                return entry
        return None

    def close(self) -> None:
        """Remove the uploads folder."""
        shutil.rmtree(self._folder, ignore_errors=True)

"""Applying edits to a network: :func:`apply_edits`, and the qualified lines it creates.

Edits apply in order, each to the network as the earlier ones left it, and the result
is a new :class:`~chipstress.model.Network` (the original is untouched; unchanged
tables are shared). Node values change in place of the old ones; a qualified source
becomes a **qualified line**: a node of its own, at the supplier's site, that

* supplies the supplier's material with the capacity made available (units per period),
  no stock of its own, and the supplier's time to recover;
* needs what the supplier needs (a copy of its BOM lines) from the supplier's own
  suppliers (copies of their edges, premiums included);
* ships only to the customer, at the premium per unit.

The network's metadata keeps the list of lines (``qualified_lines``: line, supplier,
customer, capacity, lead_time, timing, premium), so that sweeps and simulations can
take a line down with its supplier (:func:`site_links`) and hold a reactively qualified
line back for its lead time. A line's id is ``<supplier>:for:<customer>`` (with ``:2``,
``:3``, ... for further lines of the same pair).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np
import pandas as pd

from chipstress.errors import Problem
from chipstress.model.network import Network
from chipstress.workflows.whatif.edits import (
    AddInventory,
    CutTTR,
    Edit,
    QualifySource,
    RaiseCapacity,
    RemoveSite,
    collect_edits,
    describe_edit,
    raise_problems,
)

__all__ = ["LINES_KEY", "SiteLinks", "apply_edits", "qualified_lines", "site_links", "sites_of"]

LINES_KEY = "qualified_lines"
_LINE_FIELDS = ("line", "supplier", "customer", "capacity", "lead_time", "timing", "premium")


def qualified_lines(network: Network) -> list[dict[str, Any]]:
    """The qualified lines of a network (from its metadata), in the order they were made."""
    lines = network.meta.extra.get(LINES_KEY) or []
    return [dict(line) for line in lines if isinstance(line, Mapping)]


@dataclass(frozen=True)
class SiteLinks:
    """How qualified lines behave in stress tests.

    ``linked`` maps a site to the lines at its site (they go down with it); ``delayed``
    maps a reactively qualified line to its lead time (periods it cannot produce at the
    start of every disruption); ``lines`` is every line id.
    """

    linked: dict[str, list[str]]
    delayed: dict[str, float]
    lines: frozenset[str]


def site_links(network: Network) -> SiteLinks:
    """The lines of ``network`` by site, and the reactive ones with their lead times."""
    linked: dict[str, list[str]] = {}
    delayed: dict[str, float] = {}
    ids = set(network.nodes["id"])
    lines = set()
    for line in qualified_lines(network):
        name = str(line["line"])
        if name not in ids:
            continue
        lines.add(name)
        linked.setdefault(str(line["supplier"]), []).append(name)
        if line.get("timing") == "reactive" and float(line.get("lead_time") or 0) > 0:
            delayed[name] = float(line["lead_time"])
    return SiteLinks(linked, delayed, frozenset(lines))


def sites_of(network: Network) -> list[str]:
    """Ids of the network's sites: every node but the qualified lines, in table order."""
    lines = site_links(network).lines
    return [str(n) for n in network.nodes["id"] if n not in lines]


class _State:
    """The network being edited: node values, lines being added, nodes removed."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.nodes = network.nodes.copy()
        self.position = {str(n): i for i, n in enumerate(self.nodes["id"])}
        self.new_nodes: dict[str, dict[str, Any]] = {}
        self.new_bom: list[dict[str, Any]] = []
        self.new_sources: list[dict[str, Any]] = []
        self.removed: set[str] = set()
        self.lines = qualified_lines(network)
        self.line_ids = {str(line["line"]) for line in self.lines}

    def exists(self, node: str) -> bool:
        return (node in self.position or node in self.new_nodes) and node not in self.removed

    def get(self, node: str, column: str) -> Any:
        if node in self.new_nodes:
            return self.new_nodes[node][column]
        return self.nodes.at[self.position[node], column]

    def assign(self, node: str, column: str, value: float) -> None:
        if node in self.new_nodes:
            self.new_nodes[node][column] = value
        else:
            self.nodes.at[self.position[node], column] = value

    def edges(self) -> Iterable[tuple[str, str]]:
        """Every source edge (supplier, customer) of the network so far."""
        sources = self.network.sources
        yield from zip(sources["supplier"], sources["customer"], strict=True)
        for row in self.new_sources:
            yield row["supplier"], row["customer"]

    def upstream(self, node: str) -> set[str]:
        """Every node that (directly or not) supplies ``node``."""
        suppliers: dict[str, list[str]] = {}
        for s, c in self.edges():
            suppliers.setdefault(str(c), []).append(str(s))
        seen: set[str] = set()
        frontier = [node]
        while frontier:
            current = frontier.pop()
            for s in suppliers.get(current, []):
                if s not in seen:
                    seen.add(s)
                    frontier.append(s)
        return seen

    def needs(self, node: str) -> set[str]:
        bom = self.network.bom
        found = set(bom.loc[bom["node"] == node, "material"])
        found.update(r["material"] for r in self.new_bom if r["node"] == node)
        return found


def _check_node(
    state: _State, node: str, field: str, where: str, source: str, problems: list[Problem]
) -> bool:
    if state.exists(node):
        return True
    gone = " (removed by an earlier edit)" if node in state.removed else ""
    problems.append(Problem(source, where, field, f"unknown node {node!r}{gone}"))
    return False


def _number_edit(
    state: _State,
    edit: AddInventory | RaiseCapacity,
    column: str,
    where: str,
    source: str,
    problems: list[Problem],
) -> None:
    current = float(state.get(edit.node, column))
    if edit.add is not None:
        value = current + edit.add
    elif edit.to is not None:
        value = edit.to
    else:
        value = current * float(getattr(edit, "factor", 1.0) or 1.0)
    if not np.isfinite(value):
        problems.append(Problem(source, where, "add", f"{column} would not be finite"))
        return
    state.assign(edit.node, column, value)


def _cut_ttr(state: _State, edit: CutTTR, where: str, source: str, problems: list[Problem]) -> None:
    current = float(state.get(edit.node, "ttr"))
    if not np.isfinite(current):
        problems.append(
            Problem(source, where, "node", f"{edit.node!r} has no ttr to cut (give it one first)")
        )
        return
    if edit.to is not None:
        new, field = edit.to, "to"
        if new > current:
            problems.append(
                Problem(
                    source,
                    where,
                    "to",
                    f"{new:g} periods is longer than the ttr of {edit.node!r} ({current:g}): not a cut",
                )
            )
            return
    else:
        new, field = current - float(edit.by or 0.0), "by"
        if new < 0:
            problems.append(
                Problem(
                    source,
                    where,
                    field,
                    f"cannot cut the ttr of {edit.node!r} ({current:g} periods) by {edit.by:g}",
                )
            )
            return
    if edit.via is not None:
        if not _check_node(state, edit.via, "via", where, source, problems):
            return
        if state.get(edit.via, "kind") != "talent":
            problems.append(
                Problem(
                    source,
                    where,
                    "via",
                    f"{edit.via!r} is a {state.get(edit.via, 'kind')} node, not a talent pool",
                )
            )
            return
    state.assign(edit.node, "ttr", new)


def _qualify(
    state: _State, edit: QualifySource, where: str, source: str, problems: list[Problem]
) -> None:
    if _may_qualify(state, edit, where, source, problems):
        _add_line(state, edit)


def _may_qualify(
    state: _State, edit: QualifySource, where: str, source: str, problems: list[Problem]
) -> bool:
    """Both sites exist, the customer needs the material, and the new edge is no cycle."""
    ok = _check_node(state, edit.supplier, "supplier", where, source, problems)
    ok = _check_node(state, edit.customer, "customer", where, source, problems) and ok
    if not ok:
        return False
    for field, node in (("supplier", edit.supplier), ("customer", edit.customer)):
        if node in state.line_ids:
            problems.append(
                Problem(source, where, field, f"{node!r} is a qualified line, not a site")
            )
            ok = False
    if edit.supplier == edit.customer:
        problems.append(Problem(source, where, "customer", "a node cannot supply itself"))
        return False
    if not ok:
        return False
    material = str(state.get(edit.supplier, "material"))
    if material not in state.needs(edit.customer):
        problems.append(
            Problem(
                source,
                where,
                "customer",
                f"{edit.supplier!r} supplies {material!r}, which {edit.customer!r} does not "
                "need (no BOM line)",
            )
        )
        return False
    if (edit.supplier, edit.customer) in set(state.edges()):
        problems.append(
            Problem(
                source,
                where,
                "supplier",
                f"{edit.supplier!r} already ships to {edit.customer!r}: raise its capacity instead",
            )
        )
        return False
    if edit.customer in state.upstream(edit.supplier):
        problems.append(
            Problem(
                source,
                where,
                "customer",
                f"{edit.customer!r} is upstream of {edit.supplier!r}: the source would close a "
                "cycle",
            )
        )
        return False
    return True


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a network table as mappings (its column names are text)."""
    return cast(list[dict[str, Any]], table.to_dict(orient="records"))


def _add_line(state: _State, edit: QualifySource) -> None:
    """Add the qualified line: a copy of the supplier that ships to the customer only."""
    base = f"{edit.supplier}:for:{edit.customer}"
    line, k = base, 1
    while line in state.position or line in state.new_nodes:
        k += 1
        line = f"{base}:{k}"
    row: dict[str, Any] = (
        dict(state.new_nodes[edit.supplier])
        if edit.supplier in state.new_nodes
        else cast(dict[str, Any], state.nodes.iloc[state.position[edit.supplier]].to_dict())
    )
    customer_name = str(state.get(edit.customer, "name"))
    row.update(
        id=line,
        name=f"{row['name']} (qualified for {customer_name})",
        capacity=float(edit.capacity),
        inventory=0.0,
        demand=np.nan,
        margin=np.nan,
        tier=int(state.get(edit.customer, "tier")) + 1,
        source=(
            f"what-if: qualified line of {edit.supplier} for {edit.customer}; "
            + describe_edit(edit)
        ),
    )
    for column in ("name_zh", "name_ja"):
        if column in row:
            row[column] = ""
    state.new_nodes[line] = row
    bom = state.network.bom
    for record in _records(bom[bom["node"] == edit.supplier]):
        state.new_bom.append({**record, "node": line})
    sources = state.network.sources
    upstream = _records(sources[sources["customer"] == edit.supplier])
    upstream += [r for r in state.new_sources if r["customer"] == edit.supplier]
    for record in upstream:
        state.new_sources.append({**record, "customer": line})
    state.new_sources.append(
        {
            "supplier": line,
            "customer": edit.customer,
            "premium": float(edit.premium),
            "source": f"what-if: {describe_edit(edit)}",
        }
    )
    state.lines.append(
        {
            "line": line,
            "supplier": edit.supplier,
            "customer": edit.customer,
            "capacity": float(edit.capacity),
            "lead_time": float(edit.lead_time),
            "timing": edit.timing,
            "premium": float(edit.premium),
        }
    )
    state.line_ids.add(line)


def _remove(state: _State, edit: RemoveSite) -> None:
    state.removed.add(edit.node)
    for line in state.lines:  # its lines, and lines that ship to it, go with it
        if edit.node in (line["supplier"], line["customer"]):
            state.removed.add(str(line["line"]))


def _finish(state: _State) -> Network:
    network = state.network
    nodes = state.nodes
    if state.new_nodes:
        added = pd.DataFrame(list(state.new_nodes.values()), columns=nodes.columns)
        added = added.astype(nodes.dtypes.to_dict())
        nodes = pd.concat([nodes, added], ignore_index=True)
    bom, sources = network.bom, network.sources
    if state.new_bom:
        extra = pd.DataFrame(state.new_bom, columns=bom.columns).astype(bom.dtypes.to_dict())
        bom = pd.concat([bom, extra], ignore_index=True)
    if state.new_sources:
        extra = pd.DataFrame(state.new_sources, columns=sources.columns)
        for column in sources.columns:
            if pd.api.types.is_float_dtype(sources[column].dtype):
                extra[column] = extra[column].astype(float).fillna(0.0)
            else:
                extra[column] = extra[column].fillna("")
        sources = pd.concat([sources, extra.astype(sources.dtypes.to_dict())], ignore_index=True)
    lines = [line for line in state.lines if line["line"] not in state.removed]
    meta = network.meta
    if lines != qualified_lines(network):
        extra_meta = dict(meta.extra)
        extra_meta[LINES_KEY] = [{k: line[k] for k in _LINE_FIELDS} for line in lines]
        if not lines:
            extra_meta.pop(LINES_KEY)
        meta = replace(meta, extra=extra_meta)
    edited = Network(nodes, bom, sources, meta)
    if state.removed:
        edited = edited.without_nodes(sorted(state.removed))
    return edited


def apply_edits(network: Network, edits: Sequence[Edit] | Any, *, source: str = "edits") -> Network:
    """A copy of ``network`` with ``edits`` applied in order.

    Parameters
    ----------
    network
        The network to edit (not changed).
    edits
        Edit objects, or their YAML form (see :mod:`chipstress.workflows.whatif.edits`).
    source
        Where the edits came from (a file name), for error messages.

    Returns
    -------
    Network
        The edited network; ``network`` itself when there are no edits.

    Raises
    ------
    InvalidInput
        Listing every problem as ``source, edits[i], field 'x': message``: unknown nodes,
        a cut that lengthens a TTR, a source for a material the customer does not need,
        a source that already exists or would close a cycle, ...
    """
    if isinstance(edits, Iterable) and not isinstance(edits, Mapping | str | bytes | Sequence):
        edits = list(edits)
    problems: list[Problem] = []
    parsed = collect_edits(edits, source, problems)  # the bad ones' problems recorded
    if not parsed and not problems:
        return network
    state = _State(network)
    for i, edit in parsed:
        where = f"edits[{i}]"
        if isinstance(edit, QualifySource):
            _qualify(state, edit, where, source, problems)
            continue
        if not _check_node(state, edit.node, "node", where, source, problems):
            continue
        if isinstance(edit, AddInventory):
            _number_edit(state, edit, "inventory", where, source, problems)
        elif isinstance(edit, RaiseCapacity):
            _number_edit(state, edit, "capacity", where, source, problems)
        elif isinstance(edit, CutTTR):
            _cut_ttr(state, edit, where, source, problems)
        elif isinstance(edit, RemoveSite):
            _remove(state, edit)
    problems.sort(key=_edit_index)  # in the file's order: parse and network problems mixed
    raise_problems(problems, f"the edits of {source}" if source != "edits" else "edits")
    return _finish(state)


def _edit_index(problem: Problem) -> int:
    """The ``i`` of a problem at ``edits[i]`` (-1 for the file as a whole)."""
    location = problem.location
    if location.startswith("edits[") and location.endswith("]"):
        return int(location[6:-1])
    return -1

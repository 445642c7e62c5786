"""Candidate mitigation actions: an edit (or a few) with what it costs.

An actions file is YAML::

    name: tri-cluster mitigation candidates
    currency: USD          # checked against the network's
    horizon: 52            # periods over which running costs are counted (weeks here)
    actions:
      - id: asml-spares-4wk
        description: four more weeks of EUV spare parts at the ASML depots
        edit: {type: add_inventory, node: asml_veldhoven, add: 9500}
        cost: {per_unit_period: 2.0}      # holding: currency per unit per period
        source: "estimate: 10%/yr carrying cost on ~1 kUSD of parts per unit"

``edit`` is one what-if edit (:mod:`chipstress.workflows.whatif.edits`), ``edits`` a list
of them (applied together). ``cost`` is a number (currency, one-off) or a mapping of
parts that add up:

* ``fixed`` — one-off currency (a qualification, a contract, a build-out);
* ``per_unit`` — currency per unit of the action's size (units of inventory added,
  units per period of capacity added or made available, periods of TTR cut);
* ``per_unit_period`` — currency per unit of size per period, times the ``horizon``
  (inventory holding, capacity reservation, a dispatch pool on standby);
* ``per_period`` — currency per period, times the ``horizon`` (a retainer).

Sizes need an action with one edit. Actions must not make anything worse: no
``remove_site``, no inventory or capacity set below what the network has. Every
problem is reported at once as ``file, actions[i] (id), field 'x': message``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pandas as pd

from chipstress.errors import InvalidInput, Problem
from chipstress.model.network import Network
from chipstress.workflows.whatif.apply import apply_edits
from chipstress.workflows.whatif.edits import (
    AddInventory,
    CutTTR,
    Edit,
    QualifySource,
    RaiseCapacity,
    RemoveSite,
    describe_edit,
    edit_to_dict,
    parse_edit,
    raise_problems,
    read_yaml_file,
)

__all__ = [
    "COST_PARTS",
    "Action",
    "ActionSet",
    "combined_edits",
    "load_actions",
    "parse_actions",
]

COST_PARTS = ("fixed", "per_unit", "per_unit_period", "per_period")
_ACTION_KEYS = ("id", "description", "edit", "edits", "cost", "source")
_FILE_KEYS = ("name", "description", "currency", "horizon", "actions")


@dataclass(frozen=True)
class Action:
    """One candidate action: its edits as increments over the network, and its cost.

    ``edits`` are the edits as written; ``increments`` the same effect relative to the
    network the actions were checked against (``add`` for inventory and capacity, the
    new TTR for cuts), so that actions combine by adding up. ``cost`` is in currency;
    ``cost_basis`` says how it was computed.
    """

    id: str
    edits: tuple[Edit, ...]
    increments: tuple[Edit, ...]
    cost: float
    cost_basis: str
    description: str = ""
    source: str = ""

    def summary(self) -> str:
        """What the action does, in words."""
        return self.description or "; ".join(describe_edit(e) for e in self.edits)

    def to_dict(self) -> dict[str, Any]:
        """The action as a plain mapping (its edits in YAML form)."""
        return {
            "id": self.id,
            "description": self.summary(),
            "edits": [edit_to_dict(e) for e in self.edits],
            "cost": self.cost,
            "cost_basis": self.cost_basis,
            "source": self.source,
        }


def choice_row(action: Action, budget: float) -> dict[str, Any]:
    """One row of a plan's ``choices`` table: the action chosen at ``budget``."""
    return {
        "budget": budget,
        "action": action.id,
        "description": action.summary(),
        "cost": action.cost,
        "cost_basis": action.cost_basis,
    }


@dataclass(frozen=True)
class ActionSet:
    """The candidate actions of an actions file, checked against one network."""

    actions: list[Action]
    horizon: float | None = None
    name: str = ""
    currency: str = ""
    source: str = ""
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.actions)

    def by_id(self, ids: Sequence[str]) -> list[Action]:
        """The actions with these ids, in file order."""
        wanted = set(ids)
        return [a for a in self.actions if a.id in wanted]


def _value(nodes: pd.DataFrame, node: str, column: str) -> float:
    """A number of the node table (indexed by id)."""
    return float(cast(float, nodes.at[node, column]))


def _size(edit: Edit, network: Network) -> float:
    """The size the per-unit costs multiply: units, units per period, or periods cut."""
    nodes = network.nodes.set_index("id")
    if isinstance(edit, AddInventory):
        current = _value(nodes, edit.node, "inventory")
        return edit.add if edit.add is not None else float(edit.to or 0.0) - current
    if isinstance(edit, RaiseCapacity):
        current = _value(nodes, edit.node, "capacity")
        if edit.add is not None:
            return edit.add
        if edit.to is not None:
            return edit.to - current
        return current * (float(edit.factor or 1.0) - 1.0)
    if isinstance(edit, QualifySource):
        return edit.capacity
    if isinstance(edit, CutTTR):
        current = _value(nodes, edit.node, "ttr")
        return current - edit.to if edit.to is not None else float(edit.by or 0.0)
    return 0.0


def _increment(edit: Edit, network: Network) -> Edit:
    """The edit as an increment over ``network`` (adds, and cuts to an absolute TTR)."""
    if isinstance(edit, AddInventory):
        return AddInventory(edit.node, add=_size(edit, network))
    if isinstance(edit, RaiseCapacity):
        return RaiseCapacity(edit.node, add=_size(edit, network))
    if isinstance(edit, CutTTR):
        current = _value(network.nodes.set_index("id"), edit.node, "ttr")
        return CutTTR(edit.node, to=current - _size(edit, network), via=edit.via)
    return edit


def combined_edits(actions: Sequence[Action]) -> list[Edit]:
    """The edits of several actions together: increments add up; for a node's TTR the
    deepest cut counts (cuts do not add up)."""
    cuts: dict[str, CutTTR] = {}
    out: list[Edit] = []
    for action in actions:
        for edit in action.increments:
            if isinstance(edit, CutTTR):
                known = cuts.get(edit.node)
                if known is None or float(edit.to or 0.0) < float(known.to or 0.0):
                    cuts[edit.node] = edit
            else:
                out.append(edit)
    return out + list(cuts.values())


def _amount(value: float) -> str:
    """Money or a size in a cost basis: ``1,500,000``, ``0.23``."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.6g}"


@dataclass(frozen=True)
class _Reading:
    """What checking one actions file needs: the network, file, horizon and problem list."""

    network: Network
    source: str
    horizon: float | None
    problems: list[Problem]

    def problem(self, where: str, name: str, message: str) -> None:
        """Record a problem of ``where`` (``actions[2] (id)``), field ``name``."""
        self.problems.append(Problem(self.source, where, name, message))


def _cost(spec: Any, edits: list[Edit], reading: _Reading, where: str) -> tuple[float, str] | None:
    """The cost (currency) of an action and how it was computed, or None (problems recorded)."""
    if isinstance(spec, bool) or spec is None:
        reading.problem(where, "cost", "give a cost: a number or a mapping of parts")
        return None
    if isinstance(spec, int | float):
        if not math.isfinite(float(spec)) or spec < 0:
            reading.problem(where, "cost", f"must be a number >= 0, got {spec!r}")
            return None
        return float(spec), f"{_amount(float(spec))} one-off"
    if not isinstance(spec, Mapping):
        reading.problem(where, "cost", f"must be a number or a mapping, got {spec!r}")
        return None
    total, parts, ok = 0.0, [], True
    for key, value in spec.items():
        problem = _part_problem(key, value, edits, reading.horizon)
        if problem:
            reading.problem(where, f"cost.{key}", problem)
            ok = False
            continue
        amount, text = _COST_PARTS[key](float(value), edits, reading)
        total += amount
        parts.append(text)
    if not ok:
        return None
    if not parts:
        reading.problem(where, "cost", "the cost mapping is empty")
        return None
    return total, " + ".join(parts)


def _part_problem(key: str, value: Any, edits: list[Edit], horizon: float | None) -> str:
    """What is wrong with one part of a cost mapping (``""`` when nothing)."""
    if key not in COST_PARTS:
        return f"unknown cost part; parts are {', '.join(COST_PARTS)}"
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        return f"must be a number >= 0, got {value!r}"
    if key in ("per_unit", "per_unit_period") and len(edits) != 1:
        return "a per-unit cost needs an action with exactly one edit"
    if key in ("per_unit_period", "per_period") and horizon is None:
        return "a running cost needs the file's horizon (periods)"
    return ""


def _fixed(value: float, edits: list[Edit], reading: _Reading) -> tuple[float, str]:
    return value, f"{_amount(value)} fixed"


def _per_period(value: float, edits: list[Edit], reading: _Reading) -> tuple[float, str]:
    horizon = reading.horizon
    return value * float(horizon or 0.0), f"{_amount(value)}/period x {horizon:g} periods"


def _per_unit(value: float, edits: list[Edit], reading: _Reading) -> tuple[float, str]:
    size = _size(edits[0], reading.network)
    return value * size, f"{_amount(value)}/unit x {_amount(size)}"


def _per_unit_period(value: float, edits: list[Edit], reading: _Reading) -> tuple[float, str]:
    size, horizon = _size(edits[0], reading.network), reading.horizon
    return (
        value * size * float(horizon or 0.0),
        f"{_amount(value)}/unit/period x {_amount(size)} x {horizon:g} periods",
    )


# cost part -> ``(amount, edits, reading) -> (cost in currency, how it was computed)``.
_COST_PARTS: dict[str, Callable[[float, list[Edit], _Reading], tuple[float, str]]] = {
    "fixed": _fixed,
    "per_unit": _per_unit,
    "per_unit_period": _per_unit_period,
    "per_period": _per_period,
}


def _helps(edit: Edit, network: Network, source: str, where: str, problems: list[Problem]) -> bool:
    """Actions only help: no removals, nothing set below what the network has."""
    if isinstance(edit, RemoveSite):
        problems.append(
            Problem(
                source,
                where,
                "edit",
                "remove_site cannot be an action: removing a site never lowers a risk",
            )
        )
        return False
    if isinstance(edit, AddInventory | RaiseCapacity):
        size = _size(edit, network)
        if size < 0:
            what = "inventory" if isinstance(edit, AddInventory) else "capacity"
            problems.append(
                Problem(
                    source,
                    where,
                    "to" if getattr(edit, "to", None) is not None else "factor",
                    f"sets the {what} of {edit.node!r} below what it has ({size:+,.6g}): an action "
                    "must not make anything worse",
                )
            )
            return False
    return True


def parse_actions(data: Any, network: Network, source: str = "actions") -> ActionSet:
    """Candidate actions from parsed YAML, checked against ``network``.

    Parameters
    ----------
    data
        The parsed file: a mapping with ``actions`` (and optionally ``name``,
        ``description``, ``currency``, ``horizon`` in periods), or a list of actions.
    network
        The network the actions apply to.
    source
        What was read (a path), for the messages.

    Returns
    -------
    ActionSet
        The checked actions, with costs in the network's currency.

    Raises
    ------
    InvalidInput
        Listing every problem: ``source, actions[i] (id), field 'x': message`` — a bad
        edit (unknown node, a material the customer does not need, ...), a bad cost,
        a duplicate id, an action that would make things worse, a currency that is
        not the network's.
    """
    problems: list[Problem] = []
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        data = {"actions": data}
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{source}: an actions file is a mapping with 'actions: [...]'")
    reading = _Reading(network, source, _file_horizon(data, source, problems), problems)
    currency = data.get("currency")
    if currency is not None and str(currency) != network.meta.currency:
        reading.problem(
            "",
            "currency",
            f"costs are in {currency!r} but the network's money is {network.meta.currency!r}",
        )
    items = data.get("actions")
    if not isinstance(items, Sequence) or isinstance(items, str | bytes) or not items:
        reading.problem("", "actions", "give a non-empty list of actions")
        raise_problems(problems, f"actions ({source})")
    assert isinstance(items, Sequence)  # raise_problems raised otherwise
    seen: dict[str, int] = {}
    actions = [
        action
        for i, item in enumerate(items)
        if (action := _parse_action(i, item, reading, seen)) is not None
    ]
    raise_problems(problems, f"actions ({source})")
    return ActionSet(
        actions,
        reading.horizon,
        str(data.get("name") or ""),
        str(currency or network.meta.currency),
        source,
    )


def _file_horizon(data: Mapping[str, Any], source: str, problems: list[Problem]) -> float | None:
    """Unknown top-level keys, and the file's horizon (periods) or None when bad or absent."""
    for key in data:
        if key not in _FILE_KEYS:
            problems.append(
                Problem(
                    source,
                    "",
                    str(key),
                    f"unknown key; an actions file has {', '.join(_FILE_KEYS)}",
                )
            )
    horizon = data.get("horizon")
    if horizon is not None and (
        isinstance(horizon, bool)
        or not isinstance(horizon, int | float)
        or not math.isfinite(horizon)
        or horizon <= 0
    ):
        problems.append(
            Problem(source, "", "horizon", f"must be a number of periods > 0, got {horizon!r}")
        )
        return None
    return None if horizon is None else float(horizon)


def _parse_action(i: int, item: Any, reading: _Reading, seen: dict[str, int]) -> Action | None:
    """Action ``i`` of the file, checked, or None (problems recorded)."""
    if not isinstance(item, Mapping):
        reading.problem(f"actions[{i}]", "", "an action must be a mapping")
        return None
    ident = item.get("id")
    where = f"actions[{i}]" + (f" ({ident})" if isinstance(ident, str) else "")
    ok = _action_header(i, item, reading, seen, where)
    edits = _action_edits(item, reading, where)
    if edits is None or not ok:
        return None
    network, source = reading.network, reading.source
    try:
        apply_edits(network, edits, source=f"{source}, {where}")
    except InvalidInput as error:  # its lines already say file, action, edit and field
        lines = str(error).split("\n  - ")[1:] or [str(error)]
        reading.problems.extend(Problem("", "", "", line.strip()) for line in lines)
        return None
    if not all(_helps(e, network, source, where, reading.problems) for e in edits):
        return None
    cost = _cost(item.get("cost"), edits, reading, where)
    if cost is None:
        return None
    for key in ("description", "source"):
        if key in item and not isinstance(item[key], str):
            reading.problem(where, key, "must be text")
    return Action(
        id=str(ident).strip(),
        edits=tuple(edits),
        increments=tuple(_increment(e, network) for e in edits),
        cost=cost[0],
        cost_basis=cost[1],
        description=str(item.get("description") or ""),
        source=str(item.get("source") or ""),
    )


def _action_header(
    i: int, item: Mapping[str, Any], reading: _Reading, seen: dict[str, int], where: str
) -> bool:
    """Unknown fields and the id (present, text, not a duplicate); False on a problem."""
    ok = True
    for key in item:
        if key not in _ACTION_KEYS:
            reading.problem(
                where, str(key), f"unknown field; an action has {', '.join(_ACTION_KEYS)}"
            )
            ok = False
    ident = item.get("id")
    if not isinstance(ident, str) or not ident.strip():
        reading.problem(where, "id", "every action needs an id (text)")
        return False
    if ident in seen:
        reading.problem(where, "id", f"duplicate id {ident!r} (first at actions[{seen[ident]}])")
        return False
    seen[ident] = i
    return ok


def _action_edits(item: Mapping[str, Any], reading: _Reading, where: str) -> list[Edit] | None:
    """The edits of an action (``edit`` or ``edits``), or None when any is bad."""
    if ("edit" in item) == ("edits" in item):
        reading.problem(where, "edit", "give edit (one) or edits (a list)")
        return None
    raw = [item["edit"]] if "edit" in item else item["edits"]
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes) or not raw:
        reading.problem(where, "edits", "must be a non-empty list of edits")
        return None
    edits: list[Edit] = []
    ok = True
    for k, entry in enumerate(raw):
        label = f"{where}, edit" if "edit" in item else f"{where}, edits[{k}]"
        edit = parse_edit(entry, reading.source, label, reading.problems)
        ok = ok and edit is not None
        if edit is not None:
            edits.append(edit)
    return edits if ok else None


def load_actions(path: str | Path, network: Network) -> ActionSet:
    """Read an actions YAML file and check it against ``network``.

    Raises
    ------
    InvalidInput
        The file is missing or not YAML, or an action is bad (file, action, field).
    """
    return parse_actions(read_yaml_file(path), network, str(path))

"""What-if edits as data: strategic inventory, qualified sources, capacity, TTR, removals.

An edit is a small frozen dataclass; a list of them is read from YAML (or built in
Python) and applied with :func:`chipstress.workflows.whatif.apply_edits`. The YAML form
is a list of mappings, or a mapping with ``edits:`` (and optional ``name`` and
``description``); each mapping names its ``type``::

    edits:
      - {type: add_inventory, node: asml_veldhoven, add: 2000}      # units (or to: N)
      - type: qualify_source          # an alternative source in another cluster
        supplier: talent_kyushu       # ships its material (engineer-days) ...
        customer: tsmc_fab21_az       # ... to a customer that needs it
        capacity: 800                 # units per period made available to the customer
        lead_time: 4                  # periods to qualify it
        timing: advance               # advance (done before any disruption) or reactive
        premium: 250                  # currency per unit shipped on top of the normal price
      - {type: raise_capacity, node: port_hakata, add: 500}        # units per period (to:, factor:)
      - {type: cut_ttr, node: tsmc_fab21_az, to: 2, via: talent_hsp}  # periods (or by:)
      - {type: remove_site, node: cryoin_odesa}

Parsing checks shapes and numbers (:func:`parse_edits`, :func:`load_edits`); what needs
the network (node ids, materials, cycles) is checked when the edits are applied. Every
problem is reported at once as ``file, edits[i], field 'x': message``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

from chipstress.errors import InvalidInput, Problem, excerpt
from chipstress.model.io.safe import load_yaml
from chipstress.model.validation import MAX_MAGNITUDE

__all__ = [
    "EDIT_TYPES",
    "TIMINGS",
    "AddInventory",
    "CutTTR",
    "Edit",
    "QualifySource",
    "RaiseCapacity",
    "RemoveSite",
    "collect_edits",
    "describe_edit",
    "edit_to_dict",
    "load_edits",
    "parse_edits",
    "raise_problems",
    "read_yaml_file",
]

TIMINGS = ("advance", "reactive")


@dataclass(frozen=True)
class AddInventory:
    """Strategic stock of a node's own output: ``add`` units more, or ``to`` units in all."""

    node: str
    add: float | None = None
    to: float | None = None
    type: ClassVar[str] = "add_inventory"


@dataclass(frozen=True)
class QualifySource:
    """An alternative source: ``supplier`` qualified to ship its material to ``customer``.

    The supplier dedicates ``capacity`` units per period to the customer (a *qualified
    line*: a node of its own at the supplier's site, with the supplier's BOM and
    suppliers, sharing the supplier's fate). Each unit shipped costs ``premium``
    (currency) on top of the normal price. Qualification takes ``lead_time`` periods:
    ``timing="advance"`` means it is done now, as a mitigation, so the line is there
    throughout any disruption (the lead time only says when it is ready);
    ``"reactive"`` means it starts when a disruption does, so the line produces
    nothing in the first ``lead_time`` periods of every disruption window.
    """

    supplier: str
    customer: str
    capacity: float
    lead_time: float = 0.0
    premium: float = 0.0
    timing: str = "advance"
    type: ClassVar[str] = "qualify_source"


@dataclass(frozen=True)
class RaiseCapacity:
    """More capacity (units per period): ``add`` more, ``to`` in all, or ``factor`` times."""

    node: str
    add: float | None = None
    to: float | None = None
    factor: float | None = None
    type: ClassVar[str] = "raise_capacity"


@dataclass(frozen=True)
class CutTTR:
    """A shorter time to recover (periods): ``to`` periods, or ``by`` periods less.

    ``via`` optionally names the talent pool whose engineers are dispatched to make it
    happen (informational, checked to be a talent node).
    """

    node: str
    to: float | None = None
    by: float | None = None
    via: str | None = None
    type: ClassVar[str] = "cut_ttr"


@dataclass(frozen=True)
class RemoveSite:
    """A site gone for good: the node, its BOM lines, its source edges and its lines."""

    node: str
    type: ClassVar[str] = "remove_site"


Edit = AddInventory | QualifySource | RaiseCapacity | CutTTR | RemoveSite
EDIT_TYPES: dict[str, type[Edit]] = {
    cls.type: cls for cls in (AddInventory, QualifySource, RaiseCapacity, CutTTR, RemoveSite)
}
# Accepted in YAML as another name for ``to``.
_ALIASES = {"set": "to"}
_TEXT_FIELDS = {"node", "supplier", "customer", "via", "timing"}
# field -> (required, minimum, strict minimum): numbers are finite and at least the minimum.
_NUMBERS = {
    "add": (0.0, False),
    "to": (0.0, False),
    "factor": (0.0, True),
    "by": (0.0, True),
    "capacity": (0.0, True),
    "lead_time": (0.0, False),
    "premium": (0.0, False),
}
# Exactly one of these per edit type.
_ONE_OF = {
    "add_inventory": ("add", "to"),
    "raise_capacity": ("add", "to", "factor"),
    "cut_ttr": ("to", "by"),
}


def raise_problems(problems: Sequence[Problem], what: str = "edits") -> None:
    """Raise one :class:`InvalidInput` listing ``problems`` (if any)."""
    if problems:
        listed = "\n  - ".join(str(p) for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise InvalidInput(f"{len(problems)} problem(s) in {what}:\n  - {listed}{more}")


def _number(value: Any) -> float | None:
    """A finite real number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _text(value: Any) -> tuple[Any, str]:
    """A node id (or a timing): text, stripped."""
    if not isinstance(value, str) or not value.strip():
        return None, f"must be text (a node id), got {excerpt(value)}"
    return value.strip(), ""


def _at_least(minimum: float, strict: bool) -> Callable[[Any], tuple[Any, str]]:
    """A checker of finite numbers ``>= minimum`` (``> minimum`` when ``strict``)."""

    def check(value: Any) -> tuple[Any, str]:
        number = _number(value)
        if number is None:
            return None, f"must be a finite number, got {excerpt(value)}"
        if number < minimum or (strict and number <= minimum):
            sign = ">" if strict else ">="
            return None, f"must be {sign} {minimum:g}, got {number:g}"
        if abs(number) > MAX_MAGNITUDE:  # what the solver can take: see model.validation
            return None, f"must be at most {MAX_MAGNITUDE:g}, got {number:g}"
        return number, ""

    return check


# field -> its checker: ``value -> (clean value, problem or "")``.
_FIELD_CHECKS: dict[str, Callable[[Any], tuple[Any, str]]] = {
    **{name: _text for name in _TEXT_FIELDS},
    **{name: _at_least(minimum, strict) for name, (minimum, strict) in _NUMBERS.items()},
}


def check_fields(
    item: Mapping[str, Any],
    cls: type[Edit],
    source: str,
    where: str,
    problems: list[Problem],
) -> dict[str, Any] | None:
    """The keyword arguments of an edit class from a mapping, or None (problems recorded).

    Parameters
    ----------
    item
        The edit as read (``type`` and its fields; ``set`` is an alias of ``to``).
    cls
        The edit class (:data:`EDIT_TYPES`), whose dataclass fields are the ones allowed.
    source, where
        File and location (``edits[2]``), for the problems.
    problems
        Where problems are recorded.

    Returns
    -------
    dict or None
        The checked values by field name, or ``None`` when any field is bad.
    """
    names = {f.name for f in fields(cls)}
    values: dict[str, Any] = {}
    found: list[tuple[str, str]] = []
    for key, value in item.items():
        if key == "type":
            continue
        name = _ALIASES.get(str(key), str(key))
        if name not in names:
            allowed = ", ".join(["type", *sorted(names)])
            found.append((str(key), f"unknown field; {cls.type} takes {allowed}"))
        elif name in values:
            found.append((str(key), f"{name} is given twice"))
        elif value is not None:
            clean, problem = _FIELD_CHECKS[name](value)
            if problem:
                found.append((str(key), problem))
            else:
                values[name] = clean
    found += _edit_problems(cls, values, ok=not found)
    problems.extend(Problem(source, where, name, message) for name, message in found)
    return None if found else values


def _edit_problems(cls: type[Edit], values: dict[str, Any], ok: bool) -> list[tuple[str, str]]:
    """Rules on the edit as a whole: required fields, exactly one of a group, the timing."""
    found = [
        (f.name, f"{cls.type} needs {f.name}")
        for f in fields(cls)
        if f.default is MISSING and f.name not in values
    ]
    group = _ONE_OF.get(cls.type)
    if group is not None:
        given = [name for name in group if name in values]
        if len(given) != 1 and ok and not found:
            found.append(
                (
                    group[0] if not given else given[1],
                    f"give exactly one of {', '.join(group)} (got {', '.join(given) or 'none'})",
                )
            )
    if "timing" in values and values["timing"] not in TIMINGS:
        found.append(
            (
                "timing",
                f"unknown timing {excerpt(values['timing'])}; timings are {', '.join(TIMINGS)}",
            )
        )
    return found


def parse_edit(item: Any, source: str, where: str, problems: list[Problem]) -> Edit | None:
    """One edit from a mapping; problems are recorded and ``None`` returned.

    Parameters
    ----------
    item
        The edit as read (a mapping with a ``type``), or an edit already.
    source
        The file, for problems.
    where
        The location in it (``edits[2]``), for problems.
    problems
        Where problems are recorded.

    Returns
    -------
    Edit or None
        The edit, or ``None`` when it has problems.
    """
    if isinstance(item, AddInventory | QualifySource | RaiseCapacity | CutTTR | RemoveSite):
        return item
    if not isinstance(item, Mapping):
        problems.append(
            Problem(
                source, where, "", f"an edit must be a mapping with a type, got {excerpt(item)}"
            )
        )
        return None
    kind = item.get("type")
    if kind not in EDIT_TYPES:
        known = ", ".join(EDIT_TYPES)
        message = "missing" if kind is None else f"unknown edit type {excerpt(kind)}"
        problems.append(Problem(source, where, "type", f"{message}; types are {known}"))
        return None
    cls = EDIT_TYPES[str(kind)]
    values = check_fields(item, cls, source, where, problems)
    return None if values is None else cls(**values)


def parse_edits(data: Any, source: str = "edits") -> list[Edit]:
    """Edits from parsed YAML (a list, or ``{edits: [...]}``) or a list of edit objects.

    Parameters
    ----------
    data
        The parsed document, a list of mappings, or edit objects.
    source
        The file the edits came from, for messages.

    Returns
    -------
    list of Edit
        The edits, in order.

    Raises
    ------
    InvalidInput
        Listing every problem as ``source, edits[i], field 'x': message``.
    """
    problems: list[Problem] = []
    edits = collect_edits(data, source, problems)
    raise_problems(problems)
    return [edit for _, edit in edits]


def collect_edits(data: Any, source: str, problems: list[Problem]) -> list[tuple[int, Edit]]:
    """The good edits of a document with their positions; problems of the bad are recorded.

    Lets a caller check the good edits further (against a network) and report every
    problem of the file at once.

    Parameters
    ----------
    data
        The parsed document, a list of mappings, or edit objects.
    source
        The file the edits came from, for messages.
    problems
        Where problems are recorded.

    Returns
    -------
    list of (int, Edit)
        Each good edit with its index in the file's list (``edits[i]``).

    Raises
    ------
    InvalidInput
        The document is not a list of edits (nothing else can be checked).
    """
    if isinstance(data, Mapping):
        unknown = [k for k in data if k not in ("edits", "name", "description")]
        for key in unknown:
            problems.append(
                Problem(
                    source, "", str(key), "unknown key; an edits file has edits, name, description"
                )
            )
        data = data.get("edits")
        if data is None:
            problems.append(Problem(source, "", "edits", "no edits: give a list under 'edits'"))
            raise_problems(problems)
    if data is None:
        data = []
    if isinstance(data, AddInventory | QualifySource | RaiseCapacity | CutTTR | RemoveSite):
        data = [data]
    if not isinstance(data, Sequence) or isinstance(data, str | bytes):
        problems.append(
            Problem(source, "", "edits", f"must be a list of mappings, got {type(data).__name__}")
        )
        raise_problems(problems)
    edits = [(i, parse_edit(item, source, f"edits[{i}]", problems)) for i, item in enumerate(data)]
    return [(i, edit) for i, edit in edits if edit is not None]


def read_yaml_file(path: str | Path) -> Any:
    """A YAML file's content (``InvalidInput`` naming the file when it cannot be read)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path}: is a folder, not a YAML file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"{path}: cannot read ({error})") from None
    data = load_yaml(text, str(path))
    if data is None:
        raise InvalidInput(f"{path}: the file is empty")
    return data


def load_edits(path: str | Path) -> list[Edit]:
    """Read an edits YAML file (see the module docstring).

    Raises
    ------
    InvalidInput
        The file is missing, not YAML, or an edit is bad (file, edit index, field).
    """
    return parse_edits(read_yaml_file(path), str(path))


def edit_to_dict(edit: Edit) -> dict[str, Any]:
    """An edit as a plain mapping (its YAML form, unset fields left out)."""
    out: dict[str, Any] = {"type": edit.type}
    out.update({k: v for k, v in asdict(edit).items() if v is not None})
    return out


def _n(value: float) -> str:
    return f"{value:,.6g}"


def describe_edit(edit: Edit) -> str:
    """An edit in words (units: the network's units and periods)."""
    if isinstance(edit, AddInventory):
        how = f"+{_n(edit.add)} units" if edit.add is not None else f"to {_n(edit.to or 0.0)} units"
        return f"inventory at {edit.node} {how}"
    if isinstance(edit, RaiseCapacity):
        if edit.add is not None:
            how = f"+{_n(edit.add)} per period"
        elif edit.to is not None:
            how = f"to {_n(edit.to)} per period"
        else:
            how = f"x{_n(edit.factor or 1.0)}"
        return f"capacity of {edit.node} {how}"
    if isinstance(edit, CutTTR):
        how = (
            f"to {_n(edit.to)} periods"
            if edit.to is not None
            else f"by {_n(edit.by or 0.0)} periods"
        )
        via = f" (engineers from {edit.via})" if edit.via else ""
        return f"time to recover of {edit.node} {how}{via}"
    if isinstance(edit, QualifySource):
        lead = f", lead time {_n(edit.lead_time)} ({edit.timing})" if edit.lead_time else ""
        premium = f", premium {_n(edit.premium)}/unit" if edit.premium else ""
        return (
            f"qualify {edit.supplier} for {edit.customer}: {_n(edit.capacity)} per period"
            f"{lead}{premium}"
        )
    return f"remove {edit.node}"

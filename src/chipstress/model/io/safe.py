"""Parsing YAML and JSON text within budgets: every document chipstress reads goes through here.

A file or request body is read by :func:`load_yaml` or :func:`load_json`; both raise
:class:`~chipstress.errors.InvalidDocument` (an
:class:`~chipstress.errors.InvalidInput`) with ``"<label>, line L: ..."`` for text that
is not valid or breaks a budget, and never let a ``RecursionError``, ``MemoryError``,
``OverflowError`` or a parser's own exception through. The budgets:

* **size** — at most :data:`MAX_TEXT_BYTES` (128 MiB) of text, checked before parsing;
* **depth** — mappings and lists nested at most :data:`MAX_DEPTH` (100) levels deep,
  aliases expanded (far more than any chipstress document needs; libyaml itself stops
  at 1,000);
* **aliases** — YAML anchors and aliases are allowed, but the document with every
  alias expanded may hold at most ``max(MAX_EXPANDED_NODES, 2 × its own node count)``
  nodes (:data:`MAX_EXPANDED_NODES` is 1,000,000). A "billion laughs" bomb (ten
  nested anchors, 10^10 nodes once expanded, about 550 bytes) is refused in milliseconds,
  naming the line of the first anchor that blows the budget; a recursive alias is
  refused too. Loaded data still shares aliased values (nothing is copied);
* **duplicate keys** — a mapping that gives a key twice is refused with the line of
  the second one (YAML's own rule; PyYAML would keep the last silently). Merge keys
  (``<<: *base``) may still be overridden;
* **numbers** — an integer of more than :data:`MAX_INT_DIGITS` (308) digits cannot
  become a float and is refused; floats may be ``inf`` or ``nan`` here and are checked
  for range where they are used (see :mod:`chipstress.model.validation`).

YAML is parsed by libyaml (PyYAML's ``CSafeLoader``) where available: the C composer
builds the node graph, one iterative pass over the graph (shared alias nodes visited
once) checks the budgets, and the safe constructor builds the data. JSON is parsed by
the standard library's C scanner; a text with at least :data:`MAX_DEPTH` opening
brackets is first scanned for its nesting depth without recursion.

:func:`chipstress.errors.excerpt` shows a value in messages: at most 80 characters,
computed without expanding shared or nested values.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from chipstress.errors import InvalidDocument, InvalidInput, excerpt

__all__ = [
    "MAX_DEPTH",
    "MAX_EXPANDED_NODES",
    "MAX_INT_DIGITS",
    "MAX_TEXT_BYTES",
    "load_json",
    "load_yaml",
    "load_yaml_file",
]

MAX_TEXT_BYTES = 128 * 1024 * 1024
MAX_DEPTH = 100
MAX_EXPANDED_NODES = 1_000_000
MAX_INT_DIGITS = 308

try:  # the C parser is much faster on large files where libyaml is available
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

_INT_TAG = "tag:yaml.org,2002:int"
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _size_check(text: str | bytes, label: str) -> None:
    if len(text) > MAX_TEXT_BYTES:
        raise InvalidDocument(
            label,
            None,
            f"{len(text) / 2**20:,.0f} MiB is too large (at most {MAX_TEXT_BYTES // 2**20} MiB)",
        )


# --------------------------------------------------------------------------- YAML
class _Walk:
    """State of one pass over a composed YAML graph (see :func:`_check_graph`)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.size: dict[int, int] = {}  # expanded node count per finished collection
        self.height: dict[int, int] = {}  # expanded nesting levels per finished collection
        self.open: set[int] = set()  # collections entered and not finished
        self.unique = 0  # nodes written in the text
        self.first_too_big: yaml.Node | None = None
        self.stack: list[tuple[yaml.Node, int, list[yaml.Node] | None]] = []

    def finish(self, node: yaml.Node, kids: list[yaml.Node]) -> None:
        """Measure a collection whose children are all measured."""
        total, high = 1, 0
        for child in kids:
            if child.__class__ is yaml.ScalarNode:
                total, high = total + 1, high or 1
            else:
                total += self.size[id(child)]
                high = max(high, self.height[id(child)])
        self.size[id(node)], self.height[id(node)] = total, high + 1
        self.open.discard(id(node))
        if self.first_too_big is None and total > MAX_EXPANDED_NODES:
            self.first_too_big = node

    def enter(self, node: yaml.Node, depth: int) -> None:
        """Check a collection's keys and queue its children (aliases measured at once)."""
        if depth > MAX_DEPTH:
            _too_deep(self.label, node)
        self.unique += 1
        kids = _children(node)
        if node.__class__ is yaml.MappingNode:
            _check_keys(node, self.label)
        self.open.add(id(node))
        self.stack.append((node, depth, kids))
        for child in kids:
            if child.__class__ is yaml.ScalarNode:
                self.unique += 1
                _check_scalar(child, self.label)
            elif id(child) in self.size:  # an alias of a finished collection
                if depth + self.height[id(child)] > MAX_DEPTH:
                    _too_deep(self.label, child)
            elif id(child) in self.open:
                raise InvalidDocument(
                    self.label,
                    _line(child),
                    "an alias refers to the anchor it is inside (a recursive alias), "
                    "which chipstress does not read",
                )
            else:
                self.stack.append((child, depth + 1, None))


def _check_graph(root: yaml.Node, label: str) -> None:
    """Depth, alias expansion, duplicate keys and huge integers of a composed YAML graph.

    One iterative post-order pass over the collections; a node reached twice (an
    alias) is measured once and its expanded size reused, so the pass costs the size
    of the text, not of the expansion.
    """
    if isinstance(root, yaml.ScalarNode):
        _check_scalar(root, label)
        return
    walk = _Walk(label)
    walk.stack.append((root, 1, None))
    while walk.stack:
        node, depth, kids = walk.stack.pop()
        if kids is None:
            walk.enter(node, depth)
        else:
            walk.finish(node, kids)
    total = walk.size[id(root)]
    budget = max(MAX_EXPANDED_NODES, 2 * walk.unique)
    if total > budget:
        raise InvalidDocument(
            label,
            _line(walk.first_too_big) if walk.first_too_big is not None else None,
            f"aliases expand the document to {total:,} values (it writes {walk.unique:,}); "
            f"at most {budget:,} are read: write the values out or use fewer aliases",
        )


def _check_scalar(node: yaml.ScalarNode, label: str) -> None:
    if node.tag == _INT_TAG and len(node.value) > MAX_INT_DIGITS:
        raise InvalidDocument(
            label,
            _line(node),
            f"integer {excerpt(node.value)} has "
            f"{len(node.value):,} digits; at most {MAX_INT_DIGITS} are read",
        )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _line(node: yaml.Node) -> int | None:
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark is not None else None


def _too_deep(label: str, node: yaml.Node) -> None:
    raise InvalidDocument(
        label, _line(node), f"nested more than {MAX_DEPTH} levels deep (aliases expanded)"
    )


def _check_keys(node: yaml.MappingNode, label: str) -> None:
    keys = [k.value for k, _ in node.value if k.__class__ is yaml.ScalarNode]
    if len(set(keys)) == len(keys):
        return
    seen: dict[tuple[str, str], int | None] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
            continue
        key = (key_node.tag, key_node.value)
        if key in seen:
            first = seen[key]
            also = f" (first at line {first})" if first else ""
            raise InvalidDocument(
                label,
                _line(key_node),
                f"key {excerpt(key_node.value)} appears "
                f"twice in one mapping{also}; give each key once",
            )
        seen[key] = _line(key_node)


def load_yaml(text: str | bytes, label: str) -> Any:
    """Parse YAML text within the module's budgets (size, depth, aliases, keys, integers).

    Parameters
    ----------
    text
        The YAML text (bytes are decoded as UTF-8).
    label
        What the text is (a file name, ``yaml`` for a request field), for messages.

    Returns
    -------
    Any
        The parsed document (``None`` for an empty one).

    Raises
    ------
    InvalidDocument
        ``"<label>, line L: ..."``: not valid YAML, or a budget broken.
    """
    _size_check(text, label)
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark
            line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
            reason = error.problem or str(error)
            raise InvalidDocument(label, line, f"is not valid YAML: {reason}", column) from None
        except yaml.YAMLError as error:
            raise InvalidDocument(
                label, None, f"is not valid YAML: {excerpt(str(error), 200)}"
            ) from None
        except (RecursionError, MemoryError):
            raise InvalidDocument(label, None, "nested too deeply to read") from None
        if node is None:
            return None
        _check_graph(node, label)
        try:
            return loader.construct_document(node)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark
            line = mark.line + 1 if mark is not None else None
            raise InvalidDocument(label, line, f"{error.problem}") from None
        except (ValueError, OverflowError) as error:
            raise InvalidDocument(label, None, f"{excerpt(str(error), 200)}") from None
    finally:
        loader.dispose()


def load_yaml_file(path: str | Path) -> Any:
    """Read and parse a YAML file within the module's budgets.

    Parameters
    ----------
    path
        The YAML file; it is named in every message.

    Returns
    -------
    Any
        The parsed document (``None`` for an empty one).

    Raises
    ------
    InvalidInput
        No such file, a folder, unreadable or not UTF-8 text.
    InvalidDocument
        Not valid YAML, or a budget broken (file and line named).
    """
    path = Path(path)
    try:
        if path.is_dir():
            raise InvalidInput(f"{path}: is a folder, not a YAML file")
        if path.stat().st_size > MAX_TEXT_BYTES:
            raise InvalidInput(f"{path}: larger than {MAX_TEXT_BYTES // 2**20} MiB: too large")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except UnicodeDecodeError as error:
        raise InvalidInput(f"{path}: not UTF-8 text (byte {error.start} is invalid)") from None
    except OSError as error:
        raise InvalidInput(f"{path}: cannot read ({error.strerror or error})") from None
    return load_yaml(text, str(path))


# --------------------------------------------------------------------------- JSON
_TOKEN = np.zeros(256, bool)
_TOKEN[[ord(c) for c in '[]{}"']] = True
_STEP = np.zeros(256, np.int8)
_STEP[[ord("["), ord("{")]] = 1
_STEP[[ord("]"), ord("}")]] = -1
_DIGIT = np.zeros(256, np.int8)
_DIGIT[ord("0") : ord("9") + 1] = 1


def _has_long_digit_run(data: bytes) -> bool:
    """Whether the bytes hold more than :data:`MAX_INT_DIGITS` digits in a row (vectorised)."""
    if len(data) <= MAX_INT_DIGITS:
        return False
    digits = np.concatenate(([0], _DIGIT[np.frombuffer(data, np.uint8)], [0]))
    edges = np.flatnonzero(np.diff(digits))  # run starts and ends, alternating
    return bool(len(edges)) and int((edges[1::2] - edges[::2]).max()) > MAX_INT_DIGITS


def _json_depth(data: bytes) -> int:
    """The deepest nesting of JSON bytes (brackets inside strings left out), no recursion.

    Only quotes and brackets are looked at, in vectorised passes, so a big document
    costs a few milliseconds per megabyte.
    """
    if data.count(b"[") + data.count(b"{") < MAX_DEPTH:
        return 0
    text = np.frombuffer(data, np.uint8)
    where = np.flatnonzero(_TOKEN[text])
    chars = text[where]
    quote = chars == ord('"')
    # A quote after a backslash is escaped when the backslash run is odd (rare: a loop).
    after_backslash = quote & (text[np.maximum(where - 1, 0)] == 0x5C) & (where > 0)
    for i in np.flatnonzero(after_backslash).tolist():
        at = int(where[i]) - 1
        run = 0
        while at >= 0 and data[at] == 0x5C:
            run, at = run + 1, at - 1
        quote[i] = run % 2 == 0
    inside = (np.cumsum(quote, dtype=np.int64) % 2 == 1) & ~quote
    steps = np.where(inside, 0, _STEP[chars]).astype(np.int32)
    return int(np.cumsum(steps).max(initial=0))


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _HugeInt(text)
    return int(text)


class _HugeInt(ValueError):
    """An integer literal too long to use (caught in :func:`load_json`)."""


def load_json(text: str | bytes, label: str) -> Any:
    """Parse JSON text within the module's budgets (size, depth, integers).

    ``NaN``, ``Infinity`` and ``-Infinity`` are read as floats; callers check the
    range of the numbers they use.

    Parameters
    ----------
    text
        The JSON text (bytes are decoded as UTF-8).
    label
        What the text is (a file name), for messages.

    Returns
    -------
    Any
        The parsed document.

    Raises
    ------
    InvalidDocument
        ``"<label>, line L: ..."``: not valid JSON, or a budget broken.
    """
    _size_check(text, label)
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    depth = _json_depth(data)
    if depth > MAX_DEPTH:
        raise InvalidDocument(
            label, None, f"nested {depth:,} levels deep; at most {MAX_DEPTH} levels are read"
        )
    try:
        if _has_long_digit_run(data):  # rare: check every integer's length as it is read
            return json.loads(text, parse_int=_parse_int)
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidDocument(
            label, error.lineno, f"is not valid JSON: {error.msg}", error.colno
        ) from None
    except _HugeInt as error:
        digits = str(error)
        found = data.find(digits.encode("ascii"))
        line = data.count(b"\n", 0, found) + 1 if found >= 0 else None
        raise InvalidDocument(
            label,
            line,
            f"integer {excerpt(digits)} has {len(digits):,} digits; at most {MAX_INT_DIGITS} "
            "are read",
        ) from None
    except (RecursionError, MemoryError):
        raise InvalidDocument(label, None, "nested too deeply to read") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidDocument(label, None, f"not valid JSON ({excerpt(str(error), 200)})") from None

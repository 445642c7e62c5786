"""Exceptions raised by chipstress.

Every error a user can cause derives from :class:`ChipstressError`; the CLI turns
any of them into a message and exit code 1, never a traceback::

    ChipstressError
    ├── InvalidNetwork      a network file or table breaks the schema or a rule;
    │                       carries every :class:`Problem` found, not just the first
    └── InvalidInput        any other bad input: a disruption naming an unknown node,
        │                   an unreadable parameter file, an unknown built-in name
        └── InvalidDocument a YAML or JSON text that is not valid or breaks a budget
                            (size, depth, aliases, duplicate keys); names file and line
"""

from __future__ import annotations

import reprlib
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ChipstressError",
    "InvalidDocument",
    "InvalidInput",
    "InvalidNetwork",
    "Problem",
    "excerpt",
]


class ChipstressError(Exception):
    """Base class of every error chipstress raises on bad input."""


class InvalidInput(ChipstressError):
    """Bad input that is not a network: parameters, disruptions, CLI arguments."""


class InvalidDocument(InvalidInput):
    """A YAML or JSON text that cannot be read: not valid, or over a budget.

    Parameters
    ----------
    file
        The file (or request field) the text came from.
    line
        1-based line the problem is at, or ``None`` when it concerns the whole text.
    message
        What is wrong, in words a user can act on.
    column
        1-based column, when the parser knows it.
    """

    def __init__(
        self, file: str, line: int | None, message: str, column: int | None = None
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        self.location = f"line {line}" if line else ""
        if line and column:
            self.location += f", column {column}"
        where = ", ".join(part for part in (file, self.location) if part)
        super().__init__(f"{where}: {message}" if where else message)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a network, and where it is.

    Parameters
    ----------
    file
        File (or table) the problem is in, e.g. ``nodes.csv``.
    location
        Where in the file: ``row 7`` (1-based data row, header excluded),
        ``nodes[3]`` in a YAML list, ``c.T2_1`` in a reference JSON, or ``""``
        for the whole file.
    field
        Column or key concerned, or ``""``.
    message
        What is wrong, in words a user can act on.
    """

    file: str
    location: str
    field: str
    message: str

    def __str__(self) -> str:
        where = ", ".join(part for part in (self.file, self.location) if part)
        if self.field:
            where = f"{where}, field '{self.field}'" if where else f"field '{self.field}'"
        return f"{where}: {self.message}" if where else self.message


class InvalidNetwork(ChipstressError):
    """A network failed to load; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem], source: str = "") -> None:
        self.problems = list(problems)
        self.source = source
        head = f"{source}: " if source else ""
        count = len(self.problems)
        lines = [f"{head}{count} problem{'s' if count != 1 else ''} in network"]
        lines += [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxdict = 6
_REPR.maxstring = _REPR.maxother = 80
_REPR.maxlong = 40


def excerpt(value: Any, limit: int = 80) -> str:
    """A value as text for a message, at most ``limit`` characters.

    Strings are quoted; lists and mappings show their first items only, so a huge or
    alias-expanded value costs no more than a short one.

    Parameters
    ----------
    value
        Anything.
    limit
        Most characters returned (at least 8).

    Returns
    -------
    str
        The excerpt, ending in ``...`` when cut.
    """
    if hasattr(value, "dtype") and hasattr(value, "tolist"):  # numpy scalars and arrays
        size = getattr(value, "size", 1)
        value = value.tolist() if size <= 1000 else f"<array of {size:,} values>"
    if isinstance(value, str):
        text = repr(value[: limit + 1])
    elif isinstance(value, bool | float) or value is None:
        text = str(value)
    else:
        try:
            text = _REPR.repr(value)
        except Exception:
            text = f"<{type(value).__name__}>"
    limit = max(limit, 8)
    return text if len(text) <= limit else text[: limit - 3] + "..."

"""Exceptions raised by chipstress.

Every error a user can cause derives from :class:`ChipstressError`; the CLI turns
any of them into a message and exit code 1, never a traceback::

    ChipstressError
    ├── InvalidNetwork      a network file or table breaks the schema or a rule;
    │                       carries every :class:`Problem` found, not just the first
    └── InvalidInput        any other bad input: a disruption naming an unknown node,
                            an unreadable parameter file, an unknown built-in name
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ChipstressError", "InvalidInput", "InvalidNetwork", "Problem"]


class ChipstressError(Exception):
    """Base class of every error chipstress raises on bad input."""


class InvalidInput(ChipstressError):
    """Bad input that is not a network: parameters, disruptions, CLI arguments."""


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

"""What every CLI command shares: consoles, loading with progress, turning errors into exit codes.

Exit codes: 0 ok, 1 bad input (any :class:`ChipstressError`), 2 usage error (typer).
Results go to stdout; progress, notes and errors go to stderr.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from chipstress.errors import ChipstressError, InvalidInput, InvalidNetwork
from chipstress.model import Network, read_network

__all__ = [
    "check_periods",
    "console",
    "error_console",
    "fail_on_bad_input",
    "load_network",
    "progress",
    "step",
    "write_table",
]

# Piped output is not squeezed into 80 columns: tables stay readable in files and logs.
_PIPE_WIDTH = 160
console = Console(
    highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else _PIPE_WIDTH
)
error_console = Console(
    stderr=True, highlight=False, soft_wrap=True, width=None if sys.stderr.isatty() else _PIPE_WIDTH
)

T = TypeVar("T")


def progress(transient: bool = True) -> Progress:
    """A progress bar on stderr (it disappears when done unless ``transient=False``)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=error_console,
        transient=transient,
        disable=not error_console.is_terminal,
    )


def step(description: str, work: Callable[[], T]) -> T:
    """Run ``work()`` behind a spinner that says what is happening."""
    with (
        error_console.status(description) if error_console.is_terminal else contextlib.nullcontext()
    ):
        return work()


def load_network(source: str | Path) -> Network:
    """Read a network (file, folder or built-in name) behind a spinner."""
    return step(f"Loading {source}", lambda: read_network(source))


def print_problems(error: InvalidNetwork) -> None:
    """Every problem of an invalid network, one per line, on stdout."""
    count = len(error.problems)
    console.print(
        f"[red]✗[/red] {escape(error.source or 'network')}: {count} problem{'s' if count != 1 else ''}"
    )
    for problem in error.problems:
        console.print(f"  - {problem}", markup=False)


def check_periods(value: float | None) -> float | None:
    """Typer callback of a ``--duration`` option: a finite number of periods >= 0.

    Parameters
    ----------
    value
        The option's value in periods (``None``: not given).

    Returns
    -------
    float or None
        ``value`` unchanged.

    Raises
    ------
    typer.BadParameter
        ``nan``, an infinite, negative or too large number (exit code 2).
    """
    from chipstress.model.validation import MAX_MAGNITUDE

    if value is None:
        return None
    if math.isnan(value):
        raise typer.BadParameter("nan is not a number of periods: give a number >= 0")
    if not 0 <= value <= MAX_MAGNITUDE:
        raise typer.BadParameter(
            f"{value:g} is not a number of periods: give a number from 0 to {MAX_MAGNITUDE:g}"
        )
    return value


@contextlib.contextmanager
def fail_on_bad_input() -> Iterator[None]:
    """Turn a :class:`ChipstressError` into a message on stderr and exit code 1.

    A file the operating system refuses to read or write (``OSError``: no such
    folder, permission denied, disk full) is reported the same way, naming the file.
    """
    try:
        yield
    except InvalidNetwork as error:
        error_console.print(
            f"[red]error:[/red] {error.source or 'network'} is not a valid network:"
        )
        for problem in error.problems:
            error_console.print(f"  - {problem}", markup=False)
        raise typer.Exit(1) from None
    except ChipstressError as error:
        error_console.print("[red]error:[/red] " + escape(str(error)))
        raise typer.Exit(1) from None
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        reason = error.strerror or str(error)
        error_console.print("[red]error:[/red] " + escape(f"{where}{reason}"))
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        error_console.print("[yellow]interrupted[/yellow]")
        raise typer.Exit(130) from None


def is_terminal() -> bool:
    """True when stdout is an interactive terminal."""
    return sys.stdout.isatty()


def plain(value: Any) -> str:
    """A number or text as a short string for tables."""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def write_table(table: pd.DataFrame, path: Path) -> None:
    """Write a result table as CSV or Parquet (by extension), atomically."""
    from chipstress.model.io.files import atomic_file

    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        with atomic_file(Path(path), "wb") as handle:
            table.to_parquet(handle, index=False)
    elif suffix == ".csv":
        with atomic_file(Path(path)) as handle:
            table.to_csv(handle, index=False)
    else:
        raise InvalidInput(f"{path}: write results to a .csv or .parquet file")

"""What every CLI command shares: consoles, loading with progress, turning errors into exit codes.

Exit codes: 0 ok, 1 bad input (any :class:`ChipstressError`), 2 usage error (typer).
Results go to stdout; progress, notes and errors go to stderr.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import typer

from chipstress.errors import ChipstressError, InvalidInput, InvalidNetwork
from chipstress.interfaces.cli._process import end_start_up

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console
    from rich.progress import Progress

    from chipstress.model import Network

__all__ = [
    "PROGRESS_ENV",
    "check_periods",
    "console",
    "error_console",
    "escape",
    "fail_on_bad_input",
    "load_network",
    "money",
    "progress",
    "progress_reporter",
    "step",
    "write_table",
]

PROGRESS_ENV = "CHIPSTRESS_PROGRESS_LINES"

# Piped output is not squeezed into 80 columns: tables stay readable in files and logs.
_PIPE_WIDTH = 160


class _LazyConsole:
    """A rich ``Console`` made on first use: importing rich is a sixth of every ``--help``.

    Attribute reads and writes go to the console; :meth:`real` gives the console itself
    (for rich objects that take one, such as a progress bar).
    """

    def __init__(self, stderr: bool) -> None:
        object.__setattr__(self, "_stderr", stderr)
        object.__setattr__(self, "_console", None)

    def real(self) -> Console:
        """The console, made the first time (width 160 when its stream is not a terminal).

        Returns
        -------
        rich.console.Console
            The console writing to stdout (or stderr).
        """
        made = object.__getattribute__(self, "_console")
        if made is None:
            from rich.console import Console

            stderr = object.__getattribute__(self, "_stderr")
            stream = sys.stderr if stderr else sys.stdout
            made = Console(
                stderr=stderr,
                highlight=False,
                soft_wrap=True,
                width=None if stream.isatty() else _PIPE_WIDTH,
            )
            object.__setattr__(self, "_console", made)
        return cast("Console", made)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.real(), name, value)


console = cast("Console", _LazyConsole(stderr=False))
error_console = cast("Console", _LazyConsole(stderr=True))


def escape(text: str) -> str:
    """Text with rich markup escaped (``[red]`` prints as it is).

    Parameters
    ----------
    text
        Any text.

    Returns
    -------
    str
        The text, safe to print with markup on.
    """
    from rich.markup import escape as rich_escape

    return rich_escape(text)


T = TypeVar("T")


def progress(transient: bool = True) -> Progress:
    """A progress bar on stderr (it disappears when done unless ``transient=False``)."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=cast("_LazyConsole", error_console).real(),
        transient=transient,
        disable=not error_console.is_terminal,
    )


def step(description: str, work: Callable[[], T]) -> T:
    """Run ``work()`` behind a spinner that says what is happening."""
    with (
        error_console.status(description) if error_console.is_terminal else contextlib.nullcontext()
    ):
        return work()


def progress_reporter(bar: Progress, task: Any) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback: it moves ``bar`` and may print plain lines.

    A terminal sees the bar. When stderr is not a terminal (piped, logged, run by a
    scheduler) the bar is hidden and ``progress DONE/TOTAL`` lines go to stderr instead,
    one per tenth of the work and one at the end. ``$CHIPSTRESS_PROGRESS_LINES=1`` prints
    a line at every step (terminal or not), ``=0`` never.

    Parameters
    ----------
    bar
        The progress bar (:func:`progress`).
    task
        The bar's task id.

    Returns
    -------
    callable
        ``report(done, total)``, counts of work items (chunks, years, scenarios).
    """
    setting = os.environ.get(PROGRESS_ENV, "").strip()
    every_step = setting == "1"
    piped = setting != "0" and not error_console.is_terminal
    printed = {"tenth": -1}

    def report(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)
        if every_step:
            error_console.print(f"progress {done}/{total}")
        elif piped and total > 0:
            tenth = min(10, 10 * done // total)
            if tenth > printed["tenth"] and (tenth > 0 or done == 0):
                printed["tenth"] = tenth
                error_console.print(f"progress {done}/{total}")

    return report


def money(value: float | None, currency: str = "") -> str:
    """An amount of money as every CLI command prints it: ``3,423,780,000 USD``.

    The rule of the report and the dashboard (and of the workflows' own summaries):
    whole units with thousands separators from 100 up, cents below, never e-notation.

    Parameters
    ----------
    value
        The amount, in the network's currency (``None``/NaN: unknown).
    currency
        Appended after a space when given (e.g. ``USD``).

    Returns
    -------
    str
        ``3,423,780,000``, ``12.50``, ``0``; ``n/a`` for a missing value, ``∞`` for an
        unbounded one.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    amount = float(value)
    if math.isinf(amount):
        return "∞" if amount > 0 else "-∞"
    if amount == 0:
        return f"0 {currency}".rstrip()
    text = f"{amount:,.0f}" if abs(amount) >= 100 else f"{amount:,.2f}"
    return f"{text} {currency}".rstrip()


def load_network(source: str | Path) -> Network:
    """Read a network (file, folder or built-in name) behind a spinner.

    The command's start-up ends here
    (:func:`~chipstress.interfaces.cli._process.end_start_up`).
    """
    from chipstress.model import read_network

    network = step(f"Loading {source}", lambda: read_network(source))
    end_start_up()
    return network


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

"""``chipstress --help`` loads only what parsing the arguments needs (issue 17).

Each case runs the CLI in a fresh interpreter and lists the modules it imported: the
help of the program and of every command must not pull in pandas, NumPy, plotly,
HiGHS, the store, the engine, the workflows or the HTTP API. A behaviour test, not a
timing one: the figures are in ``benchmarks/bench_cli.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from chipstress.interfaces.cli import app
from chipstress.interfaces.cli._options import (
    RUN_KIND_NAMES,
    ExecutorChoice,
    MeasureChoice,
    MetricChoice,
)

HEAVY = (
    "pandas",
    "numpy",
    "scipy",
    "plotly",
    "highspy",
    "duckdb",
    "pyarrow",
    "networkx",
    "fastapi",
    "uvicorn",
    "chipstress.model",
    "chipstress.engine",
    "chipstress.workflows",
    "chipstress.store",
    "chipstress.interfaces.api",
    "chipstress.interfaces.report",
    "chipstress.interfaces.figures",
)

# The modules are listed by an exit function: the script ends the process without the
# interpreter's teardown once the command is done (chipstress.interfaces.cli._process),
# after running the exit functions.
_PROBE = """
import atexit, json, sys
sys.argv = ["chipstress", *json.loads(sys.argv[1])]
atexit.register(lambda: print(json.dumps({"modules": sorted(sys.modules)}), file=sys.stderr))
from chipstress.interfaces.cli import main
main()
"""


def _modules_after(args: list[str]) -> tuple[int, set[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return done.returncode, set(report["modules"]), done.stdout


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def _commands() -> list[list[str]]:
    """Every command and sub-command path, as argument lists."""
    import typer.main

    group = typer.main.get_command(app)
    paths: list[list[str]] = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        paths.append([name])
        for sub in getattr(command, "commands", {}):
            paths.append([name, sub])
    return paths


def test_program_help_imports_nothing_heavy() -> None:
    code, modules, stdout = _modules_after(["--help"])
    assert code == 0 and "Usage: chipstress" in stdout
    assert _heavy(modules) == []
    # the probe is not vacuous: the package and typer were imported
    assert {"chipstress", "chipstress.interfaces.cli", "typer"} <= modules


def test_the_probe_sees_a_heavy_import() -> None:
    """The same probe on a command that runs finds pandas and the model: it can fail."""
    code, modules, _ = _modules_after(["info", "tri-cluster"])
    assert code == 0
    assert {"pandas", "chipstress.model"} <= set(_heavy(modules))


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_command_help_imports_nothing_heavy(command: list[str]) -> None:
    code, modules, stdout = _modules_after([*command, "--help"])
    assert code == 0 and "Usage: chipstress" in stdout
    assert _heavy(modules) == [], command


def test_version_is_printed_without_the_model() -> None:
    code, modules, stdout = _modules_after(["--version"])
    assert code == 0 and stdout.startswith("chipstress ")
    assert _heavy(modules) == []


def test_choice_enums_mirror_the_workflows() -> None:
    """The light option enums keep the values of the enums the commands hand them to."""
    from chipstress.executors import ExecutorKind
    from chipstress.results import RunKind
    from chipstress.workflows import Metric
    from chipstress.workflows.plan import Measure

    assert [m.value for m in MetricChoice] == [m.value for m in Metric]
    assert [m.value for m in ExecutorChoice] == [m.value for m in ExecutorKind]
    assert [m.value for m in MeasureChoice] == [m.value for m in Measure]
    assert list(RUN_KIND_NAMES) == [k.value for k in RunKind]

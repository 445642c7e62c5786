"""One name per operation: the workflow registry, the CLI commands, the API jobs and the
stored run kinds list the same operations."""

from __future__ import annotations

import typer.main

from chipstress.interfaces.api import create_app
from chipstress.interfaces.cli import app as cli_app
from chipstress.results import RunKind
from chipstress.store import RUN_KINDS
from chipstress.workflows.operations import OPERATIONS, operation

# CLI commands that are not operations (they read, convert or serve networks and runs,
# or watch sources: the watcher stores each alert's scenario as a scenario run).
NOT_OPERATIONS = {
    "convert",
    "demo",
    "explain",
    "export",
    "generate",
    "hazards",
    "import",
    "info",
    "news",
    "report",
    "runs",
    "serve",
    "template",
    "validate",
    "watch",
}


def _registry() -> set[str]:
    return {kind.value for kind in OPERATIONS}


def _cli_commands() -> set[str]:
    group = typer.main.get_command(cli_app)
    return set(group.commands)  # type: ignore[attr-defined]


def _api_jobs() -> set[str]:
    app = create_app(workers=1)
    try:
        return {
            path.removeprefix("/api/jobs/")
            for path, methods in app.openapi()["paths"].items()
            if path.startswith("/api/jobs/")
            and "post" in methods
            and not methods["post"].get("deprecated", False)
        }
    finally:
        app.state.chipstress.jobs.close()
        app.state.chipstress.store.close()
        app.state.chipstress.registry.close()


def test_every_run_kind_is_an_operation() -> None:
    assert _registry() == {kind.value for kind in RunKind} == set(RUN_KINDS)


def test_the_cli_has_one_command_per_operation() -> None:
    commands = _cli_commands()
    assert commands - NOT_OPERATIONS == _registry()


def test_the_api_has_one_job_per_operation() -> None:
    assert _api_jobs() == _registry()


def test_operation_lookup() -> None:
    assert operation("outage") is OPERATIONS[RunKind.OUTAGE]
    assert operation(RunKind.SIMULATE).__name__ == "simulate"

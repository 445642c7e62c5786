"""How the ``chipstress`` script's process starts and ends (``cli._process``, issue 17).

Start-up pauses the garbage collector until the network is loaded; the process ends
without the interpreter's teardown, after the exit functions, with the command's status
and its whole output. The exit is checked in fresh interpreters: an object whose
finaliser writes ``teardown ran`` tells whether the teardown happened.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from chipstress.interfaces.cli import _process, app
from chipstress.interfaces.cli._common import load_network
from chipstress.interfaces.cli._process import begin_start_up, end_start_up, exit_at_once


@pytest.fixture
def collector() -> Iterator[None]:
    """Leave the collector of the test process as it was: enabled, nothing frozen."""
    assert gc.get_freeze_count() == 0
    enabled = gc.isenabled()
    try:
        yield
    finally:
        gc.unfreeze()
        _process._start_up["collector_paused"] = False
        if enabled:
            gc.enable()
        else:  # pragma: no cover - the suite runs with the collector on
            gc.disable()


def test_start_up_pauses_the_collector_and_its_end_freezes_what_is_alive(
    collector: None,
) -> None:
    begin_start_up()
    assert not gc.isenabled()
    alive = [[index] for index in range(1000)]  # tracked objects made during start-up
    end_start_up()
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    assert frozen >= len(alive)
    made_later = [[index] for index in range(1000)]
    end_start_up()  # once only: later objects stay with the collector
    assert gc.get_freeze_count() == frozen
    # frozen objects are out of the collector's generations (gc.get_objects lists those)
    collected = {id(item) for item in gc.get_objects()}
    assert not any(id(item) in collected for item in alive)
    assert all(id(item) in collected for item in made_later)


def test_a_collector_the_caller_paused_stays_paused(collector: None) -> None:
    gc.disable()
    begin_start_up()
    end_start_up()
    assert not gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_without_begin_nothing_changes(collector: None) -> None:
    end_start_up()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_loading_the_network_ends_start_up(collector: None) -> None:
    begin_start_up()
    network = load_network("tri-cluster")
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0
    assert network.n_nodes > 0


def test_serve_ends_start_up_before_serving(
    collector: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    seen: dict[str, object] = {}

    def run(app: object, **options: object) -> None:
        seen["collector_on"] = gc.isenabled()
        seen["frozen"] = gc.get_freeze_count()

    monkeypatch.setattr(uvicorn, "run", run)
    begin_start_up()
    result = CliRunner().invoke(app, ["serve", "--port", "0"])
    assert result.exit_code == 0, result.output
    assert seen["collector_on"] is True
    assert isinstance(seen["frozen"], int) and seen["frozen"] > 0


def test_codes_that_are_not_whole_numbers_are_left_to_python() -> None:
    # Python prints such a code and exits with status 1: exit_at_once returns.
    assert exit_at_once("message for the user") is None
    assert exit_at_once(1.5) is None


# A fresh interpreter runs the script's main(). An exit function registered before the
# command writes "exit function ran" and leaves a reference cycle whose finaliser writes
# "teardown ran": only the interpreter's last collection, in its teardown, frees it.
# --hold keeps a non-daemon thread running past the command's end; Python's own exit
# waits for it ("thread finished").
_SCRIPT = """
import atexit, json, os, sys, threading, time

class Teardown:
    def __del__(self, write=os.write):
        write(2, b"teardown ran\\n")

def exit_function():
    print("exit function ran", file=sys.stderr)
    cycle = Teardown()
    cycle.itself = cycle

def hold(write=os.write):
    time.sleep(1.0)
    write(2, b"thread finished\\n")

atexit.register(exit_function)
arguments = json.loads(sys.argv[1])
if arguments[:1] == ["--hold"]:
    arguments = arguments[1:]
    threading.Thread(target=hold, daemon=False).start()
sys.argv = ["chipstress", *arguments]
from chipstress.interfaces.cli import main
main()
"""


def _run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _SCRIPT, json.dumps(list(arguments))],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_command_ends_without_the_teardown_after_the_exit_functions() -> None:
    done = _run("--version")
    assert done.returncode == 0
    assert done.stdout.startswith("chipstress ")
    assert done.stderr.count("exit function ran") == 1
    assert "teardown ran" not in done.stderr


def test_the_status_of_a_failed_command_is_kept() -> None:
    bad_input = _run("info", "no-such-network.json")
    assert bad_input.returncode == 1
    assert "no-such-network.json" in bad_input.stderr
    usage = _run("info", "--no-such-option")
    assert usage.returncode == 2
    assert "No such option" in usage.stderr
    for done in (bad_input, usage):
        assert done.stderr.count("exit function ran") == 1
        assert "teardown ran" not in done.stderr


def test_a_running_thread_leaves_the_exit_to_python() -> None:
    done = _run("--hold", "--version")
    assert done.returncode == 0
    assert done.stdout.startswith("chipstress ")
    assert done.stderr.count("exit function ran") == 1
    assert "thread finished" in done.stderr  # Python waited for the thread ...
    assert "teardown ran" in done.stderr  # ... and tore down: the marker can fail


def test_the_whole_output_reaches_a_pipe() -> None:
    """A command's output through a pipe, ended at once, is what Python's own exit gives."""
    fast = _run("info", "tri-cluster")
    slow = _run("--hold", "info", "tri-cluster")
    assert fast.returncode == slow.returncode == 0
    assert "teardown ran" not in fast.stderr and "teardown ran" in slow.stderr
    assert fast.stdout == slow.stdout
    assert len(fast.stdout) > 2000  # the network's summary tables, not a first buffer

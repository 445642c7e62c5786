"""Safe loading of YAML and JSON (issue 14): alias bombs, depth, duplicate keys, huge integers.

Every case goes through the loader itself, the Python API and the CLI, and must end
in a clear message naming the file and line, quickly, without a traceback. The alias
bomb also runs in a subprocess under a 1.5 GB address-space limit and a timeout.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from chipstress import read_network
from chipstress.errors import InvalidDocument, InvalidInput, InvalidNetwork, excerpt
from chipstress.interfaces.cli import app
from chipstress.model.io.safe import (
    MAX_DEPTH,
    MAX_INT_DIGITS,
    load_json,
    load_yaml,
    load_yaml_file,
)
from chipstress.workflows.hazards import load_events
from chipstress.workflows.whatif import load_edits

TINY = Path(__file__).parents[1] / "fixtures" / "tiny"

# Ten nested anchors, each a list of ten aliases of the one before: 10^10 values expanded.
BOMB = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 10)
)

# A stall detector, not a performance figure: the unguarded loaders took 20-92 s and
# gigabytes on these inputs; the guarded ones take milliseconds.
STALL_SECONDS = 15.0


def cli(*args: str | Path) -> tuple[int, str]:
    """Run the CLI in-process; its exit code and everything it printed."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def bomb_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "bomb"
    folder.mkdir()
    for name in ("nodes.csv", "bom.csv", "sources.csv"):
        (folder / name).write_text((TINY / name).read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "network.yaml").write_text(BOMB + "name: *a9\n", encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- the loader
def test_the_bomb_is_small_and_refused_at_once_naming_the_line() -> None:
    assert len(BOMB.encode()) < 600
    started = time.perf_counter()
    with pytest.raises(InvalidDocument) as caught:
        load_yaml(BOMB, "network.yaml")
    assert time.perf_counter() - started < STALL_SECONDS
    error = caught.value
    assert error.file == "network.yaml" and error.line is not None
    assert str(error).startswith(f"network.yaml, line {error.line}: aliases expand")
    assert len(str(error)) < 300


def test_a_few_aliases_are_still_read_and_shared() -> None:
    data = load_yaml("base: &b {x: 1, y: [1, 2]}\nc:\n  <<: *b\n  x: 3\nd: *b\n", "f.yaml")
    assert data["c"] == {"x": 3, "y": [1, 2]} and data["d"] is data["base"]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a: 1\nb: 2\na: 3\n", 3, "key 'a' appears twice in one mapping (first at line 1)"),
        ("a: &a [1, *a]\n", 1, "recursive alias"),
        ("n: " + "7" * 400 + "\n", 1, f"has 400 digits; at most {MAX_INT_DIGITS}"),
        ("n: " + "7" * 1_000_000 + "\n", 1, "has 1,000,000 digits"),
        ("[" * 150 + "]" * 150, 1, f"nested more than {MAX_DEPTH} levels"),
        ("[" * 20_000 + "]" * 20_000, 1, "not valid YAML"),
        ("a: [1, 2\n", 2, "is not valid YAML"),
    ],
)
def test_yaml_refused_with_file_and_line(text: str, line: int, words: str) -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidDocument) as caught:
        load_yaml(text, "x.yaml")
    assert time.perf_counter() - started < STALL_SECONDS
    assert caught.value.line == line and words in str(caught.value)
    assert str(caught.value).startswith(f"x.yaml, line {line}")
    assert len(str(caught.value)) < 300


def test_block_yaml_nested_deep_is_refused() -> None:
    text = "".join(" " * i + "a:\n" for i in range(2_000)) + " " * 2_000 + "b: 1\n"
    with pytest.raises(InvalidDocument, match=r"x\.yaml, line"):
        load_yaml(text, "x.yaml")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested 100,000 levels deep"),
        ('{"a": ' + "1" * 1_000_000 + "}", "has 1,000,000 digits"),
        ('{"a": ' + str(10**400) + "}", "has 401 digits"),
        ('{"a": 1,}', "is not valid JSON"),
    ],
)
def test_json_refused_clearly(text: str, words: str) -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidDocument) as caught:
        load_json(text, "x.json")
    assert time.perf_counter() - started < STALL_SECONDS
    assert words in str(caught.value) and str(caught.value).startswith("x.json")


def test_json_brackets_inside_strings_do_not_count_as_depth() -> None:
    text = json.dumps({"a": "[" * 500, "b": '\\"' + "{" * 500, "c": [[1]]})
    assert load_json(text, "x.json")["c"] == [[1]]


def test_excerpt_is_bounded_and_never_expands() -> None:
    shared: list = ["lol"] * 10
    for _ in range(9):
        shared = [shared] * 10  # 10^10 leaves, shared
    started = time.perf_counter()
    text = excerpt(shared)
    assert time.perf_counter() - started < STALL_SECONDS and len(text) <= 80
    assert excerpt("x" * 10_000).endswith("...") and len(excerpt("x" * 10_000)) == 80
    assert excerpt(10**4000) and len(excerpt(10**4000)) <= 80


def test_a_folder_or_a_missing_yaml_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="is a folder"):
        load_yaml_file(tmp_path)
    with pytest.raises(InvalidInput, match="no such file"):
        load_yaml_file(tmp_path / "absent.yaml")


# --------------------------------------------------------------------------- Python API
def test_read_network_refuses_the_bomb_in_network_yaml(tmp_path: Path) -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidNetwork) as caught:
        read_network(bomb_folder(tmp_path))
    assert time.perf_counter() - started < STALL_SECONDS
    [problem] = caught.value.problems
    assert problem.file == "network.yaml" and problem.location.startswith("line ")


def test_read_network_refuses_duplicate_keys_in_a_single_file(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("name: a\nnodes: []\nname: b\n", encoding="utf-8")
    with pytest.raises(InvalidNetwork) as caught:
        read_network(path)
    assert str(caught.value.problems[0]) == (
        "dup.yaml, line 3: key 'name' appears twice in one mapping (first at line 1); "
        "give each key once"
    )


def test_read_network_refuses_deep_json(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(InvalidNetwork, match=r"deep\.json: nested 100,000 levels deep"):
        read_network(path)


def test_edits_and_scenarios_refuse_the_bomb(tmp_path: Path) -> None:
    edits = tmp_path / "edits.yaml"
    edits.write_text(BOMB + "edits: *a9\n", encoding="utf-8")
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(BOMB + "events: *a9\n", encoding="utf-8")
    for load, path in ((load_edits, edits), (load_events, scenario)):
        started = time.perf_counter()
        with pytest.raises(InvalidInput, match=rf"{path.name}, line \d+: aliases expand"):
            load(path)
        assert time.perf_counter() - started < STALL_SECONDS


def test_deeply_nested_scenario_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("events: " + "[" * 20_000 + "]" * 20_000 + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"deep.yaml, line 1"):
        load_events(path)


# --------------------------------------------------------------------------- CLI
def test_cli_validate_refuses_the_bomb(tmp_path: Path) -> None:
    code, output = cli("validate", bomb_folder(tmp_path))
    assert code == 1
    assert "network.yaml, line " in output and "aliases expand" in output


def test_cli_whatif_refuses_an_edits_bomb(tmp_path: Path) -> None:
    edits = tmp_path / "edits.yaml"
    edits.write_text(BOMB + "edits: *a9\n", encoding="utf-8")
    code, output = cli("whatif", TINY, edits, "--no-save")
    assert code == 1 and "edits.yaml, line " in output and "aliases expand" in output


def test_the_bomb_in_a_subprocess_ends_fast_within_a_memory_limit(tmp_path: Path) -> None:
    """``chipstress validate`` on the bomb, under RLIMIT_AS 1.5 GB: exit 1, no stall."""
    folder = bomb_folder(tmp_path)
    script = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
        from chipstress.interfaces.cli import app
        sys.argv = ["chipstress", "validate", {str(folder)!r}]
        app()
        """
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    elapsed = time.perf_counter() - started
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "network.yaml, line " in done.stdout + done.stderr
    assert elapsed < 2 * STALL_SECONDS, f"took {elapsed:.1f} s"


# --------------------------------------------------------------------------- HTTP API
@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    """An in-process client of the API on its own results database."""
    from chipstress.interfaces.api import create_app

    application = create_app(db=tmp_path / "api.duckdb", max_upload_bytes=1_000_000, workers=1)
    try:
        yield TestClient(application)
    finally:
        state = application.state.chipstress
        state.jobs.close()
        state.store.close()
        state.registry.close()


@pytest.mark.parametrize(
    ("route", "text", "words"),
    [
        ("scenario", BOMB + "events: *a9\n", "aliases expand"),
        ("whatif", BOMB + "edits: *a9\n", "aliases expand"),
        ("scenario", "events: []\nevents: []\n", "key 'events' appears twice"),
        ("whatif", "edits: " + "[" * 20_000 + "]" * 20_000, "not valid YAML"),
    ],
)
def test_api_yaml_bodies_are_refused_with_the_line(
    api: TestClient, route: str, text: str, words: str
) -> None:
    started = time.perf_counter()
    response = api.post(f"/api/jobs/{route}", json={"network": "tri-cluster", "yaml": text})
    assert time.perf_counter() - started < STALL_SECONDS
    assert response.status_code == 422, response.text
    body = response.text
    assert "yaml, line " in body and words in body and "Traceback" not in body

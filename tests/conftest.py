"""Shared fixtures: the reference-format fixtures and a tiny hand-written network.

``tests/fixtures/tiny/`` is a five-node native folder small enough to reason about by
hand::

    gas (neon) ──► resist_a (photoresist) ──┐
                   resist_b (photoresist) ──┼──► fab (wafer-n3, demand 80/week)
                   water (water) ───────────┘

``fab`` needs 2 photoresist and 10 water per wafer; ``resist_a`` needs 0.5 neon per
litre. Photoresist is dual-sourced; water (for ``fab``) and neon (for ``resist_a``)
are single-sourced.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chipstress import Network, read_network

FIXTURES = Path(__file__).parent / "fixtures"
REFERENCE = FIXTURES / "reference-json"
TINY = FIXTURES / "tiny"
BROKEN = FIXTURES / "broken"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """``tests/fixtures``."""
    return FIXTURES


@pytest.fixture(scope="session")
def small_json() -> Path:
    """The 35-node reference-format fixture."""
    return REFERENCE / "small.json"


@pytest.fixture(scope="session")
def large_json() -> Path:
    """The 1,700-node reference-format fixture."""
    return REFERENCE / "large.json"


@pytest.fixture(scope="session")
def tiny_path() -> Path:
    """The tiny hand-written network folder (read-only: copy it before editing)."""
    return TINY


@pytest.fixture(scope="session")
def many_errors_path() -> Path:
    """A native folder with ten planted errors (see its README.md)."""
    return BROKEN / "many-errors"


@pytest.fixture(scope="session")
def small(small_json: Path) -> Network:
    """``small.json`` loaded (networks are immutable: sharing one is safe)."""
    return read_network(small_json)


@pytest.fixture(scope="session")
def large(large_json: Path) -> Network:
    """``large.json`` loaded."""
    return read_network(large_json)


@pytest.fixture
def tiny() -> Network:
    """The tiny network, loaded fresh for each test."""
    return read_network(TINY)


@pytest.fixture
def tiny_tables() -> dict[str, str]:
    """The text of the tiny network's files, by file name, to edit into broken variants."""
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(TINY.iterdir())}


@pytest.fixture
def network_folder(tmp_path: Path) -> Callable[..., Path]:
    """Make a copy of the tiny folder with some files replaced (or removed).

    ``network_folder(**{"nodes.csv": text_or_bytes, "bom.csv": None})`` returns the
    path of a fresh folder where ``nodes.csv`` is replaced and ``bom.csv`` removed.
    """
    counter = iter(range(1_000_000))

    def make(**files: str | bytes | None) -> Path:
        folder = tmp_path / f"net{next(counter)}"
        shutil.copytree(TINY, folder)
        for name, content in files.items():
            target = folder / name
            if content is None:
                target.unlink()
            elif isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        return folder

    return make


@pytest.fixture(autouse=True)
def _private_results_db(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test stores runs in its own DuckDB file, never in the user's data directory."""
    path = tmp_path_factory.mktemp("results") / "results.duckdb"
    monkeypatch.setenv("CHIPSTRESS_DB", str(path))
    return path


def _require_services() -> bool:
    return os.environ.get("CHIPSTRESS_REQUIRE_SERVICES") == "1"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the test PostgreSQL database (scripts/services.sh starts one); skips without it."""
    url = os.environ.get("CHIPSTRESS_TEST_POSTGRES_URL")
    if not url:
        if _require_services():
            pytest.fail(
                "CHIPSTRESS_TEST_POSTGRES_URL is not set but CI requires the PostgreSQL tests"
            )
        pytest.skip(
            "no PostgreSQL server (run scripts/services.sh, or set CHIPSTRESS_TEST_POSTGRES_URL)"
        )
    return url


@pytest.fixture(scope="module")
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """A fresh schema in the test database, dropped afterwards (tests never see old rows)."""
    import psycopg

    schema = f"t_{secrets.token_hex(4)}"
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in postgres_url else "?"
    yield f"{postgres_url}{separator}options=-csearch_path%3D{schema}"
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute(f"DROP SCHEMA {schema} CASCADE")

"""Property-based run of the OpenAPI schema: no input may make the server answer 5xx.

Schemathesis generates requests (valid and invalid) for every operation of
``/openapi.json`` and sends them in-process (12 examples per operation; set
``CHIPSTRESS_SCHEMATHESIS_EXAMPLES`` for a deeper run). No 5xx is tolerated: every module
ships with the package.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings

from chipstress.interfaces.api import create_app

# The schema is loaded at import (schemathesis' lazy fixture loader does not run on
# pytest 9), so the app and its temporary results DB are made here and removed after.
_FOLDER = Path(tempfile.mkdtemp(prefix="chipstress-schemathesis-"))
app = create_app(
    db=_FOLDER / "results.duckdb", max_upload_bytes=200_000, workers=2, max_simulation_years=20
)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


def _cleanup() -> None:
    app.state.chipstress.jobs.close()
    app.state.chipstress.store.close()
    app.state.chipstress.registry.close()
    shutil.rmtree(_FOLDER, ignore_errors=True)


atexit.register(_cleanup)  # also when the module is collected but its test deselected


@pytest.fixture(scope="module", autouse=True)
def _close_after_the_run() -> Iterator[None]:
    yield
    _cleanup()


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("CHIPSTRESS_SCHEMATHESIS_EXAMPLES", "12")),
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
    )

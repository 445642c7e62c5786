"""The golden check's marker (``pytest -m "not golden"`` leaves it out)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "golden: recomputes stored outputs and compares them (tests/golden/)"
    )

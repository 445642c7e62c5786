"""Fixtures of the hazard tests: the built-in network and a tiny hand-built one."""

from __future__ import annotations

import pytest

from chipstress import Network, load_builtin


@pytest.fixture(scope="session")
def tri() -> Network:
    """The built-in tri-cluster network (immutable, shared)."""
    return load_builtin("tri-cluster")

"""Shared by the workflow tests: the engine tests' network builders are importable."""

from __future__ import annotations

import sys
from pathlib import Path

_ENGINE_TESTS = str(Path(__file__).resolve().parents[1] / "engine")
if _ENGINE_TESTS not in sys.path:  # ``from builders import build, random_network``
    sys.path.insert(0, _ENGINE_TESTS)

"""Example files shipped with chipstress: what-if edits and candidate actions by network."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["EXAMPLES", "example_path"]

# (kind, network) -> (package, file in its data folder)
EXAMPLES = {
    ("edits", "tri-cluster"): ("chipstress.workflows.whatif", "tri-cluster-edits.yaml"),
    ("actions", "tri-cluster"): ("chipstress.workflows.plan", "tri-cluster-actions.yaml"),
}


def example_path(kind: str, name: str) -> Path | None:
    """The shipped ``kind`` (``edits`` or ``actions``) file for ``name``, or None."""
    if (kind, name) not in EXAMPLES:
        return None
    package, filename = EXAMPLES[(kind, name)]
    return Path(str(resources.files(package).joinpath("data", filename)))

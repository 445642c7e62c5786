"""The metadata of a network (``network.yaml``): :class:`NetworkMeta`.

Kept apart from :mod:`chipstress.model.network` so that validation can build it
without importing the network it validates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["NetworkMeta"]


@dataclass(frozen=True)
class NetworkMeta:
    """Metadata of a network (``network.yaml``).

    ``period`` names the unit of time of every rate (capacity and demand are per
    period, ``ttr`` is in periods); ``currency`` is the unit of ``margin``;
    ``materials`` maps a material id to ``{"unit": ..., "description": ...}``;
    ``extra`` keeps any other key of ``network.yaml`` so that it survives a round trip.
    """

    name: str = "network"
    period: str = "period"
    currency: str = "USD"
    description: str = ""
    materials: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The metadata as a plain mapping, in ``network.yaml`` key order."""
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "period": self.period,
            "currency": self.currency,
        }
        if self.materials:
            out["materials"] = {k: dict(v) for k, v in self.materials.items()}
        out.update(self.extra)
        return out

"""Where a hazard reaches: distances, shaking intensity, tracks and polygons.

All coordinates are WGS84 degrees; distances are kilometres on a sphere of radius
:data:`EARTH_RADIUS_KM`. Track and polygon tests work in a local flat projection
(equirectangular about the site), accurate to well under 1 % for the few hundred
kilometres a storm or a fault spans; polygons must not cross the antimeridian.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

__all__ = [
    "EARTH_RADIUS_KM",
    "G_CM_S2",
    "Attenuation",
    "chord_km",
    "distance_to_track_km",
    "great_circle_km",
    "hypocentral_km",
    "inside_polygon",
    "unit_vectors",
]

EARTH_RADIUS_KM = 6371.0
G_CM_S2 = 980.665  # standard gravity, cm/s² per g


def great_circle_km(
    lat1: float | np.ndarray,
    lon1: float | np.ndarray,
    lat2: float | np.ndarray,
    lon2: float | np.ndarray,
) -> np.ndarray:
    """Great-circle distance (km) between points, by the haversine formula; broadcasts.

    Parameters
    ----------
    lat1, lon1
        First point(s), latitude and longitude in degrees.
    lat2, lon2
        Second point(s), latitude and longitude in degrees.

    Returns
    -------
    numpy.ndarray
        Distances in km.
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points as unit vectors (rows of x, y, z) on the sphere."""
    phi = np.radians(np.asarray(lat, dtype=float))
    lam = np.radians(np.asarray(lon, dtype=float))
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def chord_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle distance (km) between every row of ``a`` and every row of ``b``.

    Both are unit vectors (:func:`unit_vectors`); the result has shape (len(a), len(b)).
    A matrix product instead of the haversine formula: the same distances to ~0.1 km,
    much faster for many events at many sites.
    """
    chord2 = np.clip(2.0 - 2.0 * (a @ b.T), 0.0, 4.0)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(chord2) / 2)


def hypocentral_km(epicentral_km: float | np.ndarray, depth_km: float | np.ndarray) -> np.ndarray:
    """Straight-line distance (km) to a source ``depth_km`` below a point ``epicentral_km`` away."""
    return np.hypot(np.asarray(epicentral_km, dtype=float), np.asarray(depth_km, dtype=float))


def _local_xy(
    lat: np.ndarray, lon: np.ndarray, lat0: np.ndarray, lon0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Points (lat, lon) as km east/north of (lat0, lon0), equirectangular about lat0."""
    x = np.radians(lon - lon0) * np.cos(np.radians(lat0)) * EARTH_RADIUS_KM
    y = np.radians(lat - lat0) * EARTH_RADIUS_KM
    return x, y


def distance_to_track_km(
    lat: np.ndarray | float, lon: np.ndarray | float, track: np.ndarray
) -> np.ndarray:
    """Shortest distance (km) from each site to a polyline ``track`` of (lat, lon) rows.

    A one-point track is a point. Used for storm tracks and for fault ruptures.

    Parameters
    ----------
    lat, lon
        The sites' latitudes and longitudes (degrees).
    track
        The polyline, one (lat, lon) row per vertex (degrees).

    Returns
    -------
    numpy.ndarray
        Distance per site in km.
    """
    lat = np.atleast_1d(np.asarray(lat, dtype=float))
    lon = np.atleast_1d(np.asarray(lon, dtype=float))
    track = np.asarray(track, dtype=float).reshape(-1, 2)
    if len(track) == 1:
        return great_circle_km(lat, lon, track[0, 0], track[0, 1])
    best = np.full(lat.shape, np.inf)
    for (alat, alon), (blat, blon) in itertools.pairwise(track):
        ax, ay = _local_xy(np.full_like(lat, alat), np.full_like(lon, alon), lat, lon)
        bx, by = _local_xy(np.full_like(lat, blat), np.full_like(lon, blon), lat, lon)
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(length2 > 0, -(ax * dx + ay * dy) / length2, 0.0)
        t = np.clip(t, 0.0, 1.0)
        best = np.minimum(best, np.hypot(ax + t * dx, ay + t * dy))
    return best


def inside_polygon(
    lat: np.ndarray | float, lon: np.ndarray | float, polygon: np.ndarray
) -> np.ndarray:
    """Which sites lie inside a closed polygon of (lat, lon) rows (ray casting in lon/lat).

    Points exactly on an edge may fall either way.

    Parameters
    ----------
    lat, lon
        The sites' latitudes and longitudes (degrees).
    polygon
        The polygon, one (lat, lon) row per vertex (degrees), closed (last row = first).

    Returns
    -------
    numpy.ndarray
        One boolean per site.
    """
    lat = np.atleast_1d(np.asarray(lat, dtype=float))
    lon = np.atleast_1d(np.asarray(lon, dtype=float))
    poly = np.asarray(polygon, dtype=float).reshape(-1, 2)
    inside = np.zeros(lat.shape, dtype=bool)
    for (y1, x1), (y2, x2) in itertools.pairwise(poly):
        crosses = (y1 > lat) != (y2 > lat)
        with np.errstate(invalid="ignore", divide="ignore"):
            x_at = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (lon < x_at)
    return inside


@dataclass(frozen=True)
class Attenuation:
    """Fukushima & Tanaka (1990) peak ground acceleration relation.

    ``log10(PGA [cm/s²]) = a·M − log10(R + c·10^(a·M)) − b·R + d``, with ``R`` the
    distance to the rupture in km (the hypocentral distance for a point source) and
    ``M`` the magnitude. ``sigma`` is the standard deviation of ``log10(PGA)``.
    """

    a: float
    b: float
    c: float
    d: float
    sigma: float
    source: str = ""

    def log10_pga_cm_s2(self, magnitude: float | np.ndarray, distance_km: np.ndarray) -> np.ndarray:
        """log10 of the median PGA in cm/s² at rupture distance ``distance_km`` (broadcasts)."""
        r = np.asarray(distance_km, dtype=float)
        am = self.a * np.asarray(magnitude, dtype=float)
        return am - np.log10(r + self.c * 10.0**am) - self.b * r + self.d

    def pga_g(
        self,
        magnitude: float | np.ndarray,
        distance_km: np.ndarray,
        epsilon: float | np.ndarray = 0.0,
    ) -> np.ndarray:
        """PGA in g at ``distance_km``: the median, or ``epsilon`` standard deviations above it.

        Parameters
        ----------
        magnitude
            Earthquake magnitude ``M``.
        distance_km
            Distance ``R`` to the rupture per site (km).
        epsilon
            Standard deviations of ``log10(PGA)`` above the median (0: the median).

        Returns
        -------
        numpy.ndarray
            Peak ground acceleration per site (g).
        """
        log_pga = self.log10_pga_cm_s2(magnitude, distance_km) + np.asarray(epsilon) * self.sigma
        return 10.0**log_pga / G_CM_S2

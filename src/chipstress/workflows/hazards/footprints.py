"""Where a hazard reaches: distances, shaking (models in :mod:`chipstress.workflows.hazards.gmpe`), tracks and polygons.

All coordinates are WGS84 degrees; distances are kilometres on a sphere of radius
:data:`EARTH_RADIUS_KM`. Track and polygon tests work in a local flat projection
(equirectangular about the site), accurate to well under 1 % for the few hundred
kilometres a storm or a fault spans; polygons must not cross the antimeridian.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chipstress.workflows.hazards.gmpe import (
    FAULT_TYPES,
    G_CM_S2,
    LEVEL_LABELS,
    FukushimaTanaka1990,
    Lin2011,
    LinLee2008,
    PgaModel,
    SiMidorikawa1999,
    SiMidorikawaTerms,
    cwa_level,
    jma_instrumental,
    jma_level,
    mmi_worden_2012,
)

__all__ = [
    "EARTH_RADIUS_KM",
    "G_CM_S2",
    "Attenuation",
    "chord_km",
    "distance_to_track_km",
    "great_circle_km",
    "hypocentral_km",
    "inside_polygon",
    "local_xy",
    "unit_vectors",
]

EARTH_RADIUS_KM = 6371.0


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


def local_xy(
    lat: np.ndarray, lon: np.ndarray, lat0: np.ndarray, lon0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Points (lat, lon) as km east/north of (lat0, lon0), equirectangular about lat0.

    Parameters
    ----------
    lat, lon
        The points (degrees); any shape broadcasting with ``lat0``/``lon0``.
    lat0, lon0
        The origin (degrees).

    Returns
    -------
    tuple of numpy.ndarray
        Kilometres east and north of the origin (good to a few per cent within a few
        hundred km).
    """
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
        ax, ay = local_xy(np.full_like(lat, alat), np.full_like(lon, alon), lat, lon)
        bx, by = local_xy(np.full_like(lat, blat), np.full_like(lon, blon), lat, lon)
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
    """Ground motion at each site from the published model of the site's region.

    The country of a site (``nodes.csv``) picks the region (``regions`` in
    ``attenuation.yaml``); the source of the event picks the fault type
    (``fault_types``, default crustal). Models (docs/hazards.md, "Ground motion"):

    * Japan: Si & Midorikawa (1999) PGA and PGV, crustal/interface/intraslab terms;
    * Taiwan: Lin et al. (2011) PGA for crustal events, Lin & Lee (2008) PGA for
      interface and intraslab events; PGV from Si & Midorikawa (1999) (no Taiwan PGV
      model is implemented);
    * anywhere else: Fukushima & Tanaka (1990) PGA; PGV from Si & Midorikawa (1999).

    Distances are those of the callers: hypocentral for a point source, or to a
    rupture trace at the event's depth.
    """

    japan: SiMidorikawa1999
    taiwan_crustal: Lin2011
    taiwan_subduction: LinLee2008
    general: FukushimaTanaka1990
    regions: Mapping[str, str] = field(default_factory=dict)
    fault_types: Mapping[str, str] = field(default_factory=dict)
    default_fault_type: str = "crustal"
    source: str = ""

    def fault_type_of(self, source: str | None) -> str:
        """Fault type of an event source or name (``fault_types``), else the default."""
        if source is None:
            return self.default_fault_type
        return self.fault_types.get(str(source), self.default_fault_type)

    def region_of(self, country: object) -> str:
        """Region (``taiwan``, ``japan`` or ``general``) of a country name."""
        return self.regions.get(str(country), "general")

    def pga_model(self, region: str, fault_type: str) -> PgaModel:
        """The PGA model of a region for a fault type."""
        if region == "japan":
            return self.japan
        if region == "taiwan":
            return self.taiwan_crustal if fault_type == "crustal" else self.taiwan_subduction
        return self.general

    def _regions(
        self, country: Sequence[object] | np.ndarray | str | None, shape: tuple[int, ...]
    ) -> tuple[np.ndarray, tuple[int, ...]]:
        """Region per site (last axis) and the shape of the result."""
        if country is None:
            return np.full(shape[-1] if shape else 1, "general", dtype=object), shape
        names = np.atleast_1d(np.asarray(country, dtype=object))
        codes = np.array([self.region_of(c) for c in names], dtype=object)
        try:
            return codes, np.broadcast_shapes(shape, codes.shape)
        except ValueError:
            raise ValueError(f"{len(codes)} countries for {shape[-1]} sites") from None

    def _evaluate(
        self,
        measure: Callable[[str, str, tuple[np.ndarray, ...]], np.ndarray],
        values: tuple[float | np.ndarray, ...],
        country: Sequence[object] | np.ndarray | str | None,
        source: str | None,
    ) -> np.ndarray:
        """``measure(region, fault, (M, R, epsilon, depth))`` per region, in one array."""
        fault = self.fault_type_of(source)
        arrays = tuple(np.asarray(v, dtype=float) for v in values)
        regions, shape = self._regions(country, np.broadcast_shapes(*(a.shape for a in arrays)))
        out = np.empty(shape)
        for region in np.unique(regions):
            cols = regions == region
            if cols.all():
                out[...] = measure(str(region), fault, arrays)
                break
            else:
                parts = tuple(np.broadcast_to(a, shape)[..., cols] for a in arrays)
                out[..., cols] = measure(str(region), fault, parts)
        return out

    def _ln_pga(self, region: str, fault: str, parts: tuple[np.ndarray, ...]) -> np.ndarray:
        m, r, eps, h = parts
        model = self.pga_model(region, fault)
        return model.ln_pga_g(m, r, h, fault) + eps * model.sigma_ln(fault)

    def _ln_pgv(self, region: str, fault: str, parts: tuple[np.ndarray, ...]) -> np.ndarray:
        m, r, eps, h = parts
        return self.japan.ln_pgv_cms(m, r, h, fault) + eps * self.japan.sigma_ln_pgv()

    def pga_g(
        self,
        magnitude: float | np.ndarray,
        distance_km: float | np.ndarray,
        epsilon: float | np.ndarray = 0.0,
        country: Sequence[object] | np.ndarray | str | None = None,
        depth_km: float | np.ndarray = 10.0,
        source: str | None = None,
    ) -> np.ndarray:
        """PGA in g per site: the median, or ``epsilon`` standard deviations above it.

        Parameters
        ----------
        magnitude
            Moment magnitude (broadcasts against ``distance_km``).
        distance_km
            Distance to the rupture per site (km); sites on the last axis.
        epsilon
            Standard deviations of ln PGA above the median (0: the median); each
            model's own sigma.
        country
            Country of each site (one per entry of the last axis); ``None`` uses the
            general model everywhere.
        depth_km
            Focal depth (km).
        source
            Name of the event's source, for its fault type (``fault_types``).

        Returns
        -------
        numpy.ndarray
            Peak ground acceleration per site (g).

        Raises
        ------
        ValueError
            ``country`` does not have one entry per site.
        """
        values = (magnitude, distance_km, epsilon, depth_km)
        return np.exp(self._evaluate(self._ln_pga, values, country, source))

    def pgv_cms(
        self,
        magnitude: float | np.ndarray,
        distance_km: float | np.ndarray,
        epsilon: float | np.ndarray = 0.0,
        country: Sequence[object] | np.ndarray | str | None = None,
        depth_km: float | np.ndarray = 10.0,
        source: str | None = None,
    ) -> np.ndarray:
        """PGV at the ground surface in cm/s per site (Si & Midorikawa 1999 everywhere).

        PGA and PGV take the same ``epsilon`` (fully correlated).

        Parameters
        ----------
        magnitude
            Moment magnitude (broadcasts against ``distance_km``).
        distance_km
            Distance to the rupture per site (km); sites on the last axis.
        epsilon
            Standard deviations above the median (the same draw as for PGA).
        country
            Country of each site; ``None`` uses the general model everywhere.
        depth_km
            Focal depth (km).
        source
            Name of the event's source, for its fault type.

        Returns
        -------
        numpy.ndarray
            Peak ground velocity per site (cm/s).
        """
        values = (magnitude, distance_km, epsilon, depth_km)
        return np.exp(self._evaluate(self._ln_pgv, values, country, source))

    def intensity(
        self,
        magnitude: float | np.ndarray,
        distance_km: float | np.ndarray,
        epsilon: float | np.ndarray = 0.0,
        country: Sequence[object] | np.ndarray | str | None = None,
        depth_km: float | np.ndarray = 10.0,
        source: str | None = None,
    ) -> np.ndarray:
        """The intensity people read at each site, by its country.

        Taiwan: the CWA (2020) level (``"CWA 5-"``); Japan: the JMA class from the
        instrumental intensity (``"JMA 6-"``); elsewhere: MMI from PGA by Worden et al.
        (2012), rounded (``"MMI 6"``).

        Parameters
        ----------
        magnitude
            Moment magnitude (broadcasts against ``distance_km``).
        distance_km
            Distance to the rupture per site (km); sites on the last axis.
        epsilon
            Standard deviations above the median (the same draw as for PGA).
        country
            Country of each site; ``None`` uses the general model everywhere.
        depth_km
            Focal depth (km).
        source
            Name of the event's source, for its fault type.

        Returns
        -------
        numpy.ndarray
            One label per site (object array of str, same shape as the PGA).
        """
        pga_gal = G_CM_S2 * self.pga_g(magnitude, distance_km, epsilon, country, depth_km, source)
        pgv = self.pgv_cms(magnitude, distance_km, epsilon, country, depth_km, source)
        shape = pga_gal.shape
        codes, _ = self._regions(country, shape)
        regions = np.broadcast_to(codes, shape or (1,))
        cwa = np.array(LEVEL_LABELS, dtype=object)[cwa_level(pga_gal, pgv)]
        jma = np.array(LEVEL_LABELS, dtype=object)[jma_level(jma_instrumental(pgv))]
        mmi = np.rint(mmi_worden_2012(pga_gal)).astype(int).astype(str).astype(object)
        labels = np.where(
            regions.reshape(shape) == "taiwan",
            "CWA " + cwa,
            np.where(regions.reshape(shape) == "japan", "JMA " + jma, "MMI " + mmi),
        )
        return np.asarray(labels, dtype=object)

    @classmethod
    def from_data(
        cls,
        data: Mapping[str, Any],
        number: Callable[[str, Any, float, float], float],
        provenance: Callable[[str, Mapping[str, Any]], str],
        problem: Callable[[str, str], None],
    ) -> Attenuation:
        """The relation described by ``attenuation.yaml`` (already parsed).

        Parameters
        ----------
        data
            The parsed file.
        number
            ``number(where, value, lo, hi)``: a checked number (NaN and a problem noted
            when out of range).
        provenance
            ``provenance(where, record)``: the record's source or estimate (a problem
            noted when missing).
        problem
            ``problem(where, message)``: notes any other problem.

        Returns
        -------
        Attenuation
            The models, regions and fault types.
        """

        def coefficients(
            where: str, record: Mapping[str, Any], names: Sequence[str]
        ) -> list[float]:
            provenance(where, record)
            return [number(f"{where}.{n}", record.get(n), -100.0, 100.0) for n in names]

        def site_class(where: str) -> tuple[str, Mapping[str, Any]]:
            record = data.get(where) or {}
            chosen = str(record.get("site_class", "soil"))
            if chosen not in ("soil", "rock"):
                problem(where, f"site_class {chosen!r} is not soil or rock")
                chosen = "soil"
            return f"{where}.{chosen}", record.get(chosen) or {}

        sm = data.get("si_midorikawa_1999") or {}
        terms = []
        for imt in ("pga", "pgv"):
            record = sm.get(imt) or {}
            where = f"si_midorikawa_1999.{imt}"
            m, h, e, c, k = coefficients(where, record, ("m", "h", "e", "c", "k"))
            sigma = number(f"{where}.sigma_log10", record.get("sigma_log10"), 0.0, 2.0)
            fault = {t: number(f"{where}.{t}", record.get(t), -5.0, 5.0) for t in FAULT_TYPES}
            terms.append(SiMidorikawaTerms(m, h, e, c, k, sigma, fault))
        japan = SiMidorikawa1999(
            terms[0],
            terms[1],
            number("si_midorikawa_1999.magnitude_max", sm.get("magnitude_max"), 5.0, 10.0),
            number("si_midorikawa_1999.pgv_amplification", sm.get("pgv_amplification"), 0.1, 10.0),
            provenance("si_midorikawa_1999", sm),
        )
        where, record = site_class("lin_2011")
        c1, c2, c3, c4, c5, sigma = coefficients(
            where, record, ("c1", "c2", "c3", "c4", "c5", "sigma_ln")
        )
        lin = Lin2011(c1, c2, c3, c4, c5, sigma, provenance("lin_2011", data.get("lin_2011") or {}))
        where, record = site_class("lin_lee_2008")
        names = ("c1", "c2", "c3", "c4", "c5", "c6", "c7", "sigma_ln")
        c1, c2, c3, c4, c5, c6, c7, sigma = coefficients(where, record, names)
        lin_lee = LinLee2008(
            c1,
            c2,
            c3,
            c4,
            c5,
            c6,
            c7,
            sigma,
            provenance("lin_lee_2008", data.get("lin_lee_2008") or {}),
        )
        ft = data.get("fukushima_tanaka_1990") or {}
        a, b, c, d, sigma = coefficients(
            "fukushima_tanaka_1990", ft, ("a", "b", "c", "d", "sigma_log10")
        )
        general = FukushimaTanaka1990(a, b, c, d, sigma, provenance("fukushima_tanaka_1990", ft))
        regions = {str(k): str(v) for k, v in (data.get("regions") or {}).items() if k != "note"}
        for country, region in regions.items():
            if region not in ("taiwan", "japan", "general"):
                problem(f"regions.{country}", f"{region!r} is not taiwan, japan or general")
        faults = data.get("fault_types") or {}
        default = str(faults.get("default", "crustal"))
        by_source = {str(k): str(v) for k, v in (faults.get("sources") or {}).items()}
        for name, fault_type in {"default": default, **by_source}.items():
            if fault_type not in FAULT_TYPES:
                problem(
                    f"fault_types.{name}", f"{fault_type!r} is not one of {', '.join(FAULT_TYPES)}"
                )
        return cls(japan, lin, lin_lee, general, regions, by_source, default, japan.source)

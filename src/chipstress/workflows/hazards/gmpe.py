"""Published ground-motion models (GMPEs) and the intensity scales people read.

Each model is a frozen dataclass of its published coefficients (read from
``hazards/data/attenuation.yaml``) with the median in natural logs of the unit the
rest of chipstress uses (PGA in g, PGV in cm/s) and its aleatory standard deviation
in the same logs, so that ``epsilon`` standard deviations above the median is
``exp(ln_median + epsilon * sigma_ln)`` whatever the paper's log base.

Models (docs/hazards.md, "Ground motion"):

* :class:`SiMidorikawa1999` — Japan: PGA and PGV, crustal / interplate / intraplate
  terms; Si & Midorikawa (1999), J. Struct. Constr. Eng. (Trans. AIJ) 523, 63-70, with
  the 2000 erratum, coefficients as tabulated by NIED (2009, Technical Reports on
  National Seismic Hazard Maps for Japan, eq. 3.5.1-1).
* :class:`Lin2011` — Taiwan shallow crustal PGA; Lin, Lee, Cheng & Sung (2011),
  Engineering Geology 121(3-4), 150-164 (foot-wall model, table 3 rock / 4 soil).
* :class:`LinLee2008` — Taiwan subduction PGA (interface and intraslab); Lin & Lee
  (2008), BSSA 98(1), 220-240 (eq. 10-11, tables 3 rock / 4 soil).
* :class:`FukushimaTanaka1990` — every other region; Fukushima & Tanaka (1990), BSSA
  80(4), 757-783.

Intensity scales (definitions, not tunable parameters, so they are constants here):

* :func:`cwa_level` — Taiwan Central Weather Administration scale in force since
  1 January 2020: levels 0-4 from PGA (gal), 5-, 5+, 6-, 6+ and 7 from PGV (cm/s)
  once PGA reaches 80 gal.
* :func:`jma_instrumental` / :func:`jma_level` — JMA seismic intensity from PGV by
  Midorikawa, Fujimoto & Muramatsu (1999), ``I = 2.68 + 1.72 log10 PGV`` (fitted for
  4 <= I <= 7), in the JMA classes 0-4, 5-, 5+, 6-, 6+, 7.
* :func:`mmi_worden_2012` — Modified Mercalli intensity from PGA, Worden et al. (2012),
  BSSA 102(1), 204-221, table 1 (bilinear form, no distance or magnitude terms).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

__all__ = [
    "CWA_PGA_GAL",
    "CWA_PGV_CMS",
    "FAULT_TYPES",
    "G_CM_S2",
    "JMA_BOUNDS",
    "LEVEL_LABELS",
    "FukushimaTanaka1990",
    "Lin2011",
    "LinLee2008",
    "PgaModel",
    "SiMidorikawa1999",
    "SiMidorikawaTerms",
    "cwa_level",
    "jma_instrumental",
    "jma_level",
    "mmi_worden_2012",
]

G_CM_S2 = 980.665  # standard gravity, cm/s² (gal) per g
LN10 = math.log(10.0)
FAULT_TYPES: tuple[str, ...] = ("crustal", "interface", "intraslab")

# Labels of the ten levels the CWA (2020) and JMA scales share.
LEVEL_LABELS: tuple[str, ...] = ("0", "1", "2", "3", "4", "5-", "5+", "6-", "6+", "7")
# CWA 2020: PGA (gal) lower bounds of levels 1-4 and of "use PGV"; PGV (cm/s) lower
# bounds of 5-, 5+, 6-, 6+, 7.
CWA_PGA_GAL: tuple[float, ...] = (0.8, 2.5, 8.0, 25.0, 80.0)
CWA_PGV_CMS: tuple[float, ...] = (15.0, 30.0, 50.0, 80.0, 140.0)
# JMA: lower bounds of the instrumental intensity for classes 1, 2, 3, 4, 5-, 5+, 6-, 6+, 7.
JMA_BOUNDS: tuple[float, ...] = (0.5, 1.5, 2.5, 3.5, 4.5, 5.0, 5.5, 6.0, 6.5)

Array = np.ndarray | float


class PgaModel(Protocol):
    """What a PGA model offers: the log median in g and its standard deviation."""

    def ln_pga_g(
        self, magnitude: Array, distance_km: Array, depth_km: Array, fault_type: str
    ) -> np.ndarray:
        """Natural log of the median PGA (g).

        Parameters
        ----------
        magnitude
            Moment magnitude.
        distance_km
            Distance to the rupture (km), as the model defines it.
        depth_km
            Focal depth (km).
        fault_type
            ``crustal``, ``interface`` or ``intraslab``.

        Returns
        -------
        numpy.ndarray
            ln of PGA in g (broadcast over the arguments).
        """
        ...

    def sigma_ln(self, fault_type: str) -> float:
        """Standard deviation of ln PGA."""
        ...


def _f(value: Array) -> np.ndarray:
    return np.asarray(value, dtype=float)


@dataclass(frozen=True)
class FukushimaTanaka1990:
    """Fukushima & Tanaka (1990) PGA: ``log10 A[gal] = aM − log10(R + c·10^(aM)) − bR + d``.

    ``R`` is the rupture distance (km); ``sigma_log10`` the standard deviation of
    ``log10 A``. Fault type and depth do not enter.
    """

    a: float
    b: float
    c: float
    d: float
    sigma_log10: float
    source: str = ""

    def log10_pga_cm_s2(self, magnitude: Array, distance_km: Array) -> np.ndarray:
        """log10 of the median PGA in cm/s² (gal) at rupture distance ``distance_km``."""
        r = _f(distance_km)
        am = self.a * _f(magnitude)
        return am - np.log10(r + self.c * 10.0**am) - self.b * r + self.d

    def ln_pga_g(
        self, magnitude: Array, distance_km: Array, depth_km: Array, fault_type: str
    ) -> np.ndarray:
        """Implements :meth:`PgaModel.ln_pga_g`."""
        return self.log10_pga_cm_s2(magnitude, distance_km) * LN10 - math.log(G_CM_S2)

    def sigma_ln(self, fault_type: str) -> float:
        """Standard deviation of ln PGA (the paper's log10 sigma times ln 10)."""
        return self.sigma_log10 * LN10


@dataclass(frozen=True)
class SiMidorikawaTerms:
    """One Si & Midorikawa (1999) equation (PGA in gal or PGV in cm/s).

    ``log10 Y = m·Mw + h·D + d_k + e − log10(X + c·10^(0.5 Mw)) − k·X`` with ``X`` the
    shortest distance to the fault (km), ``D`` the focal depth (km) and ``d_k`` the
    fault-type term (``fault``: crustal, interface, intraslab).
    """

    m: float
    h: float
    e: float
    c: float
    k: float
    sigma_log10: float
    fault: Mapping[str, float]

    def log10(
        self, magnitude: Array, distance_km: Array, depth_km: Array, fault_type: str
    ) -> np.ndarray:
        """log10 of the median (gal for PGA, cm/s for PGV).

        Parameters
        ----------
        magnitude
            Moment magnitude Mw.
        distance_km
            Shortest distance to the fault X (km).
        depth_km
            Focal depth D (km).
        fault_type
            ``crustal``, ``interface`` or ``intraslab``.

        Returns
        -------
        numpy.ndarray
            log10 of PGA (gal) or PGV (cm/s).
        """
        mw, x, depth = _f(magnitude), _f(distance_km), _f(depth_km)
        return (
            self.m * mw
            + self.h * depth
            + self.fault[fault_type]
            + self.e
            - np.log10(x + self.c * 10.0 ** (0.5 * mw))
            - self.k * x
        )


@dataclass(frozen=True)
class SiMidorikawa1999:
    """Si & Midorikawa (1999) PGA and PGV for Japan.

    The magnitude is capped at ``magnitude_max`` (8.3, as NIED 2009 applies it: the
    data reach Mw 8.3). PGV is fitted on engineering bedrock (Vs ≈ 600 m/s) and is
    multiplied by ``pgv_amplification`` to reach the ground surface (1.41, NIED's
    factor for Vs30 = 400 m/s); PGA is used as published.
    """

    pga: SiMidorikawaTerms
    pgv: SiMidorikawaTerms
    magnitude_max: float = 8.3
    pgv_amplification: float = 1.41
    source: str = ""

    def ln_pga_g(
        self, magnitude: Array, distance_km: Array, depth_km: Array, fault_type: str
    ) -> np.ndarray:
        """Natural log of the median PGA (g).

        Parameters
        ----------
        magnitude
            Moment magnitude Mw (capped at ``magnitude_max``).
        distance_km
            Shortest distance to the fault X (km).
        depth_km
            Focal depth D (km).
        fault_type
            ``crustal``, ``interface`` or ``intraslab``.

        Returns
        -------
        numpy.ndarray
            ln of PGA in g.
        """
        mw = np.minimum(_f(magnitude), self.magnitude_max)
        log10_gal = self.pga.log10(mw, distance_km, depth_km, fault_type)
        return log10_gal * LN10 - math.log(G_CM_S2)

    def ln_pgv_cms(
        self, magnitude: Array, distance_km: Array, depth_km: Array, fault_type: str
    ) -> np.ndarray:
        """Natural log of the median PGV at the ground surface (cm/s).

        Parameters
        ----------
        magnitude
            Moment magnitude Mw (capped at ``magnitude_max``).
        distance_km
            Shortest distance to the fault X (km).
        depth_km
            Focal depth D (km).
        fault_type
            ``crustal``, ``interface`` or ``intraslab``.

        Returns
        -------
        numpy.ndarray
            ln of PGV in cm/s, times ``pgv_amplification``.
        """
        mw = np.minimum(_f(magnitude), self.magnitude_max)
        log10_cms = self.pgv.log10(mw, distance_km, depth_km, fault_type)
        return log10_cms * LN10 + math.log(self.pgv_amplification)

    def sigma_ln(self, fault_type: str) -> float:
        """Standard deviation of ln PGA."""
        return self.pga.sigma_log10 * LN10

    def sigma_ln_pgv(self) -> float:
        """Standard deviation of ln PGV."""
        return self.pgv.sigma_log10 * LN10


@dataclass(frozen=True)
class Lin2011:
    """Lin et al. (2011) Taiwan crustal PGA: ``ln y[g] = c1 + c2 M + c3 ln(R + c4 e^(c5 M))``.

    ``R`` is the rupture distance (km); one coefficient set (rock or soil, chosen in
    ``attenuation.yaml``); ``sigma`` is the total standard deviation of ``ln y``.
    """

    c1: float
    c2: float
    c3: float
    c4: float
    c5: float
    sigma: float
    source: str = ""

    def ln_pga_g(
        self, magnitude: Array, distance_km: Array, depth_km: Array, fault_type: str
    ) -> np.ndarray:
        """Implements :meth:`PgaModel.ln_pga_g`."""
        m, r = _f(magnitude), _f(distance_km)
        return self.c1 + self.c2 * m + self.c3 * np.log(r + self.c4 * np.exp(self.c5 * m))

    def sigma_ln(self, fault_type: str) -> float:
        """Standard deviation of ln PGA."""
        return self.sigma


@dataclass(frozen=True)
class LinLee2008:
    """Lin & Lee (2008) Taiwan subduction PGA.

    ``ln y[g] = c1 + c2 M + c3 ln(R + c4 e^(c5 M)) + c6 H + c7 Zt`` with ``R`` the
    hypocentral distance (km), ``H`` the focal depth (km) and ``Zt`` 0 for interface,
    1 for intraslab events; ``sigma`` is the standard deviation of ``ln y``.
    """

    c1: float
    c2: float
    c3: float
    c4: float
    c5: float
    c6: float
    c7: float
    sigma: float
    source: str = ""

    def ln_pga_g(
        self, magnitude: Array, distance_km: Array, depth_km: Array, fault_type: str
    ) -> np.ndarray:
        """Implements :meth:`PgaModel.ln_pga_g`."""
        m, r, h = _f(magnitude), _f(distance_km), _f(depth_km)
        zt = 1.0 if fault_type == "intraslab" else 0.0
        return (
            self.c1
            + self.c2 * m
            + self.c3 * np.log(r + self.c4 * np.exp(self.c5 * m))
            + self.c6 * h
            + self.c7 * zt
        )

    def sigma_ln(self, fault_type: str) -> float:
        """Standard deviation of ln PGA."""
        return self.sigma


def cwa_level(pga_gal: Array, pgv_cms: Array) -> np.ndarray:
    """Taiwan CWA (2020) intensity level, as an index into :data:`LEVEL_LABELS`.

    Levels 0-4 follow PGA (bounds 0.8, 2.5, 8, 25, 80 gal). From 80 gal the level
    follows PGV instead: below 15 cm/s it stays 4; 15, 30, 50, 80 and 140 cm/s start
    5-, 5+, 6-, 6+ and 7.

    Parameters
    ----------
    pga_gal
        Peak ground acceleration (cm/s²).
    pgv_cms
        Peak ground velocity (cm/s).

    Returns
    -------
    numpy.ndarray
        Level index 0-9 (``LEVEL_LABELS[i]`` is the label).
    """
    pga, pgv = np.broadcast_arrays(_f(pga_gal), _f(pgv_cms))
    by_pga = np.searchsorted(CWA_PGA_GAL, pga, side="right")
    by_pgv = 4 + np.searchsorted(CWA_PGV_CMS, pgv, side="right")
    return np.where(by_pga >= len(CWA_PGA_GAL), by_pgv, by_pga).astype(np.int64)


def jma_instrumental(pgv_cms: Array) -> np.ndarray:
    """JMA instrumental seismic intensity from PGV (cm/s), Midorikawa et al. (1999).

    ``I = 2.68 + 1.72 log10 PGV``, fitted for 4 <= I <= 7 (PGV of about 4 to 200 cm/s);
    below that it is an extrapolation.

    Parameters
    ----------
    pgv_cms
        Peak ground velocity at the surface (cm/s), > 0.

    Returns
    -------
    numpy.ndarray
        Instrumental intensity (unitless).
    """
    return 2.68 + 1.72 * np.log10(_f(pgv_cms))


def jma_level(instrumental: Array) -> np.ndarray:
    """JMA intensity class of an instrumental intensity, as an index into :data:`LEVEL_LABELS`.

    The instrumental intensity is first rounded to one decimal, as JMA does; class
    bounds are 0.5, 1.5, 2.5, 3.5, 4.5 (5-), 5.0 (5+), 5.5 (6-), 6.0 (6+), 6.5 (7).

    Parameters
    ----------
    instrumental
        JMA instrumental intensity.

    Returns
    -------
    numpy.ndarray
        Level index 0-9.
    """
    rounded = np.floor(_f(instrumental) * 10.0 + 0.5 + 1e-9) / 10.0
    return np.searchsorted(JMA_BOUNDS, rounded + 1e-9, side="right").astype(np.int64)


def mmi_worden_2012(pga_gal: Array) -> np.ndarray:
    """Modified Mercalli intensity from PGA, Worden et al. (2012), table 1.

    ``MMI = 1.78 + 1.55 log10 PGA`` up to ``log10 PGA = 1.57``, ``−1.60 + 3.70 log10 PGA``
    above (PGA in cm/s²), clipped to 1-10.

    Parameters
    ----------
    pga_gal
        Peak ground acceleration (cm/s²), > 0.

    Returns
    -------
    numpy.ndarray
        MMI (continuous).
    """
    lp = np.log10(_f(pga_gal))
    mmi = np.where(lp <= 1.57, 1.78 + 1.55 * lp, -1.60 + 3.70 * lp)
    return np.clip(mmi, 1.0, 10.0)

"""Distances, tracks, polygons and shaking intensity against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chipstress.workflows.hazards import default_parameters
from chipstress.workflows.hazards.damage import damage_states, exceedance
from chipstress.workflows.hazards.footprints import (
    EARTH_RADIUS_KM,
    G_CM_S2,
    distance_to_track_km,
    great_circle_km,
    hypocentral_km,
    inside_polygon,
)
from chipstress.workflows.hazards.gmpe import FukushimaTanaka1990

ONE_DEGREE_KM = 2 * math.pi * EARTH_RADIUS_KM / 360  # 111.19493 km


def test_great_circle_simple_arcs() -> None:
    assert great_circle_km(0, 0, 0, 1) == pytest.approx(ONE_DEGREE_KM, rel=1e-12)
    assert great_circle_km(10, 30, 11, 30) == pytest.approx(ONE_DEGREE_KM, rel=1e-12)
    assert great_circle_km(0, 0, 90, 0) == pytest.approx(math.pi / 2 * EARTH_RADIUS_KM)
    assert great_circle_km(23.1, 120.3, 23.1, 120.3) == 0.0


def test_great_circle_kaohsiung_port_to_kumamoto_airport() -> None:
    # Spherical law of cosines by hand: cos c = sin a sin b + cos a cos b cos(dlon).
    a, b = math.radians(22.61333), math.radians(32.83722)
    dlon = math.radians(130.85528 - 120.27917)
    by_hand = EARTH_RADIUS_KM * math.acos(
        math.sin(a) * math.sin(b) + math.cos(a) * math.cos(b) * math.cos(dlon)
    )
    assert great_circle_km(22.61333, 120.27917, 32.83722, 130.85528) == pytest.approx(by_hand)
    assert by_hand == pytest.approx(1539.5, abs=0.1)


def test_hypocentral_distance() -> None:
    assert hypocentral_km(30.0, 40.0) == pytest.approx(50.0)
    assert hypocentral_km(0.0, 12.0) == pytest.approx(12.0)


def test_fukushima_tanaka_pga_by_hand() -> None:
    # The general model (sites outside Japan and Taiwan; no country given).
    relation = default_parameters().attenuation
    assert relation.general == FukushimaTanaka1990(
        0.41, 0.0034, 0.032, 1.30, 0.21, relation.general.source
    )
    # M7, R = 20 km: 10^(0.41*7) = 741.310; 0.032 * 741.310 = 23.722; log10(43.722) = 1.64070
    # log10 PGA = 2.87 - 1.64070 - 0.068 + 1.30 = 2.46130 -> 289.27 cm/s2 = 0.29497 g
    assert 10 ** relation.general.log10_pga_cm_s2(7.0, 20.0) == pytest.approx(289.27, abs=0.01)
    assert relation.pga_g(7.0, 20.0) == pytest.approx(0.29497, abs=1e-5)
    # M6 at 30 km epicentral, 10 km deep: R = 31.623; 10^2.46 = 288.40 -> 9.229;
    # log10(40.852) = 1.61122; 2.46 - 1.61122 - 0.10752 + 1.30 = 2.04126 -> 109.97 cm/s2
    r = hypocentral_km(30.0, 10.0)
    assert relation.pga_g(6.0, r) * G_CM_S2 == pytest.approx(109.97, abs=0.01)
    # One standard deviation up multiplies PGA by 10^sigma.
    assert relation.pga_g(6.0, r, 1.0) / relation.pga_g(6.0, r) == pytest.approx(10**0.21)


def test_pga_falls_with_distance_and_rises_with_magnitude() -> None:
    relation = default_parameters().attenuation
    distances = np.array([5.0, 20.0, 80.0, 300.0])
    for country in ("Japan", "Taiwan", "USA"):
        pga = relation.pga_g(6.5, distances, 0.0, [country] * 4, 10.0)
        assert np.all(np.diff(pga) < 0)
        assert np.all(relation.pga_g(7.5, distances, 0.0, [country] * 4, 10.0) > pga)


def test_track_distance_to_a_segment_and_its_ends() -> None:
    track = np.array([[0.0, 0.0], [0.0, 2.0]])
    # Beside the middle of the segment: one degree north.
    assert distance_to_track_km(1.0, 1.0, track)[0] == pytest.approx(ONE_DEGREE_KM, rel=1e-3)
    # Beyond an end: the distance to that end point.
    assert distance_to_track_km(0.0, 3.0, track)[0] == pytest.approx(ONE_DEGREE_KM, rel=1e-3)
    # On the track.
    assert distance_to_track_km(0.0, 0.5, track)[0] == pytest.approx(0.0, abs=1e-9)
    # A one-point track is a point.
    assert distance_to_track_km(0.0, 1.0, np.array([[0.0, 0.0]]))[0] == pytest.approx(ONE_DEGREE_KM)


def test_inside_polygon() -> None:
    square = np.array([[0.0, 0.0], [0.0, 2.0], [2.0, 2.0], [2.0, 0.0], [0.0, 0.0]])
    lat = np.array([1.0, 3.0, 1.0, -0.5])
    lon = np.array([1.0, 1.0, 2.5, 1.0])
    assert inside_polygon(lat, lon, square).tolist() == [True, False, False, False]


def test_damage_state_thresholds_are_the_medians_at_the_median_quantile() -> None:
    median = np.array([[0.1, 0.2, 0.4, 0.8]])
    beta = np.full((1, 4), 0.6)
    states = [damage_states(np.array([g]), median, beta)[0] for g in (0.05, 0.1, 0.3, 0.8, 2.0)]
    assert states == [-1, 0, 1, 3, 3]
    # A weaker draw reaches a higher state: at q = 0.2 the capacities are x exp(0.6 z) = x0.6035.
    assert damage_states(np.array([0.3]), median, beta, quantile=0.2)[0] == 2
    assert damage_states(np.array([0.3]), median, beta, quantile=0.95)[0] == 0
    # P(DS >= k) is one half at the median.
    assert exceedance(0.2, median[0], beta[0])[1] == pytest.approx(0.5)

"""Simulated quakes: distance to a finite rupture, and how sites' ground motions co-vary."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from chipstress import Network
from chipstress.workflows.hazards import default_parameters, load_rates
from chipstress.workflows.hazards.footprints import local_xy
from chipstress.workflows.hazards.sampling import Sampler
from chipstress.workflows.hazards.translate import Sites


@pytest.fixture(scope="module")
def sampler(tri: Network) -> Sampler:
    # The published split of the deviation (the packaged data keep one shared deviation).
    params = dataclasses.replace(default_parameters(), between_event_share=0.3)
    return Sampler(Sites.build(tri, params), load_rates())


def test_sites_are_as_far_as_the_nearest_point_of_the_rupture(sampler: Sampler) -> None:
    # A site 30 km north of the epicentre: a north-south M7.9 rupture (about 170 km
    # long) passes under it; an east-west one is 30 km away; an M5 stays a point.
    lat0, lon0 = 24.0, 121.0
    north = lat0 + 30.0 / 111.195
    a, b, smallest = sampler.sites.params.rupture_length
    assert smallest == 7.0
    assert 10 ** (a + b * 7.9) > 150
    lat, lon = np.array([north]), np.array([lon0])
    along = sampler._to_rupture_km(
        lat, lon, np.array([lat0]), np.array([lon0]), np.array([7.9]), np.array([0.0])
    )
    across = sampler._to_rupture_km(
        lat, lon, np.array([lat0]), np.array([lon0]), np.array([7.9]), np.array([np.pi / 2])
    )
    small = sampler._to_rupture_km(
        lat, lon, np.array([lat0]), np.array([lon0]), np.array([5.0]), np.array([0.0])
    )
    assert along[0, 0] == pytest.approx(0.0, abs=1e-6)
    assert across[0, 0] == pytest.approx(30.0, rel=1e-3)
    assert small[0, 0] == pytest.approx(30.0, rel=1e-3)
    x, y = local_xy(north, lon0, lat0, lon0)
    assert (float(x), float(y)) == pytest.approx((0.0, 30.0), rel=1e-3, abs=1e-9)


def test_deviations_split_into_a_shared_and_a_distance_correlated_part(
    sampler: Sampler,
) -> None:
    rng = np.random.default_rng(1)
    eps = sampler._deviations(rng, 40_000)
    assert eps.shape == (40_000, len(sampler.located))
    assert eps.std(axis=0) == pytest.approx(1.0, abs=0.03)
    sites, params = sampler.sites, sampler.sites.params
    lat, lon = sites.lat[sampler.located], sites.lon[sampler.located]
    # Two sites far apart share only the between-event part; two close ones nearly all.
    distance = np.hypot(*local_xy(lat[None, :], lon[None, :], lat[:, None], lon[:, None]))
    far = np.unravel_index(np.argmax(distance), distance.shape)
    np.fill_diagonal(distance, np.inf)
    near = np.unravel_index(np.argmin(distance), distance.shape)
    correlation = np.corrcoef(eps.T)
    share = params.between_event_share
    assert correlation[far] == pytest.approx(share, abs=0.03)
    expected_near = share + (1 - share) * np.exp(-3 * distance[near] / params.correlation_range_km)
    assert correlation[near] == pytest.approx(expected_near, abs=0.03)

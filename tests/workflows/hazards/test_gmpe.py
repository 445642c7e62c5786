"""Ground-motion models against hand-computed and published values; intensity scales."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from chipstress.workflows.hazards import default_parameters
from chipstress.workflows.hazards.footprints import (
    distance_to_track_km,
    great_circle_km,
    hypocentral_km,
)
from chipstress.workflows.hazards.gmpe import (
    G_CM_S2,
    LEVEL_LABELS,
    cwa_level,
    jma_instrumental,
    jma_level,
    mmi_worden_2012,
)

DATA = Path(__file__).parents[3] / "src/chipstress/workflows/hazards/data"
ATT = default_parameters().attenuation
JASM = (32.88, 130.85)  # jasm_fab1 in the tri_cluster network
HSINCHU = (24.775, 121.01)  # tsmc_fab12
TAINAN = (23.101282, 120.282106)  # tsmc_fab18


def _label(index: np.ndarray | int) -> str:
    return LEVEL_LABELS[int(index)]


# ------------------------------------------------------------------ Si & Midorikawa (1999)
def test_si_midorikawa_pga_crustal_by_hand() -> None:
    # Mw 7, X = 20 km, D = 10 km, crustal (d = 0):
    # b = 0.50*7 + 0.0043*10 + 0 + 0.61 = 4.153; c = 0.0055*10^3.5 = 17.39253
    # log10 A = 4.153 - log10(37.39253) - 0.003*20 = 4.153 - 1.57278 - 0.06 = 2.52022
    # A = 331.30 gal = 0.33783 g
    pga = ATT.pga_g(7.0, 20.0, 0.0, ["Japan"], 10.0)
    assert pga * G_CM_S2 == pytest.approx(331.30, abs=0.01)
    assert pga == pytest.approx(0.33783, abs=1e-5)


def test_si_midorikawa_pgv_interface_by_hand() -> None:
    # Mw 8, X = 60 km, D = 30 km, interface (d = -0.02):
    # b = 0.58*8 + 0.0038*30 - 0.02 - 1.29 = 3.444; c = 0.0028*10^4 = 28
    # log10 V = 3.444 - log10(88) - 0.002*60 = 3.444 - 1.94448 - 0.12 = 1.37952
    # V = 23.962 cm/s on bedrock, x 1.41 = 33.786 cm/s at the surface
    pgv = ATT.pgv_cms(8.0, 60.0, 0.0, ["Japan"], 30.0, "japan_trench")
    assert pgv == pytest.approx(33.786, abs=0.001)
    # one standard deviation up multiplies PGV by 10^0.23
    up = ATT.pgv_cms(8.0, 60.0, 1.0, ["Japan"], 30.0, "japan_trench")
    assert up / pgv == pytest.approx(10**0.23)


@pytest.mark.parametrize(
    ("mw", "depth", "x", "published_g"),
    [(7.0, 50.0, 30.9, 0.59827243), (5.0, 20.0, 15.95, 0.13456120), (6.0, 70.0, 120.6, 0.04752962)],
)
def test_si_midorikawa_intraslab_pga_matches_the_openquake_verification_table(
    mw: float, depth: float, x: float, published_g: float
) -> None:
    # openquake/hazardlib/tests/gsim/data/SM99/SM99SSLAB_MEAN_PGA.csv (Vs30 600 m/s, the
    # model's own reference: no amplification on PGA)
    japan = ATT.japan
    assert math.exp(japan.ln_pga_g(mw, x, depth, "intraslab")) == pytest.approx(
        published_g, rel=2e-3
    )


def test_si_midorikawa_caps_the_magnitude_at_8_3() -> None:
    assert ATT.pga_g(9.0, 100.0, 0.0, ["Japan"], 30.0) == pytest.approx(
        ATT.pga_g(8.3, 100.0, 0.0, ["Japan"], 30.0)
    )


# ------------------------------------------------------------------ Taiwan
def test_lin_2011_crustal_soil_by_hand() -> None:
    # M7, R = 20 km, soil: s = 0.125*exp(0.65*7) = 11.82905; ln(31.82905) = 3.46038
    # ln y = -3.218 + 0.935*7 - 1.464*3.46038 = -1.73900 -> 0.17570 g
    assert ATT.pga_g(7.0, 20.0, 0.0, ["Taiwan"], 10.0) == pytest.approx(0.17570, abs=1e-5)
    # M6, R = 50 km: s = 0.125*exp(3.9) = 6.17531; ln(56.17531) = 4.02848
    # ln y = -3.218 + 5.61 - 1.464*4.02848 = -3.50569 -> 0.030026 g
    assert ATT.pga_g(6.0, 50.0, 0.0, ["Taiwan"], 10.0) == pytest.approx(0.030026, abs=1e-6)
    # sigma is 0.630 in ln units
    ratio = ATT.pga_g(6.0, 50.0, 1.0, ["Taiwan"], 10.0) / ATT.pga_g(6.0, 50.0, 0.0, ["Taiwan"])
    assert ratio == pytest.approx(math.exp(0.630))


def test_lin_lee_2008_intraslab_soil_by_hand() -> None:
    # M6.5, R = 80 km, H = 50 km, soil, intraslab (Zt = 1):
    # s = 0.99178*exp(0.52632*6.5) = 30.35090; ln(110.35090) = 4.70367
    # ln y = -0.9 + 6.5 - 1.9*4.70367 + 0.004*50 + 0.31 = -2.82696 -> 0.059192 g
    model = ATT.taiwan_subduction
    assert math.exp(model.ln_pga_g(6.5, 80.0, 50.0, "intraslab")) == pytest.approx(
        0.059192, abs=1e-6
    )
    # interface: no Zt term -> exp(-0.31) times the intraslab value
    assert math.exp(model.ln_pga_g(6.5, 80.0, 50.0, "interface")) == pytest.approx(
        0.059192 * math.exp(-0.31), abs=1e-6
    )


def test_lin_lee_2008_matches_the_openquake_verification_table() -> None:
    # openquake/hazardlib/tests/gsim/data/LL08/LL08SSlab_MEAN.csv, PGA column:
    # M5, H = 0, R = 30 km, Vs30 180 (soil): 0.0626298745; by hand
    # s = 0.99178*exp(0.52632*5) = 13.78138; ln y = -0.9 + 5 - 1.9 ln(43.78138) + 0.31
    soil = ATT.taiwan_subduction
    assert math.exp(soil.ln_pga_g(5.0, 30.0, 0.0, "intraslab")) == pytest.approx(
        0.0626298745, rel=1e-4
    )


def test_rock_coefficients_are_available(tmp_path: Path) -> None:
    from chipstress.workflows.hazards.params import load_parameters

    data = yaml.safe_load((DATA / "attenuation.yaml").read_text(encoding="utf-8"))
    data["lin_lee_2008"]["site_class"] = "rock"
    (tmp_path / "attenuation.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    rock = load_parameters(tmp_path).attenuation.taiwan_subduction
    # LL08SSlab_MEAN.csv: M5, H = 0, R = 10 km, Vs30 600 (rock): 0.1219284674
    assert math.exp(rock.ln_pga_g(5.0, 10.0, 0.0, "intraslab")) == pytest.approx(
        0.1219284674, rel=1e-4
    )


def test_taiwan_fault_type_picks_the_model() -> None:
    crustal = ATT.pga_g(7.0, 50.0, 0.0, ["Taiwan"], 20.0)
    assert crustal == pytest.approx(math.exp(ATT.taiwan_crustal.ln_pga_g(7.0, 50.0, 20.0, "")))
    interface = ATT.pga_g(7.0, 50.0, 0.0, ["Japan", "Taiwan"], 20.0, "japan_trench")
    assert interface[1] == pytest.approx(
        math.exp(ATT.taiwan_subduction.ln_pga_g(7.0, 50.0, 20.0, "interface"))
    )


# ------------------------------------------------------------------ the general model
def test_other_countries_use_fukushima_tanaka() -> None:
    # M7, R = 20 km (see test_footprints): 289.27 gal
    pga = ATT.pga_g(7.0, np.array([20.0, 20.0]), 0.0, ["USA", "Taiwan"], 10.0)
    assert pga[0] * G_CM_S2 == pytest.approx(289.27, abs=0.01)
    assert pga[1] != pytest.approx(pga[0])
    assert ATT.pga_g(7.0, 20.0) * G_CM_S2 == pytest.approx(289.27, abs=0.01)


def test_batches_of_events_broadcast_over_sites() -> None:
    m = np.array([[6.0], [7.0]])
    r = np.array([[10.0, 40.0, 90.0], [15.0, 45.0, 95.0]])
    countries = ["Japan", "Taiwan", "USA"]
    pga = ATT.pga_g(m, r, np.array([[0.0], [0.5]]), countries, np.array([[10.0], [20.0]]))
    assert pga.shape == (2, 3)
    for e in range(2):
        for s in range(3):
            one = ATT.pga_g(m[e, 0], r[e, s], [0.0, 0.5][e], [countries[s]], [10.0, 20.0][e])
            assert pga[e, s] == pytest.approx(one)
    with pytest.raises(ValueError, match="2 countries for 3 sites"):
        ATT.pga_g(7.0, np.ones(3), 0.0, ["Japan", "Taiwan"])


COUNTRIES = st.sampled_from(["Japan", "Taiwan", "USA"])
FAULTS = st.sampled_from([None, "japan_trench"])


@given(
    st.floats(4.0, 8.3),
    st.floats(1.0, 250.0),
    st.floats(1.0, 250.0),
    st.floats(0.0, 60.0),
    COUNTRIES,
    FAULTS,
)
def test_pga_and_pgv_fall_with_distance(
    m: float, r1: float, r2: float, depth: float, country: str, source: str | None
) -> None:
    near, far = sorted((r1, r2))
    for measure in (ATT.pga_g, ATT.pgv_cms):
        values = measure(m, np.array([near, far]), 0.0, [country] * 2, depth, source)
        assert values[0] >= values[1] * (1 - 1e-12)


@given(
    st.floats(4.0, 8.0),
    st.floats(4.0, 8.0),
    st.floats(1.0, 250.0),
    st.floats(0.0, 60.0),
    COUNTRIES,
    FAULTS,
)
def test_pga_and_pgv_rise_with_magnitude(
    m1: float, m2: float, r: float, depth: float, country: str, source: str | None
) -> None:
    small, large = sorted((m1, m2))
    for measure in (ATT.pga_g, ATT.pgv_cms):
        a = measure(small, r, 0.0, [country], depth, source)
        b = measure(large, r, 0.0, [country], depth, source)
        assert b >= a * (1 - 1e-12)


# ------------------------------------------------------------------ intensity scales
def test_cwa_levels_at_their_boundaries() -> None:
    pga = [0.79, 0.8, 2.49, 2.5, 7.99, 8.0, 24.9, 25.0, 79.9]
    assert [_label(cwa_level(a, 0.0)) for a in pga] == [
        "0", "1", "1", "2", "2", "3", "3", "4", "4"
    ]  # fmt: skip
    # from 80 gal the level follows PGV; below 15 cm/s it stays 4
    pgv = [14.9, 15.0, 29.9, 30.0, 49.9, 50.0, 79.9, 80.0, 139.9, 140.0]
    assert [_label(cwa_level(80.0, v)) for v in pgv] == [
        "4", "5-", "5-", "5+", "5+", "6-", "6-", "6+", "6+", "7"
    ]  # fmt: skip
    # a large PGV does not lift a small PGA past 4
    assert _label(cwa_level(79.0, 200.0)) == "4"


def test_jma_levels_at_their_boundaries() -> None:
    # I = 2.68 + 1.72 log10 PGV: PGV = 10 cm/s -> 4.40
    assert jma_instrumental(10.0) == pytest.approx(4.40)
    bounds = [0.44, 0.45, 1.44, 1.5, 3.44, 3.45, 4.44, 4.45, 4.94, 4.95, 5.44, 5.45, 5.95, 6.45]
    labels = [_label(jma_level(i)) for i in bounds]
    assert labels == ["0", "1", "1", "2", "3", "4", "4", "5-", "5-", "5+", "5+", "6-", "6+", "7"]
    # the PGV of each class bound: 10^((I - 2.68) / 1.72)
    for i, label in [(4.5, "5-"), (5.0, "5+"), (5.5, "6-"), (6.0, "6+"), (6.5, "7")]:
        pgv = 10 ** ((i - 2.68) / 1.72)
        assert _label(jma_level(jma_instrumental(pgv * 1.0001))) == label


def test_mmi_worden_2012() -> None:
    # 20 gal: 1.78 + 1.55 log10 20 = 3.7966; 300 gal: -1.60 + 3.70 log10 300 = 7.5653
    assert mmi_worden_2012(20.0) == pytest.approx(3.7966, abs=1e-4)
    assert mmi_worden_2012(300.0) == pytest.approx(7.5653, abs=1e-4)
    # the two branches meet at log10 PGA = 1.57
    assert pytest.approx(-1.60 + 3.70 * 1.57, abs=0.01) == 1.78 + 1.55 * 1.57


def test_intensity_labels_by_country() -> None:
    labels = ATT.intensity(7.0, np.array([20.0, 20.0, 20.0]), 0.0, ["Japan", "Taiwan", "USA"], 12.0)
    assert labels[0].startswith("JMA ")
    assert labels[1].startswith("CWA ")
    assert labels[2].startswith("MMI ")


# ------------------------------------------------------------------ the record
def _catalogue_quake(entry: str, name: str) -> dict:
    data = yaml.safe_load((DATA / "catalogue.yaml").read_text(encoding="utf-8"))
    return next(e for e in data[entry]["events"] if e["name"] == name)


def test_hualien_2024_cwa_intensity_at_the_science_parks() -> None:
    # Reported (../shared/facts/event_outcomes.csv, focustaiwan 2024-04-04): intensity 5
    # at the Hsinchu parks, 4 at Taichung and Tainan. Mw 7.4 (the catalogue's 7.2 is
    # CWA's local magnitude), catalogue epicentre and depth.
    quake = _catalogue_quake("hualien_2024", "Hualien mainshock")
    lat0, lon0 = quake["epicentre"]
    reported = {HSINCHU: "5-", TAINAN: "4"}
    for (lat, lon), level in reported.items():
        r = hypocentral_km(great_circle_km(lat, lon, lat0, lon0), quake["depth_km"])
        label = ATT.intensity(7.4, np.atleast_1d(r), 0.0, ["Taiwan"], quake["depth_km"])[0]
        got = LEVEL_LABELS.index(label.removeprefix("CWA "))
        assert abs(got - LEVEL_LABELS.index(level)) <= 1, (lat, lon, label)


def test_kumamoto_2016_jma_intensity_at_jasm() -> None:
    # Mw 7.0 mainshock (the catalogue's 7.3 is JMA's magnitude), focal depth 12 km.
    quake = _catalogue_quake("kumamoto_2016", "Kumamoto mainshock")
    depth = quake["depth_km"]
    # The Futagawa rupture broke the surface: X = distance from JASM to the fault trace
    # of rates.yaml (futagawa_fault), 8.6 km.
    rates = yaml.safe_load((DATA / "rates.yaml").read_text(encoding="utf-8"))
    trace = next(r for r in rates["earthquakes"] if r["id"] == "futagawa_fault")["trace"]
    x = distance_to_track_km(*JASM, np.asarray(trace, dtype=float))
    assert x[0] == pytest.approx(8.6, abs=0.1)
    # log10 V = 0.58*7 + 0.0038*12 - 1.29 - log10(8.59 + 8.854) - 0.002*8.59 = 1.5570
    # V = 36.1 cm/s, x 1.41 = 50.9 cm/s; I = 2.68 + 1.72 log10 50.9 = 5.61 -> 6-
    pgv = ATT.pgv_cms(7.0, x, 0.0, ["Japan"], depth)
    assert pgv[0] == pytest.approx(50.9, abs=0.2)
    label = ATT.intensity(7.0, x, 0.0, ["Japan"], depth)[0]
    assert LEVEL_LABELS.index(label.removeprefix("JMA ")) >= LEVEL_LABELS.index("6-")
    # With the catalogue's point source (R = 20.6 km hypocentral) the median is one class
    # lower, 5+: a point source puts the 30 km rupture at its epicentre.
    lat0, lon0 = quake["epicentre"]
    r = hypocentral_km(great_circle_km(*JASM, lat0, lon0), depth)
    point = ATT.intensity(7.0, np.atleast_1d(r), 0.0, ["Japan"], depth)[0]
    assert point == "JMA 5+"

"""The sources' ``lead_time`` column: schema default, validation, fingerprint, reference JSON."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chipstress import Network, load_builtin
from chipstress.engine.timeline import TimelineModel
from chipstress.errors import InvalidNetwork
from chipstress.model.io import read_network, write_folder
from chipstress.model.io.reference_json import dropped_columns

NODES = pd.DataFrame(
    [
        {"id": "a", "material": "m", "capacity": 1},
        {"id": "p", "material": "q", "capacity": 1, "demand": 1, "margin": 1},
    ]
)
BOM = pd.DataFrame([{"node": "p", "material": "m", "quantity": 1.0}])


def _network(**edge: object) -> Network:
    return Network.from_tables(
        NODES, BOM, pd.DataFrame([{"supplier": "a", "customer": "p", **edge}])
    )


def test_lead_time_defaults_to_zero() -> None:
    assert _network().sources["lead_time"].tolist() == [0.0]
    assert _network(lead_time=float("nan")).sources["lead_time"].tolist() == [0.0]  # empty cell
    assert _network(lead_time=2.5).sources["lead_time"].tolist() == [2.5]


@pytest.mark.parametrize("value", [-1.0, float("inf"), "slow"])
def test_bad_lead_times_name_row_and_field(value: object) -> None:
    with pytest.raises(InvalidNetwork) as error:
        _network(lead_time=value)
    problems = [p for p in error.value.problems if p.field == "lead_time"]
    assert problems and problems[0].location == "row 1"


def test_bad_lead_time_in_a_file_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "net"
    write_folder(load_builtin("tri-cluster"), folder)
    sources = folder / "sources.csv"
    table = pd.read_csv(sources)
    table["lead_time"] = 0.0
    table.loc[2, "lead_time"] = -3.0
    table.to_csv(sources, index=False)
    with pytest.raises(InvalidNetwork) as error:
        read_network(folder)
    (problem,) = [p for p in error.value.problems if p.field == "lead_time"]
    assert problem.file.endswith("sources.csv") and problem.location == "row 3"
    assert "negative" in problem.message


def test_fingerprint_ignores_an_all_zero_lead_time() -> None:
    network = _network()
    without = Network(
        network.nodes, network.bom, network.sources.drop(columns="lead_time"), network.meta
    )
    assert network.fingerprint() == without.fingerprint()
    assert _network(lead_time=1.0).fingerprint() != network.fingerprint()


def test_reference_json_reports_non_zero_lead_times_as_dropped() -> None:
    assert "sources.lead_time" not in dropped_columns(_network())
    assert "sources.lead_time" in dropped_columns(_network(lead_time=1.0))


def test_the_timeline_reads_the_column() -> None:
    model = TimelineModel(_network(lead_time=1.5), 4, 1.0)
    assert model.lead.tolist() == [2]
    assert TimelineModel(_network(), 4, 1.0).lead.tolist() == [0]
    assert np.array_equal(TimelineModel(_network(lead_time=1.5), 4, 0.5).lead, [3])

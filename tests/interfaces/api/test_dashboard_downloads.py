"""What the dashboard takes away and draws, through the API: a stored run's tables as Excel
(one table, or the whole run as a workbook) and CSV, the supply edges the network explorer
draws, and the historical events the replay panel lists."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from chipstress import load_builtin
from chipstress.interfaces.api.workbook import MEDIA_TYPE, sheet_name, workbook_bytes
from chipstress.workflows.hazards import catalogue


def _sheets(content: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in book}


def test_workbook_keeps_numbers_text_and_forever() -> None:
    frame = pd.DataFrame(
        {
            "node": ['=HYPERLINK("http://x")', "+1", "fab"],
            "tts": [math.inf, 2.5, math.nan],
            "exposed": [True, False, True],
            "count": [1, 2, 3],
        }
    )
    content = workbook_bytes({"sweep": frame}, {"run_id": "sw-1", "parameters": {"a": [1, 2]}})
    sheets = _sheets(content)
    assert list(sheets) == ["run", "sweep"]
    assert sheets["run"] == [
        ("field", "value"),
        ("run_id", "sw-1"),
        ("parameters", '{"a": [1, 2]}'),
    ]
    assert sheets["sweep"][0] == ("node", "tts", "exposed", "count")
    # A name that looks like a formula stays text; forever is "inf"; a missing value is empty.
    assert sheets["sweep"][1] == ('=HYPERLINK("http://x")', "inf", True, 1)
    assert sheets["sweep"][2] == ("+1", 2.5, False, 2)
    assert sheets["sweep"][3] == ("fab", None, True, 3)
    book = load_workbook(io.BytesIO(content))
    assert book["sweep"]["A2"].data_type == "s"  # not "f": Excel will not run it


def test_sheet_names_are_valid_and_distinct() -> None:
    assert sheet_name("lost/by:period?") == "lost_by_period_"
    long = "x" * 40
    first = sheet_name(long)
    assert len(first) == 31
    second = sheet_name(long, [first])
    assert len(second) == 31 and second.endswith("~2") and second != first
    assert sheet_name("Run", ["run"]) == "Run~2"  # Excel compares names without case


def test_run_tables_as_excel_and_csv(
    client: TestClient, run_job: Callable[..., dict[str, Any]]
) -> None:
    out = run_job(
        "contingency",
        {"network": "tri-cluster", "disruption": {"kumamoto_groundwater": 1.0}, "duration": 3},
    )
    run_id = out["job"]["run_id"]
    run = client.get(f"/api/runs/{run_id}").json()
    assert run["tables"]

    whole = client.get(f"/api/runs/{run_id}/tables.xlsx")
    assert whole.status_code == 200
    assert whole.headers["content-type"] == MEDIA_TYPE
    assert f'filename="{run_id}.xlsx"' in whole.headers["content-disposition"]
    sheets = _sheets(whole.content)
    assert list(sheets) == ["run", *run["tables"]]
    about = dict(sheets["run"][1:])
    assert about["run_id"] == run_id and about["kind"] == "contingency"
    for name in run["tables"]:
        table = client.get(f"/api/runs/{run_id}/tables/{name}?limit=100000").json()
        rows = sheets[name]
        assert list(rows[0]) == (list(table["rows"][0]) if table["rows"] else list(rows[0]))
        assert len(rows) - 1 == table["total_rows"]

    # One table: {name}.xlsx is ?format=xlsx, {name}.csv is ?format=csv.
    name = "lost"
    one = client.get(f"/api/runs/{run_id}/tables/{name}.xlsx")
    assert one.status_code == 200 and one.headers["content-type"] == MEDIA_TYPE
    assert _sheets(one.content)[name] == sheets[name]
    csv = client.get(f"/api/runs/{run_id}/tables/{name}.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text == client.get(f"/api/runs/{run_id}/tables/{name}?format=csv").text
    frame = pd.read_csv(io.StringIO(csv.text))
    assert frame["lost_profit"].sum() == pytest.approx(sum(r[-1] for r in sheets[name][1:]))


def test_download_errors_name_what_is_missing(
    client: TestClient, run_job: Callable[..., dict[str, Any]]
) -> None:
    missing = client.get("/api/runs/sw-00000000-000000-000000/tables.xlsx")
    assert missing.status_code == 404
    out = run_job(
        "contingency",
        {"network": "tri-cluster", "disruption": {"kumamoto_groundwater": 1.0}, "duration": 1},
    )
    run_id = out["job"]["run_id"]
    for path in ("nope.xlsx", "nope.csv", "lost.pdf"):
        answer = client.get(f"/api/runs/{run_id}/tables/{path}")
        assert answer.status_code == 404, path
        assert "has no table" in answer.json()["detail"] and "lost" in answer.json()["detail"]


def test_edges_are_the_networks_sources(client: TestClient) -> None:
    network = load_builtin("tri-cluster")
    edges = client.get("/api/networks/tri-cluster/edges").json()
    expected = sorted(zip(network.sources["supplier"], network.sources["customer"], strict=True))
    assert sorted(map(tuple, edges)) == expected
    assert client.get("/api/networks/nope/edges").status_code == 404


def test_events_list_the_catalogue(client: TestClient) -> None:
    events = client.get("/api/events").json()
    known = catalogue()
    assert [e["id"] for e in events] == list(known)
    first = events[0]
    assert first["name"] == known[first["id"]].name and first["date"] == known[first["id"]].date

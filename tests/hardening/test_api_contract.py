"""The API's contract under hostile input (issue 14, items 1, 5 and 9; ``docs/security.md``).

Cross-site posts refused without a token; JSON bombs refused before parsing; strict
booleans and integers; every error body shaped as the OpenAPI document says
(``ErrorOut``), with the codes each route returns documented; no server path in any
error body; an unexpected exception answered as a 500 without reaching the server.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from chipstress.interfaces.api import create_app
from chipstress.interfaces.api.models import ErrorOut
from chipstress.interfaces.api.security import json_depth, same_origin


@pytest.fixture
def api(tmp_path: Path) -> Iterator[FastAPI]:
    application = create_app(db=tmp_path / "contract.duckdb", max_upload_bytes=1_000_000)
    yield application
    application.state.chipstress.jobs.close()
    application.state.chipstress.store.close()
    application.state.chipstress.registry.close()


@pytest.fixture
def client(api: FastAPI) -> TestClient:
    return TestClient(api)


def _zip(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, path.name)
    return buffer.getvalue()


def _upload(client: TestClient, data: bytes, headers: dict[str, str] | None = None) -> Any:
    return client.post(
        "/api/networks", files={"file": ("tiny.zip", data, "application/zip")}, headers=headers
    )


def _error_body(response: Any) -> ErrorOut:
    """The body, checked against the documented error model."""
    return ErrorOut.model_validate(response.json())


# ---------------------------------------------------------------------------- Origin / CSRF
def test_cross_site_upload_is_refused_without_a_token(client: TestClient, tiny_path: Path) -> None:
    data = _zip(tiny_path)
    refused = _upload(client, data, {"Origin": "http://evil.example"})
    assert refused.status_code == 403
    assert "cross-site" in str(_error_body(refused).detail)
    assert _upload(client, data, {"Referer": "http://evil.example/page"}).status_code == 403
    assert _upload(client, data, {"Origin": "null"}).status_code == 403
    assert _upload(client, data, {"Origin": "http://testserver"}).status_code == 201
    assert _upload(client, data).status_code == 201  # curl, scripts, the CLI
    # GETs stay open (and side-effect free)
    assert client.get("/api/networks", headers={"Origin": "http://evil.example"}).status_code == 200


def test_cross_site_job_and_delete_are_refused(client: TestClient) -> None:
    evil = {"Origin": "https://evil.example"}
    body = {"network": "tri-cluster", "nodes": ["port_hakata"]}
    assert client.post("/api/jobs/sweep", json=body, headers=evil).status_code == 403
    assert client.delete("/api/runs/x", headers=evil).status_code == 403
    response = client.delete("/api/jobs/job-x", headers=evil)
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("server", "origin", "same"),
    [
        (("127.0.0.1", 8000), "http://127.0.0.1:8000", True),
        (("127.0.0.1", 8000), "http://localhost:8000", True),
        (("127.0.0.1", 8000), "http://[::1]:8000", True),
        (("127.0.0.1", 8000), "http://127.0.0.1:8001", False),
        (("127.0.0.1", 8000), "https://127.0.0.1:8000", False),
        (("127.0.0.1", 8000), "http://evil.example:8000", False),  # DNS rebinding
        (("127.0.0.1", 80), "http://localhost", True),
    ],
)
def test_same_origin(server: tuple[str, int], origin: str, same: bool) -> None:
    scope = {"scheme": "http", "server": server, "headers": [(b"origin", origin.encode())]}
    assert same_origin(scope) is same


def test_a_token_replaces_the_origin_check(tmp_path: Path, tiny_path: Path) -> None:
    application = create_app(db=tmp_path / "token.duckdb", token="s3cret")
    try:
        client = TestClient(application)
        headers = {"Authorization": "Bearer s3cret", "Origin": "http://evil.example"}
        assert _upload(client, _zip(tiny_path), headers).status_code == 201
    finally:
        application.state.chipstress.jobs.close()
        application.state.chipstress.registry.close()


# ---------------------------------------------------------------------------- JSON bombs
@pytest.mark.parametrize("route", ["scenario", "whatif-edits", "plan", "sweep"])
def test_deeply_nested_json_is_a_422(client: TestClient, route: str) -> None:
    body = b'{"network": "tri-cluster", "events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = client.post(
        f"/api/jobs/{route}", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert "nested 100,001 levels deep" in str(_error_body(response).detail)


def test_json_depth_skips_strings() -> None:
    assert json_depth(b'{"a": "[[[[\\"[[", "b": [[1]]}') == 3
    assert json_depth(b"3") == 0
    assert json_depth(b"[" * 500 + b"]" * 500) == 500


def test_ordinary_nesting_passes(client: TestClient) -> None:
    events = [{"type": "outage", "nodes": {"port_hakata": {"fraction": 1.0}}}]
    response = client.post("/api/jobs/scenario", json={"network": "tri-cluster", "events": events})
    assert response.status_code in (202, 422), response.text
    assert "nested" not in response.text


# ---------------------------------------------------------------------------- strict types
@pytest.mark.parametrize(
    ("route", "body", "field"),
    [
        ("sweep", {"network": "tri-cluster", "save": 0}, "save"),
        ("sweep", {"network": "tri-cluster", "save": "true"}, "save"),
        ("sweep", {"network": "tri-cluster", "include_products": 1}, "include_products"),
        ("simulate", {"network": "tri-cluster", "seed": False}, "seed"),
        ("simulate", {"network": "tri-cluster", "years": 10.0}, "years"),
        ("simulate", {"network": "tri-cluster", "years": "10"}, "years"),
        ("impact", {"network": "tri-cluster", "duration": True}, "duration"),
        (
            "plan",
            {"network": "tri-cluster", "example": "tri-cluster", "budgets": [False]},
            "budgets",
        ),
    ],
)
def test_no_coercion(client: TestClient, route: str, body: dict[str, Any], field: str) -> None:
    response = client.post(f"/api/jobs/{route}", json=body)
    assert response.status_code == 422, response.text
    error = _error_body(response)
    assert isinstance(error.detail, list)
    assert any(field in issue.loc for issue in error.detail)


def test_integers_still_count_as_numbers(client: TestClient) -> None:
    body = {"network": "tri-cluster", "disruption": {"port_hakata": 1}, "duration": 4}
    response = client.post("/api/jobs/impact", json={**body, "save": False})
    assert response.status_code == 202, response.text


# ---------------------------------------------------------------------------- error bodies
def test_every_documented_error_uses_the_error_model(api: FastAPI) -> None:
    document = api.openapi()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for code in ("400", "401", "500"):
                assert code in responses, (method, path, code)
            for code, response in responses.items():
                if code.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (path, code)
            if method in ("post", "delete"):
                assert "403" in responses, (method, path)


def test_error_codes_are_documented_where_returned(api: FastAPI) -> None:
    paths = api.openapi()["paths"]
    assert "404" in paths["/api/networks/{network_id}"]["get"]["responses"]
    assert "409" in paths["/api/networks/{network_id}"]["delete"]["responses"]
    assert "409" in paths["/api/jobs/{job_id}/result"]["get"]["responses"]
    assert {"413", "415", "422"} <= set(paths["/api/networks"]["post"]["responses"])
    assert {"404", "503"} <= set(paths["/api/runs/{run_id}"]["get"]["responses"])


def test_error_bodies_match_the_model(client: TestClient) -> None:
    responses = [
        client.get("/api/networks/nope"),
        client.get("/api/jobs/job-nope/result"),
        client.delete("/api/networks/tri-cluster"),
        client.post("/api/jobs/sweep", json={"network": "tri-cluster", "nodes": ["nope"]}),
        client.post("/api/jobs/sweep", json={"network": 3}),
        client.post("/api/networks", files={"file": ("a.txt", b"x")}),
        client.post("/api/jobs/sweep", content=b"{", headers={"content-type": "application/json"}),
    ]
    assert [r.status_code for r in responses] == [404, 404, 409, 422, 422, 415, 422]
    for response in responses:
        _error_body(response)


def test_no_server_paths_in_error_bodies(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database folder should be")
    application = create_app(db=blocker / "results.duckdb")
    try:
        client = TestClient(application)
        response = client.get("/api/runs")
        assert response.status_code == 503, response.text
        assert str(tmp_path) not in response.text and "/tmp" not in response.text
        assert "results database" in str(_error_body(response).detail)
        health = client.get("/api/health").json()
        assert health["status"] == "ok"
    finally:
        application.state.chipstress.jobs.close()
        application.state.chipstress.registry.close()


def test_unexpected_errors_are_500s_that_never_reach_the_server(api: FastAPI) -> None:
    @api.get("/api/test-crash", include_in_schema=False)
    def crash() -> None:
        raise RuntimeError("secret /home/user/data.duckdb")

    @api.get("/api/test-recursion", include_in_schema=False)
    def recursion() -> None:
        raise RecursionError("maximum recursion depth exceeded")

    client = TestClient(api, raise_server_exceptions=True)  # an escaping error would raise here
    response = client.get("/api/test-crash")
    assert response.status_code == 500
    assert "secret" not in response.text and "RuntimeError" in str(_error_body(response).detail)
    assert client.get("/api/test-recursion").status_code == 422
    assert client.get("/api/health").status_code == 200


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("scenario", {"network": "tri-cluster", "yaml": "a: " + "[" * 20_000 + "]" * 20_000}),
        ("whatif", {"network": "tri-cluster", "yaml": "edits: " + "[" * 20_000 + "]" * 20_000}),
        ("plan", {"network": "tri-cluster", "yaml": "[" * 20_000 + "]" * 20_000, "budgets": [1]}),
    ],
)
def test_deeply_nested_yaml_text_is_a_422(
    client: TestClient, route: str, body: dict[str, Any]
) -> None:
    response = client.post(f"/api/jobs/{route}", json=body)
    assert response.status_code == 422, response.text
    assert _error_body(response).field == "yaml"


def test_huge_numbers_are_422s(client: TestClient) -> None:
    big = "1" + "0" * 400
    for route, text in [
        ("impact", '{"network":"tri-cluster","disruption":{"port_hakata":1},"duration":%s}'),
        ("simulate", '{"network":"tri-cluster","seed":%s}'),
    ]:
        response = client.post(
            f"/api/jobs/{route}",
            content=(text % big).encode(),
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 422, response.text
    upload = client.post("/api/networks", files={"file": ("a.json", b'{"n": %s}' % big.encode())})
    assert upload.status_code == 422, upload.text

"""Tokens, the dashboard's static files, host checks, and ``chipstress serve``'s refusal to
listen beyond this machine without a token."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from chipstress.interfaces.api import create_app
from chipstress.interfaces.api.security import COOKIE, static_key
from chipstress.interfaces.cli import app as cli
from chipstress.interfaces.cli.serve import is_loopback

TOKEN = "s3cret-token"


@pytest.fixture
def guarded(tmp_path: Path) -> TestClient:
    return TestClient(create_app(db=tmp_path / "r.duckdb", token=TOKEN))


@pytest.mark.parametrize(
    "path",
    [
        "/api/health",
        "/api/networks",
        "/openapi.json",
        "/",
        "/static/app.js",
        "/static/plotly.min.js",
    ],
)
def test_every_request_needs_the_token(guarded: TestClient, path: str) -> None:
    response = guarded.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    wrong = guarded.get(path, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = guarded.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200


def test_posts_need_the_token_too(guarded: TestClient) -> None:
    body = {"network": "tri-cluster"}
    assert guarded.post("/api/jobs/sweep", json=body).status_code == 401
    response = guarded.post("/api/networks", files={"file": ("x.json", b"{}", "application/json")})
    assert response.status_code == 401


def test_dashboard_token_in_the_url_once(guarded: TestClient) -> None:
    page = guarded.get(f"/?token={TOKEN}")
    assert page.status_code == 200 and "chipstress" in page.text
    cookie = page.headers["set-cookie"]
    assert f"{COOKIE}={static_key(TOKEN)}" in cookie and "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie and TOKEN not in cookie
    # The cookie opens the static files, never the API.
    guarded.cookies.set(COOKIE, static_key(TOKEN))
    assert guarded.get("/static/style.css").status_code == 200
    assert guarded.get("/api/health").status_code == 401
    assert guarded.get("/?token=wrong").status_code == 401
    guarded.cookies.set(COOKIE, "forged")
    assert guarded.get("/static/style.css").status_code == 401


def test_no_token_configured_means_open(client: TestClient) -> None:
    assert client.get("/api/health").json()["token_required"] is False
    assert client.get("/").status_code == 200


def test_static_assets_are_local(client: TestClient) -> None:
    page = client.get("/").text
    assert "/static/plotly.min.js" in page and "/static/app.js" in page
    assert "http://" not in page and "https://" not in page
    for name in ("app.js", "api.js", "map.js", "state.js", "style.css"):
        asset = client.get(f"/static/{name}")
        assert asset.status_code == 200, name
        assert "https://" not in asset.text and "http://" not in asset.text, name
    plotly = client.get("/static/plotly.min.js")
    assert plotly.status_code == 200 and len(plotly.content) > 1_000_000
    assert client.get("/static/nothing.js").status_code == 404
    labels = client.get("/api/labels").json()
    assert labels["clusters"]["arizona"] == {
        "en": "Arizona",
        "zh-Hant": "亞利桑那",
        "ja": "アリゾナ",
    }
    assert labels["clusters"]["kaohsiung"]["ja"] == "高雄"
    assert labels["clusters"]["kumamoto"]["zh-Hant"] == "熊本"


def test_openapi_schema(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/networks",
        "/api/networks/{network_id}/nodes",
        "/api/jobs/sweep",
        "/api/jobs/whatif",
        "/api/jobs/{job_id}/result",
        "/api/runs/{run_id}/tables/{name}",
        "/api/runs/{run_id}/report",
    ):
        assert path in paths
    assert client.get("/docs").status_code == 404  # Swagger UI would load from a CDN


def test_trusted_hosts(tmp_path: Path) -> None:
    local = TestClient(
        create_app(db=tmp_path / "r.duckdb", allowed_hosts=["127.0.0.1", "localhost"]),
        base_url="http://localhost:8000",
    )
    assert local.get("/api/health").status_code == 200
    response = local.get("/api/health", headers={"host": "evil.example"})
    assert response.status_code == 400


def test_json_bodies_have_a_size_limit(client: TestClient) -> None:
    huge = {"network": "tri-cluster", "yaml": "x" * 6_000_000}
    response = client.post("/api/jobs/scenario", json=huge)
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("192.168.1.4", False),
        ("example.org", False),
        ("::", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_serve_refuses_a_public_host_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHIPSTRESS_TOKEN", raising=False)
    started = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: started.append(k))
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "--token" in result.output and "CHIPSTRESS_TOKEN" in result.output
    assert not started


def test_serve_starts_with_a_token_or_on_loopback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[dict] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **k: calls.append({"app": app, **k}))
    monkeypatch.setenv("CHIPSTRESS_TOKEN", TOKEN)
    result = CliRunner().invoke(
        cli, ["serve", "--host", "0.0.0.0", "--port", "8123", "--db", str(tmp_path / "r.duckdb")]
    )
    assert result.exit_code == 0, result.output
    assert calls[-1]["host"] == "0.0.0.0" and calls[-1]["port"] == 8123
    guarded = TestClient(calls[-1]["app"])
    assert guarded.get("/api/health").status_code == 401
    monkeypatch.delenv("CHIPSTRESS_TOKEN")
    result = CliRunner().invoke(
        cli, ["serve", "--max-upload-mb", "2", "--db", str(tmp_path / "r.duckdb")]
    )
    assert result.exit_code == 0, result.output
    assert calls[-1]["host"] == "127.0.0.1" and calls[-1]["port"] == 8000
    local = TestClient(calls[-1]["app"], base_url="http://127.0.0.1:8000")
    health = local.get("/api/health").json()
    assert health["token_required"] is False and health["max_upload_bytes"] == 2 * 1024 * 1024

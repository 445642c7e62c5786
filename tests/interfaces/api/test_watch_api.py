"""The watch endpoints: POST /api/news (uploads only), POST /api/watch/poll over the
configured folders, GET /api/alerts and /api/alerts/{id}; their errors (ErrorOut bodies
with documented codes) and that no server path reaches a client."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from chipstress.interfaces.api.routes_watch import MAX_NEWS_FILE_BYTES

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "workflows" / "watch"))
from watch_alert_helpers import STORY, usgs_feed

FEED = usgs_feed("us7000api01")


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "watched-inbox"
    folder.mkdir()
    (folder / "story.txt").write_text(STORY, encoding="utf-8")
    (folder / "usgs.geojson").write_text(json.dumps(FEED), encoding="utf-8")
    return folder


def _files(*items: tuple[str, bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (name, body, "application/octet-stream")) for name, body in items]


def test_news_upload_is_ranked_with_evidence(client: TestClient) -> None:
    response = client.post(
        "/api/news",
        files=_files(("story.txt", STORY.encode()), ("usgs.geojson", json.dumps(FEED).encode())),
        data={"network": "tri-cluster"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["network"] == "tri-cluster" and body["items_read"] == 2
    events = body["events"]
    assert [e["rank"] for e in events] == [1, 2]
    assert events[0]["loss"] >= events[1]["loss"] > 0
    sources = {ev["source"] for e in events for ev in e["evidence"]}
    assert sources <= {"story.txt", "usgs.geojson"}, sources
    assert "chipstress-news-" not in response.text  # no server path
    assert any("Kaohsiung" in ev["text"] for e in events for ev in e["evidence"])


@pytest.mark.parametrize(
    ("files", "status", "words"),
    [
        ([("tool.exe", b"MZ")], 415, "not a news or feed file"),
        ([("empty.txt", b"")], 422, "empty"),
        ([("big.txt", b"x" * (MAX_NEWS_FILE_BYTES + 1))], 413, "the limit per file"),
    ],
)
def test_news_refuses_bad_uploads(
    client: TestClient, files: list[tuple[str, bytes]], status: int, words: str
) -> None:
    response = client.post("/api/news", files=_files(*files))
    assert response.status_code == status, response.text
    body = response.json()
    assert words in body["detail"] and body["field"] == "files"


def test_news_unknown_network(client: TestClient) -> None:
    response = client.post("/api/news", files=_files(("a.txt", b"x")), data={"network": "nope"})
    assert response.status_code == 404 and "no network 'nope'" in response.json()["detail"]


def test_news_needs_files(client: TestClient) -> None:
    assert client.post("/api/news", data={"network": "tri-cluster"}).status_code == 422


def test_poll_without_folders_is_409(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHIPSTRESS_WATCH_FOLDERS", raising=False)
    response = client.post("/api/watch/poll", json={})
    assert response.status_code == 409 and "CHIPSTRESS_WATCH_FOLDERS" in response.json()["detail"]


def test_poll_then_alerts(app: FastAPI, client: TestClient, inbox: Path, tmp_path: Path) -> None:
    missing = tmp_path / "not-there"
    app.state.watch_folders = [str(inbox), str(missing), "https://example.invalid/feed"]
    first = client.post("/api/watch/poll", json={"network": "tri-cluster"})
    assert first.status_code == 200, first.text
    report = first.json()
    assert report["new_events"] == 2 and len(report["alerts"]) == 2
    assert str(missing) not in first.text and str(inbox) not in first.text
    assert [e["source"] for e in report["source_errors"]] == ["watch folder"]
    again = client.post("/api/watch/poll", json={"network": "tri-cluster"}).json()
    assert again["new_events"] == 0 and again["alerts"] == []

    listing = client.get("/api/alerts").json()
    assert listing["total"] == 2 and len(listing["alerts"]) == 2
    alert = listing["alerts"][0]
    assert alert["evidence"] and alert["sites"] and alert["loss"] > 0
    assert alert["report"] == f"/api/runs/{alert['run_id']}/report"
    one = client.get(f"/api/alerts/{alert['id']}")
    assert one.status_code == 200 and one.json()["key"] == alert["key"]
    report_page = client.get(alert["report"])
    assert report_page.status_code == 200 and "<html" in report_page.text.lower()
    page = client.get("/api/alerts", params={"limit": 1, "offset": 1}).json()
    assert page["total"] == 2 and [a["id"] for a in page["alerts"]] == [listing["alerts"][1]["id"]]
    assert client.get("/api/alerts", params={"network": "other"}).json()["total"] == 0


def test_poll_threshold(app: FastAPI, client: TestClient, inbox: Path) -> None:
    app.state.watch_folders = [str(inbox)]
    body = client.post("/api/watch/poll", json={"min_loss": 1e18}).json()
    assert body["new_events"] == 2 and body["alerts"] == []
    bad = client.post("/api/watch/poll", json={"min_loss": -1})
    assert bad.status_code == 422


def test_unknown_alert_is_404(client: TestClient) -> None:
    response = client.get("/api/alerts/al-0000")
    assert response.status_code == 404
    assert response.json() == {"detail": "no alert 'al-0000'", "field": "alert_id"}


def test_cross_site_poll_is_refused(app: FastAPI, client: TestClient, inbox: Path) -> None:
    app.state.watch_folders = [str(inbox)]
    response = client.post("/api/watch/poll", json={}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403


def test_routes_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/news", "/api/watch/poll", "/api/alerts", "/api/alerts/{alert_id}"} <= set(paths)
    assert "404" in paths["/api/alerts/{alert_id}"]["get"]["responses"]
    assert "409" in paths["/api/watch/poll"]["post"]["responses"]

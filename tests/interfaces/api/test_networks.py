"""Networks over HTTP: built-ins, uploads (good, invalid, wrong type, too big), nodes,
dependencies, a site's stress figures, the map and the water districts."""

from __future__ import annotations

import io
import math
import zipfile
from pathlib import Path

import pytest
from api_helpers import zip_folder
from fastapi.testclient import TestClient

from chipstress import load_builtin, read_network
from chipstress.engine import impact, time_to_survive


def test_builtins_and_network_list(client: TestClient) -> None:
    assert client.get("/api/builtins").json() == [{"id": "tri-cluster", "source": "builtin"}]
    networks = client.get("/api/networks").json()
    assert [n["id"] for n in networks] == ["tri-cluster"]
    tri = networks[0]
    assert tri["nodes"] == 116 and tri["products"] == 16 and tri["source"] == "builtin"
    assert tri["period"] == "week" and tri["currency"] == "USD"
    assert {"kaohsiung", "kumamoto", "arizona"} <= set(tri["clusters"])
    assert tri["fingerprint"] == load_builtin().fingerprint()


def test_network_summary_and_nodes(client: TestClient) -> None:
    summary = client.get("/api/networks/tri-cluster").json()
    assert summary["summary"].startswith("tri-cluster: 116 nodes")
    nodes = client.get("/api/networks/tri-cluster/nodes").json()
    assert len(nodes) == 116
    fab = next(n for n in nodes if n["id"] == "tsmc_fab21_az")
    assert fab["cluster"] == "arizona" and fab["kind"] == "fab" and fab["tier"] == 1
    assert (
        fab["name_zh"] == "台積電亞利桑那晶圓二十一廠" and fab["name_ja"] == "TSMCアリゾナ Fab 21"
    )
    assert -113 < fab["lon"] < -111 and 33 < fab["lat"] < 34
    assert fab["ttr"] == 4.0 and fab["material"] == "wafer_n4"


def test_unknown_network_and_node_are_404(client: TestClient) -> None:
    response = client.get("/api/networks/nowhere")
    assert response.status_code == 404
    assert "no network 'nowhere'" in response.json()["detail"]
    assert "tri-cluster" in response.json()["detail"]
    for path in ("/nodes/ghost", "/nodes/ghost/stress"):
        response = client.get(f"/api/networks/tri-cluster{path}")
        assert response.status_code == 404
        assert response.json() == {"detail": "no node 'ghost'", "field": "node"}


def test_node_dependencies(client: TestClient) -> None:
    detail = client.get("/api/networks/tri-cluster/nodes/kumamoto_groundwater").json()
    network = load_builtin()
    assert set(detail["customers"]) == set(network.customers_of("kumamoto_groundwater"))
    assert {"jasm_fab1", "sony_kumamoto_tec"} <= set(detail["products_downstream"])
    assert detail["upstream"] == [] and detail["needs"] == []
    depth_one = {d["id"] for d in detail["downstream"] if d["depth"] == 1}
    assert depth_one == set(detail["customers"])
    fab = client.get("/api/networks/tri-cluster/nodes/tsmc_fab21_az").json()
    assert fab["is_product"] is True
    assert set(fab["suppliers"]) == set(network.suppliers_of("tsmc_fab21_az"))
    assert "asml_veldhoven" in {d["id"] for d in fab["upstream"]}
    assert "zeiss_smt_oberkochen" in {d["id"] for d in fab["upstream"] if d["depth"] >= 2}
    material = dict(zip(network.nodes["id"], network.nodes["material"], strict=True))
    bom = network.bom[network.bom["node"] == "tsmc_fab21_az"]
    assert [n["material"] for n in fab["needs"]] == bom["material"].tolist()
    for need in fab["needs"]:
        expected = [
            s for s in network.suppliers_of("tsmc_fab21_az") if material[s] == need["material"]
        ]
        assert need["suppliers"] == expected and expected


def test_node_stress_matches_the_engine(client: TestClient) -> None:
    network = load_builtin()
    body = client.get("/api/networks/tri-cluster/nodes/port_hakata/stress").json()
    assert body["duration_source"] == "ttr" and body["duration"] == 3.0
    assert body["tts"] == pytest.approx(time_to_survive(network, {"port_hakata": 1.0}).tts)
    assert body["lost_profit"] == pytest.approx(
        impact(network, {"port_hakata": 1.0}, 3.0).lost_profit
    )
    assert body["exposed"] is True
    half = client.get(
        "/api/networks/tri-cluster/nodes/port_hakata/stress",
        params={"fraction": 0.5, "duration": 6},
    ).json()
    assert half["duration_source"] == "given"
    assert half["lost_profit"] == pytest.approx(
        impact(network, {"port_hakata": 0.5}, 6.0).lost_profit
    )


def test_node_stress_forever_is_the_string_infinity(client: TestClient) -> None:
    # Losing half of one of several water sources leaves demand met forever.
    network = load_builtin()
    tts = time_to_survive(network, {"reclaimed_qiaotou": 0.01}).tts
    body = client.get(
        "/api/networks/tri-cluster/nodes/reclaimed_qiaotou/stress", params={"fraction": 0.01}
    ).json()
    if math.isinf(tts):
        assert body["tts"] == "Infinity"
    else:
        assert body["tts"] == pytest.approx(tts)


@pytest.mark.parametrize(
    "params",
    [
        {"fraction": 0},
        {"fraction": 1.5},
        {"fraction": "lots"},
        {"duration": -1},
        {"duration": "nan"},
    ],
)
def test_node_stress_bad_parameters_are_422(client: TestClient, params: dict) -> None:
    response = client.get("/api/networks/tri-cluster/nodes/port_hakata/stress", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "query"


def test_map_endpoints(client: TestClient) -> None:
    plain = client.get("/api/networks/tri-cluster/map")
    assert plain.status_code == 200
    body = plain.json()
    assert body["source"] in ("figures", "fallback")
    ids = {
        (cd[0] if isinstance(cd, list) else cd)
        for trace in body["figure"]["data"]
        for cd in trace.get("customdata") or []
    }
    assert {"tsmc_fab22", "jasm_fab1", "tsmc_fab21_az"} <= ids
    coloured = client.post(
        "/api/networks/tri-cluster/map",
        json={"values": {"asml_veldhoven": 1.0, "port_hakata": 0.2}, "title": "risk exposure"},
    )
    assert coloured.status_code == 200
    bad = client.post("/api/networks/tri-cluster/map", json={"values": {"ghost": 1.0}})
    assert bad.status_code == 422 and bad.json()["field"] == "values"
    assert "'ghost'" in bad.json()["detail"]


def test_water_districts(client: TestClient) -> None:
    districts = client.get("/api/networks/tri-cluster/water-districts").json()
    by_name = {d["district"]: d for d in districts}
    assert {"hsinchu", "kumamoto", "arizona"} <= set(by_name)
    levels = [lv["level"] for lv in by_name["hsinchu"]["levels"]]
    assert levels == ["blue", "green", "yellow", "orange", "red"]


# ---------------------------------------------------------------------------- uploads
def _upload(client: TestClient, name: str, content: bytes):
    return client.post("/api/networks", files={"file": (name, content, "application/octet-stream")})


def test_upload_reference_json(client: TestClient, small_json: Path) -> None:
    response = _upload(client, "small.json", small_json.read_bytes())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"].startswith("up-") and body["source"] == "upload"
    assert body["format"] == "reference-json" and body["filename"] == "small.json"
    assert body["fingerprint"] == read_network(small_json).fingerprint()
    assert body["id"] in [n["id"] for n in client.get("/api/networks").json()]
    assert len(client.get(f"/api/networks/{body['id']}/nodes").json()) == body["nodes"]


def test_upload_yaml_and_zip(client: TestClient, tiny_path: Path, tmp_path: Path) -> None:
    from chipstress import write_network

    tiny = read_network(tiny_path)
    yaml_file = tmp_path / "tiny.yaml"
    write_network(tiny, yaml_file)
    response = _upload(client, "tiny.yaml", yaml_file.read_bytes())
    assert response.status_code == 201, response.text
    assert response.json()["format"] == "yaml" and response.json()["nodes"] == 5
    for prefix in ("", "tiny/"):
        response = _upload(client, "tiny.zip", zip_folder(tiny_path, prefix))
        assert response.status_code == 201, response.text
        assert response.json()["format"] == "folder"
        assert response.json()["fingerprint"] == tiny.fingerprint()


def test_upload_invalid_network_lists_every_problem(
    client: TestClient, many_errors_path: Path, fixtures_dir: Path
) -> None:
    response = _upload(client, "many-errors.zip", zip_folder(many_errors_path))
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "file" and "10 problems" in body["detail"]
    assert len(body["problems"]) == 10
    assert {"file", "location", "field", "message"} == set(body["problems"][0])
    kind = next(p for p in body["problems"] if p["field"] == "kind")
    assert kind["file"] == "nodes.csv" and kind["location"] == "row 3"
    assert "suplier" in kind["message"]
    assert not any("/tmp" in p["file"] or "/tmp" in p["message"] for p in body["problems"])
    for name in ("broken.json", "broken.yaml"):
        response = _upload(client, name, (fixtures_dir / "broken" / name).read_bytes())
        assert response.status_code == 422, response.text
        assert response.json()["problems"], response.json()
    assert [n["id"] for n in client.get("/api/networks").json()] == ["tri-cluster"]


def test_upload_wrong_type_empty_and_bad_zip(client: TestClient) -> None:
    response = _upload(client, "network.csv", b"id,name\n")
    assert response.status_code == 415
    assert ".json" in response.json()["detail"] and response.json()["field"] == "file"
    assert _upload(client, "empty.json", b"").status_code == 422
    response = _upload(client, "garbage.zip", b"not a zip at all")
    assert response.status_code == 422 and "zip" in response.json()["detail"]
    response = _upload(client, "garbage.json", b"\xff\xfe{]")
    assert response.status_code == 422
    missing = client.post("/api/networks", files={})
    assert missing.status_code == 422


def test_upload_unsafe_or_empty_zip(client: TestClient) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../evil/network.yaml", "name: evil\n")
    response = _upload(client, "evil.zip", buffer.getvalue())
    assert response.status_code == 422 and "unsafe path" in response.json()["detail"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "no network here")
    response = _upload(client, "none.zip", buffer.getvalue())
    assert response.status_code == 422 and "no network folder" in response.json()["detail"]


def test_upload_too_big_is_413(client: TestClient) -> None:
    big = b"{" + b" " * 1_200_000 + b"}"
    response = _upload(client, "big.json", big)
    assert response.status_code == 413
    assert "1,000,000" in response.json()["detail"]


def test_upload_too_big_without_content_length_is_413(client: TestClient) -> None:
    boundary = "xyzzy"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.json"\r\n'
        "Content-Type: application/json\r\n\r\n"
    ).encode()

    def body():
        yield head
        for _ in range(40):
            yield b" " * 50_000
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post(
        "/api/networks",
        content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413


def test_delete_uploaded_network(client: TestClient, small_json: Path) -> None:
    network_id = _upload(client, "small.json", small_json.read_bytes()).json()["id"]
    assert client.delete(f"/api/networks/{network_id}").status_code == 204
    assert client.get(f"/api/networks/{network_id}").status_code == 404
    assert client.delete(f"/api/networks/{network_id}").status_code == 404
    response = client.delete("/api/networks/tri-cluster")
    assert response.status_code == 409 and "built-in" in response.json()["detail"]

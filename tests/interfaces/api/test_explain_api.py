"""The API of the site explanation, header suggestions and workbook uploads."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

SHEETS = Path(__file__).resolve().parents[2] / "fixtures" / "spreadsheets"
CONTRACT = {
    "site",
    "verdict",
    "ttr",
    "tts",
    "single_sourced",
    "runs_out_first",
    "per_product",
    "to_change_verdict",
    "units",
}


def _upload(client: TestClient, name: str) -> dict:
    content = (SHEETS / name).read_bytes()
    response = client.post(
        "/api/networks", files={"file": (name, content, "application/octet-stream")}
    )
    return {"status": response.status_code, "body": response.json()}


def test_explanation_of_a_builtin_site(client: TestClient) -> None:
    response = client.get("/api/networks/tri-cluster/explain/asml_veldhoven")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= CONTRACT
    assert body["site"] == "asml_veldhoven" and body["verdict"] == "exposed"
    assert body["ttr"] > body["tts"] > 0
    assert all(line["single_sourced"] for line in body["single_sourced"]) and body["single_sourced"]
    assert {"product", "lost_units", "lost_profit"} <= set(body["per_product"][0])
    assert [c["action"] for c in body["to_change_verdict"]] == [
        "extra_stock",
        "second_source",
        "recover_faster",
    ]
    assert body["units"]["money"] == "USD"
    again = client.get("/api/networks/tri-cluster/explain/asml_veldhoven")
    assert again.content == response.content  # kept per network


def test_explanation_errors(client: TestClient) -> None:
    response = client.get("/api/networks/tri-cluster/explain/nope")
    assert response.status_code == 404 and response.json()["field"] == "node"
    assert client.get("/api/networks/nope/explain/x").status_code == 404
    response = client.get("/api/networks/tri-cluster/explain/asml_veldhoven?duration=-1")
    assert response.status_code == 422


def test_upload_a_workbook_then_explain(client: TestClient) -> None:
    upload = _upload(client, "flat.xlsx")
    assert upload["status"] == 201, upload
    assert upload["body"]["format"] == "spreadsheet" and upload["body"]["nodes"] == 5
    network = upload["body"]["id"]
    body = client.get(f"/api/networks/{network}/explain/water?duration=1").json()
    # the flat sheet gives the fab no stock: without water it sells nothing, 80 x 50 USD a week
    assert body["verdict"] == "exposed" and body["tts"] == 0
    assert body["per_product"] == [
        {"product": "fab", "lost_units": 80.0, "lost_profit": 4000.0, "demand": 80.0}
    ]
    forever = client.get(f"/api/networks/{network}/explain/resist_b").json()
    assert forever["tts"] == "Infinity"


def test_upload_a_broken_workbook_names_sheet_row_and_column(client: TestClient) -> None:
    upload = _upload(client, "broken.xlsx")
    assert upload["status"] == 422
    problems = upload["body"]["problems"]
    assert {
        "file": "broken.xlsx, sheet 'Suppliers'",
        "location": "row 4",
        "field": "Vendor (column A)",
        "message": "supplier is empty",
    } in problems


def test_old_excel_files_are_refused(client: TestClient) -> None:
    response = client.post(
        "/api/networks",
        files={"file": ("old.xls", b"\xd0\xcf\x11\xe0", "application/octet-stream")},
    )
    assert response.status_code == 415 and ".xlsx" in response.json()["detail"]


def test_suggest_mapping(client: TestClient) -> None:
    response = client.post(
        "/api/import/suggest",
        json={"headers": ["Vendor", "Buyer", "Part", "Qty per", "Remarks"], "sheet": "Suppliers"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["table"] == "flat"
    assert body["mapping"] == {
        "Vendor": "supplier",
        "Buyer": "customer",
        "Part": "material",
        "Qty per": "quantity",
        "Remarks": None,
    }
    assert body["scores"]["Vendor"] == 1.0 and body["missing"] == []
    response = client.post("/api/import/suggest", json={"headers": ["id"], "table": "nodes"})
    assert response.json()["missing"] == ["material", "capacity"]


def test_suggest_mapping_bad_requests(client: TestClient) -> None:
    assert (
        client.post("/api/import/suggest", json={"headers": ["a"], "table": "people"}).status_code
        == 422
    )
    assert client.post("/api/import/suggest", json={"headers": "a"}).status_code == 422
    assert (
        client.post("/api/import/suggest", json={"headers": ["a"], "extra": 1}).status_code == 422
    )
    assert client.post("/api/import/suggest", json={"headers": ["x"] * 300}).status_code == 422


def test_a_zip_bomb_workbook_is_refused(client: TestClient) -> None:
    import io
    import zipfile

    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (4 * 2**20))
    response = client.post(
        "/api/networks", files={"file": ("bomb.xlsx", data.getvalue(), "application/octet-stream")}
    )
    assert response.status_code == 422
    (problem,) = response.json()["problems"]
    assert problem["file"] == "bomb.xlsx" and "a zip bomb?" in problem["message"]


def test_an_upload_is_read_with_the_mapping_the_user_chose(client: TestClient) -> None:
    # German headers no suggestion maps in full: with the mapping the dashboard's dialog
    # sends (the mapping file's content as JSON), the workbook is read as the user said.
    content = (SHEETS / "odd-headers.xlsx").read_bytes()
    mapping = (
        '{"name": "odd", "period": "week", "currency": "EUR", "sheets": {"Liste": "flat"},'
        ' "columns": {"Liste": {"Lieferant": "supplier", "Abnehmer": "customer",'
        ' "Teil": "material", "Menge": "quantity", "Kap.": "capacity", "Bestand": "inventory",'
        ' "WBZ": "ttr", "Bedarf": "demand", "Marge": "margin"}}}'
    )
    files = {"file": ("odd-headers.xlsx", content, "application/octet-stream")}
    chosen = client.post("/api/networks", files=files, data={"mapping": mapping})
    assert chosen.status_code == 201, chosen.text
    assert chosen.json()["name"] == "odd" and chosen.json()["nodes"] > 0
    # The mapping is checked: an unknown table names the field, and a mapping for a
    # file that is not a workbook is refused.
    bad = client.post(
        "/api/networks", files=files, data={"mapping": '{"sheets": {"Liste": "orders"}}'}
    )
    assert bad.status_code == 422 and bad.json()["field"] == "mapping"
    assert "orders" in bad.json()["detail"]
    network_json = client.get("/api/networks/tri-cluster").status_code
    assert network_json == 200
    as_yaml = client.post(
        "/api/networks",
        files={"file": ("n.yaml", b"name: x\n", "application/octet-stream")},
        data={"mapping": "{}"},
    )
    assert as_yaml.status_code == 422 and as_yaml.json()["field"] == "mapping"

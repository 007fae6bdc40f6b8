"""Programme pages and the JSON API, in-process over HTTPS."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.factories import create_user, login
from tests.taskforce.programmes.factory import full_spec
from tocsin.store.database import Database

FORM = {"identifier": "XM-OSCE-WEB-1", "level": "programme", "title": "Web programme",
        "status": "2", "planned_start": "2025-01-01", "reporting_org_ref": "XM-OSCE",
        "implementing_structure": "tntd-spmu", "countries": "AL:60;RS:40",
        "crime_areas": "money_laundering", "budget": "2025:EUR:1000", "handling": "AMBER"}


def test_pages_create_edit_results_documents_export(tf_client: TestClient,
                                                     tf_db: Database) -> None:
    username, _ = create_user(tf_db, "analyst", "tntd-spmu")
    token = login(tf_client, username)
    assert "Programmes" in tf_client.get("/programmes").text
    created = tf_client.post("/programmes", data={**FORM, "csrf_token": token},
                             follow_redirects=False)
    assert created.status_code == 303, created.text
    page_url = created.headers["location"]
    page = tf_client.get(page_url)
    assert "Web programme" in page.text and "Albania" in page.text and "1,000.00" in page.text
    # a child project through the same form
    child = tf_client.post("/programmes", data={
        **FORM, "identifier": "XM-OSCE-WEB-1-P", "level": "project", "title": "Child project",
        "parent_identifier": "XM-OSCE-WEB-1", "budget": "2025:EUR:400", "csrf_token": token},
        follow_redirects=False)
    assert child.status_code == 303
    assert "Child project" in tf_client.get(page_url).text
    edit = tf_client.get(f"{page_url}/edit")
    assert 'value="AL:60;RS:40"' in edit.text
    saved = tf_client.post(page_url, data={**FORM, "title": "Renamed programme",
                                           "csrf_token": token}, follow_redirects=False)
    assert saved.status_code == 303
    tf_client.post(f"{page_url}/results", data={
        "type": "1", "title": "Officers trained", "indicator": "Officers", "measure": "1",
        "baseline_year": "2024", "baseline_value": "0", "period_start": "2025-01-01",
        "period_end": "2025-12-31", "target": "40", "actual": "12", "csrf_token": token})
    tf_client.post(f"{page_url}/documents", data={"title": "Terms of reference",
                                                  "category": "A02", "csrf_token": token},
                   files={"file": ("tor.txt", b"fictional terms", "text/plain")})
    page = tf_client.get(page_url).text
    assert "Renamed programme" in page and "Officers trained" in page and "40" in page
    doc_link = page.split('href="/programmes/documents/')[1].split('"')[0]
    download = tf_client.get(f"/programmes/documents/{doc_link}")
    assert download.content == b"fictional terms"
    xml = tf_client.get("/programmes/export/iati?crime_area=money_laundering")
    assert xml.status_code == 200 and xml.text.count("<iati-activity ") == 2
    xlsx = tf_client.get("/programmes/export/table.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content))["activities"]
    assert sheet.max_row == 3
    assert tf_client.get("/programmes/template.csv").text.startswith("\ufeffidentifier")
    # the activities were made in the platform: a file over them asks first, and a bad
    # one, once confirmed, lists every problem and applies nothing
    asked = tf_client.post("/programmes/import", data={"kind": "iati", "csrf_token": token},
                           files={"file": ("x.xml", xml.content.replace(b'code="AL"',
                                                                         b'code="QQ"'),
                                           "application/xml")})
    assert asked.status_code == 200 and "Replace what was changed in the platform?" in asked.text
    assert "XM-OSCE-WEB-1-P" in asked.text and "Renamed programme" in asked.text
    bad = tf_client.post(_held(asked.text), data={"action": "replace", "csrf_token": token})
    assert bad.status_code == 422 and "unknown country" in bad.text
    assert "/iati-activities/iati-activity[1]/recipient-country[1]" in bad.text
    assert tf_client.post(_held(asked.text), data={"action": "replace", "csrf_token": token}
                          ).status_code == 404  # answered once: the file is gone
    asked = tf_client.post("/programmes/import", data={"kind": "iati", "csrf_token": token},
                           files={"file": ("x.xml", xml.content, "application/xml")})
    good = tf_client.post(_held(asked.text), data={"action": "replace", "csrf_token": token})
    assert good.status_code == 200 and "0 created, 2 updated" in good.text
    # imported now: the same file again asks nothing
    again = tf_client.post("/programmes/import", data={"kind": "iati", "csrf_token": token},
                           files={"file": ("x.xml", xml.content, "application/xml")})
    assert again.status_code == 200 and "0 created, 2 updated" in again.text


def test_a_table_over_changes_made_since_its_export_asks_first(tf_client: TestClient,
                                                               tf_db: Database) -> None:
    token = login(tf_client, create_user(tf_db, "analyst", "tntd-spmu")[0])
    made = tf_client.post("/programmes", data={**FORM, "csrf_token": token},
                          follow_redirects=False)
    table = tf_client.get("/programmes/export/table.csv").content
    # exported and imported back at once: nothing to confirm
    direct = tf_client.post("/programmes/import", data={"kind": "table", "csrf_token": token},
                            files={"file": ("t.csv", table, "text/csv")})
    assert direct.status_code == 200 and "0 created, 1 updated" in direct.text
    table = tf_client.get("/programmes/export/table.csv").content
    assert tf_client.post(made.headers["location"], data={
        **FORM, "title": "Renamed in the form", "csrf_token": token},
        follow_redirects=False).status_code == 303
    asked = tf_client.post("/programmes/import", data={"kind": "table", "csrf_token": token},
                           files={"file": ("t.csv", table, "text/csv")})
    assert asked.status_code == 200 and "since the table was exported" in asked.text
    assert "Renamed in the form" in asked.text  # the stored title: what would be lost
    cancelled = tf_client.post(_held(asked.text, "table"),
                               data={"action": "cancel", "csrf_token": token},
                               follow_redirects=False)
    assert cancelled.status_code == 303
    assert "Renamed in the form" in tf_client.get(made.headers["location"]).text
    asked = tf_client.post("/programmes/import", data={"kind": "table", "csrf_token": token},
                           files={"file": ("t.csv", table, "text/csv")})
    done = tf_client.post(_held(asked.text, "table"),
                          data={"action": "replace", "csrf_token": token})
    assert done.status_code == 200 and "0 created, 1 updated" in done.text
    assert "as you confirmed: XM-OSCE-WEB-1" in done.text
    page = tf_client.get(made.headers["location"]).text
    assert "Web programme" in page and "Renamed in the form" not in page
    # a table with a bad cell is refused at once, nothing asked first
    bad = table.replace(b",2,2025-01-01,", b",12,2025-01-01,", 1)
    assert bad != table
    refused = tf_client.post("/programmes/import", data={"kind": "table", "csrf_token": token},
                             files={"file": ("t.csv", bad, "text/csv")})
    assert refused.status_code == 422 and "line 2, column status" in refused.text
    assert "Replace what was changed" not in refused.text
    # the API has no page to ask on: it refuses unless told to replace
    headers = {"X-CSRF-Token": token}
    refused = tf_client.post("/api/v1/programmes/import/table", headers=headers,
                             files={"file": ("t.csv", table, "text/csv")})
    assert refused.status_code == 422 and "XM-OSCE-WEB-1" in refused.text
    replaced = tf_client.post("/api/v1/programmes/import/table?replace_changed=true",
                              headers=headers, files={"file": ("t.csv", table, "text/csv")})
    assert replaced.status_code == 200, replaced.text


def _held(page: str, kind: str = "iati") -> str:
    """Where the confirmation page sends its answer."""
    found = re.search(rf'action="(/programmes/import/held/{kind}-[\w-]+)"', page)
    assert found, "no confirmation form"
    return found[1]


def test_a_held_file_is_answered_only_by_its_uploader(tf_client: TestClient,
                                                       tf_db: Database) -> None:
    owner = login(tf_client, create_user(tf_db, "analyst", "tntd-spmu")[0])
    made = tf_client.post("/programmes", data={**FORM, "handling": "GREEN",
                                              "csrf_token": owner}, follow_redirects=False)
    assert made.status_code == 303
    xml = tf_client.get("/programmes/export/iati").content
    held = _held(tf_client.post("/programmes/import", data={"kind": "iati", "csrf_token": owner},
                                files={"file": ("x.xml", xml, "application/xml")}).text)
    tf_client.cookies.clear()
    other = login(tf_client, create_user(tf_db, "coordinator", "tntd-spmu")[0])
    assert tf_client.post(held, data={"action": "replace", "csrf_token": other}
                          ).status_code == 404
    tf_client.cookies.clear()
    owner = login(tf_client, "analyst-tntd-spmu")
    cancelled = tf_client.post(held, data={"action": "cancel", "csrf_token": owner},
                               follow_redirects=False)
    assert cancelled.status_code == 303 and cancelled.headers["location"] == "/programmes"
    assert tf_client.post(held, data={"action": "replace", "csrf_token": owner}
                          ).status_code == 404


def test_api_crud_and_access(tf_client: TestClient, tf_db: Database) -> None:
    username, _ = create_user(tf_db, "analyst", "tntd-spmu")
    token = login(tf_client, username)
    headers = {"X-CSRF-Token": token}
    body = full_spec("XM-OSCE-API-1", handling="AMBER").model_dump(mode="json")
    created = tf_client.post("/api/v1/programmes", json=body, headers=headers)
    assert created.status_code == 201, created.text
    ident = created.json()["id"]
    got = tf_client.get(f"/api/v1/programmes/{ident}").json()
    assert got["spec"]["crime_areas"][0] == {"code": "money_laundering", "percentage": "70.00"}
    assert {t["kind"] for t in got["totals"]} == {"budget", "commitment", "expenditure"}
    body["title"] = "Changed over the API"
    assert tf_client.put(f"/api/v1/programmes/{ident}", json=body,
                         headers=headers).json()["title"] == "Changed over the API"
    bad = tf_client.post("/api/v1/programmes", json={**body, "identifier": "X\t1",
                                                      "status": 12}, headers=headers)
    assert bad.status_code == 422
    assert {p["location"] for p in bad.json()["problems"]} == {
        "activity 'X\\t1': identifier", "activity 'X\\t1': status"}  # shown escaped
    assert tf_client.post("/api/v1/programmes", json=body).status_code == 403  # no CSRF
    # a partner viewer of another unit sees neither the record nor its export
    tf_client.post("/logout", data={"csrf_token": token})
    viewer, _ = create_user(tf_db, "partner_viewer", "unodc")
    login(tf_client, viewer)
    assert tf_client.get(f"/api/v1/programmes/{ident}").status_code == 404
    assert tf_client.get("/api/v1/programmes").json() == []
    assert tf_client.get(f"/programmes/{ident}").status_code == 404
    assert tf_client.get("/api/v1/programmes/export/iati").status_code == 403


def test_document_download_keeps_a_non_ascii_file_name(tf_client: TestClient,
                                                       tf_db: Database) -> None:
    username, _ = create_user(tf_db, "analyst", "tntd-spmu")
    token = login(tf_client, username)
    page_url = tf_client.post("/programmes", data={**FORM, "csrf_token": token},
                              follow_redirects=False).headers["location"]
    tf_client.post(f"{page_url}/documents", data={"title": "Report", "category": "A02",
                                                  "csrf_token": token},
                   files={"file": ('Отчёт "final".txt', b"fictional report", "text/plain")})
    doc_link = tf_client.get(page_url).text.split('href="/programmes/documents/')[1]
    download = tf_client.get(f"/programmes/documents/{doc_link.split(chr(34))[0]}")
    assert download.status_code == 200 and download.content == b"fictional report"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "filename*=utf-8''" in disposition
    assert "%D0%9E%D1%82%D1%87%D1%91%D1%82" in disposition and '"final"' not in disposition

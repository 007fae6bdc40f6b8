"""Commitment pages and JSON API, in-process over HTTPS."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import create_user, login
from tests.taskforce.programmes.factory import spec
from tocsin.access.principal import Principal
from tocsin.store.database import Database
from tocsin.taskforce.commitments.demo import demo_commitments
from tocsin.taskforce.programmes import records


def test_pages_gaps_links_and_assessment(tf_client: TestClient, tf_db: Database) -> None:
    with tf_db.transaction() as session:
        demo_commitments(session)
        records.create_activity(session, Principal.system(),
                                spec("XM-OSCE-AR-1", level="programme", title="Asset recovery"))
    username, _ = create_user(tf_db, "coordinator", "tntd")
    token = login(tf_client, username)
    listing = tf_client.get("/commitments?instrument=untoc")
    assert listing.status_code == 200 and "illustrative" in listing.text
    assert 'class="tlp tlp-' in listing.text  # every listed record shows its handling
    gaps = tf_client.get("/commitments/gaps").text
    assert "untoc:art13" in gaps
    api = tf_client.get("/api/v1/commitments?instrument=untoc").json()
    art13 = next(c for c in api if c["code"] == "untoc:art13")
    page = f"/commitments/{art13['id']}"
    linked = tf_client.post(f"{page}/activities", data={"activities": "XM-OSCE-AR-1",
                                                         "csrf_token": token},
                            follow_redirects=False)
    assert linked.status_code == 303
    assert "Asset recovery" in tf_client.get(page).text
    assert "untoc:art13" not in tf_client.get("/commitments/gaps").text
    by_area = tf_client.get("/api/v1/commitments/gaps?by=crime_area").json()
    assert any(g["key"] == "money_laundering" for g in by_area)
    tf_client.post(f"{page}/assess", data={"status": "in_progress", "rationale": "Started",
                                           "evidence": "XM-OSCE-AR-1", "csrf_token": token})
    history = tf_client.get(f"/api/v1/commitments/{art13['id']}/assessments").json()
    assert [(h["status"], h["username"]) for h in history] == [("in_progress", username)]
    assert "in progress" in tf_client.get(page).text
    headers = {"X-CSRF-Token": token}
    made = tf_client.post(f"/api/v1/commitments/{art13['id']}/assessments", headers=headers,
                          json={"status": "finished", "rationale": "x"})
    assert made.status_code == 422 and "unknown status" in made.text
    created = tf_client.post("/commitments", data={
        "code": "fatf:r38", "instrument_code": "fatf", "provision_key": "fatf:r38",
        "summary": "Confiscation assistance (illustrative).", "crime_areas": "money_laundering",
        "csrf_token": token}, follow_redirects=False)
    assert created.status_code == 303
    assert "Confiscation assistance" in tf_client.get(created.headers["location"]).text

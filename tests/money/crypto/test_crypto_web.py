"""Bitcoin sets on the web and the API, on both database backends: upload of a real block,
clustering, TagPacks, traces, paths and cluster exports under access control and audit."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import MakeUser, login
from tests.money.web.jobs import wait_for_job
from tocsin.access import audit
from tocsin.access.principal import Principal
from tocsin.access.tables import Unit
from tocsin.money import sets
from tocsin.settings import Settings
from tocsin.store.database import Database

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "crypto"
API = "/api/v1/investigations"
SPENDER = "13YiRgpov7tAQt22gFgDf12cDS3s9MWbSU"
EXCHANGE = "1B2RGHLsp7n1Dz6paLWQpUW8fw3E4TNcLL"


def _register(db: Database, settings: Settings, handling: str = "AMBER") -> int:
    with db.transaction() as session:
        unit = session.scalars(select(Unit.id).where(Unit.code == "tntd-spmu")).one()
        item, _ = sets.import_set(session, Principal.system(), settings, "bitcoin",
                                  [FIXTURES / "block-99960.hex", FIXTURES / "block-13b8ab.hex"],
                                  "Blocks of December 2010", handling, unit)
        return int(item.id)



def test_a_raw_block_uploads_like_any_file(client: TestClient, make_user: MakeUser) -> None:
    token = login(client, make_user("analyst")[0])
    files = {"file": ("block.hex", (FIXTURES / "genesis.hex").read_bytes(), "text/plain")}
    response = client.post(f"{API}/sets", headers={"X-CSRF-Token": token}, files=files,
                           data={"format": "bitcoin", "name": "Genesis", "handling": "GREEN",
                                 "unit": "tntd-spmu"})
    assert response.status_code == 202, response.text
    done = wait_for_job(client, response.json()["job"])
    assert done["state"] == "done", done
    listed = client.get(f"{API}/sets").json()
    assert listed[0]["format"] == "bitcoin" and listed[0]["transactions"] == 1
    page = client.get(f"/investigations/sets/{listed[0]['id']}/bitcoin")
    assert page.status_code == 200 and "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa" in page.text


def test_cluster_tag_trace_path_and_export(client: TestClient, make_user: MakeUser,
                                           platform_db: Database, settings: Settings) -> None:
    set_id = _register(platform_db, settings)
    token = login(client, make_user("analyst")[0])
    headers = {"X-CSRF-Token": token}
    run = client.post(f"{API}/sets/{set_id}/bitcoin/cluster", headers=headers, json={})
    assert run.status_code == 200, run.text
    assert run.json()["stored"] and run.json()["clusters"] > 0
    pack = (FIXTURES / "tagpack-case.yaml").read_bytes()
    added = client.post(f"{API}/sets/{set_id}/bitcoin/tags", headers=headers,
                        files={"file": ("case.yaml", pack, "application/yaml")})
    assert added.status_code == 200, added.text
    assert added.json()["added"] == 3
    bad = client.post(f"{API}/sets/{set_id}/bitcoin/tags", headers=headers,
                      files={"file": ("mine.yaml", b"tags:\n  - {label: x}\n", "text/yaml")})
    assert bad.status_code == 422 and "mine.yaml: tags[0]" in bad.text
    clusters = client.get(f"{API}/sets/{set_id}/bitcoin/clusters",
                          params={"address": EXCHANGE}).json()
    tagged = clusters["clusters"][0]
    assert tagged["tags"][0]["label"] == "Example Exchange"
    assert tagged["tags"][0]["source"] == "case file 12, annex 3"
    traced = client.post(f"{API}/sets/{set_id}/bitcoin/trace", headers=headers,
                         json={"start": SPENDER, "rule": "fifo", "min_amount": 1})
    assert traced.status_code == 200, traced.text
    body = traced.json()
    assert body["steps"][0]["explanation"].startswith("hop 1: ")
    assert all(e["reason"] == "not spent within the set" for e in body["ends"])
    # the Sankey and the graph of the page are drawn from the same answer
    flows = body["flows"]
    assert flows["links"] and flows["graph"]["nodes"]
    assert {n["label"] for n in flows["graph"]["nodes"] if n["start"]} == {SPENDER}
    assert body["steps"][0]["entered"] == [{"from": SPENDER, "traced": 20_000_000}]
    for rule, word in (("lifo", "LIFO"), ("tiho", "TIHO")):
        other = client.post(f"{API}/sets/{set_id}/bitcoin/trace", headers=headers,
                            json={"start": SPENDER, "rule": rule, "min_amount": 1}).json()
        assert word in other["steps"][0]["explanation"]
    wrong = client.post(f"{API}/sets/{set_id}/bitcoin/trace", headers=headers,
                        json={"start": "nothing", "rule": "fifo"})
    assert wrong.status_code == 422
    unknown = client.post(f"{API}/sets/{set_id}/bitcoin/cluster", headers=headers,
                          json={"change_heuristics": ["peeling"]})
    assert unknown.status_code == 422
    guessed = client.post(f"{API}/sets/{set_id}/bitcoin/cluster", headers=headers,
                          json={"change_heuristics": ["one_time_change", "round_payment"]})
    assert guessed.status_code == 200 and guessed.json()["change_links"] >= 0
    path = client.get(f"{API}/sets/{set_id}/bitcoin/path",
                      params={"source": SPENDER, "target": body["ends"][0]["address"]}).json()
    assert path["path"][0]["from"] == SPENDER
    exported = client.get(f"{API}/sets/{set_id}/bitcoin/clusters/{tagged['cluster_id']}.csv")
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows[0]["address"] == EXCHANGE and "Example Exchange" in rows[0]["tags"]
    with platform_db.transaction() as session:
        entries = audit.query(session, record=f"transaction_set:{set_id}")
        actions = [(e.action, e.detail) for e in entries]
    assert any(a == "export" and "cluster" in d for a, d in actions)
    assert any(a == "update" and "clustering stored" in d for a, d in actions)
    assert any(a == "update" and "by one_time_change, round_payment" in d for a, d in actions)
    assert any(a == "update" and "TagPack import of case.yaml: 3 tag(s)" in d for a, d in actions)
    assert any(a == "read" for a, _ in actions)  # AMBER reads are audited
    # the account views of every set work on the address flows too
    found = client.get(f"{API}/sets/{set_id}/accounts", params={"q": SPENDER[:8]}).json()
    assert [a["account_id"] for a in found] == [SPENDER]
    detected = client.post(f"{API}/sets/{set_id}/detect", headers=headers,
                           json={"background": False})
    assert detected.status_code == 200, detected.text
    assert client.get(f"{API}/sets/{set_id}/export", params={"format": "csv"}).status_code \
        == 200
    page = client.get(f"/investigations/sets/{set_id}/bitcoin",
                      params={"start": SPENDER, "rule": "haircut"})
    assert page.status_code == 200
    assert "Example Exchange" in page.text and "Step by step" in page.text


def test_access_rules(client: TestClient, make_user: MakeUser, platform_db: Database,
                      settings: Settings) -> None:
    amber = _register(platform_db, settings, "AMBER")
    green = _register(platform_db, settings, "GREEN")
    outsider = login(client, make_user("partner_viewer", unit="unodc")[0])
    for path in (f"/investigations/sets/{amber}/bitcoin",
                 f"{API}/sets/{amber}/bitcoin/clusters", f"{API}/sets/{amber}/bitcoin/tags"):
        assert client.get(path).status_code == 404
    assert client.post(f"{API}/sets/{amber}/bitcoin/trace", headers={"X-CSRF-Token": outsider},
                       json={"start": SPENDER}).status_code == 404
    other = login(client, make_user("analyst", unit="oceea")[0])
    # another unit's analyst reads the GREEN set: a preview, never stored; no tags
    run = client.post(f"{API}/sets/{green}/bitcoin/cluster", headers={"X-CSRF-Token": other},
                      json={})
    assert run.status_code == 200 and run.json()["stored"] is False
    pack = (FIXTURES / "tagpack-case.yaml").read_bytes()
    refused = client.post(f"{API}/sets/{green}/bitcoin/tags", headers={"X-CSRF-Token": other},
                          files={"file": ("case.yaml", pack, "application/yaml")})
    assert refused.status_code == 403
    page = client.get(f"/investigations/sets/{green}/bitcoin")
    assert page.status_code == 200
    assert "Add a TagPack" not in page.text and "keep the result" not in page.text
    # a set without Bitcoin transactions has no Bitcoin page
    with platform_db.transaction() as session:
        unit = session.scalars(select(Unit.id).where(Unit.code == "oceea")).one()
        plain, _ = sets.import_set(session, Principal.system(), settings, "amlsim",
                                   [Path(__file__).resolve().parents[2] / "fixtures" / "money"
                                    / "amlsim_tiny"], "Plain", "GREEN", unit)
        plain_id = plain.id
    assert client.get(f"/investigations/sets/{plain_id}/bitcoin").status_code == 404


def test_page_forms_post_with_the_form_token(client: TestClient, make_user: MakeUser,
                                             platform_db: Database, settings: Settings) -> None:
    set_id = _register(platform_db, settings)
    api_token = login(client, make_user("analyst")[0])
    page = client.get(f"/investigations/sets/{set_id}/bitcoin").text
    # every form of the page carries the session's token
    found = re.findall(r'name="csrf_token" value="([^"]*)"', page)
    assert len(found) >= 3 and set(found) == {api_token}
    token = found[-1]
    pack = (FIXTURES / "tagpack-case.yaml").read_bytes()
    added = client.post(f"/investigations/sets/{set_id}/bitcoin/tags",
                        data={"csrf_token": token}, follow_redirects=False,
                        files={"file": ("case.yaml", pack, "application/yaml")})
    assert added.status_code == 303, added.text
    kept = client.post(f"/investigations/sets/{set_id}/bitcoin/cluster",
                       data={"csrf_token": token}, follow_redirects=False)
    assert kept.status_code == 303, kept.text
    page = client.get(kept.headers["location"])
    assert "Clustered:" in page.text and "Example Exchange" in page.text
    assert "change address(es) joined" not in page.text  # no heuristic unless ticked
    guessed = client.post(f"/investigations/sets/{set_id}/bitcoin/cluster",
                          data={"csrf_token": token, "change": ["script_type", "round_payment"]},
                          follow_redirects=False)
    assert guessed.status_code == 303, guessed.text
    assert "joined+by+script_type%2C+round_payment" in guessed.headers["location"]

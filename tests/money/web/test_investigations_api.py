"""The investigations API on both database backends: upload as a job, detect, trace,
graph views, audited exports and access control."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import MakeUser, login
from tests.money.web.jobs import wait_for_job
from tests.money.web.ranked import assert_ranked
from tocsin import i18n
from tocsin.access import audit
from tocsin.jobs import runner
from tocsin.money.demo import MAPPING, case_files
from tocsin.money.detect import REGISTRY
from tocsin.money.synthetic import SyntheticConfig
from tocsin.store.database import Database
from tocsin.web.routers.investigations import FORMAT_LABELS, JOB_KINDS, SET_FORMATS

API = "/api/v1/investigations"
SMALL = SyntheticConfig(accounts=1_000, transactions=1_500, patterns=2, seed=9)



def _upload(client: TestClient, token: str, data: bytes, mapping: bytes | None,
            name: str = "Case 12", handling: str = "AMBER",
            unit: str = "tntd-spmu") -> Any:
    files: dict[str, Any] = {"file": ("export.csv", data, "text/csv")}
    if mapping is not None:
        files["mapping"] = ("mapping.yaml", mapping, "application/yaml")
    return client.post(f"{API}/sets", headers={"X-CSRF-Token": token}, files=files,
                       data={"format": "csv", "name": name, "handling": handling, "unit": unit})


def test_upload_runs_as_a_job_and_the_set_is_listed(client: TestClient, make_user: MakeUser,
                                                    tmp_path: Path) -> None:
    token = login(client, make_user("analyst", unit="tntd-spmu")[0])
    data, mapping = (p.read_bytes() for p in case_files(tmp_path, SMALL))
    response = _upload(client, token, data, mapping)
    assert response.status_code == 202, response.text
    job = response.json()["job"]
    assert job["kind"] == "ingest" and job["state"] in ("queued", "running", "done")
    done = wait_for_job(client, job)
    assert done["state"] == "done", done
    assert done["progress"] == 1.0 and done["result"]["transactions"] == 1_500
    listed = client.get(f"{API}/sets").json()
    assert [(s["name"], s["handling"], s["owner_unit"]) for s in listed] == [
        ("Case 12", "AMBER", "tntd-spmu")]
    page = client.get("/investigations")
    assert "Case 12" in page.text and "TLP:AMBER" in page.text
    # The upload folder is cleaned up once the import has finished.
    assert not any((Path(client.app.state.settings.data_dir) / "uploads").iterdir())  # type: ignore[attr-defined]


def test_an_upload_job_saving_every_progress_report_still_finishes(
        client: TestClient, make_user: MakeUser, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A slow machine saves progress on every report; a report made while the job held the
    # write lock of its own transaction waited for itself until "database is locked".
    monkeypatch.setattr(runner, "SAVE_INTERVAL", 0.0)
    token = login(client, make_user("analyst", unit="tntd-spmu")[0])
    data, mapping = (p.read_bytes() for p in case_files(tmp_path, SMALL))
    done = wait_for_job(client, _upload(client, token, data, mapping).json()["job"])
    assert done["state"] == "done", done


def test_a_bad_file_fails_the_job_with_its_problems(client: TestClient, make_user: MakeUser,
                                                    tmp_path: Path) -> None:
    token = login(client, make_user("analyst")[0])
    _, mapping = case_files(tmp_path, SMALL)
    bad = (b"Reference,Booked,Amount,Currency\nT1,yesterday,12.00,EUR\n")
    job = wait_for_job(client, _upload(client, token, bad, mapping.read_bytes()).json()["job"])
    assert job["state"] == "failed" and job["problems"]
    assert client.get(f"{API}/sets").json() == []


def test_upload_limits_and_rights(client: TestClient, make_user: MakeUser) -> None:
    client.app.state.settings.upload_max_bytes = 1024  # type: ignore[attr-defined]
    token = login(client, make_user("analyst")[0])
    response = _upload(client, token, b"x" * 5000, None)
    assert response.status_code == 422 and "limit" in response.json()["detail"]
    # An analyst may not file a set under another unit.
    response = _upload(client, token, b"x", None, unit="oceea")
    assert response.status_code == 403
    viewer = login(client, make_user("partner_viewer", unit="unodc")[0])
    assert _upload(client, viewer, b"x", None, unit="unodc").status_code == 403


def test_detect_returns_findings_with_reasons(client: TestClient, make_user: MakeUser,
                                             demo_set: int) -> None:
    token = login(client, make_user("analyst")[0])
    assert client.get(f"{API}/sets/{demo_set}/findings").json()["findings"] is None
    response = client.post(f"{API}/sets/{demo_set}/detect", headers={"X-CSRF-Token": token},
                           json={"background": False})
    assert response.status_code == 200, response.text
    findings = response.json()["findings"]
    # The fictional case holds every pattern, so every detector finds something.
    assert {f["detector"] for f in findings} == set(REGISTRY)
    assert all(f["reason"] and 0 <= f["score"] <= 1 and f["accounts"] for f in findings)
    # Stored ranked: flagged findings first, then the rest, each part by score after
    # ranking; a fan's score is judged against its subject's history, and says how.
    assert_ranked(response.json())
    assert not all(f["flagged"] for f in findings)  # the rest is ranked, not flagged
    stored = client.get(f"{API}/sets/{demo_set}/findings").json()
    assert [f["id"] for f in stored["findings"]] == [f["id"] for f in findings]
    assert stored["ranking"] == response.json()["ranking"]
    # One finding's own graph: exactly its payments.
    first = findings[0]
    graph = client.get(f"{API}/sets/{demo_set}/findings/{first['id']}/graph").json()
    assert graph["finding"]["reason"] == first["reason"]
    assert sum(e["payments"] for e in graph["edges"]) == len(first["transactions"])


def test_detect_as_a_background_job_with_config(client: TestClient, make_user: MakeUser,
                                                demo_set: int) -> None:
    token = login(client, make_user("analyst")[0])
    response = client.post(f"{API}/sets/{demo_set}/detect", headers={"X-CSRF-Token": token},
                           json={"detectors": ["structuring"], "background": True,
                                 "config": {"structuring": {"min_deposits": 500}}})
    assert response.status_code == 422, response.text  # no such setting
    response = client.post(f"{API}/sets/{demo_set}/detect", headers={"X-CSRF-Token": token},
                           json={"detectors": ["fan_out"], "background": True,
                                 "config": {"fan_out": {"min_degree": "many"}}})
    assert response.status_code == 422
    assert response.json()["problems"][0]["location"] == "detector fan_out.min_degree"
    response = client.post(f"{API}/sets/{demo_set}/detect", headers={"X-CSRF-Token": token},
                           json={"detectors": ["fan_out"], "background": True,
                                 "config": {"fan_out": {"min_degree": 8}}})
    assert response.status_code == 202
    job = wait_for_job(client, response.json()["job"])
    assert job["state"] == "done"
    assert job["result"]["configs"]["fan_out"]["min_degree"] == 8
    assert {f["detector"] for f in job["result"]["findings"]} == {"fan_out"}
    # Someone else cannot read the job.
    login(client, make_user("analyst", username="other-analyst")[0])
    assert client.get(f"{API}/jobs/{job['id']}").status_code == 404


def test_trace_returns_a_tree_sankey_and_explanations(client: TestClient, make_user: MakeUser,
                                                     demo_set: int) -> None:
    token = login(client, make_user("analyst")[0])
    findings = client.post(f"{API}/sets/{demo_set}/detect", headers={"X-CSRF-Token": token},
                           json={"detectors": ["scatter_gather"]}).json()["findings"]
    start = findings[0]["subject"]
    response = client.post(f"{API}/sets/{demo_set}/trace", headers={"X-CSRF-Token": token},
                           json={"accounts": [start], "direction": "forward", "rule": "fifo",
                                 "hops": 4})
    assert response.status_code == 200, response.text
    body = response.json()
    root = body["trace"]["roots"][0]
    assert root["account"] == start and root["children"]
    assert body["trace"]["end_points"]
    assert body["sankey"]["links"] and all(s["explanation"] for s in body["sankey"]["steps"])
    bad = client.post(f"{API}/sets/{demo_set}/trace", headers={"X-CSRF-Token": token},
                      json={"accounts": [], "rule": "fifo"})
    assert bad.status_code == 422


def test_graph_search_and_timeline(client: TestClient, make_user: MakeUser,
                                   demo_set: int) -> None:
    login(client, make_user("analyst")[0])
    hits = client.get(f"{API}/sets/{demo_set}/accounts", params={"q": "ACC0000"}).json()
    account = hits[0]["account_id"]
    graph = client.get(f"{API}/sets/{demo_set}/graph",
                       params={"account": account, "hops": 2, "min_amount": 10}).json()
    assert any(n["id"] == account and n["start"] for n in graph["nodes"])
    assert all(e["total"] >= 10 for e in graph["edges"])
    line = client.get(f"{API}/sets/{demo_set}/timeline", params={"account": account}).json()
    assert len(line["transactions"]) == hits[0]["payments"]
    assert client.get(f"{API}/sets/{demo_set}/graph",
                      params={"account": "NOPE"}).status_code == 404
    assert client.get(f"{API}/sets/{demo_set}/graph",
                      params={"account": account, "since": "soon"}).status_code == 422
    for tab in ("", "/trace", "/timeline"):
        page = client.get(f"/investigations/sets/{demo_set}{tab}")
        assert page.status_code == 200 and "TLP:AMBER" in page.text


def test_export_downloads_and_is_audited(client: TestClient, make_user: MakeUser,
                                         platform_db: Database, demo_set: int) -> None:
    token = login(client, make_user("analyst")[0])
    response = client.get(f"{API}/sets/{demo_set}/export", params={"format": "csv"})
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    # Every payment of the demo case (about 6,000: the background fills what the
    # patterns leave, give or take its rounding).
    from tocsin.money.demo import DEMO_CONFIG
    from tocsin.money.synthetic import generate

    assert len(rows) == generate(DEMO_CONFIG)[0].num_rows
    assert 5_500 <= len(rows) <= 6_000
    finding = client.post(f"{API}/sets/{demo_set}/detect", headers={"X-CSRF-Token": token},
                          json={"detectors": ["cycle"]}).json()["findings"][0]
    response = client.get(f"{API}/sets/{demo_set}/export",
                          params={"format": "graphml", "finding": finding["id"]})
    assert response.status_code == 200 and b"<graphml" in response.content
    assert response.content.count(b"<node ") == len(finding["accounts"])
    with platform_db.transaction() as session:
        exports = [e for e in audit.query(session, record=f"transaction_set:{demo_set}")
                   if e.action == "export"]
        assert len(exports) == 2 and {e.handling for e in exports} == {"AMBER"}
    assert client.get(f"{API}/sets/{demo_set}/export",
                      params={"format": "csv", "finding": "nope"}).status_code == 404


def test_csv_export_neutralises_formulas(client: TestClient, make_user: MakeUser,
                                         tmp_path: Path) -> None:
    token = login(client, make_user("analyst")[0])
    mapping = {k: v for k, v in MAPPING.items()}
    data = ("Reference,Booked,Amount,Currency,Channel,Flagged,Payer account,Payer bank,"
            "Payer country,Payer account type,Payer,Payer type,Payee account,Payee bank,"
            "Payee country,Payee account type,Payee,Payee type\n"
            "T1,2024-01-02T10:00:00,100.00,EUR,=HYPERLINK(\"http://x\"),no,A1,B,DE,domestic,"
            "Ann,Person,A2,B,DE,domestic,Bo,Person\n")
    import yaml

    job = wait_for_job(client, _upload(client, token, data.encode(),
                                yaml.safe_dump(mapping).encode()).json()["job"])
    assert job["state"] == "done", job
    text = client.get(f"{API}/sets/{job['result']['set']}/export",
                      params={"format": "csv"}).text
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_partner_viewer_never_sees_an_amber_set_of_another_unit(
        client: TestClient, make_user: MakeUser, demo_set: int) -> None:
    login(client, make_user("partner_viewer", unit="unodc")[0])
    assert client.get(f"{API}/sets").json() == []
    for path in (f"/sets/{demo_set}", f"/sets/{demo_set}/findings",
                 f"/sets/{demo_set}/graph?account=ACC00000001",
                 f"/sets/{demo_set}/timeline?account=ACC00000001",
                 f"/sets/{demo_set}/accounts?q=ACC", f"/sets/{demo_set}/export?format=csv",
                 f"/sets/{demo_set}/export?format=ftm"):
        assert client.get(API + path).status_code == 404, path
    page = client.get("/investigations")
    assert page.status_code == 200 and "Operation Tidewater" not in page.text
    for tab in ("", "/trace", "/timeline"):
        assert client.get(f"/investigations/sets/{demo_set}{tab}").status_code == 404
    token = client.get("/api/v1/me").json()["csrf_token"]
    assert client.post(f"{API}/sets/{demo_set}/detect", headers={"X-CSRF-Token": token},
                       json={}).status_code == 404
    assert client.post(f"{API}/sets/{demo_set}/trace", headers={"X-CSRF-Token": token},
                       json={"accounts": ["ACC00000001"]}).status_code == 404


def test_score_ranks_accounts_with_contributions(client: TestClient, make_user: MakeUser,
                                                 demo_set: int) -> None:
    token = login(client, make_user("analyst")[0])
    response = client.post(f"{API}/sets/{demo_set}/score", headers={"X-CSRF-Token": token},
                           json={"top": 10, "background": True})
    assert response.status_code == 202
    job = wait_for_job(client, response.json()["job"])
    assert job["state"] == "done", job
    ranked = job["result"]["accounts"]
    assert len(ranked) == 10
    assert [r["score"] for r in ranked] == sorted((r["score"] for r in ranked), reverse=True)
    assert all(r["contributions"] and r["contributions"][0]["detail"] for r in ranked)
    # Scoring without an earlier run detects first and keeps those findings.
    assert client.get(f"{API}/sets/{demo_set}/findings").json()["findings"]


def test_upload_of_followthemoney_entities(client: TestClient, make_user: MakeUser) -> None:
    fixture = Path(__file__).parents[2] / "fixtures" / "money" / "ftm" / "mixed.jsonl"
    token = login(client, make_user("analyst", unit="tntd-spmu")[0])
    response = client.post(f"{API}/sets", headers={"X-CSRF-Token": token},
                           files={"file": ("mixed.jsonl", fixture.read_bytes(),
                                           "application/x-ndjson")},
                           data={"format": "ftm", "name": "FtM set", "handling": "AMBER",
                                 "unit": "tntd-spmu"})
    assert response.status_code == 202, response.text
    done = wait_for_job(client, response.json()["job"])
    assert done["state"] == "done", done
    assert done["result"]["transactions"] == 2
    assert "not held by a transaction set, left out: 1 Address, 1 Directorship" in \
        done["result"]["notes"]
    listed = client.get(f"{API}/sets").json()
    assert [(s["name"], s["format"]) for s in listed] == [("FtM set", "ftm")]


def test_formats_downloads_and_jobs_are_named_in_words(client: TestClient, make_user: MakeUser,
                                                        tmp_path: Path) -> None:
    """The pages name a set's format, its downloads, the import form's formats and the
    kinds of background jobs in words of the reader's language, never by their codes
    (``ftm``, ``ingest``); the JSON keeps the codes and adds the words."""
    token = login(client, make_user("analyst", unit="tntd-spmu")[0])
    data, mapping = (p.read_bytes() for p in case_files(tmp_path, SMALL))
    done = wait_for_job(client, _upload(client, token, data, mapping).json()["job"])
    set_id = done["result"]["set"]
    listed = client.get(f"{API}/sets/{set_id}").json()
    assert (listed["format"], listed["format_shown"]) == ("csv", "CSV or Excel")

    page = client.get("/investigations").text
    options = re.findall(r'<option value="([a-z0-9]+)">([^<]+)</option>', page)
    assert {"ftm", "bitcoin", "ethereum"} <= {code for code, _ in options}
    assert not [code for code, label in options if code == label], options
    assert "<td>CSV or Excel</td>" in page and "<td>csv</td>" not in page
    assert "<td>File import</td>" in page and "<td>ingest</td>" not in page

    shown = client.get(f"/investigations/sets/{set_id}").text
    assert re.search(r"accounts · CSV or Excel · amounts in EUR", shown), shown
    chips = dict(re.findall(r'<a class="chip" data-format="(\w+)" href="[^"]+">([^<]+)</a>',
                            shown))
    assert chips == {"csv": "CSV table", "ftm": "FollowTheMoney (JSON lines)",
                     "gexf": "GEXF (Gephi)", "graphml": "GraphML"}

    # in French, with the words of the catalogs
    with i18n.using("fr"):
        words = {"ingest": str(JOB_KINDS["ingest"]), "ftm": str(FORMAT_LABELS["ftm"]),
                 "csv": str(SET_FORMATS["csv"])}
    assert words["ingest"] != "File import" and words["csv"] != "CSV or Excel"
    french = client.get("/investigations", headers={"Accept-Language": "fr"}).text
    assert f"<td>{words['ingest']}</td>" in french and f"<td>{words['csv']}</td>" in french
    assert f'<option value="ftm">{words["ftm"]}</option>' in french
    asked = client.get(f"{API}/sets/{set_id}", headers={"Accept-Language": "fr"}).json()
    assert (asked["format"], asked["format_shown"]) == ("csv", words["csv"])


def test_an_upload_keeps_its_file_name_in_the_payments_it_holds(
        client: TestClient, make_user: MakeUser, tmp_path: Path) -> None:
    """Each payment names the file and line it came from, and AMLworld's ids carry the
    file's name: uploaded through the web they said "upload.csv" and "upload:3478", which
    told an analyst nothing. The sender's name is kept (without folders); a name a file
    sent beside it would take is not, so neither file overwrites the other."""
    from tocsin.money import worlds

    token = login(client, make_user("analyst", unit="tntd-spmu")[0])
    trans, _patterns = worlds.write(worlds.draw_params(3, transactions=1_000, accounts=1_000),
                                    tmp_path / "world", "Bank31")
    sent = client.post(f"{API}/sets", headers={"X-CSRF-Token": token},
                       files={"file": ("C:\\exports\\Bank31_Trans.csv", trans.read_bytes(),
                                       "text/csv")},
                       data={"format": "amlworld", "name": "Bank 31", "handling": "AMBER",
                             "unit": "tntd-spmu"})
    done = wait_for_job(client, sent.json()["job"])
    assert done["state"] == "done", done
    rows = list(csv.DictReader(io.StringIO(client.get(
        f"{API}/sets/{done['result']['set']}/export", params={"format": "csv"}).text)))
    assert rows and {row["source_file"] for row in rows} == {"Bank31_Trans.csv"}
    assert all(row["txn_id"] == f"Bank31_Trans:{row['source_line']}" for row in rows)

    # a bank export sent as "rates.csv" beside a rate table of that name: both are read
    data, mapping = (p.read_bytes() for p in case_files(tmp_path / "case", SMALL))
    sent = client.post(f"{API}/sets", headers={"X-CSRF-Token": token},
                       files={"file": ("rates.csv", data, "text/csv"),
                              "mapping": ("mapping.yaml", mapping, "application/yaml"),
                              "rates": ("rates.csv", b"currency,rate\nUSD,0.9\n", "text/csv")},
                       data={"format": "csv", "name": "Case 13", "handling": "AMBER",
                             "unit": "tntd-spmu"})
    done = wait_for_job(client, sent.json()["job"])
    assert done["state"] == "done" and done["result"]["transactions"] == 1_500, done


def test_the_import_forms_offer_only_the_units_the_user_may_import_for(
        client: TestClient, make_user: MakeUser) -> None:
    """An analyst may import for their own unit only: the forms offered every unit, and
    choosing another was refused after the file was sent. A coordinator, who may write
    for any unit, is still offered all of them."""
    def offered(page: str, select: str) -> list[str]:
        found = re.search(select + r"(.*?)</select>", page, re.S)
        assert found, select
        return re.findall(r'<option value="([\w-]+)"', found.group(1))

    token = login(client, make_user("analyst", unit="tntd-spmu")[0])
    assert offered(client.get("/investigations").text, '<select name="unit">') == ["tntd-spmu"]
    sent = client.post("/investigations/import", data={"csrf_token": token},
                       files={"file": ("transfers_us.csv", b"Date,Amount\n2024-01-02,5\n",
                                       "text/csv")}, follow_redirects=False)
    wizard = client.get(sent.headers["location"]).text
    assert offered(wizard, '<select id="unit" name="unit">') == ["tntd-spmu"]
    client.post("/logout", data={"csrf_token": token})

    login(client, make_user("coordinator", unit="tntd-spmu")[0])
    every = offered(client.get("/investigations").text, '<select name="unit">')
    assert "tntd-spmu" in every and "fo-albania" in every and len(every) > 20

"""Screening a transaction set's parties: the batch job with progress, the listed-party
detector and the counterparties of a finding; on both engines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tocsin.access.principal import Principal
from tocsin.errors import PermissionDenied
from tocsin.jobs import runner as jobs
from tocsin.jobs.runner import JobRunner
from tocsin.money import sets
from tocsin.screening import service
from tocsin.screening import sets as screening_sets
from tocsin.settings import Settings
from tocsin.store.database import Database


@pytest.fixture
def listed(platform_db: Database, settings: Settings, demo_set: int, tmp_path: Path,
           analyst: Principal) -> dict[str, str]:
    """A list naming one party of the demo set (with a typo) and one stranger."""
    with platform_db.transaction() as session:
        item = sets.get_set(session, Principal.system(), demo_set)
        parties = sets.open_stored(settings, item).parties().to_pylist()
    party = next(p for p in parties if p["name"] and p["schema"] == "Person"
                 and len(p["name"].split()) >= 2)
    first, *rest = party["name"].split()
    path = tmp_path / "list.ftm.json"
    lines = [{"id": "listed-1", "schema": "Person",
              "properties": {"name": [" ".join([first, *rest])]}},
             {"id": "listed-2", "schema": "Person",
              "properties": {"name": ["Zebulon Quartermaine"]}}]
    path.write_text("\n".join(json.dumps(x) for x in lines))
    with platform_db.transaction() as session:
        service.import_list(session, analyst, "ftm", [path], key="watch")
    return {"party_id": party["party_id"], "name": party["name"]}


def test_listed_party_detector(platform_db: Database, settings: Settings, demo_set: int,
                               listed: dict[str, str], analyst: Principal,
                               viewer: Principal) -> None:
    with platform_db.transaction() as session:
        found = screening_sets.listed_party(session, analyst, settings, demo_set)
    assert found["stored"] is True and found["parties"] > 10
    assert found["findings"], "the listed party's payments are reported"
    top = found["findings"][0]
    assert top["detector"] == "listed_party" and listed["name"] in top["reason"]
    assert top["transactions"] and top["score"] >= 0.7
    # a dismissed match no longer counts
    with platform_db.transaction() as session:
        subject = next(s for s in service.subjects(session, analyst, limit=100_000)
                       if s.subject_key.endswith(listed["party_id"]))
        service.judge(session, analyst, subject.id, "watch", "listed-1", "no_match")
    with platform_db.transaction() as session:
        again = screening_sets.listed_party(session, analyst, settings, demo_set)
    with platform_db.transaction() as session:
        accounts = sets.open_stored(settings, sets.get_set(session, analyst, demo_set)).accounts()
    own = {a for a, p in zip(accounts.column("account_id").to_pylist(),
                             accounts.column("party_id").to_pylist(), strict=True)
           if p == listed["party_id"]}
    assert own and own & {f["subject"] for f in found["findings"]}
    assert not own & {f["subject"] for f in again["findings"]}
    with platform_db.transaction() as session:  # a reader gets a preview
        preview = screening_sets.listed_party(session, viewer, settings, demo_set)
    assert preview["stored"] is False and preview["findings"]


def test_batch_job_with_progress(platform_db: Database, settings: Settings, demo_set: int,
                                 listed: dict[str, str], analyst: Principal,
                                 viewer: Principal) -> None:
    with platform_db.transaction() as session, pytest.raises(PermissionDenied):
        screening_sets.submit_screen(session, viewer, demo_set)
    with platform_db.transaction() as session:
        job_id = screening_sets.submit_screen(session, analyst, demo_set).id
    worker = JobRunner(platform_db, settings, screening_sets.HANDLERS, poll=0.05).start()
    try:
        done = jobs.wait(platform_db, job_id, timeout=120)
    finally:
        worker.stop()
    assert done.status == jobs.DONE, done.error
    assert done.progress == 1.0 and done.message == "done"
    result = done.result
    assert result["matches"] >= 1 and result["stored"] is True
    assert any(r["party_id"] == listed["party_id"] for r in result["results"])
    with platform_db.transaction() as session:
        kept = service.subjects(session, analyst, limit=100_000)
    assert len(kept) == result["parties"]
    assert all(s.origin == f"set:{demo_set}" for s in kept)


def test_set_page_and_counterparties(client, make_user, platform_db: Database,  # type: ignore[no-untyped-def]
                                     settings: Settings, demo_set: int,
                                     listed: dict[str, str]) -> None:
    from tests.factories import login
    from tocsin.money import jobs as money_jobs

    with platform_db.transaction() as session:
        money_jobs.detect_now(session, Principal.system(), settings, demo_set,
                              money_jobs.detectors_from(None, None))
    token = login(client, make_user("analyst", username="set-screener")[0])
    page = client.get(f"/screening/sets/{demo_set}")
    assert page.status_code == 200 and "Screen counterparties" in page.text
    with platform_db.transaction() as session:
        run = sets.load_findings(session, Principal.system(), settings, demo_set)
    assert run and run["findings"]
    key = run["findings"][0]["id"]
    response = client.post(f"/api/v1/screening/sets/{demo_set}/counterparties",
                           json={"finding": key}, headers={"X-CSRF-Token": token})
    assert response.status_code == 200, response.text
    assert response.json()["parties"] >= 1 and response.json()["stored"] is True
    shown = client.post(f"/screening/sets/{demo_set}/counterparties",
                        data={"finding": key, "csrf_token": token})
    assert shown.status_code == 200 and "Counterparties of finding" in shown.text
    detected = client.post(f"/screening/sets/{demo_set}/listed-parties",
                           data={"csrf_token": token})
    assert detected.status_code == 200 and listed["name"] in detected.text

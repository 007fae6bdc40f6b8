"""Screening a transaction set's parties: the batch job with progress, the listed-party
detector and the counterparties of a finding; on both engines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from tocsin.access.principal import Principal
from tocsin.errors import PermissionDenied
from tocsin.jobs import runner as jobs
from tocsin.jobs.runner import JobRunner
from tocsin.money import sets
from tocsin.money.tables import TransactionSet
from tocsin.screening import service
from tocsin.screening import sets as screening_sets
from tocsin.settings import Settings
from tocsin.store.database import Database


@pytest.fixture
def demo_set(platform_db: Database, settings: Settings) -> int:
    from tocsin.money import demo

    with platform_db.transaction() as session:
        demo.load(session, settings)
    with platform_db.transaction() as session:
        found = session.scalar(select(TransactionSet.id).where(
            TransactionSet.name == demo.DEMO_NAME))
    assert found is not None
    return int(found)


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

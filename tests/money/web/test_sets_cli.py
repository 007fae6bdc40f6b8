"""The analysis commands on registered sets: addressed by id or name ``--as USER``, under
the read rule, audited, and findings stored by the same library function as the web, so
a finding made on the command line shows in the browser. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import MakeUser, login
from tests.money.conftest import tocsin
from tocsin.access.tables import AuditEntry
from tocsin.jobs.tables import Job
from tocsin.money import sets
from tocsin.money.demo import DEMO_NAME
from tocsin.money.tables import TransactionSet
from tocsin.settings import Settings
from tocsin.store.database import Database

API = "/api/v1/investigations"


def _audit(db: Database, action: str, username: str) -> list[str]:
    with db.transaction() as session:
        return list(session.scalars(select(AuditEntry.detail).where(
            AuditEntry.action == action, AuditEntry.username == username,
            AuditEntry.record_type == "transaction_set")))


def test_a_finding_made_on_the_command_line_shows_in_the_web(
        cli: None, client: TestClient, make_user: MakeUser, demo_set: int,
        platform_db: Database) -> None:
    analyst = make_user("analyst", unit="tntd-spmu")[0]
    made = tocsin("money", "detect", DEMO_NAME, "--as", analyst, "-d", "cycle", "--json")
    findings = json.loads(made.stdout)
    assert findings and {f["detector"] for f in findings} == {"cycle"}
    assert "shows in the web" in made.stderr
    assert any("detection run stored" in d for d in _audit(platform_db, "update", analyst))
    assert _audit(platform_db, "read", analyst)  # an AMBER set: the read is audited
    login(client, analyst)
    shown = client.get(f"{API}/sets/{demo_set}/findings").json()
    assert shown["stored"] is True and shown["detectors"] == ["cycle"]
    assert [(f["subject"], f["transactions"]) for f in shown["findings"]] == \
        [(f["subject"], f["transactions"]) for f in findings]
    graph = client.get(f"{API}/sets/{demo_set}/findings/{shown['findings'][0]['id']}/graph")
    assert graph.status_code == 200 and graph.json()["edges"]
    page = client.get(f"/investigations/sets/{demo_set}")
    assert page.status_code == 200 and DEMO_NAME in page.text


def test_a_reader_gets_a_preview_and_others_get_not_found(
        cli: None, client: TestClient, make_user: MakeUser, demo_set: int,
        platform_db: Database) -> None:
    funds = make_user("fund_manager", unit="tntd-spmu")[0]
    preview = tocsin("money", "detect", str(demo_set), "--as", funds, "-d", "cycle", "--json")
    assert json.loads(preview.stdout) and "A preview: not stored" in preview.stderr
    assert _audit(platform_db, "update", funds) == []
    login(client, funds)
    assert client.get(f"{API}/sets/{demo_set}/findings").json()["findings"] is None
    # A partner viewer of another unit may not read this AMBER set: it does not exist.
    outsider = make_user("partner_viewer", unit=_other_unit(platform_db))[0]
    for command in ("detect", "trace", "score", "evaluate", "train"):
        refused = tocsin("money", command, str(demo_set), "--as", outsider, ok=False)
        assert refused.exit_code == 1 and "not found" in refused.output, refused.output
    by_name = tocsin("money", "detect", DEMO_NAME, "--as", outsider, ok=False)
    assert by_name.exit_code == 1 and "not found" in by_name.output
    assert tocsin("money", "sets", "--as", outsider, "--json").stdout.strip() == "[]"


def _other_unit(db: Database) -> str:
    from tocsin.access.tables import Unit

    with db.transaction() as session:
        return str(session.scalars(select(Unit.code).where(Unit.code != "tntd-spmu")
                                   .order_by(Unit.code)).first())


def test_trace_score_evaluate_by_name_and_the_set_list(
        cli: None, make_user: MakeUser, demo_set: int, platform_db: Database,
        settings: Settings) -> None:
    analyst = make_user("analyst", unit="tntd-spmu")[0]
    listed = json.loads(tocsin("money", "sets", "--as", analyst, "--json").stdout)
    assert [(s["id"], s["name"], s["owner_unit"], s["created_by"]) for s in listed] == \
        [(demo_set, DEMO_NAME, "tntd-spmu", "platform")]
    assert listed[0]["size"] > 10_000
    assert "owner" in tocsin("money", "sets", "--as", analyst).stdout  # the table form
    found = json.loads(tocsin("money", "detect", str(demo_set), "--as", analyst, "-d",
                              "fan_out", "--json").stdout)
    first = found[0]["transactions"][0]
    traced = json.loads(tocsin("money", "trace", DEMO_NAME, "--as", analyst, "-t", first,
                               "--json").stdout)
    assert traced["roots"][0]["txn_id"] == first
    assert "risk" in tocsin("money", "score", DEMO_NAME, "--as", analyst, "--limit", "3").stdout
    judged = json.loads(tocsin("money", "evaluate", DEMO_NAME, "--as", analyst,
                               "--json").stdout)
    assert judged["accounts"]["recall"] > 0


def test_how_a_set_is_named_is_checked(cli: None, tmp_path: Path, demo_set: int) -> None:
    both = tocsin("money", "detect", str(demo_set), "--set-dir", str(tmp_path), ok=False)
    assert both.exit_code == 1 and "not both" in both.output
    neither = tocsin("money", "detect", ok=False)
    assert neither.exit_code == 1 and "name a registered set" in neither.output
    outside = tocsin("money", "detect", "--set-dir", str(tmp_path), "--as", "someone", ok=False)
    assert outside.exit_code == 1 and "--set-dir reads files outside" in outside.output
    unknown = tocsin("money", "trace", "No such case", "-t", "x", ok=False)
    assert unknown.exit_code == 1 and "not found" in unknown.output
    assert "outside the platform" in tocsin("money", "detect", "--help").stdout


def test_a_model_is_kept_with_the_set_and_deleted_with_it(
        cli: None, make_user: MakeUser, demo_set: int, platform_db: Database,
        settings: Settings, tmp_path: Path) -> None:
    analyst = make_user("analyst", unit="tntd-spmu")[0]
    funds = make_user("fund_manager", unit="tntd-spmu")[0]
    trained = json.loads(tocsin("money", "train", DEMO_NAME, "--as", analyst, "--json").stdout)
    with platform_db.transaction() as session:
        item = session.scalars(select(TransactionSet)).one()
        kept = sets.model_path(settings, item)
        folder = sets.set_path(settings, item)
    assert trained["model"] == str(kept) and kept.is_file()
    assert "grown on the" in trained["split"]  # the default: on the shipped model
    assert any("risk model" in d for d in _audit(platform_db, "update", analyst))
    # who keeps the model where does not depend on how it is trained: the reader's two
    # trainings grow no trees on the shipped model (the analyst's above did)
    preview = json.loads(tocsin("money", "train", DEMO_NAME, "--as", funds, "--json",
                                "--from-scratch").stdout)
    assert preview["model"] is None
    elsewhere = tmp_path / "mine.pkl"
    tocsin("money", "train", DEMO_NAME, "--as", funds, "--output", str(elsewhere),
           "--from-scratch")
    assert elsewhere.is_file()
    assert any("mine.pkl" in d for d in _audit(platform_db, "export", funds))
    tocsin("money", "detect", DEMO_NAME, "--as", analyst, "-d", "cycle")
    assert (folder / sets.FINDINGS_FILE).is_file()
    tocsin("money", "delete", DEMO_NAME, "--as", analyst, "--yes")
    assert not folder.exists()
    with platform_db.transaction() as session:
        assert session.scalars(select(TransactionSet)).all() == []
        assert session.scalars(select(Job)).all() == []
        assert sets.orphaned_folders(session, settings) == []
    assert "Nothing left over" in tocsin("money", "leftovers").stdout


def test_leftovers_of_every_kind_are_found_and_removed(
        cli: None, demo_set: int, platform_db: Database, settings: Settings) -> None:
    data = settings.data_dir
    made: dict[str, Any] = {
        "set folder": data / "money" / ("0" * 32),
        "unfinished import": data / "money" / ".abc.partial-1234",
        "upload": data / "uploads" / "upload-x",
        "findings (old layout)": data / "investigations" / ("1" * 32),
        "job files (old layout)": data / "jobs",
    }
    for path in made.values():
        path.mkdir(parents=True)
        (path / "file").write_text("x")
    with platform_db.transaction() as session:
        item = session.scalars(select(TransactionSet)).one()
        results = sets.set_path(settings, item) / sets.RESULTS_DIR
        results.mkdir()
        (results / "feedfeed.json").write_text("{}")
        made["job result"] = results / "feedfeed.json"
        found = sets.orphaned_folders(session, settings, in_use_seconds=0)
        # Temporary files may still be in use for a while: not reported yet.
        young = {x.kind for x in sets.orphaned_folders(session, settings)}
    assert {x.kind: x.path for x in found} == made
    assert young == {"set folder", "findings (old layout)", "job files (old layout)"}
    listing = tocsin("money", "leftovers").stdout
    assert "set folder" in listing and "Removed" not in listing
    sets.remove_leftovers(found)
    assert not any(path.exists() for path in made.values())
    assert sets.set_path(settings, item).is_dir()  # the registered set is untouched

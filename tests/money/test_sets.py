"""The transaction-set registry: access control, audit, files and database in step."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tocsin.access import users
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.access.tables import AuditEntry, Unit, User
from tocsin.errors import ConfigurationError, InputError, NotFound, PermissionDenied
from tocsin.money import sets
from tocsin.money.export import Selection
from tocsin.money.findings import Finding
from tocsin.money.rank import RankConfig, Ranking, flag
from tocsin.money.tables import TransactionSet
from tocsin.settings import Settings
from tocsin.store.database import Database

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "money"
AMLSIM = [FIXTURES / "amlsim_tiny"]


@pytest.fixture
def people(db: Database) -> dict[str, Principal]:
    """Two units with an analyst each, a partner viewer and a fund manager in unit A."""
    with db.transaction() as session:
        session.add_all([Unit(code="unit-a", name="Unit A"), Unit(code="unit-b", name="Unit B")])
        session.flush()
        made = {}
        units = {u.code: u.id for u in session.scalars(select(Unit))}
        for key, role, unit in (("analyst_a", Role.ANALYST, "unit-a"),
                                ("analyst_b", Role.ANALYST, "unit-b"),
                                ("viewer_a", Role.PARTNER_VIEWER, "unit-a"),
                                ("funds_a", Role.FUND_MANAGER, "unit-a")):
            # no password hashing: these users never sign in
            user = User(username=key.replace("_", "-"), password_hash="-", role=role.value,
                        unit_id=units[unit])
            session.add(user)
            session.flush()
            made[key] = users.principal_for(user)
    return made


def _unit(db: Database, code: str) -> int:
    with db.transaction() as session:
        return session.scalars(select(Unit.id).where(Unit.code == code)).one()


def _import(db: Database, settings: Settings, who: Principal, handling: str = "AMBER",
            unit: str = "unit-a", name: str = "Case 12") -> int:
    with db.transaction() as session:
        item, report = sets.import_set(session, who, settings, "amlsim", AMLSIM, name,
                                       handling, _unit(db, unit))
        assert report.transactions == 4
        return item.id


def _folders(settings: Settings) -> list[str]:
    root = sets.storage_root(settings)
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_import_registers_the_set_and_audits_it(db: Database, settings: Settings,
                                                people: dict[str, Principal]) -> None:
    set_id = _import(db, settings, people["analyst_a"])
    with db.transaction() as session:
        item = sets.get_set(session, people["analyst_a"], set_id)
        assert (item.name, item.format, item.handling) == ("Case 12", "amlsim", "AMBER")
        assert (item.transaction_count, item.account_count, item.has_labels) == (4, 4, True)
        assert item.created_by == people["analyst_a"].user_id
        assert _folders(settings) == [item.storage_key]
        stored = sets.open_stored(settings, item)
        assert stored.transactions().num_rows == 4
        created = session.scalars(select(AuditEntry).where(AuditEntry.action == "create",
                                                           AuditEntry.record_type ==
                                                           "transaction_set")).all()
        assert [(e.record_id, e.username) for e in created] == [(str(set_id), "analyst-a")]


def test_writing_for_another_unit_is_refused(db: Database, settings: Settings,
                                             people: dict[str, Principal]) -> None:
    with pytest.raises(PermissionDenied):
        _import(db, settings, people["analyst_b"], unit="unit-a")
    with pytest.raises(PermissionDenied):
        _import(db, settings, people["viewer_a"])
    assert _folders(settings) == []


def test_owner_check_lists_every_problem_before_any_file(db: Database,
                                                        people: dict[str, Principal]) -> None:
    with db.transaction() as session:
        assert sets.check_owner(session, people["analyst_a"], " unit-a ", "tlp:amber") == \
            _unit(db, "unit-a")
        with pytest.raises(InputError) as bad:
            sets.check_owner(session, people["analyst_a"], "unit-z", "PINK")
        assert [p.location for p in bad.value.problems] == ["unit", "handling"]
        with pytest.raises(PermissionDenied):
            sets.check_owner(session, people["analyst_a"], "unit-b", "AMBER")


def test_a_failed_import_leaves_no_row_and_no_files(db: Database, settings: Settings,
                                                   people: dict[str, Principal]) -> None:
    with pytest.raises(InputError), db.transaction() as session:
        sets.import_set(session, people["analyst_a"], settings, "amlsim",
                        [FIXTURES / "amlsim_bad"], "Broken", "GREEN", _unit(db, "unit-a"))
    with pytest.raises(InputError, match="handling"), db.transaction() as session:
        sets.import_set(session, people["analyst_a"], settings, "amlsim", AMLSIM, "X",
                        "PURPLE", _unit(db, "unit-a"))
    with db.transaction() as session:
        assert session.scalars(select(TransactionSet)).all() == []
    assert _folders(settings) == []


def test_a_rolled_back_transaction_removes_the_files(db: Database, settings: Settings,
                                                     people: dict[str, Principal]) -> None:
    with pytest.raises(RuntimeError), db.transaction() as session:
        sets.import_set(session, people["analyst_a"], settings, "amlsim", AMLSIM, "Case",
                        "GREEN", _unit(db, "unit-a"))
        assert len(_folders(settings)) == 1
        raise RuntimeError("the request failed after the import")
    assert _folders(settings) == []
    with db.transaction() as session:
        assert session.scalars(select(TransactionSet)).all() == []


def test_reads_follow_the_handling_code(db: Database, settings: Settings,
                                        people: dict[str, Principal]) -> None:
    red = _import(db, settings, people["analyst_a"], "RED", name="Red case")
    amber = _import(db, settings, people["analyst_a"], "AMBER", name="Amber case")
    with db.transaction() as session:
        own = {s.name for s in sets.list_sets(session, people["analyst_a"])}
        other = {s.name for s in sets.list_sets(session, people["analyst_b"])}
        viewer = {s.name for s in sets.list_sets(session, people["viewer_a"])}
        assert own == {"Red case", "Amber case"}
        assert other == {"Amber case"}
        assert viewer == {"Amber case"}  # AMBER within the viewer's own unit
        with pytest.raises(NotFound):
            sets.get_set(session, people["analyst_b"], red)
        with pytest.raises(NotFound):
            sets.find_set(session, people["analyst_b"], "Red case")
        assert sets.find_set(session, people["analyst_b"], "Amber case").id == amber
        assert sets.find_set(session, people["analyst_b"], str(amber)).id == amber


def test_export_is_audited_and_needs_the_right(db: Database, settings: Settings,
                                               people: dict[str, Principal],
                                               tmp_path: Path) -> None:
    set_id = _import(db, settings, people["analyst_a"])
    with db.transaction() as session:
        report = sets.export(session, people["funds_a"], settings, set_id, "graphml",
                             tmp_path / "g.graphml", Selection(accounts={"0", "1"}))
        assert report.edges == 1 and (tmp_path / "g.graphml").exists()
        with pytest.raises(PermissionDenied):
            sets.export(session, people["viewer_a"], settings, set_id, "csv", tmp_path / "x.csv")
        exports = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all()
        assert [(e.username, e.record_id) for e in exports] == [("funds-a", str(set_id))]
        assert "selection" in exports[0].detail


def test_delete_removes_the_files_after_commit(db: Database, settings: Settings,
                                               people: dict[str, Principal]) -> None:
    set_id = _import(db, settings, people["analyst_a"])
    with pytest.raises(PermissionDenied), db.transaction() as session:
        sets.delete_set(session, people["funds_a"], settings, set_id)
    with pytest.raises(RuntimeError), db.transaction() as session:
        sets.delete_set(session, people["analyst_a"], settings, set_id)
        raise RuntimeError("rolled back")
    assert len(_folders(settings)) == 1  # the row came back, so must the files stay
    with db.transaction() as session:
        sets.delete_set(session, people["analyst_a"], settings, set_id)
    assert _folders(settings) == []
    with db.transaction() as session:
        assert session.get(TransactionSet, set_id) is None
        deleted = session.scalars(select(AuditEntry).where(AuditEntry.action == "delete")).all()
        assert [e.record_id for e in deleted] == [str(set_id)]
        assert sets.orphaned_folders(session, settings) == []


def _finding(subject: str = "0") -> Finding:
    return Finding.build("cycle", subject, 0.9, [subject, "1"], ["t1", "t2"], 100.0,
                         "money went round")


def _ranked(*found: Finding) -> Ranking:
    """Findings ranked as they are (no engine to judge them against), in a set of 100."""
    return Ranking(list(found), flag(found, 100), 100, RankConfig())


def test_only_users_who_may_change_the_set_store_findings(db: Database, settings: Settings,
                                                          people: dict[str, Principal]) -> None:
    set_id = _import(db, settings, people["analyst_a"])
    with db.transaction() as session:
        item = sets.get_set(session, people["analyst_a"], set_id)
        assert sets.may_store_results(people["analyst_a"], item)
        assert not sets.may_store_results(people["analyst_b"], item)  # another unit
        assert not sets.may_store_results(people["funds_a"], item)  # reads, never writes
        preview = sets.keep_findings(session, people["funds_a"], settings, set_id,
                                     _ranked(_finding()), ["cycle"], {"cycle": {}})
        assert preview["stored"] is False and len(preview["findings"]) == 1
        # Stored ranked: the score after ranking, the detector's, and what it flags.
        shown = preview["findings"][0]
        assert (shown["score"], shown["detector_score"], shown["flagged"]) == (0.9, 0.9, True)
        assert shown["flags"] == ["0", "1"] and shown["adjustment"] is None
        assert preview["ranking"]["flagged"] == 2
        assert [a["account"] for a in preview["flagged_accounts"]] == ["0", "1"]
        assert sets.load_findings(session, people["analyst_a"], settings, set_id) is None
        kept = sets.keep_findings(session, people["analyst_a"], settings, set_id,
                                  _ranked(_finding()), ["cycle"], {"cycle": {}})
        assert kept["stored"] is True
        key = kept["findings"][0]["id"]
        # Readers see the stored run; one finding by its key.
        loaded = sets.load_findings(session, people["analyst_b"], settings, set_id)
        assert loaded is not None and loaded["findings"] == kept["findings"]
        assert sets.stored_finding(session, people["viewer_a"], settings, set_id,
                                   key)["subject"] == "0"
        with pytest.raises(NotFound):
            sets.stored_finding(session, people["analyst_a"], settings, set_id, "nope")
        updates = session.scalars(select(AuditEntry).where(AuditEntry.action == "update")).all()
        assert [(e.username, e.record_id) for e in updates] == [("analyst-a", str(set_id))]
        assert (sets.set_path(settings, item) / sets.FINDINGS_FILE).is_file()


def test_a_result_for_a_deleted_set_is_not_written(db: Database, settings: Settings,
                                                   people: dict[str, Principal]) -> None:
    set_id = _import(db, settings, people["analyst_a"])
    with db.transaction() as session:
        ref = sets.store_job_result(session, people["analyst_b"], settings, set_id, "ab12",
                                    {"n": 1})
    assert sets.load_job_result(settings, ref) == {"n": 1}
    with db.transaction() as session:
        sets.delete_set(session, people["analyst_a"], settings, set_id)
    assert sets.load_job_result(settings, ref) is None
    with pytest.raises(NotFound), db.transaction() as session:
        sets.store_job_result(session, people["analyst_a"], settings, set_id, "cd34", {})
    with pytest.raises(NotFound), db.transaction() as session:
        sets.keep_findings(session, people["analyst_a"], settings, set_id, _ranked(), [],
                           {})
    assert _folders(settings) == []


def test_deleting_a_set_removes_everything_stored_for_it(
        db: Database, settings: Settings, people: dict[str, Principal]) -> None:
    from tocsin.jobs import runner as jobs
    from tocsin.jobs.tables import Job

    set_id = _import(db, settings, people["analyst_a"])
    other = _import(db, settings, people["analyst_a"], name="Other")
    with db.transaction() as session:
        item = sets.get_set(session, people["analyst_a"], set_id)
        key = item.storage_key
        sets.keep_findings(session, people["analyst_a"], settings, set_id, _ranked(_finding()),
                           ["cycle"], {})
        job = jobs.submit(session, people["analyst_a"], "detect", {"set": set_id}, {},
                          (sets.SUBJECT, set_id))
        job.result_ref = sets.store_job_result(session, people["analyst_a"], settings, set_id,
                                               job.id, {"findings": []})
        jobs.submit(session, people["analyst_a"], "detect", {"set": other}, {},
                    (sets.SUBJECT, other))
        model = sets.model_path(settings, item)
        model.parent.mkdir(parents=True)
        model.write_bytes(b"model")
        download = sets.export_folder(settings, item)
        (download / "export.csv").write_text("x")
    # What earlier versions kept outside the set's folder goes too.
    legacy = [settings.data_dir / "investigations" / key / "findings.json",
              settings.data_dir / "models" / "money" / f"{key}.pkl"]
    for path in legacy:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("old")
    with db.transaction() as session:
        sizes = {s.id: s.size for s in sets.summaries(session, people["analyst_a"], settings)}
        assert sizes[set_id] > sizes[other] > 0
        sets.delete_set(session, people["analyst_a"], settings, set_id)
    with db.transaction() as session:
        assert [j.subject_id for j in session.scalars(select(Job))] == [other]
        assert sets.orphaned_folders(session, settings, in_use_seconds=0) == []
    assert len(_folders(settings)) == 1  # the other set's
    assert not any(path.exists() for path in legacy)


def test_an_import_without_an_audit_key_stops_before_reading_the_files(
        db: Database, settings: Settings, people: dict[str, Principal],
        monkeypatch: pytest.MonkeyPatch) -> None:
    def read(*_: object, **__: object) -> None:
        raise AssertionError("the files were read")

    monkeypatch.setattr(sets, "ingest", read)
    for name in ("TOCSIN_SECRET_KEY", "TOCSIN_AUDIT_KEY", "TOCSIN_DEMO"):
        monkeypatch.delenv(name, raising=False)
    unit = _unit(db, "unit-a")
    with pytest.raises(ConfigurationError, match="the audit log needs a key"), \
            db.transaction() as session:
        session.info.pop("audit_key", None)
        sets.import_set(session, people["analyst_a"], settings, "amlsim", AMLSIM, "Case 12",
                        "AMBER", unit)
    assert _folders(settings) == []

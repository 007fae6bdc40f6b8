"""Programmes, projects and activities through the library, on every backend."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.taskforce.programmes.factory import count, full_spec, principal, spec
from tocsin.access.principal import Principal
from tocsin.access.tables import AuditEntry
from tocsin.errors import InputError, NotFound, PermissionDenied
from tocsin.taskforce.programmes import records
from tocsin.taskforce.programmes.spec import FinanceSpec, ShareSpec
from tocsin.taskforce.programmes.tables import Activity, Finance


def test_create_and_read_back_every_field(session: Session) -> None:
    system = Principal.system()
    wanted = full_spec()
    created = records.create_activity(session, system, wanted)
    session.expire_all()
    got = records.to_spec(records.get_activity(session, system, created.id),
                          unit_codes={created.owner_unit_id: "tntd-spmu"})
    assert got == wanted.model_copy(update={"handling": "GREEN", "owner_unit": "tntd-spmu"})
    assert [p.role for p in got.funding_sources] == [1]


def test_owner_unit_defaults_to_the_implementing_structure(session: Session) -> None:
    created = records.create_activity(session, Principal.system(),
                                      spec(implementing_structure="fo-serbia"))
    analyst = principal(session, "analyst", "fo-serbia")
    assert created.owner_unit_id == analyst.unit_id


def test_every_problem_is_reported_and_nothing_written(session: Session) -> None:
    bad = spec(
        title="",
        status=9,
        implementing_structure="no-such-structure",
        countries=[ShareSpec(code="AL", percentage=Decimal("60")),
                   ShareSpec(code="ZZ", percentage=Decimal("50"))],
        crime_areas=[ShareSpec(code="smuggling_of_unicorns")],
        finance=[FinanceSpec(year=2024, kind="budget", amount=Decimal("-1"), currency="eur")],
    )
    with pytest.raises(InputError) as caught:
        records.create_activity(session, Principal.system(), bad)
    reasons = "\n".join(str(p) for p in caught.value.problems)
    for expected in ("title is empty", "status 9", "unknown structure", "unknown country 'ZZ'",
                     "add up to 110", "unknown crime area", "ISO 4217", "cannot be negative"):
        assert expected in reasons
    assert count(session, Activity) == 0


def test_hierarchy_rules(session: Session) -> None:
    system = Principal.system()
    programme = records.create_activity(session, system, spec("P", level="programme"))
    project = records.create_activity(session, system,
                                      spec("P-1", level="project", parent_identifier="P"))
    records.create_activity(session, system,
                            spec("P-1-a", level="activity", parent_identifier="P-1"))
    with pytest.raises(InputError, match="a programme cannot sit under a project"):
        records.create_activity(session, system,
                                spec("X", level="programme", parent_identifier="P-1"))
    with pytest.raises(InputError, match="no activity 'missing'"):
        records.create_activity(session, system, spec("Y", parent_identifier="missing"))
    with pytest.raises(InputError, match="child record"):
        records.delete_activity(session, system, programme.id)
    # turning the project into an activity would strand its child
    with pytest.raises(InputError, match="cannot sit under"):
        records.update_activity(session, system, project.id,
                                spec("P-1", level="activity", parent_identifier="P"))
    assert [a.identifier for a in records.children_of(session, system, programme.id)] == ["P-1"]
    leaf = records.get_by_identifier(session, system, "P-1-a")
    assert [a.identifier for a in records.ancestors(session, system, leaf)] == ["P", "P-1"]


def test_update_replaces_dependent_rows(session: Session) -> None:
    system = Principal.system()
    created = records.create_activity(session, system, full_spec())
    document_id = created.documents[0].id
    changed = full_spec(title="Renamed", finance=[
        FinanceSpec(year=2024, kind="budget", amount=Decimal("1"), currency="EUR")])
    records.update_activity(session, system, created.id, changed)
    session.expire_all()
    again = records.get_activity(session, system, created.id)
    assert again.title == "Renamed"
    assert [(f.year, f.amount) for f in again.finance] == [(2024, Decimal("1.00"))]
    assert again.documents[0].id == document_id  # evidence links keep pointing at it
    assert count(session, Finance) == 1


def test_delete_cascades_and_is_audited(session: Session) -> None:
    system = Principal.system()
    created = records.create_activity(session, system, full_spec())
    records.delete_activity(session, system, created.id)
    assert count(session, Activity) == count(session, Finance) == 0
    actions = session.scalars(select(AuditEntry.action).where(
        AuditEntry.record_type == "activity")).all()
    assert actions == ["create", "delete"]


def test_list_filters(session: Session) -> None:
    system = Principal.system()
    records.create_activity(session, system, full_spec("A", title="Asset recovery mentoring"))
    records.create_activity(session, system, spec("B", title="Cyber lab", countries=[
        ShareSpec(code="MD")], crime_areas=[ShareSpec(code="cybercrime")]))

    def ids(**filters: object) -> list[str]:
        return [a.identifier for a in records.list_activities(session, system, **filters)]

    assert ids() == ["A", "B"]
    assert ids(crime_area="cybercrime") == ["A", "B"]
    assert ids(crime_area="money_laundering") == ["A"]
    assert ids(country="md") == ["B"]
    assert ids(text="MENTOR") == ["A"]
    assert ids(level="programme") == ["A"]
    assert ids(status=2) == ["A"]


def test_partner_viewer_does_not_see_amber_of_another_unit(session: Session) -> None:
    system = Principal.system()
    amber = records.create_activity(session, system, spec("AMBER-1", handling="AMBER",
                                                          implementing_structure="tntd-spmu"))
    records.create_activity(session, system, spec("GREEN-1"))
    outsider = principal(session, "partner_viewer", "unodc")
    insider = principal(session, "partner_viewer", "tntd-spmu")
    analyst = principal(session, "analyst", "fo-serbia")
    assert [a.identifier for a in records.list_activities(session, outsider)] == ["GREEN-1"]
    with pytest.raises(NotFound):
        records.get_activity(session, outsider, amber.id)
    assert len(records.list_activities(session, insider)) == 2
    assert records.get_activity(session, analyst, amber.id).identifier == "AMBER-1"
    reads = session.scalars(select(AuditEntry.username).where(
        AuditEntry.action == "read", AuditEntry.record_id == str(amber.id))).all()
    assert "analyst-fo-serbia" in reads


def test_writes_are_limited_to_the_own_unit(session: Session) -> None:
    system = Principal.system()
    theirs = records.create_activity(session, system, spec("THEIRS"))
    analyst = principal(session, "analyst", "fo-serbia")
    with pytest.raises(PermissionDenied):
        records.create_activity(session, analyst, spec("MINE", implementing_structure="tntd"))
    with pytest.raises(PermissionDenied):
        records.update_activity(session, analyst, theirs.id, spec("THEIRS", title="x"))
    with pytest.raises(PermissionDenied):
        records.delete_activity(session, analyst, theirs.id)
    mine = records.create_activity(session, analyst, spec("MINE", implementing_structure=None))
    assert mine.owner_unit_id == analyst.unit_id
    viewer = principal(session, "partner_viewer", "fo-serbia")
    with pytest.raises(PermissionDenied):
        records.create_activity(session, viewer, spec("NOPE", implementing_structure=None))


def test_documents_are_stored_by_content_hash(session: Session, tmp_path: Path) -> None:
    from tocsin.settings import Settings
    from tocsin.taskforce.programmes import documents

    settings = Settings(data_dir=tmp_path / "data", upload_max_bytes=2048)
    system = Principal.system()
    activity = records.create_activity(session, system, spec("DOC-1"))
    first = documents.add_document(session, system, settings, activity.id, "Report",
                                   content=b"%PDF-1.4 fictional", original_name="report.pdf",
                                   category="A07")
    second = documents.add_document(session, system, settings, activity.id, "Same bytes",
                                    content=b"%PDF-1.4 fictional", original_name="copy.pdf")
    assert first.stored_path == second.stored_path
    assert first.mime_type == "application/pdf" and first.original_name == "report.pdf"
    path = documents.stored_file(settings, first)
    assert path.read_bytes() == b"%PDF-1.4 fictional"
    assert path.parent.parent == tmp_path / "data" / "documents"
    link = documents.add_document(session, system, settings, activity.id, "Page",
                                  url="https://example.org/page")
    assert (link.position, link.mime_type) == (2, "text/html")
    with pytest.raises(InputError, match="at most 2048"):
        documents.add_document(session, system, settings, activity.id, "Big",
                               content=b"x" * 4096, original_name="big.bin")
    with pytest.raises(InputError, match="give a URL or a file"):
        documents.add_document(session, system, settings, activity.id, "Nothing")
    viewer = principal(session, "partner_viewer", "unodc")
    hidden = records.create_activity(session, system, spec("DOC-2", handling="AMBER"))
    secret = documents.add_document(session, system, settings, hidden.id, "Secret",
                                    url="https://example.org/s")
    with pytest.raises(NotFound):
        documents.get_document(session, viewer, secret.id)
    documents.remove_document(session, system, second.id)
    assert [d.title for d in records.get_activity(session, system, activity.id).documents] == [
        "Report", "Page"]

"""Whole-file application: the bulk write path keeps every field, all or nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from tests.taskforce.programmes.factory import count, full_spec, principal, spec
from tocsin.access.principal import Principal
from tocsin.errors import InputError
from tocsin.taskforce.programmes import records
from tocsin.taskforce.programmes.bulk import apply_specs
from tocsin.taskforce.programmes.spec import FinanceSpec
from tocsin.taskforce.programmes.tables import Activity, Document
from tocsin.taskforce.programmes.vocabulary import Vocabulary


def test_bulk_write_matches_the_single_record_path(session: Session) -> None:
    system = Principal.system()
    vocab = Vocabulary.load(session)
    wanted = [full_spec("BULK-P", handling="AMBER"),
              spec("BULK-P-1", level="project", parent_identifier="BULK-P",
                   owner_unit="fo-serbia")]
    summary = apply_specs(session, system, wanted, {}, vocab=vocab)
    assert (summary.created, summary.updated) == (2, 0)
    session.expire_all()
    units = {ident: code for code, ident in vocab.units.items()}
    programme = records.get_by_identifier(session, system, "BULK-P")
    project = records.get_by_identifier(session, system, "BULK-P-1")
    assert records.to_spec(programme, None, units) == wanted[0].model_copy(
        update={"owner_unit": "tntd-spmu"})
    assert records.to_spec(project, "BULK-P", units) == wanted[1].model_copy(
        update={"handling": "GREEN"})
    assert project.parent_id == programme.id


def test_bulk_update_replaces_rows_and_keeps_document_ids(session: Session) -> None:
    system = Principal.system()
    vocab = Vocabulary.load(session)
    created = records.create_activity(session, system, full_spec("DOCS"))
    document_id = created.documents[0].id
    changed = full_spec("DOCS", title="Changed", finance=[
        FinanceSpec(year=2030, kind="budget", amount=Decimal("5"), currency="CHF")])
    summary = apply_specs(session, system, [changed], {}, vocab=vocab)
    assert (summary.created, summary.updated) == (0, 1)
    session.expire_all()
    again = records.get_activity(session, system, created.id)
    assert again.title == "Changed"
    assert [(f.year, f.currency) for f in again.finance] == [(2030, "CHF")]
    assert [d.id for d in again.documents] == [document_id]
    assert count(session, Document) == 1


def test_all_problems_of_a_file_and_nothing_written(session: Session) -> None:
    vocab = Vocabulary.load(session)
    records.create_activity(session, Principal.system(), spec("EXISTING"))
    analyst = principal(session, "analyst", "fo-serbia")
    items = [
        spec("NEW-1", implementing_structure="fo-serbia"),
        spec("EXISTING", implementing_structure="fo-serbia"),       # another unit's record
        spec("NEW-2", implementing_structure="tntd"),               # not the analyst's unit
        spec("NEW-3", level="programme", parent_identifier="NEW-1",  # level under an activity
             implementing_structure="fo-serbia"),
    ]
    where = {s.identifier: f"line {i + 2}" for i, s in enumerate(items)}
    with pytest.raises(InputError) as caught:
        apply_specs(session, analyst, items, where, vocab=vocab, source="upload.csv")
    assert [str(p) for p in caught.value.problems] == [
        "line 3: activity 'EXISTING' exists and belongs to a unit whose records you may "
        "not change",
        "line 4: you may not add records to the owning unit tntd",
        "line 5: a programme cannot sit under a activity ('NEW-1')",
    ]
    assert "upload.csv" in str(caught.value)
    assert count(session, Activity) == 1


def test_a_parent_outside_the_file_and_platform_is_a_note(session: Session) -> None:
    summary = apply_specs(session, Principal.system(),
                          [spec("ORPHAN", parent_identifier="ELSEWHERE-1")], {"ORPHAN": "x"},
                          vocab=Vocabulary.load(session))
    assert [str(n) for n in summary.notes] == [
        "x: parent 'ELSEWHERE-1' is neither in the file nor in the platform; kept without "
        "parent"]
    assert records.get_by_identifier(session, Principal.system(), "ORPHAN").parent_id is None

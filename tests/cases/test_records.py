"""Cases: opening, need to know through the read rule, subjects, links, notes, tasks,
timeline (both engines)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.cases.helpers import case, user
from tocsin.access.links import linked
from tocsin.access.policy import may_read, readable
from tocsin.access.tables import AuditEntry
from tocsin.cases import records
from tocsin.cases.spec import CaseSpec, LinkSpec, MemberSpec, NoteSpec, SubjectSpec, TaskSpec
from tocsin.cases.tables import Case
from tocsin.errors import InputError, NotFound, PermissionDenied
from tocsin.store.database import Database


def test_need_to_know_restricts_reading_to_the_team(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        lead = user(s, "analyst", name="lead")
        colleague = user(s, "analyst", name="colleague")
        coordinator = user(s, "coordinator", name="coord")
        admin = user(s, "administrator", name="root")
        open_case = case(s, lead, "OPEN-1")
        closed = case(s, lead, "NTK-1", need_to_know=True)
        # the colleague of the same unit reads the open case, not the restricted one
        assert records.get_case(s, colleague, open_case.id) is open_case
        with pytest.raises(NotFound):
            records.get_case(s, colleague, closed.id)
        with pytest.raises(NotFound):
            records.get_case(s, coordinator, closed.id)
        listed = {c.reference for c in records.list_cases(s, colleague)}
        assert listed == {"OPEN-1"}
        # the same rule answers in memory, in SQL and through links
        assert not may_read(closed, colleague) and may_read(closed, lead)
        assert s.scalars(readable(Case, colleague).where(Case.id == closed.id)).all() == []
        assert linked(s, Case, closed.id, colleague) is None
        assert records.get_case(s, admin, closed.id) is closed
        # joining the team opens it
        records.add_member(s, lead, closed.id, MemberSpec(username="colleague"))
        s.expire(closed)
        assert records.get_case(s, colleague, closed.id).id == closed.id
        assert {c.reference for c in records.list_cases(s, colleague)} == {"OPEN-1", "NTK-1"}
        records.remove_member(s, lead, closed.id, "colleague")
        s.expire(closed)
        with pytest.raises(NotFound):
            records.get_case(s, colleague, closed.id)
        with pytest.raises(InputError, match="at least one team member"):
            records.remove_member(s, lead, closed.id, "lead")


def test_need_to_know_still_needs_the_handling_rule(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        lead = user(s, "analyst", name="lead")
        other_unit = user(s, "analyst", "oceea", name="outsider")
        red = case(s, lead, "RED-1", need_to_know=True, handling="RED")
        records.add_member(s, lead, red.id, MemberSpec(username="outsider"))
        s.expire(red)
        # on the team but outside the unit: RED still keeps them out
        with pytest.raises(NotFound):
            records.get_case(s, other_unit, red.id)


def test_open_case_validates_every_field(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        lead = user(s, "analyst")
        with pytest.raises(InputError) as err:
            records.create_case(s, lead, CaseSpec(reference="", title="", crime_area="nope",
                                                  country="ZZ", handling="PINK"))
        where = {p.location for p in err.value.problems}
        assert where == {"case.reference", "case.title", "case.crime_area", "case.country",
                         "case.handling"}
        case(s, lead, "DUP-1")
        with pytest.raises(InputError, match="already used"):
            case(s, lead, "DUP-1")
        viewer = user(s, "partner_viewer", "unodc")
        with pytest.raises(PermissionDenied):
            records.create_case(s, viewer, CaseSpec(reference="X", title="X",
                                                    owner_unit="tntd-spmu"))


def test_subjects_are_followthemoney_entities(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        lead = user(s, "analyst")
        c = case(s, lead)
        person = records.add_subject(s, lead, c.id, SubjectSpec.model_validate({
            "schema": "Person", "properties": {"name": ["Fictional Ivo Petrov"],
                                               "nationality": ["md"]}}))
        assert person.caption == "Fictional Ivo Petrov"
        assert person.properties["nationality"] == ["md"]
        account = records.add_subject(s, lead, c.id, SubjectSpec.model_validate({
            "schema": "BankAccount", "properties": {"iban": ["DE89370400440532013000"]}}))
        assert account.caption
        with pytest.raises(InputError) as err:
            records.add_subject(s, lead, c.id, SubjectSpec.model_validate({
                "schema": "Person", "properties": {"nationality": ["Atlantis"],
                                                   "shoeSize": ["44"]}}))
        where = {p.location for p in err.value.problems}
        assert {"subject.properties.nationality", "subject.properties.shoeSize",
                "subject.properties"} <= where
        with pytest.raises(InputError, match="not one of"):
            records.add_subject(s, lead, c.id, SubjectSpec.model_validate({
                "schema": "Vessel", "properties": {"name": ["X"]}}))
        entity = records.subject_entity(c, person)
        assert entity["schema"] == "Person" and entity["id"].startswith("tocsin-case-")


def test_subjects_are_screened_and_restricted_cases_keep_theirs(
        platform_db: Database) -> None:
    from sqlalchemy import func

    from tocsin.screening import service
    from tocsin.screening.tables import ScreenedSubject

    fixtures = Path(__file__).parents[1] / "fixtures" / "screening"
    with platform_db.transaction() as s:
        lead = user(s, "analyst")
        early = case(s, lead, "EARLY-1")
        records.add_subject(s, lead, early.id, SubjectSpec.model_validate({
            "schema": "Person", "properties": {"name": ["Someone"]}}))
        with pytest.raises(InputError, match="no screening list"):
            records.screen_subjects(s, lead, early.id)
        service.import_list(s, lead, "un", [fixtures / "un_v1.xml"])
        with pytest.raises(InputError, match="no subjects"):
            records.screen_subjects(s, lead, case(s, lead, "EMPTY-1").id)
        for reference, restricted in (("OPEN-S", False), ("NTK-S", True)):
            c = case(s, lead, reference, need_to_know=restricted)
            records.add_subject(s, lead, c.id, SubjectSpec.model_validate({
                "schema": "Person", "properties": {"name": ["Ivan Sidorov"],
                                                   "birthDate": ["1964-01-16"]}}))
            records.add_subject(s, lead, c.id, SubjectSpec.model_validate({
                "schema": "Person", "properties": {"name": ["Fictional Nobody Atall"]}}))
            ivan, nobody = records.screen_subjects(s, lead, c.id)
            assert ivan.screening is not None and ivan.screening["matches"] >= 1
            assert nobody.screening is not None and nobody.screening["matches"] == 0
        # the restricted case's subjects were not kept in the unit's screening registry
        kept = s.scalar(select(func.count()).select_from(ScreenedSubject))
        assert kept == 2


def test_links_follow_the_read_rule_of_the_set(platform_db: Database) -> None:
    from tests.taskforce.lessons.helpers import unit_id
    from tocsin.money.tables import TransactionSet

    with platform_db.transaction() as s:
        lead = user(s, "analyst")
        outsider = user(s, "analyst", "oceea", name="outsider")
        c = case(s, lead, handling="GREEN")
        hidden = TransactionSet(name="Other unit's set", format="csv", base_currency="EUR",
                                storage_key="k1", handling="RED",
                                owner_unit_id=unit_id(s, "oceea"))
        mine = TransactionSet(name="Our set", format="csv", base_currency="EUR",
                              storage_key="k2", handling="AMBER+STRICT",
                              owner_unit_id=unit_id(s, "tntd-spmu"))
        s.add_all([hidden, mine])
        s.flush()
        with pytest.raises(InputError, match=f"no transaction set with id {hidden.id}"):
            records.add_link(s, lead, c.id, LinkSpec(kind="transaction_set", set_id=hidden.id))
        link = records.add_link(s, lead, c.id, LinkSpec(kind="transaction_set", set_id=mine.id))
        assert link.detail["set"] == "Our set"
        # a reader of the case who may not read the set does not see the link
        assert records.visible_links(s, outsider, c) == []
        assert records.visible_links(s, lead, c) == [link]


def test_notes_tasks_and_timeline(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        lead = user(s, "analyst")
        viewer = user(s, "fund_manager")
        c = case(s, lead, opened_on=date(2030, 1, 10))
        records.add_note(s, lead, c.id, NoteSpec(text="Bank replied"))
        late = records.add_task(s, lead, c.id, TaskSpec(title="Ask the registry",
                                                        due_on=date(2030, 2, 1)))
        assert late.overdue(date(2030, 2, 2)) and not late.overdue(date(2030, 1, 31))
        with pytest.raises(PermissionDenied):
            records.add_note(s, viewer, c.id, NoteSpec(text="not mine"))
        due = records.open_tasks(s, lead, due_before=date(2030, 3, 1))
        assert [t.id for _, t in due] == [late.id]
        records.set_task_status(s, lead, late.id, "done", today=date(2030, 2, 3))
        assert records.open_tasks(s, lead) == []
        moments = records.timeline(c)
        assert {"case", "task", "note"} <= {m.kind for m in moments}
        assert [m.on for m in moments] == sorted(m.on for m in moments)
        details = s.scalars(select(AuditEntry.detail).where(
            AuditEntry.record_type == "case", AuditEntry.record_id == str(c.id))).all()
        assert any("note" in d for d in details) and any("task" in d for d in details)


def test_editing_the_details_keeps_the_old_values_and_checks_dates(
        platform_db: Database) -> None:
    from tocsin.cases import assets
    from tocsin.cases.spec import AssetSpec

    with platform_db.transaction() as s:
        lead = user(s, "analyst", name="editor")
        made = case(s, lead, "EDIT-1")
        assets.create_asset(s, lead, made.id, AssetSpec(
            kind="cash", description="Fictional cash", identified_on=date(2030, 2, 1)))
        spec = CaseSpec(reference="EDIT-1", title="Renamed fictional case", summary="New",
                        crime_area="money_laundering", country="MD",
                        opened_on=date(2030, 1, 10), handling="AMBER")
        # the case cannot open after an asset of it was identified
        with pytest.raises(InputError) as bad:
            records.update_case(s, lead, made.id, spec.model_copy(
                update={"opened_on": date(2030, 3, 1)}))
        assert [p.location for p in bad.value.problems] == ["case.opened_on"]
        assert made.title == "Fictional case EDIT-1"  # nothing half-written
        records.update_case(s, lead, made.id, spec)
        detail = s.scalars(select(AuditEntry.detail).where(
            AuditEntry.record_type == "case", AuditEntry.record_id == str(made.id),
            AuditEntry.detail.like("case details changed%"))).one()
        assert "title: 'Fictional case EDIT-1' → 'Renamed fictional case'" in detail
        assert "summary: '' → 'New'" in detail
        assert "handling" not in detail  # unchanged fields are not listed

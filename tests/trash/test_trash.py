"""Deletes go to the trash; an administrator restores them exactly; old items are purged.

Runs on SQLite and PostgreSQL: rows come back with their ids, dates, decimals and links.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.taskforce.programmes.factory import full_spec, principal, spec
from tocsin import trash
from tocsin.access.principal import Principal
from tocsin.access.tables import AuditEntry
from tocsin.errors import InputError, NotFound, PermissionDenied
from tocsin.store.base import Base, utcnow
from tocsin.taskforce.commitments import records as commitments
from tocsin.taskforce.commitments.records import CommitmentSpec
from tocsin.taskforce.lessons import records as lessons
from tocsin.taskforce.lessons.spec import ObservationSpec
from tocsin.taskforce.programmes import records as programmes
from tocsin.taskforce.programmes.tables import Activity

COMPARED = ("tf_activities", "tf_finance", "tf_results", "tf_indicators",
            "tf_activity_countries", "tf_activity_crime_areas", "tf_activity_participants",
            "tf_commitment_activities", "tf_commitments", "tf_lessons")


def _state(session: Session) -> dict[str, Any]:
    session.flush()
    tables = Base.metadata.tables
    state = {}
    for name in COMPARED:
        table = tables[name]
        rows = [{k: v for k, v in row._mapping.items() if k != "updated_at"}
                for row in session.execute(select(table))]
        state[name] = sorted(rows, key=repr)
    return state


def _audit(session: Session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    system = Principal.system()
    own = {"handling": "GREEN", "owner_unit": "tntd-spmu"}
    programme = programmes.create_activity(session, system, spec(
        "XM-OSCE-P", level="programme", title="Border programme", **own))
    activity = programmes.create_activity(session, system, full_spec(
        parent_identifier="XM-OSCE-P", level="project", title="Follow the money", **own))
    commitment = commitments.create_commitment(session, system, CommitmentSpec(
        code="t:1", instrument_code="untoc", summary="Trash commitment", **own))
    commitments.link_activities(session, system, commitment.id, [activity.id])
    lesson = lessons.submit_observation(session, system, ObservationSpec(
        title="Seen", observation="Seen there.", outcome="worked", activity_id=activity.id,
        **own))
    return {"programme": programme.id, "activity": activity.id, "commitment": commitment.id,
            "lesson": lesson.id, "coordinator": principal(session, "coordinator"),
            "admin": principal(session, "administrator")}


def test_a_deleted_activity_is_restored_with_everything_that_belonged_to_it(
        session: Session, world: dict[str, Any]) -> None:
    before = _state(session)
    programmes.delete_activity(session, world["coordinator"], world["activity"])
    assert session.get(Activity, world["activity"]) is None
    lesson_table = Base.metadata.tables["tf_lessons"]
    assert session.execute(select(lesson_table.c.activity_id)).scalar() is None  # SET NULL
    assert _state(session) != before

    items = trash.list_items(session, world["admin"], 30)
    assert [(i.record_type, i.title) for i in items] == [("activity", "Follow the money")]
    assert items[0].purge_on == (utcnow() + timedelta(days=30)).date()
    assert items[0].rows > 5  # finance, results, indicators, shares, links…

    trash.restore(session, world["admin"], items[0].id)
    assert _state(session) == before  # same ids, same values, links and lesson pointed back
    assert trash.list_items(session, world["admin"], 30) == []
    assert [e.record_id for e in _audit(session, "delete")] == [str(world["activity"])]
    assert [e.record_id for e in _audit(session, "restore")] == [str(world["activity"])]
    restored = programmes.get_activity(session, world["admin"], world["activity"])
    assert restored.title == "Follow the money"
    assert restored.finance and restored.results


def test_a_deleted_commitment_is_restored(session: Session, world: dict[str, Any]) -> None:
    before = _state(session)
    commitments.delete_commitment(session, world["coordinator"], world["commitment"])
    [item] = trash.list_items(session, world["admin"], 30)
    assert item.title == "t:1 — Trash commitment"
    trash.restore(session, world["admin"], item.id)
    assert _state(session) == before


def test_only_an_administrator_sees_and_restores_the_trash(
        session: Session, world: dict[str, Any]) -> None:
    commitments.delete_commitment(session, world["coordinator"], world["commitment"])
    item = session.scalars(select(trash.TrashItem)).one()
    with pytest.raises(PermissionDenied):
        trash.list_items(session, world["coordinator"], 30)
    with pytest.raises(PermissionDenied):
        trash.restore(session, world["coordinator"], item.id)
    with pytest.raises(NotFound):
        trash.restore(session, world["admin"], item.id + 1000)


def test_a_restore_that_would_clash_changes_nothing_and_says_why(
        session: Session, world: dict[str, Any]) -> None:
    commitments.delete_commitment(session, world["coordinator"], world["commitment"])
    commitments.create_commitment(session, Principal.system(), CommitmentSpec(
        code="t:1", instrument_code="untoc", summary="A new one with the same code",
        handling="GREEN", owner_unit="tntd-spmu"))
    before = _state(session)
    item = session.scalars(select(trash.TrashItem)).one()
    with pytest.raises(InputError) as raised:
        trash.restore(session, world["admin"], item.id)
    assert "cannot be restored" in str(raised.value)
    assert _state(session) == before
    assert session.get(trash.TrashItem, item.id) is not None  # still in the trash


def test_items_past_the_period_are_purged_and_the_purge_is_audited(
        session: Session, world: dict[str, Any]) -> None:
    commitments.delete_commitment(session, world["coordinator"], world["commitment"])
    assert trash.purge(session, world["admin"], 30, now=utcnow() + timedelta(days=29)) == 0
    assert trash.purge(session, world["admin"], 30, now=utcnow() + timedelta(days=31)) == 1
    assert trash.list_items(session, world["admin"], 30) == []
    [entry] = _audit(session, "purge")
    assert entry.record_id == str(world["commitment"])
    assert "after 30 days" in entry.detail


def test_values_of_every_kind_survive_the_trash() -> None:
    from decimal import Decimal

    values = [date(2026, 1, 2), utcnow(), Decimal("12.50"), b"\x00\xff", "text", 3, None]
    assert [trash._decode(trash._encode(v)) for v in values] == values


def test_a_record_whose_id_was_taken_meanwhile_comes_back_under_a_new_id(
        session: Session, world: dict[str, Any]) -> None:
    programmes.delete_activity(session, world["coordinator"], world["activity"])
    taken = programmes.create_activity(session, Principal.system(), spec(
        "XM-OSCE-NEW", handling="GREEN", owner_unit="tntd-spmu"))
    item = session.scalars(select(trash.TrashItem)).one()
    restored = trash.restore(session, world["admin"], item.id)
    activity = programmes.get_activity(session, world["admin"], int(restored.record_id))
    assert activity.title == "Follow the money"
    assert len(activity.finance) == 4 and activity.results[0].indicators
    assert programmes.get_activity(session, world["admin"], taken.id).title.endswith("NEW")
    links = Base.metadata.tables["tf_commitment_activities"]
    assert list(session.execute(select(links.c.activity_id))) == [(activity.id,)]

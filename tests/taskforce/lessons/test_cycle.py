"""The lessons-learned cycle: the data file, allowed and refused transitions, history."""

from __future__ import annotations

from datetime import date

import pytest

from tests.taskforce.lessons.helpers import activity, principal
from tocsin.errors import InputError, NotFound, PermissionDenied
from tocsin.store.database import Database
from tocsin.taskforce.lessons import records
from tocsin.taskforce.lessons.cycle import load_cycle, parse_cycle
from tocsin.taskforce.lessons.spec import ActionSpec, ObservationSpec, ReviewSpec


def _review(activity_id: int | None = None, **extra: object) -> ReviewSpec:
    fields: dict[str, object] = dict(
        title="Joint financial investigation training", activity_id=activity_id,
        planned="Train 20 investigators on tracing illicit financial flows",
        happened="12 attended; prosecutors were missing",
        why_different="Invitations went only to the police academy",
        next_time="Invite prosecutors and investigators together",
        tool_method="Joint training of investigators and prosecutors", outcome="partly",
        crime_areas=["money_laundering"], stages=["investigation", "prosecution"],
        countries=["AL"])
    fields.update(extra)
    return ReviewSpec.model_validate(fields)


def test_cycle_file_is_valid_and_refuses_unknown_names() -> None:
    cycle = load_cycle()
    assert {t.name for t in cycle.available("submitted")} == {"accept", "reject"}
    with pytest.raises(InputError) as bad:
        parse_cycle({"statuses": {"a": {}}, "transitions": {
            "go": {"from": ["a"], "to": "b", "roles": ["wizard"], "requires": ["luck"]}}})
    text = str(bad.value)
    assert "unknown status 'b'" in text and "wizard" in text and "'luck'" in text


def test_full_cycle_from_review_to_learned(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        analyst = principal(s, "analyst")
        coordinator = principal(s, "coordinator")
        act = activity(s, "A1", crime_areas=("money_laundering",))
        review, lessons = records.submit_review(s, analyst, _review(act.id))
        assert len(lessons) == 1
        lesson = lessons[0]
        assert lesson.status == "submitted" and lesson.activity_id == act.id
        assert "Why the difference: Invitations" in lesson.observation
        assert lesson.crime_areas == ["money_laundering"]
        assert lesson.stages == ["investigation", "prosecution"]
        records.advance(s, coordinator, lesson.id, "accept")
        records.advance(s, analyst, lesson.id, "analyse", analysis="Police-only invitations")
        records.advance(s, analyst, lesson.id, "identify",
                        statement="Invite the whole justice chain to financial training")
        records.advance(s, coordinator, lesson.id, "assign", action=ActionSpec(
            action_body="oceea", description="Update invitation guidance",
            due_on=date(2030, 1, 1)))
        with pytest.raises(InputError, match="still open"):
            records.advance(s, coordinator, lesson.id, "validate")
        records.complete_action(s, coordinator, lesson.actions[0].id, today=date(2029, 6, 1))
        done = records.advance(s, coordinator, lesson.id, "validate", note="checked")
        assert done.status == "learned"
        steps = [(h.transition, h.from_status, h.to_status, h.username) for h in done.history]
        assert steps == [
            ("submit", "", "submitted", "analyst@tntd-spmu"),
            ("accept", "submitted", "accepted", "coordinator@tntd-spmu"),
            ("analyse", "accepted", "analysed", "analyst@tntd-spmu"),
            ("identify", "analysed", "identified", "analyst@tntd-spmu"),
            ("assign", "identified", "action_assigned", "coordinator@tntd-spmu"),
            ("validate", "action_assigned", "learned", "coordinator@tntd-spmu"),
        ]
        assert all(h.at is not None for h in done.history)
        assert review.activity_id == act.id


def test_invalid_transitions_are_refused_with_reasons(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        analyst = principal(s, "analyst")
        lesson = records.submit_review(s, analyst, _review())[1][0]
        with pytest.raises(InputError, match="cannot identify a lesson in status 'submitted'"):
            records.advance(s, analyst, lesson.id, "identify", statement="x")
        with pytest.raises(PermissionDenied, match="may not accept"):
            records.advance(s, analyst, lesson.id, "accept")
        with pytest.raises(InputError, match="give the reason"):
            records.advance(s, principal(s, "coordinator"), lesson.id, "reject")
        with pytest.raises(InputError, match="unknown transition 'fly'"):
            records.advance(s, analyst, lesson.id, "fly")
        assert lesson.status == "submitted" and len(lesson.history) == 1


def test_submission_validates_everything_before_writing(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        analyst = principal(s, "analyst")
        with pytest.raises(InputError) as bad:
            records.submit_review(s, analyst, _review(
                activity_id=99999, outcome="great", crime_areas=["piracy_on_mars"],
                countries=["ZZ"], next_time="", handling="PURPLE"))
        reasons = " | ".join(str(p) for p in bad.value.problems)
        for part in ("review.next_time", "'great'", "piracy_on_mars", "'ZZ'",
                     "no activity with id 99999", "PURPLE"):
            assert part in reasons
        assert records.list_lessons(s, analyst) == []


def test_partner_viewer_does_not_see_amber_lesson_of_another_unit(
        platform_db: Database) -> None:
    with platform_db.transaction() as s:
        analyst = principal(s, "analyst")
        amber = records.submit_observation(s, analyst, ObservationSpec(
            title="Informant handling", observation="Sensitive", outcome="worked",
            handling="AMBER"))
        green = records.submit_observation(s, analyst, ObservationSpec(
            title="Open lesson", observation="Shared", outcome="worked"))
        viewer = principal(s, "partner_viewer", unit="unodc")
        assert [x.id for x in records.list_lessons(s, viewer)] == [green.id]
        with pytest.raises(NotFound):
            records.get_lesson(s, viewer, amber.id)
        assert {x.id for x in records.list_lessons(s, principal(s, "fund_manager", "oceea"))} \
            == {amber.id, green.id}
        with pytest.raises(PermissionDenied):
            records.submit_observation(s, viewer, ObservationSpec(
                title="x", observation="y", outcome="worked"))


def test_pending_lessons_show_age_and_action_body(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        coordinator = principal(s, "coordinator")
        lesson = records.submit_observation(s, coordinator, ObservationSpec(
            title="Asset tracing", observation="Banks answered late", outcome="did_not_work"))
        for step, kw in (("accept", {}), ("analyse", {"analysis": "a"}),
                         ("identify", {"statement": "s"})):
            records.advance(s, coordinator, lesson.id, step, **kw)
        records.advance(s, coordinator, lesson.id, "assign", action=ActionSpec(
            action_body="tntd-spmu", description="d", due_on=date(2000, 1, 1)))
        today = date.today()
        pending = records.pending_lessons(s, coordinator, today=today.replace(year=today.year + 1))
        assert len(pending) == 1
        item = pending[0]
        assert item.action_bodies == ["tntd-spmu"] and item.overdue_actions == 1
        assert item.age_days >= 365

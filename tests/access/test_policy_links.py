"""The read rule holds through links between records.

A GREEN record of one unit links to an AMBER+STRICT record of another unit (the
"hidden" record). An analyst of the first unit must see the GREEN record but
nothing of the hidden one — no title, no id, no count, no different error —
while an analyst of the hidden record's unit sees the link. The hidden record's
title holds a word found nowhere else, so any leak shows up as that word.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import MakeUser, login
from tocsin.access import links, policy
from tocsin.access.handling import HANDLING_CODES
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.errors import InputError, Problem
from tocsin.store.database import Database
from tocsin.taskforce.commitments import records as commitments
from tocsin.taskforce.commitments.records import CommitmentSpec
from tocsin.taskforce.events import records as events
from tocsin.taskforce.events.spec import EventSpec
from tocsin.taskforce.experts import records as experts
from tocsin.taskforce.experts.spec import AssignmentSpec, ExpertSpec
from tocsin.taskforce.lessons import records as lessons
from tocsin.taskforce.lessons.spec import ObservationSpec, ReviewSpec
from tocsin.taskforce.partners import records as partners
from tocsin.taskforce.partners.spec import AgreementSpec, PartnerSpec
from tocsin.taskforce.programmes import records as programmes
from tocsin.taskforce.programmes.spec import ActivitySpec
from tocsin.taskforce.programmes.tables import Activity

SECRET = "zanzibarquill"  # only in the titles and names of the hidden records
VISIBLE_UNIT, HIDDEN_UNIT = "tntd-spmu", "oceea"


# --- the rule itself -------------------------------------------------------------------

@dataclass
class Rec:
    handling: str
    owner_unit_id: int


def test_as_open_as_matches_the_read_rule_for_every_reader() -> None:
    """``as_open_as(linked, record)`` ⇔ every reader of ``record`` may read ``linked``."""
    readers = [Principal(None, "", role, unit) for role in Role for unit in (1, 2, 3, None)]
    for (h1, u1), (h2, u2) in itertools.product(
            itertools.product(HANDLING_CODES, (1, 2)), repeat=2):
        record, linked = Rec(h1, u1), Rec(h2, u2)
        expected = all(policy.may_read(linked, p) for p in readers
                       if policy.may_read(record, p))
        assert links.as_open_as(linked, record) is expected, (h1, u1, h2, u2)


def test_a_red_lesson_may_hold_text_of_an_amber_record_of_any_unit() -> None:
    # every reader of RED is internal, and AMBER is open to every internal role
    assert links.as_open_as(Rec("AMBER", 2), Rec("RED", 1))
    assert not links.as_open_as(Rec("AMBER+STRICT", 2), Rec("RED", 1))
    assert not links.as_open_as(Rec("AMBER", 2), Rec("GREEN", 1))


# --- a world with hidden records -------------------------------------------------------

@dataclass
class World:
    hidden_activity: int
    hidden_partner: int
    hidden_event: int
    visible_activity: int
    lesson: int
    review_lesson: int
    agreement: int
    event: int
    expert: int
    commitment: int
    child: int


def _activity(session: Session, identifier: str, title: str, handling: str, unit: str,
              parent: str | None = None, level: str = "activity") -> int:
    spec = ActivitySpec(identifier=identifier, title=title, reporting_org_ref="XM-OSCE",
                        handling=handling, owner_unit=unit, level=level,  # type: ignore[arg-type]
                        parent_identifier=parent, planned_start=date(2026, 1, 1))
    return programmes.create_activity(session, Principal.system(), spec).id


@pytest.fixture
def world(platform_db: Database) -> World:
    system = Principal.system()
    strict = {"handling": "AMBER+STRICT", "owner_unit": HIDDEN_UNIT}
    green = {"handling": "GREEN", "owner_unit": VISIBLE_UNIT}
    with platform_db.transaction() as session:
        hidden_activity = _activity(session, "XM-OSCE-H-1", f"{SECRET.title()} source work",
                                    "AMBER+STRICT", HIDDEN_UNIT, level="project")
        child = _activity(session, "XM-OSCE-V-2", "Visible child of a hidden project",
                          "GREEN", VISIBLE_UNIT, parent="XM-OSCE-H-1")
        visible_activity = _activity(session, "XM-OSCE-V-1", "Open border workshop", "GREEN",
                                     VISIBLE_UNIT)
        hidden_partner = partners.create_partner(session, system, PartnerSpec(
            name=f"{SECRET.title()} informant network", kind="civil_society", **strict)).id
        hidden_event = events.create_event(session, system, EventSpec(
            title=f"{SECRET.title()} closed meeting", starts_on=date(2026, 3, 1),
            **strict)).id
        lesson = lessons.submit_observation(session, system, ObservationSpec(
            title="Couriers cross at night", observation="Cash moves after dark.",
            outcome="partly", activity_id=hidden_activity, **green)).id
        _, made = lessons.submit_review(session, system, ReviewSpec(
            title="Review of the border course", planned="a course", happened="a course",
            why_different="nothing", next_time="again", outcome="worked",
            activity_id=hidden_activity, **green))
        agreement = partners.create_agreement(session, system, AgreementSpec(
            title="Open memorandum", kind="memorandum_of_understanding",
            parties=[str(hidden_partner), "unodc"], activity_ids=[hidden_activity,
                                                                visible_activity],
            event_ids=[hidden_event], **green)).id
        event = events.create_event(session, system, EventSpec(
            title="Open conference", starts_on=date(2026, 4, 1),
            organizers=[str(hidden_partner), "unodc"], **green)).id
        expert = experts.create_expert(session, system, ExpertSpec(
            name="Open expert", partner=str(hidden_partner), **green)).id
        experts.assign(session, system, expert, AssignmentSpec(
            activity_id=hidden_activity, role=f"{SECRET} adviser",
            starts_on=date(2026, 1, 1), ends_on=date(2026, 2, 1)))
        instrument = "untoc"
        commitment = commitments.create_commitment(session, system, CommitmentSpec(
            code="test:hidden-links", instrument_code=instrument, summary="Open commitment",
            **green)).id
        commitments.link_activities(session, system, commitment, [hidden_activity])
        return World(hidden_activity, hidden_partner, hidden_event, visible_activity, lesson,
                     made[0].id, agreement, event, expert, commitment, child)


def _pages(world: World) -> list[str]:
    return [f"/lessons/{world.lesson}", f"/lessons/{world.review_lesson}",
            f"/partners/agreements/{world.agreement}", "/partners/agreements",
            f"/events/{world.event}", f"/experts/{world.expert}",
            f"/commitments/{world.commitment}", f"/programmes/{world.child}",
            f"/api/v1/lessons/{world.lesson}", "/api/v1/lessons",
            f"/api/v1/partners/agreements/{world.agreement}", "/api/v1/partners/agreements",
            f"/api/v1/events/{world.event}", "/api/v1/events",
            f"/api/v1/experts/{world.expert}", "/api/v1/experts",
            f"/api/v1/commitments/{world.commitment}", f"/api/v1/programmes/{world.child}",
            "/api/v1/programmes"]


def _ids_in(data: Any, key: str) -> set[int]:
    """Every value of ``key`` (an id or a list of ids) anywhere in a JSON document."""
    found: set[int] = set()
    if isinstance(data, dict):
        for k, v in data.items():
            if k == key and isinstance(v, int):
                found.add(v)
            elif k == key and isinstance(v, list):
                found |= {x for x in v if isinstance(x, int)}
            else:
                found |= _ids_in(v, key)
    elif isinstance(data, list):
        for item in data:
            found |= _ids_in(item, key)
    return found


def test_linked_records_the_reader_may_not_read_do_not_show(
        client: TestClient, world: World, make_user: MakeUser) -> None:
    reader, _ = make_user("analyst", unit=VISIBLE_UNIT)
    login(client, reader)
    for path in _pages(world):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert SECRET not in response.text.lower(), f"{path} shows a hidden record"
        assert f"/programmes/{world.hidden_activity}\"" not in response.text, path
        assert f"/partners/{world.hidden_partner}\"" not in response.text, path
        assert f"/events/{world.hidden_event}\"" not in response.text, path
        if path.startswith("/api/"):
            data = response.json()
            for key, hidden in (("activity_id", world.hidden_activity),
                                ("activity_ids", world.hidden_activity),
                                ("parent_id", world.hidden_activity),
                                ("programmes_behind", world.hidden_activity),
                                ("organizer_ids", world.hidden_partner),
                                ("partner_id", world.hidden_partner),
                                ("event_ids", world.hidden_event)):
                assert hidden not in _ids_in(data, key), (path, key)
            assert world.hidden_partner not in {p["id"] for a in _list(data)
                                                for p in a.get("parties", [])}, path
    agreement = client.get(f"/api/v1/partners/agreements/{world.agreement}").json()
    assert agreement["activity_ids"] == [world.visible_activity]  # the readable one stays
    assert [p["name"] for p in agreement["parties"]] != []
    # a filter by a hidden partner answers as for a partner that does not exist
    assert client.get("/api/v1/partners/agreements",
                      params={"partner_id": world.hidden_partner}).json() == []


def _list(data: Any) -> list[dict[str, Any]]:
    return data if isinstance(data, list) else [data] if isinstance(data, dict) else []


def test_the_owning_unit_sees_the_links(client: TestClient, world: World,
                                        make_user: MakeUser) -> None:
    owner, _ = make_user("analyst", unit=HIDDEN_UNIT)
    login(client, owner)
    assert SECRET in client.get(f"/lessons/{world.lesson}").text.lower()
    assert SECRET in client.get(f"/partners/agreements/{world.agreement}").text.lower()
    assert SECRET in client.get(f"/events/{world.event}").text.lower()
    expert = client.get(f"/api/v1/experts/{world.expert}").json()
    assert expert["partner_id"] == world.hidden_partner
    assert [a["activity_id"] for a in expert["assignments"]] == [world.hidden_activity]
    assert client.get(f"/api/v1/lessons/{world.lesson}").json()["activity_id"] == \
        world.hidden_activity
    assert client.get(f"/api/v1/programmes/{world.child}").json()["parent_id"] == \
        world.hidden_activity


def _scrub(text: str, *ids: int) -> str:
    for ident in ids:
        text = re.sub(rf"\b{ident}\b", "N", text)
    return text


def test_linking_to_a_hidden_record_answers_as_for_a_missing_one(
        client: TestClient, world: World, make_user: MakeUser) -> None:
    """Writes cannot probe: a hidden id and an id that exists nowhere give the same 422."""
    writer, _ = make_user("analyst", unit=VISIBLE_UNIT)
    token = login(client, writer)
    missing = 987654
    cases = [
        ("/api/v1/lessons/observations", lambda i: {
            "title": "t", "observation": "o", "outcome": "worked", "activity_id": i}),
        ("/api/v1/partners/agreements", lambda i: {
            "title": "t", "kind": "letter_of_intent", "parties": ["unodc", str(i)]}),
        ("/api/v1/events", lambda i: {
            "title": "t", "starts_on": "2026-05-01", "organizers": [str(i)]}),
        ("/api/v1/experts", lambda i: {"name": "n", "partner": str(i)}),
        (f"/api/v1/commitments/{world.commitment}/assessments", lambda i: {
            "status": "in_progress", "rationale": "r", "evidence_activities": [i]}),
    ]
    for path, body in cases:
        answers = []
        for ident, hidden in ((world.hidden_activity, True), (missing, False)):
            if "organizers" in body(0) or "partner" in body(0) or "parties" in body(0):
                ident = world.hidden_partner if hidden else missing
            response = client.post(path, json=body(ident), headers={"X-CSRF-Token": token})
            answers.append((response.status_code,
                            _scrub(response.text, world.hidden_activity, world.hidden_partner,
                                   missing)))
        assert answers[0] == answers[1], (path, answers)
        assert answers[0][0] == 422, (path, answers)
    # the page of a hidden record is "not found", worded as for a missing one
    hidden = client.get(f"/api/v1/programmes/{world.hidden_activity}")
    absent = client.get(f"/api/v1/programmes/{missing}")
    assert hidden.status_code == absent.status_code == 404
    assert _scrub(hidden.text, world.hidden_activity, missing) == \
        _scrub(absent.text, world.hidden_activity, missing)


def test_editing_a_child_keeps_a_parent_its_editor_cannot_see(
        platform_db: Database, world: World) -> None:
    with platform_db.transaction() as session:
        editor = Principal(user_id=None, username="e", role=Role.ANALYST,
                           unit_id=_unit(session, VISIBLE_UNIT))
        child = programmes.get_activity(session, editor, world.child)
        spec = programmes.to_spec(child, None)  # the form shows no parent
        spec.title = "Visible child, renamed"
        programmes.update_activity(session, editor, child.id, spec)
        assert session.get(Activity, world.child).parent_id == world.hidden_activity  # type: ignore[union-attr]
        assert programmes.ancestors(session, editor, child) == []


def _unit(session: Session, code: str) -> int:
    from tocsin.access.users import unit_by_code

    return unit_by_code(session, code).id


def test_link_target_gives_one_problem_for_missing_and_hidden(
        platform_db: Database, world: World) -> None:
    with platform_db.transaction() as session:
        reader = Principal(user_id=None, username="r", role=Role.ANALYST,
                           unit_id=_unit(session, VISIBLE_UNIT))
        problems: list[Problem] = []
        assert links.link_target(session, Activity, world.hidden_activity, reader, "x",
                                 problems) is None
        assert links.link_target(session, Activity, 10**7, reader, "x", problems) is None
        assert [_scrub(p.reason, world.hidden_activity, 10**7)
                for p in problems] == ["no activity with id N"] * 2
        assert links.linked(session, Activity, world.hidden_activity, reader) is None
        assert links.linked_ids(session, Activity, [world.hidden_activity, world.child,
                                                    None, world.child], reader) == [world.child]
        with pytest.raises(InputError, match="no activity"):
            commitments.link_activities(session, reader, world.commitment,
                                        [world.hidden_activity])

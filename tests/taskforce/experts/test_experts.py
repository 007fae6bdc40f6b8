"""The expert roster: validation, assignments, search by need with explanations."""

from __future__ import annotations

from datetime import date

import pytest

from tests.taskforce.lessons.helpers import activity, principal
from tocsin.errors import InputError, NotFound
from tocsin.store.database import Database
from tocsin.taskforce.experts import records, search
from tocsin.taskforce.experts.spec import (
    AssignmentSpec,
    ExpertiseSpec,
    ExpertSpec,
    Need,
    PeriodSpec,
)

MAY = PeriodSpec(starts_on=date(2030, 5, 1), ends_on=date(2030, 5, 31))


def _roster(s, who):  # type: ignore[no-untyped-def]
    ana = records.create_expert(s, who, ExpertSpec(
        name="Ana Fictional", organization="Fictional FIU", partner="unodc",
        expertise=[ExpertiseSpec(crime_area="money_laundering", stage="investigation",
                                 level="expert")],
        languages=["en", "FR"], availability=[MAY]))
    boris = records.create_expert(s, who, ExpertSpec(
        name="Boris Fictional", expertise=[
            ExpertiseSpec(crime_area="money_laundering", level="working"),
            ExpertiseSpec(stage="prosecution", level="advanced")],
        languages=["ru", "en"], availability=[MAY]))
    carla = records.create_expert(s, who, ExpertSpec(
        name="Carla Fictional", expertise=[ExpertiseSpec(crime_area="cybercrime")],
        languages=["es"]))
    return ana, boris, carla


def test_search_ranks_and_explains(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        who = principal(s, "coordinator")
        ana, boris, carla = _roster(s, who)
        found = search.find_experts(s, who, Need(
            crime_area="money_laundering", stage="investigation", languages=["ru"],
            available_from=date(2030, 5, 10), available_to=date(2030, 5, 12)))
        assert [c.expert.id for c in found] == [ana.id, boris.id]
        top = found[0]
        assert top.matched == ["crime area Money laundering (expert)",
                               "stage Investigation (expert)", "available 2030-05-10 to 2030-05-12"]
        assert top.missing == ["language ru"]
        assert top.score == pytest.approx(7 / 8)
        assert "lacks stage Investigation" in found[1].explanation
        assert carla not in [c.expert for c in found]


def test_assignment_makes_expert_unavailable(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        who = principal(s, "coordinator")
        ana, _, _ = _roster(s, who)
        act = activity(s, "EXP1", title="Mentoring FIU")
        records.assign(s, who, ana.id, AssignmentSpec(
            activity_id=act.id, role="mentor", starts_on=date(2030, 5, 5),
            ends_on=date(2030, 5, 15)))
        with pytest.raises(InputError, match="overlaps assignment"):
            records.assign(s, who, ana.id, AssignmentSpec(
                activity_id=act.id, starts_on=date(2030, 5, 14), ends_on=date(2030, 5, 20)))
        [c] = [c for c in search.find_experts(s, who, Need(
            crime_area="money_laundering", available_from=date(2030, 5, 10),
            available_to=date(2030, 5, 12))) if c.expert.id == ana.id]
        assert any(f"assigned to activity {act.id}" in m for m in c.missing)


def test_input_checked_and_experts_guarded(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        who = principal(s, "coordinator")
        with pytest.raises(InputError) as bad:
            records.create_expert(s, who, ExpertSpec(
                name="", email="nope", languages=["english"], partner="nobody",
                expertise=[ExpertiseSpec(level="guru"), ExpertiseSpec(crime_area="x_y")],
                availability=[PeriodSpec(starts_on=date(2030, 2, 1),
                                         ends_on=date(2030, 1, 1))]))
        text = str(bad.value)
        for part in ("expert.name", "'nope'", "'english'", "'nobody'", "'guru'", "'x_y'",
                     "name a crime area", "ends before"):
            assert part in text
        with pytest.raises(InputError, match="at least one requirement"):
            search.find_experts(s, who, Need())
        ana, _, _ = _roster(s, who)  # AMBER by default
        viewer = principal(s, "partner_viewer", unit="unodc")
        assert records.list_experts(s, viewer) == []
        assert search.find_experts(s, viewer, Need(crime_area="money_laundering")) == []
        with pytest.raises(NotFound):
            records.get_expert(s, viewer, ana.id)

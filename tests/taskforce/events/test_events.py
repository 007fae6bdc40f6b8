"""Events: panels, recommendations, follow-up actions, closure, overdue, calendar."""

from __future__ import annotations

from datetime import date

import pytest

from tests.taskforce.lessons.helpers import principal
from tocsin.errors import InputError, NotFound, PermissionDenied
from tocsin.store.database import Database
from tocsin.taskforce.events import records
from tocsin.taskforce.events.calendar import month_calendar
from tocsin.taskforce.events.spec import EventSpec, FollowUpSpec, PanelSpec, SpeakerSpec


def test_recommendation_closes_when_all_actions_done(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        coordinator = principal(s, "coordinator")
        event = records.create_event(s, coordinator, EventSpec(
            title="Partnership conference", starts_on=date(2030, 3, 10),
            ends_on=date(2030, 3, 11), organizers=["tntd", "unodc"]))
        panel = records.add_panel(s, coordinator, event.id, PanelSpec(title="Illicit finance"))
        records.add_speaker(s, coordinator, panel.id, SpeakerSpec(
            name="Fictional speaker", organization="UNODC", partner="unodc"))
        rec = records.add_recommendation(s, coordinator, panel.id, "Share tracing guides")
        first = records.add_action(s, coordinator, rec.id, FollowUpSpec(
            description="Translate guide", owner="oceea", due_on=date(2030, 4, 1)))
        second = records.add_action(s, coordinator, rec.id, FollowUpSpec(
            description="Hold webinar", owner="tntd-spmu", due_on=date(2030, 5, 1)))
        # the action's owner unit may report on its own action
        oceea = principal(s, "analyst", unit="oceea")
        records.set_action_status(s, oceea, first.id, "done", today=date(2030, 3, 20))
        assert rec.status == "open"
        with pytest.raises(PermissionDenied):
            records.set_action_status(s, oceea, second.id, "done")
        records.set_action_status(s, coordinator, second.id, "done", today=date(2030, 4, 2))
        assert rec.status == "closed" and rec.closed_reason == records.AUTO_CLOSE_REASON
        assert rec.closed_on == date(2030, 4, 2)
        records.set_action_status(s, coordinator, second.id, "in_progress")
        assert rec.status == "open"  # automatic closure undone with the action


def test_explicit_closure_needs_reason_and_overdue_actions(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        coordinator = principal(s, "coordinator")
        event = records.create_event(s, coordinator, EventSpec(
            title="Lessons meeting", kind="meeting", starts_on=date(2030, 1, 15)))
        panel = records.add_panel(s, coordinator, event.id, PanelSpec(title="Tools"))
        rec = records.add_recommendation(s, coordinator, panel.id, "Keep a roster")
        late = records.add_action(s, coordinator, rec.id, FollowUpSpec(
            description="Draft roster", owner="tntd-spmu", due_on=date(2030, 2, 1)))
        rows = records.list_actions(s, coordinator, overdue_only=True, today=date(2030, 2, 2))
        assert [r.action.id for r in rows] == [late.id] and rows[0].overdue
        assert records.list_actions(s, coordinator, overdue_only=True,
                                    today=date(2030, 1, 31)) == []
        with pytest.raises(InputError, match="give the reason"):
            records.close_recommendation(s, coordinator, rec.id, " ")
        records.close_recommendation(s, coordinator, rec.id, "Superseded by the 2031 plan")
        assert rec.status == "closed"
        with pytest.raises(InputError, match="closed"):
            records.add_action(s, coordinator, rec.id, FollowUpSpec(
                description="x", owner="tntd-spmu", due_on=date(2030, 3, 1)))


def test_event_input_is_checked(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        coordinator = principal(s, "coordinator")
        with pytest.raises(InputError) as bad:
            records.create_event(s, coordinator, EventSpec(
                title="", kind="party", starts_on=date(2030, 1, 2), ends_on=date(2030, 1, 1),
                organizers=["nobody"], handling="BLUE"))
        text = str(bad.value)
        for part in ("event.title", "'party'", "ends before", "'nobody'", "BLUE"):
            assert part in text


def test_amber_event_hidden_from_partner_viewer_of_other_unit(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        coordinator = principal(s, "coordinator")
        event = records.create_event(s, coordinator, EventSpec(
            title="Closed meeting", starts_on=date(2030, 1, 1), handling="AMBER"))
        panel = records.add_panel(s, coordinator, event.id, PanelSpec(title="P"))
        rec = records.add_recommendation(s, coordinator, panel.id, "R")
        records.add_action(s, coordinator, rec.id, FollowUpSpec(
            description="A", owner="tntd-spmu", due_on=date(2030, 1, 5)))
        viewer = principal(s, "partner_viewer", unit="unodc")
        assert records.list_events(s, viewer) == []
        assert records.list_actions(s, viewer) == []
        with pytest.raises(NotFound):
            records.get_event(s, viewer, event.id)
        assert month_calendar(s, viewer, 2030, 1).weeks[0][0].events == []


def test_month_calendar_places_events_and_due_dates(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        coordinator = principal(s, "coordinator")
        event = records.create_event(s, coordinator, EventSpec(
            title="Two-day conference", starts_on=date(2030, 4, 29), ends_on=date(2030, 5, 1)))
        panel = records.add_panel(s, coordinator, event.id, PanelSpec(title="P"))
        rec = records.add_recommendation(s, coordinator, panel.id, "R")
        records.add_action(s, coordinator, rec.id, FollowUpSpec(
            description="Report", owner="tntd-spmu", due_on=date(2030, 5, 20)))
        month = month_calendar(s, coordinator, 2030, 5)
        assert month.title == "May 2030" and month.previous == (2030, 4)
        days = {d.day: d for week in month.weeks for d in week}
        assert [e.title for e in days[date(2030, 4, 29)].events] == ["Two-day conference"]
        assert not days[date(2030, 4, 29)].in_month
        assert days[date(2030, 5, 1)].events and not days[date(2030, 5, 2)].events
        assert [r.action.description for r in days[date(2030, 5, 20)].actions] == ["Report"]
        assert all(len(week) == 7 for week in month.weeks)
        assert month.weeks[0][0].day.weekday() == 0

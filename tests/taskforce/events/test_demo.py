"""The fictional-outcome demo content loads once and labels what it invents."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.taskforce.lessons.helpers import principal
from tocsin.access.principal import Principal
from tocsin.settings import Settings
from tocsin.store.database import Database
from tocsin.taskforce.events import demo
from tocsin.taskforce.events import records as events
from tocsin.taskforce.events.tables import Event, FollowUpAction, Recommendation
from tocsin.taskforce.experts.tables import Expert
from tocsin.taskforce.lessons import records as lessons
from tocsin.taskforce.partners import records as partners


def test_demo_loads_once_with_labelled_fictional_outcomes(platform_db: Database,
                                                          settings: Settings) -> None:
    with platform_db.transaction() as s:
        summary = demo.load(s, settings)
        assert "fictional" in summary
    with platform_db.transaction() as s:
        assert demo.load(s, settings) == "co-operation demo already loaded"
        assert s.scalar(select(func.count()).select_from(Event)) == 2
        conference = s.scalars(select(Event).where(Event.title == demo.CONFERENCE)).one()
        assert [p.title.split(" — ")[0] for p in conference.panels] == [
            "Panel 1", "Panel 2", "Panel 3", "Panel 4"]
        assert all(r.text.startswith(demo.FICTIONAL)
                   for r in s.scalars(select(Recommendation)))
        assert all(a.description.startswith(demo.FICTIONAL)
                   for a in s.scalars(select(FollowUpAction)))
        assert all("fictional" in e.name for e in s.scalars(select(Expert)))
        who = principal(s, "coordinator")
        assert len(partners.expiring_agreements(s, who, within_days=90)) == 1
        assert [p.lesson.title for p in lessons.pending_lessons(s, who)] == [
            f"{demo.FICTIONAL} Regional workshop on cryptocurrency tracing"]
        assert {x.status for x in lessons.list_lessons(s, who)} == {
            "learned", "action_assigned", "submitted"}
        assert any(row.overdue for row in events.list_actions(s, Principal.system()))

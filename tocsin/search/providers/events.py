"""Events with their panels, speakers, participants, documents and recommendations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.access.policy import unguarded_select
from tocsin.search.providers.partners import partner_structures
from tocsin.search.registry import (
    INDEXER,
    Provider,
    SearchDoc,
    join_text,
    register,
    shared,
    year_of,
)
from tocsin.taskforce.events.tables import (
    Event,
    EventDocument,
    EventOrganizer,
    EventParticipant,
    Panel,
    Recommendation,
    Speaker,
)
from tocsin.taskforce.partners.tables import Partner


class EventProvider(Provider):
    record_type = "event"
    model = Event

    def document(self, record: Event) -> SearchDoc | None:
        session = Session.object_session(record)
        if session is None:
            return None
        organizers = shared(session.scalars(
            unguarded_select(Partner, why=INDEXER)
            .join(EventOrganizer, EventOrganizer.partner_id == Partner.id)
            .where(EventOrganizer.event_id == record.id).order_by(Partner.name)), record)
        panels = [join_text(
            panel.title, panel.theme,
            *(join_text(s.name, s.organization, s.topic).replace("\n\n", ", ")
              for s in panel.speakers),
            *(r.text for r in panel.recommendations)) for panel in record.panels]
        people = "; ".join(join_text(p.name, p.organization).replace("\n\n", ", ")
                           for p in record.participants)
        return SearchDoc(
            record_type=self.record_type,
            record_id=str(record.id),
            title=record.title,
            body=join_text(f"{record.kind.capitalize()}, {record.location}".rstrip(", "),
                           ", ".join(p.label for p in organizers), record.description,
                           *panels, people, *(d.title for d in record.documents)),
            handling=record.handling,
            owner_unit_id=record.owner_unit_id,
            url=f"/events/{record.id}",
            year=year_of(record.starts_on),
            structures=partner_structures(organizers),
        )


def _event_of(_session: Session, row: Any) -> Iterable[object]:
    return [row.event_id]


def _event_of_panel_child(session: Session, row: Any) -> Iterable[object]:
    return session.scalars(select(Panel.event_id).where(Panel.id == row.panel_id))


def _events_of_partner(session: Session, partner: Partner) -> Iterable[object]:
    return session.scalars(select(EventOrganizer.event_id)
                           .where(EventOrganizer.partner_id == partner.id))


register(EventProvider(affected_by={
    **dict.fromkeys((Panel, EventOrganizer, EventParticipant, EventDocument), _event_of),
    **dict.fromkeys((Speaker, Recommendation), _event_of_panel_child),
    Partner: _events_of_partner,
}))

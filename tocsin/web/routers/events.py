"""Events: conferences and meetings, panels, recommendations, follow-up actions, calendar.

Pages under ``/events`` and JSON under ``/api/v1/events``; both call
:mod:`tocsin.taskforce.events`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from tocsin.i18n import N_
from tocsin.taskforce.events import records
from tocsin.taskforce.events.calendar import month_calendar
from tocsin.taskforce.events.spec import (
    DocumentSpec,
    EventSpec,
    FollowUpSpec,
    PanelSpec,
    ParticipantSpec,
    SpeakerSpec,
)
from tocsin.taskforce.events.tables import (
    ACTION_STATUSES,
    EVENT_KINDS,
    Event,
    FollowUpAction,
)
from tocsin.taskforce.lessons import codes
from tocsin.taskforce.partners.records import list_partners
from tocsin.taskforce.partners.tables import Partner
from tocsin.web.deps import CurrentPrincipal, DbSession, FormRoute
from tocsin.web.templating import NavItem, render

NAV = NavItem(N_("Events"), "/events", order=60)
pages = APIRouter(prefix="/events", include_in_schema=False, route_class=FormRoute)
api = APIRouter(prefix="/events", tags=["events"], route_class=FormRoute)


def _back(event_id: int) -> Response:
    return RedirectResponse(f"/events/{event_id}", status_code=303)


# --- pages --------------------------------------------------------------------------------

@pages.get("", response_class=HTMLResponse)
def event_list(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    return render(request, "events/list.html", events=records.list_events(session, principal),
                  kinds=EVENT_KINDS, partners=list_partners(session, principal),
                  choices=codes.choices(session),
                  overdue=records.list_actions(session, principal, overdue_only=True))


@pages.post("")
def event_create(session: DbSession, principal: CurrentPrincipal, title: str = Form(...),
                 kind: str = Form("conference"), starts_on: str = Form(...),
                 ends_on: str = Form(""), location: str = Form(""),
                 description: str = Form(""), organizers: list[str] = Form([]),
                 handling: str = Form("GREEN"), owner_unit: str = Form("")) -> Response:
    when = codes.days(starts_on=(starts_on, True), ends_on=(ends_on, False))
    event = records.create_event(session, principal, EventSpec.model_validate({
        "title": title, "kind": kind, **when, "location": location,
        "description": description, "organizers": organizers, "handling": handling,
        "owner_unit": owner_unit or None}))
    return _back(event.id)


@pages.get("/actions", response_class=HTMLResponse)
def action_list(request: Request, session: DbSession, principal: CurrentPrincipal,
                overdue: bool = False, status: str | None = None) -> Response:
    return render(request, "events/actions.html", overdue=overdue, status=status or "",
                  statuses=ACTION_STATUSES,
                  rows=records.list_actions(session, principal, overdue_only=overdue,
                                            status=status or None))


@pages.get("/calendar", response_class=HTMLResponse)
def calendar_page(request: Request, session: DbSession, principal: CurrentPrincipal,
                  year: int | None = None, month: int | None = None) -> Response:
    today = date.today()
    year = year or today.year
    month = month if month and 1 <= month <= 12 else today.month
    return render(request, "events/calendar.html", today=today,
                  month=month_calendar(session, principal, year, month, today=today))


@pages.get("/{event_id:int}", response_class=HTMLResponse)
def event_page(event_id: int, request: Request, session: DbSession,
               principal: CurrentPrincipal) -> Response:
    event = records.get_event(session, principal, event_id)
    return render(request, "events/event.html", event=event, today=date.today(),
                  organizers=records.organizers(session, principal, [event])[event.id],
                  choices=codes.choices(session), statuses=ACTION_STATUSES,
                  partners=list_partners(session, principal))


@pages.post("/{event_id:int}/panels")
def panel_add(event_id: int, session: DbSession, principal: CurrentPrincipal,
              title: str = Form(...), theme: str = Form("")) -> Response:
    records.add_panel(session, principal, event_id, PanelSpec(title=title, theme=theme))
    return _back(event_id)


@pages.post("/{event_id:int}/participants")
def participant_add(event_id: int, session: DbSession, principal: CurrentPrincipal,
                    name: str = Form(...), organization: str = Form(""),
                    partner: str = Form("")) -> Response:
    records.add_participant(session, principal, event_id, ParticipantSpec(
        name=name, organization=organization, partner=partner or None))
    return _back(event_id)


@pages.post("/{event_id:int}/documents")
def document_add(event_id: int, session: DbSession, principal: CurrentPrincipal,
                 title: str = Form(...), kind: str = Form("document"),
                 location: str = Form("")) -> Response:
    records.add_document(session, principal, event_id, DocumentSpec(
        title=title, kind=kind, location=location))
    return _back(event_id)


@pages.post("/panels/{panel_id:int}/speakers")
def speaker_add(panel_id: int, session: DbSession, principal: CurrentPrincipal,
                name: str = Form(...), organization: str = Form(""), partner: str = Form(""),
                topic: str = Form("")) -> Response:
    speaker = records.add_speaker(session, principal, panel_id, SpeakerSpec(
        name=name, organization=organization, partner=partner or None, topic=topic))
    return _back(records.event_of_panel(session, principal, speaker.panel_id))


@pages.post("/panels/{panel_id:int}/recommendations")
def recommendation_add(panel_id: int, session: DbSession, principal: CurrentPrincipal,
                       text: str = Form(...)) -> Response:
    records.add_recommendation(session, principal, panel_id, text)
    return _back(records.event_of_panel(session, principal, panel_id))


@pages.post("/recommendations/{recommendation_id:int}/actions")
def action_add(recommendation_id: int, session: DbSession, principal: CurrentPrincipal,
               description: str = Form(...), owner: str = Form(...),
               due_on: str = Form(...)) -> Response:
    due = codes.required_day(due_on, "due_on")
    action = records.add_action(session, principal, recommendation_id, FollowUpSpec(
        description=description, owner=owner, due_on=due))
    return _back(action.recommendation.panel.event_id)


@pages.post("/recommendations/{recommendation_id:int}/close")
def recommendation_close(recommendation_id: int, session: DbSession,
                         principal: CurrentPrincipal, reason: str = Form("")) -> Response:
    rec = records.close_recommendation(session, principal, recommendation_id, reason)
    return _back(rec.panel.event_id)


@pages.post("/actions/{action_id:int}/status")
def action_status(action_id: int, session: DbSession, principal: CurrentPrincipal,
                  status: str = Form(...), back: str = Form("")) -> Response:
    action = records.set_action_status(session, principal, action_id, status)
    if back == "actions":
        return RedirectResponse("/events/actions", status_code=303)
    return _back(action.recommendation.panel.event_id)


# --- JSON API -----------------------------------------------------------------------------

def _action(a: FollowUpAction, today: date) -> dict[str, Any]:
    return {"id": a.id, "description": a.description, "owner": a.owner.code,
            "due_on": a.due_on.isoformat(), "status": a.status, "overdue": a.overdue(today),
            "done_on": a.done_on.isoformat() if a.done_on else None}


def _events(session: DbSession, principal: CurrentPrincipal, found: Sequence[Event],
            full: bool = False) -> list[dict[str, Any]]:
    shown = records.organizers(session, principal, found)
    return [_event(e, shown[e.id], full) for e in found]


def _event(e: Event, organizers: list[Partner], full: bool = False) -> dict[str, Any]:
    """An event as JSON; ``organizers`` are those the reader may see."""
    data: dict[str, Any] = {
        "id": e.id, "title": e.title, "kind": e.kind, "starts_on": e.starts_on.isoformat(),
        "ends_on": e.ends_on.isoformat() if e.ends_on else None, "location": e.location,
        "handling": e.handling, "organizer_ids": [p.id for p in organizers]}
    if full:
        today = date.today()
        data |= {
            "description": e.description,
            "panels": [{"id": p.id, "title": p.title, "theme": p.theme,
                        "speakers": [{"name": s.name, "organization": s.organization,
                                      "topic": s.topic} for s in p.speakers],
                        "recommendations": [
                            {"id": r.id, "text": r.text, "status": r.status,
                             "closed_reason": r.closed_reason,
                             "actions": [_action(a, today) for a in r.actions]}
                            for r in p.recommendations]} for p in e.panels],
            "participants": [{"name": x.name, "organization": x.organization}
                             for x in e.participants],
            "documents": [{"title": d.title, "kind": d.kind, "location": d.location}
                          for d in e.documents]}
    return data


class RecommendationBody(BaseModel):
    text: str


class CloseBody(BaseModel):
    reason: str


class StatusBody(BaseModel):
    status: str


@api.get("")
def api_events(session: DbSession, principal: CurrentPrincipal, year: int | None = None,
               kind: str | None = None) -> list[dict[str, Any]]:
    """Events, newest first."""
    return _events(session, principal, records.list_events(session, principal, year=year,
                                                           kind=kind))


@api.post("", status_code=201)
def api_event_create(spec: EventSpec, session: DbSession,
                     principal: CurrentPrincipal) -> dict[str, Any]:
    """Create an event."""
    return _events(session, principal, [records.create_event(session, principal, spec)],
                   full=True)[0]


@api.get("/actions")
def api_actions(session: DbSession, principal: CurrentPrincipal, overdue: bool = False,
                status: str | None = None, owner: str | None = None) -> list[dict[str, Any]]:
    """Follow-up actions, soonest due first, with their recommendation and event."""
    today = date.today()
    return [{**_action(r.action, today), "recommendation_id": r.recommendation.id,
             "event_id": r.event.id, "event": r.event.title}
            for r in records.list_actions(session, principal, overdue_only=overdue,
                                          status=status, owner=owner, today=today)]


@api.get("/calendar")
def api_calendar(session: DbSession, principal: CurrentPrincipal, year: int,
                 month: int) -> list[dict[str, Any]]:
    """Days of a month with the events running and actions due on each."""
    view = month_calendar(session, principal, year, month)
    return [{"day": d.day.isoformat(), "events": [e.id for e in d.events],
             "actions": [r.action.id for r in d.actions]}
            for week in view.weeks for d in week if d.in_month and (d.events or d.actions)]


@api.get("/{event_id}")
def api_event(event_id: int, session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """One event with panels, speakers, recommendations and actions."""
    return _events(session, principal, [records.get_event(session, principal, event_id)],
                   full=True)[0]


@api.post("/{event_id}/panels", status_code=201)
def api_panel(event_id: int, spec: PanelSpec, session: DbSession,
              principal: CurrentPrincipal) -> dict[str, Any]:
    """Add a panel."""
    panel = records.add_panel(session, principal, event_id, spec)
    return {"id": panel.id, "title": panel.title, "position": panel.position}


@api.post("/panels/{panel_id}/speakers", status_code=201)
def api_speaker(panel_id: int, spec: SpeakerSpec, session: DbSession,
                principal: CurrentPrincipal) -> dict[str, Any]:
    """Add a speaker to a panel."""
    speaker = records.add_speaker(session, principal, panel_id, spec)
    return {"id": speaker.id, "name": speaker.name}


@api.post("/panels/{panel_id}/recommendations", status_code=201)
def api_recommendation(panel_id: int, body: RecommendationBody, session: DbSession,
                       principal: CurrentPrincipal) -> dict[str, Any]:
    """Add a recommendation to a panel."""
    rec = records.add_recommendation(session, principal, panel_id, body.text)
    return {"id": rec.id, "text": rec.text, "status": rec.status}


@api.post("/recommendations/{recommendation_id}/actions", status_code=201)
def api_action_add(recommendation_id: int, spec: FollowUpSpec, session: DbSession,
                   principal: CurrentPrincipal) -> dict[str, Any]:
    """Add a follow-up action to a recommendation."""
    return _action(records.add_action(session, principal, recommendation_id, spec), date.today())


@api.post("/recommendations/{recommendation_id}/close")
def api_close(recommendation_id: int, body: CloseBody, session: DbSession,
              principal: CurrentPrincipal) -> dict[str, Any]:
    """Close a recommendation explicitly, with a reason."""
    rec = records.close_recommendation(session, principal, recommendation_id, body.reason)
    return {"id": rec.id, "status": rec.status, "closed_reason": rec.closed_reason}


@api.post("/actions/{action_id}/status")
def api_action_status(action_id: int, body: StatusBody, session: DbSession,
                      principal: CurrentPrincipal) -> dict[str, Any]:
    """Set a follow-up action open, in progress or done."""
    action = records.set_action_status(session, principal, action_id, body.status)
    rec = action.recommendation
    return {**_action(action, date.today()), "recommendation_status": rec.status}

"""Events and what follows from them: panels, recommendations, follow-up actions.

A recommendation closes by itself when its last open action is done, or
explicitly with a reason. Everything below an event is read and written under
the event's handling code and owning unit; an action's owner unit may also
update its status.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.links import linked, linked_records
from tocsin.access.policy import (
    get_readable,
    list_readable,
    readable,
    readable_rows,
    require_write,
    storable_id,
)
from tocsin.access.principal import Principal
from tocsin.access.roles import Action
from tocsin.errors import InputError, NotFound, Problem
from tocsin.i18n import N_
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
    EventDocument,
    EventOrganizer,
    EventParticipant,
    FollowUpAction,
    Panel,
    Recommendation,
    Speaker,
)
from tocsin.taskforce.lessons import codes
from tocsin.taskforce.partners.records import resolve_partner
from tocsin.taskforce.partners.tables import Partner

AUTO_CLOSE_REASON = "all follow-up actions done"


def _audit(session: Session, principal: Principal, event: Event, detail: str,
           action: str = "update") -> None:
    audit.record(session, principal, action, event.record_type, event.id, event.handling,
                 detail=detail)


def create_event(session: Session, principal: Principal, spec: EventSpec) -> Event:
    problems: list[Problem] = []
    if not spec.title:
        problems.append(Problem("event.title", N_("give a title")))
    if spec.kind not in EVENT_KINDS:
        problems.append(Problem("event.kind", N_("%(value)s is not one of %(known)s",
                                                 value=repr(spec.kind),
                                                 known=", ".join(EVENT_KINDS))))
    if spec.ends_on and spec.ends_on < spec.starts_on:
        problems.append(Problem("event.ends_on", N_("ends before it starts")))
    organizers = [resolve_partner(session, principal, key, f"event.organizers[{i}]", problems)
                  for i, key in enumerate(dict.fromkeys(spec.organizers))]
    handling, bad = codes.check_handling(spec.handling, "event.handling")
    problems += bad
    owner = codes.unit_id(session, spec.owner_unit, principal, "event.owner_unit", problems)
    if problems or owner is None:  # unit_id() names the problem when it finds no unit
        raise InputError(problems)
    require_write(principal, owner)
    event = Event(title=spec.title, kind=spec.kind, starts_on=spec.starts_on,
                  ends_on=spec.ends_on, location=spec.location, description=spec.description,
                  handling=handling, owner_unit_id=owner,
                  organizers=[EventOrganizer(partner_id=p) for p in organizers if p is not None])
    session.add(event)
    session.flush()
    _audit(session, principal, event, "", action="create")
    return event


def get_event(session: Session, principal: Principal, event_id: int) -> Event:
    return get_readable(session, Event, event_id, principal)


def organizers(session: Session, principal: Principal,
               events: Sequence[Event]) -> dict[int, list[Partner]]:
    """The organizers of each event that the principal may read (one query for all)."""
    found = {p.id: p for p in linked_records(
        session, Partner, [o.partner_id for e in events for o in e.organizers], principal)}
    return {e.id: sorted((found[o.partner_id] for o in e.organizers if o.partner_id in found),
                         key=lambda p: p.name) for e in events}


def list_events(session: Session, principal: Principal, *, year: int | None = None,
                kind: str | None = None) -> Sequence[Event]:
    stmt = readable(Event, principal).order_by(Event.starts_on.desc(), Event.id)
    if year is not None:
        stmt = stmt.where(Event.starts_on >= date(year, 1, 1),
                          Event.starts_on <= date(year, 12, 31))
    if kind:
        stmt = stmt.where(Event.kind == kind)
    return list_readable(session, stmt, principal)


def _writable_event(session: Session, principal: Principal, event_id: int) -> Event:
    event = get_event(session, principal, event_id)
    require_write(principal, event.owner_unit_id)
    return event


def _partner_or_none(session: Session, principal: Principal, key: str | None, at: str,
                     problems: list[Problem]) -> int | None:
    return resolve_partner(session, principal, key, at, problems) if key else None


def add_panel(session: Session, principal: Principal, event_id: int, spec: PanelSpec) -> Panel:
    event = _writable_event(session, principal, event_id)
    if not spec.title:
        raise InputError.single("panel.title", N_("give the panel's title"))
    panel = Panel(title=spec.title, theme=spec.theme, position=len(event.panels) + 1)
    event.panels.append(panel)
    session.flush()
    _audit(session, principal, event, f"panel {panel.id} added")
    return panel


def _panel(session: Session, principal: Principal, panel_id: int) -> tuple[Panel, Event]:
    """A panel of an event the principal may read; a hidden one is "not found" too."""
    panel = session.get(Panel, panel_id) if storable_id(panel_id) else None
    event = linked(session, Event, panel.event_id if panel else None, principal)
    if panel is None or event is None:
        raise NotFound.of('panel', panel_id)
    return panel, event


def event_of_panel(session: Session, principal: Principal, panel_id: int) -> int:
    """The id of the event a panel belongs to (the page to go back to)."""
    return _panel(session, principal, panel_id)[1].id


def add_speaker(session: Session, principal: Principal, panel_id: int,
                spec: SpeakerSpec) -> Speaker:
    panel, event = _panel(session, principal, panel_id)
    require_write(principal, event.owner_unit_id)
    problems: list[Problem] = []
    if not spec.name:
        problems.append(Problem("speaker.name", N_("give the speaker's name")))
    partner = _partner_or_none(session, principal, spec.partner, "speaker.partner", problems)
    if problems:
        raise InputError(problems)
    speaker = Speaker(name=spec.name, organization=spec.organization, partner_id=partner,
                      topic=spec.topic)
    panel.speakers.append(speaker)
    session.flush()
    _audit(session, principal, event, f"speaker {speaker.id} added to panel {panel.id}")
    return speaker


def add_participant(session: Session, principal: Principal, event_id: int,
                    spec: ParticipantSpec) -> EventParticipant:
    event = _writable_event(session, principal, event_id)
    problems: list[Problem] = []
    if not spec.name:
        problems.append(Problem("participant.name", N_("give the participant's name")))
    partner = _partner_or_none(session, principal, spec.partner, "participant.partner", problems)
    if problems:
        raise InputError(problems)
    person = EventParticipant(name=spec.name, organization=spec.organization,
                              partner_id=partner)
    event.participants.append(person)
    session.flush()
    _audit(session, principal, event, f"participant {person.id} added")
    return person


def add_document(session: Session, principal: Principal, event_id: int,
                 spec: DocumentSpec) -> EventDocument:
    event = _writable_event(session, principal, event_id)
    if not spec.title:
        raise InputError.single("document.title", N_("give the document's title"))
    document = EventDocument(title=spec.title, kind=spec.kind, location=spec.location)
    event.documents.append(document)
    session.flush()
    _audit(session, principal, event, f"document {document.id} added")
    return document


def add_recommendation(session: Session, principal: Principal, panel_id: int,
                       text: str) -> Recommendation:
    panel, event = _panel(session, principal, panel_id)
    require_write(principal, event.owner_unit_id)
    if not text.strip():
        raise InputError.single("recommendation.text", N_("write the recommendation"))
    recommendation = Recommendation(text=text.strip(), status="open")
    panel.recommendations.append(recommendation)
    session.flush()
    _audit(session, principal, event, f"recommendation {recommendation.id} added")
    return recommendation


def _recommendation(session: Session, principal: Principal,
                    recommendation_id: int) -> tuple[Recommendation, Event]:
    found = (session.get(Recommendation, recommendation_id)
             if storable_id(recommendation_id) else None)
    event = linked(session, Event, found.panel.event_id if found else None, principal)
    if found is None or event is None:
        raise NotFound.of('recommendation', recommendation_id)
    return found, event


def add_action(session: Session, principal: Principal, recommendation_id: int,
               spec: FollowUpSpec) -> FollowUpAction:
    recommendation, event = _recommendation(session, principal, recommendation_id)
    require_write(principal, event.owner_unit_id)
    problems: list[Problem] = []
    if not spec.description:
        problems.append(Problem("action.description", N_("describe the follow-up action")))
    owner = codes.unit_id(session, spec.owner or "-", principal, "action.owner", problems)
    if recommendation.status == "closed":
        problems.append(Problem(f"recommendation {recommendation.id}",
                                N_("is closed; reopen it before adding actions")))
    if problems or owner is None:  # unit_id() names the problem when it finds no unit
        raise InputError(problems)
    action = FollowUpAction(description=spec.description, owner_unit_id=owner,
                            due_on=spec.due_on, status="open")
    recommendation.actions.append(action)
    session.flush()
    _audit(session, principal, event, f"follow-up action {action.id} added")
    return action


def set_action_status(session: Session, principal: Principal, action_id: int, status: str,
                      today: date | None = None) -> FollowUpAction:
    """Set an action open, in progress or done; the last one done closes its recommendation."""
    action = session.get(FollowUpAction, action_id) if storable_id(action_id) else None
    if action is None:
        raise NotFound.of('follow-up action', action_id)
    try:
        recommendation, event = _recommendation(session, principal, action.recommendation_id)
    except NotFound:
        raise NotFound.of('follow-up action', action_id) from None
    # the unit owning the action reports on it, as do the event's owners
    if not (principal.unit_id == action.owner_unit_id and principal.can(Action.WRITE_OWN_UNIT)):
        require_write(principal, event.owner_unit_id)
    if status not in ACTION_STATUSES:
        raise InputError.single("action.status", N_("%(value)s is not one of %(known)s",
                                                    value=repr(status),
                                                    known=", ".join(ACTION_STATUSES)))
    today = today or date.today()
    action.status = status
    action.done_on = today if status == "done" else None
    if status == "done" and all(a.status == "done" for a in recommendation.actions):
        recommendation.status = "closed"
        recommendation.closed_on = today
        recommendation.closed_reason = AUTO_CLOSE_REASON
    elif status != "done" and recommendation.closed_reason == AUTO_CLOSE_REASON:
        recommendation.status, recommendation.closed_on, recommendation.closed_reason = \
            "open", None, ""
    session.flush()
    _audit(session, principal, event, f"follow-up action {action.id} {status}")
    return action


def close_recommendation(session: Session, principal: Principal, recommendation_id: int,
                         reason: str, today: date | None = None) -> Recommendation:
    """Close a recommendation explicitly; the reason is required."""
    recommendation, event = _recommendation(session, principal, recommendation_id)
    require_write(principal, event.owner_unit_id)
    if not reason.strip():
        raise InputError.single(f"recommendation {recommendation.id}.reason",
                                N_("give the reason for closing it"))
    if recommendation.status == "closed":
        raise InputError.single(f"recommendation {recommendation.id}", N_("is already closed"))
    recommendation.status = "closed"
    recommendation.closed_on = today or date.today()
    recommendation.closed_reason = reason.strip()
    session.flush()
    _audit(session, principal, event, f"recommendation {recommendation.id} closed")
    return recommendation


def reopen_recommendation(session: Session, principal: Principal,
                          recommendation_id: int) -> Recommendation:
    recommendation, event = _recommendation(session, principal, recommendation_id)
    require_write(principal, event.owner_unit_id)
    recommendation.status, recommendation.closed_on, recommendation.closed_reason = \
        "open", None, ""
    session.flush()
    _audit(session, principal, event, f"recommendation {recommendation.id} reopened")
    return recommendation


@dataclass(frozen=True)
class ActionRow:
    action: FollowUpAction
    recommendation: Recommendation
    panel: Panel
    event: Event
    overdue: bool


def list_actions(session: Session, principal: Principal, *, status: str | None = None,
                 overdue_only: bool = False, owner: str | None = None,
                 event_id: int | None = None, today: date | None = None) -> list[ActionRow]:
    """Follow-up actions of readable events, soonest due first; overdue ones flagged."""
    today = today or date.today()
    stmt = (readable_rows(Event, principal, FollowUpAction, Recommendation, Panel, Event)
            .select_from(FollowUpAction)
            .join(Recommendation, Recommendation.id == FollowUpAction.recommendation_id)
            .join(Panel, Panel.id == Recommendation.panel_id)
            .join(Event, Event.id == Panel.event_id)
            .order_by(FollowUpAction.due_on, FollowUpAction.id))
    if event_id is not None:
        stmt = stmt.where(Event.id == event_id)
    if status:
        stmt = stmt.where(FollowUpAction.status == status)
    if overdue_only:
        stmt = stmt.where(FollowUpAction.status != "done", FollowUpAction.due_on < today)
    rows = [ActionRow(a, r, p, e, a.overdue(today)) for a, r, p, e in session.execute(stmt)]
    if owner:
        rows = [row for row in rows if row.action.owner.code == owner]
    audit.record_reads(session, principal, list({row.event.id: row.event for row in rows}.values()))
    return rows

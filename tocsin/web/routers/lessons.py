"""Lessons learned: after-action reviews, the cycle, pending lessons, lessons to design.

Pages under ``/lessons`` and JSON under ``/api/v1/lessons``; both call
:mod:`tocsin.taskforce.lessons`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from tocsin.access.policy import list_readable, readable
from tocsin.i18n import N_
from tocsin.taskforce.lessons import codes, design, records
from tocsin.taskforce.lessons.cycle import load_cycle
from tocsin.taskforce.lessons.spec import ActionSpec, DesignDraft, ObservationSpec, ReviewSpec
from tocsin.taskforce.lessons.tables import OUTCOMES, Lesson, RemedialAction
from tocsin.taskforce.programmes.tables import Activity
from tocsin.types.base import is_digits
from tocsin.web.deps import CurrentPrincipal, DbSession, FormRoute
from tocsin.web.templating import NavItem, render

NAV = NavItem(N_("Lessons"), "/lessons", order=40)
pages = APIRouter(prefix="/lessons", include_in_schema=False, route_class=FormRoute)
api = APIRouter(prefix="/lessons", tags=["lessons"], route_class=FormRoute)


def _split(values: list[str]) -> list[str]:
    """Form values, also accepting comma-separated codes in one field."""
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


def _activities(session: DbSession, principal: CurrentPrincipal,
                pipeline_only: bool = False) -> list[Activity]:
    stmt = readable(Activity, principal).order_by(Activity.identifier)
    if pipeline_only:
        stmt = stmt.where(Activity.status == design.PIPELINE)
    return list(list_readable(session, stmt, principal))


# --- pages --------------------------------------------------------------------------------

@pages.get("", response_class=HTMLResponse)
def lesson_list(request: Request, session: DbSession, principal: CurrentPrincipal,
                status: str | None = None, crime_area: str | None = None) -> Response:
    return render(request, "lessons/list.html",
                  lessons=records.list_lessons(session, principal, status=status or None,
                                               crime_area=crime_area or None),
                  cycle=load_cycle(), status=status or "", crime_area=crime_area or "",
                  choices=codes.choices(session))


@pages.get("/new", response_class=HTMLResponse)
def review_form(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    return render(request, "lessons/review_form.html", choices=codes.choices(session),
                  outcomes=OUTCOMES, activities=_activities(session, principal))


@pages.post("/new")
def review_submit(
    session: DbSession, principal: CurrentPrincipal,
    title: str = Form(...), planned: str = Form(...), happened: str = Form(...),
    why_different: str = Form(...), next_time: str = Form(...), outcome: str = Form(...),
    tool_method: str = Form(""), activity_id: str = Form(""), held_on: str = Form(""),
    crime_areas: list[str] = Form([]), stages: list[str] = Form([]),
    countries: list[str] = Form([]), handling: str = Form("GREEN"),
    owner_unit: str = Form(""),
) -> Response:
    spec = ReviewSpec(
        title=title, planned=planned, happened=happened, why_different=why_different,
        next_time=next_time, outcome=outcome, tool_method=tool_method,
        activity_id=codes.record_id(activity_id, "activity_id"),
        held_on=codes.day(held_on, "review.held_on"),
        crime_areas=_split(crime_areas), stages=_split(stages),
        countries=[c.upper() for c in _split(countries)], handling=handling,
        owner_unit=owner_unit or None)
    _, made = records.submit_review(session, principal, spec)
    return RedirectResponse(f"/lessons/{made[0].id}", status_code=303)


@pages.get("/pending", response_class=HTMLResponse)
def pending_page(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    return render(request, "lessons/pending.html",
                  pending=records.pending_lessons(session, principal), cycle=load_cycle())


@pages.get("/design", response_class=HTMLResponse)
def design_page(request: Request, session: DbSession, principal: CurrentPrincipal,
                activity_id: str = "", title: str = "", description: str = "",
                crime_areas: list[str] = Query([]), stages: list[str] = Query([]),
                countries: str = "") -> Response:
    activity = None
    if is_digits(activity_id.strip()):
        activity = int(activity_id)
        draft = design.draft_from_activity(session, principal, activity)
    else:
        draft = DesignDraft(title=title, description=description,
                            crime_areas=_split(crime_areas), stages=_split(stages),
                            countries=[c.upper() for c in _split([countries])])
    asked = bool(activity or draft.title or draft.crime_areas or draft.stages)
    matches = (design.lessons_for_design(session, principal, draft, activity_id=activity)
               if asked else [])
    return render(request, "lessons/design.html", draft=draft, activity_id=activity,
                  matches=matches, asked=asked, choices=codes.choices(session),
                  activities=_activities(session, principal, pipeline_only=True))


@pages.post("/{lesson_id:int}/acknowledge")
def acknowledge_page(lesson_id: int, session: DbSession, principal: CurrentPrincipal,
                     activity_id: str = Form(""), draft_title: str = Form(""),
                     note: str = Form(""), back: str = Form("/lessons/design")) -> Response:
    design.acknowledge(session, principal, lesson_id,
                       activity_id=codes.record_id(activity_id, "activity_id"),
                       draft_title=draft_title, note=note)
    target = back if back.startswith("/lessons/") else "/lessons/design"
    return RedirectResponse(target, status_code=303)


@pages.get("/{lesson_id:int}", response_class=HTMLResponse)
def lesson_page(lesson_id: int, request: Request, session: DbSession,
                principal: CurrentPrincipal) -> Response:
    lesson = records.get_lesson(session, principal, lesson_id)
    cycle = load_cycle()
    links = records.linked_records(session, principal, lesson)
    return render(request, "lessons/lesson.html", lesson=lesson, cycle=cycle,
                  review=links.review, activity=links.activity,
                  transitions=cycle.available(lesson.status, principal.role),
                  acknowledgements=design.acknowledgements(session, principal,
                                                           lesson_id=lesson.id),
                  names={"crime area": codes.names(session, "crime area", lesson.crime_areas),
                         "stage": codes.names(session, "stage", lesson.stages)},
                  choices=codes.choices(session), today=date.today())


@pages.post("/{lesson_id:int}/advance")
def advance_page(lesson_id: int, session: DbSession, principal: CurrentPrincipal,
                 transition: str = Form(...), note: str = Form(""), analysis: str = Form(""),
                 statement: str = Form(""), action_body: str = Form(""),
                 action: str = Form(""), due_on: str = Form("")) -> Response:
    due = codes.day(due_on, f"lesson {lesson_id}: assign.due_on")
    remedial = (ActionSpec(action_body=action_body, description=action, due_on=due)
                if due else None)
    records.advance(session, principal, lesson_id, transition, note=note, analysis=analysis,
                    statement=statement, action=remedial)
    return RedirectResponse(f"/lessons/{lesson_id}", status_code=303)


@pages.post("/actions/{action_id:int}/done")
def action_done_page(action_id: int, session: DbSession,
                     principal: CurrentPrincipal) -> Response:
    action = records.complete_action(session, principal, action_id)
    return RedirectResponse(f"/lessons/{action.lesson_id}", status_code=303)


# --- JSON API -----------------------------------------------------------------------------

def _lessons(session: DbSession, principal: CurrentPrincipal, found: Sequence[Lesson],
             full: bool = False) -> list[dict[str, Any]]:
    links = records.link_ids(session, principal, found)
    return [_lesson(x, links[x.id], full) for x in found]


def _lesson(x: Lesson, links: dict[str, int | None], full: bool = False) -> dict[str, Any]:
    """A lesson as JSON; ``links`` holds the linked ids the reader may see (else null)."""
    data: dict[str, Any] = {
        "id": x.id, "title": x.title, "status": x.status, "outcome": x.outcome,
        "tool_method": x.tool_method, **links,
        "crime_areas": x.crime_areas, "stages": x.stages, "countries": x.countries,
        "handling": x.handling, "owner_unit_id": x.owner_unit_id,
        "submitted_by": x.submitted_by}
    if full:
        data |= {"observation": x.observation, "analysis": x.analysis,
                 "statement": x.statement,
                 "history": [{"transition": h.transition, "from": h.from_status,
                              "to": h.to_status, "username": h.username, "role": h.role,
                              "note": h.note, "at": h.at.isoformat()} for h in x.history],
                 "actions": [_action(a) for a in x.actions]}
    return data


def _action(a: RemedialAction) -> dict[str, Any]:
    return {"id": a.id, "action_body": a.action_body.code, "description": a.description,
            "due_on": a.due_on.isoformat(), "status": a.status,
            "done_on": a.done_on.isoformat() if a.done_on else None}


class TransitionBody(BaseModel):
    transition: str
    note: str = ""
    analysis: str = ""
    statement: str = ""
    action: ActionSpec | None = None


class AcknowledgeBody(BaseModel):
    activity_id: int | None = None
    draft_title: str = ""
    note: str = ""


@api.get("")
def api_list(session: DbSession, principal: CurrentPrincipal, status: str | None = None,
             crime_area: str | None = None, stage: str | None = None,
             activity_id: int | None = None) -> list[dict[str, Any]]:
    """Lessons and observations the caller may read, newest first."""
    return _lessons(session, principal, records.list_lessons(
        session, principal, status=status, crime_area=crime_area, stage=stage,
        activity_id=activity_id))


@api.get("/cycle")
def api_cycle(_p: CurrentPrincipal) -> dict[str, Any]:
    """The lessons-learned cycle: statuses and transitions with the roles allowed."""
    cycle = load_cycle()
    return {"statuses": {c: {"label": s.label, "final": s.final}
                         for c, s in cycle.statuses.items()},
            "transitions": {n: {"from": list(t.sources), "to": t.target,
                                "roles": sorted(r.value for r in t.roles),
                                "requires": sorted(t.requires)}
                            for n, t in cycle.transitions.items()}}


@api.get("/pending")
def api_pending(session: DbSession, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """Lessons identified that never reached learned, with age and action bodies."""
    pending = records.pending_lessons(session, principal)
    shown = _lessons(session, principal, [p.lesson for p in pending])
    return [{**data, "identified_on": p.identified_on.isoformat(),
             "age_days": p.age_days, "action_bodies": p.action_bodies,
             "overdue_actions": p.overdue_actions} for p, data in zip(pending, shown, strict=True)]


@api.post("/reviews", status_code=201)
def api_review(spec: ReviewSpec, session: DbSession,
               principal: CurrentPrincipal) -> dict[str, Any]:
    """Submit an after-action review; returns it with the observations it created."""
    review, made = records.submit_review(session, principal, spec)
    return {"review_id": review.id, "observations": _lessons(session, principal, made)}


@api.post("/observations", status_code=201)
def api_observation(spec: ObservationSpec, session: DbSession,
                    principal: CurrentPrincipal) -> dict[str, Any]:
    """Submit one observation."""
    return _lessons(session, principal, [records.submit_observation(session, principal, spec)],
                    full=True)[0]


@api.post("/design")
def api_design(draft: DesignDraft, session: DbSession, principal: CurrentPrincipal,
               activity_id: int | None = None) -> list[dict[str, Any]]:
    """Lessons that apply to a draft (or, with ``activity_id``, to an activity in pipeline)."""
    if activity_id is not None:
        draft = design.draft_from_activity(session, principal, activity_id)
    matches = design.lessons_for_design(session, principal, draft, activity_id=activity_id)
    shown = _lessons(session, principal, [m.lesson for m in matches])
    return [{"lesson": data, "score": m.score, "explanation": m.explanation,
             "text_similarity": m.text_similarity, "shared_crime_areas": m.shared_crime_areas,
             "shared_stages": m.shared_stages, "shared_countries": m.shared_countries,
             "acknowledged_by": m.acknowledged.username if m.acknowledged else None}
            for m, data in zip(matches, shown, strict=True)]


@api.get("/{lesson_id}")
def api_get(lesson_id: int, session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """One lesson with its history and remedial actions."""
    return _lessons(session, principal, [records.get_lesson(session, principal, lesson_id)],
                    full=True)[0]


@api.post("/{lesson_id}/transitions")
def api_advance(lesson_id: int, body: TransitionBody, session: DbSession,
                principal: CurrentPrincipal) -> dict[str, Any]:
    """Make one transition of the cycle (refused with 403/422 and a reason when not allowed)."""
    lesson = records.advance(session, principal, lesson_id, body.transition, note=body.note,
                             analysis=body.analysis, statement=body.statement,
                             action=body.action)
    return _lessons(session, principal, [lesson], full=True)[0]


@api.post("/{lesson_id}/acknowledgements", status_code=201)
def api_acknowledge(lesson_id: int, body: AcknowledgeBody, session: DbSession,
                    principal: CurrentPrincipal) -> dict[str, Any]:
    """Record that the drafter read a lesson while designing an activity or a draft."""
    ack = design.acknowledge(session, principal, lesson_id, activity_id=body.activity_id,
                             draft_title=body.draft_title, note=body.note)
    return {"id": ack.id, "lesson_id": ack.lesson_id, "activity_id": ack.activity_id,
            "username": ack.username, "at": ack.at.isoformat(), "note": ack.note}


@api.post("/actions/{action_id}/done")
def api_action_done(action_id: int, session: DbSession,
                    principal: CurrentPrincipal) -> dict[str, Any]:
    """Mark a remedial action done."""
    return _action(records.complete_action(session, principal, action_id))

"""Experts: the roster, assignments to activities and search by need.

Pages under ``/experts`` and JSON under ``/api/v1/experts``; both call
:mod:`tocsin.taskforce.experts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tocsin.i18n import N_
from tocsin.taskforce.experts import records, search
from tocsin.taskforce.experts.spec import (
    AssignmentSpec,
    ExpertiseSpec,
    ExpertSpec,
    Need,
    PeriodSpec,
)
from tocsin.taskforce.experts.tables import LEVELS, Expert
from tocsin.taskforce.lessons import codes
from tocsin.taskforce.programmes.records import list_activities
from tocsin.web.deps import CurrentPrincipal, DbSession, FormRoute
from tocsin.web.templating import NavItem, render

NAV = NavItem(N_("Experts"), "/experts", order=65)
pages = APIRouter(prefix="/experts", include_in_schema=False, route_class=FormRoute)
api = APIRouter(prefix="/experts", tags=["experts"], route_class=FormRoute)


def _languages(values: list[str]) -> list[str]:
    return [part.strip() for v in values for part in v.replace(";", ",").split(",")
            if part.strip()]


def _need(crime_area: str, stage: str, language: list[str], available_from: str,
          available_to: str) -> Need:
    return Need(crime_area=crime_area or None, stage=stage or None,
                languages=_languages(language),
                available_from=codes.day(available_from, "need.available_from"),
                available_to=codes.day(available_to, "need.available_to"))


# --- pages --------------------------------------------------------------------------------

@pages.get("", response_class=HTMLResponse)
def roster(request: Request, session: DbSession, principal: CurrentPrincipal,
           crime_area: str = "", stage: str = "", language: list[str] = Query([]),
           available_from: str = "", available_to: str = "") -> Response:
    asked = bool(crime_area or stage or any(language) or available_from or available_to)
    need = _need(crime_area, stage, language, available_from, available_to)
    return render(request, "experts/list.html", need=need, asked=asked,
                  candidates=search.find_experts(session, principal, need) if asked else [],
                  experts=records.list_experts(session, principal),
                  choices=codes.choices(session), levels=LEVELS)


@pages.post("")
def expert_create(session: DbSession, principal: CurrentPrincipal, name: str = Form(...),
                  organization: str = Form(""), email: str = Form(""), phone: str = Form(""),
                  crime_area: str = Form(""), stage: str = Form(""),
                  level: str = Form("advanced"), languages: str = Form(""),
                  available_from: str = Form(""), available_to: str = Form(""),
                  handling: str = Form("AMBER"), owner_unit: str = Form("")) -> Response:
    start = codes.day(available_from, "expert.available_from")
    end = codes.day(available_to, "expert.available_to")
    expert = records.create_expert(session, principal, ExpertSpec(
        name=name, organization=organization, email=email, phone=phone,
        expertise=[ExpertiseSpec(crime_area=crime_area or None, stage=stage or None,
                                 level=level)] if crime_area or stage else [],
        languages=_languages([languages]),
        availability=[PeriodSpec(starts_on=start, ends_on=end)] if start and end else [],
        handling=handling, owner_unit=owner_unit or None))
    return RedirectResponse(f"/experts/{expert.id}", status_code=303)


@pages.get("/{expert_id:int}", response_class=HTMLResponse)
def expert_page(expert_id: int, request: Request, session: DbSession,
                principal: CurrentPrincipal) -> Response:
    expert = records.get_expert(session, principal, expert_id)
    activities = list_activities(session, principal)
    return render(request, "experts/expert.html", expert=expert, activities=activities,
                  links=records.expert_links(session, principal, [expert])[expert.id],
                  names={"crime area": codes.names(session, "crime area", [
                      e.crime_area_code for e in expert.expertise if e.crime_area_code]),
                         "stage": codes.names(session, "stage", [
                      e.stage_code for e in expert.expertise if e.stage_code])})


@pages.post("/{expert_id:int}/assignments")
def assignment_add(expert_id: int, session: DbSession, principal: CurrentPrincipal,
                   activity_id: int = Form(...), role: str = Form(""),
                   starts_on: str = Form(...), ends_on: str = Form(...)) -> Response:
    when = codes.days(starts_on=(starts_on, True), ends_on=(ends_on, True))
    records.assign(session, principal, expert_id, AssignmentSpec.model_validate(
        {"activity_id": activity_id, "role": role, **when}))
    return RedirectResponse(f"/experts/{expert_id}", status_code=303)


@pages.post("/{expert_id:int}/availability")
def availability_add(expert_id: int, session: DbSession, principal: CurrentPrincipal,
                     starts_on: str = Form(...), ends_on: str = Form(...)) -> Response:
    when = codes.days(starts_on=(starts_on, True), ends_on=(ends_on, True))
    records.add_availability(session, principal, expert_id, PeriodSpec.model_validate(when))
    return RedirectResponse(f"/experts/{expert_id}", status_code=303)


# --- JSON API -----------------------------------------------------------------------------

def _experts(session: DbSession, principal: CurrentPrincipal,
             found: Sequence[Expert]) -> list[dict[str, Any]]:
    links = records.expert_links(session, principal, found)
    return [_expert(x, links[x.id]) for x in found]


def _expert(x: Expert, links: records.ExpertLinks) -> dict[str, Any]:
    """An expert as JSON, with only the partner and assignments the reader may see."""
    return {"id": x.id, "name": x.name, "organization": x.organization,
            "partner_id": links.partner.id if links.partner else None,
            "email": x.email, "phone": x.phone,
            "handling": x.handling, "languages": x.language_codes,
            "expertise": [{"crime_area": e.crime_area_code, "stage": e.stage_code,
                           "level": e.level_name} for e in x.expertise],
            "availability": [{"starts_on": p.starts_on.isoformat(),
                              "ends_on": p.ends_on.isoformat()} for p in x.availability],
            "assignments": [{"activity_id": a.activity_id, "role": a.role,
                             "starts_on": a.starts_on.isoformat(),
                             "ends_on": a.ends_on.isoformat()} for a, _ in links.assignments]}


@api.get("")
def api_experts(session: DbSession, principal: CurrentPrincipal,
                q: str | None = None) -> list[dict[str, Any]]:
    """The roster of experts the caller may read."""
    return _experts(session, principal, records.list_experts(session, principal, query=q))


@api.post("", status_code=201)
def api_expert_create(spec: ExpertSpec, session: DbSession,
                      principal: CurrentPrincipal) -> dict[str, Any]:
    """Add an expert with expertise, languages and availability."""
    return _experts(session, principal, [records.create_expert(session, principal, spec)])[0]


@api.get("/find")
def api_find(session: DbSession, principal: CurrentPrincipal, crime_area: str = "",
             stage: str = "", language: list[str] = Query([]), available_from: str = "",
             available_to: str = "") -> list[dict[str, Any]]:
    """Experts for a need, ranked; each says which requirements it meets and lacks."""
    need = _need(crime_area, stage, language, available_from, available_to)
    found = search.find_experts(session, principal, need)
    shown = _experts(session, principal, [c.expert for c in found])
    return [{"expert": data, "score": c.score, "matched": c.matched,
             "missing": c.missing, "explanation": c.explanation}
            for c, data in zip(found, shown, strict=True)]


@api.get("/{expert_id}")
def api_expert(expert_id: int, session: DbSession,
               principal: CurrentPrincipal) -> dict[str, Any]:
    """One expert."""
    return _experts(session, principal, [records.get_expert(session, principal, expert_id)])[0]


@api.post("/{expert_id}/assignments", status_code=201)
def api_assign(expert_id: int, spec: AssignmentSpec, session: DbSession,
               principal: CurrentPrincipal) -> dict[str, Any]:
    """Assign an expert to an activity for a period (refused if it clashes)."""
    records.assign(session, principal, expert_id, spec)
    return _experts(session, principal, [records.get_expert(session, principal, expert_id)])[0]

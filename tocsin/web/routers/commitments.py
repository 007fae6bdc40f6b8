"""Commitments: pages under ``/commitments`` (list, the "no programme behind" view,
detail with assessments) and JSON under ``/api/v1/commitments``. Both call
:mod:`tocsin.taskforce.commitments`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from tocsin.access.policy import may_write
from tocsin.access.principal import Principal
from tocsin.i18n import N_
from tocsin.taskforce.commitments import gaps, records
from tocsin.taskforce.commitments.records import (
    CommitmentSpec,
)
from tocsin.taskforce.commitments.tables import Commitment
from tocsin.taskforce.lessons import codes
from tocsin.taskforce.programmes import records as programmes
from tocsin.web.deps import CurrentPrincipal, DbSession, FormRoute
from tocsin.web.templating import NavItem, render

NAV = NavItem(N_("Commitments"), "/commitments", order=25)
pages = APIRouter(prefix="/commitments", include_in_schema=False, route_class=FormRoute)
api = APIRouter(prefix="/commitments", tags=["commitments"], route_class=FormRoute)


_names = records.labels


def _codes(values: list[str]) -> list[str]:
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


# --- pages --------------------------------------------------------------------------------

@pages.get("", response_class=HTMLResponse)
def commitment_list(request: Request, session: DbSession, principal: CurrentPrincipal,
                    instrument: str | None = None, crime_area: str | None = None,
                    status: str | None = None, q: str | None = None) -> Response:
    found = records.list_commitments(session, principal, instrument=instrument or None,
                                     crime_area=crime_area or None, status=status or None,
                                     text=q or None)
    behind = gaps.programmes_behind(session, principal, [c.id for c in found])
    return render(request, "commitments/list.html", commitments=found, behind=behind,
                  names=_names(session), links=records.links(session, [c.id for c in found]),
                  filters={"instrument": instrument or "", "crime_area": crime_area or "",
                           "status": status or "", "q": q or ""})


@pages.get("/gaps", response_class=HTMLResponse)
def gap_page(request: Request, session: DbSession, principal: CurrentPrincipal,
             by: str = "instrument") -> Response:
    grouping = gaps.gaps_by_crime_area if by == "crime_area" else gaps.gaps_by_instrument
    return render(request, "commitments/gaps.html", groups=grouping(session, principal),
                  by="crime_area" if by == "crime_area" else "instrument",
                  names=_names(session))


@pages.get("/new", response_class=HTMLResponse)
def commitment_new(request: Request, session: DbSession, _p: CurrentPrincipal) -> Response:
    return render(request, "commitments/form.html", names=_names(session))


@pages.post("")
def commitment_create(session: DbSession, principal: CurrentPrincipal,
                      code: Annotated[str, Form()], instrument_code: Annotated[str, Form()],
                      summary: Annotated[str, Form()],
                      provision_key: Annotated[str, Form()] = "",
                      paragraph: Annotated[str, Form()] = "",
                      priority: Annotated[int, Form()] = 2,
                      deadline: Annotated[str, Form()] = "",
                      crime_areas: list[str] = Form([]), stages: list[str] = Form([]),
                      structures: list[str] = Form([]),
                      handling: Annotated[str, Form()] = "GREEN",
                      owner_unit: Annotated[str, Form()] = "") -> Response:
    due = codes.day(deadline, "deadline")
    commitment = records.create_commitment(session, principal, CommitmentSpec(
        code=code.strip(), instrument_code=instrument_code, summary=summary,
        provision_key=provision_key.strip() or None, paragraph=paragraph, priority=priority,
        deadline=due, crime_areas=_codes(crime_areas), stages=_codes(stages),
        structures=_codes(structures), handling=handling, owner_unit=owner_unit or None))
    return RedirectResponse(f"/commitments/{commitment.id}", status_code=303)


@pages.get("/{commitment_id:int}", response_class=HTMLResponse)
def commitment_page(commitment_id: int, request: Request, session: DbSession,
                    principal: CurrentPrincipal) -> Response:
    commitment = records.get_commitment(session, principal, commitment_id)
    found = records.links(session, [commitment.id])[commitment.id]
    visible = programmes.list_activities(session, principal, ids=found.activity_ids)
    behind = gaps.programmes_behind(session, principal, [commitment.id])[commitment.id]
    tops = programmes.list_activities(session, principal, ids=behind) if behind else []
    history = records.history(session, principal, commitment.id)
    cited = sorted({a for v in history for a in v.activity_ids})
    titles = {a.id: a.title for a in (programmes.list_activities(session, principal, ids=cited)
                                      if cited else [])}
    return render(request, "commitments/detail.html", commitment=commitment, links=found,
                  activities=visible, programmes=tops, titles=titles,
                  history=history,
                  names=_names(session), can_write=may_write(principal,
                                                            commitment.owner_unit_id))


@pages.post("/{commitment_id:int}/assess")
def commitment_assess(commitment_id: int, session: DbSession, principal: CurrentPrincipal,
                      status: Annotated[str, Form()], rationale: Annotated[str, Form()],
                      evidence: Annotated[str, Form()] = "",
                      documents: Annotated[str, Form()] = "") -> Response:
    records.assess(session, principal, commitment_id, status, rationale,
                   evidence_activities=records.activity_ids(session, principal, evidence,
                                                            "evidence"),
                   evidence_documents=codes.record_ids(documents, "documents"))
    return RedirectResponse(f"/commitments/{commitment_id}#history", status_code=303)


@pages.post("/{commitment_id:int}/activities")
def commitment_link(commitment_id: int, session: DbSession, principal: CurrentPrincipal,
                    activities: Annotated[str, Form()] = "") -> Response:
    records.link_activities(session, principal, commitment_id,
                            records.activity_ids(session, principal, activities, "activities"))
    return RedirectResponse(f"/commitments/{commitment_id}", status_code=303)


@pages.post("/{commitment_id:int}/delete")
def commitment_delete(commitment_id: int, session: DbSession,
                      principal: CurrentPrincipal) -> Response:
    records.delete_commitment(session, principal, commitment_id)
    return RedirectResponse("/commitments", status_code=303)


# --- JSON API -----------------------------------------------------------------------------

class AssessmentBody(BaseModel):
    status: str
    rationale: str
    evidence_activities: list[int] = Field(default_factory=list)
    evidence_documents: list[int] = Field(default_factory=list)


class LinkBody(BaseModel):
    activity_ids: list[int]


def _json(session: Session, c: Commitment) -> dict[str, Any]:
    found = records.links(session, [c.id])[c.id]
    return {"id": c.id, "code": c.code, "instrument_code": c.instrument_code,
            "provision_key": c.provision_key, "paragraph": c.paragraph, "summary": c.summary,
            "priority": c.priority, "deadline": c.deadline.isoformat() if c.deadline else None,
            "status": c.status, "illustrative": c.illustrative, "handling": c.handling,
            "crime_areas": found.crime_areas, "stages": found.stages,
            "structures": found.structures}


def _with_activities(session: Session, principal: Principal, c: Commitment) -> dict[str, Any]:
    found = records.links(session, [c.id])[c.id]
    visible = programmes.list_activities(session, principal, ids=found.activity_ids)
    return {**_json(session, c), "activity_ids": [a.id for a in visible],
            "programmes_behind": gaps.programmes_behind(session, principal, [c.id])[c.id]}


@api.get("")
def api_list(session: DbSession, principal: CurrentPrincipal, instrument: str | None = None,
             crime_area: str | None = None, stage: str | None = None,
             status: str | None = None, q: str | None = None) -> list[dict[str, Any]]:
    return [_json(session, c) for c in records.list_commitments(
        session, principal, instrument=instrument, crime_area=crime_area, stage=stage,
        status=status, text=q)]


@api.get("/gaps")
def api_gaps(session: DbSession, principal: CurrentPrincipal, by: str = "instrument",
             instrument: str | None = None, crime_area: str | None = None
             ) -> list[dict[str, Any]]:
    grouping = gaps.gaps_by_crime_area if by == "crime_area" else gaps.gaps_by_instrument
    return [{"key": g.key, "total": g.total, "covered": g.covered,
             "without_programme": [{"id": c.id, "code": c.code} for c in g.without]}
            for g in grouping(session, principal, instrument=instrument, crime_area=crime_area)]


@api.post("", status_code=201)
def api_create(spec: CommitmentSpec, session: DbSession,
               principal: CurrentPrincipal) -> dict[str, Any]:
    return _with_activities(session, principal,
                            records.create_commitment(session, principal, spec))


@api.get("/{commitment_id:int}")
def api_get(commitment_id: int, session: DbSession,
            principal: CurrentPrincipal) -> dict[str, Any]:
    return _with_activities(session, principal,
                            records.get_commitment(session, principal, commitment_id))


@api.put("/{commitment_id:int}")
def api_update(commitment_id: int, spec: CommitmentSpec, session: DbSession,
               principal: CurrentPrincipal) -> dict[str, Any]:
    return _with_activities(session, principal, records.update_commitment(
        session, principal, commitment_id, spec))


@api.delete("/{commitment_id:int}", status_code=204)
def api_delete(commitment_id: int, session: DbSession, principal: CurrentPrincipal) -> Response:
    records.delete_commitment(session, principal, commitment_id)
    return Response(status_code=204)


@api.put("/{commitment_id:int}/activities")
def api_link(commitment_id: int, body: LinkBody, session: DbSession,
             principal: CurrentPrincipal) -> dict[str, Any]:
    records.link_activities(session, principal, commitment_id, body.activity_ids)
    return _with_activities(session, principal,
                            records.get_commitment(session, principal, commitment_id))


@api.get("/{commitment_id:int}/assessments")
def api_history(commitment_id: int, session: DbSession,
                principal: CurrentPrincipal) -> list[dict[str, Any]]:
    return [{"id": v.assessment.id, "status": v.assessment.status,
             "rationale": v.assessment.rationale, "username": v.assessment.username,
             "assessed_at": v.assessment.assessed_at.isoformat(),
             "evidence_activities": v.activity_ids, "evidence_documents": v.document_ids}
            for v in records.history(session, principal, commitment_id)]


@api.post("/{commitment_id:int}/assessments", status_code=201)
def api_assess(commitment_id: int, body: AssessmentBody, session: DbSession,
               principal: CurrentPrincipal) -> dict[str, Any]:
    made = records.assess(session, principal, commitment_id, body.status, body.rationale,
                          evidence_activities=body.evidence_activities,
                          evidence_documents=body.evidence_documents)
    return {"id": made.id, "status": made.status}


"""Data protection: the review queue, a case's graded information and persons, opening a
person of a sensitive category with a justification, transfers, corrections and erasure,
the oversight page and the subject-access report.

Pages under ``/safeguards`` and JSON under ``/api/v1/safeguards``; both call
:mod:`tocsin.safeguards`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tocsin.access import grading
from tocsin.access.policy import may_write
from tocsin.access.roles import Action
from tocsin.cases.records import get_case
from tocsin.errors import InputError, PermissionDenied, Problem
from tocsin.i18n import N_
from tocsin.safeguards import markers, oversight, report, review
from tocsin.safeguards import records as sg
from tocsin.safeguards.config import rules
from tocsin.safeguards.spec import (
    CorrectionSpec,
    ErasureSpec,
    ExtensionSpec,
    ProcessingSpec,
    StatementSpec,
    TransferSpec,
)
from tocsin.web import deps
from tocsin.web.deps import CurrentPrincipal, DbSession, FormRoute
from tocsin.web.routers.cases import Form
from tocsin.web.templating import NavItem, render

NAV = NavItem(N_("Data protection"), "/safeguards", order=78, group=N_("Investigations"))
pages = APIRouter(prefix="/safeguards", include_in_schema=False, route_class=FormRoute)
api = APIRouter(prefix="/safeguards", tags=["safeguards"], route_class=FormRoute)

YES = ("1", "on", "true", "yes")


def _clean(data: dict[str, str]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v.strip()}


def _texts(data: dict[str, str]) -> dict[str, Any]:
    """Fields as given, empty ones included: the library names a missing reason."""
    return dict(data)


def _ids(values: list[str], location: str) -> list[int]:
    try:
        return [int(v) for v in values if v.strip()]
    except ValueError:
        raise InputError.single(location, N_("choose from the list")) from None


def _to(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def _statement_spec(data: dict[str, str]) -> StatementSpec:
    values = _clean({k: v for k, v in data.items() if k not in ("grade", "provider_consent")})
    scheme = values.get("scheme") or grading.grading().default
    values["grades"] = grading.parse_written(scheme, data.get("grade", ""))
    problems: list[Problem] = []
    grading.check_grades(scheme, values["grades"], "grade", problems)
    if problems:  # named after the form's field: the grade as written
        raise InputError(problems)
    values["provider_consent"] = data.get("provider_consent", "") in YES
    return StatementSpec.model_validate(values)


def _choices() -> dict[str, Any]:
    return {"rules": rules(), "grading": grading.grading(), "codes": grading.handling_codes(),
            "label": sg.handling_label, "grade": sg.grade_text, "explain": sg.grade_explained}


# --- the review queue ------------------------------------------------------------------------

@pages.get("", response_class=HTMLResponse)
def queue_page(request: Request, session: DbSession, principal: CurrentPrincipal,
               ahead: int = review.AHEAD_DAYS) -> Response:
    return render(request, "safeguards/queue.html", items=review.queue(
        session, principal, ahead_days=max(0, min(ahead, 3650))), ahead=ahead,
        notices=sg.pending_notices(session, principal), today=date.today(), **_choices())


@pages.post("/processing/{processing_id:int}/extend")
def extend(processing_id: int, session: DbSession, principal: CurrentPrincipal,
           data: Form) -> Response:
    review.extend(session, principal, processing_id, ExtensionSpec.model_validate(_texts(data)))
    return _to("/safeguards")


@pages.post("/processing/{processing_id:int}/anonymise")
def anonymise(processing_id: int, session: DbSession, principal: CurrentPrincipal,
              data: Form) -> Response:
    review.anonymise(session, principal, processing_id, ErasureSpec.model_validate(_texts(data)))
    return _to("/safeguards")


@pages.post("/processing/{processing_id:int}/delete")
def delete(processing_id: int, request: Request, session: DbSession,
           principal: CurrentPrincipal, data: Form) -> Response:
    review.delete_record(session, principal, deps.settings(request), processing_id,
                         ErasureSpec.model_validate(_texts(data)))
    return _to("/safeguards")


@pages.post("/notices/{notice_id:int}/sent")
def notice_sent(notice_id: int, session: DbSession, principal: CurrentPrincipal) -> Response:
    sg.mark_sent(session, principal, notice_id)
    return _to("/safeguards#notices")


@pages.post("/sets/{set_id:int}/processing")
def set_processing(set_id: int, session: DbSession, principal: CurrentPrincipal,
                   data: Form) -> Response:
    sg.set_set_processing(session, principal, set_id,
                          ProcessingSpec.model_validate(_clean(data)))
    return _to("/safeguards")


# --- a case's information and persons --------------------------------------------------------

@pages.get("/cases/{case_id:int}", response_class=HTMLResponse)
def case_page(case_id: int, request: Request, session: DbSession,
              principal: CurrentPrincipal) -> Response:
    case = get_case(session, principal, case_id)
    return render(request, "safeguards/case.html", case=case,
                  processing=sg.processing_of(session, "case", [case.id]).get(case.id),
                  persons=sg.persons(session, principal, case),
                  statements=sg.statements(session, principal, case),
                  sent=sg.transmissions(session, case),
                  notices=sg.notifications(session, case),
                  may_write=may_write(principal, case.owner_unit_id), **_choices())


@pages.post("/cases/{case_id:int}/processing")
def case_processing(case_id: int, session: DbSession, principal: CurrentPrincipal,
                    data: Form) -> Response:
    sg.set_case_processing(session, principal, case_id,
                           ProcessingSpec.model_validate(_clean(data)))
    return _to(f"/safeguards/cases/{case_id}")


@pages.post("/cases/{case_id:int}/statements")
def statement_add(case_id: int, session: DbSession, principal: CurrentPrincipal,
                  data: Form) -> Response:
    sg.add_statement(session, principal, case_id, _statement_spec(data))
    return _to(f"/safeguards/cases/{case_id}#information")


@pages.post("/statements/{statement_id:int}/consent")
def consent(statement_id: int, session: DbSession, principal: CurrentPrincipal,
            data: Form) -> Response:
    item = sg.record_consent(session, principal, statement_id, data.get("note", ""))
    return _to(f"/safeguards/cases/{item.case_id}#information")


@pages.post("/statements/{statement_id:int}/correct")
def correct(statement_id: int, session: DbSession, principal: CurrentPrincipal,
            data: Form) -> Response:
    sg.correct_statement(session, principal, statement_id,
                         CorrectionSpec.model_validate(_texts(data)))
    item = sg.get_statement(session, principal, statement_id)
    return _to(f"/safeguards/cases/{item.case_id}#notices")


@pages.post("/cases/{case_id:int}/transfer")
async def transfer(case_id: int, request: Request, session: DbSession,
                   principal: CurrentPrincipal) -> Response:
    form = await request.form()
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    spec = TransferSpec.model_validate({
        **_clean({k: v for k, v in fields.items()
                  if k in ("counterpart", "country", "channel", "justification")}),
        "statement_ids": _ids([v for v in form.getlist("statement_ids")
                               if isinstance(v, str)], "transfer.statement_ids"),
        "subject_ids": _ids([v for v in form.getlist("subject_ids") if isinstance(v, str)],
                            "transfer.subject_ids"),
        "as_evidence": fields.get("as_evidence", "") in YES,
        "restrictions_met": fields.get("restrictions_met", "") in YES})
    # the form is read on the event loop; the database work runs in the thread pool
    await run_in_threadpool(sg.transfer, session, principal, case_id, spec)
    return _to(f"/safeguards/cases/{case_id}#sent")


# --- persons ---------------------------------------------------------------------------------

@pages.get("/subjects/{subject_id:int}", response_class=HTMLResponse)
def subject_page(subject_id: int, request: Request, session: DbSession,
                 principal: CurrentPrincipal) -> Response:
    case, subject, _proc, category = sg.subject_for(session, principal, subject_id)
    if category is not None and category.sensitive:
        return render(request, "safeguards/justify.html", case=case, subject_id=subject.id,
                      category=category)
    return _person(request, session, principal, sg.consult_subject(session, principal,
                                                                   subject_id))


@pages.post("/subjects/{subject_id:int}/consult", response_class=HTMLResponse)
def consult(subject_id: int, request: Request, session: DbSession,
            principal: CurrentPrincipal, data: Form) -> Response:
    return _person(request, session, principal, sg.consult_subject(
        session, principal, subject_id, data.get("justification", "")))


def _person(request: Request, session: DbSession, principal: CurrentPrincipal,
            seen: sg.Consultation) -> Response:
    return render(request, "safeguards/subject.html", seen=seen, case=seen.case,
                  may_write=may_write(principal, seen.case.owner_unit_id), **_choices())


@pages.post("/subjects/{subject_id:int}/processing")
def subject_processing(subject_id: int, session: DbSession, principal: CurrentPrincipal,
                       data: Form) -> Response:
    proc = sg.set_subject_processing(session, principal, subject_id,
                                     ProcessingSpec.model_validate(_clean(data)))
    return _to(f"/safeguards/cases/{proc.case_id}#persons")


@pages.post("/subjects/{subject_id:int}/erase")
def erase(subject_id: int, session: DbSession, principal: CurrentPrincipal,
          data: Form) -> Response:
    case, _, _, _ = sg.subject_for(session, principal, subject_id)
    sg.erase_subject(session, principal, subject_id, ErasureSpec.model_validate(_texts(data)))
    return _to(f"/safeguards/cases/{case.id}#notices")


# --- policy markers of programmes ------------------------------------------------------------

@pages.get("/activities/{activity_id:int}/markers", response_class=HTMLResponse)
def markers_page(activity_id: int, request: Request, session: DbSession,
                 principal: CurrentPrincipal) -> Response:
    from tocsin.access.policy import get_readable
    from tocsin.taskforce.programmes.tables import Activity

    activity = get_readable(session, Activity, activity_id, principal)
    current = {(m.vocabulary, m.code): m.significance
               for m in markers.markers_of(session, principal, activity_id)}
    flagged = next((f for f in markers.missing_human_rights(session, principal)
                    if f.activity_id == activity_id), None)
    return render(request, "safeguards/markers.html", activity=activity, current=current,
                  data=markers.markers(), flagged=flagged,
                  may_write=may_write(principal, activity.owner_unit_id))


@pages.post("/activities/{activity_id:int}/markers")
def markers_save(activity_id: int, session: DbSession, principal: CurrentPrincipal,
                 data: Form) -> Response:
    given = []
    for m in markers.markers().markers:
        value = data.get(f"marker:{m.vocabulary}:{m.code}", "").strip()
        if value:
            try:
                significance = int(value)
            except ValueError:
                raise InputError.single(f"marker:{m.vocabulary}:{m.code}",
                                        N_("choose a significance from the list")) from None
            if significance not in {x.code for x in markers.markers().significance}:
                raise InputError.single(f"marker:{m.vocabulary}:{m.code}",
                                        N_("%(value)s is not an IATI significance code",
                                           value=significance))
            given.append(markers.MarkerSpec(m.vocabulary, m.code, significance))
    markers.set_markers(session, principal, activity_id, given)
    return _to(f"/safeguards/activities/{activity_id}/markers")


# --- oversight and the subject-access report -------------------------------------------------

@pages.get("/oversight", response_class=HTMLResponse)
def oversight_page(request: Request, session: DbSession, principal: CurrentPrincipal,
                   user: str = "") -> Response:
    return render(request, "safeguards/oversight.html",
                  view=oversight.overview(session, principal, username=user.strip()[:80]),
                  user=user, rule=rules().oversight)


@pages.get("/access-report", response_class=HTMLResponse)
def access_report(request: Request, session: DbSession, principal: CurrentPrincipal,
                  name: str = "", birth_date: str = "") -> Response:
    if not principal.can(Action.OVERSEE):
        raise PermissionDenied(N_("the subject-access report is for the data-protection officer"))
    found = report.subject_access(session, principal, name, birth_date.strip()) \
        if name.strip() else None
    return render(request, "safeguards/report.html", found=found, name=name,
                  birth_date=birth_date, **_choices())


# --- JSON ------------------------------------------------------------------------------------

@api.get("/grading")
def api_grading(principal: CurrentPrincipal) -> dict[str, Any]:
    """The grading schemes and the provider handling codes in force."""
    return {"grading": grading.grading().model_dump(),
            "handling_codes": grading.handling_codes().model_dump()}


@api.post("/cases/{case_id}/statements", status_code=201)
def api_statement(case_id: int, spec: StatementSpec, session: DbSession,
                  principal: CurrentPrincipal) -> dict[str, Any]:
    """Record a fact or an assessment with its source, grading and handling code."""
    item = sg.add_statement(session, principal, case_id, spec)
    return {"id": item.id, "grade": sg.grade_text(item), "scheme": item.scheme,
            "handling_code": item.handling_code, "nature": item.nature}


@api.post("/cases/{case_id}/transfer", status_code=201)
def api_transfer(case_id: int, spec: TransferSpec, session: DbSession,
                 principal: CurrentPrincipal) -> dict[str, Any]:
    """Pass information on (refused, with the reasons, when a handling code forbids it);
    the answer is the package for the recipient."""
    done = sg.transfer(session, principal, case_id, spec)
    return {"exchange_id": done.exchange.id, "package": done.package}


@api.get("/review")
def api_review(session: DbSession, principal: CurrentPrincipal,
               ahead: int = review.AHEAD_DAYS) -> list[dict[str, Any]]:
    """What is due for review (or lacks a legal basis)."""
    return [{"kind": i.kind, "title": i.title, "url": i.url, "reason": i.reason,
             "review_on": i.processing.review_on.isoformat() if i.processing else None,
             "processing_id": i.processing.id if i.processing else None}
            for i in review.queue(session, principal, ahead_days=max(0, min(ahead, 3650)))]


@api.get("/access-report")
def api_access_report(name: str, session: DbSession, principal: CurrentPrincipal,
                      birth_date: str = "") -> dict[str, Any]:
    """Everything the platform holds about a person (data-protection officer)."""
    return report.subject_access(session, principal, name, birth_date.strip()).to_dict()


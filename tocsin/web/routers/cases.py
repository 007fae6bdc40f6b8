"""Cases and asset recovery: cases, assets, co-operation requests, letters, exchanges,
the authorities directory and the statistics.

Pages under ``/cases`` and JSON under ``/api/v1/cases``; both call :mod:`tocsin.cases`.
Forms are checked by the same spec models as the API, so a bad field answers 422
naming it on both.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from tocsin.cases import assets, entities, letters, records, requests, stats
from tocsin.cases.spec import (
    AssetSpec,
    AuthoritySpec,
    CaseSpec,
    CustodySpec,
    ExchangeSpec,
    LinkSpec,
    MemberSpec,
    NoteSpec,
    RequestSpec,
    SaleSpec,
    StageSpec,
    StatusSpec,
    SubjectSpec,
    TaskSpec,
    TraceAssetSpec,
    ValuationSpec,
)
from tocsin.cases.tables import (
    ASSET_KINDS,
    DISPOSAL_KINDS,
    IDENTIFIER_SCHEMES,
    LINK_KINDS,
    ORDER_STATUSES,
    REQUEST_KINDS,
    STAGES,
    SUBJECT_SCHEMAS,
    VALUATION_METHODS,
    Case,
)
from tocsin.errors import InputError, Problem
from tocsin.i18n import N_
from tocsin.money import sets
from tocsin.taskforce.lessons import codes
from tocsin.web import deps
from tocsin.web.deps import CurrentPrincipal, DbSession, FormRoute
from tocsin.web.templating import NavItem, render

NAV = NavItem(N_("Cases"), "/cases", order=75)
pages = APIRouter(prefix="/cases", include_in_schema=False, route_class=FormRoute)
api = APIRouter(prefix="/cases", tags=["cases"], route_class=FormRoute)

#: Cap on a form's size in fields (a form is small; anything bigger is not ours).
MAX_FIELDS = 60


async def form_data(request: Request) -> dict[str, str]:
    """The form's text fields (CSRF token aside); the route validates them with a spec."""
    form = await request.form()
    items = [(k, v) for k, v in form.multi_items() if isinstance(v, str) and k != "csrf_token"]
    if len(items) > MAX_FIELDS:
        raise InputError.single("form", N_("more than %(most)s fields", most=MAX_FIELDS))
    return dict(items)


Form = Annotated[dict[str, str], Depends(form_data)]


def _clean(data: dict[str, str], *keep_empty: str) -> dict[str, Any]:
    """Empty fields mean "not given" (the spec's default applies)."""
    return {k: v for k, v in data.items() if v.strip() or k in keep_empty}


def _lines(text: str, location: str, problems: list[Problem]) -> list[tuple[str, str]]:
    """``key: value`` lines of a text area."""
    pairs = []
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            problems.append(Problem(location, N_("line %(line)s: write 'name: value'", line=i)))
            continue
        pairs.append((key.strip(), value.strip()))
    return pairs


def _ids(text: str, location: str) -> list[int]:
    return codes.record_ids(text, location)


def _to_case(case_id: int) -> Response:
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


def _to_asset(asset_id: int) -> Response:
    return RedirectResponse(f"/cases/assets/{asset_id}", status_code=303)


def _to_request(request_id: int) -> Response:
    return RedirectResponse(f"/cases/requests/{request_id}", status_code=303)


def _case_spec(data: dict[str, str]) -> CaseSpec:
    values = _clean(data)
    values["need_to_know"] = data.get("need_to_know", "") in ("1", "on", "true", "yes")
    return CaseSpec.model_validate(values)


def _subject_spec(data: dict[str, str]) -> SubjectSpec:
    problems: list[Problem] = []
    properties: dict[str, list[str]] = {}
    if data.get("name", "").strip():
        properties["name"] = [data["name"].strip()]
    for key, value in _lines(data.get("properties", ""), "properties", problems):
        properties.setdefault(key, []).append(value)
    if problems:
        raise InputError(problems)
    return SubjectSpec.model_validate({"schema": data.get("schema", ""),
                                       "properties": properties})


def _asset_spec(data: dict[str, str]) -> AssetSpec:
    problems: list[Problem] = []
    identifiers = [{"scheme": k.lower(), "value": v}
                   for k, v in _lines(data.get("identifiers", ""), "identifiers", problems)]
    if problems:
        raise InputError(problems)
    values = _clean({k: v for k, v in data.items() if k != "identifiers"})
    return AssetSpec.model_validate({**values, "identifiers": identifiers})


def _request_spec(data: dict[str, str]) -> RequestSpec:
    values = _clean({k: v for k, v in data.items() if k != "asset_ids"})
    values["asset_ids"] = _ids(data.get("asset_ids", ""), "asset_ids")
    return RequestSpec.model_validate(values)


def _choices(session: DbSession) -> dict[str, Any]:
    return codes.choices(session) | {
        "asset_kinds": ASSET_KINDS, "schemes": IDENTIFIER_SCHEMES, "stages": STAGES,
        "order_statuses": ORDER_STATUSES, "disposals": DISPOSAL_KINDS,
        "methods": VALUATION_METHODS, "request_kinds": REQUEST_KINDS,
        "kind_labels": requests.KIND_LABELS, "schemas": SUBJECT_SCHEMAS,
        "link_kinds": [k for k in LINK_KINDS if k != "screening"],
        "flow": requests.FLOW, "grounds": requests.refusal_grounds()}


# --- pages: cases -------------------------------------------------------------------------

@pages.get("", response_class=HTMLResponse)
def case_list(request: Request, session: DbSession, principal: CurrentPrincipal,
              status: str = "", q: str = "") -> Response:
    return render(request, "cases/list.html", cases=records.list_cases(
        session, principal, status=status or None, query=q or None), status=status, q=q,
        reminders=requests.reminders(session, principal), choices=_choices(session),
        today=date.today())


@pages.post("")
def case_create(session: DbSession, principal: CurrentPrincipal, data: Form) -> Response:
    return _to_case(records.create_case(session, principal, _case_spec(data)).id)


@pages.get("/{case_id:int}", response_class=HTMLResponse)
def case_page(case_id: int, request: Request, session: DbSession,
              principal: CurrentPrincipal) -> Response:
    from tocsin.safeguards.records import persons

    case = records.get_case(session, principal, case_id)
    return render(request, "cases/case.html", case=case, today=date.today(),
                  persons=persons(session, principal, case),
                  team=records.team(session, case),
                  links=records.visible_links(session, principal, case),
                  timeline=records.timeline(case), figures={
                      a.id: assets.figures(a) for a in case.assets},
                  documents=letters.documents_of(session, case),
                  sets=sets.list_sets(session, principal), choices=_choices(session),
                  authorities=requests.list_authorities(session),
                  owner_unit=_unit_code(session, case.owner_unit_id),
                  may_write=_may_write(principal, case))


def _unit_code(session: DbSession, unit_id: int) -> str:
    from tocsin.access.tables import Unit

    unit = session.get(Unit, unit_id)
    return unit.code if unit is not None else ""


def _may_write(principal: CurrentPrincipal, case: Case) -> bool:
    from tocsin.access.policy import may_write

    return may_write(principal, case.owner_unit_id)


@pages.post("/{case_id:int}/edit")
def case_edit(case_id: int, session: DbSession, principal: CurrentPrincipal,
              data: Form) -> Response:
    """Change the case's details (the same check as ``PUT /api/v1/cases/{id}``)."""
    records.update_case(session, principal, case_id, _case_spec(data))
    return _to_case(case_id)


@pages.post("/{case_id:int}/status")
def case_status(case_id: int, session: DbSession, principal: CurrentPrincipal,
                data: Form) -> Response:
    records.set_status(session, principal, case_id, data.get("status", ""))
    return _to_case(case_id)


@pages.post("/{case_id:int}/members")
def member_add(case_id: int, session: DbSession, principal: CurrentPrincipal,
               data: Form) -> Response:
    records.add_member(session, principal, case_id, MemberSpec.model_validate(_clean(data)))
    return _to_case(case_id)


@pages.post("/{case_id:int}/members/remove")
def member_remove(case_id: int, session: DbSession, principal: CurrentPrincipal,
                  data: Form) -> Response:
    records.remove_member(session, principal, case_id, data.get("username", ""))
    return _to_case(case_id)


@pages.post("/{case_id:int}/subjects")
def subject_add(case_id: int, session: DbSession, principal: CurrentPrincipal,
                data: Form) -> Response:
    records.add_subject(session, principal, case_id, _subject_spec(data))
    return _to_case(case_id)


def _entities(request: Request, upload: UploadFile) -> tuple[list[tuple[str, dict[str, Any]]],
                                                              str]:
    """The entities of an uploaded JSON-lines file, refused past the upload size limit."""
    from pathlib import Path

    limit = deps.settings(request).upload_max_bytes
    data = upload.file.read(limit + 1)
    source = Path(upload.filename or "upload.jsonl").name or "upload.jsonl"
    if len(data) > limit:
        raise InputError.single("file", N_("larger than the limit of %(size)s bytes",
                                              size=format(limit, ",")))
    return entities.read_lines(data, source), source


@pages.post("/{case_id:int}/subjects/import")
def subjects_import(case_id: int, request: Request, session: DbSession,
                    principal: CurrentPrincipal,
                    file: Annotated[UploadFile, File()]) -> Response:
    """Subjects from a FollowTheMoney file; what the case cannot hold is noted in the case."""
    records.writable_case(session, principal, case_id)  # refuse before reading the file
    items, source = _entities(request, file)
    entities.import_entities(session, principal, case_id, items, source)
    return RedirectResponse(f"/cases/{case_id}#subjects", status_code=303)


@pages.post("/{case_id:int}/subjects/screen")
def subjects_screen(case_id: int, session: DbSession, principal: CurrentPrincipal) -> Response:
    records.screen_subjects(session, principal, case_id)
    return _to_case(case_id)


@pages.post("/{case_id:int}/links")
def link_add(case_id: int, request: Request, session: DbSession, principal: CurrentPrincipal,
             data: Form) -> Response:
    spec = LinkSpec.model_validate(_clean(data))
    if spec.kind == "finding" and spec.set_id is not None:
        records.add_finding_link(session, principal, deps.settings(request), case_id,
                                 spec.set_id, spec.key, spec.note)
    else:
        records.add_link(session, principal, case_id, spec)
    return _to_case(case_id)


@pages.post("/{case_id:int}/notes")
def note_add(case_id: int, session: DbSession, principal: CurrentPrincipal,
             data: Form) -> Response:
    records.add_note(session, principal, case_id, NoteSpec.model_validate(_clean(data)))
    return _to_case(case_id)


@pages.post("/{case_id:int}/tasks")
def task_add(case_id: int, session: DbSession, principal: CurrentPrincipal,
             data: Form) -> Response:
    records.add_task(session, principal, case_id, TaskSpec.model_validate(_clean(data)))
    return _to_case(case_id)


@pages.post("/tasks/{task_id:int}/status")
def task_status(task_id: int, session: DbSession, principal: CurrentPrincipal,
                data: Form) -> Response:
    task = records.set_task_status(session, principal, task_id, data.get("status", ""))
    return _to_case(task.case_id)


@pages.post("/{case_id:int}/exchanges")
def exchange_add(case_id: int, session: DbSession, principal: CurrentPrincipal,
                 data: Form) -> Response:
    requests.record_exchange(session, principal, case_id,
                             ExchangeSpec.model_validate(_clean(data)))
    return _to_case(case_id)


# --- pages: assets ------------------------------------------------------------------------

@pages.post("/{case_id:int}/assets")
def asset_add(case_id: int, session: DbSession, principal: CurrentPrincipal,
              data: Form) -> Response:
    return _to_asset(assets.create_asset(session, principal, case_id, _asset_spec(data)).id)


@pages.post("/{case_id:int}/assets/from-trace")
def asset_from_trace(case_id: int, request: Request, session: DbSession,
                     principal: CurrentPrincipal, data: Form) -> Response:
    values = _clean({k: v for k, v in data.items() if k != "accounts"})
    values["accounts"] = [a.strip() for a in data.get("accounts", "").replace(
        "\n", ",").split(",") if a.strip()]
    asset = assets.asset_from_trace(session, principal, deps.settings(request), case_id,
                                    TraceAssetSpec.model_validate(values))
    return _to_asset(asset.id)


@pages.get("/assets/{asset_id:int}", response_class=HTMLResponse)
def asset_page(asset_id: int, request: Request, session: DbSession,
               principal: CurrentPrincipal) -> Response:
    case, asset = assets.get_asset(session, principal, asset_id)
    return render(request, "cases/asset.html", case=case, asset=asset,
                  trace=assets.shown_trace(session, principal, asset),
                  figures=assets.figures(asset), choices=_choices(session),
                  owner=next((s for s in case.subjects if s.id == asset.owner_subject_id), None),
                  may_write=_may_write(principal, case))


@pages.post("/assets/{asset_id:int}/stages")
def stage_add(asset_id: int, session: DbSession, principal: CurrentPrincipal,
              data: Form) -> Response:
    assets.add_stage(session, principal, asset_id, StageSpec.model_validate(_clean(data)))
    return _to_asset(asset_id)


@pages.post("/assets/{asset_id:int}/valuations")
def valuation_add(asset_id: int, session: DbSession, principal: CurrentPrincipal,
                  data: Form) -> Response:
    assets.add_valuation(session, principal, asset_id,
                         ValuationSpec.model_validate(_clean(data)))
    return _to_asset(asset_id)


@pages.post("/assets/{asset_id:int}/custody")
def custody_add(asset_id: int, session: DbSession, principal: CurrentPrincipal,
                data: Form) -> Response:
    assets.add_custody(session, principal, asset_id, CustodySpec.model_validate(_clean(data)))
    return _to_asset(asset_id)


@pages.post("/assets/{asset_id:int}/sale")
def sale_add(asset_id: int, session: DbSession, principal: CurrentPrincipal,
             data: Form) -> Response:
    assets.record_sale(session, principal, asset_id, SaleSpec.model_validate(_clean(data)))
    return _to_asset(asset_id)


@pages.post("/stages/{stage_id:int}/order")
def order_status(stage_id: int, session: DbSession, principal: CurrentPrincipal,
                 data: Form) -> Response:
    executed = codes.day(data.get("executed_on"), "executed_on")
    stage = assets.set_order_status(session, principal, stage_id,
                                    data.get("order_status", ""), executed)
    return _to_asset(stage.asset_id)


# --- pages: requests, letters, directory, statistics --------------------------------------

@pages.post("/{case_id:int}/requests")
def request_add(case_id: int, session: DbSession, principal: CurrentPrincipal,
                data: Form) -> Response:
    return _to_request(requests.create_request(session, principal, case_id,
                                               _request_spec(data)).id)


@pages.get("/requests", response_class=HTMLResponse)
def request_list(request: Request, session: DbSession, principal: CurrentPrincipal,
                 status: str = "", country: str = "", kind: str = "") -> Response:
    return render(request, "cases/requests.html", rows=requests.list_requests(
        session, principal, status=status or None, country=country or None,
        kind=kind or None), durations=requests.time_to_execution(session, principal),
        choices=_choices(session), status=status, country=country, kind=kind)


@pages.get("/requests/{request_id:int}", response_class=HTMLResponse)
def request_page(request_id: int, request: Request, session: DbSession,
                 principal: CurrentPrincipal) -> Response:
    case, req = requests.get_request(session, principal, request_id)
    authority = requests.authority_of(session, req)
    return render(request, "cases/request.html", case=case, req=req, authority=authority,
                  checks=requests.completeness(req, authority), choices=_choices(session),
                  documents=[d for d in letters.documents_of(session, case)
                             if d.request_id == req.id],
                  assets=[a for a in case.assets if a.id in set(req.asset_ids)],
                  untoc=requests.convention(),
                  may_write=_may_write(principal, case), today=date.today())


@pages.post("/requests/{request_id:int}/status")
def request_status(request_id: int, session: DbSession, principal: CurrentPrincipal,
                   data: Form) -> Response:
    requests.set_request_status(session, principal, request_id,
                                StatusSpec.model_validate(_clean(data)))
    return _to_request(request_id)


@pages.post("/requests/{request_id:int}/letters")
def letter_add(request_id: int, session: DbSession, principal: CurrentPrincipal,
               data: Form) -> Response:
    letters.generate(session, principal, request_id, data.get("format", ""))
    return _to_request(request_id)


@pages.get("/documents/{document_id:int}")
def document_download(document_id: int, session: DbSession,
                      principal: CurrentPrincipal) -> Response:
    document = letters.get_document(session, principal, document_id)
    return Response(document.content, media_type=letters.MEDIA[document.format], headers={
        "Content-Disposition": f'attachment; filename="{document.filename}"'})


@pages.get("/authorities", response_class=HTMLResponse)
def authority_list(request: Request, session: DbSession, principal: CurrentPrincipal,
                   country: str = "", kind: str = "") -> Response:
    from tocsin.access.roles import Action

    return render(request, "cases/authorities.html", authorities=requests.list_authorities(
        session, country or None, kind or None), choices=_choices(session),
        may_edit=principal.can(Action.WRITE_ANY_UNIT), country=country, kind=kind)


def _authority_spec(data: dict[str, str]) -> AuthoritySpec:
    values: dict[str, Any] = _clean(data)
    for name in ("languages", "channels"):
        values[name] = [x.strip() for x in data.get(name, "").split(",") if x.strip()]
    values["fictional"] = data.get("fictional", "") in ("1", "on", "true", "yes")
    return AuthoritySpec.model_validate(values)


@pages.post("/authorities")
def authority_add(session: DbSession, principal: CurrentPrincipal, data: Form) -> Response:
    requests.save_authority(session, principal, _authority_spec(data))
    return RedirectResponse("/cases/authorities", status_code=303)


@pages.post("/authorities/{authority_id:int}")
def authority_edit(authority_id: int, session: DbSession, principal: CurrentPrincipal,
                   data: Form) -> Response:
    """Change a directory entry (coordinators and administrators)."""
    requests.save_authority(session, principal, _authority_spec(data), authority_id)
    return RedirectResponse(f"/cases/authorities#authority-{authority_id}", status_code=303)


def _by(by: str) -> list[str]:
    return [b for b in by.split(",") if b] or ["year"]


@pages.get("/statistics", response_class=HTMLResponse)
def statistics_page(request: Request, session: DbSession, principal: CurrentPrincipal,
                    by: str = "year") -> Response:
    dims = _by(by)
    rows = stats.aggregate(stats.facts(session, principal), dims)
    return render(request, "cases/statistics.html", rows=rows, headers=stats.headers(dims),
                  by=",".join(dims), metrics=stats.METRICS, dimensions=stats.DIMENSIONS,
                  chart=_chart(rows, dims))


def _chart(rows: list[stats.Row], dims: list[str]) -> list[dict[str, Any]]:
    """Bars of the value frozen and confiscated per first dimension (inline SVG)."""
    wanted = ("freezing_orders_issued", "confiscation_orders_issued", "value_recovered",
              "value_returned")
    picked = [r for r in rows if r.metric in wanted and r.value]
    top = float(max((r.value for r in picked), default=0)) or 1.0
    return [{"metric": r.metric, "label": " ".join(r.key), "value": float(r.value),
             "width": round(100 * float(r.value) / top, 1)} for r in picked]


@pages.get("/statistics.csv")
def statistics_csv(session: DbSession, principal: CurrentPrincipal,
                   by: str = "year") -> Response:
    dims = _by(by)
    rows = stats.aggregate(stats.facts(session, principal), dims)
    return Response(stats.to_csv(session, principal, rows, dims), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="case-statistics.csv"'})


# --- JSON API -----------------------------------------------------------------------------

def _case_json(session: DbSession, principal: CurrentPrincipal, case: Case,
               full: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": case.id, "reference": case.reference, "title": case.title,
        "summary": case.summary, "crime_area": case.crime_area, "country": case.country,
        "status": case.status, "opened_on": case.opened_on.isoformat(),
        "closed_on": case.closed_on.isoformat() if case.closed_on else None,
        "need_to_know": case.need_to_know, "handling": case.handling}
    if full:
        data |= {
            "team": [{"username": u, "full_name": n, "role": r}
                     for u, n, r in records.team(session, case)],
            "subjects": _subjects(session, principal, case),
            "links": [{"id": lk.id, "kind": lk.kind, "set_id": lk.set_id, "key": lk.key,
                       "detail": lk.detail, "note": lk.note}
                      for lk in records.visible_links(session, principal, case)],
            "notes": [{"id": n.id, "text": n.text, "author": n.author,
                       "at": n.at.isoformat()} for n in case.notes],
            "tasks": [_task(t) for t in case.tasks],
            "assets": [assets.asset_json(session, principal, a) for a in case.assets],
            "requests": [requests.request_json(r) for r in case.requests],
            "exchanges": [_exchange(e) for e in case.exchanges],
            "documents": [{"id": d.id, "request_id": d.request_id, "version": d.version,
                           "format": d.format, "filename": d.filename, "sha256": d.sha256}
                          for d in letters.documents_of(session, case)]}
    return data


def _subjects(session: DbSession, principal: CurrentPrincipal, case: Case
              ) -> list[dict[str, Any]]:
    """The persons the reader may see; a sensitive category's details only by id (they are
    opened, with a justification, under ``/safeguards/subjects``)."""
    from tocsin.safeguards.records import persons

    out = []
    for p in persons(session, principal, case):
        category = p.category.key if p.category else None
        if p.withheld:
            out.append({"id": f"tocsin-case-{case.id}-subject-{p.subject.id}",
                        "schema": p.subject.schema, "category": category, "withheld": True})
        else:
            out.append(records.subject_entity(case, p.subject) | {
                "screening": p.subject.screening, "category": category})
    return out


def _task(t: Any) -> dict[str, Any]:
    return {"id": t.id, "title": t.title, "due_on": t.due_on.isoformat(),
            "assignee": t.assignee, "status": t.status,
            "overdue": t.overdue(date.today())}


def _exchange(e: Any) -> dict[str, Any]:
    return {"id": e.id, "direction": e.direction, "what": e.what,
            "counterpart": e.counterpart, "country": e.country, "channel": e.channel,
            "at": e.at.isoformat(), "handling": e.handling, "restrictions": e.restrictions,
            "request_id": e.request_id, "document_id": e.document_id}


class CaseStatusBody(BaseModel):
    status: str


class OrderBody(BaseModel):
    order_status: str
    executed_on: date | None = None


class LetterBody(BaseModel):
    format: str = "docx"


@api.get("")
def api_cases(session: DbSession, principal: CurrentPrincipal, status: str | None = None,
              q: str | None = None) -> list[dict[str, Any]]:
    """Cases the reader may read, newest first."""
    return [_case_json(session, principal, c)
            for c in records.list_cases(session, principal, status=status, query=q)]


@api.post("", status_code=201)
def api_case_create(spec: CaseSpec, session: DbSession,
                    principal: CurrentPrincipal) -> dict[str, Any]:
    """Open a case; whoever opens it leads its team."""
    return _case_json(session, principal, records.create_case(session, principal, spec), True)


@api.get("/reminders")
def api_reminders(session: DbSession, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """Request deadlines, unanswered requests and tasks due, soonest first."""
    return [{"case_id": r.case_id, "case": r.case_reference, "request_id": r.request_id,
             "task_id": r.task_id, "due": r.due.isoformat(), "text": r.text,
             "overdue": r.overdue} for r in requests.reminders(session, principal)]


@api.get("/requests")
def api_requests(session: DbSession, principal: CurrentPrincipal, status: str | None = None,
                 country: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    """Requests of the readable cases, newest first."""
    return [requests.request_json(r) for _c, r in requests.list_requests(
        session, principal, status=status, country=country, kind=kind)]


@api.get("/requests/durations")
def api_durations(session: DbSession, principal: CurrentPrincipal,
                  direction: str = "outgoing") -> list[dict[str, Any]]:
    """Days from sending to execution per counterpart State."""
    return [vars(d) for d in requests.time_to_execution(session, principal, direction)]


@api.get("/requests/{request_id}")
def api_request(request_id: int, session: DbSession,
                principal: CurrentPrincipal) -> dict[str, Any]:
    """One request with its history and completeness check."""
    _case, req = requests.get_request(session, principal, request_id)
    return requests.request_json(req, requests.authority_of(session, req))


@api.put("/requests/{request_id}")
def api_request_update(request_id: int, spec: RequestSpec, session: DbSession,
                       principal: CurrentPrincipal) -> dict[str, Any]:
    """Change a draft request."""
    req = requests.update_request(session, principal, request_id, spec)
    return requests.request_json(req, requests.authority_of(session, req))


@api.post("/requests/{request_id}/status")
def api_request_status(request_id: int, spec: StatusSpec, session: DbSession,
                       principal: CurrentPrincipal) -> dict[str, Any]:
    """Move a request on (sending runs the completeness check)."""
    req = requests.set_request_status(session, principal, request_id, spec)
    return requests.request_json(req, requests.authority_of(session, req))


@api.post("/requests/{request_id}/letters", status_code=201)
def api_letter(request_id: int, body: LetterBody, session: DbSession,
               principal: CurrentPrincipal) -> dict[str, Any]:
    """Generate the request letter (docx or pdf) as the next version."""
    d = letters.generate(session, principal, request_id, body.format)
    return {"id": d.id, "version": d.version, "format": d.format, "filename": d.filename,
            "sha256": d.sha256, "url": f"/cases/documents/{d.id}"}


@api.get("/authorities")
def api_authorities(session: DbSession, _principal: CurrentPrincipal,
                    country: str | None = None, kind: str | None = None
                    ) -> list[dict[str, Any]]:
    """The competent authorities directory."""
    return [{"id": a.id, "country": a.country, "kind": a.kind, "name": a.name,
             "languages": a.languages, "channels": a.channels, "contact": a.contact,
             "source": a.source, "as_of": a.as_of.isoformat(), "fictional": a.fictional}
            for a in requests.list_authorities(session, country, kind)]


@api.post("/authorities", status_code=201)
def api_authority_add(spec: AuthoritySpec, session: DbSession,
                      principal: CurrentPrincipal) -> dict[str, Any]:
    """Add a directory entry (coordinators)."""
    return {"id": requests.save_authority(session, principal, spec).id}


@api.put("/authorities/{authority_id}")
def api_authority_update(authority_id: int, spec: AuthoritySpec, session: DbSession,
                         principal: CurrentPrincipal) -> dict[str, Any]:
    """Change a directory entry (coordinators)."""
    return {"id": requests.save_authority(session, principal, spec, authority_id).id}


@api.get("/statistics")
def api_statistics(session: DbSession, principal: CurrentPrincipal,
                   by: str = "year") -> dict[str, Any]:
    """The asset-recovery figures grouped by ``by`` (comma-separated dimensions)."""
    dims = _by(by)
    rows = stats.aggregate(stats.facts(session, principal), dims)
    return {"by": dims, "definitions": stats.METRICS,
            "rows": [{"metric": r.metric, **dict(zip(stats.headers(dims)[1:-2], r.key,
                                                     strict=True)),
                      "count": r.count, "value": str(r.value)} for r in rows]}


@api.get("/assets/{asset_id}")
def api_asset(asset_id: int, session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """One asset with its stages, valuations, custody and figures."""
    return assets.asset_json(session, principal, assets.get_asset(session, principal, asset_id)[1])


@api.post("/assets/{asset_id}/stages", status_code=201)
def api_stage(asset_id: int, spec: StageSpec, session: DbSession,
              principal: CurrentPrincipal) -> dict[str, Any]:
    """Record the next stage of the asset's life cycle with its order."""
    assets.add_stage(session, principal, asset_id, spec)
    return assets.asset_json(session, principal, assets.get_asset(session, principal, asset_id)[1])


@api.post("/assets/{asset_id}/valuations", status_code=201)
def api_valuation(asset_id: int, spec: ValuationSpec, session: DbSession,
                  principal: CurrentPrincipal) -> dict[str, Any]:
    """Add a valuation."""
    assets.add_valuation(session, principal, asset_id, spec)
    return assets.asset_json(session, principal, assets.get_asset(session, principal, asset_id)[1])


@api.post("/assets/{asset_id}/custody", status_code=201)
def api_custody(asset_id: int, spec: CustodySpec, session: DbSession,
                principal: CurrentPrincipal) -> dict[str, Any]:
    """Record who keeps the asset and at what monthly cost."""
    assets.add_custody(session, principal, asset_id, spec)
    return assets.asset_json(session, principal, assets.get_asset(session, principal, asset_id)[1])


@api.post("/assets/{asset_id}/sale")
def api_sale(asset_id: int, spec: SaleSpec, session: DbSession,
             principal: CurrentPrincipal) -> dict[str, Any]:
    """Record an interlocutory sale."""
    return assets.asset_json(session, principal,
                             assets.record_sale(session, principal, asset_id, spec))


@api.post("/stages/{stage_id}/order")
def api_order(stage_id: int, body: OrderBody, session: DbSession,
              principal: CurrentPrincipal) -> dict[str, Any]:
    """An order became final, went under appeal, or was executed."""
    stage = assets.set_order_status(session, principal, stage_id, body.order_status,
                                    body.executed_on)
    return assets.asset_json(session, principal,
                             assets.get_asset(session, principal, stage.asset_id)[1])


@api.post("/tasks/{task_id}/status")
def api_task_status(task_id: int, body: CaseStatusBody, session: DbSession,
                    principal: CurrentPrincipal) -> dict[str, Any]:
    """Mark a task done or open again."""
    return _task(records.set_task_status(session, principal, task_id, body.status))


@api.get("/{case_id}")
def api_case(case_id: int, session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """One case with its team, subjects, links, assets, requests, exchanges and letters."""
    return _case_json(session, principal, records.get_case(session, principal, case_id), True)


@api.get("/{case_id}/timeline")
def api_timeline(case_id: int, session: DbSession,
                 principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """Everything dated in the case, oldest first."""
    return [{"on": m.on.isoformat(), "kind": m.kind, "text": m.text}
            for m in records.timeline(records.get_case(session, principal, case_id))]


@api.put("/{case_id}")
def api_case_update(case_id: int, spec: CaseSpec, session: DbSession,
                    principal: CurrentPrincipal) -> dict[str, Any]:
    """Change the case's details, handling code, unit or need-to-know restriction."""
    return _case_json(session, principal,
                      records.update_case(session, principal, case_id, spec), True)


@api.post("/{case_id}/status")
def api_case_status(case_id: int, body: CaseStatusBody, session: DbSession,
                    principal: CurrentPrincipal) -> dict[str, Any]:
    """Close or reopen the case."""
    return _case_json(session, principal,
                      records.set_status(session, principal, case_id, body.status))


@api.post("/{case_id}/members", status_code=201)
def api_member(case_id: int, spec: MemberSpec, session: DbSession,
               principal: CurrentPrincipal) -> dict[str, Any]:
    """Add a user to the case's team (or change their role in it)."""
    return _case_json(session, principal,
                      records.add_member(session, principal, case_id, spec), True)


@api.delete("/{case_id}/members/{username}")
def api_member_remove(case_id: int, username: str, session: DbSession,
                      principal: CurrentPrincipal) -> dict[str, Any]:
    """Take a user off the case's team."""
    records.remove_member(session, principal, case_id, username)
    return {"removed": username}


@api.post("/{case_id}/subjects", status_code=201)
def api_subject(case_id: int, spec: SubjectSpec, session: DbSession,
                principal: CurrentPrincipal) -> dict[str, Any]:
    """Add a subject (Person, Company, BankAccount, CryptoWallet as FtM)."""
    case = records.get_case(session, principal, case_id)
    return records.subject_entity(case, records.add_subject(session, principal, case_id, spec))


@api.post("/{case_id}/subjects/import", status_code=201)
def api_subjects_import(case_id: int, request: Request, session: DbSession,
                        principal: CurrentPrincipal,
                        file: Annotated[UploadFile, File(
                            description="FollowTheMoney entities, JSON lines")]
                        ) -> dict[str, Any]:
    """Import FtM entities as subjects (Person, Company, BankAccount, CryptoWallet); the
    answer lists the subjects added and, by line, what the case does not hold."""
    records.writable_case(session, principal, case_id)
    items, source = _entities(request, file)
    result = entities.import_entities(session, principal, case_id, items, source)
    case = records.get_case(session, principal, case_id)
    return {"source": source,
            "added": [records.subject_entity(case, s) for s in result.added],
            "left_out": [{"location": p.location, "reason": p.reason}
                         for p in result.left_out]}


@api.post("/{case_id}/subjects/screen")
def api_screen(case_id: int, session: DbSession, principal: CurrentPrincipal
               ) -> list[dict[str, Any]]:
    """Screen the subjects against the active sanctions and watch lists; the results are
    kept on the subjects."""
    subjects = records.screen_subjects(session, principal, case_id)
    case = records.get_case(session, principal, case_id)
    return [records.subject_entity(case, s) | {"screening": s.screening} for s in subjects]


@api.post("/{case_id}/links", status_code=201)
def api_link(case_id: int, spec: LinkSpec, request: Request, session: DbSession,
             principal: CurrentPrincipal) -> dict[str, Any]:
    """Link a transaction set, a finding of its latest run, a trace or a document."""
    if spec.kind == "finding" and spec.set_id is not None:
        link = records.add_finding_link(session, principal, deps.settings(request), case_id,
                                        spec.set_id, spec.key, spec.note)
    else:
        link = records.add_link(session, principal, case_id, spec)
    return {"id": link.id, "kind": link.kind, "set_id": link.set_id, "key": link.key,
            "detail": link.detail}


@api.post("/{case_id}/notes", status_code=201)
def api_note(case_id: int, spec: NoteSpec, session: DbSession,
             principal: CurrentPrincipal) -> dict[str, Any]:
    """Add a note."""
    note = records.add_note(session, principal, case_id, spec)
    return {"id": note.id, "text": note.text, "author": note.author}


@api.post("/{case_id}/tasks", status_code=201)
def api_task(case_id: int, spec: TaskSpec, session: DbSession,
             principal: CurrentPrincipal) -> dict[str, Any]:
    """Add a task with its due date."""
    return _task(records.add_task(session, principal, case_id, spec))


@api.post("/{case_id}/assets", status_code=201)
def api_asset_add(case_id: int, spec: AssetSpec, session: DbSession,
                  principal: CurrentPrincipal) -> dict[str, Any]:
    """Record an identified asset."""
    return assets.asset_json(session, principal,
                             assets.create_asset(session, principal, case_id, spec))


@api.post("/{case_id}/assets/from-trace", status_code=201)
def api_asset_from_trace(case_id: int, spec: TraceAssetSpec, request: Request,
                         session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """Make an asset of the funds a trace shows reaching an end account (the trace runs
    again; the asset keeps the link)."""
    return assets.asset_json(session, principal, assets.asset_from_trace(
        session, principal, deps.settings(request), case_id, spec))


@api.post("/{case_id}/requests", status_code=201)
def api_request_add(case_id: int, spec: RequestSpec, session: DbSession,
                    principal: CurrentPrincipal) -> dict[str, Any]:
    """Record an outgoing draft or an incoming request."""
    req = requests.create_request(session, principal, case_id, spec)
    return requests.request_json(req, requests.authority_of(session, req))


@api.get("/{case_id}/exchanges")
def api_exchanges(case_id: int, session: DbSession,
                  principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """The record of exchanges of the case."""
    return [_exchange(e) for e in records.get_case(session, principal, case_id).exchanges]


@api.post("/{case_id}/exchanges", status_code=201)
def api_exchange(case_id: int, spec: ExchangeSpec, session: DbSession,
                 principal: CurrentPrincipal) -> dict[str, Any]:
    """Record information sent to or received from another authority."""
    return _exchange(requests.record_exchange(session, principal, case_id, spec))

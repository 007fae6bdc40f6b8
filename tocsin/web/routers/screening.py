"""Screening: lists and their versions, screening a subject, judgements, alerts, sets.

Pages under ``/screening``, JSON under ``/api/v1/screening`` and the yente-shaped
``POST /api/v1/match/{dataset}``. Every route calls :mod:`tocsin.screening`;
lists are public, subjects are read through the access policy, judgements and
alerts need the write rule of the subject's unit. Batch screens of transaction sets
run on the job runner the investigations router starts.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from tocsin.access.handling import HANDLING_CODES
from tocsin.access.policy import may_write
from tocsin.access.roles import Action
from tocsin.errors import InputError
from tocsin.i18n import N_
from tocsin.jobs import runner
from tocsin.jobs.runner import JobRunner
from tocsin.money import sets as money_sets
from tocsin.money.findings import reason_of
from tocsin.screening import lists, service, yente
from tocsin.screening import sets as screening_sets
from tocsin.screening.readers import FORMATS
from tocsin.web import deps
from tocsin.web.deps import CurrentPrincipal, DbSession, FormRoute
from tocsin.web.routers.investigations import shown_job
from tocsin.web.templating import NavItem, render

NAV = NavItem(N_("Screening"), "/screening", order=85)
pages = APIRouter(prefix="/screening", include_in_schema=False, route_class=FormRoute)
api = APIRouter(tags=["screening"], route_class=FormRoute)


def _wake(request: Request) -> BackgroundTask:
    """Tell this process's runner (started by the investigations router) about a new job."""
    worker: JobRunner | None = getattr(request.app.state, "jobs", None)
    return BackgroundTask(worker.wake if worker is not None else lambda: None)


def _bands(request: Request, threshold: float | None, review: float | None
           ) -> tuple[float, float]:
    settings = deps.settings(request)
    return (settings.screening_threshold if threshold is None else threshold,
            settings.screening_review if review is None else review)


async def _saved(request: Request, files: list[UploadFile], folder: Path) -> list[Path]:
    """Write uploads to ``folder``, refusing any larger than the upload limit."""
    limit = deps.settings(request).upload_max_bytes
    paths = []
    for number, upload in enumerate(files):
        name = Path(upload.filename or f"upload-{number}").name or f"upload-{number}"
        target = folder / name
        size = 0
        with target.open("wb") as out:
            while chunk := await upload.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise InputError.single(name, N_("larger than the upload limit of "
                                                     "%(most)s bytes", most=limit))
                out.write(chunk)
        paths.append(target)
    return paths


async def _import(request: Request, session: Any, principal: Any, fmt: str, key: str,
                  title: str, files: list[UploadFile]) -> tuple[Any, Any]:
    lists.require_import(principal)  # before reading the upload
    if fmt not in FORMATS:
        raise InputError.single("format", N_("use one of %(allowed)s",
                                             allowed=", ".join(FORMATS)))
    if not files:
        raise InputError.single("file", N_("choose the list file (the OFAC CSV set: its "
                                           "files)"))
    folder = Path(tempfile.mkdtemp(prefix="tocsin-list-"))
    try:
        paths = await _saved(request, files, folder)
        return await run_in_threadpool(service.import_list, session, principal, fmt, paths,
                                       key=key or None, title=title or None)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------------------- API: lists


@api.get("/screening/lists")
def api_lists(session: DbSession, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    del principal  # lists are public: every signed-in user reads them
    return [lists.list_view(session, item) for item in lists.all_lists(session)]


@api.get("/screening/lists/{key}")
def api_list(session: DbSession, principal: CurrentPrincipal, key: str) -> dict[str, Any]:
    del principal
    item = lists.get_list(session, key)
    return {**lists.list_view(session, item),
            "versions": [lists.version_view(v) for v in lists.versions(session, item)]}


@api.get("/screening/lists/{key}/versions/{number}")
def api_version(session: DbSession, principal: CurrentPrincipal, key: str,
                number: int) -> dict[str, Any]:
    del principal
    item = lists.get_list(session, key)
    version = lists.get_version(session, item, number)
    return {**lists.version_view(version),
            "changes": [{"entity_id": c.entity_id, "change": c.change, "caption": c.caption,
                         "fields": c.fields} for c in lists.changes(session, version)]}


@api.post("/screening/lists", status_code=201)
async def api_import(request: Request, session: DbSession, principal: CurrentPrincipal,
                     format: Annotated[str, Form()],
                     file: Annotated[list[UploadFile], File()],
                     key: Annotated[str, Form()] = "",
                     title: Annotated[str, Form()] = "") -> dict[str, Any]:
    report, rescreen = await _import(request, session, principal, format, key, title, file)
    return {"list": report.list_key, "version": report.number, "entries": report.entries,
            "added": len(report.added), "removed": len(report.removed),
            "changed": len(report.changed), "unchanged": report.unchanged,
            "notes": [{"location": n.location, "reason": str(n.reason)}
                      for n in report.notes[:200]], "notes_count": len(report.notes),
            "rescreened": {"entries": rescreen.entries, "subjects": rescreen.subjects,
                           "alerts": rescreen.alerts}}


# --------------------------------------------------------------------------- API: screening


class EntityIn(BaseModel):
    id: str | None = Field(default=None, max_length=200)
    schema_: str = Field(alias="schema", max_length=40)
    properties: dict[str, list[str]] = Field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "schema": self.schema_, "properties": self.properties}


class ScreenIn(BaseModel):
    entities: list[EntityIn] = Field(min_length=1, max_length=service.MAX_SUBJECTS)
    lists: list[str] = Field(default_factory=list)
    threshold: float | None = Field(default=None, gt=0, le=1)
    review: float | None = Field(default=None, gt=0, le=1)
    handling: str = "AMBER"


def _stores(principal: Any) -> bool:
    return bool(principal.unit_id is not None and may_write(principal, principal.unit_id))


@api.post("/screening/screen")
def api_screen(request: Request, session: DbSession, principal: CurrentPrincipal,
               body: ScreenIn) -> dict[str, Any]:
    """Screen subjects; a user who may write records of the unit keeps them (and their
    judgements and alerts), anyone else gets the same answer as a preview."""
    threshold, review = _bands(request, body.threshold, body.review)
    stores = _stores(principal)
    found = service.screen_entities(session, principal, [e.as_dict() for e in body.entities],
                                    lists=body.lists or None, threshold=threshold,
                                    review=review, handling=body.handling, origin="api",
                                    remember=stores)
    return {"threshold": threshold, "review": review, "stored": stores, "preview": not stores,
            "results": [r.to_dict() for r in found]}


@api.post("/match/{dataset}")
def api_match(request: Request, session: DbSession, principal: CurrentPrincipal,
              dataset: str, body: yente.MatchRequest, limit: int = 5,
              threshold: float | None = None) -> dict[str, Any]:
    """yente's ``/match``: FtM-shaped queries in, scored and explained results out.

    ``dataset`` is a list key, or ``default``/``all`` for every list. Nothing is kept.
    """
    threshold, review = _bands(request, threshold, None)
    return yente.match(session, principal, dataset, body, limit=limit, threshold=threshold,
                       review=min(review, threshold))


@api.get("/screening/subjects")
def api_subjects(session: DbSession, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    return [{"id": s.id, "caption": s.caption, "schema": s.schema, "origin": s.origin,
             "handling": s.handling, "screened_at": s.screened_at.isoformat()}
            for s in service.subjects(session, principal)]


@api.get("/screening/subjects/{subject_id}")
def api_subject(session: DbSession, principal: CurrentPrincipal,
                subject_id: int) -> dict[str, Any]:
    return service.subject_view(session, principal, subject_id)


class JudgementIn(BaseModel):
    list: str = Field(max_length=60)
    entity_id: str = Field(max_length=200)
    verdict: str
    note: str = Field(default="", max_length=4000)


@api.post("/screening/subjects/{subject_id}/judgements")
def api_judge(session: DbSession, principal: CurrentPrincipal, subject_id: int,
              body: JudgementIn) -> dict[str, Any]:
    found = service.judge(session, principal, subject_id, body.list, body.entity_id,
                          body.verdict, body.note)
    return {"subject_id": subject_id, "list": found.list_key, "entity_id": found.entity_id,
            **service.judgement_view(found)}


@api.get("/screening/alerts")
def api_alerts(session: DbSession, principal: CurrentPrincipal,
               status: str = "open") -> list[dict[str, Any]]:
    if status not in ("open", "closed"):
        raise InputError.single("status", "use open or closed")
    return service.alerts(session, principal, status=status)


@api.post("/screening/alerts/{alert_id}/close")
def api_close_alert(session: DbSession, principal: CurrentPrincipal,
                    alert_id: int) -> dict[str, Any]:
    service.close_alert(session, principal, alert_id)
    return {"id": alert_id, "status": "closed"}


# --------------------------------------------------------------------------- API: sets


class SetScreenIn(BaseModel):
    lists: list[str] = Field(default_factory=list)
    threshold: float | None = Field(default=None, gt=0, le=1)
    review: float | None = Field(default=None, gt=0, le=1)


@api.post("/screening/sets/{set_id}/screen", status_code=202)
def api_screen_set(request: Request, session: DbSession, principal: CurrentPrincipal,
                   set_id: int, body: SetScreenIn | None = None) -> JSONResponse:
    """Screen every party of a set as a background job; poll the job for progress."""
    body = body or SetScreenIn()
    job = screening_sets.submit_screen(session, principal, set_id, lists=body.lists or None,
                                       threshold=body.threshold, review=body.review)
    return JSONResponse({"job": shown_job(request, runner.view(job))}, status_code=202,
                        headers={"Location": f"/api/v1/investigations/jobs/{job.id}"},
                        background=_wake(request))


@api.post("/screening/sets/{set_id}/listed-parties")
def api_listed_parties(request: Request, session: DbSession, principal: CurrentPrincipal,
                       set_id: int, body: SetScreenIn | None = None) -> dict[str, Any]:
    """Detector "payment to or from a listed party", run now (a preview for readers)."""
    body = body or SetScreenIn()
    return screening_sets.listed_party(session, principal, deps.settings(request), set_id,
                                       lists=body.lists or None, threshold=body.threshold,
                                       review=body.review)


class CounterpartiesIn(BaseModel):
    finding: str = Field(max_length=200)
    lists: list[str] = Field(default_factory=list)


@api.post("/screening/sets/{set_id}/counterparties")
def api_counterparties(request: Request, session: DbSession, principal: CurrentPrincipal,
                       set_id: int, body: CounterpartiesIn) -> dict[str, Any]:
    """Screen the counterparties of one finding (a preview for readers)."""
    return screening_sets.counterparties(session, principal, deps.settings(request), set_id,
                                         body.finding, lists=body.lists or None)


# --------------------------------------------------------------------------- pages


def _overview(request: Request, session: Any, principal: Any, **extra: Any) -> Response:
    return render(request, "screening/index.html",
                  lists=[lists.list_view(session, x) for x in lists.all_lists(session)],
                  alerts=service.alerts(session, principal),
                  subjects=service.subjects(session, principal, limit=50),
                  formats=FORMATS, handling_codes=HANDLING_CODES,
                  may_import=principal.can(Action.WRITE_OWN_UNIT),
                  stores=_stores(principal), settings=deps.settings(request), **extra)


@pages.get("", response_class=HTMLResponse)
def overview(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    return _overview(request, session, principal)


@pages.post("/screen", response_class=HTMLResponse)
def screen_form(request: Request, session: DbSession, principal: CurrentPrincipal,
                name: Annotated[str, Form(max_length=500)],
                entity_type: Annotated[str, Form()] = "Person",
                birth_date: Annotated[str, Form(max_length=10)] = "",
                country: Annotated[str, Form(max_length=100)] = "",
                id_number: Annotated[str, Form(max_length=100)] = "",
                gender: Annotated[str, Form(max_length=10)] = "",
                handling: Annotated[str, Form()] = "AMBER") -> Response:
    """Screen one subject typed into the form; the results page explains every score."""
    schema = entity_type
    if schema not in ("Person", "Company", "Organization", "LegalEntity", "Vessel"):
        raise InputError.single("entity_type", "use Person, Company, Organization, LegalEntity or "
                                          "Vessel")
    properties: dict[str, list[str]] = {"name": [name]}
    if birth_date and schema == "Person":
        properties["birthDate"] = [birth_date]
    if country:
        properties["nationality" if schema == "Person" else "country"] = [country]
    if id_number:
        properties["idNumber" if schema != "Vessel" else "imoNumber"] = [id_number]
    if gender and schema == "Person":
        properties["gender"] = [gender]
    stores = _stores(principal)
    threshold, review = _bands(request, None, None)
    [found] = service.screen_entities(session, principal,
                                      [{"schema": schema, "properties": properties}],
                                      handling=handling, origin="form", remember=stores,
                                      threshold=threshold, review=review)
    return _overview(request, session, principal, screened=found.to_dict(),
                     threshold=threshold, review=review)


@pages.post("/lists")
async def import_form(request: Request, session: DbSession, principal: CurrentPrincipal,
                      format: Annotated[str, Form()],
                      file: Annotated[list[UploadFile], File()],
                      key: Annotated[str, Form()] = "",
                      title: Annotated[str, Form()] = "") -> Response:
    report, _ = await _import(request, session, principal, format, key, title, file)
    return RedirectResponse(f"/screening/lists/{report.list_key}?version={report.number}",
                            status_code=303)


@pages.get("/lists/{key}", response_class=HTMLResponse)
def list_page(request: Request, session: DbSession, principal: CurrentPrincipal, key: str,
              version: int | None = None) -> Response:
    del principal
    item = lists.get_list(session, key)
    versions = lists.versions(session, item)
    shown = lists.get_version(session, item, version) if version else \
        (versions[0] if versions else None)
    return render(request, "screening/list.html", listing=lists.list_view(session, item),
                  versions=[lists.version_view(v) for v in versions],
                  shown=lists.version_view(shown) if shown else None,
                  changes=lists.changes(session, shown) if shown else [],
                  sample=lists.entries(session, shown.id, limit=50) if shown else [])


@pages.get("/subjects/{subject_id}", response_class=HTMLResponse)
def subject_page(request: Request, session: DbSession, principal: CurrentPrincipal,
                 subject_id: int) -> Response:
    view = service.subject_view(session, principal, subject_id)
    subject = service.get_subject(session, principal, subject_id)
    return render(request, "screening/subject.html", subject=view,
                  may_judge=principal.can(Action.JUDGE)
                  and may_write(principal, subject.owner_unit_id))


@pages.post("/subjects/{subject_id}/judge")
def judge_form(session: DbSession, principal: CurrentPrincipal, subject_id: int,
               list_key: Annotated[str, Form(max_length=60)],
               entity_id: Annotated[str, Form(max_length=200)],
               verdict: Annotated[str, Form()],
               note: Annotated[str, Form(max_length=4000)] = "") -> Response:
    service.judge(session, principal, subject_id, list_key, entity_id, verdict, note)
    return RedirectResponse(f"/screening/subjects/{subject_id}", status_code=303)


@pages.post("/alerts/{alert_id}/close")
def close_alert_form(session: DbSession, principal: CurrentPrincipal,
                     alert_id: int) -> Response:
    service.close_alert(session, principal, alert_id)
    return RedirectResponse("/screening", status_code=303)


@pages.get("/sets/{set_id}", response_class=HTMLResponse)
def set_page(request: Request, session: DbSession, principal: CurrentPrincipal,
             set_id: int) -> Response:
    """Screen a set: all its parties as a job, the listed-party detector, and the
    counterparties of each finding of its latest detection run."""
    item = money_sets.get_set(session, principal, set_id)
    run = money_sets.load_findings(session, principal, deps.settings(request), set_id) or {}
    return render(request, "screening/set.html", item=item,
                  findings=[{**f, "reason": reason_of(f)}
                            for f in list(run.get("findings", []))[:200]],
                  stores=money_sets.may_store_results(principal, item))


@pages.post("/sets/{set_id}/counterparties", response_class=HTMLResponse)
def counterparties_form(request: Request, session: DbSession, principal: CurrentPrincipal,
                        set_id: int, finding: Annotated[str, Form(max_length=200)]
                        ) -> Response:
    """The "screen counterparties" action of a finding: results on the page."""
    found = screening_sets.counterparties(session, principal, deps.settings(request), set_id,
                                          finding)
    item = money_sets.get_set(session, principal, set_id)
    return render(request, "screening/set.html", item=item, findings=[], screened=found,
                  stores=found["stored"])


@pages.post("/sets/{set_id}/listed-parties", response_class=HTMLResponse)
def listed_parties_form(request: Request, session: DbSession, principal: CurrentPrincipal,
                        set_id: int) -> Response:
    """Run the listed-party detector now and show its findings."""
    found = screening_sets.listed_party(session, principal, deps.settings(request), set_id)
    item = money_sets.get_set(session, principal, set_id)
    return render(request, "screening/set.html", item=item, findings=[], detected=found,
                  stores=found["stored"])


@pages.post("/sets/{set_id}/screen")
def screen_set_form(request: Request, session: DbSession, principal: CurrentPrincipal,
                    set_id: int) -> Response:
    job = screening_sets.submit_screen(session, principal, set_id)
    return RedirectResponse(f"/screening/sets/{set_id}?job={job.id}", status_code=303,
                            background=_wake(request))


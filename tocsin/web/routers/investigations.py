"""Investigations: follow the money through a transaction set in the browser.

Pages under ``/investigations`` (the list with the upload form, the network
diagram, the trace view and the timeline) and the JSON they draw from under
``/api/v1/investigations``. Every read goes through the transaction-set
registry, so a set the user may not read is "not found" here too; long work
(ingest, detection, scoring, large traces) runs as a background job owned by
the user who started it. ``lifespan`` starts this process's job runner with the
application and stops it with it.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from tocsin import i18n, types, uploads
from tocsin.access import policy, users
from tocsin.access.handling import HANDLING_CODES
from tocsin.access.principal import Principal
from tocsin.access.roles import Action
from tocsin.errors import InputError
from tocsin.i18n import N_
from tocsin.jobs.runner import JobRunner
from tocsin.jobs.tables import Job
from tocsin.money import detect, jobs, mappings, sets, views, wizard
from tocsin.money import rates as rates_mod
from tocsin.money.detect import describe
from tocsin.money.export import EXPORT_FORMATS, Selection
from tocsin.money.findings import reason_shown
from tocsin.money.ingest import FORMATS
from tocsin.money.ingest import suggest as suggest_mod
from tocsin.money.score import part_title
from tocsin.money.tables import TransactionSet
from tocsin.money.trace import RULES, TraceConfig
from tocsin.settings import Settings
from tocsin.web import deps
from tocsin.web.deps import CurrentPrincipal, DbSession, FormRoute
from tocsin.web.templating import NavItem, render, request_language

NAV = NavItem(N_("Investigations"), "/investigations", order=80)
pages = APIRouter(prefix="/investigations", include_in_schema=False, route_class=FormRoute)
api = APIRouter(prefix="/investigations", tags=["investigations"], route_class=FormRoute)

EXPORT_TYPES = {"csv": ("text/csv", "csv"), "ftm": ("application/x-ndjson", "ftm.json"),
                "gexf": ("application/xml", "gexf"), "graphml": ("application/xml", "graphml")}


# --------------------------------------------------------------------------- helpers


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run this process's job runner while the application runs (in threads: it uses the DB)."""
    from tocsin.screening.sets import HANDLERS as SCREENING  # batch screens of sets

    runner = JobRunner(app.state.db, app.state.settings, {**jobs.HANDLERS, **SCREENING})
    await run_in_threadpool(runner.start)
    app.state.jobs = runner
    try:
        yield
    finally:
        app.state.jobs = None
        await run_in_threadpool(runner.stop)


def _wake(request: Request) -> BackgroundTask:
    """Tell this process's runner about a new job once the request's transaction committed."""
    runner: JobRunner | None = getattr(request.app.state, "jobs", None)
    return BackgroundTask(runner.wake if runner is not None else lambda: None)


def _set(session: Session, principal: Principal, set_id: int) -> TransactionSet:
    return sets.get_set(session, principal, set_id)


def _set_dir(request: Request, record: TransactionSet) -> Path:
    return sets.set_path(deps.settings(request), record)


def _set_view(record: TransactionSet, units: dict[int, str]) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "description": record.description,
        "handling": record.handling,
        "owner_unit": units.get(record.owner_unit_id, ""),
        "format": record.format,
        # a message: a page writes it in its language, the JSON API in the caller's
        "format_shown": SET_FORMATS.get(record.format, record.format),
        "base_currency": record.base_currency,
        "transactions": record.transaction_count,
        "accounts": record.account_count,
        "parties": record.party_count,
        "has_labels": record.has_labels,
        "created_at": record.created_at.isoformat(timespec="seconds"),
    }


def _unit_codes(session: Session) -> dict[int, str]:
    return {u.id: u.code for u in users.list_units(session)}


def shown_job(request: Request, data: dict[str, Any]) -> dict[str, Any]:
    """A job as the API gives it: in English, with ``shown`` (its state, message, error and
    problems) in the language of the page that asks, and the reasons of the findings of
    a detection result as well (``reason_shown``)."""
    with i18n.using(request_language(request)):
        out = {**data, "shown": i18n.as_text(data.get("shown") or {})}
        result = out.get("result")
        if isinstance(result, dict):
            out["result"] = shown_run(request, result)
            if isinstance(result.get("notes"), list):  # what an import left out, translated
                kept = result.get("notes_message") or []
                out["result"]["notes_shown"] = [
                    str(i18n.from_data(kept[i] if i < len(kept) else None, note))
                    for i, note in enumerate(result["notes"])]
    return out


def shown_run(request: Request, run: dict[str, Any]) -> dict[str, Any]:
    """A detection run with each finding's reason in the language of the page that asks
    (``reason_shown``; ``reason`` stays English); a risk ranking with each contribution's
    ``detail_shown`` likewise, and a trace's explanations and end points (``explanation_shown``,
    ``end_shown``)."""
    with i18n.using(request_language(request)):
        if isinstance(run.get("findings"), list):
            run = {**run, "findings": [_finding_shown(f) for f in run["findings"]]}
        if isinstance(run.get("trace"), dict) and isinstance(run.get("sankey"), dict):
            run = views.trace_shown(run)
        model = run.get("model")
        if isinstance(model, dict):  # the supervised model's ranking: its source or error
            model = model | {
                f"{key}_shown": str(i18n.from_data(model.get(f"{key}_message"), model[key]))
                for key in ("error", "source") if isinstance(model.get(key), str)}
            for level in ("accounts", "transactions"):  # each score's reasons, in words
                if isinstance(model.get(level), list):
                    model[level] = [ranked | {"reasons": [
                        r | {"text_shown": str(i18n.from_data(r.get("text_message"),
                                                              r.get("text", r.get("feature"))))}
                        for r in ranked.get("reasons", [])]} for ranked in model[level]]
            run = {**run, "model": model}
        if isinstance(run.get("accounts"), list) and run.get("scored") is not None:
            run = {**run, "accounts": [
                {**risk, "contributions": [
                    c | {"detail_shown": str(i18n.from_data(c.get("detail_message"),
                                                            c.get("detail", ""))),
                         "title_shown": str(part_title(str(c.get("name", ""))))}
                    for c in risk.get("contributions", [])]}
                for risk in run["accounts"]]}
    return run


def _finding_shown(entry: dict[str, Any]) -> dict[str, Any]:
    """A stored finding with its reason, its judgement and its detector's title in the
    current language (``detector`` stays the detector's name)."""
    return reason_shown(entry) | {"detector_shown": str(detect.title(str(entry.get("detector"))))}


def _started(request: Request, job: Job, stores: bool = False) -> JSONResponse:
    """202 with the job to poll; ``stored`` says whether its result will be kept with the
    set (findings of a user who may change it), ``preview`` the opposite."""
    return JSONResponse({"job": shown_job(request, jobs.runner.view(job)), "stored": stores,
                         "preview": not stores},
                        status_code=202,
                        headers={"Location": f"/api/v1/investigations/jobs/{job.id}"},
                        background=_wake(request))


def _background(requested: bool | None, record: TransactionSet) -> bool:
    if requested is not None:
        return requested
    return record.transaction_count > jobs.SYNC_LIMIT


def _time(value: str | None, where: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError.single(where, N_("use a date like 2024-03-01 or 2024-03-01T10:00")) \
            from None


def _window(since: str | None, until: str | None, min_amount: float) -> views.Window:
    return views.Window(since=_time(since, "since"), until=_time(until, "until"),
                        min_amount=min_amount)


# --------------------------------------------------------------------------- pages

#: Format codes as people know them (the import form's picker).
FORMAT_LABELS = {"csv": N_("CSV or Excel file with a column mapping file"),
                 "amlworld": N_("AMLworld transactions (IBM, CSV)"),
                 "amlsim": N_("AMLSim simulation (IBM, CSV)"),
                 "goaml": N_("goAML report (XML)"),
                 "camt053": N_("Bank statement, ISO 20022 camt.053 (XML)"),
                 "ftm": N_("FollowTheMoney entities (JSON lines)"),
                 "bitcoin": N_("Bitcoin blocks or transactions"),
                 "ethereum": N_("Ethereum transactions (ethereum-etl CSV)")}
#: A set's format in a few words (the list of sets and the set's pages).
SET_FORMATS = {"csv": N_("CSV or Excel"), "amlworld": N_("AMLworld (IBM)"),
               "amlsim": N_("AMLSim (IBM)"), "goaml": N_("goAML report"),
               "camt053": N_("camt.053 statement"), "ftm": N_("FollowTheMoney"),
               "bitcoin": N_("Bitcoin"), "ethereum": N_("Ethereum")}
#: The downloads of a set or a finding, as people know them.
EXPORT_LABELS = {"csv": N_("CSV table"), "ftm": N_("FollowTheMoney (JSON lines)"),
                 "gexf": N_("GEXF (Gephi)"), "graphml": N_("GraphML")}
#: The kinds of background jobs, as the list of jobs names them.
JOB_KINDS = {"ingest": N_("File import"), "detect": N_("Detection"), "trace": N_("Tracing"),
             "score": N_("Account ranking")}


@pages.get("", response_class=HTMLResponse)
def set_list(request: Request, session: DbSession, principal: CurrentPrincipal,
             job: str = "") -> Response:
    units = users.list_units(session)
    codes = {u.id: u.code for u in units}
    own = next((u.code for u in units if u.id == principal.unit_id), "")
    return render(request, "investigations/list.html",
                  sets=[_set_view(s, codes) for s in sets.list_sets(session, principal)],
                  jobs=jobs.job_list(session, principal, limit=10),
                  units=sets.owner_units(principal, units), own_unit=own,
                  handling_codes=HANDLING_CODES, currencies=types.currency.choices(),
                  formats=[(f, FORMAT_LABELS.get(f, f)) for f in sorted(FORMATS)],
                  job_kinds=JOB_KINDS,
                  can_upload=principal.can(Action.WRITE_OWN_UNIT), job=job,
                  max_mb=deps.settings(request).upload_max_bytes // (1024 * 1024))


def _page(request: Request, session: Session, principal: Principal, set_id: int,
          template: str, **context: Any) -> Response:
    record = _set(session, principal, set_id)
    view = _set_view(record, _unit_codes(session))
    return render(request, template, set=view, detectors=describe(), rules=RULES,
                  can_export=principal.can(Action.EXPORT),
                  formats=[(f, EXPORT_LABELS.get(f, f)) for f in EXPORT_FORMATS], **context)


@pages.get("/sets/{set_id}", response_class=HTMLResponse)
def network_page(set_id: int, request: Request, session: DbSession,
                 principal: CurrentPrincipal, account: str = "") -> Response:
    return _page(request, session, principal, set_id, "investigations/network.html",
                 account=account)


@pages.get("/sets/{set_id}/trace", response_class=HTMLResponse)
def trace_page(set_id: int, request: Request, session: DbSession, principal: CurrentPrincipal,
               account: str = "", transaction: str = "") -> Response:
    return _page(request, session, principal, set_id, "investigations/trace.html",
                 account=account, transaction=transaction)


@pages.get("/sets/{set_id}/timeline", response_class=HTMLResponse)
def timeline_page(set_id: int, request: Request, session: DbSession,
                  principal: CurrentPrincipal, account: str = "") -> Response:
    return _page(request, session, principal, set_id, "investigations/timeline.html",
                 account=account)


# --------------------------------------------------------------------------- import wizard

_WIZARD_SIDES = ((N_("The payment"), "transaction."), (N_("Who paid"), "source."),
                 (N_("Who was paid"), "target."))


@pages.get("/import", response_class=HTMLResponse)
def import_start(request: Request, principal: CurrentPrincipal) -> Response:
    """Step 1 of the guided import: choose the file."""
    policy.require(principal, Action.WRITE_OWN_UNIT)
    return render(request, "investigations/import_start.html",
                  max_mb=deps.settings(request).upload_max_bytes // (1024 * 1024))


@pages.post("/import")
async def import_upload(request: Request, principal: CurrentPrincipal,
                        file: Annotated[UploadFile, File()],
                        rates: Annotated[UploadFile | None, File()] = None) -> Response:
    """Receive the file (and the exchange rates sent with it) and go on to its suggested
    mapping."""
    policy.require(principal, Action.WRITE_OWN_UNIT)
    settings = deps.settings(request)
    upload = await _receive(file, settings)
    rates_path, rates_name = None, ""
    if rates is not None and rates.filename:  # as the direct upload keeps it
        rates_name = Path(rates.filename).name or "rates"
        rates_path = await _receive(rates, settings, upload.parent,
                                    rates_mod.upload_name(rates.filename))
    token = await run_in_threadpool(wizard.receive, settings, principal, upload,
                                    Path(file.filename or "upload").name or "upload",
                                    rates_path, rates_name)
    return RedirectResponse(f"/investigations/import/{token}", status_code=303)


def _wizard_page(request: Request, session: Session, principal: Principal,
                 upload: wizard.Upload, choice: suggest_mod.Suggestion,
                 shown: suggest_mod.Preview | None, form: dict[str, str],
                 error: str = "", status_code: int = 200,
                 offer_again: bool = False) -> Response:
    settings = deps.settings(request)
    units = users.list_units(session)
    own = next((u.code for u in units if u.id == principal.unit_id), "")
    groups = [(title, [(key, label) for key, label in suggest_mod.FIELDS.items()
                       if key.startswith(prefix)]) for title, prefix in _WIZARD_SIDES]
    problems = list(dict.fromkeys((p.location, p.reason) for p in (shown.problems
                                                                     if shown else [])))
    currencies = types.currency.choices()
    convertible = wizard.base_currencies(upload)
    bases = [c for c in currencies if c.value in convertible]
    return render(request, "investigations/import_mapping.html", status_code=status_code,
                  upload=upload, rates=upload.rate_table, choice=choice, preview=shown,
                  groups=groups,
                  problems=[{"location": loc, "reason": why} for loc, why in problems],
                  error=error, form=form, units=sets.owner_units(principal, units),
                  own_unit=own, offer_again=offer_again,
                  handling_codes=HANDLING_CODES, currencies=currencies, bases=bases,
                  base=wizard.default_base(upload),
                  date_formats=suggest_mod.DATE_FORMATS, decimals=suggest_mod.DECIMALS,
                  delimiters=suggest_mod.DELIMITERS,
                  saved=mappings.list_saved(settings, principal))


@pages.get("/import/{token}", response_class=HTMLResponse)
def import_mapping(token: str, request: Request, session: DbSession,
                   principal: CurrentPrincipal) -> Response:
    """Step 2: the suggested mapping in a form, with the preview of the first rows."""
    settings = deps.settings(request)
    upload = wizard.open_upload(settings, principal, token)
    if upload.job is not None:
        return RedirectResponse(f"/investigations?job={upload.job}#jobs", status_code=303)
    choice = wizard.suggestion(settings, principal, upload)
    return _wizard_page(request, session, principal, upload, choice,
                        wizard.check(upload, choice, base_currency=wizard.default_base(upload)),
                        {"name": Path(upload.name).stem})


def _choice_from(form: Any, base: suggest_mod.Suggestion) -> suggest_mod.Suggestion:
    fields = {key: str(form.get(f"field:{key}", "")) for key in suggest_mod.FIELDS}
    return base.choose(fields, currency=str(form.get("currency", "")) or None,
                       date_format=str(form.get("date_format", "")) or None,
                       decimal=str(form.get("decimal", ".")),
                       negative_swaps=form.get("negative") == "swap")


@pages.post("/import/{token}")
async def import_submit(token: str, request: Request, session: DbSession,
                        principal: CurrentPrincipal) -> Response:
    """Step 3: update the preview, use a saved mapping, or import."""
    settings = deps.settings(request)
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    action = values.get("action", "preview")

    def work() -> Response:
        upload = wizard.open_upload(settings, principal, token)
        if upload.job is not None:
            return RedirectResponse(f"/investigations?job={upload.job}#jobs", status_code=303)
        if action == "cancel":
            wizard.discard(settings, principal, token)
            return RedirectResponse("/investigations", status_code=303)
        base = wizard.suggestion(settings, principal, upload,
                                 saved=values.get("saved") if action == "use-saved" else None)
        try:
            choice = base if action == "use-saved" else _choice_from(values, base)
        except InputError as exc:
            return _wizard_page(request, session, principal, upload, base,
                                suggest_mod.Preview([], exc.problems, 0), values,
                                status_code=422)
        if action != "import":
            return _wizard_page(request, session, principal, upload, choice, wizard.check(
                upload, choice,
                base_currency=values.get("base_currency") or wizard.default_base(upload)),
                values)
        try:
            job = wizard.submit(session, principal, settings, upload, choice,
                                values.get("name", ""), values.get("handling", ""),
                                values.get("unit", ""), values.get("description", ""),
                                values.get("base_currency") or wizard.default_base(upload),
                                values.get("save_as", ""), again=values.get("again") == "1")
        except InputError as exc:
            return _wizard_page(request, session, principal, upload, choice,
                                suggest_mod.Preview([], exc.problems, 0), values,
                                error=exc.summary, status_code=422,
                                offer_again=any(p.location == wizard.ALREADY_IMPORTED
                                                for p in exc.problems))
        return RedirectResponse(f"/investigations?job={job.id}#jobs", status_code=303,
                                background=_wake(request))

    return await run_in_threadpool(work)


# --------------------------------------------------------------------------- API: sets


def _set_shown(view: dict[str, Any], request: Request) -> dict[str, Any]:
    """A set's view for the JSON API: its format in words of the caller's language."""
    with i18n.using(request_language(request)):
        return view | {"format_shown": i18n.translate(view["format_shown"])}


@api.get("/sets")
def api_sets(request: Request, session: DbSession, principal: CurrentPrincipal
             ) -> list[dict[str, Any]]:
    """The transaction sets the caller may read, newest first."""
    codes = _unit_codes(session)
    return [_set_shown(_set_view(s, codes), request)
            for s in sets.list_sets(session, principal)]


@api.get("/sets/{set_id}")
def api_set(set_id: int, request: Request, session: DbSession, principal: CurrentPrincipal
            ) -> dict[str, Any]:
    """One transaction set with its counts."""
    return _set_shown(_set_view(_set(session, principal, set_id), _unit_codes(session)),
                      request)


@pages.post("/jobs/{job_id}/run-again")
def run_again_page(job_id: str, request: Request, session: DbSession,
                   principal: CurrentPrincipal) -> Response:
    """The page's "Run again" button: queue the job again and go back to the list."""
    jobs.run_again(session, principal, job_id)
    return RedirectResponse("/investigations#jobs", status_code=303, background=_wake(request))


@api.post("/sets", status_code=202)
async def api_upload(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="The transaction file")],
    format: Annotated[str, Form()],
    name: Annotated[str, Form(min_length=1, max_length=200)],
    handling: Annotated[str, Form()],
    unit: Annotated[str, Form()],
    description: Annotated[str, Form(max_length=4000)] = "",
    base_currency: Annotated[str, Form(min_length=3, max_length=3)] = "EUR",
    mapping: Annotated[UploadFile | None, File(description="YAML column mapping (csv/xlsx)")]
    = None,
    rates: Annotated[UploadFile | None, File(
        description="Exchange rates into the base currency, YAML or CSV (default: the "
                    "indicative table shipped with Tocsin)")] = None,
) -> Response:
    """Upload a file and import it in the background; returns the job to poll.

    The owner and handling code are checked before the file is received; the
    database is used from the thread pool only, never on the event loop.
    """
    settings = deps.settings(request)
    owner_id = await run_in_threadpool(sets.check_owner, session, principal, unit, handling)
    upload = await _receive(file, settings)
    try:
        mapping_path = rates_path = None
        if mapping is not None and mapping.filename:
            mapping_path = await _receive(mapping, settings, upload.parent, "mapping.yaml")
        if rates is not None and rates.filename:  # the table's format is told by its suffix
            rates_path = await _receive(rates, settings, upload.parent,
                                        rates_mod.upload_name(rates.filename))
        # Errors name the files as the user knows them, never by their place on the server.
        names = {"file": Path(file.filename or "upload").name or "upload",
                 "mapping": Path(mapping.filename or "mapping.yaml").name
                 if mapping is not None and mapping_path is not None else "mapping.yaml",
                 "rates": Path(rates.filename or "rates.yaml").name
                 if rates is not None and rates_path is not None else "rates.yaml"}
        job = await run_in_threadpool(
            jobs.start_ingest, session, principal, settings, upload, format, name.strip(),
            handling.strip(), owner_id, description, base_currency.upper(), mapping_path,
            names, rates=rates_path)
    except BaseException:
        jobs.remove_upload(upload)
        raise
    return _started(request, job, stores=True)


#: The names the files sent beside an upload are kept under in its folder.
_BESIDE = {"mapping.yaml", "rates.csv", "rates.yaml", wizard.STATE_FILE}


def _kept_name(filename: str | None) -> str:
    """The name an upload is kept under in its private folder: the sender's own (the
    importers write it into each payment's source file and id, so a score or a finding
    names "line 3,478 of Bank31_Trans.csv", not of "upload.csv"), without folders,
    characters other than letters, digits, spaces and ``. - _ ( )``, or leading dots; its
    extension (which tells the importer the file's kind) in lower case. A name that is
    left empty, or that a file sent beside it takes, is ``upload`` and the extension."""
    name = re.split(r"[/\\]", filename or "")[-1]
    suffix = Path(name).suffix.lower()[:8]
    safe = suffix if suffix.isascii() and suffix[1:].isalnum() else ""
    stem = re.sub(r"[^\w .()\-]", "_", name[:len(name) - len(suffix)] if suffix else name)
    kept = f"{stem.strip(' .')[:120]}{safe}"
    return kept if kept != safe and kept.lower() not in _BESIDE else f"upload{safe}"


async def _receive(file: UploadFile, settings: Settings, folder: Path | None = None,
                   name: str | None = None) -> Path:
    """Stream an upload into a private folder, refusing files over the size limit."""
    folder = folder or Path(tempfile.mkdtemp(prefix="upload-",
                                             dir=uploads.uploads_folder(settings)))
    target = folder / (name or _kept_name(file.filename))
    size = 0
    try:
        with target.open("wb") as out:
            while chunk := await file.read(1024 * 1024):
                size += len(chunk)
                if size > settings.upload_max_bytes:
                    raise InputError.single("file", N_(
                        "larger than the limit of %(size)s bytes",
                        size=format(settings.upload_max_bytes, ",")))
                out.write(chunk)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if size == 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise InputError.single("file", N_("the file is empty"))
    return target


# --------------------------------------------------------------------------- API: jobs


@api.get("/jobs")
def api_jobs(request: Request, session: DbSession, principal: CurrentPrincipal,
             everyone: bool = False) -> list[dict[str, Any]]:
    """The caller's background jobs, newest first, without their results
    (``everyone``: an administrator sees every user's)."""
    return [shown_job(request, j) for j in jobs.job_list(session, principal, everyone=everyone)]


@api.get("/jobs/{job_id}")
def api_job(job_id: str, request: Request, session: DbSession,
            principal: CurrentPrincipal) -> dict[str, Any]:
    """State, progress and, when done, the result or error of one of the caller's jobs."""
    return shown_job(request, jobs.job_view(session, principal, deps.settings(request), job_id))


@api.post("/jobs/{job_id}/run-again", status_code=202)
def api_run_again(job_id: str, request: Request, session: DbSession,
                  principal: CurrentPrincipal) -> Response:
    """Run a failed or interrupted job again, as a new job; returns the new job."""
    return _started(request, jobs.run_again(session, principal, job_id))


# --------------------------------------------------------------------------- API: analysis


@api.get("/detectors")
def api_detectors(_p: CurrentPrincipal) -> list[dict[str, Any]]:
    """Every detector: name, title, what it looks for and its default settings."""
    return describe()


class DetectRequest(BaseModel):
    detectors: list[str] = Field(default_factory=list,
                                 description="Detector names; empty runs all of them.")
    config: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Settings per detector, e.g. "
        '{"structuring": {"threshold": 15000}}.')
    background: bool | None = Field(None, description="Run as a job; default: for large sets.")


@api.post("/sets/{set_id}/detect")
def api_detect(set_id: int, body: DetectRequest, request: Request, session: DbSession,
               principal: CurrentPrincipal) -> Response:
    """Run detectors; the findings (with reasons) become the set's latest run.

    Only a user who may change the set keeps the findings (``stored``: true); anyone
    else who may read it gets them as a preview and the set's findings stay as they are.
    """
    record = _set(session, principal, set_id)
    settings = deps.settings(request)
    if _background(body.background, record):
        return _started(request, jobs.start_detect(session, principal, settings, record.id,
                                                   body.detectors, body.config),
                        sets.may_store_results(principal, record))
    detectors = jobs.detectors_from(body.detectors, body.config)
    return JSONResponse(shown_run(request, jobs.detect_now(session, principal, settings,
                                                           record.id, detectors)))


@api.get("/sets/{set_id}/findings")
def api_findings(set_id: int, request: Request, session: DbSession,
                 principal: CurrentPrincipal) -> dict[str, Any]:
    """The latest detection run of the set (``findings`` is null before the first)."""
    stored = sets.load_findings(session, principal, deps.settings(request), set_id)
    return shown_run(request, stored) if stored else {
        "run_at": None, "detectors": [], "configs": {}, "findings": None}


class TraceRequest(BaseModel):
    accounts: list[str] = Field(default_factory=list)
    transactions: list[str] = Field(default_factory=list)
    direction: Literal["forward", "backward"] = "forward"
    rule: Literal["fifo", "lifo", "haircut", "poison"] = "fifo"
    hops: int = Field(4, ge=1, le=12)
    window_hours: float = Field(30 * 24.0, gt=0, le=5 * 365 * 24.0)
    min_amount: float = Field(1.0, ge=0)
    since: datetime | None = Field(None, description="From an account: payments from then on.")
    background: bool | None = None


@api.post("/sets/{set_id}/trace")
def api_trace(set_id: int, body: TraceRequest, request: Request, session: DbSession,
              principal: CurrentPrincipal) -> Response:
    """Trace forward or backward; returns the flow tree, end points, Sankey and steps."""
    record = _set(session, principal, set_id)
    config = TraceConfig(direction=body.direction, rule=body.rule, hops=body.hops,
                         window_hours=body.window_hours, min_amount=body.min_amount,
                         max_nodes=jobs.WEB_TRACE_NODES)
    since = int(body.since.timestamp()) if body.since else None
    settings = deps.settings(request)
    if _background(body.background, record):
        return _started(request, jobs.start_trace(session, principal, settings, record.id,
                                                  body.accounts, body.transactions, config,
                                                  since))
    return JSONResponse(shown_run(request, jobs.trace_now(
        session, principal, settings, record.id, body.accounts, body.transactions, config,
        since)))


class ScoreRequest(BaseModel):
    top: int = Field(50, ge=1, le=1000, description="How many accounts to return.")
    background: bool | None = None


@api.post("/sets/{set_id}/score")
def api_score(set_id: int, body: ScoreRequest, request: Request, session: DbSession,
              principal: CurrentPrincipal) -> Response:
    """The riskiest accounts, each with the contributions that make up its score.

    Scoring a set without findings runs the detectors first; their findings are kept
    only for a user who may change the set (see ``detect``).
    """
    record = _set(session, principal, set_id)
    settings = deps.settings(request)
    if _background(body.background, record):
        return _started(request, jobs.start_score(session, principal, settings, record.id,
                                                  body.top),
                        sets.may_store_results(principal, record))
    return JSONResponse(shown_run(request, jobs.score_now(session, principal, settings,
                                                          record.id, body.top)))


# --------------------------------------------------------------------------- API: graph


@api.get("/sets/{set_id}/accounts")
def api_accounts(set_id: int, request: Request, session: DbSession,
                 principal: CurrentPrincipal,
                 q: Annotated[str, Query(max_length=100)] = "") -> list[dict[str, Any]]:
    """Accounts whose id, bank or holder contains ``q``."""
    record = _set(session, principal, set_id)
    return views.search_accounts(_set_dir(request, record), q)


@api.get("/sets/{set_id}/accounts/{account_id}")
def api_account(set_id: int, account_id: str, request: Request, session: DbSession,
                principal: CurrentPrincipal) -> dict[str, Any]:
    """One account: kind, holder and payment totals."""
    record = _set(session, principal, set_id)
    return views.account(_set_dir(request, record), account_id)


@api.get("/sets/{set_id}/graph", response_model=dict[str, Any])
def api_graph(set_id: int, request: Request, session: DbSession, principal: CurrentPrincipal,
              account: Annotated[list[str], Query()],
              hops: Annotated[int, Query(ge=1, le=views.MAX_HOPS)] = 1,
              since: str | None = None, until: str | None = None,
              min_amount: Annotated[float, Query(ge=0)] = 0.0) -> Response:
    """The neighbourhood of accounts as nodes and aggregated edges."""
    record = _set(session, principal, set_id)
    # Written as JSON once, from columns: hundreds of nodes and edges per answer.
    return Response(views.neighbourhood_json(_set_dir(request, record), account, hops,
                                             _window(since, until, min_amount)),
                    media_type="application/json")


@api.get("/sets/{set_id}/findings/{finding_id}/graph")
def api_finding_graph(set_id: int, finding_id: str, request: Request, session: DbSession,
                      principal: CurrentPrincipal) -> dict[str, Any]:
    """The accounts and payments of one finding of the latest run."""
    record = _set(session, principal, set_id)
    finding = sets.stored_finding(session, principal, deps.settings(request), set_id,
                                  finding_id)
    graph = views.transactions_graph(_set_dir(request, record), finding["transactions"])
    with i18n.using(request_language(request)):
        return graph | {"finding": _finding_shown(finding)}


@api.get("/sets/{set_id}/timeline")
def api_timeline(set_id: int, request: Request, session: DbSession, principal: CurrentPrincipal,
                 account: str, since: str | None = None,
                 until: str | None = None) -> dict[str, Any]:
    """An account's payments in time order with a running balance."""
    record = _set(session, principal, set_id)
    return views.timeline(_set_dir(request, record), account, _window(since, until, 0.0))


# --------------------------------------------------------------------------- API: export


@api.get("/sets/{set_id}/export")
def api_export(set_id: int, request: Request, session: DbSession, principal: CurrentPrincipal,
               format: Literal["csv", "ftm", "gexf", "graphml"] = "csv",
               finding: str | None = None) -> Response:
    """Download the set, or one finding of the latest run, as CSV, FtM, GEXF or GraphML.

    Every export is written to the audit log; CSV cells that a spreadsheet
    would run as a formula are neutralised.
    """
    record = _set(session, principal, set_id)
    settings = deps.settings(request)
    selection = None
    if finding:
        chosen = sets.stored_finding(session, principal, settings, set_id, finding)
        selection = Selection(accounts=set(chosen["accounts"]),
                              transactions=set(chosen["transactions"]))
    media, suffix = EXPORT_TYPES[format]
    # In the set's folder: deleting the set removes a download cut off half-way.
    folder = sets.export_folder(settings, record)
    output = folder / f"export.{suffix}"
    try:
        sets.export(session, principal, settings, record.id, format, output, selection)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    stem = f"transaction-set-{record.id}" + (f"-finding-{finding}" if finding else "")
    return FileResponse(output, media_type=media, filename=f"{stem}.{suffix}",
                        background=BackgroundTask(shutil.rmtree, folder, True))


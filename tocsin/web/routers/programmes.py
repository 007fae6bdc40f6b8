"""Programmes, projects and activities: pages under ``/programmes``, JSON under
``/api/v1/programmes``. Both call :mod:`tocsin.taskforce.programmes`, the IATI
exchange and the CSV/Excel tables; nothing here decides anything itself.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tocsin import i18n, types, uploads
from tocsin.access.handling import HANDLING_CODES
from tocsin.access.links import linked_ids, linked_records
from tocsin.access.policy import may_write, require
from tocsin.access.principal import Principal
from tocsin.access.roles import Action
from tocsin.errors import InputError, NotFound, Problem, located
from tocsin.i18n import N_, Message
from tocsin.settings import Settings
from tocsin.taskforce.commitments.records import commitments_of_activity
from tocsin.taskforce.iati import codelists
from tocsin.taskforce.iati.codes import DEFAULT_ORG_REF
from tocsin.taskforce.iati.exchange import (
    IatiImport,
    check_export,
    export_iati,
    file_identifiers,
    import_iati,
    refused_activities,
    report_lines,
)
from tocsin.taskforce.iati.organisations import import_organisations, organisation_report_lines
from tocsin.taskforce.iati.published import published_of
from tocsin.taskforce.lessons import codes
from tocsin.taskforce.partners.tables import Partner
from tocsin.taskforce.programmes import documents, forms, records
from tocsin.taskforce.programmes.bulk import ImportSummary
from tocsin.taskforce.programmes.check import region_name, region_vocabularies
from tocsin.taskforce.programmes.spec import (
    ACTIVITY_STATUSES,
    INDICATOR_MEASURES,
    ORG_ROLES,
    RESULT_TYPES,
    ActivitySpec,
    IndicatorSpec,
    PeriodSpec,
    ResultSpec,
    format_amount,
)
from tocsin.taskforce.programmes.tables import Activity
from tocsin.taskforce.programmes.totals import Total, rollup
from tocsin.taskforce.programmes.vocabulary import Vocabulary
from tocsin.taskforce.tabular.columns import COLUMNS, row_to_spec, spec_to_row
from tocsin.taskforce.tabular.exchange import (
    changed_since_written,
    export_table,
    import_table,
    write_template,
)
from tocsin.types.base import is_digits
from tocsin.types.names import Names
from tocsin.web import deps
from tocsin.web.deps import CurrentPrincipal, DbSession, FormRoute
from tocsin.web.templating import NavItem, render, request_language

NAV = NavItem(N_("Programmes"), "/programmes", order=30)
pages = APIRouter(prefix="/programmes", include_in_schema=False, route_class=FormRoute)
api = APIRouter(prefix="/programmes", tags=["programmes"], route_class=FormRoute)

XML = "application/xml"
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _read_upload(upload: UploadFile, settings: Settings) -> bytes:
    data = upload.file.read(settings.upload_max_bytes + 1)
    if len(data) > settings.upload_max_bytes:
        raise InputError.single(upload.filename or "upload",
                                N_("larger than %(size)s bytes",
                                   size=format(settings.upload_max_bytes, ",")))
    return data


def _filters(level: str | None, crime_area: str | None, country: str | None,
             structure: str | None, status: int | None, q: str | None) -> dict[str, Any]:
    return {"level": level or None, "crime_area": crime_area or None,
            "country": country or None, "structure": structure or None,
            "status": status, "text": q or None}


def _choices(session: Session) -> dict[str, Any]:
    vocab = Vocabulary.load(session)
    return {
        # named in the page's language (the reference data's names), listed by code
        "crime_areas": sorted(Names(vocab.crime_areas).items()),
        "stages": sorted(Names(vocab.stages).items()),
        "structures": sorted(vocab.structures.items()),
        "countries": sorted(vocab.countries.items(), key=lambda kv: kv[1]),
        "organizations": sorted(vocab.organizations.items()),
        "units": sorted((code, code) for code in vocab.units),
        "handling": list(HANDLING_CODES),
        "statuses": ACTIVITY_STATUSES,
        "roles": ORG_ROLES,
        "result_types": RESULT_TYPES,
        "measures": INDICATOR_MEASURES,
        "currencies": [(c.value, c.label) for c in types.currency.choices()],
        "region_vocabularies": region_vocabularies(),
        # the IATI code lists' names, shown in the page's language where IATI gives one
        "regions": {vocabulary: sorted(codelists.named(name).items(), key=lambda kv: kv[1])
                    for vocabulary, name in ((codelists.REGION_DAC, "Region"),
                                             (codelists.REGION_M49, "RegionM49"))},
        "region_name": region_name,
        # listed by code (a document's category)
        "document_categories": dict(sorted(codelists.named("DocumentCategory").items())),
        "organisation_types": dict(sorted(codelists.named("OrganisationType").items(),
                                          key=lambda kv: (len(kv[0]), kv[0]))),
        "names": {"crime_area": vocab.crime_areas, "stage": vocab.stages,
                  "country": vocab.countries, "structure": vocab.structures,
                  "organization": vocab.organizations},
    }


def _totals_by_currency(totals: list[Total], kind: str) -> list[tuple[str, Any]]:
    """``(currency, sum)`` pairs, which the page writes the reader's way (``|money``)."""
    sums: dict[str, Any] = {}
    for t in totals:
        if t.kind == kind:
            sums[t.currency] = sums.get(t.currency, 0) + t.total
    return sorted(sums.items())


def _form_spec(form: dict[str, str], session: Session, keep: Activity | None,
               results: list[forms.ResultRow]) -> ActivitySpec:
    """An activity from the form: the same fields and compact syntax as the table columns,
    and on a new record the result rows."""
    vocab = Vocabulary.load(session)
    spec, errors = row_to_spec(form, vocab.organizations)
    problems = [Problem(N_("field %(column)s", column=column), reason)
                for column, reason in errors]
    typed, found = forms.results_from_rows(results)
    problems += found
    if spec is None or problems:
        raise InputError(problems)
    if keep is not None:  # results and documents have their own forms
        old = records.to_spec(keep)
        spec.results, spec.documents = old.results, old.documents
    else:
        spec.results = typed
    return spec


def _form_page(request: Request, session: Session, row: dict[str, str],
               activity: Activity | None, results: list[forms.ResultRow],
               problems: Sequence[Problem] = (), status_code: int = 200) -> Response:
    """The form; after a rejected submission, with what was typed and each problem at its
    place: a result or indicator row, a list of the form, or the summary at the top."""
    at_rows: dict[str, list[str]] = {}
    at_fields: dict[str, list[str]] = {}
    for p in problems:
        place = forms.place_of(p.location)
        if place is not None:
            r, i, name = place
            key = f"result-{r}" + (f"-indicator-{i}" if i is not None else "")
            label = name.replace("_", " ") if name else ""
            at_rows.setdefault(key, []).append(located(label, p.reason) if label else p.reason)
            continue
        field = p.location.rsplit(" ", 1)[-1].split("[", 1)[0].split(".", 1)[0]
        at_fields.setdefault("money" if field == "finance" else field, []).append(p.reason)
    return render(request, "programmes/form.html", status_code=status_code, row=row,
                  activity=activity, columns=COLUMNS, choices=_choices(session),
                  results=results or [forms.blank_result()], problems=list(problems),
                  row_errors=at_rows, field_errors=at_fields,
                  recipients_in_part=activity is not None and _recipients_in_part(session,
                                                                                  activity))


def _recipients_in_part(session: Session, activity: Activity) -> bool:
    """Whether the activity's IATI file names recipients the platform does not hold (a
    country outside its list): their shares stay in the published activity, so the form's
    may add up to less than 100, as the server's check allows."""
    published = published_of(session, activity.id)
    return published is not None and (
        len(published.recipients) > len(activity.countries) + len(activity.regions))


# --- pages --------------------------------------------------------------------------------

@pages.get("", response_class=HTMLResponse)
def activity_list(request: Request, session: DbSession, principal: CurrentPrincipal,
                  level: str | None = None, crime_area: str | None = None,
                  country: str | None = None, structure: str | None = None,
                  status: int | None = None, q: str | None = None) -> Response:
    filters = _filters(level, crime_area, country, structure, status, q)
    found = records.list_activities(session, principal, **filters)
    totals = rollup(session, principal, [a.id for a in found])
    return render(request, "programmes/list.html", activities=found,
                  budgets={a.id: _totals_by_currency(totals.get(a.id, []), "budget")
                           for a in found},
                  filters=filters, query=request.url.query, choices=_choices(session),
                  org_ref=DEFAULT_ORG_REF)


@pages.get("/new", response_class=HTMLResponse)
def activity_new(request: Request, session: DbSession, principal: CurrentPrincipal,
                 parent: str = "", level: str = "programme") -> Response:
    row = {c.name: "" for c in COLUMNS}
    row.update({"level": level, "parent_identifier": parent, "status": "1",
                "reporting_org_ref": DEFAULT_ORG_REF, "language": "en",
                "planned_start": date.today().isoformat(), "is_external": "no"})
    if parent:
        row["identifier"] = records.suggest_child_identifier(session, principal, parent)
    return _form_page(request, session, row, None, [])


def _posted(fields: deps.FormFields) -> dict[str, str]:
    # the line breaks arrive as LF (deps.FormRequest), or every save of a description
    # published over several lines changed it
    form = {k: str(v) for k, v in fields.items() if k != "csrf_token"}
    return {**{c.name: "" for c in COLUMNS}, **form}


@pages.post("")
def activity_create(request: Request, session: DbSession, principal: CurrentPrincipal,
                    fields: deps.FormFields) -> Response:
    form = _posted(fields)
    results = forms.result_rows(form)
    try:
        activity = records.create_activity(session, principal,
                                           _form_spec(form, session, None, results))
    except InputError as exc:  # nothing was written: show the form again, problems in place
        return _form_page(request, session, form, None, results, exc.problems, 422)
    return RedirectResponse(f"/programmes/{activity.id}", status_code=303)


@pages.get("/export/iati")
def page_export_iati(session: DbSession, principal: CurrentPrincipal,
                     level: str | None = None, crime_area: str | None = None,
                     country: str | None = None, structure: str | None = None,
                     status: int | None = None, q: str | None = None,
                     ids: Annotated[list[int] | None, Query()] = None) -> Response:
    """The selection's IATI file; ``ids``: those activities (an activity's page links its
    own: a search for its identifier also found its children and any activity naming it)."""
    out = io.BytesIO()
    export_iati(session, principal, out, ids,
                **_filters(level, crime_area, country, structure, status, q))
    return Response(out.getvalue(), media_type=XML, headers={
        "Content-Disposition": 'attachment; filename="activities.xml"'})


@pages.get("/export/iati/check", response_class=HTMLResponse)
def page_check_export_iati(request: Request, session: DbSession, principal: CurrentPrincipal,
                           level: str | None = None, crime_area: str | None = None,
                           country: str | None = None, structure: str | None = None,
                           status: int | None = None, q: str | None = None) -> Response:
    """The selection's IATI export checked as the IATI Validator would: the 2.03 schema and
    the rulesets, each problem with the activity it is in."""
    checked = check_export(session, principal,
                           **_filters(level, crime_area, country, structure, status, q))
    return render(request, "programmes/export_check.html", checked=checked,
                  query=request.url.query)


@pages.get("/export/table.{fmt}")
def page_export_table(fmt: str, session: DbSession, principal: CurrentPrincipal,
                      level: str | None = None, crime_area: str | None = None,
                      country: str | None = None, structure: str | None = None,
                      status: int | None = None, q: str | None = None) -> Response:
    if fmt not in MEDIA:
        raise InputError.single("format", N_("use csv or xlsx"))
    out = io.BytesIO()
    export_table(session, principal, out, fmt,
                 **_filters(level, crime_area, country, structure, status, q))
    return Response(out.getvalue(), media_type=MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="activities.{fmt}"'})


@pages.get("/template.{fmt}")
def page_template(request: Request, fmt: str, session: DbSession,
                  _p: CurrentPrincipal) -> Response:
    if fmt not in MEDIA:
        raise InputError.single("format", N_("use csv or xlsx"))
    out = io.BytesIO()
    with i18n.using(request_language(request)):  # the help sheet in the page's language
        write_template(session, out, fmt)
    return Response(out.getvalue(), media_type=MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="activities-template.{fmt}"'})


@pages.post("/import", response_class=HTMLResponse)
def page_import(request: Request, session: DbSession, principal: CurrentPrincipal,
                file: Annotated[UploadFile, File()], kind: Annotated[str, Form()] = "iati",
                mode: Annotated[str, Form()] = "all") -> Response:
    if kind not in ("iati", "organisations", "table"):
        raise InputError.single("kind", N_("choose iati, organisations or table, not %(value)s",
                                           value=repr(kind)))
    if mode not in ("all", "each"):
        raise InputError.single("mode", N_("choose all or each, not %(value)s",
                                              value=repr(mode)))
    data = _read_upload(file, deps.settings(request))
    name = file.filename or ("upload.csv" if kind == "table" else "upload.xml")
    if kind in ("iati", "table"):
        require(principal, Action.WRITE_OWN_UNIT)  # before a look at the file, as the import
        edited = _replaced(session, principal, data, name, kind)
        if edited:  # what was changed in the platform is replaced only once confirmed
            token = uploads.hold(deps.settings(request), principal, data, kind,
                                 HELD_STATE, name=name, mode=mode, kind=kind)
            return render(request, "programmes/import_confirm.html", name=name, token=token,
                          edited=edited, kind=kind)
    return _imported(request, session, principal, data, name, kind, mode)


def _replaced(session: Session, principal: Principal, data: bytes, name: str,
              kind: str) -> list[Activity]:
    """What importing the file would replace of what was changed in the platform: for an
    IATI file, its activities last written other than by an import; for a table, those
    written after the table was exported (its rows carry the version they were exported
    from)."""
    if kind == "table":
        return changed_since_written(session, principal, io.BytesIO(data), name=name)
    return records.edited_in_platform(session, principal, file_identifiers(data))


def _imported(request: Request, session: Session, principal: Principal, data: bytes,
              name: str, kind: str, mode: str, replaced: Sequence[Activity] = ()) -> Response:
    """Import and show the report; ``replaced``: the activities changed in the platform the
    user agreed to replace (the report calls one whose file did not change "unchanged")."""
    lines: list[Message] = []
    refused: list[tuple[int, str]] = []
    summary: ImportSummary
    if kind == "organisations":  # into the partners registry, all or nothing
        organisations = import_organisations(session, principal, io.BytesIO(data), name=name)
        return render(request, "programmes/imported_organisations.html", name=name,
                      report=organisations, lines=organisation_report_lines(organisations),
                      partners=_partners(session, principal, organisations.partners))
    if kind == "iati":
        try:
            report = import_iati(session, principal, io.BytesIO(data), name=name,
                                 mode="each" if mode == "each" else "all")
        except InputError as exc:  # all or nothing: name the activities refused as well
            refused = refused_activities(data, exc.problems)
            if not refused:
                raise
            return render(request, "programmes/import_refused.html", status_code=422,
                          name=name, message=exc.summary, refused=refused,
                          problems=exc.problems)
        summary, lines = report, report_lines(report)
        refused = refused_activities(data, report.rejected)
    else:
        # the page asked before replacing what was changed since the export (page_import)
        summary = import_table(session, principal, io.BytesIO(data), name=name,
                               replace_changed=True)
    # the first of what was written, to open from the report (read as any link is)
    imported = linked_records(session, Activity, summary.ids[:IMPORTED_SHOWN], principal)
    return render(request, "programmes/imported.html", summary=summary, name=name,
                  iati_lines=lines, refused=refused, imported=imported,
                  more=len(dict.fromkeys(summary.ids)) - len(imported),
                  replaced=[a.identifier for a in replaced if a.id in summary.ids])


#: How many of an import's activities its report links to (the rest are in the list).
IMPORTED_SHOWN = 20


#: Whose an IATI file or a table kept while the page asks to confirm it is, and which
#: kind it is (see :mod:`tocsin.uploads`).
HELD_STATE = "state.json"


@pages.post("/import/held/{token}", response_class=HTMLResponse)
def page_import_held(token: str, request: Request, session: DbSession,
                     principal: CurrentPrincipal,
                     action: Annotated[str, Form()] = "cancel") -> Response:
    """The answer to the confirmation: import the held file over the activities changed
    in the platform, or drop it."""
    folder, state = uploads.opened(deps.settings(request), principal, token, HELD_STATE)
    if not (folder / "upload").is_file():
        raise NotFound(uploads.GONE)
    try:
        if action != "replace":
            return RedirectResponse("/programmes", status_code=303)
        data = (folder / "upload").read_bytes()
        kind = "table" if state.get("kind") == "table" else "iati"
        name = str(state.get("name") or ("upload.csv" if kind == "table" else "upload.xml"))
        return _imported(request, session, principal, data, name, kind,
                         "each" if state.get("mode") == "each" else "all",
                         _replaced(session, principal, data, name, kind))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _partners(session: Session, principal: Principal,
              linked: dict[str, int]) -> list[tuple[str, Partner]]:
    """The partners an organisation file's organisations were linked to, by identifier."""
    found = {p.id: p for p in linked_records(session, Partner, list(linked.values()),
                                             principal)}
    return [(identifier, found[pid]) for identifier, pid in linked.items() if pid in found]


@pages.get("/{activity_id:int}", response_class=HTMLResponse)
def activity_page(activity_id: int, request: Request, session: DbSession,
                  principal: CurrentPrincipal) -> Response:
    activity = records.get_activity(session, principal, activity_id)
    return render(request, "programmes/detail.html", activity=activity,
                  ancestors=records.ancestors(session, principal, activity),
                  children=records.children_of(session, principal, activity.id),
                  totals=rollup(session, principal, [activity.id]).get(activity.id, []),
                  commitments=commitments_of_activity(session, principal, activity.id),
                  published=published_of(session, activity.id),
                  choices=_choices(session),
                  can_write=may_write(principal, activity.owner_unit_id),
                  today=date.today())


@pages.get("/{activity_id:int}/edit", response_class=HTMLResponse)
def activity_edit(activity_id: int, request: Request, session: DbSession,
                  principal: CurrentPrincipal) -> Response:
    activity = records.get_activity(session, principal, activity_id)
    parents = records.parent_identifiers(session, [activity], principal)
    row = spec_to_row(records.to_spec(activity, parents.get(activity.id)))
    return _form_page(request, session, row, activity, [])


@pages.post("/{activity_id:int}")
def activity_update(activity_id: int, request: Request, session: DbSession,
                    principal: CurrentPrincipal, fields: deps.FormFields) -> Response:
    activity = records.get_activity(session, principal, activity_id)
    form = _posted(fields)
    try:
        records.update_activity(session, principal, activity.id,
                                _form_spec(form, session, activity, []))
    except InputError as exc:
        return _form_page(request, session, form, activity, [], exc.problems, 422)
    return RedirectResponse(f"/programmes/{activity_id}", status_code=303)


@pages.post("/{activity_id:int}/delete")
def activity_delete(activity_id: int, session: DbSession,
                    principal: CurrentPrincipal) -> Response:
    records.delete_activity(session, principal, activity_id)
    return RedirectResponse("/programmes", status_code=303)


@pages.post("/{activity_id:int}/results")
def result_add(activity_id: int, session: DbSession, principal: CurrentPrincipal,
               type: Annotated[int, Form()], title: Annotated[str, Form()],
               indicator: Annotated[str, Form()], measure: Annotated[int, Form()] = 1,
               baseline_year: Annotated[str, Form()] = "",
               baseline_value: Annotated[str, Form()] = "",
               period_start: Annotated[str, Form()] = "", period_end: Annotated[str, Form()] = "",
               target: Annotated[str, Form()] = "", actual: Annotated[str, Form()] = ""
               ) -> Response:
    activity = records.get_activity(session, principal, activity_id)
    parents = records.parent_identifiers(session, [activity], principal)
    spec = records.to_spec(activity, parents.get(activity.id))
    when = codes.days(period_start=(period_start, bool(period_end)),
                      period_end=(period_end, bool(period_start)))
    periods = []
    if when["period_start"] and when["period_end"]:
        periods.append(PeriodSpec(start=when["period_start"], end=when["period_end"],
                                  target=target or None, actual=actual or None))
    spec.results.append(ResultSpec(type=type, title=title, indicators=[IndicatorSpec(
        title=indicator, measure=measure,
        baseline_year=int(baseline_year) if is_digits(baseline_year.strip()) else None,
        baseline_value=baseline_value or None, periods=periods)]))
    spec.handling = None  # unchanged
    records.update_activity(session, principal, activity.id, spec)
    return RedirectResponse(f"/programmes/{activity_id}#results", status_code=303)


@pages.post("/{activity_id:int}/documents")
def document_add(activity_id: int, request: Request, session: DbSession,
                 principal: CurrentPrincipal, title: Annotated[str, Form()],
                 category: Annotated[str, Form()] = "A01", url: Annotated[str, Form()] = "",
                 file: Annotated[UploadFile | None, File()] = None) -> Response:
    settings = deps.settings(request)
    content = _read_upload(file, settings) if file is not None and file.filename else None
    documents.add_document(session, principal, settings, activity_id, title,
                           url=url or None, content=content,
                           original_name=(file.filename or "") if file else "",
                           category=category)
    return RedirectResponse(f"/programmes/{activity_id}#documents", status_code=303)


@pages.get("/documents/{document_id:int}")
def document_download(document_id: int, request: Request, session: DbSession,
                      principal: CurrentPrincipal) -> Response:
    document = documents.get_document(session, principal, document_id)
    if document.url and not document.stored_path:
        return RedirectResponse(document.url, status_code=303)
    path = documents.stored_file(deps.settings(request), document)
    # FileResponse streams the file and percent-encodes a name that is not plain ASCII.
    return FileResponse(path, media_type=document.mime_type or "application/octet-stream",
                        filename=document.original_name or f"document-{document.id}")


@pages.post("/documents/{document_id:int}/delete")
def document_delete(document_id: int, session: DbSession,
                    principal: CurrentPrincipal) -> Response:
    document = documents.get_document(session, principal, document_id)
    activity_id = document.activity_id
    documents.remove_document(session, principal, document_id)
    return RedirectResponse(f"/programmes/{activity_id}#documents", status_code=303)


# --- JSON API -----------------------------------------------------------------------------

def _summaries(session: Session, principal: Principal,
               found: Sequence[Activity]) -> list[dict[str, Any]]:
    parents = set(linked_ids(session, Activity, [a.parent_id for a in found], principal))
    return [_summary(a, a.parent_id if a.parent_id in parents else None) for a in found]


def _summary(a: Activity, parent_id: int | None) -> dict[str, Any]:
    """An activity as JSON; ``parent_id`` is null when the reader may not read the parent."""
    return {"id": a.id, "identifier": a.identifier, "level": a.level, "title": a.title,
            "parent_id": parent_id, "implementing_structure": a.implementing_structure,
            "status": a.status, "handling": a.handling, "is_external": a.is_external}


def _totals(totals: list[Total]) -> list[dict[str, Any]]:
    return [{"kind": t.kind, "year": t.year, "currency": t.currency,
             "own": format_amount(t.own) if t.own is not None else None,
             "children": format_amount(t.children), "total": format_amount(t.total)}
            for t in totals]


def _full(session: Session, principal: Principal, a: Activity) -> dict[str, Any]:
    parents = records.parent_identifiers(session, [a], principal)
    vocab = Vocabulary.load(session)
    units = {ident: code for code, ident in vocab.units.items()}
    return {**_summaries(session, principal, [a])[0],
            "spec": records.to_spec(a, parents.get(a.id), units).model_dump(mode="json"),
            "children": [c.id for c in records.children_of(session, principal, a.id)],
            "documents": [{"id": d.id, "title": d.title, "url": d.url,
                           "stored": d.stored_path is not None} for d in a.documents],
            "totals": _totals(rollup(session, principal, [a.id]).get(a.id, []))}


def _import_result(summary: ImportSummary) -> dict[str, Any]:
    out: dict[str, Any] = {
        "created": summary.created, "updated": summary.updated, "ids": summary.ids,
        "notes": [{"location": n.location, "reason": n.reason} for n in summary.notes]}
    if isinstance(summary, IatiImport):
        out.update({
            "version": summary.version, "unchanged": summary.unchanged,
            "changed": summary.changed, "preserved": summary.preserved,
            # per changed activity and element name: how many were added, removed, ...
            "changes": {identifier: {name: counts.counts() for name, counts in names.items()}
                        for identifier, names in summary.changes.items()},
            "rejected": [{"location": p.location, "reason": p.reason}
                         for p in summary.rejected],
            "warnings": [{"location": p.location, "reason": p.reason}
                         for p in summary.warnings]})
    return out


@api.get("")
def api_list(session: DbSession, principal: CurrentPrincipal, level: str | None = None,
             crime_area: str | None = None, country: str | None = None,
             structure: str | None = None, status: int | None = None, q: str | None = None,
             limit: Annotated[int, Query(ge=1, le=1000)] = 200,
             offset: Annotated[int, Query(ge=0)] = 0) -> list[dict[str, Any]]:
    found = records.list_activities(session, principal, limit=limit, offset=offset,
                                    **_filters(level, crime_area, country, structure, status, q))
    return _summaries(session, principal, found)


@api.post("", status_code=201)
def api_create(spec: ActivitySpec, session: DbSession,
               principal: CurrentPrincipal) -> dict[str, Any]:
    activity = records.create_activity(session, principal, spec)
    return _full(session, principal, activity)


@api.get("/export/iati")
def api_export_iati(session: DbSession, principal: CurrentPrincipal,
                    ids: Annotated[list[int] | None, Query()] = None) -> Response:
    out = io.BytesIO()
    export_iati(session, principal, out, ids=ids)
    return Response(out.getvalue(), media_type=XML)


@api.get("/export/table")
def api_export_table(session: DbSession, principal: CurrentPrincipal, format: str = "csv",
                     ids: Annotated[list[int] | None, Query()] = None) -> Response:
    if format not in MEDIA:
        raise InputError.single("format", N_("use csv or xlsx"))
    out = io.BytesIO()
    export_table(session, principal, out, format, ids=ids)
    return Response(out.getvalue(), media_type=MEDIA[format])


@api.post("/import/iati")
def api_import_iati(request: Request, session: DbSession, principal: CurrentPrincipal,
                    file: Annotated[UploadFile, File()],
                    mode: Annotated[Literal["all", "each"], Query()] = "all") -> dict[str, Any]:
    """Import an IATI activity file; ``mode=each`` keeps the valid activities."""
    data = _read_upload(file, deps.settings(request))
    return _import_result(import_iati(session, principal, io.BytesIO(data),
                                      name=file.filename or "upload.xml", mode=mode))


@api.post("/import/table")
def api_import_table(request: Request, session: DbSession, principal: CurrentPrincipal,
                     file: Annotated[UploadFile, File()],
                     replace_changed: bool = False) -> dict[str, Any]:
    """Refused (422, naming them) where activities were changed since the table was
    exported, unless ``replace_changed=true`` confirms the table replaces those changes."""
    data = _read_upload(file, deps.settings(request))
    return _import_result(import_table(session, principal, io.BytesIO(data),
                                       name=file.filename or "upload.csv",
                                       replace_changed=replace_changed))


@api.get("/{activity_id:int}")
def api_get(activity_id: int, session: DbSession,
            principal: CurrentPrincipal) -> dict[str, Any]:
    return _full(session, principal, records.get_activity(session, principal, activity_id))


@api.put("/{activity_id:int}")
def api_update(activity_id: int, spec: ActivitySpec, session: DbSession,
               principal: CurrentPrincipal) -> dict[str, Any]:
    activity = records.update_activity(session, principal, activity_id, spec)
    return _full(session, principal, activity)


@api.delete("/{activity_id:int}", status_code=204)
def api_delete(activity_id: int, session: DbSession, principal: CurrentPrincipal) -> Response:
    records.delete_activity(session, principal, activity_id)
    return Response(status_code=204)


@api.get("/{activity_id:int}/totals")
def api_totals(activity_id: int, session: DbSession,
               principal: CurrentPrincipal) -> list[dict[str, Any]]:
    activity = records.get_activity(session, principal, activity_id)
    return _totals(rollup(session, principal, [activity.id]).get(activity.id, []))

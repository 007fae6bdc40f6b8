"""Programme coherence: threat picture, OCG ranking, coverage, gaps, duplicates,
recommendations, what-if and the fund managers' report.

Pages under ``/coherence`` and JSON under ``/api/v1/coherence``; both call
:mod:`tocsin.coherence` (and :mod:`tocsin.reports.coherence` for the report).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Body, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from pydantic import TypeAdapter

from tocsin import i18n, limits
from tocsin.access.principal import Principal
from tocsin.access.roles import Action
from tocsin.coherence import cache, judgements, views
from tocsin.coherence import groups as group_scores
from tocsin.coherence.analysis import Analysis, Options, audit_shown, coverage_for, run
from tocsin.coherence.coverage import DIMENSIONS, Period, drill
from tocsin.coherence.method import method, ocg_method
from tocsin.coherence.scenario import AddActivity, MoveBudget, Scenario, what_if
from tocsin.coherence.tables import VERDICTS
from tocsin.coherence.threats import import_indicators, list_indicators
from tocsin.errors import InputError, Problem
from tocsin.i18n import N_
from tocsin.limits import decode_text
from tocsin.reference import browse
from tocsin.reports.coherence import generate
from tocsin.types.names import Names
from tocsin.web.deps import CurrentPrincipal, DbSession, FormFields, FormRoute
from tocsin.web.templating import NavItem, render, request_language

NAV = NavItem(N_("Coherence"), "/coherence", order=70)
pages = APIRouter(prefix="/coherence", include_in_schema=False, route_class=FormRoute)
api = APIRouter(prefix="/coherence", tags=["coherence"], route_class=FormRoute)

Geo = Literal["country", "region"]
YearQ = Annotated[int | None, Query(ge=1990, le=2100, description="Threat year.")]
StartQ = Annotated[int | None, Query(ge=1990, le=2100, description="First budget year.")]
EndQ = Annotated[int | None, Query(ge=1990, le=2100, description="Last budget year.")]
GeoQ = Annotated[Geo, Query(description="country or region")]
#: Rows of the threat table before "show every cell".
TOP_CELLS = 50


def _options(year: int | None, start: int | None, end: int | None, geo: Geo,
             limit: int | None = 500) -> Options:
    return Options(year=year, start=start, end=end, geo=geo, candidate_limit=limit)


def _partial(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _context(analysis: Analysis, principal: Principal) -> dict[str, Any]:
    return {"a": analysis, "names": Names(analysis.inputs.names), "p": analysis.portfolio,
            "method": method(), "can_judge": principal.can(Action.JUDGE),
            "can_export": principal.can(Action.EXPORT)}


# --- pages ----------------------------------------------------------------------------


@pages.get("", response_class=HTMLResponse)
def threats_page(request: Request, session: DbSession, principal: CurrentPrincipal,
                 year: YearQ = None, geo: GeoQ = "country",
                 cells: Annotated[Literal["top", "all"], Query(
                     description="The highest cells only, or every cell.")] = "top",
                 ) -> Response:
    analysis = run(session, principal, _options(year, None, None, geo, limit=0))
    ranked = sorted(analysis.threat.values(), key=lambda c: -c.score)
    # The heatmap shows every cell; the table under it starts with the highest ones,
    # which is what people read (a large portfolio has hundreds of cells).
    shown = ranked if cells == "all" else ranked[:TOP_CELLS]
    cell_rows = _fragment(request, analysis, f"threat_rows:{cells}",
                          "coherence/_threat_rows.html", cells=shown,
                          names=Names(analysis.inputs.names))
    # the heatmap's tooltips name each indicator kind in the page's language
    with i18n.using(request_language(request)):
        kinds = {code: i18n.gettext(kind.label) for code, kind in method().indicator_kinds.items()}
    return render(request, "coherence/threats.html", tab="threats", cells=shown,
                  all_cells=len(ranked), cell_rows=cell_rows, kind_labels=kinds,
                  **_context(analysis, principal))


#: Written where a reader's form token goes in a fragment rendered once for every reader;
#: random, so that no text of a record can hold it.
_TOKEN_SLOT = f"token-slot-{secrets.token_hex(16)}"


def _fragment(request: Request, owner: Any, name: str, template: str,
              **context: Any) -> Markup:
    """A part of a page that depends only on a cached analysis or matrix (``owner``) and
    on what ``name`` says (the filters people chose), rendered once per owner and name.

    Such parts hold no user or role (``name`` says which role's version it is) and no
    form token (rendered with :data:`_TOKEN_SLOT`, replaced per request).
    """
    templates = request.app.state.templates

    def rendered() -> Markup:
        with i18n.using(language):
            return Markup(templates.get_template(template).render(**context))  # noqa: S704

    language = request_language(request)  # one copy per language: the text is translated
    return cache.derived(owner, f"{name}:{language}", rendered)


@pages.get("/groups", response_class=HTMLResponse)
def groups_page(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    ranked, used = group_scores.ranking(session, principal)
    return render(request, "coherence/groups.html", tab="groups", ranked=ranked, weights=used,
                  ocg=ocg_method(), can_save=principal.role in group_scores.WEIGHT_EDITORS,
                  saved=request.query_params.get("saved") == "1")


@pages.post("/groups/rank", response_class=HTMLResponse)
def groups_rank(request: Request, session: DbSession, principal: CurrentPrincipal,
                form: FormFields) -> Response:
    ranked, used = group_scores.ranking(session, principal, _weights_from(form))
    return render(request, "coherence/_ranking.html", ranked=ranked, weights=used,
                  ocg=ocg_method(), preview=True)


@pages.post("/groups/weights")
def groups_save(request: Request, session: DbSession, principal: CurrentPrincipal,
                form: FormFields) -> Response:
    if form.get("reset"):
        group_scores.reset_weights(session, principal)
    else:
        group_scores.save_weights(session, principal, _weights_from(form))
    return RedirectResponse("/coherence/groups?saved=1", status_code=303)


def _weights_from(form: Any) -> dict[str, object]:
    return {key[len("w_"):]: value for key, value in form.items() if key.startswith("w_")}


@pages.get("/coverage", response_class=HTMLResponse)
def coverage_page(request: Request, session: DbSession, principal: CurrentPrincipal,
                  start: StartQ = None, end: EndQ = None, year: YearQ = None,
                  rows: str = "crime_area", cols: str = "country") -> Response:
    analysis = run(session, principal, _options(year, start, end, "country", limit=0))
    if rows not in DIMENSIONS or cols not in DIMENSIONS:
        raise InputError.single("rows/cols", N_("use %(allowed)s",
                                                  allowed=", ".join(DIMENSIONS)))
    matrix = coverage_for(session, principal, analysis.period, rows, cols)
    # Each cell links to its drill-down; the values are quoted once, not once per cell,
    # and the rows are written once per matrix.
    body = _fragment(request, matrix, "rows", "coherence/_coverage_rows.html", matrix=matrix,
                     quoted={v: quote(v or "", safe="") for v in (*matrix.rows, *matrix.cols)},
                     rows=rows, cols=cols, names=Names(analysis.inputs.names))
    return render(request, "coherence/coverage.html", tab="coverage", matrix=matrix,
                  body=body, dimensions=DIMENSIONS, rows=rows, cols=cols,
                  **_context(analysis, principal))


@pages.get("/coverage/cell", response_class=HTMLResponse)
def coverage_cell(request: Request, session: DbSession, principal: CurrentPrincipal,
                  start: StartQ = None, end: EndQ = None, year: YearQ = None,
                  crime_area: str | None = None, stage: str | None = None,
                  country: str | None = None, region: str | None = None,
                  structure: str | None = None, place: str | None = None) -> Response:
    analysis = run(session, principal, _options(year, start, end, "country", limit=0))
    filters = _cell_filters(crime_area, stage, country, region, structure, place)
    found = drill(analysis.portfolio, analysis.inputs.regions, analysis.period, filters)
    audit_shown(session, principal, analysis.portfolio, _drill_rows(found))
    template = "coherence/_drill.html" if _partial(request) else "coherence/cell.html"
    return render(request, template, tab="coverage", programmes=found, filters=filters,
                  **_context(analysis, principal))


def _drill_rows(found: list[Any]) -> list[int]:
    return [row for g in found for row in (g.root, *(a.row for a in g.activities))]


def _cell_filters(crime_area: str | None, stage: str | None, country: str | None,
                  region: str | None, structure: str | None, place: str | None
                  ) -> dict[str, object]:
    filters: dict[str, object] = {"crime_area": crime_area, "stage": stage, "country": country,
                                  "region": region, "structure": structure}
    if place:  # a place from the threat picture: a country code or a region name
        filters["country" if len(place) == 2 and place.isupper() else "region"] = place
    return {k: v for k, v in filters.items() if v is not None}


@pages.get("/gaps", response_class=HTMLResponse)
def gaps_page(request: Request, session: DbSession, principal: CurrentPrincipal,
              year: YearQ = None, start: StartQ = None, end: EndQ = None,
              geo: GeoQ = "country") -> Response:
    analysis = run(session, principal, _options(year, start, end, geo, limit=0))
    return render(request, "coherence/gaps.html", tab="gaps", **_context(analysis, principal))


@pages.get("/duplicates", response_class=HTMLResponse)
def duplicates_page(request: Request, session: DbSession, principal: CurrentPrincipal,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Response:
    analysis = run(session, principal, _options(None, None, None, "country", limit=limit))
    audit_shown(session, principal, analysis.portfolio,
                [r for c in analysis.candidates for r in (c.a, c.b)])
    can_judge = principal.can(Action.JUDGE)
    # The pairs are written once per analysis (and language, and whether the reader may
    # judge); each reader's form token is put into the judgement forms afterwards.
    pairs = _fragment(request, analysis, f"duplicate_pairs:{can_judge}",
                      "coherence/_duplicate_pairs.html", a=analysis, p=analysis.portfolio,
                      verdicts=VERDICTS, can_judge=can_judge, csrf_token=_TOKEN_SLOT)
    token = str(escape(getattr(request.state, "csrf_token", "")))
    return render(request, "coherence/duplicates.html", tab="duplicates",
                  pairs=Markup(pairs.replace(_TOKEN_SLOT, token)),  # noqa: S704
                  **_context(analysis, principal))


@pages.post("/duplicates/{pair}/judge", response_class=HTMLResponse)
def judge_page(pair: str, request: Request, session: DbSession, principal: CurrentPrincipal,
               verdict: Annotated[str, Form()], note: Annotated[str, Form()] = "") -> Response:
    judgements.judge(session, principal, judgements.parse_pair(pair), verdict, note)
    if not _partial(request):
        return RedirectResponse(f"/coherence/duplicates#pair-{pair}", status_code=303)
    return render(request, "coherence/_judged.html", verdict=verdict, note=note, pair=pair,
                  by=principal.username)


@pages.get("/recommendations", response_class=HTMLResponse)
def recommendations_page(request: Request, session: DbSession, principal: CurrentPrincipal,
                         year: YearQ = None, start: StartQ = None, end: EndQ = None,
                         geo: GeoQ = "country") -> Response:
    analysis = run(session, principal, _options(year, start, end, geo))
    return render(request, "coherence/recommendations.html", tab="recommendations",
                  **_context(analysis, principal))


#: Activities offered in each what-if list; a search narrows them (a portfolio of tens of
#: thousands would make the page megabytes long).
WHATIF_OPTIONS = 200


@pages.get("/whatif", response_class=HTMLResponse)
def whatif_page(request: Request, session: DbSession, principal: CurrentPrincipal,
                year: YearQ = None,
                find: Annotated[str, Query(max_length=100, description=(
                    "Offer only activities whose title or identifier contains this."))] = "",
                ) -> Response:
    analysis = run(session, principal, _options(year, None, None, "country", limit=0))
    find = find.strip()
    # The lists of activities to move money from and to: without a search, written
    # once per analysis.
    lists = (cache.derived(analysis, "whatif_options", lambda: _activity_options(analysis, ""))
             if not find else _activity_options(analysis, find))
    gap_first = [g.crime_area for g in analysis.gaps]
    areas = sorted(browse.names(session, "crime_area").items(),
                   key=lambda kv: (kv[0] not in gap_first, kv[1]))
    countries = sorted(browse.names(session, "country").items(), key=lambda kv: kv[1])
    return render(request, "coherence/whatif.html", tab="whatif", lists=lists, find=find,
                  areas=areas, countries=countries, **_context(analysis, principal))


@dataclass(frozen=True)
class _ActivityLists:
    from_options: Markup
    to_options: Markup
    from_shown: int
    from_total: int
    to_shown: int
    to_total: int


def _activity_options(analysis: Analysis, find: str) -> _ActivityLists:
    """``<option>`` lists: activities funded in the period's first year, largest budget
    first, and the organization's own activities; at most :data:`WHATIF_OPTIONS` of each,
    only those whose title or identifier contains ``find`` when it is given."""
    p, year = analysis.portfolio, analysis.period.start
    needle = find.casefold()

    def wanted(i: int) -> bool:
        return not needle or needle in p.titles[i].casefold() or \
            needle in p.identifiers[i].casefold()

    funded = sorted((i for i in range(len(p)) if p.budget[i].get(year) and wanted(i)),
                    key=lambda i: (-p.budget[i][year], p.identifiers[i]))
    own = [i for i in range(len(p)) if not p.external[i] and wanted(i)]
    row_funded = Markup('<option value="{}">{} — {} ({} {})</option>')
    row_own = Markup('<option value="{}">{} — {}</option>')
    return _ActivityLists(
        Markup("").join(row_funded.format(p.ids[i], p.identifiers[i], p.titles[i], p.currency,
                                          f"{p.budget[i][year]:,.0f}")
                        for i in funded[:WHATIF_OPTIONS]),
        Markup("").join(row_own.format(p.ids[i], p.identifiers[i], p.titles[i])
                        for i in own[:WHATIF_OPTIONS]),
        min(len(funded), WHATIF_OPTIONS), len(funded), min(len(own), WHATIF_OPTIONS), len(own))


@pages.post("/whatif", response_class=HTMLResponse)
def whatif_run(request: Request, session: DbSession, principal: CurrentPrincipal,
               form: FormFields) -> Response:
    scenario, year = _scenario_from(form)
    options = _options(year, None, None, "country", limit=200)
    analysis = run(session, principal, options)
    result = what_if(analysis.portfolio, analysis.inputs, scenario, options,
                     known_codes=set(analysis.inputs.names), before=analysis)
    return render(request, "coherence/_whatif_result.html", result=result,
                  names=Names(analysis.inputs.names), currency=analysis.portfolio.currency)


def _scenario_from(form: Any) -> tuple[Scenario, int | None]:
    """A scenario and its year from the what-if form: one move and one addition at most.

    Every field that is not a number where one is needed is named in the error.
    """
    def text(name: str) -> str:
        return str(form.get(name) or "").strip()

    problems: list[Problem] = []

    def number(name: str, whole: bool = False, low: float = 0.0,
               high: float = 1e15) -> float:
        value = text(name)
        try:
            found = int(value) if whole else float(value.replace(",", ""))
        except ValueError:
            problems.append(Problem(name, N_("not a whole number: %(value)s",
                                             value=repr(value[:40])) if whole
                                    else N_("not a number: %(value)s", value=repr(value[:40]))))
            return 0
        if not low <= found <= high:  # also refuses nan and inf
            problems.append(Problem(name, N_("must be between %(low)s and %(high)s",
                                             low=f"{low:g}", high=f"{high:g}")))
        return found

    year = int(number("year", whole=True, low=1990, high=2100)) if text("year") else None
    moves: list[MoveBudget] = []
    additions: list[AddActivity] = []
    if text("from_id") or text("to_id") or text("amount"):
        move = (int(number("from_id", whole=True, high=2**62)),
                int(number("to_id", whole=True, high=2**62)), number("amount"))
        if year is None:
            problems.append(Problem("year", N_("give the year of the budget to move")))
        if not problems:
            moves.append(MoveBudget(from_id=move[0], to_id=move[1], year=year or 0,
                                    amount=move[2]))
    if text("title"):
        budget = number("budget") if text("budget") else 0.0
        if year is None:
            problems.append(Problem("year", N_("give the year of the planned activity")))
        if not problems:
            additions.append(AddActivity(
                title=text("title"), crime_areas=[text("crime_area")],
                countries=[text("country")] if text("country") else [],
                stages=[text("stage")] if text("stage") else [],
                year=year or 0, budget=budget))
    if problems:
        raise InputError(problems)
    scenario = Scenario(moves=moves, additions=additions)
    if scenario.empty:
        raise InputError.single("title", N_("move some budget or add a planned activity"))
    return scenario, year


@pages.get("/report.{fmt}")
def report_page(request: Request, fmt: Literal["html", "pdf"], session: DbSession,
                principal: CurrentPrincipal, year: YearQ = None, start: StartQ = None,
                end: EndQ = None, geo: GeoQ = "country") -> Response:
    with i18n.using(request_language(request)):  # the report in the page's language
        return report_download(fmt, session, principal, year, start, end, geo)


def report_download(fmt: Literal["html", "pdf"], session: DbSession,
                    principal: CurrentPrincipal, year: YearQ = None, start: StartQ = None,
                    end: EndQ = None, geo: GeoQ = "country") -> Response:
    """The report in the current language (the API's: English)."""
    content = generate(session, principal, fmt, _options(year, start, end, geo))
    media = "application/pdf" if fmt == "pdf" else "text/html; charset=utf-8"
    name = f"coherence-report.{fmt}"
    return Response(content, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- JSON API -------------------------------------------------------------------------


_ANY: TypeAdapter[Any] = TypeAdapter(Any)


def _answer(owner: Any, name: str, build: Callable[[], Any]) -> Response:
    """A JSON answer that depends only on a cached analysis (``owner``) and ``name``,
    serialised once per analysis and language: the same bytes the framework would
    send for ``build()``, without building and encoding thousands of objects again on
    every request."""
    def encoded() -> bytes:
        return json.dumps(_ANY.dump_python(build(), mode="json"), ensure_ascii=False,
                          allow_nan=False, indent=None, separators=(",", ":")).encode()

    body: bytes = cache.derived(owner, f"json:{name}:{i18n.current()}", encoded)
    return Response(body, media_type="application/json")


@api.get("/threats", response_model=dict[str, Any])
def api_threats(request: Request, session: DbSession, principal: CurrentPrincipal,
                year: YearQ = None, geo: GeoQ = "country") -> Response:
    """The composite threat picture of one year, every cell with the parts behind it
    (``explanation_shown``: the explanation in the asker's language)."""
    analysis = run(session, principal, _options(year, None, None, geo, limit=0))
    with i18n.using(request_language(request)):
        return _answer(analysis, "threats", lambda: views.picture(analysis))


@api.get("/threats/trends")
def api_trends(session: DbSession, principal: CurrentPrincipal, geo: GeoQ = "country",
               top: Annotated[int, Query(ge=1, le=30)] = 6) -> dict[str, Any]:
    """Composite score by year of the hot spots of the latest year."""
    analysis = run(session, principal, _options(None, None, None, geo, limit=0))
    return views.trends(analysis, top)


@api.get("/indicators")
def api_indicators(session: DbSession, principal: CurrentPrincipal, year: YearQ = None,
                   crime_area: str | None = None, country: str | None = None
                   ) -> list[dict[str, Any]]:
    """Threat indicators the caller may read."""
    return [{"id": i.id, "crime_area": i.crime_area_code, "country": i.country_code,
             "year": i.year, "kind": i.kind, "value": i.value, "unit": i.unit,
             "source": i.source, "reliability": i.source_reliability,
             "credibility": i.credibility, "handling": i.handling, "note": i.note}
            for i in list_indicators(session, principal, year=year, crime_area=crime_area,
                                     country=country)]


@api.post("/indicators/import")
def api_import(session: DbSession, principal: CurrentPrincipal,
                     file: Annotated[UploadFile, File(description="CSV file")],
                     unit: Annotated[str | None, Form()] = None) -> dict[str, Any]:
    """Import threat indicators from a CSV upload (all rows or none)."""
    where = file.filename or "upload"
    text = decode_text(limits.read_upload(file.file, where), where)
    result = import_indicators(session, principal, text, unit=unit)
    return {"created": result.created, "replaced": result.replaced}


@api.get("/groups")
def api_groups(session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """Organized crime groups ranked under the workspace's weights."""
    ranked, used = group_scores.ranking(session, principal)
    return {"weights": used, "groups": [views.group(g) for g in ranked]}


@api.post("/groups/rank")
def api_rank(session: DbSession, principal: CurrentPrincipal,
             weights: Annotated[dict[str, float], Body(embed=True)]) -> dict[str, Any]:
    """Re-rank under other weights without saving them."""
    ranked, used = group_scores.ranking(session, principal, weights)
    return {"weights": used, "groups": [views.group(g) for g in ranked]}


@api.put("/weights")
def api_save_weights(session: DbSession, principal: CurrentPrincipal,
                     weights: Annotated[dict[str, float], Body(embed=True)]) -> dict[str, Any]:
    """Save the workspace's OCG weights (analysts)."""
    return {"weights": group_scores.save_weights(session, principal, weights)}


@api.get("/coverage")
def api_coverage(session: DbSession, principal: CurrentPrincipal,
                 start: Annotated[int, Query(ge=1990, le=2100)],
                 end: EndQ = None, rows: str = "crime_area",
                 cols: str = "country") -> dict[str, Any]:
    """Budget and activity count per cell over a period."""
    if rows not in DIMENSIONS or cols not in DIMENSIONS:
        raise InputError.single("rows/cols", N_("use %(allowed)s",
                                                  allowed=", ".join(DIMENSIONS)))
    matrix = coverage_for(session, principal, Period(start, end or start), rows, cols)
    names = browse.names(session, "country", "crime_area", "stage", "structure")
    return views.matrix(matrix, names)


@api.get("/coverage/cell")
def api_coverage_cell(session: DbSession, principal: CurrentPrincipal, start: StartQ = None,
                      end: EndQ = None, year: YearQ = None, crime_area: str | None = None,
                      stage: str | None = None, country: str | None = None,
                      region: str | None = None, structure: str | None = None,
                      place: str | None = None) -> dict[str, Any]:
    """The programmes and activities behind one cell, largest first."""
    analysis = run(session, principal, _options(year, start, end, "country", limit=0))
    filters = _cell_filters(crime_area, stage, country, region, structure, place)
    found = drill(analysis.portfolio, analysis.inputs.regions, analysis.period, filters)
    audit_shown(session, principal, analysis.portfolio, _drill_rows(found))
    return {"filters": filters, "period": {"start": analysis.period.start,
                                           "end": analysis.period.end},
            "programmes": views.drill(analysis.portfolio, found)}


@api.get("/gaps", response_model=dict[str, Any])
def api_gaps(session: DbSession, principal: CurrentPrincipal, year: YearQ = None,
             start: StartQ = None, end: EndQ = None, geo: GeoQ = "country") -> Response:
    """Hot spots with low coverage, and commitments without a programme, ranked."""
    analysis = run(session, principal, _options(year, start, end, geo, limit=0))
    names, currency = analysis.inputs.names, analysis.portfolio.currency
    return _answer(analysis, "gaps", lambda: {
        "year": analysis.year, "period": str(analysis.period),
        "gaps": [views.gap(g, currency, names) for g in analysis.gaps],
        "commitments": [views.commitment_gap(g, names) for g in analysis.commitment_gaps],
        "notes": analysis.inputs.notes})


@api.get("/duplicates", response_model=list[dict[str, Any]])
def api_duplicates(session: DbSession, principal: CurrentPrincipal,
                   limit: Annotated[int, Query(ge=1, le=5000)] = 200) -> Response:
    """Candidate duplicate or overlapping pairs with their reasons and judgements."""
    analysis = run(session, principal, _options(None, None, None, "country", limit=limit))
    audit_shown(session, principal, analysis.portfolio,
                [r for c in analysis.candidates for r in (c.a, c.b)])
    return _answer(analysis, "duplicates",
                   lambda: [views.candidate(analysis.portfolio, c) for c in analysis.candidates])


@api.post("/duplicates/{pair}/judgement")
def api_judge(pair: str, session: DbSession, principal: CurrentPrincipal,
              verdict: Annotated[str, Body(embed=True)],
              note: Annotated[str, Body(embed=True)] = "") -> dict[str, Any]:
    """Judge a pair (duplicate, overlapping, related, distinct, unsure)."""
    view = judgements.judge(session, principal, judgements.parse_pair(pair), verdict, note)
    return {"id": view.id, "pair": f"{view.activity_a_id}-{view.activity_b_id}",
            "verdict": view.verdict, "note": view.note, "by": view.username,
            "on": view.judged_at}


@api.get("/recommendations", response_model=list[dict[str, Any]])
def api_recommendations(session: DbSession, principal: CurrentPrincipal, year: YearQ = None,
                        start: StartQ = None, end: EndQ = None,
                        geo: GeoQ = "country") -> Response:
    """Ranked recommended actions with rationale and evidence links."""
    analysis = run(session, principal, _options(year, start, end, geo))
    return _answer(analysis, "recommendations",
                   lambda: [views.recommendation(r) for r in analysis.recommendations])


@api.post("/whatif")
def api_whatif(session: DbSession, principal: CurrentPrincipal, scenario: Scenario,
               year: YearQ = None, start: StartQ = None, end: EndQ = None,
               geo: GeoQ = "country") -> dict[str, Any]:
    """Coverage, gaps and recommendations with a scenario applied; nothing is saved."""
    options = _options(year, start, end, geo, limit=200)
    analysis = run(session, principal, options)
    result = what_if(analysis.portfolio, analysis.inputs, scenario, options,
                     known_codes=set(analysis.inputs.names), before=analysis)
    return views.comparison(result)


@api.get("/report")
def api_report(session: DbSession, principal: CurrentPrincipal,
               format: Literal["html", "pdf"] = "pdf", year: YearQ = None,
               start: StartQ = None, end: EndQ = None, geo: GeoQ = "country") -> Response:
    """The fund managers' report as HTML or PDF (audited as an export)."""
    return report_download(format, session, principal, year, start, end, geo)

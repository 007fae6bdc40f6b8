"""The fund managers' coherence report: summary, threat heatmap, coverage, gaps,
duplicates and recommendations, as HTML or PDF.

Built for one principal from the records that principal may read; generating it
is audited as an export (one entry for the report and one per record above
TLP:GREEN that fed it). The report carries the highest handling code among them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.orm import Session

from tocsin import __version__, i18n
from tocsin.access import audit
from tocsin.access.handling import HANDLING_CODES, Handling
from tocsin.access.policy import readable, require
from tocsin.access.principal import Principal
from tocsin.access.roles import Action
from tocsin.coherence import groups as group_scores
from tocsin.coherence.analysis import Analysis, Options, run
from tocsin.coherence.coverage import Period, coverage
from tocsin.coherence.method import method, ocg_method
from tocsin.coherence.picture import compute, region_mapper
from tocsin.coherence.tables import OcgProfile, ThreatIndicator
from tocsin.reports import charts
from tocsin.types.names import Names

TEMPLATES = Path(__file__).parent / "templates"
Format = Literal["html", "pdf"]


@dataclass
class CoherenceReport:
    analysis: Analysis
    principal: Principal
    generated_at: datetime
    handling: str
    groups: list[group_scores.RankedGroup]
    weights: dict[str, float]
    charts: dict[str, Markup] = field(default_factory=dict)
    region_matrix: Any = None
    area_shares: list[dict[str, Any]] = field(default_factory=list)
    fictional: bool = False
    audited: list[tuple[str, int, str]] = field(default_factory=list)


def build(session: Session, principal: Principal, options: Options = Options(), *,
          today: date | None = None) -> CoherenceReport:
    """Compute everything the report shows, for ``principal``."""
    analysis = run(session, principal, options, today=today)
    ranked, used = group_scores.ranking(session, principal)
    report = CoherenceReport(analysis, principal, datetime.now(UTC), "CLEAR", ranked, used)
    # the charts are drawn now, in the report's language: their names as the reader reads them
    names = {code: str(name) for code, name in Names(analysis.inputs.names).items()}

    hot = analysis.hot_spots
    cells = analysis.threat
    rows = sorted({a for a, _ in cells}, key=lambda a: -max(c.score for (x, _), c in
                                                            cells.items() if x == a))
    place_best: dict[str, float] = defaultdict(float)
    for (_a, place), c in cells.items():
        place_best[place] = max(place_best[place], c.score)
    cols = sorted(place_best, key=lambda p: -place_best[p])[:16]
    report.charts["heatmap"] = _svg(charts.heatmap(
        rows, cols, {k: c.score for k, c in cells.items() if k[1] in cols}, names, names,
        i18n._("Composite threat score, %(year)s", year=analysis.year)))

    mapper = region_mapper(analysis.inputs.regions) if analysis.geo == "region" else None
    series_cells = compute(analysis.inputs.indicators, analysis.inputs.groups, mapper)
    series: dict[str, dict[int, float]] = {}
    for c in hot[:6]:
        label = f"{names.get(c.crime_area, c.crime_area)}, {names.get(c.geo, c.geo)}"
        series[label] = {y: cell.score for (a, g, y), cell in series_cells.items()
                         if a == c.crime_area and g == c.geo}
    if series:
        report.charts["trends"] = _svg(charts.trends(
            series, i18n._("Threat trend of the hot spots")))

    report.region_matrix = coverage(analysis.portfolio, analysis.inputs.regions, analysis.period,
                                    rows="crime_area", cols="region")
    threat_total = sum(c.score for c in cells.values()) or 1.0
    budget_total = analysis.matrix.total_budget or 1.0
    per_area_threat: dict[str, float] = defaultdict(float)
    for (a, _p), c in cells.items():
        per_area_threat[a] += c.score
    areas = sorted(set(per_area_threat) | set(analysis.matrix.row_totals),
                   key=lambda a: -per_area_threat.get(a, 0.0))
    report.area_shares = [
        {"code": a, "name": names.get(a, a) if a else i18n._("not stated"),
         "budget": analysis.matrix.row_totals.get(a, 0.0),
         "budget_share": analysis.matrix.row_totals.get(a, 0.0) / budget_total,
         "threat_share": per_area_threat.get(a, 0.0) / threat_total}
        for a in areas]
    shown = report.area_shares[:12]
    report.charts["shares"] = _svg(charts.shares(
        [s["name"] for s in shown], [s["budget_share"] for s in shown],
        [s["threat_share"] for s in shown], i18n._("Budget against threat, by crime area")))

    report.fictional = any(
        session.scalar(readable(model, principal).with_only_columns(model.id)
                       .where(model.illustrative.is_(True)).limit(1)) is not None
        for model in (ThreatIndicator, OcgProfile))
    report.audited = _records_above_green(session, principal, analysis)
    codes = [h for _t, _i, h in report.audited] + ["GREEN"]
    report.handling = max(codes, key=HANDLING_CODES.index)
    return report


def _svg(svg: str) -> Markup:
    # matplotlib writes well-formed SVG and escapes every label, so it may go in as is
    return Markup(svg)  # noqa: S704


def _records_above_green(session: Session, principal: Principal, analysis: Analysis
                         ) -> list[tuple[str, int, str]]:
    p = analysis.portfolio
    found = [("activity", p.ids[i], p.handling[i]) for i in range(len(p))
             if not p.planned[i] and Handling(p.handling[i]).audited_on_read]
    for model in (ThreatIndicator, OcgProfile):
        stmt = readable(model, principal).with_only_columns(model.id, model.handling)
        for ident, handling in session.execute(stmt):
            if Handling(handling).audited_on_read:
                found.append((model.record_type, ident, handling))
    return found


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True, extensions=["jinja2.ext.i18n"])
    # the report is in the language of the request that asks for it (tocsin.i18n.using)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True)
    env.filters["money"] = lambda v: i18n.format_number(v, 0)
    env.filters["kmoney"] = lambda v: (f"{v / 1e6:,.1f} m" if v >= 1e6
                                       else f"{v / 1e3:,.0f} k" if v >= 1e3
                                       else f"{v:,.0f}")
    env.filters["pct"] = lambda v: (f"{100 * v:.1f} %" if i18n.current() == i18n.DEFAULT
                                    else i18n.format_percent(v, 1))
    # a code as words in the report's language (a role, a kind of pair, a verdict)
    env.filters["label"] = lambda code: (i18n.gettext(code.replace("_", " ")) if code
                                         else i18n.gettext("not stated"))
    env.filters["term"] = lambda code: i18n.gettext(str(code).replace("_", " ")) if code else ""
    env.filters["translate"] = i18n.translate
    return env


def render_html(report: CoherenceReport) -> str:
    a = report.analysis
    return _environment().get_template("coherence.html").render(
        r=report, a=a, p=a.portfolio, names=Names(a.inputs.names), method=method(),
        ocg=ocg_method(), version=__version__, language=i18n.current(),
        direction=i18n.direction(),
        css=(TEMPLATES / "report.css").read_text(encoding="utf-8"),
        period=Period(a.period.start, a.period.end))


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    return pdf


def generate(session: Session, principal: Principal, fmt: Format = "html",
             options: Options = Options(), *, today: date | None = None) -> bytes:
    """The report as HTML or PDF bytes; audited as an export in the caller's transaction."""
    require(principal, Action.EXPORT)
    report = build(session, principal, options, today=today)
    html = render_html(report)
    for record_type, ident, handling in report.audited:
        audit.record(session, principal, "export", record_type, ident, handling,
                     detail="coherence report")
    audit.record(session, principal, "export", "coherence_report", "", report.handling,
                 detail=f"format={fmt} year={report.analysis.year} "
                 f"period={report.analysis.period} geo={report.analysis.geo}")
    return render_pdf(html) if fmt == "pdf" else html.encode("utf-8")


def unit_label(session: Session, unit_id: int | None) -> str:
    from tocsin.types.units import unit_code

    return unit_code(session, unit_id) or ""

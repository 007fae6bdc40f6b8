"""The full coherence analysis: threat picture, coverage, gaps, duplicate candidates
and recommendations, computed in memory from a :class:`Portfolio` and
:class:`Inputs` (:func:`analyse`), or from the database for a principal (:func:`run`).

Only records the principal may read enter the analysis, so two people can see
different pictures of the same workspace.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.handling import Handling
from tocsin.access.principal import Principal
from tocsin.coherence import groups as group_scores
from tocsin.coherence.coverage import CoverageMatrix, Period, coverage, explode
from tocsin.coherence.gaps import CommitmentGap, CommitmentInfo, Gap, commitment_gaps, threat_gaps
from tocsin.coherence.method import method
from tocsin.coherence.overlaps import Candidate, Judged, explain_all, find_candidates
from tocsin.coherence.picture import (
    ActiveGroup,
    IndicatorValue,
    ThreatCell,
    compute,
    region_mapper,
)
from tocsin.coherence.portfolio import Portfolio, load_portfolio
from tocsin.coherence.recommend import (
    AgreementInfo,
    HumanRightsFlag,
    LessonMatch,
    Recommendation,
    recommend,
)
from tocsin.coherence.threats import list_indicators
from tocsin.reference.tables import RefCountry, RefCrimeArea, RefStage, RefStructure

Geo = Literal["country", "region"]


@dataclass
class Inputs:
    """Everything besides the portfolio: indicators, groups, names, links to other topics."""

    indicators: list[IndicatorValue] = field(default_factory=list)
    groups: list[ActiveGroup] = field(default_factory=list)
    regions: dict[str, str] = field(default_factory=dict)  # country → region
    names: dict[str, str] = field(default_factory=dict)  # code → display name
    commitments: list[CommitmentInfo] = field(default_factory=list)
    agreements: list[AgreementInfo] = field(default_factory=list)
    judgements: dict[tuple[int, int], Judged] = field(default_factory=dict)
    #: Lessons per (crime area, place), filled for the top gaps by :func:`run`.
    lessons: dict[tuple[str, str], list[LessonMatch]] = field(default_factory=dict)
    #: Law-enforcement capacity building without a human-rights component (safeguards).
    human_rights: list[HumanRightsFlag] = field(default_factory=list)
    #: What could not be connected, said plainly on the pages and in the report.
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Options:
    year: int | None = None
    start: int | None = None
    end: int | None = None
    geo: Geo = "country"
    candidate_limit: int | None = 500


@dataclass
class Analysis:
    year: int
    period: Period
    geo: Geo
    portfolio: Portfolio
    inputs: Inputs
    threat: dict[tuple[str, str], ThreatCell]
    matrix: CoverageMatrix
    gaps: list[Gap]
    commitment_gaps: list[CommitmentGap]
    candidates: list[Candidate]
    recommendations: list[Recommendation]

    def name(self, code: str) -> str:
        return self.inputs.names.get(code, code.replace("_", " ") if code else "not stated")

    @property
    def hot_spots(self) -> list[ThreatCell]:
        high = method().gaps.threat_high
        return sorted((c for c in self.threat.values() if c.score >= high),
                      key=lambda c: -c.score)


def load_regions(session: Session) -> dict[str, str]:
    """Country code → the platform's region (``ref_countries.region``)."""
    return {code: region for code, region in
            session.execute(select(RefCountry.code, RefCountry.region)).all()}


def coverage_for(session: Session, principal: Principal, period: Period,
                 rows: str = "crime_area", cols: str = "country",
                 filters: Mapping[str, object] | None = None) -> CoverageMatrix:
    """The coverage matrix of the portfolio the principal may read (computed once per
    change of the portfolio, the settings and the question)."""
    from tocsin.coherence import cache

    asked = tuple(sorted((k, repr(v)) for k, v in (filters or {}).items()))
    key = cache.key_for(session, principal, "coverage", period, rows, cols, asked,
                        inputs=("portfolio", "settings"))
    return cache.cached(session, principal, key, lambda: coverage(
        portfolio_for(session, principal), load_regions(session), period, rows, cols,
        filters))


def default_year(inputs: Inputs, today: date | None = None) -> int:
    years = [v.year for v in inputs.indicators]
    return max(years) if years else (today or date.today()).year


def threat_for(inputs: Inputs, year: int, geo: Geo) -> dict[tuple[str, str], ThreatCell]:
    mapper = region_mapper(inputs.regions) if geo == "region" else None
    cells = compute(inputs.indicators, inputs.groups, mapper, years=[year])
    return {(a, g): c for (a, g, _y), c in cells.items()}


def analyse(portfolio: Portfolio, inputs: Inputs, options: Options = Options(),
            candidates: list[Candidate] | None = None) -> Analysis:
    """The whole analysis in memory; never writes anything.

    ``candidates`` replaces the duplicate search (a what-if keeps the pairs it
    already knows and adds only those of its planned activities).
    """
    year = options.year or default_year(inputs)
    period = Period(options.start or year, options.end or options.start or year)
    if period.end < period.start:
        period = Period(period.end, period.start)
    threat = threat_for(inputs, year, options.geo)
    matrix = coverage(portfolio, inputs.regions, period, rows="crime_area", cols=options.geo)
    gaps = threat_gaps(threat, matrix)
    cgaps = commitment_gaps(inputs.commitments, threat)
    if candidates is None:
        candidates = find_candidates(portfolio, inputs.judgements,
                                     limit=options.candidate_limit)
    ranked = recommend(
        portfolio, gaps=gaps, commitment_gaps=cgaps, candidates=candidates,
        hot_spots=[c for c in threat.values() if c.score >= method().gaps.threat_high],
        allocation=explode(portfolio, inputs.regions), place_dimension=options.geo,
        lessons=inputs.lessons, agreements=inputs.agreements, names=inputs.names,
        human_rights=inputs.human_rights)
    return Analysis(year, period, options.geo, portfolio, inputs, threat, matrix, gaps, cgaps,
                    candidates, ranked)


# --- the database-backed path ----------------------------------------------------------


def load_inputs(session: Session, principal: Principal, portfolio: Portfolio,
                today: date | None = None) -> Inputs:
    """Indicators, groups, names and the other topics' records the principal may read."""
    from tocsin.coherence import judgements, links

    inputs = Inputs()
    inputs.indicators = [
        IndicatorValue(i.id, i.crime_area_code, i.country_code, i.year, i.kind, i.value, i.unit,
                       i.source, i.source_reliability, i.credibility)
        for i in list_indicators(session, principal)
    ]
    ranked, _weights = group_scores.ranking(session, principal)
    inputs.groups = [ActiveGroup(g.id, g.name, g.score, g.crime_areas, g.countries)
                     for g in ranked]
    for code, name, region in session.execute(
            select(RefCountry.code, RefCountry.name, RefCountry.region)):
        inputs.regions[code] = region
        inputs.names[code] = name
    for model in (RefCrimeArea, RefStage, RefStructure):
        for code, name in session.execute(select(model.code, model.name)):
            inputs.names[code] = name
    inputs.judgements = judgements.latest_for(session, portfolio.ids)
    inputs.commitments, note = links.commitments_without_programme(session, principal)
    inputs.notes += [note] if note else []
    inputs.agreements = links.expiring_agreements(session, principal, today)
    from tocsin.safeguards import markers

    inputs.human_rights = [HumanRightsFlag(f.activity_id, f.identifier, f.rationale)
                           for f in markers.missing_human_rights(session, principal)]
    return inputs


def portfolio_for(session: Session, principal: Principal) -> Portfolio:
    """The portfolio the principal may read, loaded once per change of the portfolio."""
    from tocsin.coherence import cache

    key = cache.key_for(session, principal, "portfolio", inputs=("portfolio", "settings"))
    return cache.cached(session, principal, key, lambda: load_portfolio(session, principal))


def run(session: Session, principal: Principal, options: Options = Options(), *,
        portfolio: Portfolio | None = None, inputs: Inputs | None = None,
        lesson_gaps: int = 5, today: date | None = None) -> Analysis:
    """The analysis for a principal from the database (only readable records count).

    Without ``portfolio`` and ``inputs`` it is computed once per change of its
    inputs and readable view and then served from :mod:`tocsin.coherence.cache`.
    """
    if portfolio is None and inputs is None:
        from tocsin.coherence import cache

        day = today or cache.today()
        key = cache.key_for(session, principal, "analysis", options, lesson_gaps, day)

        def compute() -> Analysis:
            shared = portfolio_for(session, principal)
            return _run(session, principal, options, shared,
                        inputs_for(session, principal, shared, day), lesson_gaps, day,
                        shared_lessons=True)

        return cache.cached(session, principal, key, compute)
    return _run(session, principal, options, portfolio, inputs, lesson_gaps, today)


def inputs_for(session: Session, principal: Principal, portfolio: Portfolio,
               today: date) -> Inputs:
    """What :func:`load_inputs` reads for the principal, read once per change of the
    inputs and day and shared by the analyses of every tab's options (their lessons,
    which depend on the gaps, are added to a copy)."""
    from tocsin.coherence import cache

    key = cache.key_for(session, principal, "inputs", today)
    return cache.cached(session, principal, key,
                        lambda: load_inputs(session, principal, portfolio, today))


def lessons_for(session: Session, principal: Principal, cells: Sequence[tuple[str, str]],
                geo: Geo, regions: Mapping[str, str]) -> dict[tuple[str, str], list[LessonMatch]]:
    """The lessons for the gaps' cells, looked up once per change of the lessons and
    settings and readable view: the analyses of the tabs' options mostly share their
    gaps, and each look-up compares texts."""
    from tocsin.coherence import cache, links

    key = cache.key_for(session, principal, "lessons", tuple(cells), geo,
                        inputs=("lessons", "settings"))
    return cache.cached(session, principal, key, lambda: links.lessons_for_cells(
        session, principal, cells, geo, regions))


def _run(session: Session, principal: Principal, options: Options,
         portfolio: Portfolio | None, inputs: Inputs | None, lesson_gaps: int,
         today: date | None, shared_lessons: bool = False) -> Analysis:
    from tocsin.coherence import links

    portfolio = portfolio if portfolio is not None else load_portfolio(session, principal)
    inputs = inputs if inputs is not None else load_inputs(session, principal, portfolio, today)
    first = analyse(portfolio, inputs, options)
    # lessons are looked up for the top gaps only: each look-up is a text comparison
    wanted = [(g.crime_area, g.geo) for g in first.gaps[:lesson_gaps]]
    look_up = lessons_for if shared_lessons else links.lessons_for_cells
    found = look_up(session, principal, wanted, options.geo, inputs.regions)
    if any(found.values()):
        inputs = replace(inputs, lessons=found)
        first = analyse(portfolio, inputs, options)
    explain_all(portfolio, first.candidates, inputs.names)
    return first


def audit_shown(session: Session, principal: Principal, portfolio: Portfolio,
                rows: Iterable[int]) -> None:
    """Audit the reads of the records above TLP:GREEN a page lists (drill-down, pairs)."""
    for i in sorted(set(rows)):
        if not portfolio.planned[i] and Handling(portfolio.handling[i]).audited_on_read:
            audit.record(session, principal, "read", "activity", portfolio.ids[i],
                         portfolio.handling[i])


def names_of(analysis: Analysis, codes: Sequence[str]) -> Mapping[str, str]:
    return {c: analysis.name(c) for c in codes}

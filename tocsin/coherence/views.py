"""Plain-data views of analysis results, shared by the JSON API and the pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tocsin.coherence.analysis import Analysis
from tocsin.coherence.coverage import CoverageMatrix, DrillProgramme
from tocsin.coherence.gaps import CommitmentGap, Gap
from tocsin.coherence.groups import RankedGroup
from tocsin.coherence.overlaps import Candidate
from tocsin.coherence.picture import ThreatCell, compute, region_mapper
from tocsin.coherence.portfolio import Portfolio
from tocsin.coherence.recommend import Recommendation
from tocsin.coherence.scenario import Comparison


def cell(c: ThreatCell, names: Mapping[str, str]) -> dict[str, Any]:
    return {
        "crime_area": c.crime_area, "crime_area_name": names.get(c.crime_area, c.crime_area),
        "place": c.geo, "place_name": names.get(c.geo, c.geo), "year": c.year,
        "score": round(c.score, 2), "indicator_score": round(c.indicator_score, 2),
        "group_score": round(c.group_score, 2), "confidence": round(c.confidence, 3),
        "explanation": c.explain(),
        # the same in the language of the request (the JSON API's fields stay English)
        "explanation_shown": c.explained().translated(),
        "parts": [{"kind": p.kind, "label": p.label, "unit": p.unit, "value": p.value,
                   "max_value": p.max_value, "normalised": round(p.normalised, 4),
                   "weight": p.weight, "grading": round(p.grading, 4),
                   "indicator_ids": list(p.indicator_ids), "sources": list(p.sources)}
                  for p in c.parts],
        "groups": [{"id": g.id, "name": g.name, "score": round(g.score, 2)} for g in c.groups],
    }


def picture(analysis: Analysis) -> dict[str, Any]:
    names = analysis.inputs.names
    cells = sorted(analysis.threat.values(), key=lambda c: -c.score)
    areas = sorted({c.crime_area for c in cells},
                   key=lambda a: -max(c.score for c in cells if c.crime_area == a))
    places = sorted({c.geo for c in cells},
                    key=lambda p: -max(c.score for c in cells if c.geo == p))
    return {"year": analysis.year, "geo": analysis.geo,
            "years": sorted({v.year for v in analysis.inputs.indicators}),
            "crime_areas": [{"code": a, "name": names.get(a, a)} for a in areas],
            "places": [{"code": p, "name": names.get(p, p)} for p in places],
            "cells": [cell(c, names) for c in cells]}


def trends(analysis: Analysis, top: int = 6) -> dict[str, Any]:
    """Composite score by year of the ``top`` hot spots of the analysis's year.

    The places are those of the analysis: countries, or regions when it was run
    with ``geo="region"``.
    """
    regions = analysis.inputs.regions if analysis.geo == "region" else None
    cells = compute(analysis.inputs.indicators, analysis.inputs.groups,
                    region_mapper(regions) if regions is not None else None)
    names = analysis.inputs.names
    series = []
    for hot in sorted(analysis.threat.values(), key=lambda c: -c.score)[:top]:
        points = sorted((y, c.score) for (a, g, y), c in cells.items()
                        if a == hot.crime_area and g == hot.geo)
        series.append({"crime_area": hot.crime_area, "place": hot.geo,
                       "label": f"{names.get(hot.crime_area, hot.crime_area)}, "
                                f"{names.get(hot.geo, hot.geo)}",
                       "points": [{"year": y, "score": round(s, 2)} for y, s in points]})
    return {"series": series}


def group(g: RankedGroup) -> dict[str, Any]:
    return {"id": g.id, "rank": g.rank, "name": g.name, "handling": g.handling,
            "score": round(g.score, 2), "completeness": round(g.completeness, 3),
            "crime_areas": list(g.crime_areas), "countries": list(g.countries),
            "illustrative": g.illustrative,
            "parts": [{"indicator": p.indicator, "label": p.label, "score": p.score,
                       "level": p.level, "weight": p.weight, "points": p.points}
                      for p in g.parts]}


def matrix(m: CoverageMatrix, names: Mapping[str, str]) -> dict[str, Any]:
    return {"rows_dimension": m.rows_dimension, "cols_dimension": m.cols_dimension,
            "period": {"start": m.period.start, "end": m.period.end}, "currency": m.currency,
            "total_budget": m.total_budget,
            "rows": [{"code": r, "name": names.get(r, r) if r else "not stated"} for r in m.rows],
            "cols": [{"code": c, "name": names.get(c, c) if c else "not stated"} for c in m.cols],
            "cells": [{"row": k[0], "col": k[1], "budget": round(v.budget, 2),
                       "activities": v.activities} for k, v in sorted(m.cells.items())]}


def drill(portfolio: Portfolio, programmes: list[DrillProgramme]) -> list[dict[str, Any]]:
    p = portfolio
    return [{"programme": {"id": p.ids[g.root], "identifier": p.identifiers[g.root],
                           "title": p.titles[g.root], "handling": p.handling[g.root],
                           "planned": p.planned[g.root]},
             "amount": round(g.amount, 2),
             "activities": [{"id": p.ids[a.row], "identifier": p.identifiers[a.row],
                             "title": p.titles[a.row], "level": p.levels[a.row],
                             "handling": p.handling[a.row], "external": p.external[a.row],
                             "planned": p.planned[a.row], "amount": round(a.amount, 2),
                             "share": round(a.share, 4)} for a in g.activities]}
            for g in programmes]


def gap(g: Gap, currency: str, names: Mapping[str, str]) -> dict[str, Any]:
    return {"crime_area": g.crime_area, "place": g.geo, "threat": round(g.threat.score, 2),
            "threat_rank": g.threat_rank, "budget": round(g.budget, 2),
            "activities": g.activities, "budget_share": round(g.budget_share, 4),
            "threat_share": round(g.threat_share, 4), "coverage_ratio": round(g.ratio, 4),
            "score": round(g.score, 2), "reason": g.reason(currency, names)}


def commitment_gap(g: CommitmentGap, names: Mapping[str, str]) -> dict[str, Any]:
    c = g.commitment
    return {"id": c.id, "code": c.code, "summary": c.summary, "priority": c.priority,
            "crime_areas": list(c.crime_areas), "top_threat": round(g.top_threat, 2),
            "score": round(g.score, 2), "reason": g.reason(names)}


def candidate(p: Portfolio, c: Candidate) -> dict[str, Any]:
    j = c.judgement
    return {"pair": c.key(p), "score": round(c.score, 3), "kind": c.kind,
            "features": {k: round(v, 3) for k, v in c.values.items() if c.known[k]},
            "reasons": c.reasons, "changed_since_judged": c.changed_since_judged,
            "judgement": ({"verdict": j.verdict, "by": j.username, "on": j.judged_at,
                           "note": j.note} if j else None),
            "activities": [{"id": p.ids[i], "identifier": p.identifiers[i],
                            "title": p.titles[i], "structure": p.structures[i],
                            "external": p.external[i], "handling": p.handling[i],
                            "planned": p.planned[i]} for i in (c.a, c.b)]}


def recommendation(r: Recommendation) -> dict[str, Any]:
    return {"rank": r.rank, "kind": r.kind, "kind_label": r.kind_label, "title": r.title,
            "rationale": r.rationale, "score": round(r.score, 2), "key": r.key,
            "evidence": [{"kind": e.kind, "label": e.label, "link": e.link} for e in r.evidence]}


def comparison(c: Comparison) -> dict[str, Any]:
    return {
        "cells": [{"crime_area": x.crime_area, "place": x.place,
                   "budget_before": round(x.budget_before, 2),
                   "budget_after": round(x.budget_after, 2),
                   "activities_before": x.activities_before,
                   "activities_after": x.activities_after} for x in c.cells],
        "gaps_closed": c.gaps_closed, "gaps_opened": c.gaps_opened,
        "recommendations_added": c.recommendations_added,
        "recommendations_removed": c.recommendations_removed,
        "gaps_before": len(c.before.gaps), "gaps_after": len(c.after.gaps),
    }

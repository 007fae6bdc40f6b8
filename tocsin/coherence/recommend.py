"""Recommended actions for fund managers, ranked, each with its rationale and evidence.

Scores are on one 0-100 scale so the kinds can be ranked together:

=================  ===================================================================
fill a gap         the gap score (threat x how far coverage falls short)
start programme    0.9 x the commitment gap score (priority x threat in its areas)
merge              judged duplicate: 60 + 30 x pair score; likely duplicate not yet
                   judged ("check and merge"): 40 x pair score
co-ordinate        judged overlapping: 40 + 25 x pair score
apply a lesson     0.6 x the score of the gap the lesson applies to x its match score
                   (the lessons library's design check, 0..1)
renew agreement    0.9 x the threat of a hot spot whose activities run under an
                   agreement in force that expires within the warning period
human rights       45, fixed: capacity building for law-enforcement bodies without a
                   human-rights component (see :mod:`tocsin.safeguards.markers`) is a
                   safeguard to add, ranked with the co-ordination of overlapping work
=================  ===================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from tocsin.coherence.coverage import Allocation
from tocsin.coherence.gaps import CommitmentGap, Gap
from tocsin.coherence.overlaps import Candidate
from tocsin.coherence.picture import ThreatCell
from tocsin.coherence.portfolio import Portfolio
from tocsin.i18n import N_, Date, Joined, Message, Number
from tocsin.types.names import Name

#: Titles, rationales and kinds are messages with their values (:mod:`tocsin.i18n`): the
#: analysis is computed once and shown to readers in any language; the JSON API sends
#: their English text.
KINDS = {
    "fill_gap": N_("Fill a gap"),
    "start_programme": N_("Start a programme for a commitment"),
    "merge": N_("Merge duplicate activities"),
    "coordinate": N_("Co-ordinate overlapping activities"),
    "apply_lesson": N_("Apply a lesson identified"),
    "renew_agreement": N_("Renew an expiring agreement"),
    "human_rights": N_("Add a human-rights component"),
}
#: Score of a missing human-rights component (see the table above).
HUMAN_RIGHTS_SCORE = 45.0


@dataclass(frozen=True)
class Evidence:
    kind: str  # cell | pair | commitment | lesson | agreement | activity
    label: str
    link: str


@dataclass
class Recommendation:
    kind: str
    title: Message
    rationale: str
    score: float
    evidence: list[Evidence] = field(default_factory=list)
    key: str = ""
    rank: int = 0

    @property
    def kind_label(self) -> Message:
        return KINDS[self.kind]


@dataclass(frozen=True)
class LessonMatch:
    """A lesson that applies to a gap (from the lessons library's design check)."""

    id: int
    title: str
    statement: str
    score: float
    explanation: str


@dataclass(frozen=True)
class HumanRightsFlag:
    """Law-enforcement capacity building without a human-rights component."""

    activity_id: int
    identifier: str
    rationale: str


@dataclass(frozen=True)
class AgreementInfo:
    id: int
    title: str
    expires_on: date
    days_left: int
    crime_areas: tuple[str, ...]
    activity_ids: tuple[int, ...]
    parties: tuple[str, ...] = ()


def cell_label(area: str, place: str) -> Message:
    """A (crime area, place) cell as evidence: ``Drug trafficking x Tajikistan``."""
    return N_("%(area)s x %(place)s", area=area, place=place)


def cell_link(area: str, place: str) -> str:
    return f"/coherence/coverage/cell?crime_area={area}&place={place}"


def pair_link(portfolio: Portfolio, c: Candidate) -> str:
    return f"/coherence/duplicates#pair-{portfolio.ids[c.a]}-{portfolio.ids[c.b]}"


def activity_link(record_id: int) -> str:
    return f"/programmes/{record_id}"


def recommend(portfolio: Portfolio, *, gaps: Sequence[Gap],
              commitment_gaps: Sequence[CommitmentGap], candidates: Sequence[Candidate],
              hot_spots: Sequence[ThreatCell], allocation: Allocation | None,
              place_dimension: str = "country",
              lessons: Mapping[tuple[str, str], Sequence[LessonMatch]] | None = None,
              agreements: Sequence[AgreementInfo] = (),
              names: Mapping[str, str] | None = None, limit: int | None = None,
              human_rights: Sequence[HumanRightsFlag] = (),
              ) -> list[Recommendation]:
    """The ranked recommendations from the analysis results."""
    names = names or {}

    def n(code: str) -> Name:  # in the reader's language where shown
        return Name(code, names.get(code, code.replace("_", " ")))

    p = portfolio
    out: list[Recommendation] = []
    for g in gaps:
        out.append(Recommendation(
            "fill_gap", N_("Fund work on %(area)s in %(place)s", area=n(g.crime_area),
                           place=n(g.geo)),
            g.reason(p.currency, names), g.score,
            [Evidence("cell", cell_label(n(g.crime_area), n(g.geo)),
                      cell_link(g.crime_area, g.geo))],
            key=f"gap:{g.crime_area}:{g.geo}"))
        for m in (lessons or {}).get((g.crime_area, g.geo), ()):
            out.append(Recommendation(
                "apply_lesson", N_("Apply \u201c%(lesson)s\u201d to new work on %(area)s in "
                                   "%(place)s", lesson=m.title, area=n(g.crime_area),
                                   place=n(g.geo)),
                N_("%(lesson)s It applies here: %(why)s.", lesson=m.statement or m.title,
                   why=m.explanation),
                0.6 * g.score * min(max(m.score, 0.0), 1.0),
                [Evidence("lesson", m.title, f"/lessons/{m.id}"),
                 Evidence("cell", cell_label(n(g.crime_area), n(g.geo)),
                          cell_link(g.crime_area, g.geo))],
                key=f"lesson:{m.id}:{g.crime_area}:{g.geo}"))
    for cg in commitment_gaps:
        c = cg.commitment
        evidence = [Evidence("commitment", c.code, f"/commitments/{c.id}")]
        evidence += [Evidence("cell", cell_label(n(cell.crime_area), n(cell.geo)),
                              cell_link(cell.crime_area, cell.geo)) for cell in cg.cells[:3]]
        out.append(Recommendation(
            "start_programme", N_("Start a programme for commitment %(code)s", code=c.code),
            Joined([cg.reason(names), c.summary.strip()] if c.summary.strip()
                   else [cg.reason(names)], " "), 0.9 * cg.score, evidence,
            key=f"commitment:{c.id}"))
    for cand in candidates:
        first, second = p.identifiers[cand.a], p.identifiers[cand.b]
        evidence = [Evidence("pair", f"{first} / {second}", pair_link(p, cand)),
                    Evidence("activity", first, activity_link(p.ids[cand.a])),
                    Evidence("activity", second, activity_link(p.ids[cand.b]))]
        judged = cand.judgement
        why = Joined(cand.reasons[:3], " ")
        if judged is not None and judged.verdict == "duplicate":
            out.append(Recommendation(
                "merge", N_("Merge %(first)s and %(second)s", first=first, second=second),
                N_("Judged duplicate by %(username)s on %(date)s. %(why)s",
                   username=judged.username, date=judged.judged_at, why=why),
                60 + 30 * cand.score, evidence, key=f"pair:{cand.key(p)}"))
        elif judged is not None and judged.verdict == "overlapping":
            out.append(Recommendation(
                "coordinate", N_("Co-ordinate %(first)s and %(second)s", first=first,
                                 second=second),
                N_("Judged overlapping by %(username)s on %(date)s. %(why)s",
                   username=judged.username, date=judged.judged_at, why=why),
                40 + 25 * cand.score, evidence, key=f"pair:{cand.key(p)}"))
        elif judged is None and cand.kind == "likely duplicate":
            out.append(Recommendation(
                "merge", N_("Check whether %(first)s and %(second)s are the same work",
                            first=first, second=second),
                N_("Likely duplicate (score %(score)s), not yet judged. %(why)s",
                   score=Number(cand.score, 2), why=why),
                40 * cand.score, evidence, key=f"pair:{cand.key(p)}"))
    out += _renewals(p, hot_spots, allocation, place_dimension, agreements, n)
    out += [Recommendation(
        "human_rights", N_("Add a human-rights component to %(activity)s",
                           activity=f.identifier), f.rationale,
        HUMAN_RIGHTS_SCORE, [Evidence("activity", f.identifier, activity_link(f.activity_id))],
        key=f"human_rights:{f.activity_id}") for f in human_rights]
    out.sort(key=lambda r: (-r.score, r.key))
    for i, r in enumerate(out):
        r.rank = i + 1
    return out[:limit] if limit is not None else out


def _renewals(p: Portfolio, hot_spots: Sequence[ThreatCell], allocation: Allocation | None,
              place_dimension: str, agreements: Sequence[AgreementInfo],
              name: Callable[[str], str]) -> list[Recommendation]:
    """Agreements expiring soon whose activities cover a hot spot."""
    if not agreements or allocation is None:
        return []
    known = set(p.ids)
    place_index = allocation.code_index(place_dimension)
    area_index = allocation.code_index("crime_area")
    out = []
    for a in agreements:
        rows = [p.row_of(i) for i in a.activity_ids if i in known]
        if not rows:
            continue
        # the agreement's activities and everything below them
        covered = set(rows)
        kids = p.children()
        stack = list(rows)
        while stack:
            for k in kids[stack.pop()]:
                if k not in covered:
                    covered.add(k)
                    stack.append(k)
        mask = np.isin(allocation.record, np.fromiter(covered, dtype=np.int64))
        for cell in hot_spots:
            ai, pi = area_index.get(cell.crime_area), place_index.get(cell.geo)
            if ai is None or pi is None:
                continue
            hit = mask & (allocation.codes["crime_area"] == ai) & \
                (allocation.codes[place_dimension] == pi)
            if not hit.any():
                continue
            when = (N_("The agreement lapsed (%(date)s)", date=Date(a.expires_on))
                    if a.days_left < 0 else
                    N_("The agreement expires in %(days)s days (%(date)s)", days=a.days_left,
                       date=Date(a.expires_on)))
            dependent = sorted({p.identifiers[int(r)] for r in allocation.record[hit]})
            area, place, score = name(cell.crime_area), name(cell.geo), Number(cell.score, 0)
            listed = ", ".join(dependent[:3])
            out.append(Recommendation(
                "renew_agreement", N_("Renew \u201c%(agreement)s\u201d", agreement=a.title),
                N_("%(when)s; 1 activity under it work on %(area)s in %(place)s, a threat hot "
                   "spot scoring %(score)s/100 (%(activities)s).", when=when, area=area,
                   place=place, score=score, activities=listed)
                if len(dependent) == 1 else
                N_("%(when)s; %(count)s activities under it work on %(area)s in %(place)s, a "
                   "threat hot spot scoring %(score)s/100 (%(activities)s).", when=when,
                   count=len(dependent), area=area, place=place, score=score,
                   activities=listed),
                0.9 * cell.score,
                [Evidence("agreement", a.title, f"/partners/agreements/{a.id}"),
                 Evidence("cell", cell_label(name(cell.crime_area), name(cell.geo)),
                          cell_link(cell.crime_area, cell.geo))],
                key=f"agreement:{a.id}:{cell.crime_area}:{cell.geo}"))
    return out

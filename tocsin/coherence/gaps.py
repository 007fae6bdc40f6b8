"""Gaps: where the threat is high and coverage low, and commitments without a programme.

*Threat gaps.* For the threat year, every (crime area, place) cell whose
composite threat score is at least ``threat_high`` is compared with its
coverage over the period: its *share of the budget* (cell budget / budget of
all cells) against its *share of the threat* (cell score / sum of all scores).
``coverage ratio = budget share / threat share``; the cell is a gap when the
ratio is below ``coverage_low_ratio``. Gaps rank by
``threat score x (1 - min(ratio / coverage_low_ratio, 1))``: a hot spot with no
money ranks by its full threat, one with some money lower.

*Commitment gaps.* Commitments with no programme behind them rank by priority
(high 1.0, medium 0.6, low 0.3) times ``0.5 + 0.5 x highest threat score of
their crime areas / 100``, x 100.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from tocsin.coherence.coverage import CoverageMatrix
from tocsin.coherence.method import GapRules, method
from tocsin.coherence.picture import ThreatCell
from tocsin.i18n import N_, Date, Message, Number
from tocsin.types.names import Name

PRIORITY_FACTOR = {1: 1.0, 2: 0.6, 3: 0.3}
PRIORITY_LABEL = {1: N_("high"), 2: N_("medium"), 3: N_("low")}


@dataclass
class Gap:
    crime_area: str
    geo: str
    threat: ThreatCell
    budget: float
    activities: int
    budget_share: float
    threat_share: float
    ratio: float
    score: float
    threat_rank: int = 0

    def reason(self, currency: str, names: Mapping[str, str] | None = None) -> Message:
        """Why the cell is a gap, a message in the reader's language where it is shown."""
        names = names or {}
        area = Name(self.crime_area, names.get(self.crime_area, self.crime_area))
        place = Name(self.geo, names.get(self.geo, self.geo))
        budget = Number(self.budget, 0)
        if self.budget == 0 and self.activities == 0:
            money = N_("no budget and no activity")
        elif self.activities == 1:
            money = N_("%(currency)s %(budget)s in 1 activity", currency=currency, budget=budget)
        else:
            money = N_("%(currency)s %(budget)s in %(count)s activities", currency=currency,
                       budget=budget, count=self.activities)
        return N_("%(area)s in %(place)s: threat %(threat)s/100 (rank %(rank)s) but %(money)s; "
                  "%(budget_share)s%% of the budget against %(threat_share)s%% of the threat "
                  "(coverage ratio %(ratio)s).", area=area, place=place,
                  threat=Number(self.threat.score, 0), rank=self.threat_rank, money=money,
                  budget_share=Number(100 * self.budget_share, 1),
                  threat_share=Number(100 * self.threat_share, 1),
                  ratio=Number(self.ratio, 2))


def threat_gaps(threat: Mapping[tuple[str, str], ThreatCell], matrix: CoverageMatrix,
                rules: GapRules | None = None) -> list[Gap]:
    """Gaps among the threat cells (keyed by crime area and place), highest first."""
    rules = rules or method().gaps
    total_threat = sum(c.score for c in threat.values())
    total_budget = matrix.total_budget
    ranked = sorted(threat.values(), key=lambda c: -c.score)
    rank_of = {(c.crime_area, c.geo): i + 1 for i, c in enumerate(ranked)}
    gaps = []
    for (area, place), cell in threat.items():
        if cell.score < rules.threat_high or total_threat <= 0:
            continue
        covered = matrix.get(area, place)
        budget_share = covered.budget / total_budget if total_budget > 0 else 0.0
        threat_share = cell.score / total_threat
        ratio = budget_share / threat_share if threat_share > 0 else 0.0
        if ratio >= rules.coverage_low_ratio:
            continue
        score = cell.score * (1.0 - min(ratio / rules.coverage_low_ratio, 1.0))
        gaps.append(Gap(area, place, cell, covered.budget, covered.activities, budget_share,
                        threat_share, ratio, score, rank_of[(area, place)]))
    gaps.sort(key=lambda g: (-g.score, g.crime_area, g.geo))
    return gaps


@dataclass(frozen=True)
class CommitmentInfo:
    """A commitment as the gap analysis needs it."""

    id: int
    code: str
    summary: str
    priority: int
    crime_areas: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    deadline: date | None = None


@dataclass
class CommitmentGap:
    commitment: CommitmentInfo
    top_threat: float
    top_cell: tuple[str, str] | None
    score: float
    cells: list[ThreatCell] = field(default_factory=list)

    def reason(self, names: Mapping[str, str] | None = None) -> Message:
        """Why the commitment needs a programme, a message in the reader's language."""
        names = names or {}
        c = self.commitment
        priority = PRIORITY_LABEL.get(c.priority, str(c.priority))
        if c.deadline:
            said = N_("%(code)s: %(priority)s priority, due %(deadline)s, no programme behind "
                      "it", code=c.code, priority=priority, deadline=Date(c.deadline))
        else:
            said = N_("%(code)s: %(priority)s priority, no programme behind it", code=c.code,
                      priority=priority)
        if not self.top_cell:
            return N_("%(reason)s.", reason=said)
        area, place = self.top_cell
        return N_("%(reason)s; its crime areas reach a threat of %(threat)s/100 (%(area)s in "
                  "%(place)s).", reason=said, threat=Number(self.top_threat, 0),
                  area=Name(area, names.get(area, area)),
                  place=Name(place, names.get(place, place)))


def commitment_gaps(commitments: Sequence[CommitmentInfo],
                    threat: Mapping[tuple[str, str], ThreatCell]) -> list[CommitmentGap]:
    """Commitments without a programme, ranked by priority and the threat in their areas."""
    by_area: dict[str, list[ThreatCell]] = {}
    for cell in threat.values():
        by_area.setdefault(cell.crime_area, []).append(cell)
    out = []
    for c in commitments:
        cells = sorted((cell for a in c.crime_areas for cell in by_area.get(a, [])),
                       key=lambda cell: -cell.score)
        top = cells[0] if cells else None
        top_threat = top.score if top else 0.0
        score = 100.0 * PRIORITY_FACTOR.get(c.priority, 0.3) * (0.5 + 0.5 * top_threat / 100.0)
        out.append(CommitmentGap(c, top_threat, (top.crime_area, top.geo) if top else None,
                                 score, cells[:5]))
    out.sort(key=lambda g: (-g.score, g.commitment.code))
    return out

"""What-if: move budget between records or add planned activities, and see coverage,
gaps and recommendations change — on an in-memory copy of the portfolio, never
written to the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from tocsin.coherence.analysis import Analysis, Inputs, Options, analyse
from tocsin.coherence.overlaps import explain_all, find_candidates
from tocsin.coherence.portfolio import Portfolio, normalise
from tocsin.errors import InputError, Problem
from tocsin.i18n import N_
from tocsin.types.names import Name


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MoveBudget(_Spec):
    from_id: int = Field(description="record (activity id) the money leaves")
    to_id: int = Field(description="record the money goes to")
    year: int
    amount: float = Field(gt=0)


class AddActivity(_Spec):
    title: str = Field(min_length=1, max_length=500)
    description: str = ""
    crime_areas: list[str] = Field(min_length=1)
    countries: list[str] = Field(default_factory=list)
    stages: list[str] = Field(default_factory=list)
    structure: str = ""
    year: int
    budget: float = Field(ge=0)
    start: date | None = None
    end: date | None = None


class Scenario(_Spec):
    moves: list[MoveBudget] = Field(default_factory=list)
    additions: list[AddActivity] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.moves and not self.additions


def apply(portfolio: Portfolio, scenario: Scenario, known_codes: set[str] | None = None
          ) -> Portfolio:
    """A copy of ``portfolio`` with the scenario applied; checks every step first."""
    problems: list[Problem] = []
    index = {ident: i for i, ident in enumerate(portfolio.ids)}
    for k, m in enumerate(scenario.moves):
        where = f"moves[{k}]"
        for side, ident in (("from_id", m.from_id), ("to_id", m.to_id)):
            if ident not in index:
                problems.append(Problem(f"{where}.{side}", N_("no activity %(id)s you may read",
                                                              id=ident)))
        if m.from_id == m.to_id:
            problems.append(Problem(where, N_("moving money to the same record changes "
                                              "nothing")))
        if m.from_id in index:
            own = portfolio.budget[index[m.from_id]].get(m.year, 0.0)
            if m.amount > own + 1e-6:
                problems.append(Problem(f"{where}.amount", N_(
                    "%(identifier)s has %(currency)s %(own)s of its own in %(year)s; cannot "
                    "move %(amount)s", identifier=portfolio.identifiers[index[m.from_id]],
                    currency=portfolio.currency, own=f"{own:,.0f}", year=m.year,
                    amount=f"{m.amount:,.0f}")))
    for k, a in enumerate(scenario.additions):
        if known_codes is not None:
            for field_name in ("crime_areas", "countries", "stages"):
                for code in getattr(a, field_name):
                    if code not in known_codes:
                        problems.append(Problem(f"additions[{k}].{field_name}",
                                                N_("unknown code %(code)s",
                                                   code=repr(code))))
        if a.start and a.end and a.end < a.start:
            problems.append(Problem(f"additions[{k}].end", N_("ends before it starts")))
    if problems:
        raise InputError(problems)

    overlay = portfolio.copy()
    for m in scenario.moves:
        src, dst = index[m.from_id], index[m.to_id]
        overlay.budget[src][m.year] = overlay.budget[src].get(m.year, 0.0) - m.amount
        overlay.budget[dst][m.year] = overlay.budget[dst].get(m.year, 0.0) + m.amount
    next_id = -1
    for k, a in enumerate(scenario.additions):
        overlay.add(id=next_id - k, identifier=f"PLANNED-{k + 1}", title=a.title,
                    description=a.description, structure=a.structure, status=1,
                    start=a.start or date(a.year, 1, 1), end=a.end or date(a.year, 12, 31),
                    countries=normalise((c.upper(), None) for c in a.countries),
                    crime_areas=normalise((c, None) for c in a.crime_areas),
                    stages=normalise((s, None) for s in a.stages),
                    budget={a.year: a.budget} if a.budget else None, planned=True)
    overlay.changed()
    return overlay


@dataclass
class CellChange:
    crime_area: str
    place: str
    budget_before: float
    budget_after: float
    activities_before: int
    activities_after: int


@dataclass
class Comparison:
    before: Analysis
    after: Analysis
    cells: list[CellChange] = field(default_factory=list)
    gaps_closed: list[str] = field(default_factory=list)
    gaps_opened: list[str] = field(default_factory=list)
    recommendations_added: list[str] = field(default_factory=list)
    recommendations_removed: list[str] = field(default_factory=list)


def what_if(portfolio: Portfolio, inputs: Inputs, scenario: Scenario,
            options: Options = Options(), known_codes: set[str] | None = None,
            before: Analysis | None = None) -> Comparison:
    """Analyse the portfolio with and without the scenario and list what changes."""
    before = before or analyse(portfolio, inputs, options)
    overlay = apply(portfolio, scenario, known_codes)
    # the pairs already known stay as they are (new rows are appended, so row indexes
    # hold); only pairs with a planned activity are new, searched in their blocks only
    planned = [i for i, added in enumerate(overlay.planned) if added]
    fresh = find_candidates(overlay, inputs.judgements, involving=planned) if planned else []
    explain_all(overlay, fresh, inputs.names)
    pairs = sorted([*before.candidates, *fresh], key=lambda c: -c.score)
    after = analyse(overlay, inputs, options, candidates=pairs)
    out = Comparison(before, after)
    keys = set(before.matrix.cells) | set(after.matrix.cells)
    for key in sorted(keys):
        b, a = before.matrix.get(*key), after.matrix.get(*key)
        if abs(b.budget - a.budget) > 0.005 or b.activities != a.activities:
            out.cells.append(CellChange(key[0], key[1], b.budget, a.budget, b.activities,
                                        a.activities))
    gaps_before = {(g.crime_area, g.geo) for g in before.gaps}
    gaps_after = {(g.crime_area, g.geo) for g in after.gaps}
    out.gaps_closed = [N_("%(area)s in %(place)s", area=Name(a, before.name(a)),
                          place=Name(p, before.name(p)))
                       for a, p in sorted(gaps_before - gaps_after)]
    out.gaps_opened = [N_("%(area)s in %(place)s", area=Name(a, after.name(a)),
                          place=Name(p, after.name(p)))
                       for a, p in sorted(gaps_after - gaps_before)]
    rec_before = {r.key: r.title for r in before.recommendations}
    rec_after = {r.key: r.title for r in after.recommendations}
    out.recommendations_added = [rec_after[k] for k in rec_after if k not in rec_before]
    out.recommendations_removed = [rec_before[k] for k in rec_before if k not in rec_after]
    return out

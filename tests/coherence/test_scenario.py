"""What-if scenarios change the analysis of an overlay, never the portfolio itself."""

from __future__ import annotations

import pytest

from tocsin.coherence import synthetic
from tocsin.coherence.analysis import Inputs, Options, analyse
from tocsin.coherence.picture import IndicatorValue
from tocsin.coherence.scenario import AddActivity, MoveBudget, Scenario, apply, what_if
from tocsin.errors import InputError


def inputs() -> Inputs:
    values = []
    for k, (country, amount) in enumerate([("RS", 100.0), ("AL", 90.0), ("MD", 5.0)]):
        values.append(IndicatorValue(k, "cybercrime", country, 2023, "cases", amount, "cases",
                                     "police", "A", 1))
    return Inputs(indicators=values, regions={"RS": "SEE", "AL": "SEE", "MD": "EE"})


def test_adding_a_planned_activity_closes_a_gap_without_touching_the_portfolio() -> None:
    g = synthetic.generate(200, seed=1)
    p = g.portfolio
    before = analyse(p, inputs(), Options(year=2023))
    hot = {(x.crime_area, x.geo) for x in before.gaps}
    assert ("cybercrime", "RS") in hot or ("cybercrime", "AL") in hot
    target = before.gaps[0]
    size = len(p)
    scenario = Scenario(additions=[AddActivity(title="New cyber unit support",
                                               crime_areas=[target.crime_area],
                                               countries=[target.geo], year=2023,
                                               budget=before.matrix.total_budget)])
    result = what_if(p, inputs(), scenario, Options(year=2023), before=before)
    assert f"{target.crime_area.replace('_', ' ')} in {target.geo}" in result.gaps_closed
    assert any(c.crime_area == target.crime_area and c.place == target.geo
               and c.activities_after == c.activities_before + 1 for c in result.cells)
    assert len(p) == size  # the portfolio itself is unchanged


def test_moving_budget_is_checked_before_anything_happens() -> None:
    g = synthetic.generate(100, seed=2)
    p = g.portfolio
    funded = next(i for i in range(len(p)) if p.budget[i])
    year, amount = next(iter(p.budget[funded].items()))
    other = next(i for i in range(len(p)) if i != funded and p.levels[i] == "activity")
    with pytest.raises(InputError) as caught:
        apply(p, Scenario(moves=[MoveBudget(from_id=p.ids[funded], to_id=p.ids[other],
                                            year=year, amount=amount * 2),
                                 MoveBudget(from_id=999_999, to_id=p.ids[other], year=year,
                                            amount=1)]))
    assert len(caught.value.problems) == 2
    moved = apply(p, Scenario(moves=[MoveBudget(from_id=p.ids[funded], to_id=p.ids[other],
                                                year=year, amount=amount)]))
    assert moved.budget[funded][year] == 0
    assert moved.budget[other][year] == p.budget[other].get(year, 0) + amount
    assert p.budget[funded][year] == amount


def test_a_planned_duplicate_is_flagged_and_known_pairs_stay() -> None:
    g = synthetic.generate(300, seed=4, duplicate_rate=0.1)
    p = g.portfolio
    before = analyse(p, inputs(), Options(year=2023))
    leaf = next(i for i in range(len(p)) if p.levels[i] == "activity" and p.descriptions[i])
    copy = AddActivity(title=p.titles[leaf], description=p.descriptions[leaf],
                       crime_areas=[c for c, _ in p.crime_areas[leaf]],
                       countries=[c for c, _ in p.countries[leaf]],
                       stages=[s for s, _ in p.stages[leaf]],
                       year=p.starts[leaf].year, budget=1000.0,  # type: ignore[union-attr]
                       start=p.starts[leaf], end=p.ends[leaf])
    result = what_if(p, inputs(), Scenario(additions=[copy]), Options(year=2023), before=before)
    assert any(p.identifiers[leaf] in t and "PLANNED-1" in t
               for t in result.recommendations_added)
    assert not any("PLANNED" not in t for t in result.recommendations_added
                   if t.startswith("Check whether"))
    assert not result.recommendations_removed or all(
        not t.startswith("Check whether") for t in result.recommendations_removed)


def test_moving_budget_searches_no_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    from tocsin.coherence import overlaps

    g = synthetic.generate(200, seed=2, duplicate_rate=0.1)
    p = g.portfolio
    before = analyse(p, inputs(), Options(year=2024, candidate_limit=200))
    funded = next(i for i in range(len(p)) if p.budget[i])
    year, amount = next(iter(p.budget[funded].items()))
    other = next(i for i in range(len(p)) if i != funded and p.levels[i] == "activity")
    searches: list[int] = []
    search = overlaps.candidate_pairs
    monkeypatch.setattr(overlaps, "candidate_pairs",
                        lambda *a, **k: searches.append(1) or search(*a, **k))
    result = what_if(p, inputs(), Scenario(moves=[MoveBudget(
        from_id=p.ids[funded], to_id=p.ids[other], year=year, amount=amount)]),
        Options(year=2024, candidate_limit=200), before=before)
    assert searches == [] and result.after.candidates == before.candidates

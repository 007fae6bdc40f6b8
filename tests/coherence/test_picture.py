"""The composite threat score: every number follows from its indicators."""

from __future__ import annotations

import pytest

from tocsin.coherence.method import method
from tocsin.coherence.picture import ActiveGroup, IndicatorValue, compute, region_mapper


def value(ident: int, country: str, kind: str, amount: float, grade: str = "A1",
          source: str = "s", area: str = "drug_trafficking", year: int = 2024) -> IndicatorValue:
    return IndicatorValue(ident, area, country, year, kind, amount, "", source, grade[0],
                          int(grade[1]))


def test_score_is_traceable_to_its_indicators() -> None:
    m = method()
    rs_victims_grade = m.grading.factor("C", 3)
    cells = compute([
        value(1, "RS", "seizures", 100), value(2, "AL", "seizures", 50),
        value(3, "RS", "identified_victims", 10, "C3"), value(4, "AL", "identified_victims", 20),
    ], [])
    rs = cells[("drug_trafficking", "RS", 2024)]
    parts = {p.kind: p for p in rs.parts}
    assert parts["seizures"].normalised == 1.0
    assert parts["identified_victims"].normalised == 0.5
    assert parts["identified_victims"].max_value == 20
    assert parts["identified_victims"].indicator_ids == (3,)
    w_s = m.indicator_kinds["seizures"].weight
    w_v = m.indicator_kinds["identified_victims"].weight * rs_victims_grade
    expected = 100 * (w_s * 1.0 + w_v * 0.5) / (w_s + w_v)
    assert rs.indicator_score == pytest.approx(expected)
    assert rs.score == pytest.approx((1 - m.composite.ocg_share) * expected)
    assert "Composite" in rs.explain()


def test_sources_combine_by_grading_and_regions_sum_countries() -> None:
    m = method()
    cells = compute([value(1, "RS", "cases", 100, "A1", "police"),
                     value(2, "RS", "cases", 200, "E5", "press"),
                     value(3, "AL", "cases", 40)], [])
    fa, fe = m.grading.factor("A", 1), m.grading.factor("E", 5)
    combined = (fa * 100 + fe * 200) / (fa + fe)
    assert cells[("drug_trafficking", "RS", 2024)].parts[0].value == pytest.approx(combined)

    regional = compute([value(1, "RS", "cases", 100), value(2, "AL", "cases", 40),
                        value(3, "DE", "cases", 70)], [],
                       region_mapper({"RS": "SEE", "AL": "SEE", "DE": "WE"}))
    see = regional[("drug_trafficking", "SEE", 2024)]
    assert see.parts[0].value == 140
    assert regional[("drug_trafficking", "WE", 2024)].parts[0].normalised == pytest.approx(0.5)


def test_groups_combine_and_can_raise_a_cell() -> None:
    share = method().composite.ocg_share
    groups = [ActiveGroup(1, "A", 60, ("drug_trafficking",), ("RS",)),
              ActiveGroup(2, "B", 50, ("drug_trafficking",), ("RS", "AL"))]
    cells = compute([value(1, "RS", "cases", 10), value(2, "AL", "cases", 10)], groups)
    rs = cells[("drug_trafficking", "RS", 2024)]
    assert rs.group_score == pytest.approx(100 * (1 - 0.4 * 0.5))
    assert rs.score == pytest.approx((1 - share) * 100 + share * 80)
    assert [g.name for g in rs.groups] == ["A", "B"]
    # a group where no indicator was reported still makes the cell visible
    only = compute([], groups, years=[2024])
    assert only[("drug_trafficking", "AL", 2024)].score == pytest.approx(share * 50)

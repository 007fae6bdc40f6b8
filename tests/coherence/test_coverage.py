"""Coverage allocates budgets by shares, counts units of work and drills down."""

from __future__ import annotations

from datetime import date

import pytest

from tocsin.coherence.coverage import Period, coverage, drill, explode
from tocsin.coherence.portfolio import Portfolio, normalise

REGIONS = {"RS": "South-Eastern Europe", "AL": "South-Eastern Europe", "MD": "Eastern Europe"}


def small() -> Portfolio:
    p = Portfolio(currency="EUR")
    prog = p.add(id=1, identifier="P", level="programme", title="Programme",
                 crime_areas=normalise([("drug_trafficking", 70), ("money_laundering", 30)]),
                 countries=normalise([("RS", None)]), budget={2024: 1000.0})
    p.add(id=2, identifier="P-1", parent=prog, title="Child one", structure="tntd-spmu",
          stages=normalise([("investigation", 50), ("prosecution", 50)]),
          budget={2024: 600.0}, start=date(2024, 1, 1), end=date(2024, 12, 31))
    p.add(id=3, identifier="P-2", parent=prog, title="Child two", structure="oceea",
          countries=normalise([("AL", None), ("MD", None)]), budget={2024: 200.0, 2025: 50.0},
          start=date(2024, 3, 1), end=date(2025, 6, 30))
    p.add(id=4, identifier="X", title="Cancelled", status=5,
          crime_areas=normalise([("drug_trafficking", None)]), budget={2024: 999.0})
    return p


def test_envelope_remainder_and_shares() -> None:
    p = small()
    years, adds = p.effective_budget()
    assert years == [2024, 2025]
    # the programme adds what its children leave of its envelope
    assert adds[0].tolist() == [200.0, 0.0]
    m = coverage(p, REGIONS, Period(2024, 2024), rows="crime_area", cols="country")
    # RS: programme remainder 200 + child one 600, split 70/30 by inherited crime areas
    assert m.get("drug_trafficking", "RS").budget == pytest.approx(0.7 * 800)
    assert m.get("money_laundering", "RS").budget == pytest.approx(0.3 * 800)
    assert m.get("drug_trafficking", "AL").budget == pytest.approx(0.7 * 100)
    assert m.get("drug_trafficking", "RS").activities == 1  # only the leaf counts
    # the cancelled record counts no activity but its budget is not hidden either
    assert m.total_budget == pytest.approx(1000 + 999)


def test_stage_and_structure_dimensions_and_periods() -> None:
    p = small()
    by_stage = coverage(p, REGIONS, Period(2024, 2024), rows="stage", cols="structure")
    assert by_stage.get("investigation", "tntd-spmu").budget == pytest.approx(300)
    assert by_stage.get("", "oceea").budget == pytest.approx(200)  # no stage stated
    later = coverage(p, REGIONS, Period(2025, 2025), rows="crime_area", cols="region")
    assert later.get("drug_trafficking", "Eastern Europe").budget == pytest.approx(0.7 * 25)
    assert later.get("drug_trafficking", "South-Eastern Europe").activities == 1
    filtered = coverage(p, REGIONS, Period(2024, 2025), rows="crime_area", cols="country",
                        filters={"structure": "oceea"})
    assert set(filtered.cols) == {"AL", "MD"}


def test_drill_down_groups_by_programme() -> None:
    p = small()
    rows = drill(p, REGIONS, Period(2024, 2024), {"crime_area": "drug_trafficking",
                                                  "country": "RS"})
    assert [p.identifiers[r.root] for r in rows] == ["P"]
    assert [p.identifiers[a.row] for a in rows[0].activities] == ["P-1", "P"]
    assert rows[0].amount == pytest.approx(0.7 * 800)


def test_allocation_fractions_sum_to_one_per_record() -> None:
    p = small()
    alloc = explode(p, REGIONS)
    for i in range(len(p)):
        assert alloc.fraction[alloc.record == i].sum() == pytest.approx(1.0)

"""A budget's amount shared over the calendar years of its period (docs/iati.md)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tocsin.taskforce.iati.reader import spread


def test_a_budget_over_two_half_years_is_shared_by_days() -> None:
    assert spread(date(2024, 7, 1), date(2026, 6, 30), Decimal(1000)) == [
        (2024, Decimal("252.05")), (2025, Decimal("500.00")), (2026, Decimal("247.95"))]


def test_a_period_of_thousands_of_years_leaves_no_year_below_zero() -> None:
    # found by fuzzing: each year rounded alone drifted, and the last year took -4.04
    parts = spread(date(2024, 1, 1), date(8096, 12, 31), Decimal(100000))
    assert len(parts) == 6073
    assert sum(amount for _, amount in parts) == Decimal(100000)
    assert min(amount for _, amount in parts) >= 0


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
       st.integers(min_value=0, max_value=40_000),
       st.integers(min_value=-10**12, max_value=10**12))
def test_the_parts_add_up_and_keep_the_amounts_sign(start: date, length: int,
                                                    cents: int) -> None:
    amount = Decimal(cents).scaleb(-2)
    parts = spread(start, start + timedelta(days=length), amount)
    assert [year for year, _ in parts] == list(range(start.year, parts[-1][0] + 1))
    assert sum(part for _, part in parts) == amount
    assert all(part * amount >= 0 for _, part in parts)

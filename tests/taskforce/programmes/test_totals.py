"""Finance roll-up over the programme hierarchy."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from tests.taskforce.programmes.factory import principal, spec
from tocsin.access.principal import Principal
from tocsin.taskforce.programmes import records
from tocsin.taskforce.programmes.spec import FinanceSpec
from tocsin.taskforce.programmes.totals import by_kind, rollup


def _budget(year: int, amount: str, currency: str = "EUR") -> FinanceSpec:
    return FinanceSpec(year=year, kind="budget", amount=Decimal(amount), currency=currency)


def test_budget_rolls_up_where_a_level_has_no_own_figure(session: Session) -> None:
    system = Principal.system()
    programme = records.create_activity(session, system, spec(
        "P", level="programme", finance=[_budget(2024, "1000")]))
    project = records.create_activity(session, system, spec(
        "P-1", level="project", parent_identifier="P"))
    records.create_activity(session, system, spec(
        "P-1-a", parent_identifier="P-1", finance=[_budget(2024, "300"), _budget(2025, "50")]))
    records.create_activity(session, system, spec(
        "P-1-b", parent_identifier="P-1",
        finance=[_budget(2024, "900"), _budget(2025, "10", "USD")]))
    totals = rollup(session, system)
    # the project has no own budget: the sum of its activities
    assert by_kind(totals[project.id], "budget") == {
        (2024, "EUR"): Decimal("1200"), (2025, "EUR"): Decimal("50"),
        (2025, "USD"): Decimal("10")}
    # the programme keeps its own 2024 envelope (exceeded below) and sums 2025
    lines = {(t.year, t.currency): t for t in totals[programme.id]}
    assert lines[(2024, "EUR")].total == Decimal("1000")
    assert lines[(2024, "EUR")].children == Decimal("1200")
    assert lines[(2024, "EUR")].exceeds_envelope
    assert lines[(2025, "EUR")].own is None and lines[(2025, "EUR")].total == Decimal("50")


def test_only_readable_records_count(session: Session) -> None:
    system = Principal.system()
    programme = records.create_activity(session, system, spec("P", level="programme"))
    records.create_activity(session, system, spec(
        "P-a", parent_identifier="P", finance=[_budget(2024, "10")]))
    records.create_activity(session, system, spec(
        "P-b", parent_identifier="P", handling="AMBER", finance=[_budget(2024, "99")]))
    viewer = principal(session, "partner_viewer", "unodc")
    assert by_kind(rollup(session, viewer, [programme.id])[programme.id], "budget") == {
        (2024, "EUR"): Decimal("10")}
    assert by_kind(rollup(session, system, [programme.id])[programme.id], "budget") == {
        (2024, "EUR"): Decimal("109")}

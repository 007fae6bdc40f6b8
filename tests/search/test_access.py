"""Search shows exactly what pages show: the read policy is part of the SQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from tests.search.conftest import principal
from tocsin.access.tables import AuditEntry
from tocsin.search import SearchFilters, search
from tocsin.store.database import Database

ACTIVITIES = SearchFilters(types=("activity",))


def _visible(db: Database, role: str, unit: str | None, query: str) -> set[str]:
    with db.transaction() as session:
        results = search(session, principal(session, role, unit), query, ACTIVITIES)
        for facet in results.facets.values():  # counts never include unreadable records
            assert sum(v.count for v in facet if v.value == "activity") <= results.total
        return {h.title for h in results.hits}


@pytest.fixture
def graded(make_activity: Callable[..., int]) -> None:
    make_activity("Smuggling routes amber", handling="AMBER", unit="tntd-spmu",
                  crime_areas=("migrant_smuggling",))
    make_activity("Smuggling routes strict", handling="AMBER+STRICT", unit="tntd-spmu")
    make_activity("Smuggling routes red", handling="RED", unit="tntd-spmu")
    make_activity("Smuggling routes green", handling="GREEN", unit="tntd-spmu")


@pytest.mark.usefixtures("graded")
def test_partner_viewer_of_another_unit_sees_no_amber(platform_db: Database) -> None:
    assert _visible(platform_db, "partner_viewer", "unodc", "smuggling") == {
        "Smuggling routes green"}
    with platform_db.transaction() as session:
        results = search(session, principal(session, "partner_viewer", "unodc"), "smuggling",
                         ACTIVITIES)
        assert results.total == 1
        areas = {v.value for v in results.facets["crime_area"]}
        assert "migrant_smuggling" not in areas  # not even counted in a facet


@pytest.mark.usefixtures("graded")
def test_analyst_of_the_owning_unit_sees_all(platform_db: Database) -> None:
    assert _visible(platform_db, "analyst", "tntd-spmu", "smuggling") == {
        "Smuggling routes amber", "Smuggling routes strict", "Smuggling routes red",
        "Smuggling routes green"}


@pytest.mark.usefixtures("graded")
def test_strict_and_red_stay_in_the_unit(platform_db: Database) -> None:
    # an analyst elsewhere: AMBER yes (internal role), AMBER+STRICT and RED no
    assert _visible(platform_db, "analyst", "oceea", "smuggling") == {
        "Smuggling routes amber", "Smuggling routes green"}
    # a fund manager of the owning unit: AMBER+STRICT yes, RED no (role)
    assert _visible(platform_db, "fund_manager", "tntd-spmu", "smuggling") == {
        "Smuggling routes amber", "Smuggling routes strict", "Smuggling routes green"}
    # a partner viewer of the owning unit sees AMBER and AMBER+STRICT of its unit
    assert _visible(platform_db, "partner_viewer", "tntd-spmu", "smuggling") == {
        "Smuggling routes amber", "Smuggling routes strict", "Smuggling routes green"}


@pytest.mark.usefixtures("graded")
def test_results_above_green_are_audited(platform_db: Database) -> None:
    with platform_db.transaction() as session:
        search(session, principal(session, "analyst", "tntd-spmu"), "smuggling", ACTIVITIES)
    with platform_db.transaction() as session:
        reads = session.scalars(select(AuditEntry).where(AuditEntry.action == "read")).all()
    assert sorted(r.handling for r in reads) == ["AMBER", "AMBER+STRICT", "RED"]
    assert {r.record_type for r in reads} == {"activity"}
    assert all(r.detail == "shown in search results" for r in reads)

"""Broad queries are answered within the newest readable matches (the window)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.search.conftest import principal
from tocsin.search import SearchFilters, search, service
from tocsin.store.database import Database

ACTIVITIES = SearchFilters(types=("activity",))


@pytest.fixture
def window_of_three(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "WINDOW", 3)


@pytest.fixture
def routes(make_activity: Callable[..., int]) -> list[int]:
    """Five readable activities about smuggling routes, then two the analyst may not read."""
    made = [make_activity(f"Smuggling routes report {n}", crime_areas=(area,), countries=("AL",))
            for n, area in enumerate(["cybercrime", "cybercrime", "corruption",
                                      "money_laundering", "money_laundering"])]
    make_activity("Smuggling routes informant", handling="RED", unit="oceea",
                  crime_areas=("corruption",))
    make_activity("Smuggling routes source", handling="AMBER+STRICT", unit="oceea",
                  crime_areas=("corruption",))
    return made


@pytest.mark.usefixtures("window_of_three")
def test_broad_query_ranks_and_counts_the_newest_readable_matches(
        platform_db: Database, routes: list[int]) -> None:
    with platform_db.transaction() as session:
        analyst = principal(session, "analyst", "tntd-spmu")
        results = search(session, analyst, "smuggling routes", ACTIVITIES)
        assert results.capped and results.total == 3 and results.total_label == "3+"
        # the newest readable three; the two unreadable ones are newer still but take no place
        assert {h.record_id for h in results.hits} == {str(i) for i in routes[2:]}
        areas = {v.value: v.count for v in results.facets["crime_area"]}
        assert areas == {"money_laundering": 2, "corruption": 1}
        assert [(v.value, v.count) for v in results.facets["type"]] == [("activity", 3)]
        second = search(session, analyst, "smuggling routes", ACTIVITIES, page=2, size=2)
        assert len(second.hits) == 1 and second.pages == 2


@pytest.mark.usefixtures("window_of_three")
def test_narrow_queries_and_filters_stay_exact(platform_db: Database,
                                               routes: list[int]) -> None:
    with platform_db.transaction() as session:
        analyst = principal(session, "analyst", "tntd-spmu")
        narrow = search(session, analyst, "smuggling", SearchFilters(
            types=("activity",), crime_areas=("cybercrime",)))
        assert not narrow.capped and narrow.total == 2
        assert {h.record_id for h in narrow.hits} == {str(i) for i in routes[:2]}
        browse = search(session, analyst, "", SearchFilters(types=("activity",),
                                                            countries=("AL",)))
        assert browse.capped and [h.record_id for h in browse.hits] == [
            str(i) for i in reversed(routes[2:])]  # no words: newest first


def test_window_never_holds_unreadable_records(platform_db: Database, routes: list[int],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "WINDOW", 6)
    with platform_db.transaction() as session:
        viewer = principal(session, "partner_viewer", "unodc")
        results = search(session, viewer, "routes", ACTIVITIES)
        assert not results.capped and results.total == 5
        assert "corruption" in {v.value for v in results.facets["crime_area"]}
        assert sum(v.count for v in results.facets["crime_area"]) == 5  # not the RED one

"""Facet names are cached, and a change to the reference data clears the cache."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.search.conftest import principal, sqlite_only
from tocsin.reference.tables import RefCrimeArea
from tocsin.search import SearchFilters, search
from tocsin.search import labels as label_cache
from tocsin.store.database import Database

pytestmark = sqlite_only


def _area_labels(db: Database) -> list[str]:
    with db.transaction() as session:
        results = search(session, principal(session, "administrator", None), "hawala",
                         SearchFilters(types=("activity",)))
        return [v.label for v in results.facets["crime_area"]]


def test_renamed_crime_area_shows_at_once(platform_db: Database,
                                          make_activity: Callable[..., int]) -> None:
    make_activity("Hawala networks", crime_areas=("money_laundering",))
    assert _area_labels(platform_db) == ["Money laundering"]
    with platform_db.transaction() as session:
        session.get(RefCrimeArea, "money_laundering").name = "Laundering of proceeds"
    assert _area_labels(platform_db) == ["Laundering of proceeds"]

    # a rename seen (and cached) inside a transaction that is rolled back does not stay
    with pytest.raises(RuntimeError), platform_db.transaction() as session:
        session.get(RefCrimeArea, "money_laundering").name = "Never committed"
        inside = search(session, principal(session, "administrator", None), "hawala",
                        SearchFilters(types=("activity",)))
        assert [v.label for v in inside.facets["crime_area"]] == ["Never committed"]
        raise RuntimeError("abort")
    assert _area_labels(platform_db) == ["Laundering of proceeds"]


def test_names_are_read_once(platform_db: Database, make_activity: Callable[..., int],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    make_activity("Hawala networks", crime_areas=("money_laundering",))
    label_cache.forget()
    loads: list[int] = []
    original = label_cache._models
    monkeypatch.setattr(label_cache, "_models", lambda: loads.append(1) or original())
    for _ in range(3):
        assert _area_labels(platform_db) == ["Money laundering"]
    assert len(loads) == 1


def test_a_country_outside_the_reference_states_gets_its_iso_name(
        platform_db: Database) -> None:
    from tocsin.search.service import facet_labels

    with platform_db.transaction() as session:
        found = facet_labels(session, {"country": {"AT", "CN", "QQ"}})
    assert found["country"] == {"AT": "Austria", "CN": "China"}

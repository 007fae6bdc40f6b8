"""Every newer record type is indexed on create, follows changes and deletion, and is
filtered by the read policy like the pages are."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.search.conftest import principal, sqlite_only
from tests.search.records import MAKERS, review
from tocsin.search import SearchFilters, search
from tocsin.search.tables import SearchDocument, SearchFacet
from tocsin.store.database import Database


def _hits(session: Session, word: str, record_type: str, role: str = "administrator",
          unit: str | None = None) -> list[Any]:
    return search(session, principal(session, role, unit), word,
                  SearchFilters(types=(record_type,))).hits


@sqlite_only
@pytest.mark.parametrize("record_type", sorted(MAKERS))
def test_indexed_on_create_updated_on_change_removed_on_delete(
        platform_db: Database, record_type: str) -> None:
    with platform_db.transaction() as session:
        record, change = MAKERS[record_type](session, "GREEN", "tntd-spmu")
        key = str(record.id)
    with platform_db.transaction() as session:
        found = _hits(session, "marlin", record_type)
        assert [h.record_id for h in found] == [key]
        assert "<mark>Marlin</mark>" in found[0].title_html
        assert _hits(session, "pelican", record_type) == []
    with platform_db.transaction() as session:
        change(session)
    with platform_db.transaction() as session:
        assert [h.record_id for h in _hits(session, "pelican", record_type)] == [key]
    with platform_db.transaction() as session:
        session.delete(session.get(type(record), record.id))
    with platform_db.transaction() as session:
        assert _hits(session, "marlin", record_type) == []
        assert session.scalar(select(SearchDocument.id).where(
            SearchDocument.record_type == record_type,
            SearchDocument.record_id == key)) is None


def _facets(session: Session, record_type: str) -> dict[str, set[str]]:
    rows = session.execute(
        select(SearchFacet.facet, SearchFacet.value, SearchDocument.year)
        .join(SearchDocument, SearchDocument.id == SearchFacet.document_id)
        .where(SearchDocument.record_type == record_type)).all()
    found: dict[str, set[str]] = {}
    for facet, value, year in rows:
        found.setdefault(facet, set()).add(value)
        found.setdefault("year", set()).add(str(year))
    return found


@sqlite_only
def test_facets_of_the_new_record_types(platform_db: Database) -> None:
    with platform_db.transaction() as session:
        for record_type, make in MAKERS.items():
            make(session, "GREEN", "tntd-spmu")
    with platform_db.transaction() as session:
        lesson = _facets(session, "lesson")
        assert lesson["crime_area"] == {"money_laundering"} and lesson["country"] == {"AL"}
        assert lesson["structure"] == {"tntd-spmu"}  # the implementing structure of its activity
        assert _facets(session, "partner")["country"] == {"MD", "RS", "ME"}
        agreement = _facets(session, "agreement")
        assert agreement["crime_area"] == {"corruption"} and agreement["stage"] == {
            "prosecution"}
        assert agreement["country"] == {"RS", "ME"} and agreement["year"] == {"2023"}
        expert = _facets(session, "expert")
        assert expert["crime_area"] == {"money_laundering"} and expert["stage"] == {
            "investigation"}
        ocg = _facets(session, "ocg_profile")
        assert ocg["country"] == {"ME"} and ocg["year"] == {"2025"}
        event = session.execute(select(SearchDocument.year, SearchDocument.body).where(
            SearchDocument.record_type == "event")).one()
        assert event.year == 2024 and "Courier routes" in event.body  # panels and speakers
        expert_body = session.scalar(select(SearchDocument.body).where(
            SearchDocument.record_type == "expert"))
        assert "example.org" not in expert_body  # contact details stay out of the index


@sqlite_only
def test_after_action_review_is_found_through_its_observation(platform_db: Database) -> None:
    with platform_db.transaction() as session:
        made, _ = review(session, "GREEN", "tntd-spmu")
    with platform_db.transaction() as session:
        hits = _hits(session, "notice", "lesson")  # "why different: late notice"
        assert [(h.record_id, h.url) for h in hits] == [(str(made.id), f"/lessons/{made.id}")]
        assert [h.record_id for h in _hits(session, "exercise", "lesson")] == [str(made.id)]


def test_new_record_types_follow_the_read_policy(platform_db: Database) -> None:
    with platform_db.transaction() as session:
        for make in MAKERS.values():
            make(session, "AMBER+STRICT", "tntd-spmu")
    with platform_db.transaction() as session:
        own = search(session, principal(session, "analyst", "tntd-spmu"), "marlin")
        assert {h.record_type for h in own.hits} == set(MAKERS)
        other = search(session, principal(session, "analyst", "oceea"), "marlin")
        assert other.hits == [] and other.total == 0
        assert other.facets["type"] == []  # nothing counted either

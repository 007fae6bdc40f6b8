"""The ORM hooks keep the index current on create, update, delete and rollback."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import delete, func, select

from tests.search.conftest import add_activity, principal, sqlite_only
from tocsin.search import SearchFilters, index_record, reindex, remove_record, search
from tocsin.search.tables import SearchDocument, SearchFacet
from tocsin.store.database import Database
from tocsin.taskforce.programmes.tables import Activity, ActivityCrimeArea


def _titles(db: Database, query: str) -> list[str]:
    with db.transaction() as session:
        admin = principal(session, "administrator", None)
        activities = SearchFilters(types=("activity",))
        return [h.title for h in search(session, admin, query, activities).hits]


def test_create_update_delete_follow_the_records(platform_db: Database,
                                                 make_activity: Callable[..., int]) -> None:
    activity_id = make_activity("Financial investigation training for Balkan prosecutors",
                                crime_areas=("money_laundering",))
    assert _titles(platform_db, "prosecutors") == [
        "Financial investigation training for Balkan prosecutors"]

    with platform_db.transaction() as session:
        session.get(Activity, activity_id).title = "Asset recovery workshop in Tirana"
    assert _titles(platform_db, "prosecutors") == []
    assert _titles(platform_db, "tirana") == ["Asset recovery workshop in Tirana"]

    with platform_db.transaction() as session:
        session.delete(session.get(Activity, activity_id))
    assert _titles(platform_db, "tirana") == []
    with platform_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(SearchDocument).where(
            SearchDocument.record_type == "activity")) == 0


@sqlite_only
def test_child_rows_update_the_facets(platform_db: Database,
                                      make_activity: Callable[..., int]) -> None:
    activity_id = make_activity("Border control of firearms", crime_areas=("drug_trafficking",))
    with platform_db.transaction() as session:
        activity = session.get(Activity, activity_id)
        activity.crime_areas = [ActivityCrimeArea(crime_area_code="firearms_trafficking")]
    with platform_db.transaction() as session:
        values = set(session.scalars(
            select(SearchFacet.value).join(SearchDocument,
                                           SearchDocument.id == SearchFacet.document_id)
            .where(SearchDocument.record_type == "activity", SearchFacet.facet == "crime_area")))
    assert values == {"firearms_trafficking"}


def test_rollback_rolls_the_index_back(platform_db: Database) -> None:
    with pytest.raises(RuntimeError), platform_db.transaction() as session:
        add_activity(session, "Cyber-enabled fraud awareness campaign")
        admin = principal(session, "administrator", None)
        # visible inside the transaction that wrote it …
        assert search(session, admin, "awareness", SearchFilters(types=("activity",))).total == 1
        raise RuntimeError("abort")
    # … and gone with it
    assert _titles(platform_db, "awareness") == []


@sqlite_only
def test_reindex_rebuilds_what_bulk_statements_bypassed(platform_db: Database,
                                                        make_activity: Callable[..., int]
                                                        ) -> None:
    make_activity("Joint investigation teams against trafficking in human beings")
    with platform_db.transaction() as session:
        session.execute(delete(SearchDocument).where(SearchDocument.record_type == "activity"))
    assert _titles(platform_db, "joint") == []
    with platform_db.transaction() as session:
        report = reindex(session)
        assert report.documents["activity"] == 1
        assert report.documents["crime_area"] > 5  # the reference framework is indexed too
    assert _titles(platform_db, "joint") == [
        "Joint investigation teams against trafficking in human beings"]


@sqlite_only
def test_index_and_remove_one_record(platform_db: Database,
                                     make_activity: Callable[..., int]) -> None:
    activity_id = make_activity("Container control programme")
    with platform_db.transaction() as session:
        activity = session.get(Activity, activity_id)
        assert remove_record(session, activity)
        admin = principal(session, "administrator", None)
        only = SearchFilters(types=("activity",))
        assert search(session, admin, "container", only).total == 0
        assert index_record(session, activity)
        assert search(session, admin, "container", only).total == 1
        assert not index_record(session, object())


@sqlite_only
def test_reference_framework_is_searchable(platform_db: Database) -> None:
    with platform_db.transaction() as session:
        partner = principal(session, "partner_viewer", "unodc")
        results = search(session, partner, "laundering")
    types = {h.record_type for h in results.hits}
    assert "crime_area" in types
    assert all(h.handling == "CLEAR" for h in results.hits)


@sqlite_only
def test_index_is_written_once_per_transaction_and_seen_by_its_searches(
        platform_db: Database) -> None:
    with platform_db.transaction() as session:
        for n in range(3):  # an importer that flushes once per record
            add_activity(session, f"Port control training {n}")
        stored = select(func.count()).select_from(SearchDocument).where(
            SearchDocument.record_type == "activity")
        assert session.scalar(stored) == 0  # noted, not yet written
        admin = principal(session, "administrator", None)
        assert search(session, admin, "port", SearchFilters(types=("activity",))).total == 3
        assert session.scalar(stored) == 3
        add_activity(session, "Port control training 3")
    with platform_db.transaction() as session:
        assert session.scalar(stored) == 4  # the commit wrote the last one


@sqlite_only
def test_a_reused_id_gets_the_new_record_s_document(platform_db: Database,
                                                    make_activity: Callable[..., int]) -> None:
    old = make_activity("Old firearms project")
    with platform_db.transaction() as session:
        session.delete(session.get(Activity, old))
        session.flush()
        new = add_activity(session, "New cybercrime project")
        assert new.id == old  # SQLite hands the highest free rowid out again
    assert _titles(platform_db, "project") == ["New cybercrime project"]


@sqlite_only
def test_unchanged_documents_are_not_rewritten(platform_db: Database,
                                               make_activity: Callable[..., int]) -> None:
    make_activity("Witness protection network")
    stamp = select(SearchDocument.updated_at).where(SearchDocument.record_type == "activity")
    with platform_db.transaction() as session:
        before = session.scalar(stamp)
        reindex(session, ["activity"])
        assert session.scalar(stamp) == before

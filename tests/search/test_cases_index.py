"""Cases, assets and co-operation requests in the search index: under the case's handling
code and unit, and out of the index while the case is restricted to its team (both
engines)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.cases.helpers import user
from tests.search.conftest import principal
from tocsin.cases import assets, records, requests
from tocsin.cases.spec import AssetSpec, CaseSpec, RequestSpec, StageSpec
from tocsin.search import SearchFilters, search
from tocsin.search.tables import SearchDocument
from tocsin.store.database import Database

TYPES = ("case", "case_asset", "coop_request")


def _found(session: Session, word: str, role: str = "administrator",
           unit: str | None = None) -> set[str]:
    hits = search(session, principal(session, role, unit), word,
                  SearchFilters(types=TYPES)).hits
    return {h.record_type for h in hits}


def _spec(**changes: object) -> CaseSpec:
    values: dict[str, object] = dict(
        reference="IDX-1", title="Fictional Osprey laundering case", crime_area="money_laundering",
        country="MD", opened_on=date(2024, 1, 10), handling="AMBER+STRICT",
        owner_unit="tntd-spmu")
    return CaseSpec.model_validate(values | changes)


def test_case_asset_and_request_follow_the_case(platform_db: Database) -> None:
    with platform_db.transaction() as s:
        lead = user(s, "analyst", name="idx-lead")
        case = records.create_case(s, lead, _spec())
        asset = assets.create_asset(s, lead, case.id, AssetSpec(
            kind="real_estate", description="Flat on Osprey street", country="RO",
            identified_on=date(2024, 2, 1)))
        request = requests.create_request(s, lead, case.id, RequestSpec(
            kind="confiscation", counterpart_country="RO", reference="CONF-OSPREY",
            facts="The flat was bought with Osprey money.", asset_ids=[asset.id],
            created_on=date(2024, 2, 2)))
        ids = (case.id, asset.id, request.id)
    with platform_db.transaction() as s:
        assert _found(s, "osprey") == set(TYPES)
        # the case's handling code and unit govern its assets and requests
        assert _found(s, "osprey", "analyst", "tntd-spmu") == set(TYPES)
        assert _found(s, "osprey", "analyst", "oceea") == set()
        # an order recorded on the asset is found through it
        assets.add_stage(s, lead, ids[1], StageSpec(
            stage="freeze", on_date=date(2024, 3, 1), authority="Fictional Heron court",
            order_reference="FRZ-9", order_date=date(2024, 3, 1),
            legal_basis="Fictional code", order_status="final"))
    with platform_db.transaction() as s:
        assert _found(s, "heron") == {"case_asset"}
        facets = s.execute(select(SearchDocument.record_type, SearchDocument.handling,
                                  SearchDocument.url)
                           .where(SearchDocument.record_type.in_(TYPES))).all()
        assert {(t, h) for t, h, _ in facets} == {(t, "AMBER+STRICT") for t in TYPES}
        assert {u for *_, u in facets} == {f"/cases/{ids[0]}", f"/cases/assets/{ids[1]}",
                                            f"/cases/requests/{ids[2]}"}
        # restricting the case to its team takes it out of the index with what hangs on it
        records.update_case(s, lead, ids[0], _spec(need_to_know=True))
    with platform_db.transaction() as s:
        assert _found(s, "osprey") == set()
        assert s.scalar(select(func.count()).select_from(SearchDocument).where(
            SearchDocument.record_type.in_(TYPES))) == 0
        records.update_case(s, lead, ids[0], _spec(need_to_know=False, handling="GREEN"))
    with platform_db.transaction() as s:
        assert _found(s, "osprey", "analyst", "oceea") == set(TYPES)

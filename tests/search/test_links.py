"""Every result links to a page that opens for someone allowed to read the record."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import login
from tests.search.conftest import add_activity, principal, sqlite_only
from tests.search.records import MAKERS
from tocsin.reference.tables import RefInstrument
from tocsin.search.registry import record_types
from tocsin.store.database import Database
from tocsin.taskforce.commitments.records import CommitmentSpec, create_commitment
from tocsin.taskforce.programmes.tables import Document

PER_TYPE = 3


def _one_of_each(db: Database) -> None:
    with db.transaction() as session:
        activity = add_activity(session, "Financial investigation course")
        activity.documents.append(Document(title="Course agenda",
                                           url="https://example.org/agenda"))
        instrument = session.scalars(select(RefInstrument.code).order_by(RefInstrument.code)
                                     ).first()
        assert instrument is not None
        create_commitment(session, principal(session, "coordinator", "tntd-spmu"),
                          CommitmentSpec(code="test:links", instrument_code=instrument,
                                         summary="Train financial investigators.",
                                         handling="GREEN", owner_unit="tntd-spmu"))
        for make in MAKERS.values():
            make(session, "AMBER", "tntd-spmu")


@sqlite_only
def test_every_hit_url_opens_for_a_reader(client: TestClient, platform_db: Database,
                                          make_user: Callable[..., tuple[str, str]]) -> None:
    _one_of_each(platform_db)
    reader, _ = make_user("analyst", unit="oceea")  # AMBER of another unit: may read
    login(client, reader)
    types = {v["value"] for v in client.get("/api/v1/search").json()["facets"]["type"]}
    assert types == set(record_types())  # a record of every registered type to follow
    followed = 0
    for record_type in sorted(types):
        body = client.get("/api/v1/search", params={"type": record_type,
                                                   "size": PER_TYPE}).json()
        assert body["hits"], record_type
        for hit in body["hits"]:
            path, _, anchor = hit["url"].partition("#")
            page = client.get(path)
            assert page.status_code == 200, (record_type, hit["url"], page.status_code)
            if anchor:  # the part of the page the link points to exists
                assert f'id="{anchor}"' in page.text, (record_type, hit["url"])
            followed += 1
    assert followed >= len(types)

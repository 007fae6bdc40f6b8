"""A partner viewer cannot read an AMBER record of another unit — through the pages,
the API, search results or exports — while the owning unit's analyst can."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from tests.factories import MakeUser, login
from tocsin.access.principal import Principal
from tocsin.store.database import Database
from tocsin.taskforce.programmes.records import create_activity
from tocsin.taskforce.programmes.spec import ActivitySpec

SECRET_WORD = "quillfeather"  # appears only in the AMBER record


def _activity(db: Database, identifier: str, title: str, handling: str, unit: str) -> int:
    with db.transaction() as session:
        spec = ActivitySpec(identifier=identifier, title=title, reporting_org_ref="XM-OSCE",
                            description=f"Mentoring of financial investigators. {title}",
                            handling=handling, owner_unit=unit,
                            planned_start=date(2026, 1, 1))
        return create_activity(session, Principal.system(), spec).id


def _exports(client: TestClient) -> list[str]:
    iati = client.get("/api/v1/programmes/export/iati")
    table = client.get("/api/v1/programmes/export/table", params={"format": "csv"})
    return [r.text if r.status_code == 200 else "" for r in (iati, table)]


def _readable_everywhere(client: TestClient, record_id: int, title: str) -> dict[str, bool]:
    word = title.split()[0]
    return {
        "page list": title in client.get("/programmes").text,
        "page detail": client.get(f"/programmes/{record_id}").status_code == 200,
        "api list": any(a["id"] == record_id for a in client.get("/api/v1/programmes").json()),
        "api detail": client.get(f"/api/v1/programmes/{record_id}").status_code == 200,
        "search": any(hit["record_id"] == str(record_id)
                      for hit in client.get("/api/v1/search", params={"q": word}).json()["hits"]
                      if hit["record_type"] == "activity"),
        "search page": f'href="/programmes/{record_id}"' in client.get(
            "/search", params={"q": word}).text,
        "exports": all(title in text for text in _exports(client)),
    }


def test_partner_viewer_never_sees_amber_of_another_unit(
        client: TestClient, platform_db: Database, make_user: MakeUser) -> None:
    amber_title = f"{SECRET_WORD.capitalize()} confidential case mentoring"
    green_title = "Openwater public awareness campaign"
    amber = _activity(platform_db, "XM-OSCE-T-1", amber_title, "AMBER", "tntd-spmu")
    green = _activity(platform_db, "XM-OSCE-T-2", green_title, "GREEN", "tntd-spmu")
    partner, _ = make_user("partner_viewer", unit="unodc")
    analyst, _ = make_user("analyst", unit="tntd-spmu")

    login(client, partner)
    hidden = _readable_everywhere(client, amber, amber_title)
    assert not any(hidden.values()), f"AMBER record leaked to a partner viewer: {hidden}"
    visible = _readable_everywhere(client, green, green_title)
    del visible["exports"]  # partner viewers may not export at all
    assert all(visible.values()), f"GREEN record should be readable: {visible}"
    assert client.get("/api/v1/programmes/export/iati").status_code == 403

    client.cookies.clear()
    login(client, analyst)
    owner_view = _readable_everywhere(client, amber, amber_title)
    assert all(owner_view.values()), f"the owning unit must read its record: {owner_view}"


def test_exports_carry_only_what_the_exporter_may_read(
        client: TestClient, platform_db: Database, make_user: MakeUser) -> None:
    strict_title = "Strictmoor sensitive source handling"
    strict = _activity(platform_db, "XM-OSCE-T-3", strict_title, "AMBER+STRICT", "tntd-spmu")
    outsider, _ = make_user("analyst", unit="oceea")  # may export, other unit
    login(client, outsider)
    view = _readable_everywhere(client, strict, strict_title)
    assert not any(view.values()), f"AMBER+STRICT record leaked to another unit: {view}"
    assert all(text for text in _exports(client)), "the exports themselves must succeed"

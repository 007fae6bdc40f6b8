"""Editing a bank set's actor table from the web and the API: list, add, remove; only
those who may change the set (its owning unit, coordinators, administrators); audited."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import MakeUser, login
from tests.web.test_crypto_fiat_page import EXCHANGE, platform_with_bank
from tocsin.access import audit
from tocsin.access.principal import Principal
from tocsin.money import sets
from tocsin.money.crypto import fiat
from tocsin.money.tables import TransactionSet
from tocsin.settings import Settings
from tocsin.store.database import Database

API = "/api/v1/investigations"
HARBOUR = "RO49AAAA1B31007593840000"
CLIENT = "MD24AG000225100013104168"


def _table(db: Database, settings: Settings, set_id: int) -> dict[str, list[str]]:
    with db.transaction() as session:
        item = session.get(TransactionSet, set_id)
        assert item is not None
        return fiat.actor_table(sets.set_path(settings, item))


def _details(db: Database, set_id: int) -> list[str]:
    with db.transaction() as session:
        return [e.detail or "" for e in audit.query(session, record=f"transaction_set:{set_id}")]


def test_the_owning_unit_lists_adds_and_removes(client: TestClient, make_user: MakeUser,
                                                platform_db: Database,
                                                settings: Settings) -> None:
    chain, bank = platform_with_bank(platform_db, settings)
    token = login(client, make_user("analyst")[0])
    headers = {"X-CSRF-Token": token}
    page = client.get(f"/investigations/sets/{bank}/actors")
    assert page.status_code == 200
    assert "No actor is in this set" in page.text and 'name="accounts"' in page.text
    # the tab is on bank sets, not on the Bitcoin set
    assert f'href="/investigations/sets/{bank}/actors"' in page.text
    assert "/actors\"" not in client.get(f"/investigations/sets/{chain}/bitcoin").text
    added = client.post(f"/investigations/sets/{bank}/actors", headers=headers,
                        data={"actor": "example-exchange", "accounts": f"{HARBOUR}, {CLIENT}"},
                        follow_redirects=False)
    assert added.status_code == 303, added.text
    assert _table(platform_db, settings, bank) == {"example-exchange": [HARBOUR, CLIENT]}
    shown = client.get(added.headers["location"]).text
    assert "Harbour Fictional Trading SRL" in shown and "Ivan Fictionalov" in shown
    assert "data-confirm=\"Remove the account RO49AAAA1B31007593840000 from example-exchange?" \
        in shown
    # the exchange link now finds the account held under another name
    links = client.get(f"{API}/sets/{chain}/bitcoin/exchange-links",
                       params={"subject": EXCHANGE}).json()
    assert (HARBOUR, "actor table") in {(a["account_id"], a["matched_on"])
                                        for a in links["banks"][0]["accounts"]}
    removed = client.post(f"/investigations/sets/{bank}/actors/remove", headers=headers,
                          data={"actor": "example-exchange", "account": CLIENT},
                          follow_redirects=False)
    assert removed.status_code == 303
    assert _table(platform_db, settings, bank) == {"example-exchange": [HARBOUR]}
    bad = client.post(f"/investigations/sets/{bank}/actors", headers=headers,
                      data={"actor": "example-exchange", "accounts": "NOPE"})
    assert bad.status_code == 422 and "accounts: NOPE" in bad.text
    assert _table(platform_db, settings, bank) == {"example-exchange": [HARBOUR]}
    # the API: list, replace, remove the actor
    listed = client.get(f"{API}/sets/{bank}/actors").json()
    assert listed["may_change"] and listed["actors"][0]["accounts"][0]["holder"] == \
        "Harbour Fictional Trading SRL"
    put = client.post(f"{API}/sets/{bank}/actors", headers=headers,
                      json={"actor": "other-exchange", "accounts": [CLIENT]})
    assert put.status_code == 200 and put.json()["actors"]["other-exchange"] == [CLIENT]
    gone = client.post(f"/investigations/sets/{bank}/actors/remove", headers=headers,
                       data={"actor": "example-exchange"}, follow_redirects=False)
    assert gone.status_code == 303
    assert _table(platform_db, settings, bank) == {"other-exchange": [CLIENT]}
    missing = client.post(f"{API}/sets/{bank}/actors", headers=headers,
                          json={"actor": "example-exchange", "mode": "remove"})
    assert missing.status_code == 422 and "not in this set's actor table" in missing.text
    assert client.post(f"{API}/sets/{chain}/actors", headers=headers,
                       json={"actor": "x", "accounts": [EXCHANGE]}).status_code == 422
    details = _details(platform_db, bank)
    for line in (f"actor table: example-exchange → {HARBOUR}, {CLIENT}",
                 f"actor table: example-exchange → {HARBOUR}",
                 f"actor table: other-exchange → {CLIENT}",
                 "actor table: example-exchange → removed"):
        assert line in details


@pytest.mark.parametrize(("role", "unit", "handling", "reads", "changes"), [
    ("analyst", "tntd-spmu", "GREEN", True, True),
    ("coordinator", "oceea", "GREEN", True, True),
    ("administrator", "oceea", "GREEN", True, True),
    ("fund_manager", "tntd-spmu", "GREEN", True, False),
    ("analyst", "oceea", "GREEN", True, False),
    ("partner_viewer", "unodc", "GREEN", True, False),
    ("dp_officer", "tntd-spmu", "GREEN", True, False),
    ("analyst", "oceea", "AMBER+STRICT", False, False),
])
def test_who_may_change_the_table(client: TestClient, make_user: MakeUser,
                                  platform_db: Database, settings: Settings, role: str,
                                  unit: str, handling: str, reads: bool, changes: bool) -> None:
    _chain, bank = platform_with_bank(platform_db, settings)
    with platform_db.transaction() as session:  # GREEN: other units and partners read it
        item = session.get(TransactionSet, bank)
        assert item is not None
        item.handling = handling
        fiat.map_actor(session, Principal.system(), settings, bank, "example-exchange",
                       [HARBOUR])
    token = login(client, make_user(role, unit=unit)[0])
    headers = {"X-CSRF-Token": token}
    page = client.get(f"/investigations/sets/{bank}/actors")
    assert page.status_code == (200 if reads else 404)
    if reads:
        assert HARBOUR in page.text
        assert ('name="accounts"' in page.text) is changes
        assert ("Remove the account" in page.text) is changes
    before = len(_details(platform_db, bank))
    add = client.post(f"/investigations/sets/{bank}/actors", headers=headers,
                      data={"actor": "example-exchange", "accounts": CLIENT},
                      follow_redirects=False)
    remove = client.post(f"{API}/sets/{bank}/actors", headers=headers,
                         json={"actor": "example-exchange", "mode": "remove"})
    if changes:
        assert add.status_code == 303 and remove.status_code == 200
        assert _table(platform_db, settings, bank) == {}
        assert len(_details(platform_db, bank)) == before + 2
    else:
        refused = 403 if reads else 404
        assert add.status_code == refused and remove.status_code == refused
        assert _table(platform_db, settings, bank) == {"example-exchange": [HARBOUR]}
        assert not [d for d in _details(platform_db, bank)[before:] if "actor table" in d]
    with platform_db.transaction() as session:
        assert session.scalars(select(TransactionSet.id).where(
            TransactionSet.id == bank)).one() == bank

"""From an exchange tag on a Bitcoin address to the exchange's bank accounts and fiat flows,
only in the sets the user may read: library, API and command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import MakeUser, login
from tests.money.conftest import tocsin
from tocsin.access import audit
from tocsin.access.principal import Principal
from tocsin.access.tables import Unit
from tocsin.access.users import get_user, principal_for
from tocsin.errors import InputError, NotFound
from tocsin.money import sets
from tocsin.money.crypto import fiat
from tocsin.money.crypto import tags as tagging
from tocsin.settings import Settings
from tocsin.store.database import Database

ROOT = Path(__file__).resolve().parents[2] / "fixtures"
CRYPTO = ROOT / "crypto"
BANK = ROOT / "money" / "ftm" / "exchange_bank.jsonl"
EXCHANGE = "1B2RGHLsp7n1Dz6paLWQpUW8fw3E4TNcLL"
MARKET = "13YiRgpov7tAQt22gFgDf12cDS3s9MWbSU"
API = "/api/v1/investigations"


def _platform(db: Database, settings: Settings, bank_unit: str = "tntd-spmu",
              bank_handling: str = "AMBER+STRICT") -> tuple[int, int]:
    """A GREEN Bitcoin set with the case TagPack, and a bank set holding the exchange's
    account."""
    with db.transaction() as session:
        units = {code: uid for code, uid in session.execute(select(Unit.code, Unit.id))}
        chain, _ = sets.import_set(session, Principal.system(), settings, "bitcoin",
                                   [CRYPTO / "block-99960.hex", CRYPTO / "block-13b8ab.hex"],
                                   "Blocks of December 2010", "GREEN", units["tntd-spmu"])
        tagging.import_tagpacks(sets.set_path(settings, chain), [CRYPTO / "tagpack-case.yaml"])
        bank, _ = sets.import_set(session, Principal.system(), settings, "ftm", [BANK],
                                  "Fictional Bank statements", bank_handling,
                                  units[bank_unit])
        return int(chain.id), int(bank.id)


def _links(db: Database, settings: Settings, username: str, set_id: int, subject: str,
           days: float = 3.0) -> dict:
    with db.transaction() as session:
        who = principal_for(get_user(session, username))
        return fiat.exchange_links(session, who, settings, set_id, subject,
                                   fiat.LinkConfig(window_days=days))


def test_names_are_compared_without_case_accents_or_legal_form() -> None:
    wanted = fiat.name_key("example-exchange")
    assert fiat.names_match(wanted, "EXAMPLE EXCHANGE LTD.")
    assert fiat.names_match(wanted, "Exämple Exchange GmbH")
    assert fiat.names_match(wanted, "ExampleExchange")
    assert not fiat.names_match(wanted, "Example Bank")
    assert not fiat.names_match(wanted, "Exchange Example")
    assert not fiat.names_match((), "anything")


def test_the_exchange_paying_itself_is_no_deposit() -> None:
    from datetime import UTC, datetime

    import pyarrow as pa

    when = datetime(2024, 1, 1, tzinfo=UTC)
    outputs = pa.table({"txid": ["in", "in", "change"], "vout": [0, 1, 0],
                        "value": [5, 7, 3], "address": ["ex1", "someone", "ex2"]})
    inputs = pa.table({"txid": ["in", "change"], "address": ["client", "ex1"]})
    times = pa.table({"txid": ["in", "change"], "time": [when, when]})
    found = fiat._deposits(outputs, inputs, times, {"ex1", "ex2"})
    assert [(d["txid"], d["address"], d["value"]) for d in found] == [("in", "ex1", 5)]


def test_an_exchange_tag_leads_to_the_bank_account_and_the_fiat_around_the_deposit(
        platform_db: Database, settings: Settings, make_user: MakeUser) -> None:
    chain, bank = _platform(platform_db, settings)
    analyst = make_user("analyst")[0]
    view = _links(platform_db, settings, analyst, chain, EXCHANGE)
    assert [a["actor"] for a in view["actors"]] == ["example-exchange"]
    assert [(d["txid"][:8], d["value"]) for d in view["deposits"]] == [("d43a40a2", 13906000000)]
    [found] = view["banks"]
    assert found["set_id"] == bank
    assert found["accounts"] == [{"account_id": "LT601010012345678901", "bank": "Fictional Bank",
                                  "country": "lt", "kind": "unknown",
                                  "holder": "Example Exchange Ltd", "matched_on": "holder"}]
    # the deposit was on 2010-12-29 06:11: the payment in the day before and the pay-out the
    # day after are shown, the pay-out three weeks later and other accounts' payments are not
    flows = [(t["txn_id"], t["direction"], t["hours_from_deposit"])
             for t in found["transactions"]]
    assert flows == [("FB-0001", "in", -15.2), ("FB-0002", "out", 26.8)]
    wider = _links(platform_db, settings, analyst, chain, EXCHANGE, days=30)
    assert [t["txn_id"] for t in wider["banks"][0]["transactions"]] == [
        "FB-0001", "FB-0002", "FB-0003"]
    # the cluster id leads to the same exchange
    assert _links(platform_db, settings, analyst, chain,
                  view["cluster_id"])["banks"][0]["accounts"] == found["accounts"]
    with platform_db.transaction() as session:
        details = [e.detail for e in audit.query(session, record=f"transaction_set:{bank}")]
    assert f"exchange accounts reached from {EXCHANGE} (transaction_set:{chain})" in details


def test_other_tags_and_unknown_subjects(platform_db: Database, settings: Settings,
                                         make_user: MakeUser) -> None:
    chain, _bank = _platform(platform_db, settings)
    analyst = make_user("analyst")[0]
    market = _links(platform_db, settings, analyst, chain, MARKET)
    assert market["banks"] == [] and "no tag of category exchange" in market["note"]
    with pytest.raises(InputError, match="neither an address nor a cluster"):
        _links(platform_db, settings, analyst, chain, "nowhere")
    with pytest.raises(InputError, match="window_days"):
        _links(platform_db, settings, analyst, chain, EXCHANGE, days=0)


def test_a_user_who_may_not_read_the_bank_set_learns_nothing_of_it(
        platform_db: Database, settings: Settings, make_user: MakeUser,
        client: TestClient) -> None:
    chain, bank = _platform(platform_db, settings)
    # another unit's analyst reads the GREEN chain but not the AMBER+STRICT bank set
    other = make_user("analyst", unit="oceea")[0]
    view = _links(platform_db, settings, other, chain, EXCHANGE)
    assert view["deposits"] and view["banks"] == []
    assert "Fictional" not in json.dumps(view, default=str)
    login(client, other)
    answer = client.get(f"{API}/sets/{chain}/bitcoin/exchange-links",
                        params={"subject": EXCHANGE})
    assert answer.status_code == 200 and answer.json()["banks"] == []
    assert str(bank) not in {str(b["set_id"]) for b in answer.json()["banks"]}
    # a partner who may not read the chain gets nothing at all, as if it did not exist
    with platform_db.transaction() as session:
        session.get(sets.TransactionSet, chain).handling = "AMBER"
    outsider = make_user("partner_viewer", unit="unodc")[0]
    login(client, outsider)
    hidden = client.get(f"{API}/sets/{chain}/bitcoin/exchange-links",
                        params={"subject": EXCHANGE})
    assert hidden.status_code == 404 and "Fictional" not in hidden.text
    missing = client.get(f"{API}/sets/999999/bitcoin/exchange-links",
                         params={"subject": EXCHANGE})
    assert missing.status_code == 404


def test_the_api_and_the_command_line(platform_db: Database, settings: Settings,
                                      make_user: MakeUser, client: TestClient,
                                      cli: None) -> None:
    chain, bank = _platform(platform_db, settings)
    analyst = make_user("analyst")[0]
    login(client, analyst)
    answer = client.get(f"{API}/sets/{chain}/bitcoin/exchange-links",
                        params={"subject": EXCHANGE, "window_days": 1})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["banks"][0]["set_id"] == bank
    assert [t["txn_id"] for t in body["banks"][0]["transactions"]] == ["FB-0001"]
    assert client.get(f"{API}/sets/{chain}/bitcoin/exchange-links",
                      params={"subject": EXCHANGE, "window_days": 0}).status_code == 422
    out = tocsin("crypto", "exchange-links", str(chain), EXCHANGE, "--as", analyst).output
    assert "Example Exchange" in out and "LT601010012345678901" in out and "FB-0002" in out
    shown = json.loads(tocsin("crypto", "exchange-links", str(chain), EXCHANGE, "--json",
                              "--as", analyst).output)
    assert shown["banks"][0]["accounts"][0]["holder"] == "Example Exchange Ltd"
    outsider = make_user("analyst", unit="oceea")[0]
    none = tocsin("crypto", "exchange-links", str(chain), EXCHANGE, "--as", outsider).output
    assert "No bank set you may read" in none and "LT60" not in none


def test_the_actor_table_adds_accounts_held_under_another_name(
        platform_db: Database, settings: Settings, make_user: MakeUser, cli: None) -> None:
    chain, bank = _platform(platform_db, settings)
    analyst = make_user("analyst")[0]
    harbour = "RO49AAAA1B31007593840000"

    def mapping(username: str, set_id: int, accounts: list[str]) -> dict:
        with platform_db.transaction() as session:
            who = principal_for(get_user(session, username))
            return fiat.map_actor(session, who, settings, set_id, "example-exchange", accounts)

    assert mapping(analyst, bank, [harbour]) == {"example-exchange": [harbour]}
    found = _links(platform_db, settings, analyst, chain, EXCHANGE)["banks"][0]
    assert {(a["account_id"], a["matched_on"]) for a in found["accounts"]} == {
        ("LT601010012345678901", "holder"), (harbour, "actor table")}
    assert [t["txn_id"] for t in found["transactions"]] == ["FB-0001", "FB-0004", "FB-0002"]
    with pytest.raises(InputError, match="accounts: NOPE: not an account of this set"):
        mapping(analyst, bank, ["NOPE"])
    with pytest.raises(InputError, match="belongs on a bank set"):
        mapping(analyst, chain, [EXCHANGE])
    other = make_user("analyst", unit="oceea")[0]
    with pytest.raises(NotFound):  # may not even read the AMBER+STRICT set
        mapping(other, bank, [harbour])
    with platform_db.transaction() as session:
        details = [e.detail for e in audit.query(session, record=f"transaction_set:{bank}")]
    assert f"actor table: example-exchange → {harbour}" in details
    out = tocsin("crypto", "actor-accounts", str(bank), "example-exchange", "--as",
                 analyst).output
    assert "example-exchange removed." in out
    with platform_db.transaction() as session:
        folder = sets.set_path(settings, sets.get_set(session, Principal.system(), bank))
    assert fiat.actor_table(folder) == {}

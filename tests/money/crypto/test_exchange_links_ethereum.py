"""From an exchange tag on an Ethereum address to the exchange's bank accounts and the fiat
payments around each deposit: TagPacks on an Ethereum set, the library, the API and the
command line, only in the bank sets the user may read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import MakeUser, login
from tests.money.conftest import tocsin
from tocsin.access.principal import Principal
from tocsin.access.tables import Unit
from tocsin.access.users import get_user, principal_for
from tocsin.errors import InputError
from tocsin.money import sets
from tocsin.money.crypto import fiat
from tocsin.money.crypto import tags as tagging
from tocsin.settings import Settings
from tocsin.store.database import Database

ROOT = Path(__file__).resolve().parents[2] / "fixtures"
ETH = ROOT / "crypto" / "eth-transactions.csv"
BANK = ROOT / "money" / "ftm" / "exchange_bank.jsonl"
HOT = "0xc446f02d364fbaf2911646bcbff56e6613c6e740"  # pays out to the two deposit addresses
DEPOSIT = "0x03c105954b5f012ff13f798a75f2523264a66f6b"
OTHER_DEPOSIT = "0xdd0242ed2c3de5d8ef9f4b707d8495d51fc4f024"
API = "/api/v1/investigations"
# made-up attributions of real addresses of the fixture (the block of 2023-05-02 12:19:59)
PACK = f"""title: Test attributions (invented)
source: case file 14, annex 2
confidence: law_enforcement
currency: ETH
tags:
  - address: {DEPOSIT.upper().replace("0X", "0x")}
    label: Example Exchange
    category: exchange
    actor: example-exchange
  - address: {OTHER_DEPOSIT}
    label: Example Exchange deposit
    category: exchange
    actor: example-exchange
  - address: {HOT}
    label: Some wallet
    category: user
"""


def _platform(db: Database, settings: Settings, tmp_path: Path) -> tuple[int, int]:
    """A GREEN Ethereum set with the pack, and an AMBER+STRICT bank set whose payments
    fall around the Ethereum block's day."""
    bank_file = tmp_path / "bank.jsonl"
    bank_file.write_text(BANK.read_text().replace("2010-12-28", "2023-05-01")
                         .replace("2010-12-30", "2023-05-03").replace("2011-01-20", "2023-05-25")
                         .replace("2010-12-29", "2023-05-02"))
    pack = tmp_path / "eth.yaml"
    pack.write_text(PACK)
    with db.transaction() as session:
        unit = session.scalars(select(Unit.id).where(Unit.code == "tntd-spmu")).one()
        chain, _ = sets.import_set(session, Principal.system(), settings, "ethereum", [ETH],
                                   "Case 14 wallets", "GREEN", unit)
        tagging.import_tagpacks(sets.set_path(settings, chain), [pack], "ethereum")
        bank, _ = sets.import_set(session, Principal.system(), settings, "ftm", [bank_file],
                                  "Fictional Bank statements 2023", "AMBER+STRICT", unit)
        return int(chain.id), int(bank.id)


def _links(db: Database, settings: Settings, username: str, set_id: int, subject: str,
           days: float = 3.0) -> dict:
    with db.transaction() as session:
        who = principal_for(get_user(session, username))
        return fiat.exchange_links(session, who, settings, set_id, subject,
                                   fiat.LinkConfig(window_days=days))


def test_ethereum_tagpacks_are_checked_for_the_chain(tmp_path: Path) -> None:
    pack = tmp_path / "eth.yaml"
    pack.write_text(PACK)
    rows = tagging.read_tagpack(pack, "ethereum").to_pylist()
    assert rows[0]["address"] == DEPOSIT  # kept lower-case, as the importer keeps accounts
    with pytest.raises(InputError) as err:
        tagging.read_tagpack(pack)  # on a Bitcoin set
    text = str(err.value)
    assert "currency: ETH tags cannot go on a Bitcoin set" in text
    assert f"tags[2].address: '{HOT}' is not a Bitcoin address" in text
    bad = tmp_path / "bad.yaml"
    bad.write_text("source: s\nconfidence: 50\ncurrency: ETH\ntags:\n"
                   "  - {address: 1B2RGHLsp7n1Dz6paLWQpUW8fw3E4TNcLL, label: x, category: user}\n"
                   "  - {tx_hash: '0x12', label: y, category: user}\n")
    with pytest.raises(InputError) as err:
        tagging.read_tagpack(bad, "ethereum")
    assert "tags[0].address: '1B2RGHLsp7n1Dz6paLWQpUW8fw3E4TNcLL' is not an Ethereum " \
        "address" in str(err.value)
    assert "tags[1].tx_hash: '0x12' is not a transaction id" in str(err.value)


def test_an_ethereum_exchange_tag_leads_to_the_bank_and_the_fiat_around_the_deposits(
        platform_db: Database, settings: Settings, make_user: MakeUser,
        tmp_path: Path) -> None:
    chain, bank = _platform(platform_db, settings, tmp_path)
    analyst = make_user("analyst")[0]
    view = _links(platform_db, settings, analyst, chain, DEPOSIT.upper().replace("0X", "0x"))
    assert view["chain"] == "ethereum" and view["addresses"] == sorted([DEPOSIT, OTHER_DEPOSIT])
    assert {a["label"] for a in view["actors"]} == {"Example Exchange",
                                                    "Example Exchange deposit"}
    # both addresses tagged with the actor received from the hot wallet: two deposits
    assert [(d["address"], d["from"], d["value_text"]) for d in view["deposits"]] == [
        (OTHER_DEPOSIT, HOT, "1.07323944 ETH"), (DEPOSIT, HOT, "1.10881134 ETH")]
    [found] = view["banks"]
    assert found["set_id"] == bank
    assert [(a["account_id"], a["matched_on"]) for a in found["accounts"]] == [
        ("LT601010012345678901", "holder")]
    assert [(t["txn_id"], t["direction"]) for t in found["transactions"]] == [
        ("FB-0001", "in"), ("FB-0002", "out")]
    # an address without an exchange tag, and one that is not in the set
    plain = _links(platform_db, settings, analyst, chain, HOT)
    assert plain["banks"] == [] and "no tag of category exchange" in plain["note"]
    with pytest.raises(InputError, match="not an address of this set"):
        _links(platform_db, settings, analyst, chain, "0x" + "0" * 40)


def test_the_api_and_the_command_line_on_ethereum(
        platform_db: Database, settings: Settings, make_user: MakeUser, client: TestClient,
        cli: None, tmp_path: Path) -> None:
    chain, bank = _platform(platform_db, settings, tmp_path)
    analyst = make_user("analyst")[0]
    token = login(client, analyst)
    answer = client.get(f"{API}/sets/{chain}/ethereum/exchange-links",
                        params={"subject": DEPOSIT})
    assert answer.status_code == 200, answer.text
    assert answer.json()["banks"][0]["set_id"] == bank
    listed = client.get(f"{API}/sets/{chain}/ethereum/tags").json()
    assert {t["address"] for t in listed} == {DEPOSIT, OTHER_DEPOSIT, HOT}
    # the Bitcoin routes do not take an Ethereum set, nor the Ethereum routes a bank set
    assert client.get(f"{API}/sets/{chain}/bitcoin/exchange-links",
                      params={"subject": DEPOSIT}).status_code == 404
    assert client.get(f"{API}/sets/{bank}/ethereum/tags").status_code == 404
    # the set's Ethereum page: its tags, each exchange address linking to the bank section
    page = client.get(f"/investigations/sets/{chain}/ethereum")
    assert page.status_code == 200 and page.text.count('class="fiat-link"') == 2
    page = client.get(f"/investigations/sets/{chain}/ethereum", params={"fiat": DEPOSIT})
    assert "Fictional Bank statements 2023" in page.text and "FB-0002" in page.text
    assert HOT in page.text
    assert client.get(f"/investigations/sets/{bank}/ethereum").status_code == 404
    out = tocsin("crypto", "exchange-links", str(chain), DEPOSIT, "--as", analyst).output
    assert "LT601010012345678901" in out and "FB-0002" in out and f"from {HOT}" in out
    # a TagPack added on the API by the owning unit; refused to another unit's analyst
    pack = (f"source: api\nconfidence: 50\ncurrency: ETH\ntags:\n  - {{address: "
            f"{OTHER_DEPOSIT}, label: Deposit seen, category: exchange}}\n").encode()
    added = client.post(f"{API}/sets/{chain}/ethereum/tags", headers={"X-CSRF-Token": token},
                        files={"file": ("seen.yaml", pack, "text/yaml")})
    assert added.status_code == 200, added.text
    assert added.json()["added"] == 1 and added.json()["tags"] == 4
    wrong = client.post(f"{API}/sets/{chain}/ethereum/tags", headers={"X-CSRF-Token": token},
                        files={"file": ("btc.yaml", (ROOT / "crypto" / "tagpack-case.yaml")
                                        .read_bytes(), "text/yaml")})
    assert wrong.status_code == 422 and "is not an Ethereum address" in wrong.text
    # another unit's analyst reads the GREEN wallets, not the AMBER+STRICT bank set
    other = make_user("analyst", unit="oceea")[0]
    other_token = login(client, other)
    assert client.post(f"{API}/sets/{chain}/ethereum/tags",
                       headers={"X-CSRF-Token": other_token},
                       files={"file": ("seen.yaml", pack, "text/yaml")}).status_code == 403
    hidden = client.get(f"{API}/sets/{chain}/ethereum/exchange-links",
                        params={"subject": DEPOSIT})
    assert hidden.status_code == 200 and hidden.json()["deposits"]
    assert hidden.json()["banks"] == [] and "Fictional" not in hidden.text
    seen = client.get(f"/investigations/sets/{chain}/ethereum", params={"fiat": DEPOSIT}).text
    assert "No bank set you may read" in seen and "Fictional" not in seen
    none = tocsin("crypto", "exchange-links", str(chain), DEPOSIT, "--as", other).output
    assert "No bank set you may read" in none and "LT60" not in none
    # TagPacks go on the Ethereum set from the command line (its owning unit)
    more = tmp_path / "more.yaml"
    more.write_text(f"source: s\nconfidence: 50\ncurrency: ETH\ntags:\n"
                    f"  - {{address: '{HOT}', label: Hot wallet, category: exchange, "
                    f"actor: example-exchange}}\n")
    added = tocsin("crypto", "tags", str(chain), str(more), "--as", analyst).output
    assert "1 tag added" in added
    shown = json.loads(tocsin("crypto", "exchange-links", str(chain), DEPOSIT, "--json",
                              "--as", analyst).output)
    # the hot wallet is now the exchange's too: its payouts are moves inside the exchange
    assert shown["deposits"] == [] and HOT in shown["addresses"]

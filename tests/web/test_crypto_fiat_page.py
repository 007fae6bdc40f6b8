"""The exchange → fiat link on a Bitcoin set's page: the deposits to a tagged exchange, its
accounts in the bank sets the user may read and their payments around each deposit; a user
without the right on the bank set sees nothing of it."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import MakeUser, login
from tocsin.access import audit
from tocsin.access.principal import Principal
from tocsin.access.tables import Unit
from tocsin.money import sets
from tocsin.money.crypto import tags as tagging
from tocsin.settings import Settings
from tocsin.store.database import Database

ROOT = Path(__file__).resolve().parents[1] / "fixtures"
CRYPTO = ROOT / "crypto"
BANK = ROOT / "money" / "ftm" / "exchange_bank.jsonl"
EXCHANGE = "1B2RGHLsp7n1Dz6paLWQpUW8fw3E4TNcLL"


def platform_with_bank(db: Database, settings: Settings) -> tuple[int, int]:
    """A GREEN Bitcoin set with the case TagPack; an AMBER+STRICT bank set of the same unit
    holding the exchange's account."""
    with db.transaction() as session:
        unit = session.scalars(select(Unit.id).where(Unit.code == "tntd-spmu")).one()
        chain, _ = sets.import_set(session, Principal.system(), settings, "bitcoin",
                                   [CRYPTO / "block-99960.hex", CRYPTO / "block-13b8ab.hex"],
                                   "Blocks of December 2010", "GREEN", unit)
        tagging.import_tagpacks(sets.set_path(settings, chain), [CRYPTO / "tagpack-case.yaml"])
        bank, _ = sets.import_set(session, Principal.system(), settings, "ftm", [BANK],
                                  "Fictional Bank statements", "AMBER+STRICT", unit)
        return int(chain.id), int(bank.id)


def test_the_page_shows_the_exchange_accounts_and_the_payments_near_the_deposit(
        client: TestClient, make_user: MakeUser, platform_db: Database,
        settings: Settings) -> None:
    chain, bank = platform_with_bank(platform_db, settings)
    login(client, make_user("analyst")[0])
    plain = client.get(f"/investigations/sets/{chain}/bitcoin")
    assert plain.status_code == 200
    # the exchange's cluster links to the section; the other tagged clusters do not
    assert plain.text.count('class="fiat-link"') == 1
    page = client.get(f"/investigations/sets/{chain}/bitcoin",
                      params={"fiat": EXCHANGE, "days": 3})
    assert page.status_code == 200, page.text
    text = page.text
    assert "Example Exchange (actor example-exchange)" in text
    assert "d43a40a2db5bad2bd176c27911ed86d97bff734425953b19c8cf77910b21020d:" in text
    assert f'href="/investigations/sets/{bank}"' in text and "Fictional Bank statements" in text
    assert "LT601010012345678901" in text and "Example Exchange Ltd" in text
    assert "the holder&#39;s name" in text or "the holder's name" in text
    assert "FB-0001" in text and "FB-0002" in text and "FB-0003" not in text
    assert "-15.2" in text and "+26.8" in text
    wider = client.get(f"/investigations/sets/{chain}/bitcoin",
                       params={"fiat": EXCHANGE, "days": 30}).text
    assert "FB-0003" in wider
    with platform_db.transaction() as session:
        details = [e.detail for e in audit.query(session, record=f"transaction_set:{bank}")]
    assert f"exchange accounts reached from {EXCHANGE} (transaction_set:{chain})" in details
    # in Russian: the platform's words for the tags (categories, confidence), the TagPack's
    # own label, actor and source as written
    russian = client.get(f"/investigations/sets/{chain}/bitcoin",
                         params={"fiat": EXCHANGE, "days": 3},
                         headers={"Accept-Language": "ru"}).text
    assert "Example Exchange (субъект example-exchange): Биржа, на адресе" in russian
    assert "достоверность 80/100 (Данные сервиса)" in russian
    assert "Exchange, on address" not in russian and "— Биржа, источник" in russian
    wrong = client.get(f"/investigations/sets/{chain}/bitcoin", params={"fiat": "nowhere"})
    assert wrong.status_code == 200 and "neither an address nor a cluster" in wrong.text
    assert client.get(f"/investigations/sets/{chain}/bitcoin",
                      params={"fiat": EXCHANGE, "days": 0}).status_code == 422


def test_a_user_who_may_not_read_the_bank_set_sees_nothing_of_it(
        client: TestClient, make_user: MakeUser, platform_db: Database,
        settings: Settings) -> None:
    chain, bank = platform_with_bank(platform_db, settings)
    # another unit's analyst reads the GREEN chain but not the AMBER+STRICT bank set
    login(client, make_user("analyst", unit="oceea")[0])
    page = client.get(f"/investigations/sets/{chain}/bitcoin", params={"fiat": EXCHANGE})
    assert page.status_code == 200, page.text
    assert "d43a40a2db5bad2bd176c27911ed86d97bff734425953b19c8cf77910b21020d:" in page.text
    assert "No bank set you may read holds an account of this exchange." in page.text
    for hidden in ("Fictional", "LT601010012345678901", "FB-0001",
                   f"/investigations/sets/{bank}\""):
        assert hidden not in page.text
    with platform_db.transaction() as session:
        details = [e.detail or "" for e in audit.query(session,
                                                        record=f"transaction_set:{bank}")]
    assert not any("exchange accounts reached" in d for d in details)

# ruff: noqa: RUF001 -- the expected texts are French and Russian, typographic apostrophes included
"""Bitcoin traces in French and Russian: each hop's explanation, why the coins stop and the
drawn nodes' end points are shown in the reader's language on the Bitcoin page and in the
``*_shown`` fields of the trace API its scripts draw from, while the trace's own fields
stay English."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from tests.factories import MakeUser, login
from tests.money.crypto.test_crypto_web import API, SPENDER, _register
from tocsin import i18n
from tocsin.money.crypto.taint import coins
from tocsin.settings import Settings
from tocsin.store.database import Database

HOP = ("hop 1: 74d681e0e03b… spends 0.20 BTC traced of 0.20 BTC in, pays 0.20 BTC out; "
       "haircut: each output carries the traced share 100.0% of its value: 0.15 BTC of "
       "0.15 BTC to 16wnJHUrSeWz8XCYZ245amSahwmBto2CC9, 0.05 BTC of 0.05 BTC to "
       "14xb2HATmkBzrHf4CR2hZczEtjYpTh92d2")


def test_amounts_of_bitcoin_are_written_the_readers_way() -> None:
    assert (coins(50_000_000), coins(12_345_678), coins(2_100_000_000_000_000)) == (
        "0.50 BTC", "0.12345678 BTC", "21000000.00 BTC")
    with i18n.using("fr"):
        assert str(coins(12_345_678)) == "0,12345678 BTC"
    with i18n.using("ru"):
        assert str(coins(2_100_000_000_000_000)) == "21000000,00 BTC"


def _steps(page: str) -> list[str]:
    listed = re.search(r'<ol class="inv-steps" id="trace-steps">(.*?)</ol>', page, re.S)
    assert listed is not None
    return re.findall(r"<li>(.*?)</li>", listed.group(1), re.S)


def test_the_bitcoin_trace_is_explained_in_french_and_russian(
        client: TestClient, make_user: MakeUser, platform_db: Database,
        settings: Settings) -> None:
    set_id = _register(platform_db, settings)
    headers = {"X-CSRF-Token": login(client, make_user("analyst")[0])}
    asked = {"start": SPENDER, "rule": "haircut", "min_amount": 1}
    french = {
        "step": ("saut 1 : 74d681e0e03b… dépense 0,20 BTC suivis sur 0,20 BTC en entrée, "
                 "verse 0,20 BTC en sortie ; prorata : chaque sortie porte la part suivie de "
                 "100,0 % de sa valeur : 0,15 BTC sur 0,15 BTC vers "
                 "16wnJHUrSeWz8XCYZ245amSahwmBto2CC9, 0,05 BTC sur 0,05 BTC vers "
                 "14xb2HATmkBzrHf4CR2hZczEtjYpTh92d2"),
        "reason": "non dépensé dans l’ensemble",
        "node": "0,15 BTC : non dépensé dans l’ensemble",
        "heading": ("Traçage en aval de 0,20 BTC depuis 13YiRgpov7tAQt22gFgDf12cDS3s9MWbSU "
                    "avec le modèle prorata (proportionnel)")}
    russian = {
        "step": ("шаг 1: 74d681e0e03b… тратит 0,20 BTC прослеживаемых из 0,20 BTC на входе, "
                 "выплачивает 0,20 BTC на выходе; пропорционально: каждый выход несёт "
                 "прослеживаемую долю 100,0 % своей стоимости: 0,15 BTC из 0,15 BTC на "
                 "16wnJHUrSeWz8XCYZ245amSahwmBto2CC9, 0,05 BTC из 0,05 BTC на "
                 "14xb2HATmkBzrHf4CR2hZczEtjYpTh92d2"),
        "reason": "не потрачен в пределах набора",
        "node": "0,15 BTC: не потрачен в пределах набора",
        "heading": "Прямое отслеживание 0,20 BTC от 13YiRgpov7tAQt22gFgDf12cDS3s9MWbSU"}
    for language, shown in (("fr", french), ("ru", russian)):
        client.cookies.set("tocsin_language", language)
        body = client.post(f"{API}/sets/{set_id}/bitcoin/trace", headers=headers,
                           json=asked).json()
        step, end = body["steps"][0], body["ends"][0]
        # the trace's own fields stay English, the shown ones are the reader's
        assert (step["explanation"], end["reason"]) == (HOP, "not spent within the set")
        assert (step["explanation_shown"], end["reason_shown"]) == (shown["step"],
                                                                    shown["reason"])
        node = next(n for n in body["flows"]["nodes"] if n["ends"])
        assert node["ends"] == ["0.15 BTC: not spent within the set"]
        assert node["ends_shown"] == [shown["node"]]
        assert {(k["text"], k["text_shown"]) for k in body["flows"]["links"]} == {
            ("0.20 BTC", "0,20 BTC"), ("0.15 BTC", "0,15 BTC"), ("0.05 BTC", "0,05 BTC")}
        assert all(e["text_shown"] == e["text"].replace(".", ",")
                   for e in body["flows"]["graph"]["edges"])
        drawn = body["flows"]["graph"]["nodes"]
        assert [n["ends_shown"] for n in drawn if n["ends"]] == [
            [shown["node"]], [shown["node"].replace("0,15", "0,05")]]
        page = client.get(f"/investigations/sets/{set_id}/bitcoin",
                          params={"start": SPENDER, "rule": "haircut"})
        assert _steps(page.text)[0] == shown["step"]
        assert shown["reason"] in page.text and "not spent within the set" not in page.text
        said = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text)).split())
        assert shown["heading"] in said
        assert 'dir="ltr"' in page.text  # the trace's direction is not the page's
    client.cookies.set("tocsin_language", "fr")
    back = client.post(f"{API}/sets/{set_id}/bitcoin/trace", headers=headers,
                       json={**asked, "rule": "poison", "direction": "backward"}).json()
    # a message inside another one (the inputs from outside the set) and no part traced
    assert back["steps"][0]["explanation"] == (
        "hop 1: 71b3dbaca67e… pays 0.20 BTC of the traced coins out of 0.00 BTC in; poison: "
        "every input is taken as a source in full: nothing; 1 input spends outputs outside "
        "the set and is not followed")
    assert back["steps"][0]["explanation_shown"] == (
        "saut 1 : 71b3dbaca67e… verse 0,20 BTC des pièces suivies sur 0,00 BTC en entrée ; "
        "contamination totale : chaque entrée est prise comme source en entier : rien ; "
        "1 entrée dépense des sorties hors de l’ensemble et n’est pas suivie")
    assert [(e["reason"], e["reason_shown"]) for e in back["ends"]] == [
        ("comes from outputs outside the set", "provient de sorties hors de l’ensemble")]
    client.cookies.set("tocsin_language", "ru")
    wrong = client.get(f"/investigations/sets/{set_id}/bitcoin", params={"start": "nothing"})
    assert "'nothing' — не адрес и не транзакция этого набора" in html.unescape(wrong.text)

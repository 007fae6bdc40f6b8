"""Pages in the user's language: saved choice, then cookie, then Accept-Language, then English."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import select

from tests.factories import MakeUser, login
from tocsin import i18n
from tocsin.access.tables import User
from tocsin.store.database import Database
from tocsin.web.templating import script_messages


def _lang(text: str) -> tuple[str, str]:
    found = re.search(r'<html lang="([^"]+)" dir="([^"]+)">', text)
    assert found, "no lang and dir on <html>"
    return found.group(1), found.group(2)


def test_accept_language_chooses_the_sign_in_page_language(client: TestClient) -> None:
    english = client.get("/login")
    assert _lang(english.text) == ("en", "ltr") and "Sign in to Tocsin" in english.text
    russian = client.get("/login", headers={"Accept-Language": "de-DE,ru;q=0.8,en;q=0.5"})
    assert _lang(russian.text) == ("ru", "ltr")
    assert "Вход в Tocsin" in russian.text and "Sign in to Tocsin" not in russian.text
    assert russian.headers["content-language"] == "ru"
    french = client.get("/login", headers={"Accept-Language": "fr-CA"})
    assert "Connexion à Tocsin" in french.text
    arabic = client.get("/login", headers={"Accept-Language": "ar"})
    assert _lang(arabic.text) == ("ar", "rtl") and "تسجيل الدخول" in arabic.text
    unknown = client.get("/login", headers={"Accept-Language": "xx, *;q=0.1"})
    assert _lang(unknown.text) == ("en", "ltr")


def test_the_switch_saves_the_choice_and_beats_the_browser(
        client: TestClient, make_user: MakeUser, platform_db: Database) -> None:
    username, password = make_user("analyst")
    csrf = login(client, username, password)
    page = client.get("/framework/crime-areas", headers={"Accept-Language": "fr"})
    assert "Domaines criminels" in page.text and 'id="language-switch"' in page.text

    switched = client.post("/account/language", data={
        "language": "ru", "next": "/framework/crime-areas", "csrf_token": csrf},
        follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == "/framework/crime-areas"
    with platform_db.transaction() as session:
        assert session.scalars(select(User.language).where(
            User.username == username)).one() == "ru"

    client.cookies.clear()  # the saved choice, not the cookie, decides for a signed-in user
    csrf = login(client, username, password)
    page = client.get("/framework/crime-areas", headers={"Accept-Language": "fr"})
    assert _lang(page.text) == ("ru", "ltr") and "Области преступности" in page.text
    assert "Отмывание денег" in page.text  # reference names from the YAML's `names`
    assert "Money laundering" not in page.text
    assert '<option value="ru" lang="ru" selected>' in page.text

    # back to the browser's language: the choice is cleared
    client.post("/account/language", data={"language": "", "csrf_token": csrf})
    page = client.get("/framework/crime-areas", headers={"Accept-Language": "fr"})
    assert _lang(page.text) == ("fr", "ltr")


def test_the_switch_refuses_an_unknown_language_and_an_outside_target(
        client: TestClient, make_user: MakeUser) -> None:
    username, password = make_user("partner_viewer")
    csrf = login(client, username, password)
    refused = client.post("/account/language", data={"language": "tlh", "csrf_token": csrf})
    assert refused.status_code == 422 and "language" in refused.text
    moved = client.post("/account/language", data={
        "language": "fr", "next": "//evil.example/", "csrf_token": csrf},
        follow_redirects=False)
    assert moved.headers["location"] == "/"
    assert moved.cookies.get("tocsin_language") == "fr"
    no_token = client.post("/account/language", data={"language": "fr"})
    assert no_token.status_code == 403


def test_the_sign_in_page_after_a_switch_keeps_the_language(
        client: TestClient, make_user: MakeUser) -> None:
    username, password = make_user("coordinator")
    csrf = login(client, username, password)
    client.post("/account/language", data={"language": "fr", "csrf_token": csrf})
    client.post("/logout", data={"csrf_token": csrf})
    page = client.get("/login", headers={"Accept-Language": "ru"})
    assert "Connexion à Tocsin" in page.text


def test_messages_made_in_python_are_shown_in_the_page_language(client: TestClient) -> None:
    form = client.get("/login", headers={"Accept-Language": "fr"})
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    refused = client.post("/login", headers={"Accept-Language": "fr"}, data={
        "username": "nobody", "password": "wrong-password-12", "csrf_token": token.group(1)})
    assert refused.status_code == 401
    assert "Nom d\u2019utilisateur ou mot de passe incorrect." in refused.text
    expired = client.post("/login", headers={"Accept-Language": "ru"}, data={
        "username": "nobody", "password": "x", "csrf_token": "not-the-token"})
    assert expired.status_code == 403 and "Срок действия формы истёк" in expired.text


def test_the_sign_in_page_switch_keeps_the_choice_in_a_cookie(client: TestClient) -> None:
    chosen = client.get("/login?language=ru&next=/cases", follow_redirects=False)
    assert chosen.status_code == 303 and chosen.headers["location"] == "/login?next=%2Fcases"
    assert chosen.cookies.get("tocsin_language") == "ru"
    page = client.get("/login?next=/cases", headers={"Accept-Language": "fr"})
    assert _lang(page.text) == ("ru", "ltr") and "Вход в Tocsin" in page.text
    assert 'id="login-language"' in page.text
    assert '<option value="ru" lang="ru" selected>' in page.text
    assert 'name="next" value="/cases"' in page.text

    outside = client.get("/login?language=fr&next=//evil.example/", follow_redirects=False)
    assert outside.headers["location"] == "/login?next=%2F"
    unknown = client.get("/login?language=tlh", follow_redirects=False)
    assert unknown.status_code == 303 and "tocsin_language" not in unknown.cookies
    assert _lang(client.get("/login").text)[0] == "fr"  # the cookie stays as it was

    cleared = client.get("/login?language=", follow_redirects=False)
    assert "tocsin_language" in cleared.headers["set-cookie"]
    page = client.get("/login", headers={"Accept-Language": "ru"})
    assert _lang(page.text)[0] == "ru"  # back to the browser's language


PROGRAMME = {"identifier": "XM-OSCE-LANG-1", "level": "programme", "title": "Language check",
             "status": "2", "planned_start": "2025-01-01", "reporting_org_ref": "XM-OSCE",
             "implementing_structure": "tntd-spmu", "budget": "2025:EUR:1000"}


def test_domain_refusals_and_errors_are_shown_in_the_reader_language(
        client: TestClient, make_user: MakeUser) -> None:
    username, password = make_user("analyst")
    csrf = login(client, username, password)
    french = {"Accept-Language": "fr"}
    refused = client.post("/programmes", headers=french, data={
        **PROGRAMME, "title": "", "parent_identifier": "XM-NOPE", "csrf_token": csrf})
    assert refused.status_code == 422
    with i18n.using("fr"):
        empty = i18n.gettext("the title is empty")
        no_parent = str(i18n.N_("no activity %(identifier)s", identifier="'XM-NOPE'"))
    assert empty != "the title is empty" and empty in refused.text
    assert str(escape(no_parent)) in refused.text
    assert "the title is empty" not in refused.text and "no activity" not in refused.text

    missing = client.get("/programmes/999999999", headers=french)
    assert missing.status_code == 404
    with i18n.using("fr"):
        said = str(i18n.N_("%(record_type)s %(record_id)s not found",
                           record_type=i18n.N_("activity"), record_id=999999999))
    assert str(escape(said)) in missing.text and "not found" not in missing.text
    # the JSON API stays English whatever the browser asks for
    api = client.get("/api/v1/programmes/999999999", headers=french)
    assert api.status_code == 404 and api.json()["detail"] == "activity 999999999 not found"


def test_amounts_show_their_currency_the_reader_way(client: TestClient,
                                                    make_user: MakeUser) -> None:
    username, password = make_user("analyst")
    csrf = login(client, username, password)
    created = client.post("/programmes", data={**PROGRAMME, "csrf_token": csrf},
                          follow_redirects=False)
    assert created.status_code == 303, created.text
    english = client.get("/programmes").text
    assert "€1,000.00" in english
    french = client.get("/programmes", headers={"Accept-Language": "fr"}).text
    with i18n.using("fr"):
        amount = i18n.format_money(1000, "EUR")
    assert amount.startswith("1") and amount.endswith("€") and amount in french


def _script_text(page: str) -> dict[str, str] | None:
    found = re.search(r'<script type="application/json" id="tocsin-text">(.*?)</script>', page)
    return json.loads(found.group(1)) if found else None


def test_pages_hand_their_scripts_the_messages_in_their_language(
        client: TestClient, make_user: MakeUser) -> None:
    username, password = make_user("analyst")
    login(client, username, password)
    assert _script_text(client.get("/programmes/new").text) is None  # English: as written
    russian = _script_text(client.get("/programmes/new", headers={"Accept-Language": "ru"}).text)
    assert russian is not None
    with i18n.using("ru"):
        assert russian["messages"]["Add a result"] == i18n.gettext("Add a result") != "Add a result"
        assert russian["messages"]["Importing…"] == i18n.gettext("Importing…")
    # only the scripts' own messages travel, and only with a page that has scripts
    assert set(russian["messages"]) <= set(script_messages())
    # a message with a count travels with its three Russian forms, and which form each
    # count below 200 takes (in Russian 1 and 21 take one form, 2 to 4 another, 5 to 20 a third)
    forms = russian["plurals"]["%(count)s payment, %(amount)s"]
    assert len(forms) == 3 and len(set(forms)) == 3
    with i18n.using("ru"):
        for n in (1, 2, 5, 11, 21, 22, 25, 111, 121):
            assert forms[russian["forms"][n]] == i18n.translations("ru").ngettext(
                "%(count)s payment, %(amount)s", "%(count)s payments, %(amount)s", n)
    assert _script_text(client.get("/framework/crime-areas",
                                   headers={"Accept-Language": "ru"}).text) is None


def test_crime_area_and_stage_lists_are_named_in_the_reader_language(
        client: TestClient, make_user: MakeUser) -> None:
    """The crime-area and stage choices of the co-operation pages come from the reference
    data's names, so a Russian reader meets no English crime area in a filter or a form."""
    username, password = make_user("administrator", unit="tntd-spmu")
    login(client, username, password)
    option = re.compile(r'<option value="corruption"[^>]*>([^<]*)</option>')
    for path in ("/commitments", "/commitments/new", "/programmes", "/lessons", "/experts",
                 "/cases"):
        english = client.get(path, headers={"Accept-Language": "en"})
        assert english.status_code == 200, path
        russian = client.get(path, headers={"Accept-Language": "ru"})
        named = option.findall(english.text)
        assert named and set(named) == {"Corruption"}, path
        assert set(option.findall(russian.text)) == {"Коррупция"}, path
    # stages likewise, e.g. the names the programmes' form offers to pick from
    listed = re.compile(r'<option value="([^"]*)" data-code="investigation">')
    english = listed.findall(client.get("/programmes/new").text)
    russian = listed.findall(client.get("/programmes/new", headers={"Accept-Language": "ru"}
                                        ).text)
    assert english == ["Investigation"] and russian and russian[0] not in ("", "Investigation")


def test_states_are_listed_with_names_statuses_and_regions_in_the_reader_language(
        client: TestClient, make_user: MakeUser) -> None:
    username, password = make_user("analyst")
    login(client, username, password)
    page = client.get("/framework/states", headers={"Accept-Language": "ru"}).text
    russian = page.split("</table>")[0]  # the States (organizations' names are as published)
    assert "Центральная Азия" in russian and "Central Asia" not in russian
    assert "государство-участник" in russian and "participating" not in russian
    assert "Таджикистан" in russian and "Tajikistan" not in russian
    french = client.get("/framework/states", headers={"Accept-Language": "fr"}).text
    assert "Asie centrale" in french and "Tadjikistan" in french
    english = client.get("/framework/states").text
    assert "Central Asia" in english and "participating" in english


@pytest.mark.parametrize("language", ["fr", "ru", "ar"])
def test_the_scripts_table_of_plural_forms_holds_for_any_count(language: str) -> None:
    """Counts from 200 on take the form of 100 + their last two digits (text.js)."""
    from tocsin.web.templating import PLURAL_TABLE, script_catalog

    forms = script_catalog(language)["forms"]
    plural = i18n.translations(language).plural  # type: ignore[attr-defined]
    assert len(forms) == PLURAL_TABLE
    assert all(forms[100 + n % 100] == plural(n) for n in range(PLURAL_TABLE, 100_000))


@pytest.mark.parametrize("language", ["fr", "ru", "ar"])
def test_the_scripts_find_each_counts_form_of_a_message(language: str) -> None:
    """The form a count takes (``forms``) indexes the texts a script is handed for a message
    with a count, for every count below the table's end: French has forms 0 and 2 there
    (1 is for millions), and its plurals wrote English ("4 payments") on French pages."""
    from tocsin.web.templating import PLURAL_TABLE, script_catalog

    handed = script_catalog(language)
    singular, plural = "%(count)s payment, %(amount)s", "%(count)s payments, %(amount)s"
    texts, catalog = handed["plurals"][singular], i18n.translations(language)
    for n in range(PLURAL_TABLE):
        form = handed["forms"][n]
        shown = texts[form] if form < len(texts) else None
        assert shown == catalog.ngettext(singular, plural, n), (n, form, texts)

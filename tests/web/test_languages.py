"""Pages in the user's language: saved choice, then cookie, then Accept-Language, then English."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import MakeUser, login
from tocsin.access.tables import User
from tocsin.store.database import Database


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

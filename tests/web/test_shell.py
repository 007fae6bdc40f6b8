"""The web shell: health, login, sessions, CSRF, security headers, admin pages, API docs."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import PASSWORD, MakeUser, login
from tocsin.access.tables import AuditEntry
from tocsin.settings import Settings
from tocsin.store.database import Database
from tocsin.web.app import create_app


def _login_token(text: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert found, "no CSRF token in the login form"
    return found.group(1)


def test_healthz_and_login_page_answer_without_a_session(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    page = client.get("/login")
    assert page.status_code == 200 and 'name="password"' in page.text


def test_api_without_a_session_is_401(client: TestClient) -> None:
    for path in ("/api/v1/me", "/api/v1/framework/crime-areas", "/api/v1/openapi.json",
                 "/api/v1/docs", "/api/v1/admin/audit"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json() == {"detail": "sign in first"}


def test_pages_without_a_session_redirect_to_login(client: TestClient) -> None:
    response = client.get("/framework/crime-areas", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/framework/crime-areas"


def test_security_headers_on_every_response(client: TestClient) -> None:
    for path in ("/login", "/healthz", "/static/css/tocsin.css", "/api/v1/me", "/nowhere"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-content-type-options"] == "nosniff"
        if not path.startswith("/static/"):
            assert headers["cache-control"] == "no-store", path


def test_session_cookie_is_secure_and_http_only(client: TestClient,
                                                make_user: MakeUser) -> None:
    username, _ = make_user("analyst")
    form = client.get("/login")
    token = _login_token(form.text)
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                            "csrf_token": token}, follow_redirects=False)
    cookie = response.headers["set-cookie"].lower()
    assert "tocsin_session=" in cookie and "httponly" in cookie and "secure" in cookie
    assert "samesite=lax" in cookie


def test_login_form_needs_its_csrf_token(client: TestClient, make_user: MakeUser) -> None:
    username, _ = make_user("analyst")
    client.get("/login")
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                            "csrf_token": "forged"})
    assert response.status_code == 403
    assert client.get("/api/v1/me").status_code == 401


def test_wrong_password_then_rate_limit(client: TestClient, make_user: MakeUser,
                                        settings: Settings) -> None:
    username, _ = make_user("analyst")
    for _ in range(settings.login_max_failures):
        page = client.get("/login")
        token = _login_token(page.text)
        bad = client.post("/login", data={"username": username, "password": "Wrong-pass-1234",
                                          "csrf_token": token})
        assert bad.status_code == 401
    page = client.get("/login")
    token = _login_token(page.text)
    limited = client.post("/login", data={"username": username, "password": PASSWORD,
                                          "csrf_token": token})
    assert limited.status_code == 429


def test_state_changing_requests_need_the_csrf_token(client: TestClient, make_user: MakeUser,
                                                     platform_db: Database) -> None:
    username, _ = make_user("administrator", unit="tntd")
    csrf = login(client, username)
    # a forged form without the token changes nothing
    forged = client.post("/admin/users", data={"username": "mallory", "role": "administrator",
                                               "unit": "tntd"})
    assert forged.status_code == 403
    assert client.post("/logout").status_code == 403
    ok = client.post("/admin/users", data={"username": "newbie", "role": "analyst",
                                           "unit": "tntd-spmu", "csrf_token": csrf})
    assert ok.status_code == 200 and "newbie" in ok.text
    with platform_db.transaction() as session:
        details = session.scalars(select(AuditEntry.detail)).all()
    assert any("added newbie" in d for d in details)
    assert not any("mallory" in d for d in details)


def test_logout_ends_the_session(client: TestClient, make_user: MakeUser) -> None:
    username, _ = make_user("analyst")
    csrf = login(client, username)
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False
                       ).status_code == 303
    assert client.get("/api/v1/me").status_code == 401


def test_password_change_through_the_form(client: TestClient, make_user: MakeUser,
                                          settings: Settings, platform_db: Database) -> None:
    username, _ = make_user("analyst")
    csrf = login(client, username)
    response = client.post("/account/password", data={
        "csrf_token": csrf, "current_password": PASSWORD,
        "new_password": "Another-long-pass-7", "repeat_password": "Another-long-pass-7"})
    assert response.status_code == 200 and "password was changed" in response.text
    other = TestClient(create_app(settings), base_url="https://testserver")
    login(other, username, "Another-long-pass-7")


def test_admin_pages_are_for_administrators_only(client: TestClient, make_user: MakeUser) -> None:
    username, _ = make_user("coordinator")
    login(client, username)
    assert client.get("/admin/users").status_code == 403
    assert client.get("/api/v1/admin/audit").status_code == 403
    nav = client.get("/").text
    assert 'href="/admin/users"' not in nav


def test_admin_sees_users_and_audit_log(client: TestClient, make_user: MakeUser) -> None:
    username, _ = make_user("administrator", unit="tntd")
    login(client, username)
    assert username in client.get("/admin/users").text
    audit_page = client.get("/admin/audit", params={"user": username})
    assert audit_page.status_code == 200 and ">login<" in audit_page.text
    entries = client.get("/api/v1/admin/audit", params={"user": username}).json()
    assert entries[0]["action"] == "login"
    assert client.get("/admin/audit", params={"since": "not a date"}).status_code == 422


def test_api_docs_are_served_locally(client: TestClient, make_user: MakeUser) -> None:
    username, _ = make_user("analyst")
    login(client, username)
    docs = client.get("/api/v1/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs
    assert "http://" not in docs.replace("http://www.w3.org", "")
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/framework/crime-areas" in spec["paths"]


@pytest.mark.parametrize("path", ["/static/vendor/htmx.min.js", "/static/vendor/echarts.min.js",
                                  "/static/vendor/cytoscape.min.js", "/static/css/tocsin.css"])
def test_assets_are_served_by_the_platform(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200

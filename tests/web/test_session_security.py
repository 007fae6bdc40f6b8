"""Idle sessions end, foreign pages cannot change state, denials are audited, and weak
passwords are refused in the web form, the API and the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from tests.factories import PASSWORD, MakeUser, login
from tests.taskforce.programmes.factory import spec
from tocsin.access.principal import Principal
from tocsin.access.tables import AuditEntry, LoginSession
from tocsin.settings import Settings, get_settings
from tocsin.store.database import Database
from tocsin.taskforce.programmes import records
from tocsin.web.app import create_app


def _age_sessions(db: Database, minutes: int) -> None:
    moment = datetime.now(UTC) - timedelta(minutes=minutes)
    with db.transaction() as session:
        session.execute(update(LoginSession).values(last_seen_at=moment, created_at=moment))


def test_an_idle_session_ends(client: TestClient, settings: Settings, platform_db: Database,
                              make_user: MakeUser) -> None:
    username, _ = make_user("analyst")
    login(client, username)
    _age_sessions(platform_db, settings.session_idle_minutes - 2)
    assert client.get("/api/v1/me").status_code == 200  # in use: still open, and marked seen
    with platform_db.transaction() as session:
        seen = session.scalars(select(LoginSession.last_seen_at)).one()
    assert seen is not None and abs(
        datetime.now(UTC) - seen.replace(tzinfo=UTC)) < timedelta(minutes=1)
    _age_sessions(platform_db, settings.session_idle_minutes + 1)
    assert client.get("/api/v1/me").status_code == 401
    with platform_db.transaction() as session:  # and it is gone, not just refused
        assert session.scalars(select(LoginSession)).all() == []


def test_idle_timeout_is_a_setting(settings: Settings, platform_db: Database,
                                   make_user: MakeUser) -> None:
    username, _ = make_user("analyst")
    app = create_app(settings.model_copy(update={"session_idle_minutes": 240}))
    with TestClient(app, base_url="https://testserver") as client:
        login(client, username)
        _age_sessions(platform_db, 200)
        assert client.get("/api/v1/me").status_code == 200
    app.state.db.engine.dispose()


def test_state_changes_from_a_foreign_origin_are_refused(client: TestClient,
                                                         make_user: MakeUser) -> None:
    username, _ = make_user("analyst")
    csrf = login(client, username)
    body = {"current_password": PASSWORD, "new_password": "Another-long-phrase-77"}
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                    {"Referer": "https://evil.example/page"},
                    {"Origin": "http://testserver"}):  # same host, other scheme
        response = client.post("/api/v1/me/password", json=body,
                               headers={"X-CSRF-Token": csrf, **headers})
        assert response.status_code == 403, headers
        assert "another site" in response.json()["detail"]
        assert response.headers["x-frame-options"] == "DENY"  # security headers still on
    page = client.post("/logout", data={"csrf_token": csrf},
                       headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert page.status_code == 403 and "another site" in page.text
    # reads are not checked; the own origin (by Origin or Referer) passes
    assert client.get("/api/v1/me", headers={"Origin": "https://evil.example"}).status_code == 200
    ok = client.post("/api/v1/me/password", json=body,
                     headers={"X-CSRF-Token": csrf, "Origin": "https://testserver"})
    assert ok.status_code == 200, ok.text
    body = {"current_password": "Another-long-phrase-77", "new_password": PASSWORD + "x"}
    ok = client.post("/api/v1/me/password", json=body, headers={
        "X-CSRF-Token": csrf, "Referer": "https://testserver/account/password"})
    assert ok.status_code == 200, ok.text


def test_configured_origins_and_a_trusted_proxy_are_accepted(settings: Settings,
                                                            platform_db: Database,
                                                            make_user: MakeUser) -> None:
    username, _ = make_user("analyst")
    config = settings.model_copy(update={"allowed_origins": "https://tocsin.example.org",
                                         "trusted_proxies": "10.9.0.0/24"})
    app = create_app(config)
    proxied = TestClient(app, base_url="https://backend:8000", client=("10.9.0.2", 4000))
    csrf = login(proxied, username)
    tls = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "tocsin.internal",
           "X-CSRF-Token": csrf}
    assert proxied.post("/api/v1/me/password", json={}, headers={
        **tls, "Origin": "https://tocsin.internal"}).status_code == 422  # passed the check
    assert proxied.post("/api/v1/me/password", json={}, headers={
        **tls, "Origin": "https://tocsin.example.org"}).status_code == 422
    assert proxied.post("/api/v1/me/password", json={}, headers={
        **tls, "Origin": "https://other.example.org"}).status_code == 403
    app.state.db.engine.dispose()


def test_denied_reads_are_audited(client: TestClient, platform_db: Database,
                                  make_user: MakeUser) -> None:
    with platform_db.transaction() as session:
        red = records.create_activity(session, Principal.system(), spec(
            "RED-1", handling="RED", implementing_structure="tntd-spmu"))
    outsider, _ = make_user("analyst", unit="fo-serbia")
    login(client, outsider)
    for path in (f"/programmes/{red.id}", f"/programmes/{red.id + 1000}"):
        assert client.get(path).status_code == 404
    assert client.get("/admin/users").status_code == 403
    with platform_db.transaction() as session:
        denied = session.scalars(select(AuditEntry).where(AuditEntry.action == "denied")
                                 .order_by(AuditEntry.id)).all()
    assert [(e.username, e.record_type, e.record_id, e.detail.split(":")[0])
            for e in denied] == [
        (outsider, "activity", str(red.id), f"404 GET /programmes/{red.id}"),
        (outsider, "activity", str(red.id + 1000), f"404 GET /programmes/{red.id + 1000}"),
        (outsider, "", "", "403 GET /admin/users"),
    ]
    assert "hidden from the user" in denied[0].detail
    assert "hidden" not in denied[1].detail


@pytest.mark.parametrize("weak", ["password1234", "P@ssw0rd2026!"])
def test_weak_passwords_are_refused_in_the_form_and_the_api(client: TestClient,
                                                           make_user: MakeUser,
                                                           weak: str) -> None:
    username, _ = make_user("analyst")
    csrf = login(client, username)
    form = client.post("/account/password", data={
        "csrf_token": csrf, "current_password": PASSWORD, "new_password": weak,
        "repeat_password": weak})
    assert form.status_code == 422 and "most common passwords" in form.text
    api = client.post("/api/v1/me/password", headers={"X-CSRF-Token": csrf},
                      json={"current_password": PASSWORD, "new_password": weak})
    assert api.status_code == 422
    assert api.json()["problems"][0]["location"] == "password"


def test_weak_password_is_refused_by_the_cli(settings: Settings, platform_db: Database,
                                             tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from tocsin.cli.main import app

    monkeypatch.setenv("TOCSIN_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("TOCSIN_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["user", "add", "carla", "--role", "analyst",
                                          "--unit", "tntd-spmu", "--password", "password1234"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code != 0
    assert "most common passwords" in result.output or "most common passwords" in str(
        result.exception)


def test_administrators_can_verify_the_chain_through_the_api(client: TestClient,
                                                              make_user: MakeUser) -> None:
    admin, _ = make_user("administrator")
    login(client, admin)
    report = client.get("/api/v1/admin/audit/verify").json()
    assert report["ok"] is True and report["rows"] >= 2 and report["findings"] == []
    entries = client.get("/api/v1/admin/audit").json()
    assert entries[0]["seq"] == report["head"]["seq"]
    assert entries[0]["row_hash"] == report["head"]["hash"]

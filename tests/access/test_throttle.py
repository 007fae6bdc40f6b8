"""Login throttling per (username, client address): atomic, with back-off, proxy-aware."""

from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.factories import MakeUser
from tocsin.access import login, throttle
from tocsin.access.tables import AuditEntry, LoginThrottle
from tocsin.errors import AuthenticationError, RateLimited
from tocsin.settings import Settings
from tocsin.store.database import Database
from tocsin.web.app import create_app
from tocsin.web.origin import client_address, trusted_networks


def _form(client: TestClient) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert found
    return found.group(1)


def _post(client: TestClient, token: str, username: str, password: str,
          headers: dict[str, str] | None = None) -> int:
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token, "next": "/"},
                           headers=headers or {}, follow_redirects=False)
    return response.status_code


def test_thirty_parallel_wrong_passwords_get_exactly_five_checks(
        settings: Settings, platform_db: Database, make_user: MakeUser) -> None:
    username, _ = make_user("analyst")
    app = create_app(settings)
    clients = [TestClient(app, base_url="https://testserver") for _ in range(30)]
    tokens = [_form(c) for c in clients]
    start = threading.Barrier(30)
    statuses: list[int] = []

    def attempt(i: int) -> None:
        start.wait()
        statuses.append(_post(clients[i], tokens[i], username, "Wrong-password-123"))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    app.state.db.engine.dispose()
    assert Counter(statuses) == {401: 5, 429: 25}
    with platform_db.transaction() as session:
        actions = Counter(session.scalars(select(AuditEntry.action)
                                          .where(AuditEntry.username == username)))
    assert actions["login_failed"] == 5 and actions["login_throttled"] == 25


def test_failures_behind_a_proxy_do_not_block_another_user(
        settings: Settings, platform_db: Database, make_user: MakeUser) -> None:
    ana, password = make_user("analyst", username="ana")
    bob, bob_password = make_user("analyst", username="bob")
    config = settings.model_copy(update={"trusted_proxies": "10.9.0.0/24"})
    app = create_app(config)
    proxy = TestClient(app, base_url="https://testserver", client=("10.9.0.2", 4000))
    token = _form(proxy)
    office = {"X-Forwarded-For": "192.0.2.10"}  # every user of the office behind the proxy
    for _ in range(5):
        assert _post(proxy, token, ana, "Wrong-password-123", office) == 401
    assert _post(proxy, token, ana, password, office) == 429  # even the right password
    assert _post(proxy, _form(proxy), bob, bob_password, office) == 303
    # ana from another client behind the same proxy is not blocked either
    assert _post(proxy, _form(proxy), ana, password, {"X-Forwarded-For": "192.0.2.11"}) == 303
    with platform_db.transaction() as session:
        keys = {(r.username, r.address) for r in session.scalars(select(LoginThrottle))}
    assert keys == {(ana, "192.0.2.10")}  # counted per client, not per proxy
    app.state.db.engine.dispose()


def test_forwarded_header_is_ignored_from_an_untrusted_peer(
        settings: Settings, platform_db: Database, make_user: MakeUser) -> None:
    ana, _ = make_user("analyst", username="ana")
    app = create_app(settings)  # no trusted proxies
    client = TestClient(app, base_url="https://testserver", client=("198.51.100.7", 4000))
    token = _form(client)
    for i in range(5):  # a new forged address each time does not buy more guesses
        assert _post(client, token, ana, "Wrong-password-123",
                     {"X-Forwarded-For": f"203.0.113.{i}"}) == 401
    response = client.post("/login", data={"username": ana, "password": "Wrong-password-123",
                                           "csrf_token": token},
                           headers={"X-Forwarded-For": "203.0.113.99"}, follow_redirects=False)
    assert response.status_code == 429 and int(response.headers["retry-after"]) > 0
    app.state.db.engine.dispose()


def test_back_off_doubles_and_old_failures_are_forgotten(
        settings: Settings, platform_db: Database, make_user: MakeUser) -> None:
    ana, password = make_user("analyst", username="ana")
    engine = platform_db.engine

    def attempt(secret: str) -> None:
        with platform_db.transaction() as session:
            login.login(session, settings, ana, secret, "10.1.1.1")

    def expire_block() -> timedelta:
        with platform_db.transaction() as session:
            row = session.scalars(select(LoginThrottle)).one()
            until, last = row.blocked_until, row.last_attempt_at
            assert until is not None
            row.blocked_until = datetime.now(UTC) - timedelta(seconds=1)
            return until - last

    for _ in range(settings.login_max_failures):
        with pytest.raises(AuthenticationError):
            attempt("Wrong-password-123")
    assert expire_block() == timedelta(seconds=settings.login_backoff_seconds)
    with pytest.raises(AuthenticationError) as raised:  # one attempt checked after the wait
        attempt("Wrong-password-123")
    assert not isinstance(raised.value, RateLimited)
    assert expire_block() == timedelta(seconds=2 * settings.login_backoff_seconds)
    with pytest.raises(AuthenticationError):
        attempt("Wrong-password-123")
    assert expire_block() == timedelta(seconds=4 * settings.login_backoff_seconds)
    # failures older than the window are forgotten: five fresh attempts again
    long_ago = datetime.now(UTC) - timedelta(minutes=settings.login_window_minutes + 1)
    with platform_db.transaction() as session:
        session.execute(update(LoginThrottle).values(last_attempt_at=long_ago))
    throttle.reserve(engine, settings, ana, "10.1.1.1")
    with platform_db.transaction() as session:
        assert session.scalars(select(LoginThrottle.failures)).one() == 1
    attempt(password)  # a success clears the pair
    with platform_db.transaction() as session:
        assert session.scalars(select(LoginThrottle)).all() == []


def test_back_off_is_capped_at_the_window(settings: Settings) -> None:
    assert throttle.backoff(settings, settings.login_max_failures) == timedelta(seconds=30)
    assert throttle.backoff(settings, 60) == timedelta(minutes=settings.login_window_minutes)


@pytest.mark.parametrize(("peer", "forwarded", "expected"), [
    ("10.9.0.2", ["192.0.2.10"], "192.0.2.10"),
    ("10.9.0.2", ["192.0.2.10, 10.9.0.3"], "192.0.2.10"),  # two trusted hops
    ("10.9.0.2", ["6.6.6.6, 192.0.2.10"], "192.0.2.10"),  # the client forged the first hop
    ("10.9.0.2", ["not-an-ip"], "10.9.0.2"),
    ("10.9.0.2", [], "10.9.0.2"),
    ("198.51.100.7", ["192.0.2.10"], "198.51.100.7"),  # not a trusted proxy
    (None, ["192.0.2.10"], "unknown"),
    ("10.9.0.2", ["[2001:db8::1]:443"], "2001:db8::1"),
])
def test_client_address(peer: str | None, forwarded: list[str], expected: str) -> None:
    assert client_address(peer, forwarded, trusted_networks("10.9.0.0/24")) == expected


def test_trusted_proxies_setting_names_a_bad_entry() -> None:
    from tocsin.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match=r"'10\.0\.0\.0/33'"):
        trusted_networks("127.0.0.1, 10.0.0.0/33")


def test_long_forgotten_pairs_are_deleted(settings: Settings, platform_db: Database) -> None:
    engine = platform_db.engine
    throttle.reserve(engine, settings, "someone", "10.2.2.2")
    throttle.failed(engine, settings, "someone", "10.2.2.2")
    long_ago = datetime.now(UTC) - timedelta(minutes=3 * settings.login_window_minutes)
    with platform_db.transaction() as session:
        session.execute(update(LoginThrottle).values(last_attempt_at=long_ago))
    throttle.reserve(engine, settings, "another", "10.2.2.3")
    throttle.failed(engine, settings, "another", "10.2.2.3")
    with platform_db.transaction() as session:
        assert session.scalars(select(LoginThrottle.username)).all() == ["another"]

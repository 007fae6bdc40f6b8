"""Database work never blocks the event loop; an exhausted pool answers 503 and recovers."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import re
import sqlite3
import threading
import time

import httpx
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.factories import PASSWORD, MakeUser
from tests.web.aio import run_async
from tocsin.access import login as login_module
from tocsin.settings import Settings
from tocsin.web import deps
from tocsin.web.app import ROUTERS, create_app

#: Async routes that use the session only through ``run_in_threadpool`` (they stream an
#: upload to disk or read the form on the event loop first).
ASYNC_WITH_THREADPOOL = {"tocsin.web.routers.investigations.api_upload",
                         "tocsin.web.routers.investigations.import_submit",
                         "tocsin.web.routers.crypto.tags_page",
                         "tocsin.web.routers.crypto.api_add_tags",
                         "tocsin.web.routers.crypto.ethereum_tags_page",
                         "tocsin.web.routers.crypto.api_add_ethereum_tags",
                         "tocsin.web.routers.safeguards.transfer",
                         "tocsin.web.routers.screening.import_form",
                         "tocsin.web.routers.screening.api_import"}


def _nodes(dependant: Dependant) -> list[Dependant]:
    found = [dependant]
    for sub in dependant.dependencies:
        found.extend(_nodes(sub))
    return found


def _routes() -> list[APIRoute]:
    found: list[APIRoute] = []
    for name in ROUTERS:
        module = importlib.import_module(f"tocsin.web.routers.{name}")
        for router in (getattr(module, "pages", None), getattr(module, "api", None)):
            found.extend(r for r in getattr(router, "routes", []) if isinstance(r, APIRoute))
    return found


def test_nothing_that_uses_the_database_session_runs_on_the_event_loop() -> None:
    checked = 0
    for route in _routes():
        for node in _nodes(route.dependant):
            if node.call is None or not any(d.call is deps.db_session for d in node.dependencies):
                continue
            checked += 1
            name = f"{node.call.__module__}.{getattr(node.call, '__name__', '')}"
            if inspect.iscoroutinefunction(node.call) and name not in ASYNC_WITH_THREADPOOL:
                raise AssertionError(f"{route.path}: {name} is async and uses the session")
    assert checked > 100


async def _sign_in(client: httpx.AsyncClient, username: str) -> None:
    form = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    response = await client.post("/login", data={"username": username, "password": PASSWORD,
                                                 "csrf_token": token.group(1), "next": "/"})
    assert response.status_code == 303, response.text


def test_an_exhausted_pool_answers_503_quickly_and_recovers(
        settings: Settings, make_user: MakeUser) -> None:
    username, _ = make_user("analyst")
    app = create_app(settings.model_copy(update={"database_pool_size": 2,
                                                 "database_wait_seconds": 0.3}))

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
            await _sign_in(client, username)
            slots: deps.DatabaseSlots = app.state.database_slots
            async with slots.hold(), slots.hold():  # every slot taken
                started = time.monotonic()
                busy = await client.get("/api/v1/me")
                assert busy.status_code == 503
                assert busy.headers["retry-after"] == "2"
                assert time.monotonic() - started < 2
                page = await client.get("/framework/crime-areas")
                assert page.status_code == 503 and "busy" in page.text
            # 40 requests at once through 2 slots: with time to wait they queue, none fails,
            # none leaks a connection
            slots.wait_seconds = 30
            answers = await asyncio.gather(*(client.get("/api/v1/me") for _ in range(40)))
            assert [a.status_code for a in answers] == [200] * 40
            assert (await client.get("/healthz")).status_code == 200

    run_async(scenario)
    assert app.state.db.engine.pool.checkedout() == 0
    app.state.db.engine.dispose()



def test_a_password_check_holds_no_database_slot(
        settings: Settings, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch) -> None:
    """While argon2 checks a password, the pages of users already signed in are served
    through the one database slot."""
    username, _ = make_user("analyst")
    app = create_app(settings.model_copy(update={"database_pool_size": 1,
                                                 "database_wait_seconds": 0.5}))
    checking = threading.Event()
    release = threading.Event()
    real_verify = login_module.verify_password

    def slow_verify(password_hash: str, password: str) -> bool:
        checking.set()
        release.wait(10)
        return real_verify(password_hash, password)

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as first, \
                httpx.AsyncClient(transport=transport, base_url="https://testserver") as second:
            await _sign_in(first, username)
            monkeypatch.setattr(login_module, "verify_password", slow_verify)
            form = await second.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert token
            signing_in = asyncio.create_task(second.post(
                "/login", data={"username": username, "password": PASSWORD,
                                "csrf_token": token.group(1), "next": "/"}))
            while not checking.is_set():
                await asyncio.sleep(0.01)
            page = await first.get("/api/v1/me")  # the only slot is free meanwhile
            release.set()
            assert page.status_code == 200
            assert (await signing_in).status_code == 303

    try:
        run_async(scenario)
    finally:
        release.set()
    assert app.state.db.engine.pool.checkedout() == 0
    app.state.db.engine.dispose()


def test_a_locked_embedded_database_answers_503(settings: Settings, make_user: MakeUser) -> None:
    if not (settings.database_url or "").startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    username, _ = make_user("analyst")
    app = create_app(settings.model_copy(update={"database_busy_timeout_seconds": 0.2}))
    with TestClient(app, base_url="https://testserver") as client:
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token
        other = sqlite3.connect((settings.database_url or "").removeprefix("sqlite:///"))
        other.isolation_level = None
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            answer = client.post("/login", data={"username": username, "password": PASSWORD,
                                                 "csrf_token": token.group(1), "next": "/"},
                                 follow_redirects=False)
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert answer.status_code == 503 and answer.headers["retry-after"] == "2"
    app.state.db.engine.dispose()

"""Factory helpers for tests: users, logins, a live server."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Page

from tocsin.access import users
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.settings import Settings
from tocsin.store.database import Database

PASSWORD = "Correct-horse-battery-9"

#: The ``make_user`` fixture: ``make_user("analyst", unit="tntd-spmu")`` → (username, password).
MakeUser = Callable[..., tuple[str, str]]


def create_user(db: Database, role: str, unit: str = "tntd-spmu",
                username: str | None = None, password: str = PASSWORD) -> tuple[str, str]:
    name = username or f"{role.replace('_', '')}-{unit}".lower()
    with db.transaction() as session:
        users.add_user(session, Principal.system(), name, password, Role.parse(role), unit)
    return name, password


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token for API writes."""
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, "login form has no CSRF token"
    response = client.post("/login", data={"username": username, "password": password,
                                            "csrf_token": token.group(1), "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    me = client.get("/api/v1/me").json()
    return str(me["csrf_token"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    settings: Settings
    db: Database
    _server: uvicorn.Server
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self.db.engine.dispose()


def start_live_server(settings: Settings) -> LiveServer:
    from tocsin.web.app import create_app

    db = Database.from_settings(settings)  # a copy of the reference-loaded template
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        raise RuntimeError("the live server did not start")
    return LiveServer(url, settings, db, server, thread)


def browser_login(page: Page, server: LiveServer, username: str,
                  password: str = PASSWORD) -> None:
    """Sign in through the real login form in the browser."""
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/")

"""The access log: one line per request, no secrets and no search terms."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.factories import PASSWORD, MakeUser, login
from tocsin.settings import Settings
from tocsin.store.database import Database
from tocsin.web.accesslog import AccessLog, line, make_logger, shown_query

LINE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z user=(\d+|-) "
                  r"(GET|POST|HEAD) (\S+) (\d{3}) \d+\.\dms$")


@pytest.fixture
def logged(settings: Settings, platform_db: Database, tmp_path: Path) -> Iterator[
        tuple[TestClient, Path]]:
    from tocsin.web.app import create_app

    path = tmp_path / "logs" / "access.log"
    app = create_app(settings.model_copy(update={"access_log": str(path)}))
    with TestClient(app, base_url="https://testserver") as client:
        yield client, path
    app.state.db.engine.dispose()


def _lines(path: Path) -> list[re.Match[str]]:
    found = []
    for text in path.read_text().splitlines():
        match = LINE.match(text)
        assert match, f"not an access log line: {text!r}"
        found.append(match)
    return found


def test_one_line_per_request_with_the_user_and_status(
        logged: tuple[TestClient, Path], make_user: MakeUser) -> None:
    client, path = logged
    username, _ = make_user("analyst")
    client.get("/healthz")
    login(client, username)
    client.get("/programmes?page=2&q=cocaine+route")
    client.get("/no-such-page")
    lines = _lines(path)
    assert [(m[2], m[3].split("?")[0], m[4]) for m in lines] == [
        ("GET", "/healthz", "200"), ("GET", "/login", "200"), ("POST", "/login", "303"),
        ("GET", "/api/v1/me", "200"), ("GET", "/programmes", "200"),
        ("GET", "/no-such-page", "404")]
    assert lines[0][1] == "-"  # before sign-in
    assert lines[3][1].isdigit() and lines[4][1] == lines[3][1]
    assert lines[4][3] == "/programmes?page=2"


def test_no_search_terms_passwords_or_cookies(logged: tuple[TestClient, Path],
                                              make_user: MakeUser) -> None:
    client, path = logged
    username, _ = make_user("analyst")
    login(client, username)
    client.get("/search?q=operation+nightjar&type=activity")
    client.get("/api/v1/search?q=operation+nightjar")
    client.get("/login?next=/search%3Fq%3Dnightjar")
    text = path.read_text()
    assert "nightjar" not in text and PASSWORD not in text
    for cookie in client.cookies.values():
        assert cookie not in text
    assert "GET /search 200" in text


def test_the_file_rotates(settings: Settings, platform_db: Database, tmp_path: Path) -> None:
    from tocsin.web.app import create_app

    path = tmp_path / "access.log"
    app = create_app(settings.model_copy(update={
        "access_log": str(path), "access_log_max_bytes": 1024, "access_log_backups": 2}))
    with TestClient(app, base_url="https://testserver") as client:
        for _ in range(60):
            client.get("/healthz")
    app.state.db.engine.dispose()
    assert path.stat().st_size <= 1024
    assert (tmp_path / "access.log.1").exists() and (tmp_path / "access.log.2").exists()
    assert not (tmp_path / "access.log.3").exists()


def test_standard_error_by_default_and_off_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    logger = make_logger("-", 1024, 1)
    assert logger is not None
    logger.info("hello")
    assert capsys.readouterr().err == "hello\n"
    assert make_logger("off", 1024, 1) is None


def test_a_failing_application_is_logged_as_500() -> None:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    logger = logging.Logger("test")
    logger.addHandler(Keep())

    async def broken(scope: object, receive: object, send: object) -> None:
        raise RuntimeError("boom")

    async def nothing() -> dict[str, object]:
        return {}

    async def ignore(message: object) -> None:
        return None

    scope = {"type": "http", "method": "GET", "path": "/x", "query_string": b"q=secret"}
    # in a thread of its own: a browser test's driver may hold this thread's event loop
    with ThreadPoolExecutor(1) as pool, pytest.raises(RuntimeError, match="boom"):
        pool.submit(asyncio.run, AccessLog(broken, logger)(scope, nothing, ignore)).result()
    assert LINE.match(records[0]) and " GET /x 500 " in records[0]


def test_only_paging_parameters_stay() -> None:
    assert shown_query(b"") == ""
    assert shown_query(b"q=x&page=3&sort=title&next=/a") == "?page=3&sort=title"
    assert shown_query(b"q=x") == ""
    assert line(0, None, "GET", "/a b\nc", 200, 0.0012).endswith(
        "user=- GET /a%20b%0Ac 200 1.2ms")

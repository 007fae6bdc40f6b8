"""Request bodies: refused by size and without a session before anything is parsed or stored."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import MakeUser, login
from tests.web.aio import run_async
from tocsin.settings import Settings
from tocsin.web.app import create_app

UPLOAD = "/api/v1/programmes/import/iati"
GIB = 1024**3
BOUNDARY = "b0undary"


class Sender:
    """A client that would send ``total`` bytes of multipart body, counting what is pulled."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.pulled = 0
        self.status = 0

    async def receive(self) -> dict[str, Any]:
        if self.pulled == 0:
            head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
                    f"filename=\"a.xml\"\r\nContent-Type: application/xml\r\n\r\n").encode()
            self.pulled += len(head)
            return {"type": "http.request", "body": head, "more_body": True}
        chunk = min(1024 * 1024, self.total - self.pulled)
        self.pulled += chunk
        return {"type": "http.request", "body": b"x" * chunk,
                "more_body": self.pulled < self.total}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]


def _post(app: FastAPI, sender: Sender, *, length: bool, cookie: str | None = None) -> Sender:
    headers = [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
               (b"host", b"testserver")]
    if length:
        headers.append((b"content-length", str(sender.total).encode()))
    if cookie:
        headers.append((b"cookie", f"tocsin_session={cookie}".encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "https", "path": UPLOAD, "raw_path": UPLOAD.encode(),
             "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 5000), "server": ("testserver", 443)}
    run_async(lambda: app(scope, sender.receive, sender.send))  # type: ignore[arg-type]
    return sender


def test_declared_huge_body_is_refused_before_a_byte_is_read(client: TestClient) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    sender = _post(app, Sender(GIB), length=True)
    assert sender.status == 413 and sender.pulled == 0


def test_unauthenticated_upload_is_refused_before_the_body_is_parsed(
        client: TestClient) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    sender = _post(app, Sender(GIB), length=False)  # chunked: no length to judge by
    assert sender.status == 401 and sender.pulled == 0
    sender = _post(app, Sender(GIB), length=False, cookie="forged-or-expired")
    assert sender.status == 401 and sender.pulled == 0


def test_streamed_body_is_cut_off_at_the_limit(settings: Settings, make_user: MakeUser) -> None:
    username, _ = make_user("analyst")
    app = create_app(settings.model_copy(update={"upload_max_bytes": 2 * 1024 * 1024}))
    with TestClient(app, base_url="https://testserver") as client:
        login(client, username)
        cookie = client.cookies.get("tocsin_session")
        assert cookie
        sender = _post(app, Sender(GIB), length=False, cookie=cookie)
    assert sender.status == 413
    assert sender.pulled <= 2 * 1024 * 1024 + 1024 * 1024 + 2 * 1024 * 1024  # limit + form + chunk
    app.state.db.engine.dispose()


def test_indicator_import_honours_the_upload_limit_and_names_bad_lines(
        settings: Settings, make_user: MakeUser) -> None:
    username, _ = make_user("analyst")
    app = create_app(settings.model_copy(update={"upload_max_bytes": 4096}))
    header = b"crime_area,country,year,kind,value,unit,source,reliability,credibility\n"
    with TestClient(app, base_url="https://testserver") as client:
        token = login(client, username)
        big = client.post("/api/v1/coherence/indicators/import", headers={"X-CSRF-Token": token},
                          files={"file": ("i.csv", header + b"x" * 10_000, "text/csv")})
        assert big.status_code == 413, big.text
        assert "larger than the limit of 4,096 bytes" in big.json()["detail"]
        bad = client.post("/api/v1/coherence/indicators/import", headers={"X-CSRF-Token": token},
                          files={"file": ("i.csv", header + b"trafficking,AT,2020,\xff\n",
                                          "text/csv")})
        assert bad.status_code == 422, bad.text
        assert bad.json()["problems"][0]["location"] == "i.csv: line 2"
        lone_cr = client.post("/api/v1/coherence/indicators/import",
                              headers={"X-CSRF-Token": token},
                              files={"file": ("i.csv", header + b"a,b\rc,d\n", "text/csv")})
        assert lone_cr.status_code == 422, lone_cr.text
        assert "line" in lone_cr.json()["problems"][0]["location"]
    app.state.db.engine.dispose()

"""A textarea's line breaks, sent by a browser as CRLF, are held as LF by every form."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.types import Message

from tests.factories import login
from tests.web.aio import run_async
from tocsin.store.database import Database
from tocsin.taskforce.lessons.tables import AfterActionReview
from tocsin.web.app import ROUTERS
from tocsin.web.deps import FormRequest, FormRoute

SENT = "First line\r\nsecond line\r\n\r\nafter a blank line\rafter a lone CR"
HELD = "First line\nsecond line\n\nafter a blank line\nafter a lone CR"


def test_a_case_form_holds_its_summary_with_lf(
        client: TestClient, make_user: Callable[..., tuple[str, str]]) -> None:
    # the cases pages read the form with ``await request.form()`` in their own dependency
    analyst, _ = make_user("analyst")
    token = login(client, analyst)
    made = client.post("/cases", follow_redirects=False, data={
        "csrf_token": token, "reference": "CRLF-1", "title": "Fictional case",
        "summary": SENT, "handling": "AMBER"})
    assert made.status_code == 303, made.text
    case_id = int(made.headers["location"].rsplit("/", 1)[1])
    assert client.get(f"/api/v1/cases/{case_id}").json()["summary"] == HELD
    # an edit, as a browser sends the page's form back unchanged, changes nothing
    client.post(f"/cases/{case_id}/edit", follow_redirects=False, data={
        "csrf_token": token, "reference": "CRLF-1", "title": "Fictional case",
        "summary": HELD.replace("\n", "\r\n"), "handling": "AMBER"})
    assert client.get(f"/api/v1/cases/{case_id}").json()["summary"] == HELD


def test_a_lesson_form_holds_its_texts_with_lf(
        client: TestClient, platform_db: Database,
        make_user: Callable[..., tuple[str, str]]) -> None:
    # the lessons pages read the form through FastAPI's ``Form()`` parameters
    analyst, _ = make_user("analyst")
    token = login(client, analyst)
    posted = client.post("/lessons/new", follow_redirects=False, data={
        "csrf_token": token, "title": "Asset tracing workshop", "planned": "Train 20",
        "happened": SENT, "why_different": "Late\r\ninvitations", "next_time": "Invite early",
        "outcome": "partly", "crime_areas": "money_laundering", "stages": "investigation",
        "countries": "AL", "handling": "GREEN"})
    assert posted.status_code == 303, posted.text
    with platform_db.transaction() as session:
        review = session.scalars(select(AfterActionReview)).one()
        assert (review.happened, review.why_different) == (HELD, "Late\ninvitations")
    lesson = client.get(posted.headers["location"].replace("/lessons/", "/api/v1/lessons/"))
    assert "\r" not in lesson.json()["observation"]


def test_every_router_reads_its_forms_through_the_one_parse() -> None:
    # a router made without it would store the CR of every textarea line break again
    for name in ROUTERS:
        module = importlib.import_module(f"tocsin.web.routers.{name}")
        for router in (getattr(module, "pages", None), getattr(module, "api", None)):
            if router is not None:
                assert router.route_class is FormRoute, name
                assert all(isinstance(r, FormRoute) for r in router.routes
                           if isinstance(r, APIRoute)), name


def test_a_multipart_form_keeps_its_files_as_sent() -> None:
    # an uploaded file is data (a CSV with CRLF rows, a signed document): only text fields
    # are read again
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n"
            f"{SENT}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"rows.csv\"\r\nContent-Type: text/csv\r\n\r\n"
            f"a,b\r\n1,2\r\n\r\n--{boundary}--\r\n").encode()
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def read() -> tuple[str, bytes, bool]:
        request = FormRequest({"type": "http", "method": "POST", "path": "/", "headers": [
            (b"content-type", f"multipart/form-data; boundary={boundary}".encode())]}, receive)
        form = await request.form()
        upload = form["file"]
        assert not isinstance(upload, str)
        try:
            # one parse, shared by the route and its checks
            return str(form["description"]), await upload.read(), await request.form() is form
        finally:
            await form.close()

    description, content, cached = run_async(read)
    assert description == HELD and content == b"a,b\r\n1,2\r\n" and cached

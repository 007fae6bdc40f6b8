"""The trace and timeline pages opened without an account say what to do: they showed an
empty chart and empty tables under the form, and nothing else. The list of background
jobs names each job's set as the list of sets does (it said "set 1")."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import MakeUser, login
from tests.money.web.jobs import API, wait_for_job

TRACE_START = "Name the accounts or payments to start from and press Trace"
TIMELINE_START = "Name an account and press Show"


def test_the_trace_and_the_timeline_say_how_to_start(client: TestClient, make_user: MakeUser,
                                                     demo_set: int) -> None:
    username, _ = make_user("analyst")
    login(client, username)
    base = f"/investigations/sets/{demo_set}"
    assert TRACE_START in client.get(f"{base}/trace").text
    assert TIMELINE_START in client.get(f"{base}/timeline").text
    # with a start given, the page's script traces at once: no instruction in its way
    assert TRACE_START not in client.get(f"{base}/trace?account=ACC00000001").text
    assert TRACE_START not in client.get(f"{base}/trace?transaction=T000000001").text
    assert TIMELINE_START not in client.get(f"{base}/timeline?account=ACC00000001").text
    french = client.get(f"{base}/trace", headers={"Accept-Language": "fr"}).text
    assert TRACE_START not in french and "Tracer" in french


def test_the_jobs_name_their_set(client: TestClient, make_user: MakeUser,
                                 demo_set: int) -> None:
    token = login(client, make_user("analyst")[0])
    started = client.post(f"{API}/sets/{demo_set}/detect", headers={"X-CSRF-Token": token},
                          json={"background": True})
    assert started.status_code == 202, started.text
    assert wait_for_job(client, started.json()["job"])["state"] == "done"
    jobs = client.get("/investigations").text.split('id="job-list"')[1]
    assert (f'<a href="/investigations/sets/{demo_set}">Fictional case \u2014 Operation '
            "Tidewater</a>") in jobs
    assert f">set {demo_set}<" not in jobs

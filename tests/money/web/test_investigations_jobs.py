"""Money jobs through the web application as ``create_app`` builds it: the runner lives
with the application, jobs are rows, results stay with their set, a job cut off by a
restart can run again from the API and from the page. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, select, update

from tests.factories import MakeUser, login
from tests.money.web.jobs import wait_for_job
from tests.money.web.ranked import assert_ranked
from tocsin.access.principal import Principal
from tocsin.jobs import runner as jobs
from tocsin.jobs.tables import Job
from tocsin.money import sets
from tocsin.money.tables import TransactionSet
from tocsin.settings import Settings
from tocsin.store.database import Database

API = "/api/v1/investigations"



def _detect_job(client: TestClient, token: str, set_id: int) -> dict[str, Any]:
    response = client.post(f"{API}/sets/{set_id}/detect", headers={"X-CSRF-Token": token},
                           json={"detectors": ["cycle"], "background": True})
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()["job"]
    return job


def test_a_background_detection_is_a_row_and_its_result_stays_with_the_set(
        client: TestClient, make_user: MakeUser, demo_set: int, platform_db: Database,
        settings: Settings) -> None:
    token = login(client, make_user("analyst", unit="tntd-spmu")[0])
    done = wait_for_job(client, _detect_job(client, token, demo_set))
    assert done["state"] == "done", done
    assert done["result"]["stored"] is True and done["result"]["findings"]
    assert_ranked(done["result"])  # ranked as on the command line
    assert client.get(f"{API}/sets/{demo_set}/findings").json()["findings"] == \
        done["result"]["findings"]
    with platform_db.transaction() as session:
        row = session.get(Job, done["id"])
        assert row is not None and row.subject_id == demo_set and row.result is None
        assert row.result_ref is not None
        key = session.get(TransactionSet, demo_set).storage_key  # type: ignore[union-attr]
    assert row.result_ref.startswith(f"money/{key}/results/")
    assert (settings.data_dir / row.result_ref).is_file()
    assert not (settings.data_dir / "jobs").exists()  # no JSON mirror any more
    listed = client.get(f"{API}/jobs").json()
    assert [(j["id"], j["result"]) for j in listed] == [(done["id"], None)]


def test_other_users_are_told_a_job_does_not_exist(client: TestClient, make_user: MakeUser,
                                                   demo_set: int) -> None:
    analyst = make_user("analyst", unit="tntd-spmu")[0]
    other = make_user("analyst", unit="tntd-spmu", username="other-analyst")[0]
    admin = make_user("administrator", unit="tntd-spmu")[0]
    token = login(client, analyst)
    job = wait_for_job(client, _detect_job(client, token, demo_set))
    login(client, other)
    assert client.get(f"{API}/jobs/{job['id']}").status_code == 404
    assert client.get(f"{API}/jobs").json() == []
    assert client.post(f"{API}/jobs/{job['id']}/run-again",
                       headers={"X-CSRF-Token": login(client, other)}).status_code == 404
    login(client, admin)
    assert client.get(f"{API}/jobs/{job['id']}").json()["state"] == "done"
    assert client.get(f"{API}/jobs").json() == []
    assert [j["id"] for j in client.get(f"{API}/jobs?everyone=true").json()] == [job["id"]]


def test_a_reader_who_may_not_change_the_set_gets_a_preview(
        client: TestClient, make_user: MakeUser, demo_set: int) -> None:
    # A fund manager reads AMBER sets but may not write for any unit.
    token = login(client, make_user("fund_manager", unit="tntd-spmu")[0])
    done = wait_for_job(client, _detect_job(client, token, demo_set))
    assert done["state"] == "done" and done["result"]["stored"] is False
    assert done["result"]["findings"]
    assert client.get(f"{API}/sets/{demo_set}/findings").json()["findings"] is None
    direct = client.post(f"{API}/sets/{demo_set}/detect", headers={"X-CSRF-Token": token},
                         json={"detectors": ["cycle"], "background": False})
    assert direct.status_code == 200 and direct.json()["stored"] is False
    assert client.get(f"{API}/sets/{demo_set}/findings").json()["findings"] is None


def test_an_interrupted_job_runs_again_from_the_api_and_the_page(
        client: TestClient, make_user: MakeUser, demo_set: int,
        platform_db: Database) -> None:
    token = login(client, make_user("analyst", unit="tntd-spmu")[0])
    first = wait_for_job(client, _detect_job(client, token, demo_set))
    # Pretend the server running it died half way.
    with platform_db.transaction() as session:
        session.execute(update(Job).where(Job.id == first["id"]).values(
            status="interrupted", error="Interrupted: the server process running it stopped "
            "before it finished; run it again."))
    page = client.get("/investigations")
    assert 'id="job-list"' in page.text and "Run again" in page.text
    assert "stopped before it finished" in page.text
    again = client.post(f"{API}/jobs/{first['id']}/run-again",
                        headers={"X-CSRF-Token": token})
    assert again.status_code == 202, again.text
    assert again.json()["job"]["rerun_of"] == first["id"]
    assert wait_for_job(client, again.json()["job"])["state"] == "done"
    # The page's button: a form post with the CSRF field, then back to the list.
    with platform_db.transaction() as session:
        session.execute(update(Job).where(Job.id == first["id"]).values(status="failed"))
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/investigations").text)
    assert csrf
    posted = client.post(f"/investigations/jobs/{first['id']}/run-again",
                         data={"csrf_token": csrf.group(1)}, follow_redirects=False)
    assert posted.status_code == 303 and posted.headers["location"] == "/investigations#jobs"
    reruns = [j for j in client.get(f"{API}/jobs").json() if j["rerun_of"] == first["id"]]
    assert len(reruns) == 2
    done_job = client.post(f"{API}/jobs/{reruns[0]['id']}/run-again",
                           headers={"X-CSRF-Token": token})
    assert done_job.status_code == 422 and "only a failed or interrupted" in done_job.text


def test_deleting_the_set_removes_its_jobs_and_results(
        client: TestClient, make_user: MakeUser, demo_set: int, platform_db: Database,
        settings: Settings) -> None:
    token = login(client, make_user("analyst", unit="tntd-spmu")[0])
    done = wait_for_job(client, _detect_job(client, token, demo_set))
    with platform_db.transaction() as session:
        row = session.get(Job, done["id"])
        assert row is not None and row.result_ref
        result = settings.data_dir / row.result_ref
        sets.delete_set(session, Principal.system(), settings, demo_set)
    assert not result.exists()
    with platform_db.transaction() as session:
        assert session.scalars(select(Job)).all() == []
        assert sets.orphaned_folders(session, settings) == []
    assert client.get(f"{API}/jobs/{done['id']}").status_code == 404


def test_the_runner_stops_with_the_application_and_marks_what_it_cut_off(
        settings: Settings, platform_db: Database, make_user: MakeUser,
        demo_set: int) -> None:
    from tocsin.web.app import create_app

    analyst = make_user("analyst", unit="tntd-spmu")[0]
    app = create_app(settings)
    with TestClient(app, base_url="https://testserver") as client:
        assert isinstance(app.state.jobs, jobs.JobRunner)
        token = login(client, analyst)
        # Stop this process's runner so that the job is still queued when the app ends.
        app.state.jobs.stop(grace=0)
        job = _detect_job(client, token, demo_set)
        assert job["state"] == "queued"
    # Queued jobs survive the process: the next application runs them.
    second = create_app(settings)
    with TestClient(second, base_url="https://testserver") as client:
        login(client, analyst)
        assert wait_for_job(client, job)["state"] == "done"
    app.state.db.engine.dispose()
    second.state.db.engine.dispose()


def test_no_job_database_work_on_the_event_loop(client: TestClient, make_user: MakeUser,
                                                demo_set: int, platform_db: Database,
                                                tmp_path: Path) -> None:
    """Every statement touching the jobs table runs in a thread, never on the event loop."""
    from tocsin.money.demo import case_files
    from tocsin.money.synthetic import SyntheticConfig

    engine = client.app.state.db.engine  # type: ignore[attr-defined]
    on_loop: list[str] = []

    def check(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "jobs" not in statement:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        on_loop.append(statement.split()[0])

    event.listen(engine, "before_cursor_execute", check)
    try:
        token = login(client, make_user("analyst", unit="tntd-spmu")[0])
        data, mapping = (p.read_bytes() for p in case_files(
            tmp_path, SyntheticConfig(accounts=300, transactions=400, patterns=1, seed=3)))
        upload = client.post(f"{API}/sets", headers={"X-CSRF-Token": token},
                             files={"file": ("e.csv", data, "text/csv"),
                                    "mapping": ("m.yaml", mapping, "application/yaml")},
                             data={"format": "csv", "name": "Loop", "handling": "GREEN",
                                   "unit": "tntd-spmu"})
        assert upload.status_code == 202, upload.text
        assert wait_for_job(client, upload.json()["job"])["state"] == "done"
        wait_for_job(client, _detect_job(client, token, demo_set))
        client.get("/investigations")
    finally:
        event.remove(engine, "before_cursor_execute", check)
    assert on_loop == []


def test_a_failed_import_names_the_file_as_the_user_knows_it(
        client: TestClient, make_user: MakeUser, settings: Settings, tmp_path: Path) -> None:
    from tocsin.money.demo import case_files
    from tocsin.money.synthetic import SyntheticConfig

    token = login(client, make_user("analyst", unit="tntd-spmu")[0])
    data, mapping = case_files(tmp_path, SyntheticConfig(accounts=300, transactions=400,
                                                         patterns=1, seed=3))
    lines = data.read_text().splitlines()
    cells = lines[1].split(",")
    cells[2] = "twelve"  # the Amount column
    bad = "\n".join([lines[0], ",".join(cells), *lines[2:]]).encode()
    response = client.post(f"{API}/sets", headers={"X-CSRF-Token": token},
                           files={"file": ("bank-export.csv", bad, "text/csv"),
                                  "mapping": ("columns.yaml", mapping.read_bytes(),
                                              "application/yaml")},
                           data={"format": "csv", "name": "Broken", "handling": "GREEN",
                                 "unit": "tntd-spmu"})
    assert response.status_code == 202, response.text
    failed = wait_for_job(client, response.json()["job"])
    assert failed["state"] == "failed" and failed["can_run_again"]
    text = json.dumps(failed)
    assert "bank-export.csv" in text, text
    assert str(settings.data_dir) not in text and "upload-" not in text
    assert not any((settings.data_dir / "uploads").iterdir())  # the upload is gone


def test_a_file_in_a_currency_the_shipped_rates_lack_imports_with_rates_uploaded_beside_it(
        client: TestClient, make_user: MakeUser, settings: Settings) -> None:
    """A Sri Lankan bank's goAML CTR is in rupees (LKR), which the indicative table shipped
    with Tocsin does not hold: refused, naming the currency; with the case's rates uploaded
    beside it on the same form, imported, and the rate table goes with the upload."""
    token = login(client, make_user("analyst", unit="tntd-spmu")[0])
    report = (Path(__file__).parents[2] / "fixtures" / "money" / "goaml"
              / "ctr_core_banking.xml").read_bytes()
    form = {"format": "goaml", "name": "CTR, October", "handling": "AMBER",
            "unit": "tntd-spmu"}
    refused = client.post(f"{API}/sets", headers={"X-CSRF-Token": token}, data=form,
                          files={"file": ("CTR 23 to 24 OCT.xml", report, "text/xml")})
    failed = wait_for_job(client, refused.json()["job"])
    assert failed["state"] == "failed"
    assert "no exchange rate for LKR into EUR" in json.dumps(failed)
    rates = b"currency,rate\nLKR,0.0031\n"
    imported = client.post(f"{API}/sets", headers={"X-CSRF-Token": token}, data=form,
                           files={"file": ("CTR 23 to 24 OCT.xml", report, "text/xml"),
                                  "rates": ("october-rates.csv", rates, "text/csv")})
    assert imported.status_code == 202, imported.text
    done = wait_for_job(client, imported.json()["job"])
    assert done["state"] == "done", done
    assert done["result"]["transactions"] > 0
    assert not any((settings.data_dir / "uploads").iterdir())  # the upload and its rates
    # a rate table that does not read is refused by its own name, not the server's copy
    bad = client.post(f"{API}/sets", headers={"X-CSRF-Token": token}, data=form,
                      files={"file": ("CTR 23 to 24 OCT.xml", report, "text/xml"),
                             "rates": ("october-rates.csv", b"code,value\nLKR,x\n", "text/csv")})
    failed = wait_for_job(client, bad.json()["job"])
    text = json.dumps(failed)
    assert failed["state"] == "failed" and "october-rates.csv:1" in text, text
    assert "the header needs columns currency,rate" in text
    assert str(settings.data_dir) not in text

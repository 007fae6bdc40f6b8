"""``tocsin serve --workers 2`` as real processes: both share one job list and every
queued job runs in exactly one of them. Runs against SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.factories import MakeUser, free_port, login
from tocsin.jobs.tables import Job
from tocsin.money.demo import case_files
from tocsin.money.synthetic import SyntheticConfig
from tocsin.money.tables import TransactionSet
from tocsin.settings import Settings
from tocsin.store.database import Database

ROOT = Path(__file__).resolve().parents[2]
API = "/api/v1/investigations"
TINY = SyntheticConfig(accounts=300, transactions=400, patterns=1, seed=11)
UPLOADS = 6


def _children(pid: int) -> set[int]:
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


@pytest.fixture
def served(settings: Settings, platform_db: Database) -> Iterator[tuple[str, int]]:
    """The platform served by ``tocsin serve --workers 2`` in its own process group."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOCSIN_DATABASE_URL": settings.database_url
           or "", "TOCSIN_DATA_DIR": str(settings.data_dir), "TOCSIN_SECRET_KEY": "s" * 40,
           "TOCSIN_COOKIE_SECURE": "false", "TOCSIN_DEMO": "false"}
    log = settings.data_dir.parent / "serve.log"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-c", "from tocsin.cli.main import main; main()", "serve",
             "--workers", "2", "--port", str(port)],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start:\n" + log.read_text()
            time.sleep(0.3)
        yield url, server.pid
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def _wait(client: httpx.Client, job: dict[str, Any], timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while job["state"] not in ("done", "failed", "interrupted"):
        assert time.monotonic() < deadline, f"job still {job['state']}"
        time.sleep(0.2)
        job = client.get(f"{API}/jobs/{job['id']}").json()
    return job


def test_two_server_processes_share_the_jobs_and_run_each_once(
        served: tuple[str, int], make_user: MakeUser, platform_db: Database,
        tmp_path: Path) -> None:
    url, pid = served
    analyst = make_user("analyst", unit="tntd-spmu")[0]
    data, mapping = (p.read_bytes() for p in case_files(tmp_path, TINY))
    with httpx.Client(base_url=url, timeout=30) as client:
        token = login(client, analyst)  # type: ignore[arg-type]
        started = []
        for i in range(UPLOADS):
            response = client.post(
                f"{API}/sets", headers={"X-CSRF-Token": token},
                files={"file": ("export.csv", data, "text/csv"),
                       "mapping": ("mapping.yaml", mapping, "application/yaml")},
                data={"format": "csv", "name": f"Case {i}", "handling": "AMBER",
                      "unit": "tntd-spmu"})
            assert response.status_code == 202, response.text
            started.append(response.json()["job"])
        done = [_wait(client, job) for job in started]
        assert [j["state"] for j in done] == ["done"] * UPLOADS, done
        # Every request may land on either process: each sees the same list.
        lists = {tuple(j["id"] for j in client.get(f"{API}/jobs").json()) for _ in range(10)}
        assert len(lists) == 1 and set(next(iter(lists))) == {j["id"] for j in started}
    workers = _children(pid)
    assert len(workers) >= 2, workers  # uvicorn's two worker processes
    with platform_db.transaction() as session:
        names = sorted(session.scalars(select(TransactionSet.name)))
        ran_in = {str(w).split(":")[1] for w in session.scalars(select(Job.worker))}
    assert names == sorted(f"Case {i}" for i in range(UPLOADS))  # each import ran once
    assert ran_in <= {str(p) for p in workers}, (ran_in, workers)

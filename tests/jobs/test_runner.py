"""Background jobs as rows: progress, failures, ownership, two runners on one database,
interruption by a dead process and running again. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from tocsin.access import users
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.access.tables import Unit, User
from tocsin.errors import InputError, NotFound, Problem
from tocsin.jobs import runner as jobs
from tocsin.jobs.runner import JobContext, JobRunner, Outcome
from tocsin.jobs.tables import Job
from tocsin.settings import Settings
from tocsin.store.database import Database


@pytest.fixture
def people(db: Database) -> dict[str, Principal]:
    """Two analysts and an administrator of one unit (they never sign in)."""
    with db.transaction() as session:
        unit = Unit(code="unit-a", name="Unit A")
        session.add(unit)
        session.flush()
        made = {}
        for name, role in (("alice", Role.ANALYST), ("bob", Role.ANALYST),
                           ("root", Role.ADMINISTRATOR)):
            user = User(username=name, password_hash="-", role=role.value, unit_id=unit.id)
            session.add(user)
            session.flush()
            made[name] = users.principal_for(user)
    return made


class Gate:
    """Handlers that block until released, so a test can look at a running job."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()

    def handler(self, ctx: JobContext) -> Outcome:
        ctx.progress(0.5, "half way")
        self.started.set()
        assert self.release.wait(20), "the test never released the job"
        return Outcome(result={"answer": 42, "by": ctx.principal.username})


def _runner(db: Database, settings: Settings, handlers: dict[str, Any],
            **options: Any) -> JobRunner:
    return JobRunner(db, settings, handlers, **({"poll": 0.05, "heartbeat": 0.2,
                                                 "stale_after": 1.0} | options))


@pytest.fixture
def started(db: Database, settings: Settings) -> Iterator[list[JobRunner]]:
    """Runners a test starts; all stopped at the end."""
    made: list[JobRunner] = []
    yield made
    for item in made:
        item.stop(grace=0)


def _submit(db: Database, who: Principal, kind: str, params: dict[str, Any] | None = None,
            files: list[str] | None = None) -> str:
    with db.transaction() as session:
        return jobs.submit(session, who, kind, params or {}, {"name": kind},
                           files=files or []).id


def _row(db: Database, job_id: str) -> Job:
    with db.transaction() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def _wait_for(check: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_progress_then_result(db: Database, settings: Settings, people: dict[str, Principal],
                              started: list[JobRunner]) -> None:
    gate = Gate()
    started.append(_runner(db, settings, {"gate": gate.handler}).start())
    job_id = _submit(db, people["alice"], "gate")
    assert gate.started.wait(20)
    _wait_for(lambda: _row(db, job_id).message == "half way")
    running = _row(db, job_id)
    assert (running.status, running.progress) == ("running", 0.5)
    gate.release.set()
    done = jobs.wait(db, job_id, timeout=20)
    assert (done.status, done.progress) == ("done", 1.0)
    assert done.result == {"answer": 42, "by": "alice"}  # ran with the owner's rights
    shown = jobs.view(done)
    assert shown["subject"] == {"name": "gate"} and shown["state"] == "done"
    assert not {"params", "worker", "owner_id"} & set(shown)


def test_input_errors_become_problems_without_server_paths(
        db: Database, settings: Settings, people: dict[str, Principal],
        started: list[JobRunner]) -> None:
    upload = settings.data_dir / "uploads" / "upload-x" / "upload.csv"

    def bad(ctx: JobContext) -> None:
        raise InputError([Problem(f"{upload}:3", "amount is not a number")])

    def broken(ctx: JobContext) -> None:
        raise RuntimeError(f"{settings.data_dir}/secret exploded")

    started.append(_runner(db, settings, {"bad": bad, "broken": broken}).start())
    failed = jobs.wait(db, _submit(db, people["alice"], "bad"), timeout=20)
    assert failed.status == "failed"
    assert failed.problems == [{"location": "upload.csv:3", "reason": "amount is not a number"}]
    crashed = jobs.wait(db, _submit(db, people["alice"], "broken"), timeout=20)
    assert crashed.status == "failed" and crashed.error is not None
    assert "RuntimeError" in crashed.error and str(settings.data_dir) not in crashed.error


def test_only_the_owner_and_administrators_see_a_job(db: Database, settings: Settings,
                                                     people: dict[str, Principal]) -> None:
    job_id = _submit(db, people["alice"], "anything")
    with db.transaction() as session:
        assert jobs.get(session, people["alice"], job_id).owner == "alice"
        assert jobs.get(session, people["root"], job_id).id == job_id
        with pytest.raises(NotFound, match="not found"):
            jobs.get(session, people["bob"], job_id)
        with pytest.raises(NotFound):
            jobs.get(session, people["alice"], "f" * 24)
        assert [j.id for j in jobs.list_jobs(session, people["alice"])] == [job_id]
        assert jobs.list_jobs(session, people["bob"]) == []
        assert jobs.list_jobs(session, people["root"]) == []  # their own, by default
        assert [j.id for j in jobs.list_jobs(session, people["root"], everyone=True)] == \
            [job_id]
        assert jobs.list_jobs(session, people["bob"], everyone=True) == []


def test_two_runners_run_every_job_exactly_once(db: Database, settings: Settings,
                                                people: dict[str, Principal],
                                                started: list[JobRunner]) -> None:
    runs: Counter[str] = Counter()
    lock = threading.Lock()
    # The first four jobs wait for each other: one runner has two threads, so both runners
    # must be running jobs at the same time.
    together = threading.Barrier(4, timeout=30)

    def count(ctx: JobContext) -> str:
        with lock:
            runs[ctx.job_id] += 1
            first = sum(runs.values()) <= 4
        if first:
            together.wait()
        time.sleep(0.02)
        return ctx.job_id

    ids = [_submit(db, people["alice"], "count") for _ in range(24)]
    first = _runner(db, settings, {"count": count})
    second = _runner(db, settings, {"count": count})
    started.extend([first.start(), second.start()])
    for job_id in ids:
        assert jobs.wait(db, job_id, timeout=60).status == "done"
    assert runs == Counter({job_id: 1 for job_id in ids})
    with db.transaction() as session:
        workers = Counter(session.scalars(select(Job.worker).where(Job.id.in_(ids))))
    assert set(workers) == {first.worker, second.worker}, workers


def test_concurrent_claims_never_take_a_job_twice(db: Database, settings: Settings,
                                                  people: dict[str, Principal]) -> None:
    ids = {_submit(db, people["alice"], "count") for _ in range(30)}
    claimants = [_runner(db, settings, {"count": lambda ctx: None}) for _ in range(2)]
    taken: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def claim_all(runner: JobRunner) -> None:
        barrier.wait()
        while (claimed := runner.claim()) is not None:
            with lock:
                taken.append(claimed[0])

    threads = [threading.Thread(target=claim_all, args=(claimants[i % 2],)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(taken) == sorted(ids)  # every job claimed, none twice
    with db.transaction() as session:
        assert set(session.scalars(select(Job.status))) == {"running"}


def test_a_job_of_a_dead_process_is_interrupted_and_runs_again(
        db: Database, settings: Settings, people: dict[str, Principal],
        started: list[JobRunner]) -> None:
    upload = settings.data_dir / "uploads" / "upload-1"
    upload.mkdir(parents=True)
    (upload / "upload.csv").write_text("a,b\n")
    job_id = _submit(db, people["alice"], "gate", {"n": 1}, files=["uploads/upload-1"])
    # The process that claimed it died: same machine, a process id that is gone.
    dead = f"{socket.gethostname()}:{2**22 + 12345}:dead"
    with db.transaction() as session:
        session.execute(update(Job).where(Job.id == job_id).values(
            status="running", worker=dead, started_at=datetime.now(UTC),
            heartbeat_at=datetime.now(UTC)))
    gate = Gate()
    gate.release.set()
    restarted = _runner(db, settings, {"gate": gate.handler})
    started.append(restarted.start())
    cut = _row(db, job_id)
    assert cut.status == "interrupted"
    assert cut.error is not None and "stopped before it finished" in cut.error
    assert jobs.view(cut)["can_run_again"]
    assert upload.is_dir()  # kept for running again
    with db.transaction() as session:
        with pytest.raises(NotFound):
            jobs.run_again(session, people["bob"], job_id)
        again = jobs.run_again(session, people["alice"], job_id).id
    done = jobs.wait(db, again, timeout=20)
    assert done.status == "done" and done.rerun_of == job_id
    assert done.result == {"answer": 42, "by": "alice"}
    # the new job owned the upload and used it up (removed just after its end is committed)
    deadline = time.monotonic() + 10
    while upload.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not upload.exists()
    with db.transaction() as session, pytest.raises(InputError, match="only a failed or "
                                                                  "interrupted job"):
        jobs.run_again(session, people["alice"], again)


def test_only_stale_jobs_of_other_machines_are_interrupted(
        db: Database, settings: Settings, people: dict[str, Principal]) -> None:
    fresh, stale = (_submit(db, people["alice"], "x") for _ in range(2))
    now = datetime.now(UTC)
    with db.transaction() as session:
        for job_id, beat in ((fresh, now), (stale, now - timedelta(seconds=30))):
            session.execute(update(Job).where(Job.id == job_id).values(
                status="running", worker="elsewhere:42:abcd", heartbeat_at=beat))
    assert _runner(db, settings, {}).recover() == 1
    assert (_row(db, fresh).status, _row(db, stale).status) == ("running", "interrupted")
    assert "stopped answering" in (_row(db, stale).error or "")


def test_stopping_interrupts_what_is_still_running(db: Database, settings: Settings,
                                                   people: dict[str, Principal]) -> None:
    gate = Gate()
    runner = _runner(db, settings, {"gate": gate.handler}).start()
    job_id = _submit(db, people["alice"], "gate")
    assert gate.started.wait(20)
    runner.stop(grace=0.1)
    cut = _row(db, job_id)
    assert cut.status == "interrupted" and "server stopped" in (cut.error or "")
    # The work ends later: it must not overwrite the interruption.
    gate.release.set()
    time.sleep(0.3)
    assert _row(db, job_id).status == "interrupted"


def test_a_result_file_outlives_nothing(db: Database, settings: Settings,
                                        people: dict[str, Principal],
                                        started: list[JobRunner]) -> None:
    """Results go with their job: pruned jobs take their files along."""

    def write(ctx: JobContext) -> Outcome:
        path = ctx.settings.data_dir / "results" / f"{ctx.job_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
        return Outcome(result_ref=f"results/{ctx.job_id}.json")

    started.append(_runner(db, settings, {"write": write}).start())
    job_id = _submit(db, people["alice"], "write")
    done = jobs.wait(db, job_id, timeout=20)
    path = settings.data_dir / str(done.result_ref)
    assert path.is_file()
    with db.transaction() as session:
        assert jobs.referenced_files(session) == {f"results/{job_id}.json"}
        assert jobs.prune(session, settings) == 0  # not old yet
    with db.transaction() as session:
        assert jobs.prune(session, settings, older_than=timedelta(0)) == 1
    assert not path.exists()
    with pytest.raises(ValueError):
        jobs.resolve(settings, "../outside")


def test_an_owner_who_can_no_longer_sign_in_stops_the_job(
        db: Database, settings: Settings, people: dict[str, Principal],
        started: list[JobRunner]) -> None:
    with db.transaction() as session:
        session.execute(update(User).where(User.username == "alice").values(active=False))
    started.append(_runner(db, settings, {"x": lambda ctx: 1}).start())
    failed = jobs.wait(db, _submit(db, people["alice"], "x"), timeout=20)
    assert failed.status == "failed" and "can no longer sign in" in (failed.error or "")


def test_the_inline_result_stays_small(db: Database, settings: Settings,
                                       people: dict[str, Principal],
                                       started: list[JobRunner]) -> None:
    started.append(_runner(db, settings, {"big": lambda ctx: "x" * 100_000}).start())
    failed = jobs.wait(db, _submit(db, people["alice"], "big"), timeout=20)
    assert failed.status == "failed" and "ValueError" in (failed.error or "")


def test_files_outside_the_data_folder_are_never_touched(tmp_path: Path,
                                                         settings: Settings) -> None:
    outside = tmp_path / "keep.txt"
    outside.write_text("x")
    with pytest.raises(ValueError):
        jobs.resolve(settings, str(outside))
    with pytest.raises(ValueError):
        jobs.resolve(settings, ".")
    assert outside.exists()


HOLDER = """
import sys, threading
from tocsin.jobs.runner import JobRunner
from tocsin.settings import Settings
from tocsin.store.database import Database

settings = Settings(data_dir=sys.argv[2], database_url=sys.argv[1], secret_key="h" * 40)
claimed = threading.Event()

def hold(ctx):
    claimed.set()
    threading.Event().wait()  # never finishes: the process is killed first

JobRunner(Database.from_settings(settings), settings, {"hold": hold}, poll=0.05).start()
claimed.wait(60)
print("claimed", flush=True)
threading.Event().wait()
"""


def test_a_killed_process_leaves_an_interrupted_job_that_runs_again(
        db: Database, settings: Settings, people: dict[str, Principal],
        started: list[JobRunner]) -> None:
    """A real process claims the job and dies with SIGKILL; the next runner sees it at once."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    job_id = _submit(db, people["alice"], "hold")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(settings.database_url), str(settings.data_dir)],
        cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "claimed"
        assert _row(db, job_id).status == "running"
    finally:
        holder.kill()
        holder.wait(30)
    restarted = _runner(db, settings, {"hold": lambda ctx: "ran again"}, stale_after=600.0)
    started.append(restarted.start())
    cut = _row(db, job_id)
    assert cut.status == "interrupted" and "stopped before it finished" in (cut.error or "")
    with db.transaction() as session:
        again = jobs.run_again(session, people["alice"], job_id).id
    restarted.wake()
    assert jobs.wait(db, again, timeout=20).result == "ran again"


def test_a_job_whose_end_could_not_be_written_is_not_left_running(
        db: Database, settings: Settings, people: dict[str, Principal],
        started: list[JobRunner]) -> None:
    ran = threading.Event()

    def handler(ctx: Any) -> int:
        ran.set()
        return 1

    runner = _runner(db, settings, {"x": handler}, stale_after=600.0)
    real = runner._update

    def flaky(job_id: str, **values: Any) -> bool:
        if values.get("status") == "done":
            raise OSError("the database went away")
        return real(job_id, **values)

    runner._update = flaky  # type: ignore[method-assign]
    started.append(runner.start())
    job_id = _submit(db, people["alice"], "x")
    # after the handler ran: between its claim and its thread's start a job is running
    # with no thread counted yet, and recover() rightly leaves it to the runner
    _wait_for(lambda: ran.is_set() and runner.active == 0
              and _row(db, job_id).status == "running")
    assert runner.recover() == 1
    cut = _row(db, job_id)
    assert cut.status == "interrupted" and "could not be recorded" in (cut.error or "")

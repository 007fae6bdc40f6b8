"""Background jobs: progress, results, failures, ownership, restart."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.errors import InputError, NotFound, Problem
from tocsin.money.jobs import JobRunner, ProgressFn

ALICE = Principal(user_id=1, username="alice", role=Role.ANALYST, unit_id=1)
BOB = Principal(user_id=2, username="bob", role=Role.ANALYST, unit_id=1)


@pytest.fixture
def runner(tmp_path: Path) -> JobRunner:
    jobs = JobRunner(tmp_path / "jobs", workers=1)
    yield jobs  # type: ignore[misc]
    jobs.shutdown()


def test_progress_then_result(runner: JobRunner) -> None:
    gate = threading.Event()
    seen: list[float] = []

    def work(progress: ProgressFn) -> dict[str, int]:
        progress(0.5, "half way")
        gate.wait(5)
        return {"answer": 42}

    job = runner.submit(ALICE, "detect", work, {"set": 3})
    for _ in range(200):
        current = runner.get(job.id, ALICE)
        seen.append(current.progress)
        if current.message == "half way":
            break
        threading.Event().wait(0.01)
    assert runner.get(job.id, ALICE).state == "running"
    assert runner.get(job.id, ALICE).progress == 0.5
    gate.set()
    done = runner.wait(job.id)
    assert (done.state, done.progress, done.result) == ("done", 1.0, {"answer": 42})
    assert done.view()["subject"] == {"set": 3} and "owner_id" not in done.view()


def test_input_errors_become_problems(runner: JobRunner) -> None:
    def work(progress: ProgressFn) -> None:
        raise InputError([Problem("file.csv:3", "amount is not a number")])

    job = runner.wait(runner.submit(ALICE, "ingest", work).id)
    assert job.state == "failed"
    assert job.problems == [{"location": "file.csv:3", "reason": "amount is not a number"}]


def test_unexpected_errors_do_not_leak_details(runner: JobRunner) -> None:
    def work(progress: ProgressFn) -> None:
        raise RuntimeError("/secret/path exploded")

    job = runner.wait(runner.submit(ALICE, "score", work).id)
    assert job.state == "failed" and job.error is not None
    assert "/secret/path" not in job.error and "RuntimeError" in job.error


def test_jobs_belong_to_their_owner(runner: JobRunner) -> None:
    job = runner.submit(ALICE, "trace", lambda progress: 1)
    runner.wait(job.id)
    with pytest.raises(NotFound):
        runner.get(job.id, BOB)
    with pytest.raises(NotFound):
        runner.get("not-a-job", ALICE)
    assert [j.id for j in runner.jobs(ALICE)] == [job.id]
    assert runner.jobs(BOB) == []


def test_results_survive_a_restart_and_cut_jobs_fail(tmp_path: Path) -> None:
    folder = tmp_path / "jobs"
    first = JobRunner(folder, workers=1)
    done = first.wait(first.submit(ALICE, "detect", lambda progress: [1, 2]).id)
    first.shutdown()
    # A job that was running when the process died.
    (folder / "cut.json").write_text(json.dumps(
        {"id": "cut", "kind": "ingest", "owner_id": 1, "owner": "alice", "state": "running"}))
    (folder / "broken.json").write_text("{not json")
    second = JobRunner(folder, workers=1)
    try:
        assert second.get(done.id, ALICE).result == [1, 2]
        cut = second.get("cut", ALICE)
        assert cut.state == "failed" and "restarted" in (cut.error or "")
        assert json.loads((folder / "cut.json").read_text())["state"] == "failed"
    finally:
        second.shutdown()

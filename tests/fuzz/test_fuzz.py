"""Every importer survives its committed corpus and a short coverage-guided run.

The short run (a few seconds per importer) catches regressions in CI; the long
run of docs/fuzzing.md is marked slow. Each kind of run fuzzes its targets one
after the other in one process that instruments the importers once (python -m
fuzz.run TARGET... --jobs 2), and each target still passes or fails on its own.
Importers that write are fuzzed through their check; a short run of their full,
writing import keeps that path fuzzed too (in the same process as the short run
of the checks: --and-write), and every committed input must get the same answer
from the check and from the import.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from fuzz.targets import TARGETS, expected_errors

ROOT = Path(__file__).resolve().parents[2]
SHORT_SECONDS = int(os.environ.get("TOCSIN_FUZZ_SECONDS", "5"))
LONG_SECONDS = int(os.environ.get("TOCSIN_FUZZ_LONG_SECONDS", "1800"))
#: Targets fuzzed side by side: one per core, two at most (the test process itself waits).
JOBS = min(2, len(os.sched_getaffinity(0)))


WRITING = sorted(name for name, target in TARGETS.items() if target.writes)


def _answer(feed: Callable[[bytes], None], data: bytes, where: str) -> str:
    """"accepted", or the input error the user would read."""
    try:
        feed(data)
    except expected_errors() as exc:
        assert str(exc).strip(), f"{where}: an input error without a message"
        return f"{type(exc).__name__}: {exc}"
    return "accepted"


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_the_committed_corpus_imports_or_is_refused_clearly(name: str) -> None:
    target = TARGETS[name]
    inputs = [(path.name, path.read_bytes()) for path in sorted(target.corpus.iterdir())]
    assert inputs, f"no seed inputs for {name}"
    inputs += [(f"fresh seed {n}", data) for n, data in enumerate(
        target.fresh() if target.fresh is not None else [])]
    answers = []
    for where, data in inputs:
        checked = _answer(target.run, data, where)
        answers.append(checked)
        if target.writes:
            written = _answer(target.write, data, where)
            assert checked == written, (
                f"{where}: the check answers {checked!r}, the import {written!r}")
    if target.writes:  # the seeds hold good files: the agreement is tested on both answers
        assert "accepted" in answers, f"{name}: no input is accepted"


def _selected(request: pytest.FixtureRequest, test: str) -> list[str]:
    """The targets of ``test`` that this session selected."""
    return sorted({str(item.callspec.params["name"]) for item in request.session.items
                   if isinstance(item, pytest.Function) and item.originalname == test})


def _fuzz_selected(request: pytest.FixtureRequest, test: str, seconds: int,
                   writing_test: str | None = None) -> Path:
    """Fuzz each target of ``test`` that this session selected, ``seconds`` each, then the
    full import of each target of ``writing_test``, in one run of python -m fuzz.run; the
    folder with the logs, the exit codes and the inputs kept (those of the full imports in
    its ``write`` folders)."""
    names = _selected(request, test)
    writing = _selected(request, writing_test) if writing_test else []
    folder = request.getfixturevalue("tmp_path_factory").mktemp(test)
    limit = -(-(len(names) + len(writing)) // JOBS) * (seconds + 180)
    with subprocess.Popen(
            [sys.executable, "-m", "fuzz.run", *names, "--seconds", str(seconds),
             "--new-corpus", str(folder / "new"), "--artifacts", str(folder / "crashes"),
             "--logs", str(folder / "logs"), "--jobs", str(JOBS),
             *(["--and-write", *writing] if writing else [])],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True, env={**os.environ, "PYTHONPATH": str(ROOT)}) as run:
        try:
            output, _ = run.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            # the target running now is a child of the run: stop them both
            os.killpg(run.pid, signal.SIGKILL)
            output, _ = run.communicate()
            output += f"\nstopped after {limit} s"
    (folder / "run.txt").write_text(f"exit {run.returncode}\n{output[-8000:]}")
    return folder


def _owner(artifact: str) -> str:
    """The target an input kept by libFuzzer belongs to ("amlworld-patterns-crash-…" is not
    amlworld's): the longest target name its file name starts with."""
    return max((n for n in TARGETS if artifact.startswith(f"{n}-")), key=len, default="")


def _check(name: str, folder: Path, write: bool = False) -> None:
    """The run in ``folder`` fuzzed ``name`` (its full import if ``write``) for its time and
    kept no input."""
    own = "write" if write else ""
    summary_file = folder / "logs" / own / "summary.json"
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    assert name in summary, (
        f"{name}: no result, the run stopped before it\n{(folder / 'run.txt').read_text()}")
    log = (folder / "logs" / own / f"{name}.log").read_text(errors="replace")
    found = sorted(p.name for p in (folder / "crashes" / own).glob(f"{name}-*")
                   if _owner(p.name) == name)
    outcome = summary[name]
    assert outcome["exit"] == 0 and not outcome["hung"] and not found, (
        f"{name}: {outcome}, inputs kept {found}\n{log[-4000:]}")
    assert "stat::number_of_executed_units" in log, log[-2000:]


@pytest.fixture(scope="module")
def short_runs(request: pytest.FixtureRequest) -> Path:
    """The checks and the full imports in one run: the importers are instrumented once."""
    return _fuzz_selected(request, "test_a_short_fuzzing_run_finds_nothing", SHORT_SECONDS,
                          "test_a_short_fuzzing_run_of_the_writing_import_finds_nothing")


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_a_short_fuzzing_run_finds_nothing(name: str, short_runs: Path) -> None:
    _check(name, short_runs)


@pytest.mark.parametrize("name", WRITING)
def test_a_short_fuzzing_run_of_the_writing_import_finds_nothing(
        name: str, short_runs: Path) -> None:
    _check(name, short_runs, write=True)


@pytest.fixture(scope="module")
def long_runs(request: pytest.FixtureRequest) -> Path:
    return _fuzz_selected(request, "test_a_long_fuzzing_run_finds_nothing", LONG_SECONDS)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_a_long_fuzzing_run_finds_nothing(name: str, long_runs: Path) -> None:
    _check(name, long_runs)


def test_the_timing_of_a_target_counts_its_seeds(capsys: pytest.CaptureFixture[str]) -> None:
    from fuzz import timing

    assert timing.main(["indicators", "--rounds", "2"]) == 0
    seeds = len(list(TARGETS["indicators"].corpus.iterdir()))
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith(f"indicators: {seeds} seeds (")
    assert line.endswith(" ms CPU") and " ms per input (wall), " in line

"""Every importer survives its committed corpus and a short coverage-guided run.

The short run (a few seconds per importer) catches regressions in CI; the long
run of docs/fuzzing.md is marked slow.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fuzz.targets import TARGETS, expected_errors

ROOT = Path(__file__).resolve().parents[2]
SHORT_SECONDS = int(os.environ.get("TOCSIN_FUZZ_SECONDS", "5"))


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_the_committed_corpus_imports_or_is_refused_clearly(name: str) -> None:
    target = TARGETS[name]
    inputs = sorted(target.corpus.iterdir())
    assert inputs, f"no seed inputs for {name}"
    for path in inputs:
        try:
            target.run(path.read_bytes())
        except expected_errors() as exc:
            assert str(exc).strip(), f"{path.name}: an input error without a message"


def _fuzz(name: str, tmp_path: Path, *extra: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fuzz.run", name, "--new-corpus", str(tmp_path / "new"),
         "--artifacts", str(tmp_path / "crashes"), *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    found = sorted(p.name for p in (tmp_path / "crashes").glob("*"))
    assert result.returncode == 0 and not found, (
        f"{name}: exit {result.returncode}, inputs kept {found}\n{result.stderr[-4000:]}")
    assert "stat::number_of_executed_units" in result.stderr, result.stderr[-2000:]


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_a_short_fuzzing_run_finds_nothing(name: str, tmp_path: Path) -> None:
    _fuzz(name, tmp_path, "--seconds", str(SHORT_SECONDS))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_a_long_fuzzing_run_finds_nothing(name: str, tmp_path: Path) -> None:
    _fuzz(name, tmp_path, "--seconds", os.environ.get("TOCSIN_FUZZ_LONG_SECONDS", "1800"))

"""Small versions of the benchmarks (no timing assertions); the large ones run by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench"


def _run(script: str, *args: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, str(BENCH / script), *args], check=True,
                         capture_output=True, text=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_detect_benchmark_small() -> None:
    result = _run("money_detect.py", "--transactions", "20000", "--accounts", "3000",
                  "--baseline-transactions", "20000", "--repeat", "1")
    assert result["findings"] and float(result["speedup"]) > 0  # type: ignore[arg-type]
    agreement = result["flagged_account_agreement"]
    assert isinstance(agreement, dict)
    # The path detectors and structuring flag exactly what the baseline flags.
    for name in ("scatter_gather", "cycle", "bipartite", "stack", "structuring"):
        assert agreement[name] == 1.0, (name, agreement)


@pytest.mark.slow
def test_detect_benchmark_large() -> None:
    result = _run("money_detect.py")
    assert float(result["detect_seconds"]) <= 60  # type: ignore[arg-type]
    assert float(result["detect_peak_mib"]) <= 6 * 1024  # type: ignore[arg-type]


def test_trace_benchmark_small() -> None:
    result = _run("money_trace.py", "--transactions", "20000", "--accounts", "3000",
                  "--seeds", "5", "--baseline-seeds", "2")
    assert int(result["trace_nodes_max"]) > 1  # type: ignore[call-overload]

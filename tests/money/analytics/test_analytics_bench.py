"""Small versions of the benchmarks (no timing assertions); the large ones run by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tocsin.money.detect import all_detectors

BENCH = Path(__file__).resolve().parents[3] / "bench"


def _run(script: str, *args: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, str(BENCH / script), *args], check=True,
                         capture_output=True, text=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_detect_benchmark_small() -> None:
    result = _run("money_detect.py", "--transactions", "20000", "--accounts", "3000",
                  "--baseline-transactions", "20000", "--rounds", "1")
    assert result["findings"] and float(result["speedup"]) > 0  # type: ignore[arg-type]
    agreement = result["flagged_account_agreement"]
    assert isinstance(agreement, dict)
    # The baseline implements the same definitions: every detector flags the same accounts.
    assert set(agreement) == {d.name for d in all_detectors()}
    assert all(v == 1.0 for v in agreement.values()), agreement


@pytest.mark.slow
def test_detect_benchmark_large() -> None:
    result = _run("money_detect.py")
    assert float(result["detect_seconds"]) <= 60  # type: ignore[arg-type]
    assert float(result["detect_peak_mib"]) <= 6 * 1024  # type: ignore[arg-type]


def test_trace_benchmark_small() -> None:
    result = _run("money_trace.py", "--transactions", "20000", "--accounts", "3000",
                  "--seeds", "50", "--repeat", "1")
    assert int(result["nodes_max"]) > 1  # type: ignore[call-overload]
    assert result["same_nodes"] == "50/50"


def test_predict_benchmark_small(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, str(BENCH / "model_predict.py"), "--transactions",
                          "20000", "--repeat", "1", "--work", str(tmp_path)],
                         check=True, capture_output=True, text=True, timeout=300).stdout
    # each side scored every row as LightGBM does (the script stops otherwise)
    assert [line.split()[0] for line in out.splitlines()[1:4]] == ["lightgbm", "rows", "plain"]
    assert "x LightGBM's predict" in out and (tmp_path / "matrix-20000.npy").is_file()

"""The load test of ``bench/load.py`` against a real server: no errors, healthy throughout.

The short run (30 users, 2 minutes, embedded SQLite) is part of the suite; the full one
(50 users, 10 minutes) is marked ``slow``. Latency bounds are loose here because the
suite shares its machine; ``docs/benchmarks.md`` records the figures of quiet runs.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "load.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tocsin_bench_load", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _check(summary: dict[str, Any], p99_ms: int) -> None:
    assert summary["errors"] == 0, summary["error_kinds"]
    assert summary["requests"] > 0
    during_ok, during_all = summary["healthz_during"].split(" ")[0].split("/")
    assert during_ok == during_all, summary["healthz_during"]
    assert summary["healthz_after"] == "ok"
    assert summary["p99_ms"] <= p99_ms, summary
    assert set(summary["by_kind"]) >= {"list", "detail", "search", "api", "coherence",
                                       "network", "graph"}


def test_thirty_users_for_two_minutes() -> None:
    summary = _bench().main(["--users", "30", "--minutes", "2", "--json"])
    _check(summary, p99_ms=3000)
    assert summary["uploads"] >= 1


@pytest.mark.slow
def test_fifty_users_for_ten_minutes() -> None:
    summary = _bench().main(["--users", "50", "--minutes", "10", "--json"])
    _check(summary, p99_ms=1000)
    assert abs(summary["rss_change_pct"]) <= 10

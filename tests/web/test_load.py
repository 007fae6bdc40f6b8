"""The load test of ``bench/load.py`` against a real server: no errors, healthy throughout.

The short run (30 users, 1 minute, embedded SQLite) is part of the suite, without a
latency bound because the suite shares its machine: its minute holds what is hardest for
the server (30 sign-ins within 15 s), every kind of request and an upload (at 30 s). The
full one (50 users, 10 minutes, the targets of issue 9: no error, p95 <= 150 ms, p99 <=
500 ms, memory within 10 %) is marked ``slow``. ``docs/benchmarks.md`` records the
figures with the machine's load.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.bench_scripts import load_bench


def _run(args: list[str]) -> dict[str, Any]:
    # in a thread of its own: a browser test's driver may hold this thread's event loop,
    # where the bench's asyncio.run refuses to start
    with ThreadPoolExecutor(1) as pool:
        summary: dict[str, Any] = pool.submit(load_bench("load").main, args).result()
    return summary


def _check(summary: dict[str, Any], p99_ms: int | None, busy_share: float) -> None:
    """No failure, no answer other than the expected one, and 503 (the server shedding load
    it cannot take in time) for at most ``busy_share`` of the requests."""
    assert summary["requests"] > 0
    assert summary["server_errors"] == 0, summary["error_kinds"]
    assert summary["errors"] - summary["busy_503"] == 0, summary["error_kinds"]
    assert summary["busy_503"] <= busy_share * summary["requests"], summary["error_kinds"]
    during_ok, during_all = summary["healthz_during"].split(" ")[0].split("/")
    assert during_ok == during_all, summary["healthz_during"]
    assert summary["healthz_after"] == "ok"
    if p99_ms is not None:
        assert summary["p99_ms"] <= p99_ms, summary
    assert set(summary["by_kind"]) >= {"list", "detail", "search", "api", "coherence",
                                       "network", "graph"}


def test_thirty_users_for_a_minute() -> None:
    summary = _run(["--users", "30", "--minutes", "1", "--json"])
    # the suite shares its machine with other work: no latency bound, a little shedding allowed
    _check(summary, p99_ms=None, busy_share=0.02)
    assert summary["uploads"] >= 1


@pytest.mark.slow
def test_fifty_users_for_ten_minutes() -> None:
    summary = _run(["--users", "50", "--minutes", "10", "--json"])
    _check(summary, p99_ms=500, busy_share=0.0)
    assert summary["p95_ms"] <= 150
    assert abs(summary["rss_change_pct"]) <= 10

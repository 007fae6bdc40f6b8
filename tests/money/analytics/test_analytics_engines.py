"""One suite over every engine: the same findings and the same traces.

The embedded engine is the reference. Spark runs every detector and both kinds
of trace once, in a single test over the tiny set, and must give identical
findings and flow trees: one Spark job per pipeline step instead of one per
detector and parameter keeps the Spark part of the suite short.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from tocsin.money.detect import REGISTRY, all_detectors
from tocsin.money.detect.base import Paths
from tocsin.money.detect.expand import sql_steps
from tocsin.money.engines.base import run_detectors
from tocsin.money.engines.embedded import EmbeddedEngine
from tocsin.money.findings import Finding
from tocsin.money.rank import rank
from tocsin.money.trace import TraceConfig, trace

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

TRACES = [("fifo", "forward"), ("haircut", "backward")]


def _by_detector(found: list[Finding]) -> dict[str, list[dict[str, Any]]]:
    return {name: [f.to_dict() for f in found if f.detector == name] for name in REGISTRY}


@pytest.fixture(scope="session")
def reference(tiny_set: Path) -> dict[str, list[dict[str, Any]]]:
    """Findings of the embedded engine, computed once, per detector."""
    eng = EmbeddedEngine(tiny_set)
    try:
        return _by_detector(run_detectors(eng, all_detectors()))
    finally:
        eng.close()


def _seeds(tiny_set: Path) -> list[str]:
    # a connection of its own: the module's default one may hold another test's result
    with duckdb.connect() as con:
        rows = con.sql(
            f"SELECT min(txn_id) FROM '{tiny_set}/transactions.parquet' WHERE label "
            "GROUP BY label_pattern ORDER BY 1"
        ).fetchall()
    return [r[0] for r in rows]


def _traces(engine: Any, tiny_set: Path) -> dict[str, dict[str, Any]]:
    seeds = _seeds(tiny_set)
    out = {}
    for rule, direction in TRACES:
        cfg = TraceConfig(rule=rule, direction=direction, hops=6)  # type: ignore[arg-type]
        out[f"{rule}-{direction}"] = trace(engine, transactions=seeds, config=cfg).to_dict()
    return out


@pytest.fixture(scope="session")
def reference_traces(tiny_set: Path) -> dict[str, dict[str, Any]]:
    eng = EmbeddedEngine(tiny_set)
    try:
        return _traces(eng, tiny_set)
    finally:
        eng.close()


def test_every_detector_finds_something(reference: dict[str, list[dict[str, Any]]]) -> None:
    empty = [name for name, found in reference.items() if not found]
    assert empty == []


def test_traces_reach_beyond_their_seeds(reference_traces: dict[str, dict[str, Any]],
                                         tiny_set: Path) -> None:
    seeds = _seeds(tiny_set)
    assert all(t["nodes"] > len(seeds) for t in reference_traces.values())


class SqlPathsEngine(EmbeddedEngine):
    """The embedded engine growing paths with the SQL joins Spark uses."""

    def run_paths(self, step: Paths) -> None:
        for sql in sql_steps(step):
            self.run_sql(sql.name, sql.query)


def test_numpy_and_sql_path_expansion_agree(small_set: Path) -> None:
    """The numpy expansion of the embedded engine and the per-hop SQL of Spark, compared
    on DuckDB over the larger set (every path detector, thousands of paths)."""
    names = ["scatter_gather", "cycle", "stack"]
    found = {}
    for cls in (EmbeddedEngine, SqlPathsEngine):
        eng = cls(small_set)
        try:
            found[cls.__name__] = [f.to_dict() for f in run_detectors(eng, all_detectors(names))]
        finally:
            eng.close()
    assert found["EmbeddedEngine"] == found["SqlPathsEngine"]
    assert {f["detector"] for f in found["EmbeddedEngine"]} == set(names)


@pytest.mark.spark
def test_spark_matches_embedded(spark: Any, tiny_set: Path,
                                reference: dict[str, list[dict[str, Any]]],
                                reference_traces: dict[str, dict[str, Any]]) -> None:
    """Every detector and both traces on Spark, compared with the embedded engine."""
    from tocsin.money.engines.spark import SparkEngine

    eng = SparkEngine(tiny_set, spark=spark, partitions=2)
    try:
        found = run_detectors(eng, all_detectors())
        mine = _by_detector(found)
        traces = _traces(eng, tiny_set)
        ranked = rank(eng, found)
    finally:
        eng.close()
    differ = [name for name in REGISTRY if mine[name] != reference[name]]
    assert differ == [], {n: (mine[n], reference[n]) for n in differ}
    assert traces == reference_traces
    # The ranking (findings judged against each account's history, flags) is the same too.
    embedded = EmbeddedEngine(tiny_set)
    try:
        expected = rank(embedded, run_detectors(embedded, all_detectors()))
    finally:
        embedded.close()
    assert [f.to_dict() for f in ranked.findings] == [f.to_dict() for f in expected.findings]
    assert [a.to_dict() for a in ranked.accounts] == [a.to_dict() for a in expected.accounts]
    assert ranked.set_accounts == expected.set_accounts and expected.flagged

"""One suite over every engine: the same findings and the same traces."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from tocsin.money.detect import REGISTRY, all_detectors
from tocsin.money.engines.base import run_detectors
from tocsin.money.engines.embedded import EmbeddedEngine
from tocsin.money.findings import Finding
from tocsin.money.trace import TraceConfig, trace

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


@pytest.fixture(scope="session")
def reference(tiny_set: Path) -> dict[str, list[Finding]]:
    """Findings of the embedded engine, computed once, per detector."""
    eng = EmbeddedEngine(tiny_set)
    try:
        found = run_detectors(eng, all_detectors())
    finally:
        eng.close()
    return {name: [f for f in found if f.detector == name] for name in REGISTRY}


@pytest.fixture(scope="session")
def engine_findings(engine: Any) -> list[Finding]:
    return run_detectors(engine, all_detectors())


def test_every_detector_finds_something(reference: dict[str, list[Finding]]) -> None:
    empty = [name for name, found in reference.items() if not found]
    assert empty == []


@pytest.mark.parametrize("name", list(REGISTRY))
def test_engines_agree(name: str, engine_findings: list[Finding],
                       reference: dict[str, list[Finding]]) -> None:
    mine = [f for f in engine_findings if f.detector == name]
    assert [f.to_dict() for f in mine] == [f.to_dict() for f in reference[name]]


def _seeds(tiny_set: Path) -> list[str]:
    rows = duckdb.sql(
        f"SELECT min(txn_id) FROM '{tiny_set}/transactions.parquet' WHERE label "
        "GROUP BY label_pattern ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


@pytest.mark.parametrize(("rule", "direction"), [("fifo", "forward"), ("haircut", "backward")])
def test_traces_agree(engine: Any, tiny_set: Path, rule: str, direction: str) -> None:
    seeds = _seeds(tiny_set)
    cfg = TraceConfig(rule=rule, direction=direction, hops=6)  # type: ignore[arg-type]
    mine = trace(engine, transactions=seeds, config=cfg).to_dict()
    ref_engine = EmbeddedEngine(tiny_set)
    try:
        expected = trace(ref_engine, transactions=seeds, config=cfg).to_dict()
    finally:
        ref_engine.close()
    assert mine == expected
    assert mine["nodes"] > len(seeds)

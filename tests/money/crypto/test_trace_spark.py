"""Tracing on Spark gives exactly the embedded engine's trace: steps with their explanations,
end points with their reasons, tags and clusters, and the flows drawn on the page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tocsin.money.crypto import tags as tagging
from tocsin.money.crypto.cluster import cluster
from tocsin.money.crypto.generate import ChainConfig, generate
from tocsin.money.crypto.service import trace_view
from tocsin.money.crypto.taint import TraceConfig, trace
from tocsin.money.crypto.utxo import open_utxo
from tocsin.settings import Settings
from tocsin.store.database import Database

from .chains import txid, write_chain

pytestmark = pytest.mark.spark

EXCHANGE = "1ExchangeDepositAddress"


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Coins of A move through two-input and two-output transactions; D's go to the
    exchange (a service: traces stop there); the rest reaches J through five hops."""
    folder = write_chain(tmp_path_factory.mktemp("trace") / "set", [
        ("cb", [], [("A", 50_000), ("B", 30_000)]),
        ("t1", [("cb", 0)], [("C", 20_000), ("D", 29_000)]),
        ("t2", [("t1", 0), ("cb", 1)], [("E", 25_000), ("F", 24_000)]),
        ("t3", [("t1", 1)], [(EXCHANGE, 28_000)]),
        ("t4", [("t2", 0)], [("G", 10_000), ("H", 14_000)]),
        ("t5", [("t4", 1), ("t2", 1)], [("I", 37_000)]),
        ("t6", [("t5", 0)], [("J", 36_000)]),
        ("t7", [("t4", 0)], [("K", 4_000), ("L", 5_000)]),
    ])
    pack = folder / "pack.yaml"
    pack.write_text(f"source: test\nconfidence: 80\ntags:\n  - {{address: {EXCHANGE}, "
                    "label: Example Exchange, category: exchange, actor: example-exchange}\n")
    tagging.import_tagpacks(folder, [pack])
    return folder


def _both(spark: Any, folder: Path, start: str, config: TraceConfig,
          graph: Any = None) -> tuple[dict[str, Any], dict[str, Any], Any]:
    from tocsin.money.crypto.spark_trace import SparkGraph

    model = open_utxo(folder)
    clustering = cluster(model)
    graph = graph or SparkGraph(model, spark)
    embedded = trace(model, start, config, set_folder=folder, clustering=clustering)
    on_spark = trace(model, start, config, set_folder=folder, clustering=clustering,
                     graph=graph)
    return trace_view(embedded), trace_view(on_spark), graph


def test_fifo_poison_and_haircut_forward_are_the_same_on_both_engines(spark: Any,
                                                                      chain: Path) -> None:
    ours, theirs, graph = _both(spark, chain, "A", TraceConfig(rule="fifo", min_amount=1))
    assert theirs == ours
    assert len(ours["steps"]) >= 5
    assert any("reached a service: Example Exchange" in e["reason"] for e in ours["ends"])
    # one Spark query for the address, then one batch per hop
    assert graph.queries == 1 + max(s["hop"] for s in ours["steps"])
    assert len(graph.tx_inputs) == 7  # every transaction but the coinbase, never read
    # the other models on the graph Spark has read
    for rule in ("poison", "haircut"):
        ours, theirs, _ = _both(spark, chain, "A", TraceConfig(rule=rule, min_amount=1),
                                graph=graph)
        assert theirs == ours and ours["ends"]


@pytest.mark.slow  # each trace reads its graph afresh: a minute or more on a loaded machine
def test_backward_and_from_a_transaction_are_the_same(spark: Any, chain: Path) -> None:
    from tocsin.money.crypto.spark_trace import SparkGraph

    back, back_spark, graph = _both(spark, chain, "J", TraceConfig(
        rule="fifo", direction="backward", min_amount=1))
    assert back_spark == back
    assert any("coinbase" in e["reason"] for e in back["ends"])
    # the transactions that do not lead to J were never read
    assert txid("t3") not in graph.tx_inputs and txid("t7") not in graph.tx_inputs
    for rule in ("fifo", "lifo", "tiho", "haircut", "poison"):
        ours, theirs, _ = _both(spark, chain, txid("t1"), TraceConfig(rule=rule, min_amount=1,
                                                                      max_depth=3),
                                graph=SparkGraph(open_utxo(chain), spark))
        assert theirs == ours and ours["steps"]
    ours, theirs, _ = _both(spark, chain, txid("t5"), TraceConfig(
        rule="haircut", direction="backward", min_amount=1))
    assert theirs == ours


@pytest.mark.slow  # minutes of Spark queries; the hand-made chain above is the short version
def test_generated_chain_traces_match_embedded(spark: Any, tmp_path: Path) -> None:
    made = generate(tmp_path / "set", ChainConfig(wallets=30, transactions=800, seed=3))
    for start in sorted(made.spenders)[:2]:
        for rule in ("fifo", "poison", "haircut"):
            for direction in ("forward", "backward"):
                ours, theirs, _ = _both(spark, made.folder, start, TraceConfig(
                    rule=rule, direction=direction, max_depth=4))
                assert theirs == ours, (start, rule, direction)
                assert ours["steps"], (start, rule, direction)


@pytest.mark.slow  # a Spark clustering of the set, then the trace
def test_the_command_line_traces_on_spark(spark: Any, platform_db: Database,
                                          settings: Settings, cli: None) -> None:
    from sqlalchemy import select

    from tests.money.conftest import tocsin
    from tocsin.access.principal import Principal
    from tocsin.access.tables import Unit
    from tocsin.money import sets

    fixtures = Path(__file__).resolve().parents[2] / "fixtures" / "crypto"
    with platform_db.transaction() as session:
        unit = session.scalars(select(Unit.id).where(Unit.code == "tntd-spmu")).one()
        item, _ = sets.import_set(session, Principal.system(), settings, "bitcoin",
                                  [fixtures / "block-99960.hex", fixtures / "block-13b8ab.hex"],
                                  "December 2010 blocks", "GREEN", unit)
        set_id = str(item.id)
    start = "13YiRgpov7tAQt22gFgDf12cDS3s9MWbSU"
    runs = [json.loads(tocsin("crypto", "trace", set_id, start, "--rule", "fifo", "--json",
                              "--engine", engine).output) for engine in ("embedded", "spark")]
    assert runs[0] == runs[1] and runs[0]["steps"]

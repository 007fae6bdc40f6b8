"""Clustering on Spark gives exactly the embedded engine's tables: ids, figures, CoinJoins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tocsin.money.crypto.cluster import ClusterConfig, cluster, cluster_id
from tocsin.money.crypto.generate import ChainConfig, generate
from tocsin.money.crypto.utxo import open_utxo

from .chains import txid, write_chain

pytestmark = pytest.mark.spark

GENESIS = [("A1", 10), ("A2", 10), ("A3", 10), ("B1", 10), ("C1", 10), ("D1", 10), ("E1", 10)]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A1+A2 spent together, their change A4 then with A3; a CoinJoin of B1, C1, D1; E1 with X.

    The multi-input heuristic joins {A1, A2}, {A3, A4} and {E1, X}: nothing links A4, the
    change of A1 and A2, to them (that is what the change heuristics are for).
    """
    return write_chain(tmp_path_factory.mktemp("small") / "set", [
        ("cb", [], GENESIS),
        ("t1", [("cb", 0), ("cb", 1)], [("X", 15), ("A4", 4)]),
        ("t2", [("t1", 1), ("cb", 2)], [("Y", 13)]),
        ("cj", [("cb", 3), ("cb", 4), ("cb", 5)],
         [("P", 3), ("Q", 3), ("R", 3), ("B2", 6), ("C2", 6), ("D2", 6)]),
        ("t3", [("cb", 6), ("t1", 0)], [("Z", 24)]),
    ])


def _same(a: Any, b: Any) -> None:
    assert a.addresses.to_pylist() == b.addresses.to_pylist()
    assert a.clusters.to_pylist() == b.clusters.to_pylist()
    assert a.coinjoins.to_pylist() == b.coinjoins.to_pylist()
    assert a.addresses.schema == b.addresses.schema and a.clusters.schema == b.clusters.schema


def test_small_chain_by_hand(spark: Any, small: Path) -> None:
    from tocsin.money.crypto.spark_cluster import cluster_spark

    model = open_utxo(small)
    ours = cluster_spark(model, spark=spark)
    ids = dict(zip(ours.addresses.column("address").to_pylist(),
                   ours.addresses.column("cluster_id").to_pylist(), strict=True))
    assert {a for a, c in ids.items() if c == cluster_id("A1")} == {"A1", "A2"}
    assert {a for a, c in ids.items() if c == cluster_id("A3")} == {"A3", "A4"}
    assert {a for a, c in ids.items() if c == cluster_id("E1")} == {"E1", "X"}
    for alone in ("B1", "C1", "D1", "Y", "Z", "P", "B2"):
        assert ids[alone] == cluster_id(alone)
    assert ours.coinjoins.column("txid").to_pylist() == [txid("cj")]
    _same(ours, cluster(model))
    # with CoinJoins joined, B1, C1 and D1 fall into one cluster on both engines
    joined = ClusterConfig(exclude_coinjoins=False)
    mixed = cluster_spark(model, joined, spark=spark)
    assert mixed.cluster_of("C1") == mixed.cluster_of("D1") == cluster_id("B1")
    _same(mixed, cluster(model, joined))


@pytest.mark.slow  # minutes of Spark jobs; the hand-made chain above is the short version
def test_generated_chain_matches_embedded(spark: Any, tmp_path: Path) -> None:
    from tocsin.money.crypto.spark_cluster import cluster_spark

    chain = generate(tmp_path / "set", ChainConfig(wallets=30, transactions=800, seed=3))
    model = open_utxo(chain.folder)
    ours = cluster_spark(model, spark=spark)
    assert ours.clusters.column("size")[0].as_py() >= 5  # chains of joins were followed
    _same(ours, cluster(model))


def test_change_heuristics_are_refused_on_spark(spark: Any, small: Path) -> None:
    from tocsin.errors import InputError
    from tocsin.money.crypto.spark_cluster import cluster_spark

    with pytest.raises(InputError, match="embedded engine only"):
        cluster_spark(open_utxo(small), ClusterConfig(change_heuristics=("round_payment",)),
                      spark=spark)

"""Address clustering: union-find against networkx, CoinJoins left out, stable ids, quality."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from tocsin.money.crypto import cluster as clustering
from tocsin.money.crypto.cluster import ClusterConfig, cluster, cluster_id, components
from tocsin.money.crypto.generate import ChainConfig, generate, quality
from tocsin.money.crypto.utxo import open_utxo
from tocsin.money.ingest import ingest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "crypto"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_components_match_networkx(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    groups = rng.integers(0, 120, size=500)
    members = rng.integers(0, n, size=500)
    roots = components(n, groups, members)
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    for g in np.unique(groups):
        nodes = members[groups == g]
        graph.add_edges_from((int(nodes[0]), int(x)) for x in nodes[1:])
    expected = np.empty(n, dtype=np.int64)
    for comp in nx.connected_components(graph):
        expected[list(comp)] = min(comp)
    assert np.array_equal(roots, expected)


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("chain")
    return generate(folder, ChainConfig(wallets=60, transactions=3000, seed=3))


def test_coinjoins_are_found_and_explained(chain) -> None:  # type: ignore[no-untyped-def]
    result = cluster(open_utxo(chain.folder))
    found = set(result.coinjoins.column("txid").to_pylist())
    assert found == set(chain.coinjoin_txids) and found
    reason = result.coinjoins.column("reason")[0].as_py()
    assert "outputs of exactly 0.05 BTC" in reason and "not taken to share an owner" in reason


def test_excluding_coinjoins_keeps_precision(chain) -> None:  # type: ignore[no-untyped-def]
    model = open_utxo(chain.folder)
    kept = quality(cluster(model), chain.owners, chain.spenders)
    joined = quality(cluster(model, ClusterConfig(exclude_coinjoins=False)), chain.owners,
                     chain.spenders)
    assert kept.precision > 0.95
    assert joined.precision < kept.precision - 0.2
    assert kept.recall > 0


def test_cluster_ids_are_stable_and_named_after_the_smallest_address(chain) -> None:  # type: ignore[no-untyped-def]
    model = open_utxo(chain.folder)
    first, second = cluster(model), cluster(model)
    assert first.addresses.to_pylist() == second.addresses.to_pylist()
    top = first.clusters.to_pylist()[0]
    members = first.members(top["cluster_id"])
    assert top["size"] == len(members) > 1
    assert top["cluster_id"] == cluster_id(min(members)) == cluster_id(top["representative"])
    assert top["received"] == top["balance"] + top["sent"]
    assert top["first_seen"] <= top["last_seen"]


def test_real_blocks_cluster_and_store(tmp_path: Path) -> None:
    report = ingest("bitcoin", [FIXTURES / "block-99960.hex", FIXTURES / "block-13b8ab.hex"],
                    tmp_path / "set")
    model = open_utxo(report.target)
    result = cluster(model)
    outputs = {o["address"] for o in model.read("outputs.parquet").to_pylist() if o["address"]}
    assert set(result.addresses.column("address").to_pylist()) == outputs
    # the one input these blocks resolve (block 0000…f7af spends an output of block 99,960)
    spender = "13YiRgpov7tAQt22gFgDf12cDS3s9MWbSU"
    row = next(c for c in result.clusters.to_pylist() if c["representative"] == spender)
    assert row["size"] == 1 and row["sent"] == 20_000_000 and row["transactions"] == 2
    clustering.store(report.target, result)
    clustering.store(report.target, result)  # a second run replaces the first
    loaded = clustering.load(report.target)
    assert loaded is not None
    assert loaded.addresses.to_pylist() == result.addresses.to_pylist()

"""Benchmark: address clustering (multi-input heuristic) against networkx, and its quality.

**Speed.** Transaction inputs are generated as (transaction, address) pairs:
``--inputs`` inputs over transactions of 1 to 6 inputs, addresses drawn from a
pool a third the size of the inputs, so owners' addresses chain into
components of every size. Both sides get the same integer arrays and must
answer, for every address, the smallest address of its component:

* **Tocsin**: :func:`tocsin.money.crypto.cluster.components` (a stable sort by
  transaction, then union-find with path halving in compiled code);
* **Baseline**: networkx — a graph with every address as a node and an edge
  from each transaction's first input address to each other one, then
  ``connected_components`` and the minimum of each component.

They run ``--rounds`` times in alternating order; the script prints both
medians and their ratio, checks that both give the same components, and
measures peak memory of one more run of each under ``tracemalloc`` (numpy and
Python objects alike). ``--only-tocsin N`` times Tocsin alone on N inputs
(networkx needs too much memory there). ``--end-to-end N`` writes a set's UTXO
files with N such inputs and times the whole :func:`cluster` from them.

**Quality.** A generated chain with known owners
(:mod:`tocsin.money.crypto.generate`) is clustered with CoinJoins left out and
with them joined, and the pairwise precision and recall are printed.

    .venv/bin/python bench/crypto_cluster.py --inputs 1000000 --rounds 3 --only-tocsin 10000000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import numpy as np

from tocsin.money.crypto.cluster import ClusterConfig, cluster, components
from tocsin.money.crypto.generate import ChainConfig, generate, quality
from tocsin.money.crypto.utxo import open_utxo


def make_inputs(count: int, seed: int = 1) -> tuple[int, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 7, size=count // 2)
    sizes = sizes[np.cumsum(sizes) <= count]
    groups = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    addresses = max(1, len(groups) // 3)
    members = rng.integers(0, addresses, size=len(groups), dtype=np.int64)
    return addresses, groups, members


def write_utxo(folder: Path, count: int, seed: int = 4) -> int:
    """A set's UTXO files with ``count`` inputs made like :func:`make_inputs` (addresses as
    text, every spent output present), for timing :func:`cluster` from the files."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from tocsin.money.crypto import utxo

    n, groups, members = make_inputs(count, seed)
    txs = int(groups[-1]) + 1
    names = pc.binary_join_element_wise(pa.scalar("bc1q"), pa.array(np.arange(n)).cast(pa.string()),
                                        "")
    txids = pc.binary_join_element_wise(pa.scalar("t"), pa.array(np.arange(txs)).cast(pa.string()),
                                        "")
    vin = np.arange(len(groups)) - np.searchsorted(groups, groups)
    target = folder / utxo.FOLDER
    target.mkdir(parents=True)
    # each input spends output 0 of a funding transaction "f<k>" paying its address
    funding = pc.binary_join_element_wise(pa.scalar("f"),
                                          pa.array(np.arange(len(groups))).cast(pa.string()), "")
    pq.write_table(pa.table({
        "txid": pc.take(txids, pa.array(groups)), "vin": pa.array(vin), "prev_txid": funding,
        "prev_vout": pa.array(np.zeros(len(groups), dtype=np.int64)),
        "coinbase": pa.array(np.zeros(len(groups), dtype=bool)),
        "sequence": pa.array(np.zeros(len(groups), dtype=np.int64)),
        "witness_items": pa.array(np.zeros(len(groups), dtype=np.int64)),
        "value": pa.array(np.full(len(groups), 1000, dtype=np.int64)),
        "script_type": pa.array(["p2wpkh"] * 1).take(pa.array(np.zeros(len(groups), dtype=int))),
        "address": pc.take(names, pa.array(members))}, schema=utxo.INPUTS),
        target / utxo.INPUTS_FILE)
    outs = len(groups)
    pq.write_table(pa.table({
        "txid": funding, "vout": pa.array(np.zeros(outs, dtype=np.int64)),
        "value": pa.array(np.full(outs, 1000, dtype=np.int64)),
        "script_type": pa.array(["p2wpkh"] * 1).take(pa.array(np.zeros(outs, dtype=int))),
        "address": pc.take(names, pa.array(members)), "script": pa.nulls(outs, pa.string()),
        "spent_by": pc.take(txids, pa.array(groups)), "spent_vin": pa.array(vin)},
        schema=utxo.OUTPUTS), target / utxo.OUTPUTS_FILE)
    every = pa.concat_arrays([txids, funding])
    rows = len(every)
    pq.write_table(pa.table({
        "txid": every, "block_hash": pa.nulls(rows, pa.string()),
        "height": pa.nulls(rows, pa.int64()),
        "time": pa.array(np.full(rows, 1_600_000_000_000_000, dtype=np.int64)).cast(
            pa.timestamp("us", tz="UTC")),
        "seq": pa.array(np.arange(rows)), "coinbase": pa.array(np.zeros(rows, dtype=bool)),
        "input_count": pa.array(np.ones(rows, dtype=np.int64)),
        "output_count": pa.array(np.ones(rows, dtype=np.int64)),
        "output_value": pa.array(np.full(rows, 1000, dtype=np.int64)),
        "fee": pa.nulls(rows, pa.int64()), "size": pa.nulls(rows, pa.int64()),
        "source_file": pa.nulls(rows, pa.string()), "source_ref": pa.nulls(rows, pa.string())},
        schema=utxo.TRANSACTIONS), target / utxo.TRANSACTIONS_FILE)
    return len(groups)


def with_tocsin(n: int, groups: np.ndarray, members: np.ndarray) -> np.ndarray:
    return components(n, groups, members)


def with_networkx(n: int, groups: np.ndarray, members: np.ndarray) -> np.ndarray:
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    firsts = np.repeat(members[starts], np.diff(np.r_[starts, len(groups)]))
    graph.add_edges_from(zip(firsts.tolist(), members.tolist(), strict=True))
    roots = np.empty(n, dtype=np.int64)
    for component in nx.connected_components(graph):
        nodes = np.fromiter(component, dtype=np.int64, count=len(component))
        roots[nodes] = nodes.min()
    return roots


def peak_rss_mb() -> float:
    """This process's peak resident memory (``VmHWM``), everything so far included."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_mb(run: Callable[[], object]) -> float:
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only-tocsin", type=int, default=0)
    parser.add_argument("--quality-transactions", type=int, default=20_000)
    parser.add_argument("--end-to-end", type=int, default=0,
                        help="Also time the whole clustering from Parquet files of N inputs.")
    args = parser.parse_args()

    n, groups, members = make_inputs(args.inputs)
    with_tocsin(10, groups[:20], members[:20] % 10)  # compile once, outside the timing
    times: dict[str, list[float]] = {"tocsin": [], "networkx": []}
    results = {}
    for round_ in range(args.rounds):
        order = [("tocsin", with_tocsin), ("networkx", with_networkx)]
        for name, fn in order if round_ % 2 == 0 else order[::-1]:
            started = time.perf_counter()
            results[name] = fn(n, groups, members)
            times[name].append(time.perf_counter() - started)
    same = bool(np.array_equal(results["tocsin"], results["networkx"]))
    memory = {name: peak_mb(lambda fn=fn: fn(n, groups, members))
              for name, fn in (("tocsin", with_tocsin), ("networkx", with_networkx))}
    print(f"clustering {len(groups):,} inputs of {groups[-1] + 1:,} transactions over {n:,} "
          f"addresses, {args.rounds} interleaved rounds")
    print(f"{'contender':<10} {'median s':>9} {'min s':>8} {'max s':>8} {'peak MB':>8}")
    for name, values in times.items():
        print(f"{name:<10} {statistics.median(values):>9.3f} {min(values):>8.3f} "
              f"{max(values):>8.3f} {memory[name]:>8.1f}")
    ratio = statistics.median(times["networkx"]) / statistics.median(times["tocsin"])
    print(f"networkx / tocsin: {ratio:.1f}x the time; same components: {'yes' if same else 'NO'}")
    print(f"components: {len(np.unique(results['tocsin'])):,}")

    if args.only_tocsin:
        n, groups, members = make_inputs(args.only_tocsin, seed=2)
        started = time.perf_counter()
        roots = with_tocsin(n, groups, members)
        elapsed = time.perf_counter() - started
        print(f"tocsin alone: {len(groups):,} inputs over {n:,} addresses in {elapsed:.2f} s "
              f"({len(np.unique(roots)):,} components)")

    if args.end_to_end:
        with tempfile.TemporaryDirectory() as folder:
            count = write_utxo(Path(folder), args.end_to_end)
            started = time.perf_counter()
            result = cluster(open_utxo(Path(folder)))
            print(f"whole clustering from Parquet (DuckDB reads, CoinJoin check, union-find, "
                  f"ids, figures): {count:,} inputs, {result.addresses.num_rows:,} addresses, "
                  f"{result.clusters.num_rows:,} clusters in {time.perf_counter() - started:.1f} s;"
                  f" process peak RSS so far {peak_rss_mb():,.0f} MB")

    with tempfile.TemporaryDirectory() as folder:
        chain = generate(Path(folder), ChainConfig(transactions=args.quality_transactions))
        model = open_utxo(Path(folder))
        print(f"generated chain: {args.quality_transactions:,} transactions, "
              f"{len(chain.owners):,} addresses of {len(set(chain.owners.values()))} wallets, "
              f"{len(chain.coinjoin_txids)} CoinJoins")
        truth = set(chain.coinjoin_txids)
        for label, config in (("CoinJoins left out", ClusterConfig()),
                              ("CoinJoins joined", ClusterConfig(exclude_coinjoins=False))):
            started = time.perf_counter()
            result = cluster(model, config)
            elapsed = time.perf_counter() - started
            found = set(result.coinjoins.column("txid").to_pylist())
            every = quality(result, chain.owners)
            spent = quality(result, chain.owners, chain.spenders)
            print(f"{label:<19} precision {every.precision:.3f} recall {every.recall:.4f} "
                  f"(addresses that spent: precision {spent.precision:.3f} recall "
                  f"{spent.recall:.4f}); {every.clusters:,} clusters; CoinJoins found "
                  f"{len(found & truth)} of {len(truth)}, {len(found - truth)} wrongly; "
                  f"whole clustering {elapsed:.2f} s")


if __name__ == "__main__":
    main()

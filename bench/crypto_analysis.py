"""Benchmark: change-address heuristics (quality and cost) and clustering on Spark.

**Change heuristics.** A generated chain with known owners
(:mod:`tocsin.money.crypto.generate`, with wallets of mixed script types,
payees that reuse an address and round payments switched on) is clustered by
the multi-input heuristic alone (the baseline) and with each change heuristic
and with all of them, in alternating order for ``--rounds`` rounds. For each
the script prints the pairwise precision and recall over all addresses, the
number of clusters, the change links and how many of them join two addresses
of one owner (link precision), the median time and its ratio to the baseline,
and the peak of Python and numpy memory under ``tracemalloc`` (DuckDB's own
memory is not seen by it).

**Spark.** ``--spark N`` clusters a generated chain of N transactions on Spark
(local mode) and on the embedded engine in alternating order, checks that the
tables are identical and prints both medians and their ratio. Spark's memory
is in its JVM, so the peak printed is the driver's Python memory only.

    .venv/bin/python bench/crypto_analysis.py --transactions 20000 --rounds 3 --spark 2000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tocsin.money.crypto.change import HEURISTICS
from tocsin.money.crypto.cluster import ClusterConfig, Clustering, cluster
from tocsin.money.crypto.generate import SCRIPT_MIX, Chain, ChainConfig, generate, quality
from tocsin.money.crypto.utxo import open_utxo

#: What the chain for the change heuristics has switched on.
REALISTIC = {"script_types": SCRIPT_MIX, "payee_reuse_share": 0.3, "round_payment_share": 0.4}


def variants() -> dict[str, tuple[str, ...]]:
    """The baseline (no change heuristic), each heuristic alone, then all of them."""
    return {"multi-input only": (), **{name: (name,) for name in HEURISTICS},
            "all three": tuple(HEURISTICS)}


def peak_mb(run: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def figures(result: Clustering, chain: Chain) -> dict[str, Any]:
    q = quality(result, chain.owners)
    links = result.change_links.to_pylist()
    right = sum(chain.owners[r["change_address"]] == chain.owners[r["input_address"]]
                for r in links)
    return {"precision": q.precision, "recall": q.recall, "clusters": q.clusters,
            "links": len(links), "right": right}


def change_benchmark(chain: Chain, rounds: int) -> list[str]:
    model = open_utxo(chain.folder)
    names = variants()
    times: dict[str, list[float]] = {name: [] for name in names}
    results: dict[str, Clustering] = {}
    for round_no in range(rounds):
        order = list(names) if round_no % 2 == 0 else list(reversed(names))
        for name in order:
            start = time.perf_counter()
            results[name] = cluster(model, ClusterConfig(change_heuristics=names[name]))
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["multi-input only"])
    lines = [f"{'heuristics':<17} {'precision':>9} {'recall':>8} {'clusters':>8} "
             f"{'links':>6} {'right':>6} {'median s':>8} {'ratio':>6} {'peak MB':>8}"]
    for name, asked in names.items():
        f = figures(results[name], chain)
        median = statistics.median(times[name])
        peak = peak_mb(lambda asked=asked: cluster(model, ClusterConfig(
            change_heuristics=asked)))
        lines.append(f"{name:<17} {f['precision']:>9.4f} {f['recall']:>8.4f} "
                     f"{f['clusters']:>8,} {f['links']:>6,} {f['right']:>6,} {median:>8.2f} "
                     f"{median / base:>5.2f}x {peak:>8.1f}")
    return lines


def spark_benchmark(transactions: int, rounds: int, folder: Path) -> list[str]:
    from tocsin.money.crypto.spark_cluster import cluster_spark
    from tocsin.money.engines.spark import spark_session

    chain = generate(folder / "spark", ChainConfig(wallets=100, transactions=transactions,
                                                   seed=9))
    model = open_utxo(chain.folder)
    spark = spark_session("local[2]", shuffle_partitions=2)
    spark.sparkContext.setLogLevel("ERROR")
    runs: dict[str, Callable[[], Clustering]] = {
        "embedded": lambda: cluster(model), "spark": lambda: cluster_spark(model, spark=spark)}
    times: dict[str, list[float]] = {name: [] for name in runs}
    answers: dict[str, Clustering] = {}
    try:
        for round_no in range(rounds):
            for name in (runs if round_no % 2 == 0 else reversed(list(runs))):
                start = time.perf_counter()
                answers[name] = runs[name]()
                times[name].append(time.perf_counter() - start)
        peaks = {name: peak_mb(run) for name, run in runs.items()}
    finally:
        spark.stop()
    a, b = answers["embedded"], answers["spark"]
    same = (a.addresses.equals(b.addresses) and a.clusters.equals(b.clusters)
            and a.coinjoins.equals(b.coinjoins))
    lines = [f"clustering {transactions:,} generated transactions "
             f"({a.addresses.num_rows:,} addresses), {rounds} interleaved rounds",
             f"{'engine':<9} {'median s':>8} {'min s':>8} {'max s':>8} {'peak MB':>8}"]
    for name in runs:
        lines.append(f"{name:<9} {statistics.median(times[name]):>8.2f} "
                     f"{min(times[name]):>8.2f} {max(times[name]):>8.2f} {peaks[name]:>8.1f}")
    ratio = statistics.median(times["spark"]) / statistics.median(times["embedded"])
    lines.append(f"spark / embedded: {ratio:.1f}x the time; identical tables: "
                 f"{'yes' if same else 'NO'}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wallets", type=int, default=200)
    parser.add_argument("--transactions", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--spark", type=int, default=0, metavar="N",
                        help="also compare Spark with the embedded engine on N transactions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        chain = generate(Path(temp) / "chain", ChainConfig(
            wallets=args.wallets, transactions=args.transactions, **REALISTIC))
        print(f"change heuristics on a generated chain: {args.wallets} wallets, "
              f"{args.transactions:,} transactions, script types "
              f"{', '.join(k for k, _ in SCRIPT_MIX)}, 30 % reused payee addresses, 40 % round "
              f"payments; {args.rounds} interleaved rounds")
        for line in change_benchmark(chain, args.rounds):
            print(line)
        if args.spark:
            for line in spark_benchmark(args.spark, args.rounds, Path(temp)):
                print(line)


if __name__ == "__main__":
    main()

"""Benchmark: a 6-hop FIFO trace on a large synthetic graph vs a naive Python BFS.

The graph is loaded once (timed separately); then Tocsin traces from a set of
seed transactions (each laundering pattern's first payment plus random ones)
and a naive breadth-first search does the same hops by scanning the list of
payments at every hop. Both run in this process, on the same seeds.

    .venv/bin/python bench/money_trace.py
    .venv/bin/python bench/money_trace.py --transactions 200000 --accounts 20000
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import tempfile
import time
from pathlib import Path
from typing import Any


def naive_bfs(rows: list[tuple[str, int, str, str, float]], seed: str, hops: int,
              width: int) -> int:
    """Follow every later payment out of each reached account, scanning all rows per hop."""
    by_id = {r[0]: r for r in rows}
    _, t0, _, target, _ = by_id[seed]
    frontier = {(target, t0)}
    reached = 0
    for _ in range(hops - 1):
        nxt = set()
        for txn_id, t, source, dst, _amount in rows:
            for account, arrived in frontier:
                if source == account and arrived <= t <= arrived + width and txn_id != seed:
                    nxt.add((dst, t))
        reached += len(nxt)
        frontier = nxt
        if not frontier or len(frontier) > 2_000:
            break
    return reached


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=5_000_000)
    parser.add_argument("--accounts", type=int, default=500_000)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--baseline-seeds", type=int, default=3)
    parser.add_argument("--hops", type=int, default=6)
    args = parser.parse_args(argv)

    import duckdb

    from tocsin.money.engines.embedded import EmbeddedEngine
    from tocsin.money.synthetic import SyntheticConfig, write
    from tocsin.money.trace import TraceConfig, trace

    cfg = TraceConfig(rule="fifo", hops=args.hops)
    with tempfile.TemporaryDirectory(prefix="tocsin-bench-") as tmp:
        set_dir = write(SyntheticConfig(accounts=args.accounts, transactions=args.transactions,
                                        patterns=max(2, min(200, args.transactions // 25_000))),
                        Path(tmp) / "set")
        started = time.perf_counter()
        engine = EmbeddedEngine(set_dir)
        engine.graph  # noqa: B018 - build the in-memory graph once, outside the timing
        load = time.perf_counter() - started
        path = str(set_dir / "transactions.parquet")
        labelled = [r[0] for r in duckdb.sql(
            f"SELECT min(txn_id) FROM '{path}' WHERE label GROUP BY label_pattern ORDER BY 1"
        ).fetchall()]
        rng = random.Random(1)
        total = engine.graph.size
        randoms = [engine.graph.txn_ids[rng.randrange(total)].as_py()
                   for _ in range(max(0, args.seeds - len(labelled)))]
        seeds = (labelled + randoms)[: args.seeds]
        times, nodes = [], []
        for seed in seeds:
            t = time.perf_counter()
            result = trace(engine, transactions=[seed], config=cfg)
            times.append(time.perf_counter() - t)
            nodes.append(result.nodes)
        rows = list(zip(*(engine.fetch("SELECT txn_id, t, source, target, amount FROM txn")[c]
                          .tolist() for c in ("txn_id", "t", "source", "target", "amount")),
                        strict=True))
        base_times = []
        width = int(cfg.window_hours * 3600)
        for seed in seeds[: args.baseline_seeds]:
            t = time.perf_counter()
            naive_bfs(rows, seed, args.hops, width)
            base_times.append(time.perf_counter() - t)
        engine.close()
    ours = sum(times[: args.baseline_seeds]) / max(1, min(len(times), args.baseline_seeds))
    theirs = sum(base_times) / max(1, len(base_times))
    result_json = {
        "transactions": args.transactions,
        "graph_load_seconds": round(load, 2),
        "trace_median_seconds": round(sorted(times)[len(times) // 2], 4),
        "trace_max_seconds": round(max(times), 4),
        "trace_nodes_max": max(nodes),
        "baseline_seconds": round(theirs, 3),
        "speedup": round(theirs / ours, 1) if ours else None,
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(f"{args.hops}-hop FIFO trace on {args.transactions:,} transactions (graph loaded in "
          f"{load:.1f} s): median {result_json['trace_median_seconds']} s, max "
          f"{result_json['trace_max_seconds']} s over {len(seeds)} seeds")
    print(f"Naive Python BFS: {result_json['baseline_seconds']} s per trace -> speed-up "
          f"{result_json['speedup']}x; peak {result_json['peak_mib']} MiB")
    print(json.dumps(result_json))
    return result_json


if __name__ == "__main__":
    main()

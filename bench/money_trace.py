"""Benchmark: FIFO traces and the two-hop graph view over the set index, against plain Python.

One synthetic set (default 5,000,000 payments among 500,000 accounts). Both
sides build their index once, outside the per-trace timing, and both build
times are printed:

* **Tocsin**: :func:`tocsin.money.index.open_index` (the persisted index with
  the FIFO matching of every account), then :func:`tocsin.money.trace.trace`,
  which finds the payment, walks the flow tree into arrays and sums the end
  points (a tree of one node is answered from a few numbers of the index); timed
  alone, and again with every Python object of the answer built (the tree,
  ``result.roots``, and the end points, ``result.end_points``; explanations are
  formatted only when read, on neither side timed).
* **Baseline**: a competent plain-Python FIFO trace. Its index is a dict from
  account to its payments in and out merged in time order (incoming first at
  the same second, ties by transaction id, transfers to oneself left out) and a
  dict from transaction id to payment. At each account it replays the FIFO
  queue only until the traced lot is spent or the window has passed. Same
  limits as Tocsin: hops, window, minimum amount, node budget, cycles and end
  points (cash, foreign, crypto, merchant accounts).

Seeds: laundering starts (the first labelled payment out of each account that
sends laundered money without receiving any, up to half the seeds) and random
payments (``--seeds`` in total, at least 50). For each seed both sides run ``--repeat`` times, in
alternating order; a seed's time is its median. The script prints the median
and 95th percentile over seeds for both sides and their ratios, checks that both
found the same accounts and amounts, and prints peak memory.

The graph view: what the graph API sends for two hops around accounts (those of
the seeds), :func:`tocsin.money.views.neighbourhood_json` (the nodes and edges
found and written as JSON), against a plain-Python two-hop walk over the
baseline's adjacency that aggregates the same edges (left as Python objects).

    .venv/bin/python bench/money_trace.py
    .venv/bin/python bench/money_trace.py --transactions 200000 --accounts 20000 --seeds 50
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

END_KINDS = {"cash", "foreign", "crypto", "merchant"}

Event = tuple[int, int, str, str, float]  # (t, 0 in / 1 out, txn_id, counterparty, amount)


class Adjacency:
    """The baseline's index: per account its payments merged in time order."""

    def __init__(self, rows: dict[str, list[Any]], kinds: dict[str, str]) -> None:
        self.kinds = kinds
        self.events: dict[str, list[Event]] = {}
        self.payments: dict[str, tuple[int, str, str, float]] = {}
        for txn, t, src, dst, amount in zip(rows["txn_id"], rows["t"], rows["source"],
                                            rows["target"], rows["amount"], strict=True):
            self.payments[txn] = (t, src, dst, amount)
            if src == dst:
                continue
            self.events.setdefault(src, []).append((t, 1, txn, dst, amount))
            self.events.setdefault(dst, []).append((t, 0, txn, src, amount))
        for events in self.events.values():
            events.sort()

    def spent(self, account: str, lot: str, until: int) -> list[tuple[str, str, int, float]]:
        """FIFO: the payments out of ``account`` that spent incoming payment ``lot``."""
        queue: deque[list[Any]] = deque()
        out: list[tuple[str, str, int, float]] = []
        for t, side, txn, other, amount in self.events.get(account, ()):
            if side == 0:
                queue.append([txn, amount])
                continue
            if t > until:
                break
            need = amount
            while need > 1e-9 and queue:
                head = queue[0]
                take = min(need, head[1])
                if head[0] == lot:
                    out.append((txn, other, t, take))
                head[1] -= take
                need -= take
                if head[1] <= 1e-9:
                    queue.popleft()
                    if head[0] == lot:
                        return out
        return out


def baseline_trace(adj: Adjacency, seed: str, hops: int, width: int, min_amount: float,
                   max_nodes: int) -> list[tuple[str, int, float]]:
    """Forward FIFO from a payment; the (account, hop, amount) of every node reached."""
    t0, _src, dst, amount = adj.payments[seed]
    nodes = [(dst, 1, amount)]
    queue: deque[tuple[str, str, int, int, float, frozenset[str]]] = deque(
        [(dst, seed, t0, 1, amount, frozenset())])
    count = 1
    while queue:
        account, txn, t, hop, amt, path = queue.popleft()
        if account in path or adj.kinds.get(account, "unknown") in END_KINDS or hop >= hops:
            continue
        arrived = adj.payments[txn][3]
        traced = min(1.0, amt / arrived) if arrived > 0 else 0.0
        for out_txn, other, t_out, share in adj.spent(account, txn, t + width):
            part = share * traced
            if part <= 0 or part < min_amount:
                continue
            if count >= max_nodes:
                return nodes
            nodes.append((other, hop + 1, part))
            count += 1
            queue.append((other, out_txn, t_out, hop + 1, part, path | {account}))
    return nodes


def baseline_two_hops(adj: Adjacency, start: str, max_edges: int) -> dict[tuple[str, str], list[
        float]]:
    """Aggregated edges (payments, total) two hops around ``start``, heaviest first per hop."""
    edges: dict[tuple[str, str], list[float]] = {}
    seen = {start}
    frontier = [start]
    for _hop in range(2):
        found: dict[tuple[str, str], list[float]] = {}
        counted: set[str] = set()  # a payment between two frontier accounts is seen twice
        for account in frontier:
            for _t, side, txn, other, amount in adj.events.get(account, ()):
                key = (account, other) if side == 1 else (other, account)
                if key in edges or txn in counted:
                    continue
                counted.add(txn)
                entry = found.get(key)
                if entry is None:
                    found[key] = [1, amount]
                else:
                    entry[0] += 1
                    entry[1] += amount
        ranked = sorted(found.items(), key=lambda kv: (-kv[1][1], kv[0]))
        budget = max(0, max_edges - len(edges))
        cut = len(ranked) > budget
        ranked = ranked[:budget]
        nxt = []
        for key, entry in ranked:
            edges[key] = entry
            for end in key:
                if end not in seen:
                    seen.add(end)
                    nxt.append(end)
        frontier = nxt
        if cut:
            break
    return edges


def _tree(node: Any, out: list[tuple[str, int, float]]) -> None:
    if node.txn_id is not None:
        out.append((node.account, node.hop, node.amount))
    for child in node.children:
        _tree(child, out)


def _same(ours: list[tuple[str, int, float]], theirs: list[tuple[str, int, float]]) -> bool:
    def key(items: list[tuple[str, int, float]]) -> list[tuple[str, int, float]]:
        return sorted((a, h, round(x, 2)) for a, h, x in items)

    return key(ours) == key(theirs)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--transactions", type=int, default=5_000_000)
    parser.add_argument("--accounts", type=int, default=500_000)
    parser.add_argument("--seeds", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--hops", type=int, default=6)
    parser.add_argument("--set", type=Path, default=None,
                        help="an existing set folder instead of a generated one")
    args = parser.parse_args(argv)
    if args.seeds < 50:
        parser.error("use at least 50 seeds")

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from tocsin.money.index import INDEX_DIR, open_index
    from tocsin.money.synthetic import SyntheticConfig, write
    from tocsin.money.trace import TraceConfig, trace
    from tocsin.money.views import neighbourhood_json

    cfg = TraceConfig(rule="fifo", hops=args.hops)
    width = int(cfg.window_hours * 3600)
    with tempfile.TemporaryDirectory(prefix="tocsin-bench-") as tmp:
        if args.set is None:
            started = time.perf_counter()
            set_dir = write(SyntheticConfig(
                accounts=args.accounts, transactions=args.transactions,
                patterns=max(2, min(200, args.transactions // 25_000))), Path(tmp) / "set")
            print(f"set written in {time.perf_counter() - started:.1f} s")
        else:
            set_dir = args.set
            import shutil

            shutil.rmtree(set_dir / INDEX_DIR, ignore_errors=True)

        started = time.perf_counter()
        index = open_index(set_dir)
        index.matching("fifo")
        ours_build = time.perf_counter() - started

        started = time.perf_counter()
        table = pq.read_table(set_dir / "transactions.parquet",
                              columns=["txn_id", "ts", "source", "target", "amount", "label",
                                       "label_pattern"])
        seconds = pc.divide(pc.cast(pc.cast(table.column("ts"), "int64"), "int64"), 1_000_000)
        rows = {"txn_id": table.column("txn_id").to_pylist(), "t": seconds.to_pylist(),
                "source": table.column("source").to_pylist(),
                "target": table.column("target").to_pylist(),
                "amount": table.column("amount").to_pylist()}
        accounts = pq.read_table(set_dir / "accounts.parquet", columns=["account_id", "kind"])
        kinds = dict(zip(accounts.column("account_id").to_pylist(),
                         accounts.column("kind").to_pylist(), strict=True))
        adj = Adjacency(rows, kinds)
        theirs_build = time.perf_counter() - started

        # Laundering starts: labelled payments out of accounts that receive no labelled
        # payment (where laundered money first moves), one per account.
        labelled = table.filter(pc.fill_null(table.column("label"), False))
        receivers = set(labelled.column("target").to_pylist())
        firsts: dict[str, str] = {}
        for txn, source in zip(labelled.column("txn_id").to_pylist(),
                               labelled.column("source").to_pylist(), strict=True):
            if source not in receivers:
                firsts[source] = min(firsts.get(source, txn), txn)
        rng = random.Random(1)
        starts = sorted(firsts.values())
        rng.shuffle(starts)
        starts = starts[: args.seeds // 2]
        randoms = rng.sample(rows["txn_id"], args.seeds - len(starts))
        seeds = starts + randoms
        del table, labelled, rows

        source = _Source(index)
        ours_t: list[float] = []
        tree_t: list[float] = []
        theirs_t: list[float] = []
        nodes: list[int] = []
        agree = 0
        for k, seed in enumerate(seeds):
            mine: list[float] = []
            tree: list[float] = []
            base: list[float] = []
            for r in range(args.repeat):
                order = (0, 1, 2) if (k + r) % 2 == 0 else (2, 1, 0)
                for side in order:
                    if side == 0:
                        t = time.perf_counter()
                        result = trace(source, transactions=[seed], config=cfg)
                        mine.append(time.perf_counter() - t)
                    elif side == 1:
                        t = time.perf_counter()
                        built = trace(source, transactions=[seed], config=cfg)
                        built.roots  # noqa: B018 - the tree's Python objects
                        built.end_points  # noqa: B018 - and the end points'
                        tree.append(time.perf_counter() - t)
                    else:
                        t = time.perf_counter()
                        reached = baseline_trace(adj, seed, cfg.hops, width, cfg.min_amount,
                                                 cfg.max_nodes)
                        base.append(time.perf_counter() - t)
            ours_t.append(statistics.median(mine))
            tree_t.append(statistics.median(tree))
            theirs_t.append(statistics.median(base))
            nodes.append(result.nodes)
            flat: list[tuple[str, int, float]] = []
            for root in result.roots:
                _tree(root, flat)
            agree += _same(flat, reached)

        starts_accounts = [index.account(int(index.dst[index.row(s)])) for s in seeds]
        g_ours: list[float] = []
        g_theirs: list[float] = []
        edges: list[int] = []
        for k, account in enumerate(starts_accounts):
            mine, base = [], []
            for r in range(args.repeat):
                for side in (0, 1) if (k + r) % 2 == 0 else (1, 0):
                    t = time.perf_counter()
                    if side == 0:
                        graph = neighbourhood_json(set_dir, [account], hops=2)
                        mine.append(time.perf_counter() - t)
                    else:
                        baseline_two_hops(adj, account, 400)
                        base.append(time.perf_counter() - t)
            g_ours.append(statistics.median(mine))
            g_theirs.append(statistics.median(base))
            edges.append(len(json.loads(graph)["edges"]))

    out = {
        "transactions": index.size,
        "seeds": len(seeds),
        "laundering_starts": len(starts),
        "repeat": args.repeat,
        "index_build_seconds": round(ours_build, 2),
        "baseline_index_build_seconds": round(theirs_build, 2),
        "trace_median_ms": round(1000 * statistics.median(ours_t), 3),
        "trace_p95_ms": round(1000 * _p95(ours_t), 3),
        "with_tree_median_ms": round(1000 * statistics.median(tree_t), 3),
        "with_tree_p95_ms": round(1000 * _p95(tree_t), 3),
        "baseline_median_ms": round(1000 * statistics.median(theirs_t), 3),
        "baseline_p95_ms": round(1000 * _p95(theirs_t), 3),
        "nodes_median": statistics.median(nodes),
        "nodes_max": max(nodes),
        "same_nodes": f"{agree}/{len(seeds)}",
        "graph_two_hops_median_ms": round(1000 * statistics.median(g_ours), 3),
        "graph_two_hops_p95_ms": round(1000 * _p95(g_ours), 3),
        "graph_baseline_median_ms": round(1000 * statistics.median(g_theirs), 3),
        "graph_baseline_p95_ms": round(1000 * _p95(g_theirs), 3),
        "graph_edges_max": max(edges),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    out["trace_ratio_median"] = round(out["baseline_median_ms"] / out["trace_median_ms"], 2)
    out["trace_ratio_p95"] = round(out["baseline_p95_ms"] / out["trace_p95_ms"], 2)
    out["with_tree_ratio_median"] = round(out["baseline_median_ms"] / out["with_tree_median_ms"],
                                          2)
    out["with_tree_ratio_p95"] = round(out["baseline_p95_ms"] / out["with_tree_p95_ms"], 2)
    print(f"{args.hops}-hop forward FIFO traces on {index.size:,} payments, {len(seeds)} seeds "
          f"({len(starts)} laundering starts), each side {args.repeat}x per seed, interleaved")
    print(f"index built once: Tocsin {ours_build:.1f} s (persisted), plain-Python adjacency "
          f"{theirs_build:.1f} s (in memory)")
    print(f"Tocsin   trace: median {out['trace_median_ms']} ms, p95 {out['trace_p95_ms']} ms "
          f"(nodes: median {out['nodes_median']}, max {out['nodes_max']})")
    print(f"Tocsin   trace with its tree and end points as Python objects: median "
          f"{out['with_tree_median_ms']} ms, p95 {out['with_tree_p95_ms']} ms")
    print(f"baseline trace: median {out['baseline_median_ms']} ms, p95 "
          f"{out['baseline_p95_ms']} ms")
    print(f"baseline/Tocsin: {out['trace_ratio_median']}x at the median, "
          f"{out['trace_ratio_p95']}x at p95 (with the tree: {out['with_tree_ratio_median']}x, "
          f"{out['with_tree_ratio_p95']}x); same accounts and amounts: {out['same_nodes']}")
    print(f"graph API answer (JSON), two hops: Tocsin median "
          f"{out['graph_two_hops_median_ms']} ms, p95 {out['graph_two_hops_p95_ms']} ms; "
          f"plain Python median "
          f"{out['graph_baseline_median_ms']} ms, p95 {out['graph_baseline_p95_ms']} ms "
          f"(up to {out['graph_edges_max']} edges)")
    print(f"peak RSS {out['peak_rss_mib']} MiB")
    print(json.dumps(out))
    return out


class _Source:
    """What :func:`trace` reads: the opened index."""

    def __init__(self, index: Any) -> None:
        self.index = index

    def trace_index(self) -> Any:
        return self.index

    def ledgers(self, accounts: Any) -> Any:
        return self.index.ledgers(accounts)


if __name__ == "__main__":
    main()

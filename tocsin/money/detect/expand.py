"""Two implementations of a :class:`~tocsin.money.detect.base.Paths` step.

:func:`sql_steps` grows paths one hop per engine-neutral SQL join (Spark, and
any engine without a native implementation). :func:`expand` does the same in
memory with numpy for the embedded engine: the edges are sorted once by
(account, time), so the continuations of every open path are one contiguous
slice found by binary search, and each hop is a handful of vectorised array
operations instead of a join. The engines-agree test holds both to the same
rows.
"""
# ruff: noqa: S608 -- SQL is assembled from typed configs; literals go through repr.

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import pyarrow as pa
import pyarrow.compute as pc

from tocsin.money.detect.base import PATH_COLUMNS, PathConfig, Paths, Sql

HOUR = 3600
#: Bucket offsets joined per hop: a continuation within ``hop_hours`` falls in
#: the previous payment's time bucket or the next one.
OFFSETS = "(SELECT 0 AS k UNION ALL SELECT 1 AS k)"


def expansion_steps(prefix: str, edges: str, cfg: PathConfig) -> list[Sql]:
    """``{prefix}_1`` … ``{prefix}_{max_hops}``: all paths of 1 … max_hops hops."""
    width = int(cfg.hop_hours * HOUR)
    total = int(cfg.window_hours * HOUR)
    steps = [
        Sql(
            f"{prefix}_1",
            "SELECT txn_id AS first_txn, source AS origin, target AS node, t AS t0, "
            "t AS t_last, amount AS a0, amount AS amt_last, "
            "'|' || source || '|' || target || '|' AS nodes, "
            f"txn_id AS txns, 1 AS hops FROM {edges}",
        )
    ]
    for k in range(2, cfg.max_hops + 1):
        prev = f"{prefix}_{k - 1}"
        steps.append(
            Sql(
                f"{prefix}_{k}",
                "SELECT p.first_txn, p.origin, e.target AS node, p.t0, e.t AS t_last, "
                "p.a0, e.amount AS amt_last, p.nodes || e.target || '|' AS nodes, "
                "p.txns || ',' || e.txn_id AS txns, p.hops + 1 AS hops "
                f"FROM (SELECT q.*, CAST(FLOOR(q.t_last / {width}.0) AS BIGINT) + o.k AS jb "
                f"FROM (SELECT * FROM {prev} WHERE node <> origin) q CROSS JOIN {OFFSETS} o) p "
                f"JOIN {edges} e ON p.node = e.source AND p.jb = e.b "
                f"WHERE e.t >= p.t_last AND e.t <= p.t_last + {width} "
                f"AND e.t <= p.t0 + {total} "
                f"AND e.amount >= p.amt_last * {cfg.min_share!r} "
                f"AND e.amount <= p.amt_last * {cfg.max_growth!r} "
                "AND (e.target = p.origin OR instr(p.nodes, '|' || e.target || '|') = 0)",
            )
        )
    return steps


def sql_steps(step: Paths) -> list[Sql]:
    """The step as SQL: the edges, one join per hop, and the union of the kept paths."""
    edges = f"{step.name}_edges"
    prefix = f"{step.name}_p"
    end = "node = origin" if step.closed else "node <> origin"
    first = max(2, step.min_hops) if step.closed else step.min_hops
    columns = ", ".join(PATH_COLUMNS)
    union = " UNION ALL ".join(
        f"SELECT {columns} FROM {prefix}_{k} WHERE {end}"
        for k in range(first, step.config.max_hops + 1)
    )
    return [Sql(edges, step.edges), *expansion_steps(prefix, edges, step.config),
            Sql(step.name, union)]


@dataclass(frozen=True)
class EdgeIndex:
    """Edges sorted by (source code, time) with a search key per edge."""

    txn_ids: pa.Array  # in sorted order
    accounts: np.ndarray  # object, account id per code
    src: np.ndarray
    dst: np.ndarray
    t: np.ndarray
    amount: np.ndarray
    key: np.ndarray  # src * span + (t - t_min), ascending
    t_min: int
    span: int


def index_edges(edges: pa.Table) -> EdgeIndex:
    """Sort the edges once; every path step over the same edges reuses the index."""
    n = edges.num_rows
    both = pa.concat_arrays([edges.column("source").combine_chunks(),
                             edges.column("target").combine_chunks()])
    encoded = pc.dictionary_encode(both.cast(pa.string()))
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    src, dst = codes[:n], codes[n:]
    t = np.asarray(edges.column("t").to_numpy(), dtype=np.int64)
    order = np.lexsort((np.arange(n), t, src))
    t_min = int(t.min()) if n else 0
    span = int(t.max()) - t_min + 1 if n else 1
    return EdgeIndex(
        txn_ids=edges.column("txn_id").combine_chunks().cast(pa.string()).take(
            pa.array(order)),
        accounts=np.asarray(encoded.dictionary.to_pylist(), dtype=object),
        src=src[order], dst=dst[order], t=t[order],
        amount=np.asarray(edges.column("amount").to_numpy(), dtype=np.float64)[order],
        key=src[order] * span + (t[order] - t_min),
        t_min=t_min, span=span,
    )


def expand(index: EdgeIndex, step: Paths) -> pd.DataFrame:
    """The rows :func:`sql_steps` gives, computed with numpy."""
    cfg = step.config
    width = int(cfg.hop_hours * HOUR)
    total = int(cfg.window_hours * HOUR)
    first = max(2, step.min_hops) if step.closed else step.min_hops
    n = len(index.t)
    # One row per path: the edge of every hop and the accounts visited.
    hops = np.arange(n, dtype=np.int64)[:, None]
    nodes = np.stack([index.src, index.dst], axis=1)
    kept: list[tuple[np.ndarray, np.ndarray]] = []
    for k in range(1, cfg.max_hops + 1):
        if k > 1:
            hops, nodes = _grow(index, hops, nodes, width, total, cfg)
        if k >= first and len(hops):
            end = nodes[:, -1] == nodes[:, 0]
            keep = end if step.closed else ~end
            kept.append((hops[keep], nodes[keep]))
        if not len(hops):
            break
    return _rows(index, kept)


def _grow(index: EdgeIndex, hops: np.ndarray, nodes: np.ndarray, width: int, total: int,
          cfg: PathConfig) -> tuple[np.ndarray, np.ndarray]:
    """Every allowed one-payment continuation of the paths not yet back at their origin."""
    open_ = nodes[:, -1] != nodes[:, 0]
    hops, nodes = hops[open_], nodes[open_]
    last = hops[:, -1]
    t_last, t0 = index.t[last], index.t[hops[:, 0]]
    node = nodes[:, -1]
    # Clipped to the last time in the index, so a key never reaches the next account.
    until = np.minimum(np.minimum(t_last + width, t0 + total), index.t_min + index.span - 1)
    lo = np.searchsorted(index.key, node * index.span + (t_last - index.t_min), "left")
    hi = np.searchsorted(index.key, node * index.span + (until - index.t_min), "right")
    counts = np.maximum(hi - lo, 0)
    path = np.repeat(np.arange(len(hops)), counts)
    starts = np.repeat(lo - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    edge = starts + np.arange(len(path))
    amount, previous = index.amount[edge], index.amount[last][path]
    target = index.dst[edge]
    ok = (amount >= previous * cfg.min_share) & (amount <= previous * cfg.max_growth)
    seen = (nodes[path] == target[:, None]).any(axis=1)
    ok &= (target == nodes[path, 0]) | ~seen
    path, edge, target = path[ok], edge[ok], target[ok]
    return (np.concatenate([hops[path], edge[:, None]], axis=1),
            np.concatenate([nodes[path], target[:, None]], axis=1))


def _rows(index: EdgeIndex, kept: list[tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    columns: dict[str, list[object]] = {c: [] for c in PATH_COLUMNS}
    for hops, nodes in kept:
        names = index.accounts[nodes]
        ids = np.asarray(index.txn_ids.take(pa.array(hops.ravel())).to_pylist(),
                         dtype=object).reshape(hops.shape)
        columns["first_txn"] += ids[:, 0].tolist()
        columns["origin"] += names[:, 0].tolist()
        columns["node"] += names[:, -1].tolist()
        columns["t0"] += index.t[hops[:, 0]].tolist()
        columns["t_last"] += index.t[hops[:, -1]].tolist()
        columns["a0"] += index.amount[hops[:, 0]].tolist()
        columns["amt_last"] += index.amount[hops[:, -1]].tolist()
        columns["nodes"] += ["|" + "|".join(r) + "|" for r in names.tolist()]
        columns["txns"] += [",".join(r) for r in ids.tolist()]
        columns["hops"] += [hops.shape[1]] * len(hops)
    return pd.DataFrame(columns, columns=list(PATH_COLUMNS))

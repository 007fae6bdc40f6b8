"""Features on the embedded engine: the set's Parquet file read with Arrow, everything
computed with numpy and numba (the per-account kernel by blocks of accounts, cycles and
scatter-gather walked over path edges sorted once)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tocsin.money.features import kernels
from tocsin.money.features.base import (
    CHANNELS,
    DEFAULT,
    HOUR,
    FeatureConfig,
    SideInput,
    _codes,
    cash_flags,
    cycle_path_config,
    feature_names,
    side_blocks,
    side_names,
    sorted_side_features,
    thresholds,
)

if TYPE_CHECKING:
    from tocsin.money.engines.embedded import EmbeddedEngine


#: Rows gathered at a time into a feature matrix (:meth:`FeatureTable.matrix`).
MATRIX_BLOCK = 65_536


class FeatureTable:
    """Feature columns for every transaction of a set, in the set's file order."""

    def __init__(self, txn_id: pa.Array, columns: dict[str, np.ndarray],
                 data: np.ndarray | None = None) -> None:
        self.txn_id = txn_id
        #: name -> values; with ``data``, the columns are views of it
        self.columns = columns
        #: one row per transaction, one column per feature (``columns`` in order)
        self.data = data

    def __len__(self) -> int:
        return len(self.txn_id)

    @classmethod
    def of_matrix(cls, txn_id: pa.Array, names: Sequence[str], data: np.ndarray
                  ) -> FeatureTable:
        """A table over one row-major matrix (a transaction's features side by side)."""
        return cls(txn_id, {name: data[:, j] for j, name in enumerate(names)}, data)

    def take(self, rows: np.ndarray) -> FeatureTable:
        """The table of ``rows`` (positions), in their order."""
        return FeatureTable(self.txn_id.take(pa.array(rows)),
                            {name: values[rows] for name, values in self.columns.items()})

    def matrix(self, names: Sequence[str], rows: slice | np.ndarray | None = None,
               out: np.ndarray | None = None) -> np.ndarray:
        """The named columns as one float32 matrix (rows in file order, or ``rows``),
        written into ``out`` (a row per row, a column per name) when given. Rows are
        gathered a block at a time: picked whole, the rows and then their columns would
        each be copied once more (gigabytes at 5M rows)."""
        idx = slice(None) if rows is None else rows
        size = len(range(len(self))[idx]) if isinstance(idx, slice) else len(idx)
        if out is None:
            out = np.empty((size, len(names)), dtype=np.float32)
        if self.data is None:
            for j, name in enumerate(names):
                out[:, j] = self.columns[name][idx]
            return out
        at = {name: j for j, name in enumerate(self.columns)}
        columns = [at[name] for name in names]
        positions = np.arange(*idx.indices(len(self))) if isinstance(idx, slice) else idx
        for lo in range(0, size, MATRIX_BLOCK):
            hi = min(size, lo + MATRIX_BLOCK)
            out[lo:hi] = self.data[positions[lo:hi]][:, columns]
        return out


def _np(table: pa.Table, column: str, dtype: type) -> np.ndarray:
    return np.asarray(table.column(column).to_numpy(), dtype=dtype)


def _encode(values: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Codes in the sorted order of the distinct values (matches the Spark side)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    encoded = pc.dictionary_encode(values.fill_null(""))
    names = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    order_names, remap = _codes(names)
    codes = remap[encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)]
    return order_names, codes


#: Side rows per block of the per-account kernel (its temporaries grow with a block).
SIDE_BLOCK = 1_000_000
#: Blocks computed at once.
SIDE_THREADS = 2


def give_back_freed_memory() -> None:
    """Return to the system what a computation of features freed: Arrow's pool keeps
    freed blocks for its next allocations, and glibc keeps the freed blocks of numpy's
    smaller arrays in its heaps. The large matrices that follow (the features of
    millions of rows, the training matrices) are mapped afresh and reuse neither, so
    at 5M transactions the kept blocks (about 1.6 GB) added to the peak."""
    pa.default_memory_pool().release_unused()
    if _malloc_trim is not None:
        _malloc_trim(0)


def _libc_malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` (None on other C libraries)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None
    if trim is not None:
        trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_malloc_trim = _libc_malloc_trim()


def compute(engine: EmbeddedEngine, cfg: FeatureConfig = DEFAULT,
            dtype: type = np.float64) -> FeatureTable:
    """Every feature of every transaction (see :mod:`tocsin.money.features.base`)."""
    return compute_set(engine.set_dir, cfg, dtype)


def compute_set(set_dir: Path, cfg: FeatureConfig = DEFAULT,
                dtype: type = np.float64) -> FeatureTable:
    """Every feature of every transaction of the set in ``set_dir``, in file order.

    Reads the set's Parquet file with Arrow and computes everything with numpy and
    numba: the set-wide SQL of the Spark side (hubs, path edges, the percent rank per
    currency, scatter-gather, cycles) is done on arrays sorted once. ``dtype`` float32
    halves the memory; the model reads float32 anyway.
    """
    table = pq.read_table(set_dir / "transactions.parquet", columns=[
        "txn_id", "ts", "source", "target", "amount", "amount_orig", "currency_orig",
        "channel"])
    n = table.num_rows
    t = pc.cast(table.column("ts"), pa.int64()).to_numpy() // 1_000_000
    amount = _np(table, "amount", np.float64)
    amount_orig = _np(table, "amount_orig", np.float64)
    both = pa.concat_arrays([table.column("source").combine_chunks(),
                             table.column("target").combine_chunks()])
    encoded = pc.dictionary_encode(both)
    acc = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    accounts = len(encoded.dictionary)
    del both, encoded
    src, dst = acc[:n], acc[n:]
    cur_names, cur = _encode(table.column("currency_orig"))
    chan_names, chan = _encode(table.column("channel"))
    txn_id = table.column("txn_id").combine_chunks()
    del table
    cash, near = cash_flags(chan_names, chan, cur_names, cur, amount_orig, thresholds(),
                            cfg.near_threshold)
    matrix: np.ndarray = np.full((n, len(feature_names(cfg))), np.nan, dtype=dtype)
    out = FeatureTable.of_matrix(txn_id, feature_names(cfg), matrix)
    cols = out.columns

    def put(name: str, values: np.ndarray) -> None:
        cols[name][:] = values

    put("log_amount", np.log1p(np.maximum(amount, 0)))
    put("round_amount", (amount_orig >= 100) & (np.mod(amount_orig, 100) == 0))
    self_ = src == dst
    put("self_transfer", self_)
    put("cash", cash)
    put("near_thr", near)
    lookup = {c: float(i) for i, c in enumerate(CHANNELS)}
    chan_code = np.array([lookup.get(str(c), np.nan) for c in chan_names.tolist()])
    put("channel", chan_code[chan] if n else np.zeros(0))
    put("amount_pct_cur", percent_rank(cur, amount_orig))
    del amount_orig
    # side kernel over (payment, side) rows, by blocks of whole accounts
    keep = np.flatnonzero(~self_)
    m = len(keep)
    side = SideInput(
        account=np.concatenate([src[keep], dst[keep]]),
        cp=np.concatenate([dst[keep], src[keep]]),
        dir=np.concatenate([np.ones(m, np.int64), np.zeros(m, np.int64)]),
        t=np.concatenate([t[keep], t[keep]]),
        amount=np.concatenate([amount[keep], amount[keep]]),
        currency=np.concatenate([cur[keep], cur[keep]]),
        channel=np.concatenate([chan[keep], chan[keep]]),
        cash=np.concatenate([cash[keep], cash[keep]]),
        near=np.concatenate([near[keep], near[keep]]),
    )
    del cur, chan, cash, near
    names = side_names(cfg)
    # where each side feature goes: row 0 for the payer's side, row 1 for the payee's
    at = {name: j for j, name in enumerate(cols)}
    places = np.array([[at.get(f"src_{name}", -1) for name in names],
                       [at.get(f"dst_{name}", -1) for name in names]], dtype=np.int64)
    # by (time, amount), both sides of a payment next to each other, then stably by
    # account: the order of side_order without sorting on three keys
    by_time = np.lexsort((amount[keep], t[keep]))
    order = np.stack([by_time, by_time + m], axis=1).ravel()
    del by_time
    order = order[kernels.stable_by_code(side.account[order])]

    def run(block: np.ndarray, x: SideInput = side) -> None:
        values = sorted_side_features(x.take(block), cfg)
        stacked = np.empty((len(names), len(block)))
        for j, name in enumerate(names):
            stacked[j] = values[name]
        del values
        is_dst = (block >= m).astype(np.int64)
        # a payment's two sides may be in blocks run at once: they fill different columns
        kernels.scatter_rows(matrix, keep[block - m * is_dst], is_dst, stacked, places)

    blocks = side_blocks(side, SIDE_BLOCK, order)
    if len(blocks) == 1:
        run(blocks[0])
    else:
        # blocks share nothing; numpy's sorts and the compiled loops release the GIL
        with ThreadPoolExecutor(max_workers=SIDE_THREADS) as pool:
            list(pool.map(run, blocks))
    del order, blocks
    del side
    # paths: scatter-gather and cycles over the payments between non-hub accounts
    edges = _path_edges(src, dst, t, amount, accounts, cfg)
    width = int(cfg.forward_hours * HOUR)
    sg = np.zeros(n)
    sg[edges.rows] = kernels.scatter_gather(edges.src, edges.dst, edges.t, edges.first, width)
    put("sg_mids", sg)
    pc_ = cycle_path_config(cfg)
    count, shortest = kernels.cycles(
        edges.src, edges.dst, edges.t, edges.amount, edges.first,
        int(pc_.hop_hours * HOUR), int(pc_.window_hours * HOUR), pc_.min_share,
        pc_.max_growth, pc_.max_hops)
    cycle_n, cycle_len = np.zeros(n), np.zeros(n)
    cycle_n[edges.rows] = np.minimum(count, cfg.cycle_cap)
    cycle_len[edges.rows] = shortest
    put("cycle_n", cycle_n)
    put("cycle_len", cycle_len)
    return out


def percent_rank(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """SQL's ``PERCENT_RANK() OVER (PARTITION BY group ORDER BY values)``: (rank - 1) /
    (rows in the group - 1), 0 in a group of one; equal values share the lowest rank."""
    n = len(values)
    if not n:
        return np.zeros(0)
    order = np.lexsort((values, group))
    g, v = group[order], values[order]
    new_group = np.r_[True, g[1:] != g[:-1]]
    new_value = new_group | np.r_[True, v[1:] != v[:-1]]
    pos = np.arange(n)
    group_start = np.maximum.accumulate(np.where(new_group, pos, 0))
    tie_start = np.maximum.accumulate(np.where(new_value, pos, 0))
    starts = np.flatnonzero(new_group)
    size = np.diff(np.r_[starts, n])
    rows = np.repeat(size, size)
    ranked = np.divide(tie_start - group_start, rows - 1, out=np.zeros(n),
                       where=rows > 1)
    out = np.empty(n)
    out[order] = ranked
    return out


@dataclass
class PathEdges:
    """Payments that may carry a path (see ``base.path_edges_sql``), sorted by (source,
    time, file order); ``first[a]`` … ``first[a + 1]`` are those of account ``a``."""

    rows: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    t: np.ndarray
    amount: np.ndarray
    first: np.ndarray


def _path_edges(src: np.ndarray, dst: np.ndarray, t: np.ndarray, amount: np.ndarray,
                accounts: int, cfg: FeatureConfig) -> PathEdges:
    # hubs: accounts with more distinct counterparties (either way, itself included when
    # it pays itself) than hub_counterparties
    pairs = np.sort(np.concatenate([src * accounts + dst, dst * accounts + src]))
    distinct = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]
    hub = np.bincount(distinct // accounts, minlength=accounts) > cfg.hub_counterparties
    del pairs, distinct
    ok = (src != dst) & (amount > 0) & ~hub[src] & ~hub[dst]
    rows = np.flatnonzero(ok)
    rows = rows[np.lexsort((rows, t[rows], src[rows]))]
    s = src[rows]
    return PathEdges(rows=rows, src=s, dst=dst[rows], t=t[rows], amount=amount[rows],
                     first=np.searchsorted(s, np.arange(accounts + 1), "left"))

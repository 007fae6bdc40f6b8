"""Features on the embedded engine: DuckDB for the set-wide SQL parts, numpy and numba
for the per-account kernel, the numpy path expansion for cycles."""
# ruff: noqa: S608 -- SQL is assembled from typed configs.

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tocsin.money.detect.base import Paths
from tocsin.money.features.base import (
    CHANNELS,
    DEFAULT,
    ONLY_DST,
    ONLY_SRC,
    FeatureConfig,
    SideInput,
    _codes,
    cash_flags,
    currency_rank_sql,
    cycle_counts,
    cycle_path_config,
    hubs_sql,
    path_edges_sql,
    scatter_gather_sql,
    side_features,
    side_names,
    thresholds,
)

if TYPE_CHECKING:
    from tocsin.money.engines.embedded import EmbeddedEngine


class FeatureTable:
    """Feature columns for every transaction of a set, in the set's file order."""

    def __init__(self, txn_id: pa.Array, columns: dict[str, np.ndarray]) -> None:
        self.txn_id = txn_id
        self.columns = columns

    def __len__(self) -> int:
        return len(self.txn_id)

    def matrix(self, names: list[str]) -> np.ndarray:
        """The named columns as one float32 matrix (rows in file order)."""
        out = np.empty((len(self), len(names)), dtype=np.float32)
        for j, name in enumerate(names):
            out[:, j] = self.columns[name]
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


def compute(engine: EmbeddedEngine, cfg: FeatureConfig = DEFAULT) -> FeatureTable:
    """Every feature of every transaction (see :mod:`tocsin.money.features.base`)."""
    con = engine.con
    table = con.sql("SELECT txn_id, t, source, target, amount, amount_orig, currency_orig, "
                    "channel, row FROM txn ORDER BY row").to_arrow_table()
    n = table.num_rows
    t = _np(table, "t", np.int64)
    amount = _np(table, "amount", np.float64)
    amount_orig = _np(table, "amount_orig", np.float64)
    both = pa.concat_arrays([table.column("source").combine_chunks(),
                             table.column("target").combine_chunks()])
    acc = pc.dictionary_encode(both).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    src, dst = acc[:n], acc[n:]
    cur_names, cur = _encode(table.column("currency_orig"))
    chan_names, chan = _encode(table.column("channel"))
    cash, near = cash_flags(chan_names, chan, cur_names, cur, amount_orig, thresholds(),
                            cfg.near_threshold)
    cols: dict[str, np.ndarray] = {}
    cols["log_amount"] = np.log1p(np.maximum(amount, 0))
    cols["round_amount"] = ((amount_orig >= 100) & (np.mod(amount_orig, 100) == 0)).astype(
        np.float64)
    self_ = src == dst
    cols["self_transfer"] = self_.astype(np.float64)
    cols["cash"] = cash.astype(np.float64)
    cols["near_thr"] = near.astype(np.float64)
    lookup = {c: float(i) for i, c in enumerate(CHANNELS)}
    chan_code = np.array([lookup.get(str(c), np.nan) for c in chan_names.tolist()])
    cols["channel"] = chan_code[chan] if n else np.zeros(0)
    # side kernel over (payment, side) rows
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
    values = side_features(side, cfg)
    for name in side_names(cfg):
        for prefix, part, skip in (("src", slice(0, m), ONLY_DST), ("dst", slice(m, 2 * m),
                                                                   ONLY_SRC)):
            if name in skip:
                continue
            col = np.full(n, np.nan)
            col[keep] = values[name][part]
            cols[f"{prefix}_{name}"] = col
    # set-wide parts in SQL
    rank = con.sql(f"SELECT r.amount_pct_cur FROM ({currency_rank_sql()}) r "
                   "JOIN txn USING (txn_id) ORDER BY txn.row").to_arrow_table()
    cols["amount_pct_cur"] = _np(rank, "amount_pct_cur", np.float64)
    con.execute(f"CREATE OR REPLACE TEMP TABLE feat_hubs AS {hubs_sql(cfg)}")
    edges = path_edges_sql(cfg, "feat_hubs")
    con.execute(f"CREATE OR REPLACE TEMP TABLE feat_edges AS {edges}")
    sg = con.sql(f"SELECT txn.row, s.sg_mids FROM ({scatter_gather_sql(cfg, 'feat_edges')}) s "
                 "JOIN txn USING (txn_id)").to_arrow_table()
    cols["sg_mids"] = np.zeros(n)
    cols["sg_mids"][_np(sg, "row", np.int64)] = _np(sg, "sg_mids", np.float64)
    cols["cycle_n"], cols["cycle_len"] = _cycles(engine, cfg, n)
    return FeatureTable(table.column("txn_id").combine_chunks(), cols)


def _cycles(engine: EmbeddedEngine, cfg: FeatureConfig, n: int) -> tuple[np.ndarray,
                                                                           np.ndarray]:
    step = Paths(name="feat_cycles", edges="SELECT * FROM feat_edges",
                 config=cycle_path_config(cfg), closed=True, min_hops=2)
    engine.run_paths(step)
    paths = engine.fetch("SELECT txns FROM feat_cycles")
    counts = cycle_counts(paths["txns"].astype(str).tolist(), cfg.cycle_cap)
    cycle_n, cycle_len = np.zeros(n), np.zeros(n)
    if counts:
        ids = pa.array(list(counts), pa.string())
        engine.con.register("cycle_ids", pa.table({"txn_id": ids}))
        rows = engine.con.sql("SELECT c.txn_id, txn.row FROM cycle_ids c JOIN txn USING "
                              "(txn_id)").to_arrow_table()
        engine.con.unregister("cycle_ids")
        for txn_id, row in zip(rows.column("txn_id").to_pylist(),
                               rows.column("row").to_pylist(), strict=True):
            cycle_n[row], cycle_len[row] = counts[txn_id]
    return cycle_n, cycle_len

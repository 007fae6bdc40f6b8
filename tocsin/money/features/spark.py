"""Features on Spark: the set-wide parts in Spark SQL, the per-account kernel with
``mapInPandas`` after repartitioning by account (every account's rows arrive whole in
one partition), cycles with one SQL join per hop. Same values as the embedded engine."""
# ruff: noqa: S608 -- SQL is assembled from typed configs.

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import pyarrow as pa

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
    flows_sql,
    hubs_sql,
    path_edges_sql,
    scatter_gather_sql,
    side_features,
    side_names,
    thresholds,
)
from tocsin.money.features.embedded import FeatureTable

if TYPE_CHECKING:
    from tocsin.money.engines.spark import SparkEngine


def _side_runner(cfg: FeatureConfig, table: dict[str, float]) -> Any:
    names = side_names(cfg)

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        frames = [b for b in batches if len(b)]
        if not frames:
            return
        pdf = pd.concat(frames, ignore_index=True)
        _, account = _codes(pdf["account"].to_numpy(dtype=object))
        _, cp = _codes(pdf["cp"].to_numpy(dtype=object))
        cur_names, cur = _codes(pdf["currency"].fillna("").to_numpy(dtype=object))
        chan_names, chan = _codes(pdf["channel"].fillna("").to_numpy(dtype=object))
        amount_orig = pdf["amount_orig"].to_numpy(dtype=np.float64)
        cash, near = cash_flags(chan_names, chan, cur_names, cur, amount_orig, table,
                                cfg.near_threshold)
        values = side_features(SideInput(
            account=account, cp=cp, dir=pdf["dir"].to_numpy(dtype=np.int64),
            t=pdf["t"].to_numpy(dtype=np.int64), amount=pdf["amount"].to_numpy(np.float64),
            currency=cur, channel=chan, cash=cash, near=near), cfg)
        out = pd.DataFrame({"txn_id": pdf["txn_id"], "dir": pdf["dir"].astype(np.int64)})
        for name in names:
            out[name] = values[name]
        yield out

    return run


def compute(engine: SparkEngine, cfg: FeatureConfig = DEFAULT) -> FeatureTable:
    """Every feature of every transaction, rows ordered by ``txn_id``."""
    spark = engine.spark
    names = side_names(cfg)
    schema = "txn_id string, dir bigint, " + ", ".join(f"{n} double" for n in names)
    flows = spark.sql(flows_sql()).repartition(engine.partitions, "account")
    flows.mapInPandas(_side_runner(cfg, thresholds()), schema).createOrReplaceTempView(
        "feat_side")
    picks = []
    for name in names:
        if name not in ONLY_DST:
            picks.append(f"o.{name} AS src_{name}")
        if name not in ONLY_SRC:
            picks.append(f"i.{name} AS dst_{name}")
    engine.run_sql("feat_hubs", hubs_sql(cfg))
    engine.run_sql("feat_edges", path_edges_sql(cfg, "feat_hubs"))
    engine.run_sql("feat_sg", scatter_gather_sql(cfg, "feat_edges"))
    engine.run_sql("feat_rank", currency_rank_sql())
    frame = engine.fetch(
        "SELECT x.txn_id, x.source, x.target, x.amount, x.amount_orig, x.currency_orig, "
        "x.channel, r.amount_pct_cur, COALESCE(s.sg_mids, 0) AS sg_mids, "
        + ", ".join(picks) + " FROM txn x "
        "JOIN feat_rank r ON r.txn_id = x.txn_id "
        "LEFT JOIN feat_sg s ON s.txn_id = x.txn_id "
        "LEFT JOIN feat_side o ON o.txn_id = x.txn_id AND o.dir = 1 "
        "LEFT JOIN feat_side i ON i.txn_id = x.txn_id AND i.dir = 0 "
        "ORDER BY x.txn_id")
    n = len(frame)
    cols: dict[str, np.ndarray] = {}
    amount = frame["amount"].to_numpy(np.float64)
    amount_orig = frame["amount_orig"].to_numpy(np.float64)
    cur_names, cur = _codes(frame["currency_orig"].fillna("").to_numpy(dtype=object))
    chan_names, chan = _codes(frame["channel"].fillna("").to_numpy(dtype=object))
    cash, near = cash_flags(chan_names, chan, cur_names, cur, amount_orig, thresholds(),
                            cfg.near_threshold)
    cols["log_amount"] = np.log1p(np.maximum(amount, 0))
    cols["round_amount"] = ((amount_orig >= 100) & (np.mod(amount_orig, 100) == 0)).astype(
        np.float64)
    cols["self_transfer"] = (frame["source"] == frame["target"]).to_numpy(np.float64)
    cols["cash"] = cash.astype(np.float64)
    cols["near_thr"] = near.astype(np.float64)
    lookup = {c: float(i) for i, c in enumerate(CHANNELS)}
    chan_code = np.array([lookup.get(str(c), np.nan) for c in chan_names.tolist()])
    cols["channel"] = chan_code[chan] if n else np.zeros(0)
    cols["amount_pct_cur"] = frame["amount_pct_cur"].to_numpy(np.float64)
    cols["sg_mids"] = frame["sg_mids"].to_numpy(np.float64)
    for column in frame.columns:
        if column.startswith(("src_", "dst_")):
            cols[column] = pd.to_numeric(frame[column]).to_numpy(np.float64)
    engine.run_paths(Paths(name="feat_cycles", edges="SELECT * FROM feat_edges",
                           config=cycle_path_config(cfg), closed=True, min_hops=2))
    paths = engine.fetch("SELECT txns FROM feat_cycles")
    counts = cycle_counts(paths["txns"].astype(str).tolist(), cfg.cycle_cap)
    ids = frame["txn_id"].astype(str).tolist()
    cols["cycle_n"] = np.array([counts.get(i, (0, 0))[0] for i in ids], dtype=np.float64)
    cols["cycle_len"] = np.array([counts.get(i, (0, 0))[1] for i in ids], dtype=np.float64)
    return FeatureTable(pa.array(ids, pa.string()), cols)

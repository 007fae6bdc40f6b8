"""The compiled path features equal the engine-neutral SQL that Spark runs, on DuckDB."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tocsin.money import worlds
from tocsin.money.detect.base import Paths
from tocsin.money.engines.embedded import EmbeddedEngine
from tocsin.money.features.base import (
    FeatureConfig,
    currency_rank_sql,
    cycle_counts,
    cycle_path_config,
    hubs_sql,
    path_edges_sql,
    scatter_gather_sql,
)
from tocsin.money.features.embedded import compute_set


def test_cycles_scatter_gather_and_rank_equal_the_sql(tmp_path: Path) -> None:
    # every pattern, many cycles and fans, a low hub limit so hubs are cut out too
    params = worlds.draw_params(21, transactions=8_000, accounts=900, laundering_share=0.05,
                                pattern_weights={p: 1.0 for p in worlds.PATTERNS})
    set_dir = worlds.ingest_world(params, tmp_path, "paths")
    cfg = FeatureConfig(hub_counterparties=40)
    ours = compute_set(set_dir, cfg)
    engine = EmbeddedEngine(set_dir, threads=1)
    try:
        con = engine.con
        rows = {str(k): int(v) for k, v in con.execute(
            "SELECT txn_id, row FROM txn").fetchall()}
        n = len(rows)
        rank = dict(con.execute(f"SELECT txn_id, amount_pct_cur FROM ({currency_rank_sql()})"
                                ).fetchall())
        con.execute(f"CREATE TEMP TABLE feat_hubs AS {hubs_sql(cfg)}")
        hubs = con.execute("SELECT COUNT(*) FROM feat_hubs").fetchone()
        assert hubs is not None and hubs[0] > 0
        con.execute(f"CREATE TEMP TABLE feat_edges AS {path_edges_sql(cfg, 'feat_hubs')}")
        sg = dict(con.execute(scatter_gather_sql(cfg, "feat_edges")).fetchall())
        engine.run_paths(Paths(name="feat_cycles", edges="SELECT * FROM feat_edges",
                               config=cycle_path_config(cfg), closed=True, min_hops=2))
        paths = engine.fetch("SELECT txns FROM feat_cycles")
        cycles = cycle_counts(paths["txns"].astype(str).tolist(), cfg.cycle_cap)
    finally:
        engine.close()
    want_rank, want_sg = np.zeros(n), np.zeros(n)
    want_n, want_len = np.zeros(n), np.zeros(n)
    for txn, value in rank.items():
        want_rank[rows[txn]] = value
    for txn, value in sg.items():
        want_sg[rows[txn]] = value
    for txn, (count, length) in cycles.items():
        want_n[rows[txn]], want_len[rows[txn]] = count, length
    assert ours.txn_id.to_pylist() == sorted(rows, key=rows.__getitem__)
    assert (want_sg > 0).sum() > 20 and (want_n > 0).sum() > 20
    assert want_n.max() == cfg.cycle_cap or (want_len > 3).any()
    np.testing.assert_array_equal(ours.columns["amount_pct_cur"], want_rank)
    np.testing.assert_array_equal(ours.columns["sg_mids"], want_sg)
    np.testing.assert_array_equal(ours.columns["cycle_n"], want_n)
    np.testing.assert_array_equal(ours.columns["cycle_len"], want_len)

# ruff: noqa: S608 -- SQL over the set's own files under generated view names.
"""Address clustering on Spark: the multi-input heuristic for chains beyond one machine.

The same rule as :mod:`tocsin.money.crypto.cluster`, with the same answer:
the CoinJoin rule and the clusters' figures are the very SQL text the embedded
engine runs in DuckDB, and a cluster's id is again ``c`` and 16 hexadecimal
digits of the SHA-256 of its smallest address (Spark's ``sha2`` over the
address's UTF-8 bytes), so both engines give identical tables.

**Connected components by joins.** Each transaction (CoinJoins left out)
becomes a star: every input address linked to the transaction's smallest
input address. Every address starts with the smallest label among itself and
its neighbours; each round then (1) takes the smallest label among its
neighbours' labels and (2) jumps to its label's label (pointer jumping, which
halves the chains every round). Labels only fall and are always an address of
the same component, so when a round changes nothing every address carries its
component's smallest address. Rounds grow with the logarithm of the longest
chain of joins, not its length; each round's labels are checkpointed so the
plan stays small.
"""

from __future__ import annotations

import uuid
from typing import Any

from tocsin.extras import require
from tocsin.money.crypto.cluster import (
    ADDRESSES,
    CLUSTERS,
    ClusterConfig,
    Clustering,
    coinjoin_query,
    conform,
    explain_coinjoins,
    figures_query,
)
from tocsin.money.crypto.utxo import Utxo

#: A safety stop: pointer jumping needs about log2 of the longest chain of joins.
MAX_ROUNDS = 200


def cluster_spark(utxo: Utxo, config: ClusterConfig | None = None, spark: Any = None,
                  master: str = "local[*]") -> Clustering:
    """Cluster every address of the set on Spark; the same tables as :func:`cluster.cluster`."""
    config = config or ClusterConfig()
    if config.change_heuristics:
        from tocsin.errors import InputError
        from tocsin.i18n import N_

        raise InputError.single("engine", N_("change-address heuristics run on the embedded "
                                             "engine only; cluster without them on Spark"))
    if spark is None:
        from tocsin.money.engines.spark import spark_session

        spark = spark_session(master)
    functions = require("spark", "pyspark.sql.functions")
    tag = uuid.uuid4().hex[:12]
    names = {k: f"btc_{k}_{tag}" for k in ("t", "i", "o", "cj", "ac")}
    try:
        for key, path in (("t", utxo.transactions), ("i", utxo.inputs), ("o", utxo.outputs)):
            spark.read.parquet(str(path)).createOrReplaceTempView(names[key])
        joins = spark.sql(coinjoin_query(config, names["i"], names["o"])).localCheckpoint()
        joins.select("txid").createOrReplaceTempView(names["cj"])
        excluded = (f"AND txid NOT IN (SELECT txid FROM {names['cj']})"
                    if config.exclude_coinjoins else "")
        spends = spark.sql(f"SELECT txid, address FROM {names['i']} "
                           f"WHERE NOT coinbase AND address IS NOT NULL {excluded}")
        labels = components(spark, spends, functions)
        addresses = (spark.sql(f"SELECT DISTINCT address FROM {names['o']} "
                               "WHERE address IS NOT NULL")
                     .join(labels.withColumnRenamed("node", "address"), "address", "left")
                     .select("address",
                             functions.concat(functions.lit("c"), functions.substring(
                                 functions.sha2(functions.coalesce("label", "address"), 256),
                                 1, 16)).alias("cluster_id"))
                     .localCheckpoint())
        addresses.createOrReplaceTempView(names["ac"])
        table = conform(addresses.orderBy("address").toArrow(), ADDRESSES)
        clusters = conform(spark.sql(figures_query(names["t"], names["i"], names["o"],
                                                   names["ac"])).toArrow(), CLUSTERS)
        found = explain_coinjoins(joins.orderBy("txid").toArrow())
    finally:
        for name in names.values():
            spark.catalog.dropTempView(name)
    return Clustering(addresses=table, clusters=clusters, coinjoins=found, config=config)


def components(spark: Any, spends: Any, functions: Any) -> Any:
    """``node, label``: each spending address with the smallest address of its component.

    ``spends`` has ``txid, address``, one row per input to be joined.
    """
    f = functions
    hubs = spends.groupBy("txid").agg(f.min("address").alias("hub"))
    star = (spends.join(hubs, "txid").where(f.col("address") != f.col("hub"))
            .select(f.col("address").alias("src"), f.col("hub").alias("dst")).distinct())
    edges = star.unionByName(star.select(f.col("dst").alias("src"), f.col("src").alias("dst"))
                             ).distinct().localCheckpoint()
    labels = (edges.groupBy("src").agg(f.min("dst").alias("m"))
              .select(f.col("src").alias("node"), f.least("src", "m").alias("label"))
              .localCheckpoint())
    for _ in range(MAX_ROUNDS):
        seen = (edges.join(labels.select(f.col("node").alias("dst"),
                                         f.col("label").alias("theirs")), "dst")
                .groupBy("src").agg(f.min("theirs").alias("theirs")))
        lowered = (labels.join(seen, labels.node == seen.src, "left")
                   .select("node", f.least("label", f.coalesce("theirs", "label"))
                           .alias("label")))
        jumps = lowered.select(f.col("node").alias("via"), f.col("label").alias("far"))
        jumped = (lowered.join(jumps, lowered.label == jumps.via, "left")
                  .select("node", f.least("label", f.coalesce("far", "label")).alias("label"))
                  .localCheckpoint())
        changed = (jumped.join(labels.select("node", f.col("label").alias("before")), "node")
                   .where(f.col("label") != f.col("before")).limit(1).count())
        labels = jumped
        if not changed:
            return labels
    raise RuntimeError(f"connected components did not settle in {MAX_ROUNDS} rounds")

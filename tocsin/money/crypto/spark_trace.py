"""Tracing coins on Spark: the embedded engine's trace over a chain too large for memory.

The trace itself — the taint models, the steps and their explanations, the stops — is
:func:`tocsin.money.crypto.taint.trace`, the very code the embedded engine runs, so both
engines give identical results. What changes is where the UTXO graph comes from: the
embedded engine reads the set's files whole into dictionaries (about 200 bytes per
output), :class:`SparkGraph` asks Spark for the transactions the trace reaches, one
batch per hop — the outputs and inputs of the transactions waiting to be crossed
(backward, also of the transactions their inputs spend) — and keeps only those. A trace
of ``max_depth`` hops makes about one Spark query per hop (two backward), each a scan of
the inputs and outputs files joined to a broadcast list of transaction ids.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tocsin.extras import require
from tocsin.money.crypto.cluster import Clustering
from tocsin.money.crypto.taint import Graph, TraceConfig, TraceResult, trace
from tocsin.money.crypto.utxo import Utxo

#: Transaction ids per query (a broadcast list, joined to the files).
BATCH = 20_000
#: A name the trace gives an output without an address: ``<script type>:<txid>:<vout>``.
_TXID = re.compile(r"^[0-9a-f]{64}$")
_UNNAMED = re.compile(r"^[a-z_0-9]+:([0-9a-f]{64}):(\d+)$")


class SparkGraph(Graph):
    """The UTXO graph read from Spark as the trace reaches it (see the module's text)."""

    def __init__(self, model: Utxo, spark: Any) -> None:
        # not Graph.__init__: the files are not read whole
        self.outputs = {}
        self.tx_outputs = {}
        self.by_address = {}
        self.tx_inputs = {}
        self._spark = spark
        self._f = require("spark", "pyspark.sql.functions")
        f = self._f
        self._outputs = spark.read.parquet(str(model.outputs)).select(
            "txid", "vout", "value", "address", "script_type", "spent_by")
        # outputs and inputs in one frame, so that a batch is one Spark job
        inputs = spark.read.parquet(str(model.inputs))
        self._rows = self._outputs.select(
            f.lit("o").alias("side"), "txid", f.col("vout").alias("n"), "value", "address",
            "script_type", "spent_by", f.lit(None).cast("string").alias("prev_txid"),
            f.lit(None).cast("bigint").alias("prev_vout"), f.lit(False).alias("coinbase"),
        ).unionByName(inputs.select(
            f.lit("i").alias("side"), "txid", f.col("vin").alias("n"), "value",
            f.lit(None).cast("string").alias("address"),
            f.lit(None).cast("string").alias("script_type"),
            f.lit(None).cast("string").alias("spent_by"), "prev_txid", "prev_vout",
            "coinbase"))
        self._loaded: set[str] = set()
        self._expanded: set[str] = set()
        #: Spark queries made, for the tests and for people.
        self.queries = 0

    def ready(self, txid: str, with_sources: bool) -> bool:
        return txid in (self._expanded if with_sources else self._loaded)

    def prepare(self, txids: list[str], with_sources: bool) -> None:
        self._load(txids)
        if with_sources:
            wanted = [t for t in txids if t not in self._expanded]
            sources = {p[0] for t in wanted for p, _v in self.tx_inputs.get(t, [])
                       if p is not None}
            self._load(sorted(sources))
            self._expanded.update(wanted)

    def prepare_start(self, start: str) -> None:
        if _TXID.match(start):
            self._load([start])
            if start in self.tx_outputs:
                return
        unnamed = _UNNAMED.match(start)
        if unnamed:
            self._load([unnamed.group(1)])
            point = (unnamed.group(1), int(unnamed.group(2)))
            if point in self.outputs and self.outputs[point][1] == start:
                self.by_address[start] = [point]
            return
        rows = self._outputs.where(self._f.col("address") == start).collect()
        self.queries += 1
        self._add_outputs([(r["txid"], r["vout"], r["value"], r["address"], r["script_type"],
                            r["spent_by"]) for r in rows])
        if rows:
            self.by_address[start] = sorted((r["txid"], int(r["vout"])) for r in rows)

    def _load(self, txids: list[str]) -> None:
        fresh = [t for t in dict.fromkeys(txids) if t not in self._loaded]
        for at in range(0, len(fresh), BATCH):
            batch = fresh[at:at + BATCH]
            wanted = self._f.broadcast(self._spark.createDataFrame([(t,) for t in batch],
                                                                   "txid string"))
            rows = self._rows.join(wanted, "txid").collect()
            self.queries += 1
            self._add_outputs([(r["txid"], r["n"], r["value"], r["address"], r["script_type"],
                                r["spent_by"]) for r in rows if r["side"] == "o"])
            by_tx: dict[str, list[Any]] = {}
            for row in rows:
                if row["side"] == "i":
                    by_tx.setdefault(row["txid"], []).append(row)
            for txid, found in by_tx.items():
                found.sort(key=lambda r: r["n"])
                self.tx_inputs[txid] = [
                    (None if r["coinbase"] or r["prev_txid"] is None
                     else (r["prev_txid"], int(r["prev_vout"])), r["value"]) for r in found]
            self._loaded.update(batch)

    def _add_outputs(self, rows: list[tuple[str, int, int, str | None, str, str | None]]
                     ) -> None:
        """Outputs as (txid, vout, value, address, script type, spent by)."""
        touched = set()
        for txid, vout, value, address, kind, spent_by in rows:
            point = (txid, int(vout))
            if point in self.outputs:
                continue
            self.outputs[point] = (int(value), address or f"{kind}:{txid}:{int(vout)}", spent_by)
            self.tx_outputs.setdefault(txid, []).append(point)
            touched.add(txid)
        for txid in touched:
            self.tx_outputs[txid].sort(key=lambda p: p[1])


def trace_spark(model: Utxo, start: str, config: TraceConfig | None = None, *,
                spark: Any = None, master: str = "local[*]", set_folder: Path | None = None,
                clustering: Clustering | None = None) -> TraceResult:
    """:func:`tocsin.money.crypto.taint.trace` with the graph read from Spark."""
    if spark is None:
        from tocsin.money.engines.spark import spark_session

        spark = spark_session(master)
    return trace(model, start, config, set_folder=set_folder, clustering=clustering,
                 graph=SparkGraph(model, spark))

"""The Spark engine: the same detector pipelines on pyspark, for data beyond one machine.

SQL steps run as Spark SQL; kernel steps run with ``mapInPandas`` after the
input is repartitioned by the kernel's key, so every group arrives whole in
one partition and the shared kernel sees what it sees on the embedded engine.
A trace reads the ledgers of one hop with one query.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd  # type: ignore[import-untyped]

from tocsin.money.dataset import base_currency
from tocsin.money.detect.base import SHARED_PREFIX, Kernel, KernelFn, Paths
from tocsin.money.detect.expand import sql_steps
from tocsin.money.engines.base import check_set_dir
from tocsin.money.graph import Ledger, ledgers_from_rows

#: Accounts per query when a trace fetches ledgers.
LEDGER_BATCH = 5_000


def spark_session(master: str = "local[*]", shuffle_partitions: int = 4) -> Any:
    """A SparkSession that runs kernels with this interpreter (and its packages)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from tocsin.extras import require

    return (
        require("spark", "pyspark.sql").SparkSession.builder.master(master)
        .appName("tocsin-money")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


class SparkEngine:
    """Spark SQL over the set's Parquet files; ``spark`` may be shared."""

    name = "spark"

    def __init__(self, set_dir: Path, spark: Any = None, master: str = "local[*]",
                 partitions: int = 4) -> None:
        check_set_dir(set_dir)
        self.spark = spark or spark_session(master)
        self.partitions = partitions
        self.currency = base_currency(set_dir)
        self._views: list[str] = []
        self._shared: set[str] = set()
        self.spark.read.parquet(str(set_dir / "accounts.parquet")).createOrReplaceTempView(
            "acct_raw")
        self.spark.read.parquet(str(set_dir / "transactions.parquet")).createOrReplaceTempView(
            "txn_raw")
        txn = self.spark.sql(
            "SELECT x.txn_id, CAST(unix_micros(x.ts) DIV 1000000 AS BIGINT) AS t, x.source, "
            "x.target, x.amount, x.channel, COALESCE(a.kind, 'unknown') AS src_kind, "
            "COALESCE(b.kind, 'unknown') AS dst_kind, x.amount_orig, "
            "COALESCE(x.currency_orig, '') AS currency_orig FROM txn_raw x "
            "LEFT JOIN acct_raw a ON x.source = a.account_id "
            "LEFT JOIN acct_raw b ON x.target = b.account_id"
        ).cache()
        txn.createOrReplaceTempView("txn")
        self._kinds: dict[str, str] | None = None

    def run_sql(self, name: str, query: str) -> None:
        if name.startswith(SHARED_PREFIX):
            if name in self._shared:
                return
            self._shared.add(name)
        # Checkpointing cuts the lineage, so iterative steps (path expansion)
        # plan in constant time instead of re-planning every earlier step.
        self.spark.sql(query).localCheckpoint(eager=True).createOrReplaceTempView(name)
        self._views.append(name)

    def _kernel(self, step: Kernel) -> Any:
        df = self.spark.sql(f"SELECT * FROM {step.source} AS kernel_input")  # noqa: S608
        df = df.repartition(self.partitions, step.key) if step.key else df.coalesce(1)
        schema = ", ".join(f"{c} {t}" for c, t in step.columns.items())
        return df.mapInPandas(_partition_runner(step.fn, list(step.columns)), schema)

    def run_kernel(self, step: Kernel) -> None:
        self._kernel(step).cache().createOrReplaceTempView(step.name)
        self._views.append(step.name)

    def kernel_result(self, step: Kernel) -> pd.DataFrame:
        return self._kernel(step).toPandas()

    def run_paths(self, step: Paths) -> None:
        """One SQL join per hop (checkpointed, so each plans in constant time)."""
        for sql in sql_steps(step):
            self.run_sql(sql.name, sql.query)

    def fetch(self, query: str) -> pd.DataFrame:
        return self.spark.sql(query).toPandas()

    def kinds(self) -> dict[str, str]:
        if self._kinds is None:
            rows = self.spark.sql("SELECT account_id, kind FROM acct_raw").collect()
            self._kinds = {str(r[0]): str(r[1]) for r in rows}
        return self._kinds

    def ledgers(self, accounts: Iterable[str]) -> dict[str, Ledger]:
        names = list(dict.fromkeys(accounts))
        out: dict[str, Ledger] = {}
        for at in range(0, len(names), LEDGER_BATCH):
            batch = names[at:at + LEDGER_BATCH]
            wanted = self.spark.createDataFrame([(a,) for a in batch], "account string")
            wanted.createOrReplaceTempView("trace_accounts")
            rows = self.spark.sql(
                "SELECT txn_id, t, source, target, amount FROM txn "
                "WHERE source IN (SELECT account FROM trace_accounts) "
                "OR target IN (SELECT account FROM trace_accounts)"
            ).collect()
            out.update(ledgers_from_rows(batch, (tuple(r) for r in rows), self.kinds()))
        return out

    def find_transaction(self, txn_id: str) -> tuple[str, str] | None:
        found = self.spark.sql("SELECT source, target FROM txn WHERE txn_id = :txn",
                               args={"txn": txn_id}).collect()
        return (str(found[0][0]), str(found[0][1])) if found else None

    def close(self) -> None:
        for name in self._views:
            self.spark.catalog.dropTempView(name)
        self.spark.catalog.dropTempView("txn")


def _partition_runner(fn: KernelFn, columns: list[str]) -> Any:
    """Concatenate a partition's batches (whole groups) and apply the kernel once."""

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        frames = [b for b in batches if len(b)]
        if not frames:
            return
        out = fn(pd.concat(frames, ignore_index=True))
        yield out.reindex(columns=columns)

    return run

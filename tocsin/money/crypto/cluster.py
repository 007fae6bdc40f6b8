# ruff: noqa: S608 -- SQL over the set's own files; numbers are formatted as int.
"""Address clustering: the multi-input heuristic with union-find, CoinJoins left out.

**Multi-input heuristic.** The inputs of one transaction are signed together,
so their addresses are taken to belong to one owner (one wallet): every
address spent in a transaction is joined with the others of that transaction,
and ownership spreads through every transaction the addresses take part in.
Joining runs as union-find (path halving, union by smallest root) in compiled
code over integer codes of the addresses.

**CoinJoin.** A CoinJoin gathers inputs of several owners into one
transaction, so joining its inputs would merge strangers. A transaction is
treated as CoinJoin-like, and its inputs are *not* joined, when it spends
from at least ``min_inputs`` addresses and at least ``min_equal_outputs`` of
its outputs carry the very same value (the mixed denomination), with no more
such outputs than it has inputs. The reason is kept for each one.

**Limits.** An address reused by two owners (an exchange's deposit address
paid by a customer, then swept) and CoinJoins that the rule misses merge
owners; owners who never spend two addresses together stay apart, and an
address never spent is a cluster of its own. Clusters are leads, not proof.

**Stable ids.** A cluster's id is ``c`` and the first 16 hexadecimal digits
of the SHA-256 of its smallest address, so the same addresses give the same
id on every run and on every engine.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numba import njit

from tocsin.money.crypto import change
from tocsin.money.crypto.utxo import Utxo, btc

CLUSTERS_FOLDER = "clusters"
ADDRESSES_FILE = "addresses.parquet"
CLUSTERS_FILE = "clusters.parquet"
COINJOINS_FILE = "coinjoins.parquet"
CHANGE_FILE = "change_links.parquet"

ADDRESSES = pa.schema([pa.field("address", pa.string()), pa.field("cluster_id", pa.string())])
CLUSTERS = pa.schema([
    pa.field("cluster_id", pa.string()), pa.field("size", pa.int64()),
    pa.field("representative", pa.string()), pa.field("balance", pa.int64()),
    pa.field("received", pa.int64()), pa.field("sent", pa.int64()),
    pa.field("transactions", pa.int64()),
    pa.field("first_seen", pa.timestamp("us", tz="UTC")),
    pa.field("last_seen", pa.timestamp("us", tz="UTC")),
])
COINJOINS_BARE = pa.schema([
    pa.field("txid", pa.string()), pa.field("inputs", pa.int64()),
    pa.field("input_addresses", pa.int64()), pa.field("outputs", pa.int64()),
    pa.field("equal_outputs", pa.int64()), pa.field("value", pa.int64()),
])


@dataclass(frozen=True)
class ClusterConfig:
    """Settings of the clustering (documented in ``docs/crypto.md``)."""

    #: A CoinJoin spends from at least this many distinct addresses …
    min_inputs: int = 3
    #: … and pays at least this many outputs of one equal value.
    min_equal_outputs: int = 3
    #: Leave CoinJoin-like transactions out of the multi-input heuristic.
    exclude_coinjoins: bool = True
    #: Change-address heuristics to apply as well (names in :mod:`.change`); none by default.
    change_heuristics: tuple[str, ...] = ()
    #: ``round_payment``: an amount is round when it is a multiple of this (satoshi).
    round_to: int = 100_000


@dataclass
class Clustering:
    """Every address with its cluster, the clusters' figures and the CoinJoins left out."""

    addresses: pa.Table  # address, cluster_id
    clusters: pa.Table  # cluster_id, size, representative, balance, received, sent, …
    coinjoins: pa.Table  # txid, inputs, equal_outputs, value, reason
    config: ClusterConfig = field(default_factory=ClusterConfig)
    #: Addresses joined by change heuristics, each link with its heuristics and reason.
    change_links: pa.Table = field(default_factory=change.empty_links)

    def cluster_of(self, address: str) -> str | None:
        mask = pc.equal(self.addresses.column("address"), address)
        found = self.addresses.filter(mask)
        return found.column("cluster_id")[0].as_py() if found.num_rows else None

    def members(self, cluster_id: str) -> list[str]:
        mask = pc.equal(self.addresses.column("cluster_id"), cluster_id)
        return sorted(self.addresses.filter(mask).column("address").to_pylist())


# --------------------------------------------------------------------------- union-find


@njit(cache=True)
def _find(parent: np.ndarray, x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@njit(cache=True)
def _union_groups(n: int, groups: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Join the members of each group (``groups`` sorted); the root of a set is its smallest."""
    parent = np.arange(n, dtype=np.int64)
    i = 0
    total = len(groups)
    while i < total:
        j = i + 1
        first = _find(parent, members[i])
        while j < total and groups[j] == groups[i]:
            other = _find(parent, members[j])
            if other != first:
                if other < first:
                    parent[first] = other
                    first = other
                else:
                    parent[other] = first
            j += 1
        i = j
    for x in range(n):
        parent[x] = _find(parent, x)
    return parent


def components(n: int, groups: np.ndarray, members: np.ndarray) -> np.ndarray:
    """For ``n`` items, the smallest item of each one's component after joining every group.

    ``groups[k]`` is the group (a transaction) of item ``members[k]`` (an
    address code); the arrays need not be sorted.
    """
    order = np.argsort(groups, kind="stable")
    return _union_groups(n, np.ascontiguousarray(groups[order], dtype=np.int64),
                         np.ascontiguousarray(members[order], dtype=np.int64))


def cluster_id(address: str) -> str:
    return "c" + hashlib.sha256(address.encode("utf-8")).hexdigest()[:16]


# --------------------------------------------------------------------------- CoinJoin


def views(con: duckdb.DuckDBPyConnection, utxo: Utxo) -> None:
    """Views ``t``, ``i`` and ``o`` over the set's UTXO files."""
    for name, path in (("t", utxo.transactions), ("i", utxo.inputs), ("o", utxo.outputs)):
        literal = "'" + path.as_posix().replace("'", "''") + "'"
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM read_parquet({literal})")


def coinjoin_query(config: ClusterConfig, i: str = "i", o: str = "o") -> str:
    """The CoinJoin rule as SQL over the inputs (``i``) and outputs (``o``); DuckDB and Spark
    run the same text, so both engines find the same transactions."""
    return f"""
        WITH ins AS (
          SELECT txid, count(DISTINCT address) AS addrs, count(*) AS n
          FROM {i} WHERE NOT coinbase GROUP BY txid),
        eq AS (
          SELECT txid, value, count(*) AS k,
                 row_number() OVER (PARTITION BY txid ORDER BY count(*) DESC, value DESC) AS r
          FROM {o} GROUP BY txid, value),
        outs AS (SELECT txid, count(*) AS m FROM {o} GROUP BY txid)
        SELECT ins.txid, ins.n AS inputs, ins.addrs AS input_addresses, outs.m AS outputs,
               eq.k AS equal_outputs, eq.value
        FROM ins JOIN eq ON eq.txid = ins.txid AND eq.r = 1 JOIN outs ON outs.txid = ins.txid
        WHERE ins.addrs >= {int(config.min_inputs)} AND eq.k >= {int(config.min_equal_outputs)}
          AND eq.k <= ins.n
        ORDER BY ins.txid"""


def explain_coinjoins(table: pa.Table) -> pa.Table:
    """The CoinJoin rows in their fixed types, each with the reason it was taken for one."""
    table = conform(table, COINJOINS_BARE)
    reasons = [
        f"{row['inputs']} inputs from {row['input_addresses']} addresses and "
        f"{row['equal_outputs']} of {row['outputs']} outputs of exactly {btc(row['value'])}: "
        "owners mixing coins, so its inputs are not taken to share an owner"
        for row in table.to_pylist()]
    return table.append_column("reason", pa.array(reasons, pa.string()))


def coinjoins(utxo: Utxo, config: ClusterConfig) -> pa.Table:
    """CoinJoin-like transactions of the set, each with the reason it was taken for one."""
    con = duckdb.connect()
    try:
        views(con, utxo)
        table = con.sql(coinjoin_query(config)).to_arrow_table()
    finally:
        con.close()
    return explain_coinjoins(table)


def figures_query(t: str = "t", i: str = "i", o: str = "o", ac: str = "ac") -> str:
    """Every cluster's figures from the address → cluster table ``ac``; DuckDB and Spark run
    the same text."""
    return f"""
        WITH seen AS (
          SELECT {o}.address, {t}.time, {o}.txid FROM {o} JOIN {t} ON {t}.txid = {o}.txid
            WHERE {o}.address IS NOT NULL
          UNION ALL
          SELECT {i}.address, {t}.time, {i}.txid FROM {i} JOIN {t} ON {t}.txid = {i}.txid
            WHERE {i}.address IS NOT NULL),
        times AS (
          SELECT {ac}.cluster_id, min(seen.time) AS first_seen, max(seen.time) AS last_seen,
                 count(DISTINCT seen.txid) AS transactions
          FROM seen JOIN {ac} ON {ac}.address = seen.address GROUP BY {ac}.cluster_id),
        money AS (
          SELECT {ac}.cluster_id, CAST(sum({o}.value) AS BIGINT) AS received,
                 CAST(sum(CASE WHEN {o}.spent_by IS NULL THEN {o}.value ELSE 0 END) AS BIGINT)
                   AS balance,
                 CAST(sum(CASE WHEN {o}.spent_by IS NOT NULL THEN {o}.value ELSE 0 END)
                   AS BIGINT) AS sent
          FROM {o} JOIN {ac} ON {ac}.address = {o}.address GROUP BY {ac}.cluster_id),
        sizes AS (
          SELECT cluster_id, count(*) AS size, min(address) AS representative
          FROM {ac} GROUP BY cluster_id)
        SELECT sizes.cluster_id, sizes.size, sizes.representative, money.balance,
               money.received, money.sent, times.transactions, times.first_seen,
               times.last_seen
        FROM sizes JOIN money ON money.cluster_id = sizes.cluster_id
          JOIN times ON times.cluster_id = sizes.cluster_id
        ORDER BY sizes.size DESC, sizes.cluster_id"""


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with exactly the columns and types of ``schema`` (engines differ in both)."""
    return pa.table([table.column(f.name).cast(f.type) for f in schema], schema=schema)


# --------------------------------------------------------------------------- clustering


def cluster(utxo: Utxo, config: ClusterConfig | None = None) -> Clustering:
    """Cluster every address of the set (``utxo``) with the multi-input heuristic."""
    config = config or ClusterConfig()
    joins = coinjoins(utxo, config)
    con = duckdb.connect()
    try:
        views(con, utxo)
        con.register("cj", joins.select(["txid"]))
        addresses = con.sql(
            "SELECT DISTINCT address FROM o WHERE address IS NOT NULL ORDER BY address"
        ).to_arrow_table().column("address")
        excluded = "AND txid NOT IN (SELECT txid FROM cj)" if config.exclude_coinjoins else ""
        spends = con.sql(
            f"SELECT txid, address FROM i WHERE NOT coinbase AND address IS NOT NULL {excluded}"
        ).to_arrow_table()
        links = change.empty_links()
        if config.change_heuristics:
            links = change.change_links(con, change.ChangeConfig(
                heuristics=config.change_heuristics, round_to=config.round_to))
            # a change address is one more member of its transaction's group
            extra = links.select(["txid", "change_address"]).rename_columns(["txid", "address"])
            spends = pa.concat_tables([spends.cast(extra.schema), extra])
        roots = _roots(addresses, spends)
        ids = _ids(addresses, roots)
        table = pa.table({"address": addresses, "cluster_id": ids})
        con.register("ac", table)
        clusters = conform(con.sql(figures_query()).to_arrow_table(), CLUSTERS)
    finally:
        con.close()
    return Clustering(addresses=table, clusters=clusters, coinjoins=joins, config=config,
                      change_links=links)


def _roots(addresses: pa.ChunkedArray | pa.Array, spends: pa.Table) -> np.ndarray:
    codes = pc.index_in(spends.column("address"), value_set=addresses)
    tx_codes = pc.dictionary_encode(spends.column("txid")).combine_chunks().indices
    members = np.asarray(codes.to_numpy(zero_copy_only=False), dtype=np.int64)
    groups = np.asarray(tx_codes.to_numpy(zero_copy_only=False), dtype=np.int64)
    return components(len(addresses), groups, members)


def _ids(addresses: pa.ChunkedArray | pa.Array, roots: np.ndarray) -> pa.Array:
    names = addresses.to_pylist() if not isinstance(addresses, pa.ChunkedArray) \
        else addresses.combine_chunks().to_pylist()
    unique_roots, inverse = np.unique(roots, return_inverse=True)
    labels = np.array([cluster_id(names[r]) for r in unique_roots], dtype=object)
    return pa.array(labels[inverse], pa.string())


# --------------------------------------------------------------------------- storage


def store(set_folder: Path, result: Clustering) -> Path:
    """Keep the clustering in the set's folder (replacing an earlier one, atomically)."""
    from tocsin.money.crypto.utxo import FOLDER

    target = Path(set_folder) / FOLDER / CLUSTERS_FOLDER
    temp = target.with_name(f".{CLUSTERS_FOLDER}.partial")
    if temp.exists():
        _remove(temp)
    temp.mkdir(parents=True)
    pq.write_table(result.addresses, temp / ADDRESSES_FILE, compression="zstd")
    pq.write_table(result.clusters, temp / CLUSTERS_FILE, compression="zstd")
    pq.write_table(result.coinjoins, temp / COINJOINS_FILE, compression="zstd")
    pq.write_table(result.change_links, temp / CHANGE_FILE, compression="zstd")
    old = target.with_name(f".{CLUSTERS_FOLDER}.old")
    if target.exists():
        target.rename(old)
    temp.rename(target)
    if old.exists():
        _remove(old)
    return target


def load(set_folder: Path) -> Clustering | None:
    """The stored clustering of a set, or ``None`` when it was never clustered."""
    from tocsin.money.crypto.utxo import FOLDER

    folder = Path(set_folder) / FOLDER / CLUSTERS_FOLDER
    if not (folder / CLUSTERS_FILE).is_file():
        return None
    # a clustering kept before change heuristics existed has no links file
    links = (pq.read_table(folder / CHANGE_FILE) if (folder / CHANGE_FILE).is_file()
             else change.empty_links())
    return Clustering(addresses=pq.read_table(folder / ADDRESSES_FILE),
                      clusters=pq.read_table(folder / CLUSTERS_FILE),
                      coinjoins=pq.read_table(folder / COINJOINS_FILE), change_links=links)


def _remove(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)

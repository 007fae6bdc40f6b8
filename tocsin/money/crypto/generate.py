"""A generated Bitcoin chain whose owners are known, to measure clustering.

Wallets receive mined coins, then pay one another: a payment spends one or
several of the wallet's coins together, pays a fresh address of another wallet
and sends the change to a fresh address of its own (sometimes back to one of
the addresses it spent from). Now and then several wallets mix coins in a
CoinJoin: one input each, one output each of the same denomination to a fresh
address, and the change. A few payments are PayJoins, where the payee adds a
coin of its own: the heuristic cannot see them and merges the two owners.
The result is written in the UTXO layout of :mod:`tocsin.money.crypto.utxo`,
together with the true owner of every address, so :func:`quality` can report
the clustering's pairwise precision and recall.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from tocsin.money.crypto import utxo
from tocsin.money.crypto.bitcoin import base58check, segwit_address
from tocsin.money.crypto.cluster import Clustering


@dataclass(frozen=True)
class ChainConfig:
    wallets: int = 200
    transactions: int = 20_000
    coinjoin_share: float = 0.03
    #: Share of payments where the payee adds a coin of its own (a PayJoin): the
    #: multi-input heuristic cannot tell, so these merge two owners.
    payjoin_share: float = 0.01
    coinjoin_size: tuple[int, int] = (5, 12)
    #: Share of payments that spend several coins together.
    multi_input_share: float = 0.5
    #: Share of payments whose change goes back to an address the wallet spent from.
    change_reuse_share: float = 0.15
    seed: int = 7
    # What the change-address heuristics look at; off by default, and drawn from a random
    # stream of their own, so a chain without them is the same as before they existed.
    #: Script types of wallets, with their weights: every address of a wallet has its
    #: wallet's type. Empty: every address is P2WPKH.
    script_types: tuple[tuple[str, float], ...] = ()
    #: Share of payments to an address the payee was paid on before (a merchant, a deposit
    #: address), instead of a fresh one.
    payee_reuse_share: float = 0.0
    #: Share of payments of a round amount (a multiple of ``round_to`` satoshi).
    round_payment_share: float = 0.0
    round_to: int = 100_000


#: A mix of script types for measuring the change heuristics.
SCRIPT_MIX = (("p2wpkh", 0.5), ("p2pkh", 0.25), ("p2sh", 0.15), ("p2tr", 0.1))


@dataclass
class Chain:
    folder: Path  # the set folder (the UTXO files are in its ``bitcoin/``)
    owners: dict[str, int]  # address -> wallet
    coinjoin_txids: list[str]
    #: Addresses that spent coins at least once.
    spenders: set[str]


def generate(folder: Path, config: ChainConfig | None = None) -> Chain:
    config = config or ChainConfig()
    rng = np.random.default_rng(config.seed)
    owners: dict[str, int] = {}
    coins: list[list[tuple[str, int, int, str]]] = [[] for _ in range(config.wallets)]
    txs: list[dict[str, Any]] = []
    inputs: list[dict[str, Any]] = []
    outputs: list[dict[str, Any]] = []
    counter = [0]
    start = datetime(2021, 1, 1, tzinfo=UTC)
    joins: list[str] = []

    extra = np.random.default_rng([config.seed, 1])
    kinds: dict[str, str] = {}  # address -> script type
    received: list[list[str]] = [[] for _ in range(config.wallets)]
    if config.script_types:
        names = [k for k, _ in config.script_types]
        weights = np.array([w for _, w in config.script_types], dtype=float)
        wallet_kind = [str(k) for k in extra.choice(names, size=config.wallets,
                                                    p=weights / weights.sum())]
    else:
        wallet_kind = ["p2wpkh"] * config.wallets

    def fresh(wallet: int) -> str:
        counter[0] += 1
        digest = hashlib.sha256(f"{config.seed}:{counter[0]}".encode()).digest()
        kind = wallet_kind[wallet]
        address = _address(kind, digest)  # a well-formed address of the wallet's type
        owners[address] = wallet
        kinds[address] = kind
        return address

    def payee(wallet: int) -> str:
        if received[wallet] and extra.random() < config.payee_reuse_share:
            return received[wallet][int(extra.integers(len(received[wallet])))]
        address = fresh(wallet)
        received[wallet].append(address)
        return address

    def emit(spent: list[tuple[str, int, int, str]], pays: list[tuple[int, str, int]]) -> str:
        seq = len(txs)
        txid = hashlib.sha256(f"{config.seed}:tx:{seq}".encode()).hexdigest()
        coinbase = not spent
        for vin, (prev, vout, value, address) in enumerate(spent):
            inputs.append({"txid": txid, "vin": vin, "prev_txid": prev, "prev_vout": vout,
                           "coinbase": False, "sequence": 0xFFFFFFFF, "witness_items": 2,
                           "value": value, "script_type": kinds[address], "address": address})
        if coinbase:
            inputs.append({"txid": txid, "vin": 0, "prev_txid": None, "prev_vout": None,
                           "coinbase": True, "sequence": 0xFFFFFFFF, "witness_items": 0,
                           "value": None, "script_type": None, "address": None})
        for vout, (wallet, address, value) in enumerate(pays):
            outputs.append({"txid": txid, "vout": vout, "value": value,
                            "script_type": kinds[address], "address": address, "script": None})
            coins[wallet].append((txid, vout, value, address))
        paid = sum(v for _, _, v in pays)
        txs.append({"txid": txid, "block_hash": None, "height": seq // 50,
                    "time": start + timedelta(minutes=seq), "seq": seq, "coinbase": coinbase,
                    "input_count": max(1, len(spent)), "output_count": len(pays),
                    "output_value": paid,
                    "fee": None if coinbase else sum(c[2] for c in spent) - paid,
                    "size": None, "source_file": None, "source_ref": None})
        return txid

    def take(wallet: int, count: int) -> list[tuple[str, int, int, str]]:
        pool = coins[wallet]
        picked = sorted(rng.choice(len(pool), size=min(count, len(pool)), replace=False),
                        reverse=True)
        return [pool.pop(int(i)) for i in picked]

    for wallet in range(config.wallets):
        for _ in range(int(rng.integers(1, 4))):
            emit([], [(wallet, fresh(wallet), int(rng.integers(1, 50)) * 10_000_000)])
    while len(txs) < config.transactions:
        if rng.random() < config.coinjoin_share:
            size = int(rng.integers(config.coinjoin_size[0], config.coinjoin_size[1] + 1))
            denomination = 5_000_000
            rich = [w for w in range(config.wallets)
                    if any(c[2] > denomination * 2 for c in coins[w])]
            if len(rich) < size:
                continue
            members = rng.choice(rich, size=size, replace=False)
            spent, pays = [], []
            for wallet in members:
                pool = coins[int(wallet)]
                index = next(i for i, c in enumerate(pool) if c[2] > denomination * 2)
                coin = pool.pop(index)
                spent.append(coin)
                pays.append((int(wallet), fresh(int(wallet)), denomination))
                pays.append((int(wallet), fresh(int(wallet)), coin[2] - denomination - 1_000))
            joins.append(emit(spent, pays))
            continue
        wallet = int(rng.integers(config.wallets))
        if not coins[wallet]:
            continue
        count = int(rng.integers(2, 5)) if rng.random() < config.multi_input_share else 1
        spent = take(wallet, count)
        total = sum(c[2] for c in spent)
        fee = 1_000
        if total <= fee * 3:
            coins[wallet].extend(spent)
            continue
        other = int(rng.integers(config.wallets - 1))
        other += other >= wallet
        pay = int((total - fee) * rng.uniform(0.1, 0.9))
        if config.round_payment_share and extra.random() < config.round_payment_share \
                and pay >= config.round_to:
            pay -= pay % config.round_to
        change_to = spent[0][3] if rng.random() < config.change_reuse_share else fresh(wallet)
        if coins[other] and rng.random() < config.payjoin_share:
            theirs = take(other, 1)
            emit(spent + theirs, [(other, fresh(other), pay + theirs[0][2]),
                                  (wallet, change_to, total - fee - pay)])
            continue
        to = payee(other) if config.payee_reuse_share else fresh(other)
        emit(spent, [(other, to, pay), (wallet, change_to, total - fee - pay)])
    utxo.write_rows(Path(folder), txs, inputs, outputs)
    spenders = {i["address"] for i in inputs if i["address"] is not None}
    return Chain(folder=Path(folder), owners=owners, coinjoin_txids=joins, spenders=spenders)


def _address(kind: str, digest: bytes) -> str:
    if kind == "p2pkh":
        return base58check(0, digest[:20])
    if kind == "p2sh":
        return base58check(5, digest[:20])
    if kind == "p2tr":
        return segwit_address("bc", 1, digest)
    if kind == "p2wpkh":
        return segwit_address("bc", 0, digest[:20])
    raise ValueError(f"no generated addresses of script type {kind!r}")


@dataclass(frozen=True)
class Quality:
    precision: float
    recall: float
    addresses: int
    clusters: int
    wallets: int

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def quality(result: Clustering, owners: dict[str, int],
            only: set[str] | None = None) -> Quality:
    """Pairwise precision and recall: of address pairs put together, how many share an owner;
    of pairs sharing an owner, how many were put together.

    ``only`` restricts the count to some addresses, for example those that
    spent coins at least once: the heuristic can say nothing about the others.
    """
    addresses = result.addresses.column("address").to_pylist()
    clusters = result.addresses.column("cluster_id").to_pylist()
    if only is not None:
        kept = [(a, c) for a, c in zip(addresses, clusters, strict=True) if a in only]
        addresses = [a for a, _ in kept]
        clusters = [c for _, c in kept]
    pairs: dict[tuple[str, int], int] = {}
    by_cluster: dict[str, int] = {}
    by_owner: dict[int, int] = {}
    for address, cluster in zip(addresses, clusters, strict=True):
        owner = owners[address]
        pairs[(cluster, owner)] = pairs.get((cluster, owner), 0) + 1
        by_cluster[cluster] = by_cluster.get(cluster, 0) + 1
        by_owner[owner] = by_owner.get(owner, 0) + 1

    def choose2(counts: Any) -> int:
        return sum(n * (n - 1) // 2 for n in counts)

    together = choose2(pairs.values())
    predicted = choose2(by_cluster.values())
    actual = choose2(by_owner.values())
    return Quality(precision=together / predicted if predicted else 1.0,
                   recall=together / actual if actual else 1.0, addresses=len(addresses),
                   clusters=len(by_cluster), wallets=len(by_owner))

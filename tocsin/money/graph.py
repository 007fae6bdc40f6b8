"""The payment graph in memory: compressed adjacency sorted by time, and ledgers.

Transactions are held as numpy arrays; sorting them once by (source, time) and
once by (target, time) gives, for every account, its outgoing and incoming
payments as a contiguous slice (CSR). A trace then reads a few slices instead
of scanning millions of rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa


@dataclass(frozen=True)
class Flow:
    """Payments on one side of a ledger, sorted by time then transaction id."""

    txn_id: list[str]
    t: list[int]
    counterparty: list[str]
    amount: list[float]

    def __len__(self) -> int:
        return len(self.txn_id)


@dataclass(frozen=True)
class Ledger:
    """Every payment into and out of one account."""

    account: str
    kind: str
    incoming: Flow
    outgoing: Flow


def empty_flow() -> Flow:
    return Flow([], [], [], [])


def _flow(rows: list[tuple[str, int, str, float]]) -> Flow:
    rows.sort(key=lambda r: (r[1], r[0]))
    return Flow([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows],
                [r[3] for r in rows])


def ledgers_from_rows(
    accounts: Iterable[str],
    rows: Iterable[tuple[str, int, str, str, float]],
    kinds: dict[str, str],
) -> dict[str, Ledger]:
    """Build ledgers from (txn_id, t, source, target, amount) rows of any engine."""
    wanted = set(accounts)
    ins: dict[str, list[tuple[str, int, str, float]]] = {a: [] for a in wanted}
    outs: dict[str, list[tuple[str, int, str, float]]] = {a: [] for a in wanted}
    for txn_id, t, source, target, amount in rows:
        if target in wanted:
            ins[target].append((str(txn_id), int(t), str(source), float(amount)))
        if source in wanted:
            outs[source].append((str(txn_id), int(t), str(target), float(amount)))
    return {
        a: Ledger(a, kinds.get(a, "unknown"), _flow(ins[a]), _flow(outs[a])) for a in wanted
    }


class PaymentGraph:
    """CSR adjacency over integer account codes, built once per set."""

    def __init__(
        self,
        account_ids: pa.Array,
        kinds: pa.Array,
        txn_ids: pa.Array,
        src: np.ndarray,
        dst: np.ndarray,
        t: np.ndarray,
        amount: np.ndarray,
    ) -> None:
        self.account_ids = account_ids
        self.index = {a: i for i, a in enumerate(account_ids.to_pylist())}
        self.kinds = kinds.to_pylist()
        self.txn_ids = txn_ids
        self.src, self.dst, self.t, self.amount = src, dst, t, amount
        n = len(account_ids)
        # Sorting by (account, time, row) keeps ties deterministic.
        self.out_order = np.lexsort((np.arange(len(src)), t, src))
        self.in_order = np.lexsort((np.arange(len(dst)), t, dst))
        self.out_ptr = np.searchsorted(src[self.out_order], np.arange(n + 1))
        self.in_ptr = np.searchsorted(dst[self.in_order], np.arange(n + 1))

    @property
    def size(self) -> int:
        return len(self.src)

    def _flows(self, slices: list[np.ndarray], other: np.ndarray) -> list[Flow]:
        """Flows for many accounts with one gather per column (cheap per account)."""
        sizes = [len(r) for r in slices]
        rows = np.concatenate(slices) if slices else np.zeros(0, dtype=np.int64)
        ids = self.txn_ids.take(pa.array(rows)).to_pylist()
        cps = self.account_ids.take(pa.array(other[rows])).to_pylist()
        ts = self.t[rows].tolist()
        amounts = self.amount[rows].tolist()
        flows, at = [], 0
        for n in sizes:
            part = list(zip(ids[at:at + n], ts[at:at + n], cps[at:at + n],
                            amounts[at:at + n], strict=True))
            flows.append(_flow(part) if n else empty_flow())
            at += n
        return flows

    def ledgers(self, accounts: Iterable[str]) -> dict[str, Ledger]:
        names = list(dict.fromkeys(accounts))
        codes = [self.index.get(a) for a in names]
        known = [(a, i) for a, i in zip(names, codes, strict=True) if i is not None]
        ins = self._flows([self.in_order[self.in_ptr[i]:self.in_ptr[i + 1]] for _, i in known],
                          self.src)
        outs = self._flows([self.out_order[self.out_ptr[i]:self.out_ptr[i + 1]]
                            for _, i in known], self.dst)
        out = {a: Ledger(a, "unknown", empty_flow(), empty_flow()) for a in names}
        for (a, i), fin, fout in zip(known, ins, outs, strict=True):
            out[a] = Ledger(a, self.kinds[i] or "unknown", fin, fout)
        return out

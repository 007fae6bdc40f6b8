"""A straightforward networkx version of the detectors, as the benchmark baseline.

The same definitions and default thresholds as ``tocsin.money.detect``, written
the obvious way: a MultiDiGraph, Python loops over nodes and edges, and a
depth-first search for paths. It returns the set of flagged accounts per
detector so the benchmark can check the two agree on what they find.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

import networkx as nx
import pyarrow.parquet as pq

HOUR = 3600
HUBS = {"merchant", "cash", "foreign", "crypto"}
PATH_EXCLUDED = {"merchant", "cash"}


def load(set_dir: Path) -> Any:
    accounts = pq.read_table(set_dir / "accounts.parquet", columns=["account_id", "kind"])
    kinds = dict(zip(accounts.column("account_id").to_pylist(),
                     accounts.column("kind").to_pylist(), strict=True))
    txns = pq.read_table(set_dir / "transactions.parquet",
                         columns=["txn_id", "ts", "source", "target", "amount", "channel"])
    g = nx.MultiDiGraph()
    for node, kind in kinds.items():
        g.add_node(node, kind=kind)
    cols = txns.to_pydict()
    for txn_id, ts, s, t, a, ch in zip(cols["txn_id"], cols["ts"], cols["source"],
                                       cols["target"], cols["amount"], cols["channel"],
                                       strict=True):
        g.add_edge(s, t, txn=txn_id, t=int(ts.timestamp()), amount=a, channel=ch)
    return g


def _kind(g: Any, n: str) -> str:
    return g.nodes[n].get("kind", "unknown")


def _widest_window(events: list[tuple[int, str]], width: int) -> tuple[int, int, set[str]]:
    """Start, end and counterparties of the window with the most distinct ones."""
    best: tuple[int, int, set[str]] = (0, 0, set())
    for i, (t0, _) in enumerate(events):
        j = i
        while j < len(events) and events[j][0] <= t0 + width:
            j += 1
        window = {cp for _, cp in events[i:j]}
        if len(window) > len(best[2]):
            best = (i, j, window)
    return best


def fan(g: Any, out: bool, k: int = 5, width: int = 72 * HOUR,
        min_new_share: float = 0.5) -> set[str]:
    """Hub plus the counterparties of its widest window of mostly one-off payees."""
    flagged: set[str] = set()
    for n in g.nodes:
        if _kind(g, n) in HUBS:
            continue
        edges = g.out_edges(n, data=True) if out else g.in_edges(n, data=True)
        events = sorted((d["t"], v if out else u) for u, v, d in edges
                        if u != v and _kind(g, v if out else u) not in HUBS
                        and _kind(g, u if out else v) not in HUBS)
        if len({cp for _, cp in events}) < k:
            continue
        i, j, window = _widest_window(events, width)
        if len(window) < k:
            continue
        outside = {cp for _, cp in events[:i] + events[j:]}
        if 1 - len(window & outside) / len(window) >= min_new_share:
            flagged |= {n, *window}
    return flagged


def spread_fan_in(g: Any, k: int = 4, width: int = 720 * HOUR,
                  max_chance: float = 0.001, min_burst: float = 3.0,
                  min_history: float = 3.0) -> set[str]:
    """Hub plus its one-off payers in the window with the most of them, when the hub's
    own rate of one-off payers would fill such a window by chance at most that often
    and the window holds ``min_burst`` times that rate plus one."""
    flagged: set[str] = set()
    for n in g.nodes:
        if _kind(g, n) in HUBS:
            continue
        payments: dict[str, list[int]] = defaultdict(list)
        for u, v, d in g.in_edges(n, data=True):
            if u != v and _kind(g, u) not in HUBS:
                payments[u].append(d["t"])
        times = [t for ts in payments.values() for t in ts]
        once = sorted((ts[0], u) for u, ts in payments.items() if len(ts) == 1)
        best: list[tuple[int, str]] = []
        for i, (t0, _) in enumerate(once):
            inside = [e for e in once[i:] if e[0] <= t0 + width]
            if len(inside) > len(best):
                best = inside
        if len(best) < k:
            continue
        active = max(times) - min(times)
        if active < min_history * width:
            continue
        usual = (len(once) - len(best)) * width / max(width, active - width)
        if usual > 0:
            tail = 1 - sum(math.exp(-usual) * usual ** i / math.factorial(i)
                           for i in range(len(best)))
        else:
            tail = 0.0
        if (max(1.0, active / width) * tail <= max_chance
                and len(best) >= min_burst * (usual + 1)):
            flagged |= {n, *(u for _, u in best)}
    return flagged


def gather_scatter(g: Any, k: int = 5, width: int = 72 * HOUR, lo: float = 0.5,
                   hi: float = 1.5) -> set[str]:
    """Widest gathering window, then what left within a window after it, if it matches."""
    flagged: set[str] = set()
    for n in g.nodes:
        if _kind(g, n) in HUBS:
            continue
        ins = sorted((d["t"], d["txn"], u, d["amount"]) for u, _, d in g.in_edges(n, data=True)
                     if u != n and _kind(g, u) not in HUBS)
        outs = [(d["t"], v, d["amount"]) for _, v, d in g.out_edges(n, data=True)
                if v != n and _kind(g, v) not in HUBS]
        i, j, senders = _widest_window([(t, u) for t, _, u, _ in ins], width)
        if len(senders) < k:
            continue
        t_first, t_last = ins[i][0], ins[j - 1][0]
        later = [(v, a) for t, v, a in outs if t_first <= t <= t_last + width]
        got = sum(a for *_, a in ins[i:j])
        sent = sum(a for _, a in later)
        if len({v for v, _ in later}) >= k and lo <= sent / got <= hi:
            flagged |= {n, *senders, *(v for v, _ in later)}
    return flagged


def _path_edges(g: Any, n: str, min_amount: float) -> list[tuple[str, dict[str, Any]]]:
    return [(v, d) for _, v, d in g.out_edges(n, data=True)
            if v != n and d["amount"] >= min_amount and _kind(g, v) not in PATH_EXCLUDED]


def _floor(g: Any, cap: float, excluded: set[str]) -> float:
    """The median payment between two accounts not of ``excluded`` kinds, at most ``cap``
    (the cycle detector's relative amount floor)."""
    amounts = sorted(d["amount"] for u, v, d in g.edges(data=True)
                     if u != v and _kind(g, u) not in excluded and _kind(g, v) not in excluded)
    return min(cap, amounts[(len(amounts) - 1) // 2]) if amounts else cap


def scatter_gather(g: Any, k: int = 3, width: int = 48 * HOUR) -> set[str]:
    mids: dict[tuple[str, str], set[str]] = defaultdict(set)
    for s, m, d in g.edges(data=True):
        if s == m or d["amount"] < 1000 or {_kind(g, s), _kind(g, m)} & PATH_EXCLUDED:
            continue
        for t, d2 in _path_edges(g, m, 1000):
            if t != s and d["t"] <= d2["t"] <= d["t"] + width and \
                    0.5 * d["amount"] <= d2["amount"] <= 1.05 * d["amount"]:
                mids[(s, t)].add(m)
    flagged = set()
    for (s, t), ms in mids.items():
        if len(ms) >= k:
            flagged |= {s, t, *ms}
    return flagged


def _paths(g: Any, max_hops: int, width: int, total: int, lo: float, hi: float,
           closed: bool, floor: float) -> list[list[str]]:
    found = []
    for s, first, d in g.edges(data=True):
        if s == first or d["amount"] < floor or {_kind(g, s), _kind(g, first)} & PATH_EXCLUDED:
            continue
        stack = [([s, first], d["t"], d["amount"], d["t"])]
        while stack:
            nodes, t_last, a_last, t0 = stack.pop()
            if closed and nodes[-1] == s and len(nodes) >= 4:
                found.append(nodes)
                continue
            if not closed and len(nodes) >= 4:
                found.append(nodes)
            if len(nodes) > max_hops:
                continue
            for v, d2 in _path_edges(g, nodes[-1], floor):
                if t_last <= d2["t"] <= min(t_last + width, t0 + total) and \
                        lo * a_last <= d2["amount"] <= hi * a_last and \
                        (v == s or v not in nodes):
                    stack.append(([*nodes, v], d2["t"], d2["amount"], t0))
    return found


def cycles(g: Any) -> set[str]:
    floor = _floor(g, 1000, PATH_EXCLUDED)
    return {n for p in _paths(g, 10, 48 * HOUR, 240 * HOUR, 0.8, 1.05, True, floor) for n in p}


def stacks(g: Any) -> set[str]:
    ends: dict[tuple[str, str], list[list[str]]] = defaultdict(list)
    for p in _paths(g, 5, 48 * HOUR, 168 * HOUR, 0.2, 4.0, False, 1000):
        ends[(p[0], p[-1])].append(p)
    # routes through distinct accounts: a payment path repeated along the same ones is one
    return {n for ps in ends.values() if len({tuple(p) for p in ps}) >= 2 for p in ps for n in p}


def bipartite(g: Any, min_senders: int = 3, min_receivers: int = 2) -> set[str]:
    pairs = {(u, v) for u, v, d in g.edges(data=True)
             if u != v and d["amount"] >= 500 and _kind(g, u) not in HUBS
             and _kind(g, v) not in HUBS}
    senders_of: dict[str, set[str]] = defaultdict(set)
    receivers_of: dict[str, set[str]] = defaultdict(set)
    for u, v in pairs:
        senders_of[v].add(u)
        receivers_of[u].add(v)
    groups: dict[frozenset[str], set[str]] = defaultdict(set)
    for u, rs in receivers_of.items():
        if len(rs) > 10:
            continue
        sig = frozenset(r for r in rs if len(senders_of[r]) <= 10)
        if len(sig) >= min_receivers:
            groups[sig].add(u)
    return {n for sig, us in groups.items() if len(us) >= min_senders for n in sig | us}


def structuring(g: Any, k: int = 3, width: int = 10 * 24 * HOUR) -> set[str]:
    flagged = set()
    for n in g.nodes:
        ts = sorted(d["t"] for u, _, d in g.in_edges(n, data=True)
                    if 9000 <= d["amount"] < 10000
                    and (d["channel"] == "cash" or _kind(g, u) == "cash"))
        if any(sum(1 for t in ts[i:] if t <= t0 + width) >= k for i, t0 in enumerate(ts)):
            flagged.add(n)
    return flagged


def split_payments(g: Any, k: int = 3, width: int = 24 * HOUR, factor: float = 10.0,
                   history: int = 3) -> set[str]:
    """Payers that cut a payment to one account into ``k`` pieces within the window,
    each ``factor`` times smaller than the median of their payments to others."""
    flagged: set[str] = set()
    for n in g.nodes:
        if _kind(g, n) in HUBS:
            continue
        by_payee: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for _, v, d in g.out_edges(n, data=True):
            if v != n and _kind(g, v) not in HUBS:
                by_payee[v].append((d["t"], d["amount"]))
        for payee, paid in by_payee.items():
            others = sorted(a for v, p in by_payee.items() if v != payee for _, a in p)
            if len(paid) < k or len(others) < history:
                continue
            mid = len(others) // 2
            usual = others[mid] if len(others) % 2 else (others[mid - 1] + others[mid]) / 2
            ts = sorted(t for t, a in paid if a * factor <= usual)
            if any(sum(1 for t in ts[i:] if t <= t0 + width) >= k for i, t0 in enumerate(ts)):
                flagged |= {n, payee}
    return flagged


def pass_through(g: Any, width: int = 12 * HOUR, ratio: float = 0.8,
                 min_amount: float = 1000, max_receivers: int = 5) -> set[str]:
    """FIFO-match each account's payments out to the lots that came in within the window."""
    flagged: set[str] = set()
    for n in g.nodes:
        if _kind(g, n) in HUBS:
            continue
        # Incoming before outgoing at the same second: money must arrive to leave.
        events = sorted(
            [(d["t"], 0, d["txn"], u, d["amount"]) for u, _, d in g.in_edges(n, data=True)
             if u != n and d["amount"] >= min_amount]
            + [(d["t"], 1, d["txn"], v, d["amount"]) for _, v, d in g.out_edges(n, data=True)
               if v != n])
        every: list[list[Any]] = []  # [t, remaining, amount, sender, receivers]
        lots: deque[list[Any]] = deque()  # the lots still inside the window
        for t, side, _, cp, amount in events:
            if side == 0:
                every.append([t, amount, amount, cp, set()])
                lots.append(every[-1])
                continue
            while lots and t - lots[0][0] > width:
                lots.popleft()
            need = amount
            while need > 1e-9 and lots:
                lot = lots[0]
                take = min(need, lot[1])
                lot[1] -= take
                need -= take
                lot[4].add(cp)
                if lot[1] <= 1e-9:
                    lots.popleft()
        for _, left, amount, sender, receivers in every:
            if amount - left >= ratio * amount and len(receivers) <= max_receivers:
                flagged |= {n, sender, *receivers}
    return flagged


def run_all(g: Any) -> dict[str, set[str]]:
    return {
        "fan_out": fan(g, True),
        "fan_in": fan(g, False),
        "spread_fan_in": spread_fan_in(g),
        "gather_scatter": gather_scatter(g),
        "scatter_gather": scatter_gather(g),
        "cycle": cycles(g),
        "bipartite": bipartite(g),
        "stack": stacks(g),
        "structuring": structuring(g),
        "split_payments": split_payments(g),
        "pass_through": pass_through(g),
    }

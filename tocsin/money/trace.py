"""Trace money forward (where did it go) and backward (where did it come from).

A trace starts from accounts or transactions and follows payments hop by hop,
within a time window per hop, deciding at every account which outgoing
payments carried the traced money (forward) or which incoming payments funded
a payment (backward). How that is decided is the *allocation rule*, as courts
and financial investigators use them:

- **FIFO** (first in, first out): an account's incoming payments form a queue;
  each outgoing payment is paid from the oldest money still in the account.
  Traced money leaves only after everything that arrived before it.
- **LIFO** (last in, first out): each outgoing payment is paid from the most
  recent money first — the traced money leaves with the next payments out.
  (The "lowest intermediate balance" view of many common-law courts.)
- **Proportional** (haircut): every outgoing payment carries traced money in
  proportion to the traced share of the balance at that moment; the taint
  dilutes but never disappears.
- **Poison**: once traced money enters an account, every later outgoing
  payment within the window counts as fully tainted (the widest net, used to
  find every possible destination before narrowing down).

The result is a flow tree with the amount on every path, the end points
(cash-out, foreign banks, crypto, merchants, and the unexplained balance
remaining in an account) and an explanation for every allocation step.

Limits, stated so nobody over-reads a trace: the matching uses the account's
whole ledger in the set; the balance it held before its first payment in the
set is unknown and treated as zero, so money paid out beyond what came in is
"unexplained". Forward, only payments within ``window_hours`` after the money
arrived are followed; backward, only payments within ``window_hours`` before
it left; transfers from an account to itself move nothing and are
ignored; a path stops when it would revisit an account (a cycle), at an end
point, after ``hops`` payments or when the tree reaches ``max_nodes``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from tocsin.errors import InputError, Problem
from tocsin.i18n import N_, Joined, Message, to_data
from tocsin.money.findings import AMOUNT_DIGITS, figure, set_currency
from tocsin.money.graph import Ledger

if TYPE_CHECKING:
    from tocsin.money.index import SetIndex

Rule = Literal["fifo", "lifo", "haircut", "poison"]
Direction = Literal["forward", "backward"]
RULES: tuple[Rule, ...] = ("fifo", "lifo", "haircut", "poison")
#: Account kinds where a forward trace ends (the money left the banking chain).
END_KINDS = {"cash": N_("cash-out"), "foreign": N_("foreign bank"), "crypto": N_("crypto"),
             "merchant": N_("spent at a merchant")}
#: Why a path stops short of an end point (messages whose text is the English label).
CYCLE = N_("cycle (account already on this path)")
HOP_LIMIT = N_("hop limit")
EPSILON = 0.005


class LedgerSource(Protocol):
    def ledgers(self, accounts: Iterable[str]) -> dict[str, Ledger]: ...


@dataclass(frozen=True)
class TraceConfig:
    direction: Direction = "forward"
    rule: Rule = "fifo"
    hops: int = 6
    #: How long after arriving (forward) or before leaving (backward) money is followed.
    window_hours: float = 30 * 24.0
    #: Paths carrying less than this are not followed further.
    min_amount: float = 1.0
    max_nodes: int = 20_000
    #: The set's currency, named with every amount of an explanation; :func:`trace` takes
    #: it from the set (its base currency) when it is not given.
    currency: str = ""


class FlowNode:
    """An account on a traced path and the payment that linked it to its parent.

    ``explanation`` may be given as a formatter and its arguments (``why``): it
    is then written when first read, so a trace does not format text for nodes
    nobody looks at.
    """

    __slots__ = ("_explanation", "_why", "account", "amount", "children", "end", "hop", "kind",
                 "t", "txn_id")

    def __init__(self, account: str, kind: str, hop: int, amount: float,
                 txn_id: str | None = None, t: int | None = None, explanation: str = "",
                 end: str | None = None, children: list[FlowNode] | None = None,
                 why: tuple[Any, ...] | None = None) -> None:
        self.account = account
        self.kind = kind
        self.hop = hop
        self.amount = amount
        self.txn_id = txn_id
        self.t = t
        self._explanation = explanation
        self._why = why
        #: Why the path stops here, or None when it continues.
        self.end = end
        self.children: list[FlowNode] = children if children is not None else []

    @property
    def explanation(self) -> str:
        if self._why is not None:
            formatter, *args = self._why
            self._explanation = formatter(*args)
            self._why = None
        return self._explanation

    @explanation.setter
    def explanation(self, text: str) -> None:
        self._explanation, self._why = text, None

    def __repr__(self) -> str:
        return (f"FlowNode({self.account!r}, {self.kind!r}, hop={self.hop}, "
                f"amount={self.amount!r}, txn_id={self.txn_id!r}, end={self.end!r}, "
                f"children={len(self.children)})")

    def to_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "kind": self.kind,
            "hop": self.hop,
            "amount": round(self.amount, AMOUNT_DIGITS),
            "txn_id": self.txn_id,
            "time": _when(self.t) if self.t is not None else None,
            "explanation": self.explanation,
            "explanation_message": to_data(self.explanation),
            "end": self.end,
            "end_message": to_data(self.end),
            "children": [c.to_dict() for c in self.children],
        }


@dataclass
class EndPoint:
    account: str
    kind: str
    end: str
    amount: float
    paths: int


@dataclass
class TraceResult:
    config: TraceConfig
    roots: list[FlowNode]
    end_points: list[EndPoint]
    nodes: int
    truncated: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "direction": self.config.direction,
            "rule": self.config.rule,
            "hops": self.config.hops,
            "window_hours": self.config.window_hours,
            "nodes": self.nodes,
            "truncated": self.truncated,
            "end_points": [vars(e) | {"amount": round(e.amount, AMOUNT_DIGITS),
                                      "end_message": to_data(e.end)}
                           for e in self.end_points],
            "roots": [r.to_dict() for r in self.roots],
        }


class _WalkedTrace(TraceResult):
    """A trace held as arrays (:mod:`tocsin.money.walk`): its end points are summed,
    their objects made when read, and its tree built when read."""

    def __init__(self, config: TraceConfig, nodes: int, truncated: bool, points: Any,
                 build: Any) -> None:
        self.config = config
        self.nodes = nodes
        self.truncated = truncated
        self._points = points
        self._end_points: list[EndPoint] | None = None
        self._build = build
        self._roots: list[FlowNode] | None = None

    @property
    def end_points(self) -> list[EndPoint]:  # type: ignore[override]
        if self._end_points is None:
            self._end_points = self._points()
        return self._end_points

    @property
    def roots(self) -> list[FlowNode]:  # type: ignore[override]
        if self._roots is None:
            self._roots = self._build()
        return self._roots


# --------------------------------------------------------------------------- allocation


def allocate(ledger: Ledger, rule: Rule) -> tuple[
        dict[int, list[tuple[int, float]]], dict[int, float]]:
    """Match the account's incoming to its outgoing payments over its whole ledger.

    Returns, per outgoing index, the incoming indices and amounts that paid
    for it, and per incoming index the amount never spent. Incoming payments
    are booked before outgoing ones at the same second; money paid out beyond
    what came in is unexplained (an opening balance the set does not show).
    Poison is not a matching and is handled by the caller.
    """
    ins, outs = ledger.incoming, ledger.outgoing
    events: list[tuple[int, int, int]] = []  # (t, 0 = in / 1 = out, index)
    for i, t in enumerate(ins.t):
        if ins.counterparty[i] != ledger.account:
            events.append((t, 0, i))
    for j, t in enumerate(outs.t):
        if outs.counterparty[j] != ledger.account:
            events.append((t, 1, j))
    events.sort()
    lots: deque[list[Any]] = deque()  # [incoming index, remaining]
    paid: dict[int, list[tuple[int, float]]] = {}
    for _, side, k in events:
        if side == 0:
            lots.append([k, ins.amount[k]])
            continue
        need = outs.amount[k]
        got: list[tuple[int, float]] = []
        if rule == "haircut":
            balance = sum(lot[1] for lot in lots)
            share = min(1.0, need / balance) if balance > 0 else 0.0
            for lot in lots:
                part = lot[1] * share
                if part > 0:
                    got.append((lot[0], part))
                    lot[1] -= part
            # Diluted lots below a thousandth of a cent are spent for good.
            if share > 0:
                lots = deque(lot for lot in lots if lot[1] > 1e-5)
        else:
            while need > 1e-9 and lots:
                lot = lots[0] if rule == "fifo" else lots[-1]
                take = min(need, lot[1])
                got.append((lot[0], take))
                lot[1] -= take
                need -= take
                if lot[1] <= 1e-9:
                    if rule == "fifo":
                        lots.popleft()
                    else:
                        lots.pop()
        paid[k] = got
    unspent = {lot[0]: lot[1] for lot in lots if lot[1] > 1e-9}
    return paid, unspent


class _Allocations:
    """Matchings per account, computed once per trace and read in both directions."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.paid: dict[str, dict[int, list[tuple[int, float]]]] = {}
        self.spent: dict[str, dict[int, list[tuple[int, float]]]] = {}

    def _ensure(self, ledger: Ledger) -> None:
        if ledger.account not in self.paid:
            paid, _ = allocate(ledger, self.rule)
            spent: dict[int, list[tuple[int, float]]] = {}
            for j in sorted(paid):
                for i, amount in paid[j]:
                    spent.setdefault(i, []).append((j, amount))
            self.paid[ledger.account] = paid
            self.spent[ledger.account] = spent

    def out_of(self, ledger: Ledger, incoming: int) -> list[tuple[int, float]]:
        """Outgoing payments (index, amount) that spent incoming payment ``incoming``."""
        self._ensure(ledger)
        return self.spent[ledger.account].get(incoming, [])

    def funding(self, ledger: Ledger, outgoing: int) -> list[tuple[int, float]]:
        """Incoming payments (index, amount) that funded outgoing payment ``outgoing``."""
        self._ensure(ledger)
        return self.paid[ledger.account].get(outgoing, [])


# --------------------------------------------------------------------------- tracing


@dataclass
class _Work:
    node: FlowNode
    path: frozenset[str]


def trace(
    source: LedgerSource,
    *,
    accounts: Sequence[str] = (),
    transactions: Sequence[str] = (),
    config: TraceConfig | None = None,
    since: int | None = None,
) -> TraceResult:
    """Trace from accounts and/or transactions (ids) over ``source``'s ledgers.

    From an account, a forward trace follows every payment it made (from
    ``since``, seconds since the epoch, when given) and a backward trace every
    payment it received. From a transaction, a forward trace follows the money
    into its target, a backward trace the money out of its source.
    """
    cfg = config or TraceConfig()
    if not cfg.currency:
        cfg = replace(cfg, currency=set_currency(source))
    _check(cfg, accounts, transactions)
    opener = getattr(source, "trace_index", None)
    index = opener() if opener is not None else None
    if index is not None:
        return _trace_indexed(index, accounts, transactions, cfg, since)
    width = int(cfg.window_hours * 3600)
    forward = cfg.direction == "forward"
    cache: dict[str, Ledger] = {}
    allocations = _Allocations(cfg.rule)

    def ledgers(names: Iterable[str]) -> dict[str, Ledger]:
        missing = [n for n in names if n not in cache]
        if missing:
            cache.update(source.ledgers(missing))
        return cache

    roots: list[FlowNode] = []
    queue: deque[_Work] = deque()
    count = 0
    truncated = False
    for account in accounts:
        ledger = ledgers([account])[account]
        root = FlowNode(account, ledger.kind, 0, 0.0,
                        explanation=_why_root(cfg.direction, account))
        roots.append(root)
        flow = ledger.outgoing if forward else ledger.incoming
        for j in range(len(flow)):
            if flow.counterparty[j] == account or (since is not None and flow.t[j] < since):
                continue
            if count >= cfg.max_nodes:
                truncated = True
                break
            child = _child(flow, j, 1, flow.amount[j],
                           _why_start(cfg.currency, flow.amount[j], forward, flow.txn_id[j],
                                      flow.t[j]))
            root.amount += flow.amount[j]
            root.children.append(child)
            queue.append(_Work(child, frozenset({account})))
            count += 1
    if transactions:
        for txn in transactions:
            node = _seed_transaction(source, ledgers, txn, forward, cfg.currency)
            roots.append(node)
            queue.append(_Work(node, frozenset()))
            count += 1

    while queue:
        # Fetch the ledgers of a whole hop at once (one query on Spark).
        batch = [queue.popleft() for _ in range(len(queue))]
        ledgers([w.node.account for w in batch])
        for work in batch:
            node = work.node
            ledger = cache[node.account]
            node.kind = ledger.kind
            if _stops(node, work, cfg):
                continue
            linking = ledger.incoming if forward else ledger.outgoing
            index = linking.txn_id.index(node.txn_id) if node.txn_id else -1
            steps = _allocate_one(ledger, index, node.amount, cfg, width, forward,
                                  allocations)
            flow = ledger.outgoing if forward else ledger.incoming
            carried = 0.0
            for j, part, why in steps:
                if part < cfg.min_amount:
                    continue
                if count >= cfg.max_nodes:
                    truncated = True
                    break
                carried += part
                child = _child(flow, j, node.hop + 1, part, why)
                node.children.append(child)
                count += 1
                queue.append(_Work(child, work.path | {node.account}))
            rest = node.amount - carried
            if cfg.rule != "poison" and rest >= max(cfg.min_amount, EPSILON):
                label = _UNEXPLAINED[forward]
                node.children.append(FlowNode(node.account, ledger.kind, node.hop, rest,
                                              explanation=_why_rest(cfg.currency, rest, label),
                                              end=label))
    return TraceResult(cfg, roots, _end_points(roots), count, truncated)


# --------------------------------------------------------------------------- over the index


@dataclass
class _Step:
    node: FlowNode
    path: frozenset[str]
    code: int
    row: int


def _trace_indexed(ix: SetIndex, accounts: Sequence[str], transactions: Sequence[str],
                   cfg: TraceConfig, since: int | None) -> TraceResult:
    """:func:`trace` over a set's persisted index: the same tree, read from arrays.

    FIFO and LIFO read the set's precomputed matchings (one slice per step);
    proportional matching is computed per account when first reached; poison
    reads the account's time-sorted payments within the window by binary search.
    Explanations are written when read (see :class:`FlowNode`).
    """
    width = int(cfg.window_hours * 3600)
    forward = cfg.direction == "forward"
    rule = cfg.rule
    if len(transactions) == 1 and not accounts and rule in ("fifo", "lifo"):
        return _from_payment(ix, transactions[0], cfg, width, forward)
    matching = ix.matching(rule) if rule in ("fifo", "lifo") else None
    seed_rows = [ix.row(txn) for txn in transactions]
    if matching is not None and not accounts and transactions and \
            _grows(matching, seed_rows, forward):
        return _walked(ix, transactions, seed_rows, cfg, width, forward)
    name = _rule_name(rule)
    t_, amount_, src_, dst_ = ix.t, ix.amount, ix.src, ix.dst
    other = dst_ if forward else src_
    kinds = ix.kinds
    min_amount, max_nodes, hops = cfg.min_amount, cfg.max_nodes, cfg.hops
    roots: list[FlowNode] = []
    queue: deque[_Step] = deque()
    count = 0
    truncated = False

    for account in accounts:
        code = ix.code(account)
        root = FlowNode(account, ix.kind(code), 0, 0.0,
                        explanation=_why_root(cfg.direction, account))
        roots.append(root)
        rows = (ix.outgoing(code) if forward else ix.incoming(code)) if code >= 0 else ()
        for row in (int(r) for r in rows):
            cp = int(other[row])
            if cp == code or (since is not None and t_[row] < since):
                continue
            if count >= max_nodes:
                truncated = True
                break
            amount = float(amount_[row])
            txn, tr = ix.txn_id(row), int(t_[row])
            node = FlowNode(ix.account(cp), kinds[cp], 1, amount, txn, tr,
                            why=(_why_start, cfg.currency, amount, forward, txn, tr))
            root.amount += amount
            root.children.append(node)
            queue.append(_Step(node, frozenset({account}), cp, row))
            count += 1
    for txn, row in zip(transactions, seed_rows, strict=True):
        if row < 0:
            raise InputError.single(f"transaction {txn}", _NOT_FOUND)
        code = int(dst_[row] if forward else src_[row])
        account = ix.account(code)
        amount = float(amount_[row])
        tr = int(t_[row])
        node = FlowNode(account, kinds[code], 1, amount, txn, tr,
                        why=(_why_seed, cfg.currency, amount, forward, account, txn, tr))
        roots.append(node)
        queue.append(_Step(node, frozenset(), code, row))
        count += 1

    while queue:
        work = queue.popleft()
        node = work.node
        if node.account in work.path:
            node.end = CYCLE
            continue
        if forward and node.kind in END_KINDS:
            node.end = END_KINDS[node.kind]
            continue
        if node.hop >= hops:
            node.end = HOP_LIMIT
            continue
        code, row = work.code, work.row
        t0 = int(t_[row])
        linked = float(amount_[row])
        traced = min(1.0, node.amount / linked) if linked > 0 else 0.0
        if rule == "poison":
            if forward:
                lo_row, hi_row = int(ix.out_ptr[code]), int(ix.out_ptr[code + 1])
                lo = lo_row + int(np.searchsorted(t_[lo_row:hi_row], t0, "left"))
                hi = lo_row + int(np.searchsorted(t_[lo_row:hi_row], t0 + width, "right"))
                rows_list = list(range(lo, hi))
            else:
                ins = ix.incoming(code)
                times = t_[ins]
                lo = int(np.searchsorted(times, t0 - width, "left"))
                hi = int(np.searchsorted(times, t0, "right"))
                rows_list = ins[lo:hi].tolist()
            steps = [(r, float(amount_[r])) for r in rows_list if int(other[r]) != code]
        elif matching is not None:
            rows, parts = matching.spent(row) if forward else matching.funding(row)
            steps = list(zip(rows.tolist(), parts.tolist(), strict=True))
        else:
            cut = ix.haircut(code)
            steps = (cut["spent"] if forward else cut["paid"]).get(row, [])
        if not steps:
            if rule != "poison" and node.amount >= max(min_amount, EPSILON):
                _unexplained(node, node.amount, forward, cfg.currency)
            continue
        carried = 0.0
        txn = node.txn_id or ""
        path = None
        for r, share in steps:
            tr = int(t_[r])
            if rule == "poison":
                part = share
            else:
                if (forward and tr > t0 + width) or (not forward and tr < t0 - width):
                    continue
                part = share * traced
                if forward and not part > 0:
                    continue
            if part < min_amount:
                continue
            if count >= max_nodes:
                truncated = True
                break
            carried += part
            cp = int(other[r])
            rid = ix.txn_id(r)
            cp_name = ix.account(cp)
            if rule == "poison":
                why: tuple[Any, ...] = (_why_poison, cfg.currency, rid, part, tr, txn, forward)
            elif forward:
                why = (_why_forward, cfg.currency, name, part, linked * traced, node.account,
                       txn, t0, rid,
                       cp_name, tr)
            else:
                why = (_why_backward, cfg.currency, name, part, txn, t0, rid, cp_name, tr)
            if path is None:
                path = work.path | {node.account}
            step = FlowNode(cp_name, kinds[cp], node.hop + 1, part, rid, tr, why=why)
            node.children.append(step)
            count += 1
            queue.append(_Step(step, path, cp, r))
        rest = node.amount - carried
        if rule != "poison" and rest >= max(min_amount, EPSILON):
            _unexplained(node, rest, forward, cfg.currency)
    return TraceResult(cfg, roots, _end_points(roots), count, truncated)


def _from_payment(ix: SetIndex, txn: str, cfg: TraceConfig, width: int,
                  forward: bool) -> TraceResult:
    """FIFO or LIFO from one payment.

    Most such trees are a single node: the money stops in the account it entered
    (an end point, the hop limit, or never spent within the set). That answer is
    read from a few numbers of the index, without the walk and its arrays; any
    other tree is walked in compiled code (:func:`_walked`).
    """
    row = ix.row(txn)
    if row < 0:
        raise InputError.single(f"transaction {txn}", _NOT_FOUND)
    v = ix.scalars(cfg.rule, forward)
    code = v.other[row]
    if forward and v.ends[code]:
        end: str | None = END_KINDS[v.kinds[code]]
    elif cfg.hops <= 1:
        end = HOP_LIMIT
    elif v.ptr[row + 1] == v.ptr[row]:
        end = None  # nothing paid on (forward) or nothing funded it (backward)
    else:
        return _walked(ix, [txn], [row], cfg, width, forward)
    amount = v.amount[row]
    rest = end is None and amount >= max(cfg.min_amount, EPSILON)
    return _OnePayment(cfg, ix, v, txn, row, code, amount, end, rest, forward)


class _OnePayment(TraceResult):
    """A trace whose tree is the payment's target (forward) or source (backward) alone,
    with its unexplained rest when it has one; its objects are made when read."""

    def __init__(self, config: TraceConfig, ix: SetIndex, v: Any, txn: str, row: int,
                 code: int, amount: float, end: str | None, rest: bool,
                 forward: bool) -> None:
        self.config = config
        self.nodes = 1
        self.truncated = False
        self._seed = (ix, v, txn, row, code, amount, end, rest, forward)
        self._points: list[EndPoint] | None = None
        self._roots: list[FlowNode] | None = None

    @property
    def end_points(self) -> list[EndPoint]:  # type: ignore[override]
        if self._points is None:
            ix, v, _txn, _row, code, amount, end, rest, forward = self._seed
            self._points = [] if end is None and not rest else [
                EndPoint(ix.account(code), v.kinds[code], end or _UNEXPLAINED[forward],
                         round(amount, AMOUNT_DIGITS), 1)]
        return self._points

    @property
    def roots(self) -> list[FlowNode]:  # type: ignore[override]
        if self._roots is None:
            ix, v, txn, row, code, amount, end, rest, forward = self._seed
            t = v.t[row]
            account = ix.account(code)
            node = FlowNode(account, v.kinds[code], 1, amount, txn, t,
                            why=(_why_seed, self.config.currency, amount, forward, account, txn, t),
                            end=end)
            if rest:
                _unexplained(node, amount, forward, self.config.currency)
            self._roots = [node]
        return self._roots


def _grows(matching: Any, rows: list[int], forward: bool) -> bool:
    """Whether a seed's money moves on at all (else the Python walk is quicker)."""
    ptr = matching.fwd_ptr if forward else matching.back_ptr
    return any(row >= 0 and ptr[row + 1] > ptr[row] for row in rows)


def _walked(ix: SetIndex, transactions: Sequence[str], rows: list[int], cfg: TraceConfig,
            width: int, forward: bool) -> TraceResult:
    """FIFO or LIFO from transactions, walked in compiled code over the index."""
    from tocsin.money import walk as walking  # numba is loaded when a trace needs it

    for txn, row in zip(transactions, rows, strict=True):
        if row < 0:
            raise InputError.single(f"transaction {txn}", _NOT_FOUND)
    ptr, mrow, mamt, t, amount, other, ends = ix.scalars(cfg.rule, forward).walk
    w = walking.walk(np.asarray(rows, np.int64), forward, ptr, mrow, mamt, t, amount, other,
                     ends, cfg.hops, width, cfg.min_amount, cfg.max_nodes, EPSILON)
    kinds = ix.kinds
    unexplained = _UNEXPLAINED[forward]
    labels = _LABELS[forward]

    def label(code: int, end: int) -> str:
        return END_KINDS[kinds[code]] if end == 2 else labels[end]

    def points() -> list[EndPoint]:
        found: list[EndPoint] = []
        for key, total, paths in zip(w.end_keys, w.end_sums, w.end_counts, strict=True):
            code, end = divmod(key, 8)
            found.append(EndPoint(ix.account(code), kinds[code], label(code, end),
                                  round(total, AMOUNT_DIGITS), paths))
        found.sort(key=lambda p: (-p.amount, p.account, p.end))
        return found

    def build() -> list[FlowNode]:
        name = _rule_name(cfg.rule)
        v = ix.scalars(cfg.rule, forward)
        nodes: list[FlowNode] = []
        roots: list[FlowNode] = []
        rows = w.row
        for parent, row, code, hop, amount, end in zip(w.parent, rows, w.code, w.hop,
                                                       w.amount, w.end, strict=True):
            account = ix.account(code)
            if row < 0:
                node = FlowNode(account, kinds[code], hop, amount, end=unexplained,
                                why=(_why_rest, cfg.currency, amount, unexplained))
            else:
                txn, tr = ix.txn_id(row), v.t[row]
                if parent < 0:
                    why: tuple[Any, ...] = (_why_seed, cfg.currency, amount, forward, account,
                                            txn, tr)
                else:
                    up = nodes[parent]
                    r0 = rows[parent]
                    linked = v.amount[r0]
                    traced = min(1.0, up.amount / linked) if linked > 0 else 0.0
                    t0 = v.t[r0]
                    why = ((_why_forward, cfg.currency, name, amount, linked * traced, up.account,
                            up.txn_id, t0, txn, account, tr) if forward else
                           (_why_backward, cfg.currency, name, amount, up.txn_id, t0, txn, account,
                            tr))
                node = FlowNode(account, kinds[code], hop, amount, txn, tr, why=why,
                                end=label(code, end) if end else None)
            nodes.append(node)
            if parent < 0:
                roots.append(node)
            else:
                nodes[parent].children.append(node)
        return roots

    return _WalkedTrace(cfg, w.count, w.truncated, points, build)


_UNEXPLAINED = (N_("unexplained source (opening balance or outside the window)"),
                N_("unexplained balance remaining"))
#: Why a walked node stops, by its end code (:mod:`tocsin.money.walk`; 2, an end point's
#: kind, is labelled by the kind), backward and forward.
_LABELS = tuple({1: CYCLE, 3: HOP_LIMIT, 4: label} for label in _UNEXPLAINED)
_NOT_FOUND = N_("not found in this set")


def _unexplained(node: FlowNode, rest: float, forward: bool, currency: str) -> None:
    label = _UNEXPLAINED[forward]
    node.children.append(FlowNode(node.account, node.kind, node.hop, rest, end=label,
                                  why=(_why_rest, currency, rest, label)))


def _rule_name(rule: str) -> str:
    """The rule as an explanation names it: FIFO, LIFO, Haircut, Poison."""
    return N_("Haircut") if rule == "haircut" else rule.upper()


def _why_root(direction: str, account: str) -> Message:
    if direction == "backward":
        return N_("Trace backward from account %(account)s", account=account)
    return N_("Trace forward from account %(account)s", account=account)


def _why_rest(currency: str, rest: float, label: str) -> Message:
    return N_("%(amount)s not traced further: %(end)s", amount=figure(rest, currency), end=label)


def _why_start(currency: str, amount: float, forward: bool, txn: str, t: int) -> Message:
    if forward:
        return N_("%(amount)s left with %(txn)s on %(time)s", amount=figure(amount, currency),
                  txn=txn, time=_when(t))
    return N_("%(amount)s came in with %(txn)s on %(time)s", amount=figure(amount, currency),
              txn=txn, time=_when(t))


def _why_seed(currency: str, amount: float, forward: bool, account: str, txn: str,
              t: int) -> Message:
    if forward:
        return N_("%(amount)s traced into %(account)s by %(txn)s on %(time)s",
                  amount=figure(amount, currency), account=account, txn=txn, time=_when(t))
    return N_("%(amount)s traced out of %(account)s by %(txn)s on %(time)s",
              amount=figure(amount, currency), account=account, txn=txn, time=_when(t))


def _why_poison(currency: str, rid: str, part: float, t: int, txn: str,
                forward: bool) -> Message:
    if forward:
        return N_("Poison: %(payment)s of %(amount)s on %(time)s left after tainted money "
                  "arrived with %(txn)s", payment=rid, amount=figure(part, currency),
                  time=_when(t), txn=txn)
    return N_("Poison: %(payment)s of %(amount)s on %(time)s arrived before %(txn)s left",
              payment=rid, amount=figure(part, currency), time=_when(t), txn=txn)


def _why_forward(currency: str, name: str, part: float, traced: float, account: str,
                 txn: str, t0: int, rid: str, cp: str, t: int) -> Message:
    return N_("%(rule)s: %(amount)s of the %(traced)s traced into %(account)s with %(txn)s "
              "(%(time)s) left with %(payment)s to %(counterparty)s (%(paid)s)",
              rule=name, amount=figure(part, currency), traced=figure(traced, currency),
              account=account, txn=txn, time=_when(t0), payment=rid, counterparty=cp, paid=_when(t))


def _why_backward(currency: str, name: str, part: float, txn: str, t0: int, rid: str, cp: str,
                  t: int) -> Message:
    return N_("%(rule)s: %(amount)s of %(txn)s (%(time)s) was funded by %(payment)s from "
              "%(counterparty)s (%(paid)s)", rule=name, amount=figure(part, currency), txn=txn,
              time=_when(t0), payment=rid, counterparty=cp, paid=_when(t))


def _check(cfg: TraceConfig, accounts: Sequence[str], transactions: Sequence[str]) -> None:
    problems = []
    if not accounts and not transactions:
        problems.append(Problem("trace", N_("give at least one account or transaction")))
    if cfg.rule not in RULES:
        problems.append(Problem("trace.rule", N_("%(rule)s; use one of %(rules)s",
                                                 rule=repr(cfg.rule), rules=Joined(RULES))))
    if cfg.direction not in ("forward", "backward"):
        problems.append(Problem("trace.direction", N_("use forward or backward")))
    if cfg.hops < 1 or cfg.window_hours <= 0:
        problems.append(Problem("trace.hops", N_("hops and window_hours must be positive")))
    if problems:
        raise InputError(problems)


def _seed_transaction(source: LedgerSource, ledgers: Any, txn: str, forward: bool,
                      currency: str) -> FlowNode:
    finder = getattr(source, "find_transaction", None)
    found = finder(txn) if finder else None
    if found is None:
        raise InputError.single(f"transaction {txn}", _NOT_FOUND)
    src, dst = found
    account = dst if forward else src
    ledger = ledgers([account])[account]
    flow = ledger.incoming if forward else ledger.outgoing
    j = flow.txn_id.index(txn)
    return FlowNode(account, ledger.kind, 1, flow.amount[j], txn, flow.t[j],
                    _why_seed(currency, flow.amount[j], forward, account, txn, flow.t[j]))


def _child(flow: Any, j: int, hop: int, amount: float, why: str) -> FlowNode:
    """A node for the counterparty of payment ``j``; its kind is filled in when
    its ledger is fetched with the rest of its hop."""
    return FlowNode(flow.counterparty[j], "unknown", hop, amount, flow.txn_id[j], flow.t[j],
                    why)


def _stops(node: FlowNode, work: _Work, cfg: TraceConfig) -> bool:
    if node.account in work.path:
        node.end = CYCLE
    elif cfg.direction == "forward" and node.kind in END_KINDS:
        node.end = END_KINDS[node.kind]
    elif node.hop >= cfg.hops:
        node.end = HOP_LIMIT
    return node.end is not None


def _allocate_one(ledger: Ledger, index: int, amount: float, cfg: TraceConfig, width: int,
                  forward: bool, allocations: _Allocations) -> list[tuple[int, float, Message]]:
    """Which payments out of (forward) or into (backward) the account carry the
    traced ``amount`` that arrived with / left by payment ``index``.

    When only part of the linking payment is traced, every share it passes on
    is scaled by the same fraction (the matching itself does not depend on
    which money is traced)."""
    name = _rule_name(cfg.rule)
    if forward:
        t0 = ledger.incoming.t[index]
        arrived, txn = ledger.incoming.amount[index], ledger.incoming.txn_id[index]
        traced = min(1.0, amount / arrived) if arrived > 0 else 0.0
        outs = ledger.outgoing
        if cfg.rule == "poison":
            return [(j, outs.amount[j],
                     _why_poison(cfg.currency, outs.txn_id[j], outs.amount[j], outs.t[j], txn,
                                 True))
                    for j in range(len(outs))
                    if t0 <= outs.t[j] <= t0 + width and outs.counterparty[j] != ledger.account]
        result = []
        for j, share in allocations.out_of(ledger, index):
            if outs.t[j] > t0 + width:
                continue
            part = share * traced
            if part > 0:
                result.append((j, part,
                               _why_forward(cfg.currency, name, part, arrived * traced,
                                            ledger.account, txn,
                                            t0, outs.txn_id[j], outs.counterparty[j],
                                            outs.t[j])))
        return result
    t0 = ledger.outgoing.t[index]
    txn = ledger.outgoing.txn_id[index]
    left = ledger.outgoing.amount[index]
    traced = min(1.0, amount / left) if left > 0 else 0.0
    ins = ledger.incoming
    if cfg.rule == "poison":
        return [(i, ins.amount[i], _why_poison(cfg.currency, ins.txn_id[i], ins.amount[i], ins.t[i],
                                               txn,
                                               False))
                for i in range(len(ins))
                if t0 - width <= ins.t[i] <= t0 and ins.counterparty[i] != ledger.account]
    result = []
    for i, share in allocations.funding(ledger, index):
        if ins.t[i] < t0 - width:
            continue
        part = share * traced
        result.append((i, part, _why_backward(cfg.currency, name, part, txn, t0, ins.txn_id[i],
                                              ins.counterparty[i], ins.t[i])))
    return result


def _end_points(roots: list[FlowNode]) -> list[EndPoint]:
    totals: dict[tuple[str, str, str], list[float]] = {}
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node.end is not None:
            key = (node.account, node.kind, node.end)
            entry = totals.setdefault(key, [0.0, 0])
            entry[0] += node.amount
            entry[1] += 1
        stack.extend(node.children)
    points = [EndPoint(a, k, e, round(v[0], AMOUNT_DIGITS), int(v[1]))
              for (a, k, e), v in totals.items()]
    return sorted(points, key=lambda p: (-p.amount, p.account, p.end))


_EPOCH = date(1970, 1, 1).toordinal()


def _when(t: int) -> str:
    """``YYYY-MM-DD HH:MM`` (UTC) of seconds since the epoch."""
    days, seconds = divmod(int(t), 86400)
    return (f"{date.fromordinal(_EPOCH + days).isoformat()} "
            f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}")

from __future__ import annotations

from collections.abc import Iterable

import pytest

from tocsin.errors import InputError
from tocsin.money.graph import Ledger, ledgers_from_rows
from tocsin.money.trace import TraceConfig, allocate, trace

H = 3600


class Rows:
    """An in-memory ledger source over (txn_id, t, source, target, amount) rows."""

    def __init__(self, rows: list[tuple[str, int, str, str, float]],
                 kinds: dict[str, str] | None = None) -> None:
        self.rows = rows
        self.kinds = kinds or {}

    def ledgers(self, accounts: Iterable[str]) -> dict[str, Ledger]:
        return ledgers_from_rows(accounts, self.rows, self.kinds)

    def find_transaction(self, txn_id: str) -> tuple[str, str] | None:
        for r in self.rows:
            if r[0] == txn_id:
                return r[2], r[3]
        return None


BASIC = Rows(
    [
        ("T1", 1 * H, "X", "A", 100.0),
        ("T2", 2 * H, "Y", "A", 50.0),
        ("T3", 3 * H, "A", "B", 80.0),
        ("T4", 4 * H, "A", "C", 70.0),
    ],
    {"C": "cash", "B": "domestic"},
)


def _children(rule: str, direction: str = "forward", txn: str = "T2") -> dict[str, float]:
    result = trace(BASIC, transactions=[txn],
                   config=TraceConfig(rule=rule, direction=direction))  # type: ignore[arg-type]
    (root,) = result.roots
    return {c.txn_id or c.end or "": round(c.amount, 2) for c in root.children}


def test_forward_rules_allocate_as_courts_describe() -> None:
    assert _children("fifo") == {"T4": 50.0}
    assert _children("lifo") == {"T3": 50.0}
    assert _children("haircut") == {"T3": 26.67, "T4": 23.33}
    assert _children("poison") == {"T3": 80.0, "T4": 70.0}


def test_backward_rules() -> None:
    assert _children("fifo", "backward", "T4") == {"T1": 20.0, "T2": 50.0}
    assert _children("lifo", "backward", "T4") == {"T1": 70.0}
    assert _children("haircut", "backward", "T4") == {"T1": 46.67, "T2": 23.33}


def test_end_points_and_explanations() -> None:
    result = trace(BASIC, transactions=["T2"], config=TraceConfig(rule="fifo"))
    (end,) = result.end_points
    assert (end.account, end.end, end.amount) == ("C", "cash-out", 50.0)
    (child,) = result.roots[0].children
    assert "FIFO" in child.explanation and "T4" in child.explanation


def test_unexplained_balance_remains() -> None:
    rows = Rows([("T1", H, "X", "A", 100.0), ("T2", 2 * H, "A", "B", 30.0)])
    result = trace(rows, transactions=["T1"], config=TraceConfig(hops=2))
    ends = {e.end: e.amount for e in result.end_points}
    assert ends["unexplained balance remaining"] == 70.0
    assert ends["hop limit"] == 30.0


def test_partial_taint_is_scaled() -> None:
    # 50 of A's 100 reached B; B forwards everything: only the traced 50 follow.
    rows = Rows([
        ("T1", H, "X", "A", 100.0),
        ("T2", 2 * H, "A", "B", 50.0),
        ("T3", 3 * H, "B", "C", 50.0),
    ])
    result = trace(rows, transactions=["T1"], config=TraceConfig(rule="haircut"))
    flat = {e.account: e.amount for e in result.end_points}
    assert flat["C"] == 50.0 and flat["A"] == 50.0


@pytest.mark.parametrize("rule", ["fifo", "lifo", "haircut", "poison"])
def test_cycles_and_self_transfers_terminate(rule: str) -> None:
    rows = [("S0", 0, "X", "A", 1000.0)]
    # A and B bounce money back and forth every hour and to themselves.
    for k in range(1, 60):
        a, b = ("A", "B") if k % 2 else ("B", "A")
        rows.append((f"C{k:03d}", k * H, a, b, 990.0))
        rows.append((f"S{k:03d}", k * H, a, a, 500.0))
    result = trace(Rows(rows), transactions=["S0"],
                   config=TraceConfig(rule=rule, hops=50))  # type: ignore[arg-type]
    assert result.nodes < 500
    assert any(e.end.startswith("cycle") for e in result.end_points)
    assert all(c.txn_id is None or not c.txn_id.startswith("S") or c.txn_id == "S0"
               for c in result.roots[0].children)


def test_allocation_ignores_self_transfers() -> None:
    rows = Rows([("T1", H, "X", "A", 100.0), ("T2", 2 * H, "A", "A", 100.0),
                 ("T3", 3 * H, "A", "B", 60.0)])
    ledger = rows.ledgers(["A"])["A"]
    paid, unspent = allocate(ledger, "fifo")
    out_index = ledger.outgoing.txn_id.index("T3")
    assert paid == {out_index: [(0, 60.0)]}
    assert unspent == {0: 40.0}


def test_bad_requests_are_refused() -> None:
    with pytest.raises(InputError, match="at least one"):
        trace(BASIC)
    with pytest.raises(InputError, match="not found"):
        trace(BASIC, transactions=["nope"])
    with pytest.raises(InputError, match="rule"):
        trace(BASIC, accounts=["A"], config=TraceConfig(rule="magic"))  # type: ignore[arg-type]

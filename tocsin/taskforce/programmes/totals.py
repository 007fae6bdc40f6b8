"""Finance totals that roll up the hierarchy.

A record's figure for a (kind, year, currency) is its own when it has one (the
envelope), otherwise the sum of its children's figures. ``children`` is always
the sum below it, so a page can show where the parts exceed the envelope.
Currencies are never converted; each is totalled on its own. Only records the
principal may read count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.access.policy import readable
from tocsin.access.principal import Principal
from tocsin.taskforce.programmes.tables import Activity, Finance

Key = tuple[str, int, str]  # kind, year, currency


@dataclass(frozen=True)
class Total:
    kind: str
    year: int
    currency: str
    own: Decimal | None
    children: Decimal
    total: Decimal

    @property
    def exceeds_envelope(self) -> bool:
        """The parts below add up to more than the record's own figure."""
        return self.own is not None and self.children > self.own


def rollup(session: Session, principal: Principal,
           activity_ids: Iterable[int] | None = None) -> dict[int, list[Total]]:
    """Rolled-up totals per activity id (all readable activities when ``activity_ids`` is None).

    Two queries load the readable tree and its finance lines; the roll-up runs in
    memory, so a programme with thousands of activities costs no more queries.
    """
    tree = session.execute(
        readable(Activity, principal).with_only_columns(Activity.id, Activity.parent_id)
    ).all()
    children: dict[int, list[int]] = defaultdict(list)
    for ident, parent in tree:
        if parent is not None:
            children[parent].append(ident)
    readable_ids = {ident for ident, _ in tree}
    own: dict[int, dict[Key, Decimal]] = defaultdict(dict)
    rows = session.execute(select(Finance.activity_id, Finance.kind, Finance.year,
                                  Finance.currency, Finance.amount))
    for activity_id, kind, year, currency, amount in rows:
        if activity_id in readable_ids:
            own[activity_id][(kind, year, currency)] = Decimal(amount)

    memo: dict[int, dict[Key, Decimal]] = {}

    def rolled(node: int) -> dict[Key, Decimal]:
        # iterative post-order, so deep or wide trees never hit the recursion limit
        stack = [(node, False)]
        while stack:
            current, expanded = stack.pop()
            if current in memo:
                continue
            if not expanded:
                stack.append((current, True))
                stack.extend((c, False) for c in children.get(current, ()) if c not in memo)
                continue
            below = _sum(memo[c] for c in children.get(current, ()))
            memo[current] = {**below, **own.get(current, {})}
        return memo[node]

    wanted = readable_ids if activity_ids is None else set(activity_ids) & readable_ids
    result: dict[int, list[Total]] = {}
    for ident in wanted:
        below = _sum(rolled(c) for c in children.get(ident, ()))
        mine = own.get(ident, {})
        result[ident] = [
            Total(kind=k[0], year=k[1], currency=k[2], own=mine.get(k),
                  children=below.get(k, Decimal(0)),
                  total=mine[k] if k in mine else below[k])
            for k in sorted(set(mine) | set(below))
        ]
    return result


def _sum(parts: Iterable[dict[Key, Decimal]]) -> dict[Key, Decimal]:
    out: dict[Key, Decimal] = defaultdict(Decimal)
    for part in parts:
        for key, value in part.items():
            out[key] += value
    return dict(out)


def by_kind(totals: Iterable[Total], kind: str) -> dict[tuple[int, str], Decimal]:
    """``{(year, currency): total}`` for one kind, e.g. the budget row of a table."""
    return {(t.year, t.currency): t.total for t in totals if t.kind == kind}

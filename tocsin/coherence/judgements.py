"""People's judgements of candidate pairs: stored with who, when and a note, and
read back by every later analysis (:func:`latest_for`)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.policy import get_readable, require
from tocsin.access.principal import Principal
from tocsin.access.roles import Action
from tocsin.coherence.overlaps import Judged
from tocsin.coherence.portfolio import Portfolio
from tocsin.coherence.tables import VERDICTS, PairJudgement
from tocsin.errors import InputError
from tocsin.i18n import N_
from tocsin.taskforce.programmes.tables import Activity
from tocsin.types.base import is_digits


def parse_pair(text: str) -> tuple[int, int]:
    """``"12-34"`` (activity ids) → (12, 34), smaller id first."""
    left, sep, right = text.strip().partition("-")
    if not sep or not is_digits(left) or not is_digits(right) or left == right:
        raise InputError.single("pair", N_("write a pair as two activity ids, e.g. 12-34, not "
                                           "%(value)s", value=repr(text)))
    a, b = int(left), int(right)
    return min(a, b), max(a, b)


@dataclass(frozen=True)
class JudgementView:
    id: int
    activity_a_id: int
    activity_b_id: int
    verdict: str
    note: str
    username: str
    judged_at: str


def judge(session: Session, principal: Principal, pair: tuple[int, int], verdict: str,
          note: str = "", portfolio: Portfolio | None = None) -> JudgementView:
    """Record a judgement of a pair both of whose activities the principal may read."""
    require(principal, Action.JUDGE)
    if verdict not in VERDICTS:
        raise InputError.single("verdict", N_("use one of %(allowed)s, not %(value)s",
                                               allowed=", ".join(VERDICTS),
                                               value=repr(verdict)))
    a_id, b_id = min(pair), max(pair)
    if a_id == b_id:
        raise InputError.single("pair", N_("a pair needs two different activities"))
    first = get_readable(session, Activity, a_id, principal)
    second = get_readable(session, Activity, b_id, principal)
    if portfolio is None:
        from tocsin.coherence.portfolio import load_portfolio

        portfolio = load_portfolio(session, principal)
    row = PairJudgement(
        activity_a_id=first.id, activity_b_id=second.id, verdict=verdict, note=note.strip(),
        user_id=principal.user_id, username=principal.username,
        fingerprint_a=portfolio.fingerprint(portfolio.row_of(first.id)),
        fingerprint_b=portfolio.fingerprint(portfolio.row_of(second.id)),
    )
    session.add(row)
    session.flush()
    handling = max((first.handling, second.handling),
                   key=lambda h: ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED").index(h))
    audit.record(session, principal, "create", "pair_judgement", row.id, handling,
                 detail=f"{a_id}-{b_id}: {verdict}")
    return _view(row)


def _view(row: PairJudgement) -> JudgementView:
    return JudgementView(row.id, row.activity_a_id, row.activity_b_id, row.verdict, row.note,
                         row.username, f"{row.judged_at:%Y-%m-%d}")


def latest_for(session: Session, activity_ids: Collection[int]) -> dict[tuple[int, int], Judged]:
    """The latest judgement of every pair among ``activity_ids`` (readable activities)."""
    known = set(activity_ids)
    latest: dict[tuple[int, int], Judged] = {}
    for row in session.scalars(select(PairJudgement).order_by(PairJudgement.id)):
        if row.activity_a_id in known and row.activity_b_id in known:
            latest[(row.activity_a_id, row.activity_b_id)] = Judged(
                row.verdict, row.username, f"{row.judged_at:%Y-%m-%d}", row.note,
                row.fingerprint_a, row.fingerprint_b)
    return latest


def history(session: Session, pair: tuple[int, int]) -> list[JudgementView]:
    a, b = min(pair), max(pair)
    rows = session.scalars(select(PairJudgement).where(
        PairJudgement.activity_a_id == a, PairJudgement.activity_b_id == b)
        .order_by(PairJudgement.id.desc()))
    return [_view(r) for r in rows]

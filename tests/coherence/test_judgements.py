"""Judgements are stored with who and when, and respected by the next analysis."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.coherence import judgements
from tocsin.coherence.analysis import Options, run
from tocsin.errors import InputError, PermissionDenied
from tocsin.store.database import Database
from tocsin.taskforce.programmes.tables import Activity


def ids(session, *suffixes: str) -> list[int]:  # type: ignore[no-untyped-def]
    rows = session.execute(select(Activity.identifier, Activity.id)).all()
    return [next(i for ident, i in rows if ident.endswith(s)) for s in suffixes]


def test_distinct_drops_the_pair_and_duplicate_feeds_recommendations(demo_db: Database) -> None:
    coordinator = Principal(None, "coord", Role.COORDINATOR, None)
    with demo_db.transaction() as session:
        a, b, ext = ids(session, "THB-1", "THB-2", "UNODC-THB-MD")
        judgements.judge(session, coordinator, (b, a), "duplicate", "same course twice")
        judgements.judge(session, coordinator, (b, ext), "distinct", "different audience")
    with demo_db.transaction() as session:
        analysis = run(session, Principal.system(), Options())
        p = analysis.portfolio
        pairs = {(p.ids[c.a], p.ids[c.b]): c for c in analysis.candidates}
        assert (min(b, ext), max(b, ext)) not in pairs
        assert pairs[(min(a, b), max(a, b))].judgement.verdict == "duplicate"  # type: ignore[union-attr]
        merges = [r for r in analysis.recommendations if r.kind == "merge"]
        assert any(r.title.startswith("Merge") and "same course" not in r.title for r in merges)
        history = judgements.history(session, (a, b))
        assert history[0].username == "coord" and history[0].note == "same course twice"


def test_judging_needs_the_right_and_a_valid_verdict(demo_db: Database) -> None:
    with demo_db.transaction() as session:
        a, b = ids(session, "THB-1", "THB-2")
        with pytest.raises(PermissionDenied):
            judgements.judge(session, Principal(None, "p", Role.PARTNER_VIEWER, None), (a, b),
                             "duplicate")
        with pytest.raises(InputError):
            judgements.judge(session, Principal.system(), (a, b), "maybe")
    assert judgements.parse_pair(f"{b}-{a}") == (min(a, b), max(a, b))
    with pytest.raises(InputError):
        judgements.parse_pair("12")

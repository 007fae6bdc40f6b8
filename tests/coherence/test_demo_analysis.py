"""The demo workspace gives a meaningful picture, on both backends, per principal."""

from __future__ import annotations

from sqlalchemy import select

from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.access.tables import Unit
from tocsin.coherence import demo
from tocsin.coherence.analysis import Options, run
from tocsin.settings import Settings
from tocsin.store.database import Database


def test_demo_shows_gaps_duplicates_and_recommendations(demo_db: Database) -> None:
    with demo_db.transaction() as session:
        analysis = run(session, Principal.system(), Options())
    gaps = {(g.crime_area, g.geo) for g in analysis.gaps}
    assert ("cybercrime", "UA") in gaps
    assert ("drug_trafficking", "TJ") in gaps
    assert ("drug_trafficking", "KG") not in gaps  # the Kyrgyz work covers it
    titles = {tuple(sorted((analysis.portfolio.identifiers[c.a],
                            analysis.portfolio.identifiers[c.b])))
              for c in analysis.candidates if c.kind == "likely duplicate"}
    assert any("THB-1" in a + b and "THB-2" in a + b for a, b in titles)
    kinds = {r.kind for r in analysis.recommendations}
    assert {"fill_gap", "merge", "renew_agreement", "apply_lesson"} <= kinds
    first = analysis.recommendations[0]
    assert first.rank == 1 and first.evidence and first.rationale


def test_demo_loads_once(demo_db: Database, settings: Settings) -> None:
    with demo_db.transaction() as session:
        assert demo.load(session, settings) == "coherence demo already loaded"


def test_partner_viewer_sees_only_readable_activities(demo_db: Database) -> None:
    with demo_db.transaction() as session:
        unodc = session.scalar(select(Unit.id).where(Unit.code == "unodc"))
        viewer = Principal(None, "viewer", Role.PARTNER_VIEWER, unodc)
        seen = run(session, viewer, Options())
        everything = run(session, Principal.system(), Options())
    hidden = [i for i in everything.portfolio.identifiers if i.endswith("ML-2")]
    assert hidden  # the AMBER activity exists
    assert not any(i.endswith("ML-2") for i in seen.portfolio.identifiers)
    assert (seen.matrix.get("money_laundering", "ME").budget
            < everything.matrix.get("money_laundering", "ME").budget)

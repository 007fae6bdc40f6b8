"""The analysis is computed once per change of its inputs and readable view, then reused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.access.tables import AuditEntry, Unit
from tocsin.coherence import cache, versions
from tocsin.coherence.analysis import Options, portfolio_for, run
from tocsin.coherence.tables import PairJudgement, ThreatIndicator
from tocsin.store.database import Database
from tocsin.taskforce.programmes.tables import Activity


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    cache.clear()


def _viewer(session: object) -> Principal:
    unodc = session.scalar(select(Unit.id).where(Unit.code == "unodc"))  # type: ignore[attr-defined]
    return Principal(None, "viewer", Role.PARTNER_VIEWER, unodc)


def test_second_request_reads_the_computed_analysis(demo_db: Database) -> None:
    with demo_db.transaction() as session:
        first = run(session, Principal.system(), Options())
    misses = cache.stats["misses"]
    with demo_db.transaction() as session:
        again = run(session, Principal.system(), Options())
        assert portfolio_for(session, Principal.system()) is first.portfolio
    assert again is first and cache.stats["misses"] == misses
    with demo_db.transaction() as session:
        other = run(session, Principal.system(), Options(geo="region"))
    assert other is not first and other.portfolio is first.portfolio  # one portfolio load


def test_other_options_share_the_inputs_and_the_pair_search(
        demo_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from tocsin.coherence import analysis, links, overlaps

    reads: list[int] = []
    searches: list[int] = []
    lessons: list[int] = []
    load, search = analysis.load_inputs, overlaps.candidate_pairs
    look_up = links.lessons_for_cells
    monkeypatch.setattr(analysis, "load_inputs",
                        lambda *a, **k: reads.append(1) or load(*a, **k))
    monkeypatch.setattr(links, "lessons_for_cells",
                        lambda *a, **k: lessons.append(1) or look_up(*a, **k))
    monkeypatch.setattr(overlaps, "candidate_pairs",
                        lambda *a, **k: searches.append(1) or search(*a, **k))
    with demo_db.transaction() as session:
        tabs = [run(session, Principal.system(), options) for options in (
            Options(candidate_limit=0), Options(candidate_limit=100),
            Options(geo="region", candidate_limit=500), Options(candidate_limit=200))]
    assert len({id(t) for t in tabs}) == 4 and reads == [1] and searches == [1]
    assert len(lessons) == 2  # once for the countries' gaps, once for the regions'
    assert tabs[0].candidates == [] and len(tabs[1].candidates) > 0
    assert [c.key(tabs[1].portfolio) for c in tabs[1].candidates] == \
        [c.key(tabs[3].portfolio) for c in tabs[3].candidates[:len(tabs[1].candidates)]]


@pytest.mark.parametrize("change", ["activity", "indicator", "judgement"])
def test_a_write_to_an_input_brings_a_fresh_analysis(demo_db: Database, change: str) -> None:
    with demo_db.transaction() as session:
        before = run(session, Principal.system(), Options())
        tokens = versions.read(session)
    with demo_db.transaction() as session:
        if change == "activity":
            activity = session.scalars(select(Activity).order_by(Activity.id)).first()
            assert activity is not None
            activity.title = activity.title + " (renamed)"
            expected = "portfolio"
        elif change == "indicator":
            indicator = session.scalars(select(ThreatIndicator)).first()
            assert indicator is not None
            indicator.value = indicator.value * 10 + 1
            expected = "indicators"
        else:
            ids = session.scalars(select(Activity.id).order_by(Activity.id).limit(2)).all()
            session.add(PairJudgement(activity_a_id=ids[0], activity_b_id=ids[1],
                                      verdict="distinct", username="t", fingerprint_a="a",
                                      fingerprint_b="b"))
            expected = "judgements"
    with demo_db.transaction() as session:
        after_tokens = versions.read(session)
        after = run(session, Principal.system(), Options())
    changed = {k for k in tokens if tokens[k] != after_tokens[k]}
    assert changed == {expected}
    assert after is not before
    if change == "activity":
        assert any(t.endswith("(renamed)") for t in after.portfolio.titles)


def test_a_rolled_back_write_changes_nothing(demo_db: Database) -> None:
    with demo_db.transaction() as session:
        tokens = versions.read(session)
        first = run(session, Principal.system(), Options())
    with pytest.raises(RuntimeError), demo_db.transaction() as session:
        activity = session.scalars(select(Activity)).first()
        assert activity is not None
        activity.title = "never committed"
        session.flush()
        # Inside the writing transaction the cache is bypassed: its view is its own.
        assert any(t == "never committed" for t in run(session, Principal.system(),
                                                        Options()).portfolio.titles)
        raise RuntimeError("roll back")
    with demo_db.transaction() as session:
        assert versions.read(session) == tokens
        assert run(session, Principal.system(), Options()) is first


def test_views_are_kept_apart_and_reads_audited_on_every_serve(demo_db: Database) -> None:
    with demo_db.transaction() as session:
        everything = run(session, Principal.system(), Options())
        viewer = _viewer(session)
        seen = run(session, viewer, Options())
    assert seen is not everything
    assert any(i.endswith("ML-2") for i in everything.portfolio.identifiers)
    assert not any(i.endswith("ML-2") for i in seen.portfolio.identifiers)
    # Another principal with the same view shares the entry; audited reads are
    # recorded for whoever is served.
    analyst = Principal(None, "analyst", Role.ANALYST, viewer.unit_id)
    twin = Principal(None, "twin", Role.ANALYST, viewer.unit_id)

    def audited(name: str) -> int:
        with demo_db.transaction() as session:
            return int(session.scalar(select(func.count()).select_from(AuditEntry)
                                      .where(AuditEntry.username == name)) or 0)

    with demo_db.transaction() as session:
        computed = run(session, analyst, Options())
    reads = audited("analyst")
    assert reads > 0  # the analyst reads AMBER records, audited
    with demo_db.transaction() as session:
        assert run(session, twin, Options()) is computed
    assert audited("twin") == reads


def test_every_input_table_is_versioned() -> None:
    from tocsin.store.migrate import import_all_tables

    tables = set(import_all_tables().tables)
    read_by_analysis = {"tf_activities", "tf_finance", "tf_activity_countries",
                        "tf_agreements", "tf_commitments", "coh_threat_indicators",
                        "coh_ocg_profiles", "coh_ocg_weights", "coh_pair_judgements",
                        "tf_lessons", "ref_countries", "ref_crime_areas"}
    assert read_by_analysis <= tables
    assert all(versions.input_of(t) for t in read_by_analysis)
    assert versions.input_of("audit_log") is None
    assert versions.input_of("search_documents") is None

"""Lists as versions, screening with judgements, re-screens and alerts, on both engines."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from tocsin.access.principal import Principal
from tocsin.errors import InputError, NotFound, PermissionDenied
from tocsin.screening import lists, service
from tocsin.screening.tables import Alert, ListEntry, ScreenedSubject
from tocsin.store.database import Database

IVAN = {"schema": "Person", "properties": {"name": ["Ivan Sidorov"],
                                           "birthDate": ["1964-01-16"]}}


def _import(db: Database, who: Principal, fixtures: Path, name: str = "un_v1.xml"):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return service.import_list(session, who, "un", [fixtures / name])


def test_versions_and_changes(platform_db: Database, analyst: Principal,
                              fixtures: Path) -> None:
    first, _ = _import(platform_db, analyst, fixtures)
    assert (first.number, first.entries, first.added) == (1, 3, [])
    second, _ = _import(platform_db, analyst, fixtures, "un_v2.xml")
    assert second.number == 2
    assert len(second.added) == len(second.removed) == len(second.changed) == 1
    with platform_db.transaction() as session:
        listing = lists.get_list(session, "un_sc")
        version = lists.get_version(session, listing, 2)
        assert listing.active_version_id == version.id
        changes = {c.change: c for c in lists.changes(session, version)}
        assert changes["added"].caption == "OLENA KOVALENKO"
        assert changes["removed"].caption == "ABU MOHAMMED AL-MASRI"
        assert changes["changed"].fields == ["alias"]
        assert [v.number for v in lists.versions(session, listing)] == [2, 1]
    again, _ = _import(platform_db, analyst, fixtures, "un_v2.xml")
    assert again.unchanged and again.number == 3


def test_failed_import_keeps_the_previous_version(platform_db: Database, analyst: Principal,
                                                  fixtures: Path) -> None:
    _import(platform_db, analyst, fixtures)
    with pytest.raises(InputError):
        _import(platform_db, analyst, fixtures, "un_truncated.xml")
    with platform_db.transaction() as session:
        listing = lists.get_list(session, "un_sc")
        assert [v.number for v in lists.versions(session, listing)] == [1]
        assert session.scalar(select(func.count()).select_from(ListEntry)) == 3


def test_viewer_may_not_import(platform_db: Database, viewer: Principal,
                               fixtures: Path) -> None:
    with pytest.raises(PermissionDenied):
        _import(platform_db, viewer, fixtures)


def test_screen_explains_and_remembers(platform_db: Database, analyst: Principal,
                                       fixtures: Path) -> None:
    _import(platform_db, analyst, fixtures)
    with platform_db.transaction() as session:
        [found] = service.screen_entities(session, analyst, [IVAN])
    top = found.results[0]
    assert top.caption == "IVAN PETROVICH SIDOROV" and top.band == "match"
    assert set(top.to_dict()["features"]) >= {"name", "birth_date", "country"} - {"country"}
    assert top.explained.features_dict()["birth_date"]["value"] == 1.0
    assert found.subject_id is not None
    with platform_db.transaction() as session:
        [other] = service.screen_entities(session, analyst, [
            {"schema": "Person", "properties": {"name": ["Jane Doe"]}}])
    assert other.results == []


def test_screen_needs_names_and_schema(platform_db: Database, analyst: Principal) -> None:
    with platform_db.transaction() as session, pytest.raises(InputError, match="a name"):
        service.screen_entities(session, analyst, [{"schema": "Person", "properties": {}}])
    with platform_db.transaction() as session, pytest.raises(InputError, match="schema"):
        service.screen_entities(session, analyst, [{"properties": {"name": ["x"]}}])


def test_judgements_are_respected(platform_db: Database, analyst: Principal,
                                  other_analyst: Principal, fixtures: Path) -> None:
    _import(platform_db, analyst, fixtures)
    with platform_db.transaction() as session:
        [found] = service.screen_entities(session, analyst, [IVAN])
    top = found.results[0]
    assert found.subject_id is not None
    with platform_db.transaction() as session:
        service.judge(session, analyst, found.subject_id, "un_sc", top.entity_id, "no_match",
                      "different person: other father's name")
    with platform_db.transaction() as session:
        [again] = service.screen_entities(session, analyst, [IVAN])
    judged = next(r for r in again.results if r.entity_id == top.entity_id)
    assert judged.band == "dismissed" and not judged.is_match
    assert judged.judgement and judged.judgement["by"] == analyst.username
    # another unit's analyst screening the same subject has no judgement yet
    with platform_db.transaction() as session:
        [theirs] = service.screen_entities(session, other_analyst, [IVAN])
    assert theirs.results[0].band == "match"
    with platform_db.transaction() as session, pytest.raises(PermissionDenied):
        service.judge(session, other_analyst, found.subject_id, "un_sc", top.entity_id,
                      "match")
    with platform_db.transaction() as session, pytest.raises(InputError):
        service.judge(session, analyst, found.subject_id, "un_sc", top.entity_id, "maybe")


def test_new_version_rescreens_changed_entries_and_alerts(
        platform_db: Database, analyst: Principal, other_analyst: Principal,
        fixtures: Path) -> None:
    _import(platform_db, analyst, fixtures)
    olena = {"schema": "Person", "properties": {"name": ["Olena Kovalenko"],
                                                "gender": ["female"]}}
    with platform_db.transaction() as session:
        [before] = service.screen_entities(session, analyst, [olena, IVAN])[:1]
    assert before.results == []
    _, rescreen = _import(platform_db, analyst, fixtures, "un_v2.xml")
    assert rescreen.entries == 2  # one added and one changed entry, not the whole list
    assert rescreen.alerts >= 2  # Olena (added) and Ivan (changed)
    with platform_db.transaction() as session:
        mine = service.alerts(session, analyst)
        assert {a["entry"] for a in mine} >= {"OLENA KOVALENKO", "IVAN PETROVICH SIDOROV"}
        assert service.alerts(session, other_analyst) == []  # alerts go to the unit
        olena_alert = next(a for a in mine if a["entry"] == "OLENA KOVALENKO")
        assert olena_alert["change"] == "added"
        service.close_alert(session, analyst, olena_alert["id"])
    with platform_db.transaction() as session:
        assert all(a["id"] != olena_alert["id"] for a in service.alerts(session, analyst))
        assert session.scalar(select(func.count()).select_from(Alert)
                              .where(Alert.status == "closed")) == 1


def test_dismissed_pair_raises_no_alert(platform_db: Database, analyst: Principal,
                                        fixtures: Path) -> None:
    _import(platform_db, analyst, fixtures)
    with platform_db.transaction() as session:
        [found] = service.screen_entities(session, analyst, [IVAN])
        assert found.subject_id is not None
        service.judge(session, analyst, found.subject_id, "un_sc", found.results[0].entity_id,
                      "no_match")
    _, rescreen = _import(platform_db, analyst, fixtures, "un_v2.xml")
    with platform_db.transaction() as session:
        assert not [a for a in service.alerts(session, analyst)
                    if a["entry"] == "IVAN PETROVICH SIDOROV"]
        subject = session.get(ScreenedSubject, found.subject_id)
        assert subject is not None
    del rescreen


def test_subject_view_is_guarded(platform_db: Database, analyst: Principal,
                                 other_analyst: Principal, fixtures: Path) -> None:
    _import(platform_db, analyst, fixtures)
    with platform_db.transaction() as session:
        [found] = service.screen_entities(session, analyst, [IVAN], handling="AMBER+STRICT")
    assert found.subject_id is not None
    with platform_db.transaction() as session:
        view = service.subject_view(session, analyst, found.subject_id)
        assert view["matches"][0]["caption"] == "IVAN PETROVICH SIDOROV"
        with pytest.raises(NotFound):
            service.subject_view(session, other_analyst, found.subject_id)

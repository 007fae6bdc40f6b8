"""Human-rights and gender markers on programmes, and the coherence recommendation for
law-enforcement capacity building without a human-rights component (both engines)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cases.helpers import user
from tests.taskforce.lessons.helpers import unit_id
from tocsin.errors import ConfigurationError, InputError, PermissionDenied
from tocsin.safeguards import markers
from tocsin.safeguards.markers import MarkerSpec
from tocsin.store.database import Database
from tocsin.taskforce.programmes.tables import Activity, ActivityStage


def _activity(s, identifier: str, title: str, stage: str) -> int:  # type: ignore[no-untyped-def]
    a = Activity(identifier=identifier, level="activity", title=title, handling="GREEN",
                 owner_unit_id=unit_id(s, "tntd-spmu"), reporting_org_ref="XM-OSCE")
    s.add(a)
    s.flush()
    s.add(ActivityStage(activity_id=a.id, stage_code=stage))
    s.flush()
    return a.id


def test_capacity_building_without_human_rights_is_recommended(platform_db: Database) -> None:
    from tocsin.coherence import analysis

    with platform_db.transaction() as s:
        analyst = user(s, "analyst")
        police = _activity(s, "XM-OSCE-T-1", "Training for police investigators",
                           "investigation")
        court = _activity(s, "XM-OSCE-T-2", "Court case management", "adjudication")
        flags = markers.missing_human_rights(s, analyst)
        assert [f.activity_id for f in flags] == [police]
        assert "it works on Investigation and names 'police'" in flags[0].rationale
        assert "no human-rights component" in flags[0].rationale
        ranked = analysis.run(s, analyst).recommendations
        found = [r for r in ranked if r.kind == "human_rights"]
        assert len(found) == 1 and found[0].title.endswith("XM-OSCE-T-1")
        assert found[0].kind_label == "Add a human-rights component"
        assert found[0].evidence[0].link == f"/programmes/{police}"
        # a gender marker alone is not a human-rights component; a human-rights one is
        markers.set_markers(s, analyst, police, [MarkerSpec("1", "1", 2)])
        assert [f.activity_id for f in markers.missing_human_rights(s, analyst)] == [police]
        markers.set_markers(s, analyst, police, [MarkerSpec("1", "1", 2),
                                                 MarkerSpec("99", "human_rights", 0)])
        assert markers.missing_human_rights(s, analyst) != []  # "not targeted" is not enough
        markers.set_markers(s, analyst, police, [MarkerSpec("1", "1", 2),
                                                 MarkerSpec("99", "human_rights", 1)])
        assert markers.missing_human_rights(s, analyst) == []
        assert not any(r.kind == "human_rights"
                       for r in analysis.run(s, analyst).recommendations)
        assert [(m.vocabulary, m.code, m.significance)
                for m in markers.markers_of(s, analyst, police)] == [
            ("1", "1", 2), ("99", "human_rights", 1)]
        with pytest.raises(InputError) as bad:
            markers.set_markers(s, analyst, court, [MarkerSpec("1", "77", 1),
                                                    MarkerSpec("99", "human_rights", 7)])
        assert {p.location for p in bad.value.problems} == {"markers.0.code",
                                                            "markers.1.significance"}
        with pytest.raises(PermissionDenied):
            markers.set_markers(s, user(s, "fund_manager", name="fm"), court, [])


def test_marker_rules_are_checked(tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "tocsin/safeguards/data/markers.yaml").read_text()
    bad = tmp_path / "markers.yaml"
    bad.write_text(text.replace("- {vocabulary: \"99\", code: human_rights}",
                                "- {vocabulary: \"99\", code: nothing}"))
    with pytest.raises(ConfigurationError, match="unknown marker 99/nothing"):
        markers.load_markers(bad)


def test_a_programme_is_flagged_once_and_its_marker_covers_the_work_below(
        platform_db: Database) -> None:
    with platform_db.transaction() as s:
        analyst = user(s, "analyst")
        top = _activity(s, "XM-OSCE-P-1", "Police reform programme", "investigation")
        child = _activity(s, "XM-OSCE-P-1-1", "Training for border police", "prevention")
        s.get(Activity, child).parent_id = top
        s.flush()
        flags = markers.missing_human_rights(s, analyst)
        assert [f.activity_id for f in flags] == [top]
        assert "So does 1 project or activity below it." in flags[0].rationale
        markers.set_markers(s, analyst, top, [MarkerSpec("99", "human_rights", 2)])
        assert markers.missing_human_rights(s, analyst) == []


def test_the_check_binds_no_list_of_every_activity(platform_db: Database) -> None:
    """The statements stay the same size whatever the portfolio (a list of every id
    bound one value per activity, 61,030 on a 50,000-activity workspace)."""
    from sqlalchemy import event

    with platform_db.transaction() as s:
        analyst = user(s, "analyst")
        top = _activity(s, "XM-OSCE-Q-1", "Police reform programme", "investigation")
        for k in range(60):
            child = _activity(s, f"XM-OSCE-Q-1-{k}", "Training for border police",
                              "prevention")
            s.get(Activity, child).parent_id = top
        s.flush()
        sizes: list[int] = []

        def seen(_conn, _cursor, _statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
            sizes.append(len(parameters or ()))

        event.listen(platform_db.engine, "before_cursor_execute", seen)
        try:
            flags = markers.missing_human_rights(s, analyst)
        finally:
            event.remove(platform_db.engine, "before_cursor_execute", seen)
        assert [f.activity_id for f in flags] == [top]
        assert "So do 60 projects or activities below it." in flags[0].rationale
        assert sizes and max(sizes) < 20

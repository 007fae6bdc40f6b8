"""Commitments: records, assessments with history, and the 'no programme behind' view."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.taskforce.programmes.factory import full_spec, principal, spec
from tocsin.access.principal import Principal
from tocsin.access.tables import AuditEntry
from tocsin.errors import InputError, NotFound, PermissionDenied
from tocsin.taskforce.commitments import gaps, records
from tocsin.taskforce.commitments.demo import demo_commitments, demo_specs
from tocsin.taskforce.commitments.records import CommitmentSpec
from tocsin.taskforce.programmes import records as programmes


def _commitment(code: str = "untoc:art13", **fields: object) -> CommitmentSpec:
    base: dict[str, object] = {
        "code": code, "instrument_code": "untoc", "provision_key": code,
        "paragraph": "article 13", "summary": "Co-operate on confiscation requests.",
        "crime_areas": ["money_laundering"], "stages": ["asset_recovery"],
        "structures": ["tntd-spmu"], "owner_unit": "tntd",
    }
    base.update(fields)
    return CommitmentSpec(**base)  # type: ignore[arg-type]


def test_create_read_update_delete(session: Session) -> None:
    system = Principal.system()
    created = records.create_commitment(session, system, _commitment(priority=1))
    assert records.to_spec(session, created) == _commitment(priority=1, handling="GREEN")
    changed = _commitment(summary="Changed.", crime_areas=["corruption", "money_laundering"])
    records.update_commitment(session, system, created.id, changed)
    assert records.to_spec(session, created).crime_areas == ["corruption", "money_laundering"]
    records.delete_commitment(session, system, created.id)
    with pytest.raises(NotFound):
        records.get_commitment(session, system, created.id)


def test_bad_commitments_list_every_problem(session: Session) -> None:
    bad = _commitment("x", instrument_code="untoc", provision_key="uncac:art51", summary="",
                      priority=5, crime_areas=["nope"], structures=["nowhere"])
    with pytest.raises(InputError) as caught:
        records.create_commitment(session, Principal.system(), bad)
    reasons = [p.reason for p in caught.value.problems]
    assert reasons == [
        "the summary is empty", "priority 5 is not 1-3",
        "'uncac:art51' belongs to 'uncac', not 'untoc'",
        "unknown crime area 'nope'", "unknown structure 'nowhere'",
    ]


def test_assessments_keep_a_history_and_set_the_status(session: Session) -> None:
    system = Principal.system()
    commitment = records.create_commitment(session, system, _commitment())
    activity = programmes.create_activity(session, system, full_spec("EVID"))
    analyst = principal(session, "analyst", "tntd")
    records.assess(session, analyst, commitment.id, "in_progress", "Training started.",
                   evidence_activities=[activity.id])
    records.assess(session, analyst, commitment.id, "implemented", "Law adopted.",
                   evidence_documents=[activity.documents[0].id])
    assert records.get_commitment(session, system, commitment.id).status == "implemented"
    seen = records.history(session, system, commitment.id)
    assert [(v.assessment.status, v.assessment.username) for v in seen] == [
        ("implemented", "analyst-tntd"), ("in_progress", "analyst-tntd")]
    assert seen[1].activity_ids == [activity.id]
    assert seen[0].document_ids == [activity.documents[0].id]
    with pytest.raises(InputError, match="unknown status 'done'"):
        records.assess(session, analyst, commitment.id, "done", "x")
    with pytest.raises(InputError, match="rationale is empty"):
        records.assess(session, analyst, commitment.id, "ongoing", " ")
    with pytest.raises(PermissionDenied):
        records.assess(session, principal(session, "analyst", "fo-serbia"), commitment.id,
                       "ongoing", "not my unit")
    actions = session.scalars(select(AuditEntry.detail).where(
        AuditEntry.record_type == "commitment", AuditEntry.action == "update")).all()
    assert actions == ["assessed in_progress", "assessed implemented"]


def test_commitments_without_programme(session: Session) -> None:
    system = Principal.system()
    covered_direct = records.create_commitment(session, system, _commitment("untoc:art12"))
    covered_below = records.create_commitment(session, system, _commitment(
        "untoc:art18", crime_areas=["organized_criminal_group"]))
    bare = records.create_commitment(session, system, _commitment(
        "untoc:art14", crime_areas=["money_laundering", "corruption"]))
    cancelled_only = records.create_commitment(session, system, _commitment("untoc:art24"))
    not_applicable = records.create_commitment(session, system, _commitment("untoc:art20"))
    programme = programmes.create_activity(session, system, spec("PRG", level="programme"))
    leaf = programmes.create_activity(session, system, spec("PRG-A", parent_identifier="PRG"))
    cancelled = programmes.create_activity(session, system, spec("OLD", status=5))
    records.link_activities(session, system, covered_direct.id, [programme.id])
    records.link_activities(session, system, covered_below.id, [leaf.id])
    records.link_activities(session, system, cancelled_only.id, [cancelled.id])
    records.assess(session, system, not_applicable.id, "not_applicable", "Out of scope.")

    without = gaps.commitments_without_programme(session, system)
    assert [c.code for c in without] == ["untoc:art14", "untoc:art24"]
    assert [c.code for c in gaps.commitments_without_programme(
        session, system, crime_area="corruption")] == ["untoc:art14"]
    behind = gaps.programmes_behind(session, system, [covered_direct.id, covered_below.id,
                                                      bare.id])
    assert behind == {covered_direct.id: [programme.id], covered_below.id: [programme.id],
                      bare.id: []}
    by_instrument = gaps.gaps_by_instrument(session, system)
    assert [(g.key, g.total, len(g.without)) for g in by_instrument] == [("untoc", 4, 2)]
    by_area = {g.key: (g.total, [c.code for c in g.without])
               for g in gaps.gaps_by_crime_area(session, system)}
    assert by_area == {
        "money_laundering": (3, ["untoc:art14", "untoc:art24"]),
        "corruption": (1, ["untoc:art14"]),
        "organized_criminal_group": (1, []),
    }


def test_an_activity_the_principal_cannot_read_does_not_cover(session: Session) -> None:
    system = Principal.system()
    commitment = records.create_commitment(session, system, _commitment())
    hidden = programmes.create_activity(session, system, spec("HIDDEN",
                                                              handling="AMBER+STRICT"))
    records.link_activities(session, system, commitment.id, [hidden.id])
    outsider = principal(session, "coordinator", "unodc")
    assert [c.code for c in gaps.commitments_without_programme(session, outsider)] == [
        "untoc:art13"]
    assert gaps.commitments_without_programme(session, system) == []
    # who cannot see a link cannot remove it either
    records.link_activities(session, outsider, commitment.id, [])
    assert records.links(session, [commitment.id])[commitment.id].activity_ids == [hidden.id]


def test_demo_commitments_load_once_and_are_labelled(session: Session) -> None:
    added = demo_commitments(session)
    assert len(added) == len(demo_specs()) >= 10
    assert all(c.illustrative for c in added)
    assert demo_commitments(session) == []
    codes = {c.code for c in records.list_commitments(session, Principal.system(),
                                                      instrument="mc-dec-5-06")}
    assert "mc-dec-5-06:prosecution-integrity" in codes
    art13 = records.get_by_code(session, Principal.system(), "untoc:art13")
    assert art13.provision_key == "untoc:art13"

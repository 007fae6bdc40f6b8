"""Commitments without a programme come from the commitments library and rank by
priority and the threat in their crime areas."""

from __future__ import annotations

from tocsin.access.principal import Principal
from tocsin.coherence.analysis import Options, run
from tocsin.coherence.gaps import CommitmentInfo, commitment_gaps
from tocsin.coherence.picture import ThreatCell
from tocsin.store.database import Database


def test_ranking_by_priority_and_threat() -> None:
    hot = ThreatCell("drug_trafficking", "TJ", 2025, score=90.0)
    cool = ThreatCell("corruption", "RS", 2025, score=20.0)
    threat = {("drug_trafficking", "TJ"): hot, ("corruption", "RS"): cool}
    found = commitment_gaps([
        CommitmentInfo(1, "low-hot", "", 3, ("drug_trafficking",)),
        CommitmentInfo(2, "high-cool", "", 1, ("corruption",)),
        CommitmentInfo(3, "high-hot", "", 1, ("drug_trafficking",)),
    ], threat)
    assert [g.commitment.code for g in found] == ["high-hot", "high-cool", "low-hot"]
    assert found[0].score == 100 * 1.0 * (0.5 + 0.5 * 0.9)
    assert found[0].top_cell == ("drug_trafficking", "TJ")


def test_commitment_without_programme_becomes_a_recommendation(demo_db: Database) -> None:
    from tocsin.taskforce.commitments.records import CommitmentSpec, create_commitment

    with demo_db.transaction() as session:
        create_commitment(session, Principal.system(), CommitmentSpec(
            code="untoc:art12-test", instrument_code="untoc", priority=1,
            summary="Fictional test commitment: confiscate proceeds of drug trafficking.",
            crime_areas=["drug_trafficking"], owner_unit="tntd-spmu"))
    with demo_db.transaction() as session:
        analysis = run(session, Principal.system(), Options())
    codes = [g.commitment.code for g in analysis.commitment_gaps]
    assert "untoc:art12-test" in codes
    assert any(r.kind == "start_programme" and "untoc:art12-test" in r.title
               for r in analysis.recommendations)
    assert not analysis.inputs.notes

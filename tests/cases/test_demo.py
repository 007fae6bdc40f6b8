"""The demo's fictional asset-recovery case: from the demo's trace to a confiscated asset
and an executed MLA request, every step audited; loading twice adds nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from tocsin.access.principal import Principal
from tocsin.access.tables import AuditEntry
from tocsin.cases import demo, records, stats
from tocsin.demo.workspace import load_demo
from tocsin.lifecycle import init_platform
from tocsin.settings import Settings
from tocsin.store.database import Database


def test_demo_case_runs_from_trace_to_confiscation(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", demo=True)
    init_platform(settings)
    report = load_demo(settings)
    line = next(s for s in report.summaries if s.startswith("Asset-recovery case"))
    assert "Fictional" in line and "frozen and confiscated" in line
    db = Database.from_settings(settings)
    try:
        with db.transaction() as s:
            system = Principal.system()
            (case,) = [c for c in records.list_cases(s, system)
                       if c.reference == demo.REFERENCE]
            (asset,) = case.assets
            assert [st.stage for st in asset.stages] == ["identify", "trace", "freeze",
                                                         "confiscate"]
            assert asset.trace is not None and asset.trace["end"] == "foreign bank"
            (request,) = case.requests
            assert request.status == "executed" and request.kind == "mla"
            # the request as sent, and the transfer of the data-protection demo
            assert [e.direction for e in case.exchanges] == ["sent", "sent"]
            assert [e.request_id for e in case.exchanges if e.request_id] == [request.id]
            metrics = {r.metric for r in stats.aggregate(stats.facts(s, system))}
            assert {"freezing_orders_issued", "confiscation_orders_final",
                    "requests_outgoing", "requests_executed"} <= metrics
            audited = s.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.record_type == "case", AuditEntry.record_id == str(case.id)))
            assert audited and audited >= 12
            cases_before = s.scalar(select(func.count()).select_from(type(case)))
        again = load_demo(settings)
        assert any("already present" in x for x in again.summaries)
        with db.transaction() as s:
            assert s.scalar(select(func.count()).select_from(type(case))) == cases_before
    finally:
        db.engine.dispose()

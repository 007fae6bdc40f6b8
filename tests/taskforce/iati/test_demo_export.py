"""The demo workspace's IATI export passes the 2.03 schema and the IATI rulesets."""

from __future__ import annotations

import io
from pathlib import Path

from tocsin.access.principal import Principal
from tocsin.demo.workspace import load_demo
from tocsin.lifecycle import init_platform
from tocsin.settings import Settings
from tocsin.store.database import Database
from tocsin.taskforce.iati.exchange import export_iati, validate_export


def test_the_demo_export_passes_the_schema_and_the_rulesets(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", demo=True)
    init_platform(settings)
    load_demo(settings)
    db = Database.from_settings(settings)
    out = io.BytesIO()
    with db.transaction() as session:
        count = export_iati(session, Principal.system(), out)
    db.engine.dispose()
    assert count > 0
    assert validate_export(out.getvalue()) == []

"""The demo workspace loads every area's fictional content, once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from tocsin.access.tables import User
from tocsin.demo.workspace import DEMO_USERS, load_demo
from tocsin.lifecycle import init_platform
from tocsin.settings import Settings
from tocsin.store.database import Database
from tocsin.store.migrate import import_all_tables


def _row_counts(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        return {t.name: session.scalar(select(func.count()).select_from(t)) or 0
                for t in import_all_tables().sorted_tables if t.name != "audit_log"}


def test_demo_loads_every_part_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", demo=True)
    init_platform(settings)
    first = load_demo(settings)
    assert set(first.credentials) == {u[0] for u in DEMO_USERS}
    assert all("fictional" in line.lower() for line in first.summary_lines())
    db = Database.from_settings(settings)
    counts = _row_counts(db)
    again = load_demo(settings)
    assert again.credentials == first.credentials  # kept, so every start can print them
    assert _row_counts(db) == counts
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(User)) == len(DEMO_USERS)
    credentials = settings.data_dir / "demo-credentials.json"
    assert credentials.stat().st_mode & 0o077 == 0
    db.engine.dispose()

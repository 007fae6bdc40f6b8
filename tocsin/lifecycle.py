"""Creating or upgrading an installation: schema migrations and reference data."""

from __future__ import annotations

from dataclasses import dataclass

from tocsin.settings import Settings
from tocsin.store import migrate
from tocsin.store.database import Database


@dataclass(frozen=True)
class InitReport:
    database: str
    revisions: list[str]
    reference_version: str
    reference_changes: dict[str, int]


def init_platform(settings: Settings) -> InitReport:
    """Create or migrate the database and load the reference framework. Safe to run twice."""
    from tocsin.reference.load import sync_reference
    from tocsin.reference.registry import load_registry
    from tocsin.taskforce.partners.records import sync_reference_partners

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database.from_settings(settings)
    try:
        migrate.upgrade(db.engine)
        registry = load_registry()
        with db.transaction() as session:
            report = sync_reference(session, registry)
            sync_reference_partners(session)  # reference organizations become partners
        return InitReport(
            database=db.engine.url.render_as_string(hide_password=True),
            revisions=sorted(migrate.current_heads(db.engine)),
            reference_version=registry.version,
            reference_changes=report.counts(),
        )
    finally:
        db.engine.dispose()

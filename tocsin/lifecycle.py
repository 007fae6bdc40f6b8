"""Creating or upgrading an installation: schema migrations and reference data."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from tocsin.settings import Settings
from tocsin.store import migrate
from tocsin.store.database import Database
from tocsin.store.private import private_folder

log = logging.getLogger("tocsin")

#: At start-up, an unfinished import untouched this long is a leftover of a killed process.
STALE_IMPORT_SECONDS = 60.0


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

    private_folder(settings.data_dir)
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


def clean_unfinished_imports(settings: Settings, db: Database,
                             stale_seconds: float = STALE_IMPORT_SECONDS) -> list[Path]:
    """Remove the ``.partial-*`` folders of imports a killed process left behind.

    Run when the server starts; each removal is logged. A folder written to within
    ``stale_seconds`` is left alone (another process may still be importing into it).
    """
    from tocsin.money.sets import orphaned_folders, remove_leftovers

    with db.transaction() as session:
        found = [item for item in orphaned_folders(session, settings, stale_seconds)
                 if item.kind == "unfinished import"]
    for item in found:
        log.warning("removed an unfinished import left by a stopped process: %s (%s bytes)",
                    item.path.name, item.size)
    remove_leftovers(found)
    return [item.path for item in found]

"""Saved column mappings: one folder per unit, read by its members only, saving audited."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.access.tables import AuditEntry
from tocsin.errors import InputError, NotFound, PermissionDenied
from tocsin.money import mappings
from tocsin.money.ingest import ingest
from tocsin.money.ingest.suggest import suggest
from tocsin.settings import Settings
from tocsin.store.database import Database

WIZARD = Path(__file__).resolve().parents[1] / "fixtures" / "money" / "wizard"


def _who(role: Role, unit: int | None, name: str = "tester") -> Principal:
    return Principal(user_id=None, username=name, role=role, unit_id=unit)


def test_save_list_reuse_and_the_read_rule(db: Database, settings: Settings,
                                           tmp_path: Path) -> None:
    raw = suggest(WIZARD / "transfers_us.csv").raw()
    analyst = _who(Role.ANALYST, 1)
    with db.transaction() as session:
        saved = mappings.save(session, settings, analyst, "  US wire  export ", raw)
    assert (saved.slug, saved.name) == ("us-wire-export", "US wire export")
    assert [m.name for m in mappings.list_saved(settings, _who(Role.FUND_MANAGER, 1))] == [
        "US wire export"]
    # another unit's members neither list nor open it
    assert mappings.list_saved(settings, _who(Role.ANALYST, 2)) == []
    with pytest.raises(NotFound):
        mappings.get_saved(settings, _who(Role.ANALYST, 2), "US wire export")
    item, mapping = mappings.get_saved(settings, analyst, "us wire export")
    # the saved file is an ordinary mapping file: automation imports with it as it is
    report = ingest("csv", [WIZARD / "transfers_us.csv"], tmp_path / "set", mapping=item.path)
    assert report.transactions == 6 and mapping.transaction.date.format == "%m/%d/%Y"
    with db.transaction() as session:
        mappings.save(session, settings, analyst, "US wire export", raw)
    with db.transaction() as session:
        actions = session.scalars(select(AuditEntry.action).where(
            AuditEntry.record_type == mappings.RECORD_TYPE).order_by(AuditEntry.id)).all()
    assert actions == ["create", "update"]


def test_who_may_save_and_what(db: Database, settings: Settings) -> None:
    raw = suggest(WIZARD / "transfers_us.csv").raw()
    with db.transaction() as session, pytest.raises(PermissionDenied):
        mappings.save(session, settings, _who(Role.FUND_MANAGER, 1), "Mine", raw)
    with db.transaction() as session, pytest.raises(InputError, match="no unit"):
        mappings.save(session, settings, _who(Role.ANALYST, None), "Mine", raw)
    with db.transaction() as session, pytest.raises(InputError, match="Mapping name"):
        mappings.save(session, settings, _who(Role.ANALYST, 1), " -- ", raw)
    with db.transaction() as session, pytest.raises(InputError, match="transaction"):
        mappings.save(session, settings, _who(Role.ANALYST, 1), "Broken", {"source": {}})
    assert not mappings.folder(settings, 1).exists() or not list(
        mappings.folder(settings, 1).glob("*.yaml"))

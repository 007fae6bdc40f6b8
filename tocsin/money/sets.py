"""Transaction sets under access control: import, list, open, export, delete.

The rows of a set live in Parquet files under ``<data_dir>/money/<storage key>/``;
the database holds one :class:`~tocsin.money.tables.TransactionSet` per set with
its handling code and owning unit, so the read policy and the audit log apply
to sets like to every other record. The storage key is random, never derived
from the name a user typed.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from tocsin import types
from tocsin.access import audit
from tocsin.access.handling import Handling
from tocsin.access.policy import (
    get_readable,
    list_readable,
    may_write,
    readable,
    require,
    require_write,
    unguarded_select,
)
from tocsin.access.principal import Principal
from tocsin.access.roles import Action
from tocsin.access.tables import Unit
from tocsin.errors import InputError, NotFound, Problem
from tocsin.money.dataset import StoredSet, open_set
from tocsin.money.export import ExportReport, Selection, export_set
from tocsin.money.ingest import IngestReport, ingest
from tocsin.money.rates import RateTable
from tocsin.money.tables import TransactionSet
from tocsin.settings import Settings


def storage_root(settings: Settings) -> Path:
    return settings.data_dir / "money"


def set_path(settings: Settings, item: TransactionSet) -> Path:
    return storage_root(settings) / item.storage_key


def import_set(
    session: Session,
    principal: Principal,
    settings: Settings,
    fmt: str,
    sources: Sequence[Path | str],
    name: str,
    handling: str,
    unit_id: int,
    *,
    description: str = "",
    base_currency: str = "EUR",
    rates: RateTable | Path | str | None = None,
    mapping: Path | str | None = None,
    options: Mapping[str, Any] | None = None,
    progress: bool = False,
) -> tuple[TransactionSet, IngestReport]:
    """Import files into a new set owned by ``unit_id`` and register it.

    The row and its audit entry are added in the caller's transaction; if that
    transaction rolls back, the set's files are removed again.
    """
    require_write(principal, unit_id)
    code = _handling(handling)
    name = name.strip()
    if not name:
        raise InputError.single("name", "a transaction set needs a name")
    if session.get(Unit, unit_id) is None:
        raise InputError.single("unit", f"no unit with id {unit_id}")
    key = uuid.uuid4().hex
    target = storage_root(settings) / key
    report = ingest(fmt, sources, target, base_currency=base_currency, rates=rates,
                    mapping=mapping, progress=progress, options=options)
    _remove_on_rollback(session, target)
    try:
        item = TransactionSet(
            name=name[:200], description=description, format=report.format,
            base_currency=report.base_currency, storage_key=key,
            transaction_count=report.transactions, account_count=report.accounts,
            party_count=report.parties, has_labels=report.has_labels, handling=code,
            owner_unit_id=unit_id, created_by=principal.user_id,
        )
        session.add(item)
        session.flush()
        audit.record(session, principal, "create", item.record_type, item.id, item.handling,
                     detail=f"{report.format} import of {', '.join(report.sources)}: "
                            f"{report.transactions} transactions, {report.accounts} accounts")
        session.flush()
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return item, report


def check_owner(session: Session, principal: Principal, unit_code: str, handling: str) -> int:
    """The id of the unit that will own a new set, checked before any file is received.

    Lists every problem with the unit code and the handling code, then refuses a
    principal who may not write for that unit.
    """
    problems: list[Problem] = []
    unit_id = types.unit.check_id(session, unit_code, "unit", problems)
    try:
        Handling.parse(handling)
    except ValueError as exc:
        problems.append(Problem("handling", str(exc)))
    if problems or unit_id is None:
        raise InputError(problems)
    require_write(principal, unit_id)
    return unit_id


def _handling(value: str) -> str:
    try:
        return Handling.parse(value).value
    except ValueError as exc:
        raise InputError.single("handling", str(exc)) from None


def _remove_on_rollback(session: Session, target: Path) -> None:
    """Delete ``target`` if the session's transaction rolls back; forget it once committed."""
    state = {"done": False}

    def rolled_back(_session: Session) -> None:
        if not state["done"]:
            state["done"] = True
            shutil.rmtree(target, ignore_errors=True)

    def committed(_session: Session) -> None:
        state["done"] = True

    event.listen(session, "after_rollback", rolled_back)
    event.listen(session, "after_commit", committed)


def _remove_on_commit(session: Session, target: Path) -> None:
    """Delete ``target`` only once the deletion of its row is committed."""
    state = {"done": False}

    def committed(_session: Session) -> None:
        if not state["done"]:
            state["done"] = True
            shutil.rmtree(target, ignore_errors=True)

    def rolled_back(_session: Session) -> None:
        state["done"] = True

    event.listen(session, "after_commit", committed)
    event.listen(session, "after_rollback", rolled_back)


def list_sets(session: Session, principal: Principal) -> list[TransactionSet]:
    """The sets the principal may read, newest first (reads above GREEN are audited)."""
    stmt = readable(TransactionSet, principal).order_by(TransactionSet.id.desc())
    return list(list_readable(session, stmt, principal))


def get_set(session: Session, principal: Principal, set_id: int) -> TransactionSet:
    return get_readable(session, TransactionSet, set_id, principal)


def find_set(session: Session, principal: Principal, ref: str) -> TransactionSet:
    """A set by id, or by its exact name when that names one readable set."""
    if ref.strip().isdigit():
        return get_set(session, principal, int(ref))
    stmt = readable(TransactionSet, principal).where(TransactionSet.name == ref.strip())
    matches = list(session.scalars(stmt))
    if not matches:
        raise NotFound(f"transaction_set {ref!r} not found")
    if len(matches) > 1:
        ids = ", ".join(str(m.id) for m in matches)
        raise InputError.single("set", f"{len(matches)} sets are named {ref!r} (ids {ids}); "
                                       "give the id")
    return get_set(session, principal, matches[0].id)


def may_change(principal: Principal, item: TransactionSet) -> bool:
    """Whether the principal may change the set: replace its findings, delete it."""
    return may_write(principal, item.owner_unit_id)


def stores_results(session: Session, principal: Principal, item: TransactionSet,
                   what: str) -> bool:
    """Whether an analysis of a readable set by ``principal`` keeps its results.

    Keeping results (the set's latest findings) changes the set: only those who
    may change records of the set's unit do it, and it is audited as an update.
    Anyone else who may read the set gets a preview that stores nothing.
    """
    if not may_change(principal, item):
        return False
    audit.record(session, principal, "update", item.record_type, item.id, item.handling,
                 detail=what)
    return True


def open_stored(settings: Settings, item: TransactionSet) -> StoredSet:
    """The set's files (call :func:`get_set` first: this does not check access)."""
    return open_set(set_path(settings, item))


def export(session: Session, principal: Principal, settings: Settings, item_id: int, fmt: str,
           output: Path, selection: Selection | None = None) -> ExportReport:
    """Export a readable set (or a selection of it) and audit the export."""
    require(principal, Action.EXPORT)
    item = get_set(session, principal, item_id)
    report = export_set(open_stored(settings, item), fmt, Path(output), selection)
    scope = "all" if selection is None or selection.everything else "a selection"
    audit.record(session, principal, "export", item.record_type, item.id, item.handling,
                 detail=f"{report.format} export of {scope} to {Path(output).name}: "
                        f"{report.transactions} transactions")
    return report


def delete_set(session: Session, principal: Principal, settings: Settings, item_id: int) -> None:
    """Delete the row (audited); the files go once the deletion is committed."""
    item = get_set(session, principal, item_id)
    require_write(principal, item.owner_unit_id)
    target = set_path(settings, item)
    audit.record(session, principal, "delete", item.record_type, item.id, item.handling,
                 detail=f"{item.name} ({item.transaction_count} transactions)")
    session.delete(item)
    session.flush()
    _remove_on_commit(session, target)


def orphaned_folders(session: Session, settings: Settings) -> list[Path]:
    """Folders under ``<data_dir>/money/`` that no registered set owns (e.g. after a crash)."""
    root = storage_root(settings)
    if not root.is_dir():
        return []
    keys = set(session.scalars(unguarded_select(
        TransactionSet.storage_key, why="every set's folder is kept, whoever may read it")))
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name not in keys)

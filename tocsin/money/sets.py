"""Transaction sets under access control, and the one owner of everything stored per set.

The database holds one :class:`~tocsin.money.tables.TransactionSet` per set with
its handling code and owning unit, so the read policy and the audit log apply
to sets like to every other record. Everything else a set has lives in its
folder ``<data_dir>/money/<storage key>/`` and is reached only through this
module:

==========================  =========================================================
``transactions.parquet`` …  the rows (written by the importers, see :mod:`.dataset`)
``findings.json``           the latest detection run (:func:`keep_findings`)
``results/<job>.json``      results of background jobs on the set
``exports/<random>/``       downloads being written (removed once sent)
``models/``                 risk models trained on the set
``index/``                  payments by id and by account, for traces and the graph
                            (:mod:`tocsin.money.index`, built on first use)
==========================  =========================================================

so deleting a set (:func:`delete_set`) removes all of it, together with its
jobs, and :func:`orphaned_folders` finds what a crash left behind. The storage
key is random, never derived from the name a user typed.

Storing results (findings, models) changes what everyone who reads the set
sees, so it is a write: :func:`may_store_results` decides, for the web and the
command line alike; a user who may only read gets a preview that stores nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, select, update
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
from tocsin.access.tables import Unit, User
from tocsin.errors import InputError, NotFound, Problem, reason_of
from tocsin.jobs import runner as jobs
from tocsin.money.dataset import StoredSet, open_set
from tocsin.money.export import ExportReport, Selection, export_set
from tocsin.money.ingest import IngestReport, ingest
from tocsin.money.rates import RateTable
from tocsin.money.tables import TransactionSet
from tocsin.settings import Settings
from tocsin.types.base import is_digits

if TYPE_CHECKING:
    from tocsin.money.rank import Ranking

#: The subject type of jobs about a set (``jobs.subject_type``).
SUBJECT = TransactionSet.record_type
FINDINGS_FILE = "findings.json"
RESULTS_DIR = "results"
EXPORTS_DIR = "exports"
MODELS_DIR = "models"
#: Leftover temporary files younger than this may still be in use (an import, a download).
IN_USE_SECONDS = 3600.0
_KEY = re.compile(r"^[0-9a-f]{32}$")


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
    # the import ends with an audit row: a missing key is told before the files are read
    audit.session_key(session)
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


def owner_units(principal: Principal, units: Iterable[Unit]) -> list[Unit]:
    """Of ``units`` (the page's list, in its order), those that may own a set ``principal``
    imports: those whose records the principal may change."""
    return [u for u in units if may_write(principal, u.id)]


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
        problems.append(Problem("handling", reason_of(exc)))
    if problems or unit_id is None:
        raise InputError(problems)
    require_write(principal, unit_id)
    return unit_id


def _handling(value: str) -> str:
    try:
        return Handling.parse(value).value
    except ValueError as exc:
        raise InputError.single("handling", reason_of(exc)) from None


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
    """Delete ``target`` (a folder or a file) only once the deletion of its row is committed."""
    state = {"done": False}

    def committed(_session: Session) -> None:
        if not state["done"]:
            state["done"] = True
            if target.is_dir():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)

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
    if is_digits(ref.strip()):
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


def open_stored(settings: Settings, item: TransactionSet) -> StoredSet:
    """The set's files (call :func:`get_set` first: this does not check access)."""
    return open_set(set_path(settings, item))


def relative(settings: Settings, path: Path) -> str:
    """``path`` relative to the data folder, as jobs store it."""
    return Path(path).resolve().relative_to(settings.data_dir.resolve()).as_posix()


# --------------------------------------------------------------------------- results


def may_store_results(principal: Principal, item: TransactionSet) -> bool:
    """Whether ``principal`` may store results (findings, models) on the set.

    Stored results change what every reader of the set sees, so this is the
    write rule of the set's owning unit. The web routes and the command line
    both ask here; a user who may only read gets a preview that stores nothing.
    """
    return may_write(principal, item.owner_unit_id)


def _hold(session: Session, item: TransactionSet, touch: bool = False) -> None:
    """Lock the set's row until the transaction ends, so a deletion cannot run meanwhile.

    The files written while the lock is held land in a folder that still
    belongs to a set; once the set is deleted, this raises :class:`NotFound`.
    """
    stamp = datetime.now(UTC) if touch else TransactionSet.updated_at
    done = session.execute(update(TransactionSet).where(TransactionSet.id == item.id)
                           .values(updated_at=stamp)
                           .execution_options(synchronize_session=False))
    if not done.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"transaction_set {item.id} not found")


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    temp.write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(temp, path)


def findings_run(ranking: Ranking, detectors: Sequence[str],
                 configs: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A ranked detection run as the pages and the API show it (nothing stored): the
    findings flagged first (:func:`tocsin.money.views.ranked_findings`), the flagged
    accounts and how many there are of how many."""
    from tocsin.money.views import flagged_accounts, ranked_findings

    return {
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "detectors": list(detectors),
        "configs": {k: dict(v) for k, v in configs.items()},
        "ranking": ranking.summary(),
        "flagged_accounts": flagged_accounts(ranking),
        "findings": ranked_findings(ranking),
        "stored": False,
        "preview": True,
    }


def keep_findings(session: Session, principal: Principal, settings: Settings, set_id: int,
                  ranking: Ranking, detectors: Sequence[str],
                  configs: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Make the ranked findings the set's latest detection run, or a preview that
    stores nothing (:func:`tocsin.money.rank.detect` makes ``ranking``).

    Used by the web (request or job) and by ``tocsin money detect`` alike, so
    findings made on the command line show in the browser. The run is stored
    and audited as an update of the set only when :func:`may_store_results`;
    otherwise the same run comes back with ``stored: false``.
    """
    item = get_set(session, principal, set_id)
    data = findings_run(ranking, detectors, configs)
    if not may_store_results(principal, item):
        return data
    _hold(session, item, touch=True)
    data.update(stored=True, preview=False)
    audit.record(session, principal, "update", item.record_type, item.id, item.handling,
                 detail=f"detection run stored: {len(ranking.findings)} findings "
                        f"({len(ranking.flagged)} accounts flagged) from "
                        f"{', '.join(detectors) or 'no detector'}")
    session.flush()
    _write_json(set_path(settings, item) / FINDINGS_FILE, data)
    return data


def load_findings(session: Session, principal: Principal, settings: Settings,
                  set_id: int) -> dict[str, Any] | None:
    """The set's latest stored detection run, or None before the first (read rule applies)."""
    item = get_set(session, principal, set_id)
    path = set_path(settings, item) / FINDINGS_FILE
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def stored_finding(session: Session, principal: Principal, settings: Settings, set_id: int,
                   key: str) -> dict[str, Any]:
    """One finding of the set's latest run by its key; :class:`NotFound` otherwise."""
    data = load_findings(session, principal, settings, set_id) or {"findings": []}
    for entry in data["findings"]:
        if entry["id"] == key:
            return dict(entry)
    raise NotFound(f"finding {key} not found; run the detectors again")


def store_job_result(session: Session, principal: Principal, settings: Settings, set_id: int,
                     job_id: str, data: Any) -> str:
    """Keep a job's result in the set's folder; the reference the job row holds.

    The result is the job owner's, not the set's: only the owner (and
    administrators) see it, so storing it needs only the read right on the set.
    It goes when the job is pruned or the set is deleted.
    """
    if not re.fullmatch(r"[0-9a-f]{1,32}", job_id):
        raise ValueError(f"not a job id: {job_id!r}")
    item = get_set(session, principal, set_id)
    _hold(session, item)
    path = set_path(settings, item) / RESULTS_DIR / f"{job_id}.json"
    _write_json(path, data)
    return relative(settings, path)


def load_job_result(settings: Settings, ref: str) -> Any:
    """A stored job result (the caller has checked the job and its set); None if gone."""
    try:
        path = jobs.resolve(settings, ref)
    except ValueError:
        return None
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def model_path(settings: Settings, item: TransactionSet) -> Path:
    """Where a risk model trained on the set is kept (with the set, deleted with it)."""
    return set_path(settings, item) / MODELS_DIR / "model.json"


def model_destination(session: Session, principal: Principal, settings: Settings, set_id: int,
                      output: Path | None = None) -> Path | None:
    """Where a model trained on the set goes: ``output`` (an export, so it needs the
    export right), else with the set if :func:`may_store_results`, else nowhere (None:
    a preview)."""
    item = get_set(session, principal, set_id)
    if output is not None:
        require(principal, Action.EXPORT)
        return Path(output)
    return model_path(settings, item) if may_store_results(principal, item) else None


def record_model(session: Session, principal: Principal, set_id: int, path: Path,
                 exported: bool) -> None:
    """Audit a model written from the set: an export to ``path``, or stored with the set."""
    item = get_set(session, principal, set_id)
    if exported:
        audit.record(session, principal, "export", item.record_type, item.id, item.handling,
                     detail=f"risk model trained on the set written to {Path(path).name}")
    else:
        _hold(session, item, touch=True)
        audit.record(session, principal, "update", item.record_type, item.id, item.handling,
                     detail="risk model trained and stored with the set")


def export_folder(settings: Settings, item: TransactionSet) -> Path:
    """A fresh private folder for one download of the set, inside the set's folder."""
    folder = set_path(settings, item) / EXPORTS_DIR / uuid.uuid4().hex
    folder.mkdir(parents=True)
    return folder


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


# --------------------------------------------------------------------------- listing


@dataclass(frozen=True)
class SetSummary:
    """What ``tocsin money sets`` lists about a set."""

    id: int
    name: str
    format: str
    handling: str
    owner_unit: str
    created_by: str
    transactions: int
    accounts: int
    has_labels: bool
    base_currency: str
    #: Bytes on disk: rows, findings, job results, models, indexes.
    size: int


def disk_usage(path: Path) -> int:
    """Bytes of every file under ``path`` (0 when it does not exist)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
            except OSError:
                continue  # removed while we walked
    return total


def summaries(session: Session, principal: Principal,
              settings: Settings) -> list[SetSummary]:
    """The readable sets with their owners and sizes on disk, newest first."""
    items = list_sets(session, principal)
    units = {row.id: row.code for row in session.execute(select(Unit.id, Unit.code))}
    creators = {i.created_by for i in items if i.created_by is not None}
    names = {row.id: row.username for row in session.execute(
        select(User.id, User.username).where(User.id.in_(creators)))} if creators else {}
    return [SetSummary(
        id=i.id, name=i.name, format=i.format, handling=i.handling,
        owner_unit=units.get(i.owner_unit_id, ""),
        created_by=names.get(i.created_by, "") if i.created_by is not None else "platform",
        transactions=i.transaction_count, accounts=i.account_count, has_labels=i.has_labels,
        base_currency=i.base_currency, size=disk_usage(set_path(settings, i)),
    ) for i in items]


# --------------------------------------------------------------------------- deleting


def delete_set(session: Session, principal: Principal, settings: Settings, item_id: int) -> None:
    """Delete the set (audited) with everything stored for it.

    The row and the set's jobs go in the caller's transaction; the folder
    (rows, findings, job results, exports, models, indexes) and files an
    earlier layout kept elsewhere go once that transaction is committed.
    """
    item = get_set(session, principal, item_id)
    require_write(principal, item.owner_unit_id)
    _hold(session, item)
    targets = [set_path(settings, item), *_legacy_paths(settings, item.storage_key)]
    removed = jobs.delete_for_subject(session, settings, SUBJECT, item.id)
    audit.record(session, principal, "delete", item.record_type, item.id, item.handling,
                 detail=f"{item.name} ({item.transaction_count} transactions, "
                        f"{removed} jobs)")
    session.delete(item)
    session.flush()
    for target in targets:
        _remove_on_commit(session, target)


def _legacy_paths(settings: Settings, key: str) -> list[Path]:
    """Where earlier versions kept a set's findings and default model."""
    return [settings.data_dir / "investigations" / key,
            settings.data_dir / "models" / "money" / f"{key}.pkl",
            settings.data_dir / "models" / "money" / f"{key}.pkl.sig"]


@dataclass(frozen=True)
class Leftover:
    """A file or folder no registered set or job accounts for."""

    path: Path
    kind: str
    reason: str
    size: int


def orphaned_folders(session: Session, settings: Settings,
                     in_use_seconds: float = IN_USE_SECONDS) -> list[Leftover]:
    """Everything stored for sets that nothing accounts for any more, of every kind.

    Set folders without a registered set (e.g. after a crash between the import
    and its commit), unfinished imports, downloads and job results nobody
    refers to, uploads no job will use, and what earlier layouts kept outside
    the set's folder. Temporary files younger than ``in_use_seconds`` are
    skipped: an import or a download may still be writing them.
    """
    keys = set(session.scalars(unguarded_select(
        TransactionSet.storage_key, why="every set's folder is kept, whoever may read it")))
    referenced = jobs.referenced_files(session)
    now = time.time()
    found: list[Leftover] = []

    def add(path: Path, kind: str, reason: str, temporary: bool = False) -> None:
        if temporary and _age(path, now) < in_use_seconds:
            return
        size = disk_usage(path) if path.is_dir() else _size(path)
        found.append(Leftover(path, kind, reason, size))

    root = storage_root(settings)
    for path in sorted(root.iterdir()) if root.is_dir() else []:
        if path.name.startswith("."):
            add(path, "unfinished import", "an import stopped before it finished",
                temporary=True)
        elif path.name not in keys:
            add(path, "set folder", "no registered transaction set has this storage key")
        elif path.is_dir():
            _set_leftovers(settings, path, referenced, add)
    uploads = settings.data_dir / "uploads"
    for path in sorted(uploads.iterdir()) if uploads.is_dir() else []:
        if relative(settings, path) not in referenced:
            add(path, "upload", "no job will import this upload", temporary=True)
    legacy = settings.data_dir / "investigations"
    for path in sorted(legacy.iterdir()) if legacy.is_dir() else []:
        add(path, "findings (old layout)", "findings now live in the set's folder")
    models = settings.data_dir / "models" / "money"
    for path in sorted(models.iterdir()) if models.is_dir() else []:
        key = path.name.split(".", 1)[0]
        if _KEY.match(key):
            add(path, "model (old layout)", "models of registered sets now live in the "
                "set's folder" if key in keys else "no registered set has this storage key")
    old_jobs = settings.data_dir / "jobs"
    if old_jobs.is_dir():
        add(old_jobs, "job files (old layout)", "jobs are kept in the database now")
    return found


def _set_leftovers(settings: Settings, folder: Path, referenced: set[str],
                   add: Callable[..., None]) -> None:
    results = folder / RESULTS_DIR
    for path in sorted(results.iterdir()) if results.is_dir() else []:
        if relative(settings, path) not in referenced:
            add(path, "job result", "no job refers to this result", temporary=True)
    exports = folder / EXPORTS_DIR
    for path in sorted(exports.iterdir()) if exports.is_dir() else []:
        add(path, "download", "a download that was never removed", temporary=True)
    for path in sorted(folder.glob(".index-*")):
        add(path, "index build", "an index build stopped before it finished", temporary=True)


def _age(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except OSError:
        return 0.0


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def remove_leftovers(leftovers: Sequence[Leftover]) -> int:
    """Remove what :func:`orphaned_folders` found; the bytes freed."""
    freed = 0
    for item in leftovers:
        freed += item.size
        if item.path.is_dir():
            shutil.rmtree(item.path, ignore_errors=True)
        else:
            item.path.unlink(missing_ok=True)
    return freed

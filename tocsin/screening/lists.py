"""Lists as versions: import a publisher's file, keep what changed, switch the active version.

An import reads and validates the whole file first (:mod:`.readers`); only then
does it add a new :class:`~tocsin.screening.tables.ListVersion` with all its
entries and the changes against the active version, and make it active, in the
caller's transaction. A file that fails leaves nothing behind and the previous
version active. Lists are public documents: every signed-in user may read them;
importing one needs the right to write records of one's unit.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.principal import Principal
from tocsin.access.roles import ROLE_LABELS, Action
from tocsin.errors import InputError, NotFound, PermissionDenied, Problem
from tocsin.i18n import N_
from tocsin.screening.readers import FORMATS, ListEntity, read_list
from tocsin.screening.tables import EntryChange, ListEntry, ListVersion, ScreeningList

#: Suggested keys and titles of the lists Tocsin reads.
KNOWN = {
    "un": ("un_sc", "UN Security Council consolidated list"),
    "ofac_csv": ("ofac_sdn", "OFAC Specially Designated Nationals"),
    "ofac_xml": ("ofac_sdn", "OFAC Specially Designated Nationals"),
    "eu": ("eu_fsf", "EU consolidated financial sanctions list"),
    "uk": ("uk_sl", "UK Sanctions List"),
    "ofsi": ("uk_ofsi", "OFSI Consolidated List of Financial Sanctions Targets"),
    "ftm": ("ftm", "FollowTheMoney entity file"),
}
_KEY = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,59}$")


@dataclass
class ImportReport:
    """What an import did."""

    list_key: str
    version_id: int
    number: int
    entries: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: bool = False
    #: What the file said that the platform could not hold (the reader's notes).
    notes: list[Problem] = field(default_factory=list)

    def summary(self) -> str:
        return N_("%(list)s version %(number)s: %(entries)s entries, %(added)s added, "
                  "%(removed)s removed, %(changed)s changed", list=self.list_key,
                  number=self.number, entries=self.entries, added=len(self.added),
                  removed=len(self.removed), changed=len(self.changed))


def require_import(principal: Principal) -> None:
    if not principal.can(Action.WRITE_OWN_UNIT):
        raise PermissionDenied(N_("role %(role)s may not import lists",
                                  role=ROLE_LABELS[principal.role]))


def check_key(key: str) -> str:
    key = key.strip().lower()
    if not _KEY.match(key):
        raise InputError.single("list", N_("list key %(key)s: use 1-60 lower-case letters, "
                                           "digits, '-' or '_'", key=repr(key)))
    return key


def _sha256(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name):
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def import_list(session: Session, principal: Principal, fmt: str,
                sources: Sequence[Path | str], *, key: str | None = None,
                title: str | None = None) -> ImportReport:
    """Read ``sources`` and store them as the new active version of list ``key``."""
    require_import(principal)
    if fmt not in FORMATS:
        raise InputError.single("format", N_("unknown list format %(format)s; use one of "
                                             "%(allowed)s", format=repr(fmt),
                                             allowed=", ".join(FORMATS)))
    default_key, default_title = KNOWN[fmt]
    key = check_key(key or default_key)
    paths = [Path(s) for s in sources]
    read = read_list(fmt, paths)  # raises before anything is written
    entries: dict[str, ListEntity] = {}
    for item in read.entities:
        entity_id = str(item.entity.id)
        if entity_id in entries:  # the same listing twice: keep the richer one
            entries[entity_id].entity.merge(item.entity)
            entries[entity_id].related.extend(item.related)
        else:
            entries[entity_id] = item
    listing = session.scalars(select(ScreeningList).where(ScreeningList.key == key)).first()
    if listing is None:
        listing = ScreeningList(key=key, title=(title or default_title)[:200], format=fmt)
        session.add(listing)
        session.flush()
    elif title:
        listing.title = title[:200]
    previous = _entries_of(session, listing.active_version_id)
    number = (session.scalar(select(func.max(ListVersion.number))
                             .where(ListVersion.list_id == listing.id)) or 0) + 1
    version = ListVersion(list_id=listing.id, number=number,
                          source_name=", ".join(p.name for p in paths)[:300],
                          sha256=_sha256(paths), published=(read.published or None),
                          imported_by=principal.username, entry_count=len(entries))
    session.add(version)
    session.flush()
    report = ImportReport(key, version.id, number, len(entries), notes=list(read.notes))
    rows = []
    changes = []
    for entity_id, item in entries.items():
        checksum = item.checksum()
        entity = item.entity_dict()
        rows.append({"version_id": version.id, "entity_id": entity_id[:200],
                     "schema": item.entity.schema.name, "caption": item.caption,
                     "checksum": checksum, "programme": item.programme[:300],
                     "listed_on": (item.listed_on or None), "reference": item.reference[:200],
                     "entity": entity, "related": item.related_dicts()})
        old = previous.get(entity_id)
        if old is None:
            if listing.active_version_id is not None:
                report.added.append(entity_id)
                changes.append(_change(version.id, entity_id, "added", item.caption, []))
        elif old[0] != checksum:
            report.changed.append(entity_id)
            changes.append(_change(version.id, entity_id, "changed", item.caption,
                                   _changed_fields(old[1], entity)))
    for entity_id, (_checksum, _entity, caption) in previous.items():
        if entity_id not in entries:
            report.removed.append(entity_id)
            changes.append(_change(version.id, entity_id, "removed", caption, []))
    for start in range(0, len(rows), 2000):
        session.execute(insert(ListEntry), rows[start:start + 2000])
    for start in range(0, len(changes), 2000):
        session.execute(insert(EntryChange), changes[start:start + 2000])
    version.added, version.removed, version.changed = (len(report.added), len(report.removed),
                                                       len(report.changed))
    report.unchanged = listing.active_version_id is not None and not changes
    listing.active_version_id = version.id
    audit.record(session, principal, "create", "screening_list_version", version.id,
                 detail=report.summary())
    session.flush()
    return report


def _change(version_id: int, entity_id: str, change: str, caption: str,
            fields: list[str]) -> dict[str, Any]:
    return {"version_id": version_id, "entity_id": entity_id[:200], "change": change,
            "caption": caption[:500], "fields": fields}


def _changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    a, b = old.get("properties", {}), new.get("properties", {})
    keys = sorted(set(a) | set(b))
    out = [k for k in keys if sorted(a.get(k, [])) != sorted(b.get(k, []))]
    if old.get("schema") != new.get("schema"):
        out.insert(0, "schema")
    return out or ["sanction"]


def _entries_of(session: Session, version_id: int | None
                ) -> dict[str, tuple[str, dict[str, Any], str]]:
    if version_id is None:
        return {}
    rows = session.execute(select(ListEntry.entity_id, ListEntry.checksum, ListEntry.entity,
                                  ListEntry.caption)
                           .where(ListEntry.version_id == version_id))
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


# --------------------------------------------------------------------------- reading


def all_lists(session: Session) -> list[ScreeningList]:
    return list(session.scalars(select(ScreeningList).order_by(ScreeningList.key)))


def get_list(session: Session, key: str) -> ScreeningList:
    found = session.scalars(select(ScreeningList).where(
        ScreeningList.key == key.strip().lower()[:60])).first()
    if found is None:
        raise NotFound.of('list', key)
    return found


def versions(session: Session, listing: ScreeningList) -> list[ListVersion]:
    return list(session.scalars(select(ListVersion).where(ListVersion.list_id == listing.id)
                                .order_by(ListVersion.number.desc())))


def get_version(session: Session, listing: ScreeningList, number: int) -> ListVersion:
    found = session.scalars(select(ListVersion).where(ListVersion.list_id == listing.id,
                                                      ListVersion.number == number)).first()
    if found is None:
        raise NotFound(f"version {number} of list {listing.key} not found")
    return found


def changes(session: Session, version: ListVersion, limit: int = 1000) -> list[EntryChange]:
    return list(session.scalars(select(EntryChange).where(EntryChange.version_id == version.id)
                                .order_by(EntryChange.change, EntryChange.caption)
                                .limit(limit)))


def entries(session: Session, version_id: int, *, limit: int | None = None,
            entity_ids: Sequence[str] | None = None) -> list[ListEntry]:
    stmt = select(ListEntry).where(ListEntry.version_id == version_id).order_by(ListEntry.id)
    if entity_ids is not None:
        stmt = stmt.where(ListEntry.entity_id.in_(list(entity_ids)))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def list_view(session: Session, listing: ScreeningList) -> dict[str, Any]:
    active = session.get(ListVersion, listing.active_version_id) \
        if listing.active_version_id else None
    return {"key": listing.key, "title": listing.title, "format": listing.format,
            "active_version": active.number if active else None,
            "entries": active.entry_count if active else 0,
            "published": active.published if active else None,
            "imported_at": active.imported_at.isoformat(timespec="seconds") if active else None}


def version_view(version: ListVersion) -> dict[str, Any]:
    return {"number": version.number, "source": version.source_name, "sha256": version.sha256,
            "published": version.published, "imported_by": version.imported_by,
            "imported_at": version.imported_at.isoformat(timespec="seconds"),
            "entries": version.entry_count, "added": version.added,
            "removed": version.removed, "changed": version.changed}

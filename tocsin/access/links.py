"""Links between records under the read rule.

A record often points at another one: a lesson at its activity and its
after-action review, an agreement at its parties, an event at its organizers,
an expert at a partner and at activities, a commitment at the activities that
implement it. Whoever shows or follows such a link loads the target here, so a
user who may not read the target gets exactly what they would get if it did
not exist: no title, no id, no count, no different error message.

* :func:`linked` — one target or ``None`` (the read is audited above GREEN);
* :func:`linked_records` / :func:`linked_ids` — the readable ones of many;
* :func:`visible` — filter records already loaded through a relationship;
* :func:`link_target` — check a link a user asks to write: a missing and an
  unreadable target give the same problem, "no activity 12";
* :func:`as_open_as` — whether text of one record may go into the search
  document of another (see :mod:`tocsin.search.providers`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.policy import may_read, readable, storable_id
from tocsin.access.principal import Principal
from tocsin.access.roles import Role
from tocsin.errors import Problem
from tocsin.i18n import N_, Message

T = TypeVar("T")

#: Ids per ``IN (…)`` query when many links are loaded at once.
_CHUNK = 500


def label(model: Any) -> str:
    """How a message names a record type: ``after action review``."""
    return str(getattr(model, "record_type", model.__name__)).replace("_", " ")


def _missing(model: Any, record_id: object) -> Message:
    """No such record, or none the user may read (the same words for both)."""
    return N_("no %(record)s with id %(id)s", record=Message(label(model)), id=record_id)


def linked(session: Session, model: type[T], record_id: int | None,
           principal: Principal) -> T | None:
    """The linked record if it exists and the principal may read it, else ``None``.

    Reading it is audited like any read above GREEN.
    """
    if record_id is None or not storable_id(record_id):
        return None
    item = session.get(model, record_id)
    if item is None or not may_read(item, principal):
        return None
    audit.record_reads(session, principal, [item])
    return item


def linked_records(session: Session, model: type[T], record_ids: Iterable[int | None],
                   principal: Principal) -> list[T]:
    """The readable records among ``record_ids``, in the order given (reads audited)."""
    wanted = list(dict.fromkeys(i for i in record_ids if i is not None and storable_id(i)))
    found: dict[Any, T] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start:start + _CHUNK]
        for item in session.scalars(readable(model, principal)
                                    .where(model.id.in_(chunk))):  # type: ignore[attr-defined]
            found[item.id] = item  # type: ignore[attr-defined]
    items = [found[i] for i in wanted if i in found]
    audit.record_reads(session, principal, items)
    return items


def linked_ids(session: Session, model: Any, record_ids: Iterable[int | None],
               principal: Principal) -> list[int]:
    """The ids among ``record_ids`` of records the principal may read, in the order given.

    Only ids are returned, so nothing is audited: an id says no more than that
    the reader may know the record exists.
    """
    wanted = list(dict.fromkeys(i for i in record_ids if i is not None and storable_id(i)))
    found: set[int] = set()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start:start + _CHUNK]
        found.update(session.scalars(readable(model, principal)
                                     .with_only_columns(model.id).where(model.id.in_(chunk))))
    return [i for i in wanted if i in found]


def linked_id(session: Session, model: Any, record_id: int | None,
              principal: Principal) -> int | None:
    """``record_id`` if the principal may read that record, else ``None`` (for JSON fields)."""
    found = linked_ids(session, model, [record_id], principal)
    return found[0] if found else None


def visible(session: Session, records: Iterable[T], principal: Principal) -> list[T]:
    """The records the principal may read among some already loaded (reads audited)."""
    items = [r for r in records if may_read(r, principal)]
    audit.record_reads(session, principal, items)
    return items


def link_target(session: Session, model: type[T], record_id: int | None,
                principal: Principal, location: str, problems: list[Problem]) -> T | None:
    """The target of a link a user asks to write, or a problem at ``location``.

    A target that does not exist and one the user may not read give the same
    problem, so a write cannot be used to probe for records.
    """
    if record_id is None:
        return None
    item = session.get(model, record_id) if storable_id(record_id) else None
    if item is None or not may_read(item, principal):
        problems.append(Problem(location, _missing(model, record_id)))
        return None
    return item


def link_targets(session: Session, model: type[T], record_ids: Sequence[int],
                 principal: Principal, location: str, problems: list[Problem]) -> list[T]:
    """:func:`link_target` for many ids; one problem per missing or unreadable id."""
    found = {cast(Any, r).id: r for r in linked_records(session, model, record_ids, principal)}
    for ident in dict.fromkeys(record_ids):
        if ident not in found:
            problems.append(Problem(location, _missing(model, ident)))
    return [found[i] for i in dict.fromkeys(record_ids) if i in found]


def as_open_as(linked_record: Any, record: Any) -> bool:
    """Whether everyone who may read ``record`` may also read ``linked_record``.

    Decided by asking :func:`~tocsin.access.policy.may_read` for every role in
    the record's unit, in the linked record's unit and in any other unit, so it
    follows the read rule wherever that rule changes.
    """
    units = {record.owner_unit_id, linked_record.owner_unit_id, None}
    for role in Role:
        for unit in units:
            reader = Principal(user_id=None, username="", role=role, unit_id=unit)
            if may_read(record, reader) and not may_read(linked_record, reader):
                return False
    return True

"""The one place that decides who may read and write which record.

Read rule by handling code (TLP 2.0), for anyone but an administrator:

=============  ==============================================================
CLEAR, GREEN   every signed-in user
AMBER          every internal role; a partner viewer only within their own unit
AMBER+STRICT   members of the owning unit only
RED            members of the owning unit with the coordinator or analyst role
=============  ==============================================================

Need to know: a record whose model has a ``need_to_know`` column (a case) and
has it set is read, on top of the rule above, only by the members of its team
(``model.team_clause(user_id)`` in SQL, ``record.on_team(user_id)`` in memory)
and by administrators.

Pages, the API, search, exports and reports all call :func:`readable` or
:func:`get_readable`, and every link from one record to another goes through
:mod:`tocsin.access.links`, so a rule changed here changes everywhere.

Code outside :mod:`tocsin.access` never loads a guarded record with a plain
``session.get`` or ``select`` (``tests/access/test_policy_guard.py`` fails when
it does). The few places that must see every record whatever the reader (the
search indexer, uniqueness checks, the demo loaders) say so with
:func:`unguarded_select` or :func:`unguarded_get` and the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true
from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.handling import Handling
from tocsin.access.principal import Principal
from tocsin.access.roles import ACTION_LABELS, ROLE_LABELS, Action, Role
from tocsin.errors import NotFound, PermissionDenied
from tocsin.i18n import N_

T = TypeVar("T")

_OPEN = (Handling.CLEAR.value, Handling.GREEN.value)


def read_clause(model: Any, principal: Principal) -> ColumnElement[bool]:
    """SQL condition selecting the rows of a guarded ``model`` the principal may read."""
    if principal.role is Role.ADMINISTRATOR:
        return true()
    handling, unit = model.handling, model.owner_unit_id
    own = unit == principal.unit_id if principal.unit_id is not None else false()
    internal = principal.role is not Role.PARTNER_VIEWER
    red_roles = principal.role in (Role.COORDINATOR, Role.ANALYST)
    clause = or_(
        handling.in_(_OPEN),
        and_(handling == Handling.AMBER.value, true() if internal else own),
        and_(handling == Handling.AMBER_STRICT.value, own),
        and_(handling == Handling.RED.value, own if red_roles else false()),
    )
    restricted = getattr(model, "need_to_know", None)
    if restricted is None:
        return clause
    return and_(clause, or_(restricted.is_(False), model.team_clause(principal.user_id)))


def may_read(record: Any, principal: Principal) -> bool:
    """The same rule as :func:`read_clause`, for a record already in memory."""
    if principal.role is Role.ADMINISTRATOR:
        return True
    if getattr(record, "need_to_know", False) and not record.on_team(principal.user_id):
        return False
    code = Handling(record.handling)
    own = principal.unit_id is not None and record.owner_unit_id == principal.unit_id
    if code.value in _OPEN:
        return True
    if code is Handling.AMBER:
        return principal.role is not Role.PARTNER_VIEWER or own
    if code is Handling.AMBER_STRICT:
        return own
    return own and principal.role in (Role.COORDINATOR, Role.ANALYST)


def readable(model: type[T], principal: Principal) -> Select[T]:
    """``SELECT`` of the records of ``model`` the principal may read; add filters to it."""
    return select(model).where(read_clause(model, principal))


def readable_rows(model: Any, principal: Principal, *columns: Any) -> Select[Any]:
    """``SELECT`` of ``columns`` (of ``model`` and of tables the caller joins) restricted
    to the rows of the guarded ``model`` the principal may read."""
    return select(*columns).where(read_clause(model, principal))


def unguarded_select(*columns: Any, why: str) -> Select[Any]:
    """A plain ``SELECT`` of guarded records that ignores the read rule, with the reason.

    For the few readers that must see every record whoever asks: the search
    indexer (which stores each record's handling code, applied at query time),
    checks of values unique across units, demo and housekeeping code run by the
    platform itself. Never show what it returns to a user unfiltered.
    """
    _reason(why)
    return select(*columns)


def unguarded_get(session: Session, model: type[T], record_id: object, *, why: str) -> T | None:
    """``session.get`` of a guarded record that ignores the read rule, with the reason
    (see :func:`unguarded_select`)."""
    _reason(why)
    return session.get(model, record_id)


def _reason(why: str) -> None:
    if not why.strip():
        raise ValueError("say why the read rule does not apply here")


def get_readable(session: Session, model: type[T], record_id: object,
                 principal: Principal) -> T:
    """Fetch one record, audit the read if above GREEN, or raise :class:`NotFound`.

    A record the principal may not read is reported as not found, so its
    existence does not leak.
    """
    item = session.get(model, record_id) if storable_id(record_id) else None
    if item is None or not may_read(item, principal):
        raise NotFound.guarded(getattr(model, "record_type", model.__name__), record_id,
                               hidden=item is not None)
    audit.record_reads(session, principal, [item])
    return item


#: Record ids are signed 64-bit integers on every engine.
_ID_RANGE = range(-(2**63), 2**63)


def storable_id(record_id: object) -> bool:
    """Whether ``record_id`` could be a record's id: an id typed into a form or a URL
    beyond the 64-bit range names no record (and must not reach the database driver)."""
    return not isinstance(record_id, int) or record_id in _ID_RANGE


def list_readable(session: Session, stmt: Select[T], principal: Principal,
                  action: str = "read") -> Sequence[T]:
    """Run a statement built from :func:`readable` and audit what it returns."""
    rows = session.scalars(stmt).all()
    audit.record_reads(session, principal, rows, action=action)
    return rows


def may_write(principal: Principal, unit_id: int | None) -> bool:
    if principal.can(Action.WRITE_ANY_UNIT):
        return True
    return (principal.can(Action.WRITE_OWN_UNIT) and unit_id is not None
            and unit_id == principal.unit_id)


def require_write(principal: Principal, unit_id: int | None) -> None:
    if not may_write(principal, unit_id):
        raise PermissionDenied(N_("role %(role)s may not change records of this unit",
                                  role=ROLE_LABELS[principal.role]))


def require(principal: Principal, action: Action) -> None:
    if not principal.can(action):
        raise PermissionDenied(N_("role %(role)s may not %(action)s",
                                  role=ROLE_LABELS[principal.role], action=ACTION_LABELS[action]))

"""Owning units: the one place a unit code is resolved to its id (and back).

Units are rows (``tocsin.access.tables.Unit``) made from the reference structures and
organizations, so every function here takes the session to read them from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tocsin.errors import InputError, Problem, reason_of
from tocsin.i18n import N_
from tocsin.types.base import Choice, ValueType, text_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tocsin.access.tables import Unit

#: Known codes named in an "unknown unit" message, at most.
SHOWN = 20


def _unit_table() -> type[Unit]:
    # late: tocsin.access imports this package, and the tables pull in the store (and
    # SQLAlchemy, which readers of files that never touch the database need not load)
    from tocsin.access.tables import Unit

    return Unit


def unit_ids(session: Session) -> dict[str, int]:
    """``{code: id}`` of every unit, for importers that resolve many rows."""
    from sqlalchemy import select

    unit = _unit_table()
    return {code: ident for code, ident in session.execute(select(unit.code, unit.id))}


def unit_id(session: Session, code: str) -> int:
    """The id of the unit ``code``; :class:`ValueError` naming some known codes when none."""
    from sqlalchemy import select

    unit = _unit_table()
    wanted = text_of(code)
    found = session.scalar(select(unit.id).where(unit.code == wanted))
    if found is None:
        known = ", ".join(session.scalars(select(unit.code).order_by(unit.code).limit(SHOWN)))
        raise ValueError(N_("unknown unit %(code)s (known: %(known)s)", code=repr(wanted),
                            known=known or "-"))
    return int(found)


def unit_code(session: Session, ident: int | None) -> str | None:
    """The code of unit ``ident`` (``None`` for no unit or an id that names none)."""
    if ident is None:
        return None
    from sqlalchemy import select

    unit = _unit_table()
    return session.scalar(select(unit.code).where(unit.id == ident))


def unit_choices(session: Session) -> list[Choice]:
    """Every unit as ``code — name``: the organization's own structures first, then partners."""
    from sqlalchemy import select

    unit = _unit_table()
    rows = session.execute(select(unit.code, unit.name).order_by(unit.kind.desc(), unit.name))
    return [Choice(code, f"{code} — {name}") for code, name in rows]


class UnitType(ValueType[str]):
    """A unit code; :meth:`resolve` and :meth:`check_id` turn it into the unit's id."""

    name = "unit"

    def clean(self, raw: object) -> str:
        text = text_of(raw)
        if not text:
            raise ValueError(N_("no unit given"))
        return text

    def resolve(self, session: Session, raw: object) -> int:
        return unit_id(session, self.clean(raw))

    def require_id(self, session: Session, raw: object, location: str) -> int:
        """The unit's id, or :class:`~tocsin.errors.InputError` naming ``location``."""
        try:
            return self.resolve(session, raw)
        except ValueError as exc:
            raise InputError.single(location, str(exc)) from None

    def check_id(self, session: Session, raw: object, location: str,
                 problems: list[Problem]) -> int | None:
        """The unit's id, or ``None`` with a problem naming ``location`` added to the list."""
        try:
            return self.resolve(session, raw)
        except ValueError as exc:
            problems.append(Problem(location, reason_of(exc)))
            return None

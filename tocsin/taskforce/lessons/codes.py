"""Checking codes against the reference tables and units (shared by the co-operation topics)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin import types
from tocsin.access.handling import Handling
from tocsin.access.links import link_target
from tocsin.access.principal import Principal
from tocsin.access.tables import Unit
from tocsin.errors import InputError, NotFound, Problem, reason_of
from tocsin.i18n import N_
from tocsin.reference.tables import RefCountry, RefCrimeArea, RefStage
from tocsin.taskforce.programmes.tables import Activity
from tocsin.types.base import is_digits
from tocsin.types.names import Name

KINDS: dict[str, Any] = {"crime area": RefCrimeArea, "stage": RefStage, "country": RefCountry}
KIND_LABELS = {"crime area": N_("crime area"), "stage": N_("stage"), "country": N_("country")}


def unknown_codes(session: Session, kind: str, codes: Iterable[str],
                  location: str) -> list[Problem]:
    """A problem for every code of ``kind`` (crime area, stage, country) not in the framework."""
    model = KINDS[kind]
    wanted = set(codes)
    if not wanted:
        return []
    known = set(session.scalars(select(model.code).where(model.code.in_(wanted))))
    return [Problem(location, N_("unknown %(what)s %(code)s", what=KIND_LABELS[kind],
                                 code=repr(code))) for code in sorted(wanted - known)]


def check_handling(value: str, location: str) -> tuple[str, list[Problem]]:
    try:
        return Handling.parse(value).value, []
    except ValueError as exc:
        return value, [Problem(location, reason_of(exc))]


def unit_id(session: Session, code: str | None, principal: Principal, location: str,
            problems: list[Problem]) -> int | None:
    """The id of the unit ``code`` (the principal's own unit when empty)."""
    if not code:
        if principal.unit_id is None:
            problems.append(Problem(location, N_("give the owning unit")))
        return principal.unit_id
    return types.unit.check_id(session, code, location, problems)


def unit_code(session: Session, unit_id: int) -> str:
    found = types.units.unit_code(session, unit_id)
    if found is None:
        raise LookupError(N_("no unit with id %(id)s", id=unit_id))
    return found


def check_activity(session: Session, principal: Principal, activity_id: int | None,
                   location: str, problems: list[Problem]) -> None:
    """A problem when the activity does not exist or the principal may not read it
    (the same problem in both cases, so a link cannot probe for records)."""
    link_target(session, Activity, activity_id, principal, location, problems)


def parse_date(value: str | date | None, location: str, problems: list[Problem]) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        problems.append(Problem(location, N_("%(value)s is not a date (YYYY-MM-DD)",
                                             value=repr(value))))
        return None


def names(session: Session, kind: str, codes: Sequence[str]) -> dict[str, str]:
    """Display names of reference codes (the code itself when unknown)."""
    model = KINDS[kind]
    stmt = select(model.code, model.name).where(model.code.in_(codes))
    found = {str(code): str(name) for code, name in session.execute(stmt)}
    return {code: found.get(code, code) for code in codes}


def require_found(item: object, what: str, ident: object) -> None:
    if item is None:
        raise NotFound(f"{what} {ident} not found")


def choices(session: Session) -> dict[str, Any]:
    """Options for the forms of the co-operation pages: codes with their names."""
    from tocsin.access.handling import HANDLING_CODES

    def pairs(model: Any, order: Any, named: bool = False) -> list[tuple[str, str]]:
        rows = session.execute(select(model.code, model.name).where(model.retired.is_(False))
                               .order_by(order))
        # crime areas and stages: named in the page's language (the reference data's names)
        return [(str(code), Name(str(code), str(name)) if named else str(name))
                for code, name in rows]

    return {
        "crime_areas": pairs(RefCrimeArea, RefCrimeArea.position, named=True),
        "stages": pairs(RefStage, RefStage.position, named=True),
        "countries": pairs(RefCountry, RefCountry.name),
        "units": [(str(c), str(n)) for c, n in session.execute(
            select(Unit.code, Unit.name).order_by(Unit.kind.desc(), Unit.name))],
        "handling": list(HANDLING_CODES),
    }


def day(value: str | None, location: str) -> date | None:
    """A date typed into a form (YYYY-MM-DD), or an :class:`InputError` naming the field."""
    problems: list[Problem] = []
    found = parse_date(value, location, problems)
    if problems:
        raise InputError(problems)
    return found


def days(**fields: tuple[str | None, bool]) -> dict[str, date | None]:
    """Dates typed into a form, all checked at once: ``location=(value, required)``.

    Raises one :class:`InputError` naming every field that is missing or not a date.
    """
    problems: list[Problem] = []
    found: dict[str, date | None] = {}
    for location, (value, required) in fields.items():
        found[location] = parse_date(value, location, problems)
        if required and found[location] is None and not (value or "").strip():
            problems.append(Problem(location, N_("give a date (YYYY-MM-DD)")))
    if problems:
        raise InputError(problems)
    return found


def record_ids(text: str, location: str) -> list[int]:
    """Record ids typed into a form field, separated by commas (none when empty)."""
    tokens = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in tokens if not is_digits(t)]
    if bad:
        shown = ", ".join(repr(t[:40]) for t in bad[:5])
        raise InputError.single(location, N_("not a record id: %(value)s", value=shown))
    return [int(t) for t in tokens]


def record_id(text: str, location: str) -> int | None:
    """One record id typed into a form field, or ``None`` when the field is empty."""
    found = record_ids(text, location)
    if len(found) > 1:
        raise InputError.single(location, N_("give one id"))
    return found[0] if found else None


def required_day(value: str | None, location: str) -> date:
    """A date the form must have, or an :class:`InputError` naming the field."""
    found = days(**{location: (value, True)})[location]
    if found is None:  # days() has raised already; this keeps the type exact
        raise InputError.single(location, N_("give a date (YYYY-MM-DD)"))
    return found

"""The expert roster: add experts, their availability and assignments; read them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.orm import Session

from tocsin import types
from tocsin.access import audit
from tocsin.access.links import linked_ids, linked_records
from tocsin.access.policy import get_readable, list_readable, readable, require_write
from tocsin.access.principal import Principal
from tocsin.errors import InputError, Problem
from tocsin.i18n import N_
from tocsin.taskforce.experts.spec import AssignmentSpec, ExpertSpec, PeriodSpec
from tocsin.taskforce.experts.tables import (
    LEVELS,
    Assignment,
    Availability,
    Expert,
    Expertise,
    ExpertLanguage,
)
from tocsin.taskforce.lessons import codes
from tocsin.taskforce.partners.records import resolve_partner
from tocsin.taskforce.partners.tables import Partner
from tocsin.taskforce.programmes.tables import Activity


def check_languages(values: Sequence[str], at: str) -> tuple[list[str], list[Problem]]:
    """The languages as stored codes (``fra`` becomes ``fr``), each bad one a problem."""
    bad: list[Problem] = []
    cleaned = [types.language.check(v, at, bad) for v in values if v.strip()]
    return list(dict.fromkeys(c for c in cleaned if c is not None)), bad


def _check_period(period: PeriodSpec, at: str) -> list[Problem]:
    if period.ends_on < period.starts_on:
        return [Problem(at, N_("ends before it starts"))]
    return []


def create_expert(session: Session, principal: Principal, spec: ExpertSpec) -> Expert:
    """Add an expert; every field is checked before anything is written."""
    problems: list[Problem] = []
    if not spec.name:
        problems.append(Problem("expert.name", N_("give the expert's name")))
    if spec.email and "@" not in spec.email:
        problems.append(Problem("expert.email", N_("%(value)s is not an e-mail address",
                                                   value=repr(spec.email))))
    partner = (resolve_partner(session, principal, spec.partner, "expert.partner", problems)
               if spec.partner else None)
    for i, item in enumerate(spec.expertise):
        at = f"expert.expertise[{i}]"
        if not (item.crime_area or item.stage):
            problems.append(Problem(at, N_("name a crime area, a stage or both")))
        if item.level not in LEVELS:
            problems.append(Problem(f"{at}.level", N_("%(value)s is not one of %(known)s",
                                                      value=repr(item.level),
                                                      known=", ".join(LEVELS))))
        problems += codes.unknown_codes(session, "crime area",
                                        [item.crime_area] if item.crime_area else [], at)
        problems += codes.unknown_codes(session, "stage", [item.stage] if item.stage else [], at)
    languages, bad = check_languages(spec.languages, "expert.languages")
    problems += bad
    for i, period in enumerate(spec.availability):
        problems += _check_period(period, f"expert.availability[{i}]")
    handling, bad = codes.check_handling(spec.handling, "expert.handling")
    problems += bad
    owner = codes.unit_id(session, spec.owner_unit, principal, "expert.owner_unit", problems)
    if problems or owner is None:  # unit_id() names the problem when it finds no unit
        raise InputError(problems)
    require_write(principal, owner)
    expert = Expert(
        name=spec.name, organization=spec.organization, partner_id=partner, email=spec.email,
        phone=spec.phone, notes=spec.notes, handling=handling, owner_unit_id=owner,
        expertise=[Expertise(crime_area_code=e.crime_area or None, stage_code=e.stage or None,
                             level=LEVELS.index(e.level) + 1) for e in spec.expertise],
        languages=[ExpertLanguage(language=lang) for lang in languages],
        availability=[Availability(starts_on=p.starts_on, ends_on=p.ends_on)
                      for p in spec.availability])
    session.add(expert)
    session.flush()
    audit.record(session, principal, "create", expert.record_type, expert.id, handling)
    return expert


def get_expert(session: Session, principal: Principal, expert_id: int) -> Expert:
    return get_readable(session, Expert, expert_id, principal)


@dataclass(frozen=True)
class ExpertLinks:
    """The partner and assigned activities of an expert that the reader may see."""

    partner: Partner | None
    #: The expert's assignments to activities the reader may read, with the activity.
    assignments: list[tuple[Assignment, Activity]]


def expert_links(session: Session, principal: Principal,
                 experts: Sequence[Expert]) -> dict[int, ExpertLinks]:
    """What each expert links to, loaded once for all; hidden records are left out."""
    partners = {p.id: p for p in linked_records(
        session, Partner, [x.partner_id for x in experts], principal)}
    activities = {a.id: a for a in linked_records(
        session, Activity, [a.activity_id for x in experts for a in x.assignments], principal)}
    return {x.id: ExpertLinks(
        partner=partners.get(x.partner_id) if x.partner_id is not None else None,
        assignments=[(a, activities[a.activity_id]) for a in x.assignments
                     if a.activity_id in activities]) for x in experts}


def list_experts(session: Session, principal: Principal,
                 query: str | None = None) -> Sequence[Expert]:
    stmt = readable(Expert, principal).order_by(Expert.name)
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(func.lower(Expert.name).like(like)
                          | func.lower(Expert.organization).like(like))
    return list_readable(session, stmt, principal)


def add_availability(session: Session, principal: Principal, expert_id: int,
                     period: PeriodSpec) -> Availability:
    expert = get_expert(session, principal, expert_id)
    require_write(principal, expert.owner_unit_id)
    problems = _check_period(period, "availability")
    if problems:
        raise InputError(problems)
    item = Availability(starts_on=period.starts_on, ends_on=period.ends_on)
    expert.availability.append(item)
    session.flush()
    audit.record(session, principal, "update", expert.record_type, expert.id, expert.handling,
                 detail="availability added")
    return item


def assign(session: Session, principal: Principal, expert_id: int,
           spec: AssignmentSpec) -> Assignment:
    """Assign an expert to an activity; refuses a period that clashes with another assignment."""
    expert = get_expert(session, principal, expert_id)
    activity = get_readable(session, Activity, spec.activity_id, principal)
    require_write(principal, expert.owner_unit_id)
    problems = _check_period(PeriodSpec(starts_on=spec.starts_on, ends_on=spec.ends_on),
                             "assignment")
    clashes = [other for other in expert.assignments
               if other.starts_on <= spec.ends_on and spec.starts_on <= other.ends_on]
    seen = set(linked_ids(session, Activity, [c.activity_id for c in clashes], principal))
    for other in clashes:  # an assignment to a hidden activity is not described
        problems.append(Problem("assignment", N_(
            "overlaps assignment %(id)s to activity %(activity)s (%(start)s to %(end)s)",
            id=other.id, activity=other.activity_id, start=other.starts_on, end=other.ends_on)
            if other.activity_id in seen else N_(
            "overlaps another assignment (%(start)s to %(end)s)", start=other.starts_on,
            end=other.ends_on)))
    if problems:
        raise InputError(problems)
    item = Assignment(activity_id=activity.id, role=spec.role, starts_on=spec.starts_on,
                      ends_on=spec.ends_on)
    expert.assignments.append(item)
    session.flush()
    audit.record(session, principal, "update", expert.record_type, expert.id, expert.handling,
                 detail=f"assigned to activity {activity.id}")
    return item

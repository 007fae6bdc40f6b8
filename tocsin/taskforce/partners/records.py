"""Partners, focal points and agreements: create, list, read, and expiry warnings.

Reference organizations and structures get their partner row from
:func:`sync_reference_partners` (handling CLEAR, owned by their own unit), so
they appear without anyone typing them in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.links import link_target, linked_id, linked_records
from tocsin.access.policy import (
    get_readable,
    list_readable,
    readable,
    require_write,
    unguarded_select,
)
from tocsin.access.principal import Principal
from tocsin.errors import InputError, Problem
from tocsin.i18n import N_
from tocsin.reference.tables import RefOrganization, RefStructure
from tocsin.taskforce.events.tables import Event
from tocsin.taskforce.lessons import codes
from tocsin.taskforce.partners.spec import AgreementSpec, FocalPointSpec, PartnerSpec
from tocsin.taskforce.partners.tables import (
    AGREEMENT_KINDS,
    AGREEMENT_STATUSES,
    PARTNER_KINDS,
    Agreement,
    AgreementActivity,
    AgreementCrimeArea,
    AgreementEvent,
    AgreementParty,
    AgreementStage,
    FocalPoint,
    Partner,
)
from tocsin.taskforce.programmes.tables import Activity
from tocsin.types.base import is_digits
from tocsin.types.units import unit_ids

#: Days ahead an agreement's expiry is announced when no other value is given.
DEFAULT_EXPIRY_WARNING_DAYS = 90


def sync_reference_partners(session: Session) -> int:
    """Give every reference organization and structure a partner row; returns how many new."""
    units = unit_ids(session)
    why = "reference partners are made once for the whole platform"
    have_org = set(session.scalars(unguarded_select(Partner.ref_organization_code, why=why)
                                   .where(Partner.ref_organization_code.is_not(None))))
    have_structure = set(session.scalars(unguarded_select(Partner.ref_structure_code, why=why)
                                         .where(Partner.ref_structure_code.is_not(None))))
    added = 0
    for org in session.scalars(select(RefOrganization).where(RefOrganization.retired.is_(False))):
        if org.code not in have_org and org.code in units:
            session.add(Partner(name=org.name, acronym=org.acronym,
                                kind="international_organization", description=org.description,
                                ref_organization_code=org.code, handling="CLEAR",
                                owner_unit_id=units[org.code]))
            added += 1
    for item in session.scalars(select(RefStructure).where(RefStructure.retired.is_(False))):
        if item.code not in have_structure and item.code in units:
            session.add(Partner(name=item.name, acronym=item.acronym, kind="structure",
                                description=item.description, ref_structure_code=item.code,
                                handling="CLEAR", owner_unit_id=units[item.code]))
            added += 1
    if added:
        session.flush()
    return added


def create_partner(session: Session, principal: Principal, spec: PartnerSpec) -> Partner:
    problems: list[Problem] = []
    if not spec.name:
        problems.append(Problem("partner.name", N_("give the organization's name")))
    if spec.kind not in PARTNER_KINDS:
        problems.append(Problem("partner.kind", N_("%(value)s is not one of %(known)s",
                                                   value=repr(spec.kind),
                                                   known=", ".join(PARTNER_KINDS))))
    if spec.country:
        problems += codes.unknown_codes(session, "country", [spec.country], "partner.country")
    handling, bad = codes.check_handling(spec.handling, "partner.handling")
    problems += bad
    owner = codes.unit_id(session, spec.owner_unit, principal, "partner.owner_unit", problems)
    # Only partners the user can see count: a hidden one of the same name stays hidden.
    if spec.name and session.scalar(readable(Partner, principal).with_only_columns(Partner.id)
                                    .where(func.lower(Partner.name) == spec.name.lower())
                                    .limit(1)) is not None:
        problems.append(Problem("partner.name", N_("a partner named %(name)s exists already",
                                                   name=repr(spec.name))))
    if problems or owner is None:  # unit_id() names the problem when it finds no unit
        raise InputError(problems)
    require_write(principal, owner)
    partner = Partner(name=spec.name, acronym=spec.acronym, kind=spec.kind,
                      country_code=spec.country or None, description=spec.description,
                      handling=handling, owner_unit_id=owner)
    session.add(partner)
    session.flush()
    audit.record(session, principal, "create", partner.record_type, partner.id, partner.handling)
    return partner


def get_partner(session: Session, principal: Principal, partner_id: int) -> Partner:
    return get_readable(session, Partner, partner_id, principal)


def list_partners(session: Session, principal: Principal, *, kind: str | None = None,
                  query: str | None = None) -> Sequence[Partner]:
    """Partners the principal may read (reference ones included), by kind then name."""
    sync_reference_partners(session)
    stmt = readable(Partner, principal).order_by(Partner.kind, Partner.name)
    if kind:
        stmt = stmt.where(Partner.kind == kind)
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(or_(func.lower(Partner.name).like(like),
                              func.lower(Partner.acronym).like(like)))
    return list_readable(session, stmt, principal)


def resolve_partner(session: Session, principal: Principal, key: str | int, location: str,
                    problems: list[Problem]) -> int | None:
    """The id of a partner the principal may read, from an id or a reference code
    (``unodc``, ``tntd``); a hidden partner is reported like a missing one."""
    text = str(key).strip()
    if is_digits(text):
        found = link_target(session, Partner, int(text), principal, location, problems)
        return found.id if found else None
    sync_reference_partners(session)
    found_id = session.scalar(readable(Partner, principal).with_only_columns(Partner.id)
                              .where(or_(Partner.ref_organization_code == text,
                                         Partner.ref_structure_code == text)))
    if found_id is None:
        problems.append(Problem(location, N_("no partner with code %(code)s", code=repr(text))))
    return found_id


def add_focal_point(session: Session, principal: Principal, partner_id: int,
                    spec: FocalPointSpec) -> FocalPoint:
    partner = get_partner(session, principal, partner_id)
    # focal points of a reference partner are kept by whoever works with it
    require_write(principal, principal.unit_id if partner.reference_code
                  else partner.owner_unit_id)
    problems = []
    if not spec.name:
        problems.append(Problem("focal_point.name", N_("give the person's name")))
    if spec.email and "@" not in spec.email:
        problems.append(Problem("focal_point.email", N_("%(value)s is not an e-mail address",
                                                        value=repr(spec.email))))
    if problems:
        raise InputError(problems)
    point = FocalPoint(partner_id=partner.id, name=spec.name, role=spec.role,
                       email=spec.email, phone=spec.phone)
    partner.focal_points.append(point)
    session.flush()
    audit.record(session, principal, "update", partner.record_type, partner.id,
                 partner.handling, detail=f"focal point {spec.name}")
    return point


def create_agreement(session: Session, principal: Principal, spec: AgreementSpec) -> Agreement:
    """Record an agreement; every field is checked before anything is written."""
    problems: list[Problem] = []
    if not spec.title:
        problems.append(Problem("agreement.title", N_("give a title")))
    if spec.kind not in AGREEMENT_KINDS:
        problems.append(Problem("agreement.kind", N_("%(value)s is not one of %(known)s",
                                                     value=repr(spec.kind),
                                                     known=", ".join(AGREEMENT_KINDS))))
    if spec.status not in AGREEMENT_STATUSES:
        problems.append(Problem("agreement.status", N_("%(value)s is not one of %(known)s",
                                                       value=repr(spec.status),
                                                       known=", ".join(AGREEMENT_STATUSES))))
    start = spec.valid_from or spec.signed_on
    if start and spec.expires_on and spec.expires_on < start:
        problems.append(Problem("agreement.expires_on", N_("expires before it is valid")))
    if len(set(spec.parties)) < 2:
        problems.append(Problem("agreement.parties", N_("an agreement needs at least two parties")))
    parties = [resolve_partner(session, principal, p, f"agreement.parties[{i}]", problems)
               for i, p in enumerate(dict.fromkeys(spec.parties))]
    problems += codes.unknown_codes(session, "crime area", spec.crime_areas,
                                    "agreement.crime_areas")
    problems += codes.unknown_codes(session, "stage", spec.stages, "agreement.stages")
    for i, activity_id in enumerate(spec.activity_ids):
        codes.check_activity(session, principal, activity_id,
                             f"agreement.activity_ids[{i}]", problems)
    for i, event_id in enumerate(spec.event_ids):
        link_target(session, Event, event_id, principal, f"agreement.event_ids[{i}]", problems)
    handling, bad = codes.check_handling(spec.handling, "agreement.handling")
    problems += bad
    owner = codes.unit_id(session, spec.owner_unit, principal, "agreement.owner_unit", problems)
    if problems or owner is None:  # unit_id() names the problem when it finds no unit
        raise InputError(problems)
    require_write(principal, owner)
    agreement = Agreement(
        title=spec.title, kind=spec.kind, status=spec.status, signed_on=spec.signed_on,
        valid_from=spec.valid_from, expires_on=spec.expires_on, scope=spec.scope,
        handling=handling, owner_unit_id=owner,
        parties=[AgreementParty(partner_id=p) for p in parties if p is not None],
        crime_area_links=[AgreementCrimeArea(crime_area_code=c)
                          for c in dict.fromkeys(spec.crime_areas)],
        stage_links=[AgreementStage(stage_code=c) for c in dict.fromkeys(spec.stages)],
        activity_links=[AgreementActivity(activity_id=a) for a in dict.fromkeys(spec.activity_ids)],
        event_links=[AgreementEvent(event_id=e) for e in dict.fromkeys(spec.event_ids)])
    session.add(agreement)
    session.flush()
    audit.record(session, principal, "create", agreement.record_type, agreement.id, handling)
    return agreement


def get_agreement(session: Session, principal: Principal, agreement_id: int) -> Agreement:
    return get_readable(session, Agreement, agreement_id, principal)


def list_agreements(session: Session, principal: Principal, *, partner_id: int | None = None,
                    status: str | None = None) -> Sequence[Agreement]:
    """Readable agreements, soonest expiry first; with ``partner_id`` those it is party to
    (none for a partner the principal may not read, as for one that does not exist)."""
    if partner_id is not None and linked_id(session, Partner, partner_id, principal) is None:
        return []
    stmt = readable(Agreement, principal).order_by(Agreement.expires_on, Agreement.id)
    if partner_id is not None:
        stmt = stmt.where(Agreement.parties.any(AgreementParty.partner_id == partner_id))
    if status:
        stmt = stmt.where(Agreement.status == status)
    return list_readable(session, stmt, principal)


@dataclass(frozen=True)
class AgreementLinks:
    """The parties, joint activities and events of an agreement that the reader may see."""

    parties: list[Partner]
    activities: list[Activity]
    events: list[Event]


def agreement_links(session: Session, principal: Principal,
                    agreements: Sequence[Agreement]) -> dict[int, AgreementLinks]:
    """What each agreement links to, loaded once for all of them; a party, activity or
    event the principal may not read is left out as if it were not linked."""
    partners = {p.id: p for p in linked_records(
        session, Partner, [x.partner_id for a in agreements for x in a.parties], principal)}
    activities = {x.id: x for x in linked_records(
        session, Activity, [x.activity_id for a in agreements for x in a.activity_links],
        principal)}
    events = {e.id: e for e in linked_records(
        session, Event, [x.event_id for a in agreements for x in a.event_links], principal)}
    return {a.id: AgreementLinks(
        parties=[partners[x.partner_id] for x in a.parties if x.partner_id in partners],
        activities=[activities[x.activity_id] for x in a.activity_links
                    if x.activity_id in activities],
        events=[events[x.event_id] for x in a.event_links if x.event_id in events])
        for a in agreements}


@dataclass(frozen=True)
class Expiring:
    agreement: Agreement
    #: Days until expiry; negative when it lapsed but is still recorded as in force.
    days_left: int


def expiring_agreements(session: Session, principal: Principal,
                        within_days: int = DEFAULT_EXPIRY_WARNING_DAYS,
                        today: date | None = None) -> list[Expiring]:
    """Agreements in force that expire within ``within_days`` (or already lapsed), soonest first."""
    if within_days < 0:
        raise InputError.single("within_days", N_("give zero or more days"))
    today = today or date.today()
    stmt = (readable(Agreement, principal)
            .where(Agreement.status == "in_force", Agreement.expires_on.is_not(None),
                   Agreement.expires_on <= today + timedelta(days=within_days))
            .order_by(Agreement.expires_on, Agreement.id))
    return [Expiring(a, (a.expires_on - today).days)  # type: ignore[operator]
            for a in list_readable(session, stmt, principal)]

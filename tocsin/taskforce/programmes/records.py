"""Create, read, update and delete programmes, projects and activities.

Every function takes the session and the acting principal: reads go through
:mod:`tocsin.access.policy`, writes check ``require_write`` and add their audit
entry in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from tocsin import trash
from tocsin.access import audit
from tocsin.access.handling import Handling
from tocsin.access.links import linked, linked_id
from tocsin.access.policy import (
    get_readable,
    list_readable,
    may_read,
    readable,
    require_write,
    unguarded_select,
)
from tocsin.access.principal import Principal
from tocsin.errors import InputError, NotFound, Problem
from tocsin.i18n import N_
from tocsin.taskforce.programmes.check import Issue, check_activity, check_hierarchy
from tocsin.taskforce.programmes.spec import (
    ActivitySpec,
    DocumentSpec,
    FinanceSpec,
    IndicatorSpec,
    ParticipantSpec,
    PeriodSpec,
    RegionSpec,
    ResultSpec,
    ShareSpec,
)
from tocsin.taskforce.programmes.tables import (
    Activity,
    ActivityCountry,
    ActivityCrimeArea,
    ActivityRegion,
    ActivityStage,
    Document,
    Finance,
    Indicator,
    IndicatorPeriod,
    Participant,
    Result,
)
from tocsin.taskforce.programmes.vocabulary import Vocabulary

#: Loader options that fetch everything an activity's page or export shows.
FULL = (
    selectinload(Activity.finance),
    selectinload(Activity.countries),
    selectinload(Activity.regions),
    selectinload(Activity.crime_areas),
    selectinload(Activity.stages),
    selectinload(Activity.participants),
    selectinload(Activity.results).selectinload(Result.indicators)
    .selectinload(Indicator.periods),
    selectinload(Activity.documents),
)


def problems_from(issues: Iterable[Issue], where: Callable[[str], str]) -> list[Problem]:
    return [Problem(where(i.field), i.reason) for i in issues]


def _at(identifier: str) -> Callable[[str], str]:
    return lambda field: f"activity {identifier!r}: {field}"


# --- conversion between rows and specs --------------------------------------------------


def fill(activity: Activity, spec: ActivitySpec) -> None:
    """Copy every field of ``spec`` onto ``activity``, replacing its dependent rows."""
    activity.identifier = spec.identifier
    activity.level = spec.level
    activity.title = spec.title
    activity.description = spec.description
    activity.implementing_structure = spec.implementing_structure
    activity.status = spec.status
    activity.planned_start = spec.planned_start
    activity.actual_start = spec.actual_start
    activity.planned_end = spec.planned_end
    activity.actual_end = spec.actual_end
    activity.reporting_org_ref = spec.reporting_org_ref
    activity.reporting_org_name = spec.reporting_org_name
    activity.reporting_org_type = spec.reporting_org_type
    activity.is_external = spec.is_external
    activity.language = spec.language
    activity.default_currency = spec.default_currency
    activity.finance = [
        Finance(year=f.year, kind=f.kind, amount=f.amount, currency=f.currency)
        for f in spec.finance
    ]
    activity.countries = [
        ActivityCountry(country_code=s.code, percentage=s.percentage, position=i)
        for i, s in enumerate(spec.countries)
    ]
    activity.regions = [
        ActivityRegion(vocabulary=s.vocabulary, code=s.code, percentage=s.percentage, position=i)
        for i, s in enumerate(spec.regions)
    ]
    activity.crime_areas = [
        ActivityCrimeArea(crime_area_code=s.code, percentage=s.percentage, position=i)
        for i, s in enumerate(spec.crime_areas)
    ]
    activity.stages = [
        ActivityStage(stage_code=s.code, percentage=s.percentage, position=i)
        for i, s in enumerate(spec.stages)
    ]
    activity.participants = [
        Participant(position=i, role=p.role, organization_code=p.organization_code,
                    name=p.name, org_ref=p.org_ref, org_type=p.org_type)
        for i, p in enumerate(spec.participants)
    ]
    activity.results = [
        Result(
            position=i, type=r.type, title=r.title, description=r.description,
            aggregation_status=r.aggregation_status,
            indicators=[
                Indicator(
                    position=j, measure=ind.measure, ascending=ind.ascending,
                    title=ind.title, description=ind.description,
                    baseline_year=ind.baseline_year, baseline_value=ind.baseline_value,
                    periods=[
                        IndicatorPeriod(position=k, period_start=p.start, period_end=p.end,
                                        target_value=p.target, actual_value=p.actual)
                        for k, p in enumerate(ind.periods)
                    ],
                )
                for j, ind in enumerate(r.indicators)
            ],
        )
        for i, r in enumerate(spec.results)
    ]
    # Documents keep their ids (assessments cite them): update in place by position.
    old = list(activity.documents)
    documents = []
    for i, d in enumerate(spec.documents):
        row = old[i] if i < len(old) else Document()
        row.position, row.title, row.url = i, d.title, d.url
        row.stored_path, row.original_name = d.stored_path, d.original_name
        row.mime_type, row.category = d.mime_type, d.category
        row.language, row.document_date = d.language, d.document_date
        documents.append(row)
    activity.documents = documents


def to_spec(activity: Activity, parent_identifier: str | None = None,
            unit_codes: Mapping[int, str] | None = None) -> ActivitySpec:
    """The activity as plain data (``unit_codes`` maps unit ids to codes for ``owner_unit``)."""
    return ActivitySpec(
        identifier=activity.identifier,
        level=activity.level,
        title=activity.title,
        description=activity.description,
        parent_identifier=parent_identifier,
        implementing_structure=activity.implementing_structure,
        status=activity.status,
        planned_start=activity.planned_start,
        actual_start=activity.actual_start,
        planned_end=activity.planned_end,
        actual_end=activity.actual_end,
        reporting_org_ref=activity.reporting_org_ref,
        reporting_org_name=activity.reporting_org_name,
        reporting_org_type=activity.reporting_org_type,
        is_external=activity.is_external,
        language=activity.language,
        default_currency=activity.default_currency,
        participants=[
            ParticipantSpec(role=p.role, organization_code=p.organization_code, name=p.name,
                            org_ref=p.org_ref, org_type=p.org_type)
            for p in activity.participants
        ],
        countries=[ShareSpec(code=c.country_code, percentage=c.percentage)
                   for c in activity.countries],
        regions=[RegionSpec(code=r.code, vocabulary=r.vocabulary, percentage=r.percentage)
                 for r in activity.regions],
        crime_areas=[ShareSpec(code=c.crime_area_code, percentage=c.percentage)
                     for c in activity.crime_areas],
        stages=[ShareSpec(code=s.stage_code, percentage=s.percentage) for s in activity.stages],
        finance=[FinanceSpec(year=f.year, kind=f.kind, amount=f.amount,
                             currency=f.currency) for f in activity.finance],
        results=[
            ResultSpec(
                type=r.type, title=r.title, description=r.description,
                aggregation_status=r.aggregation_status,
                indicators=[
                    IndicatorSpec(
                        title=i.title, description=i.description, measure=i.measure,
                        ascending=i.ascending, baseline_year=i.baseline_year,
                        baseline_value=i.baseline_value,
                        periods=[PeriodSpec(start=p.period_start, end=p.period_end,
                                            target=p.target_value, actual=p.actual_value)
                                 for p in i.periods],
                    )
                    for i in r.indicators
                ],
            )
            for r in activity.results
        ],
        documents=[
            DocumentSpec(title=d.title, url=d.url, stored_path=d.stored_path,
                         original_name=d.original_name, mime_type=d.mime_type,
                         category=d.category, language=d.language,
                         document_date=d.document_date)
            for d in activity.documents
        ],
        handling=activity.handling,
        owner_unit=(unit_codes or {}).get(activity.owner_unit_id),
    )


#: Why an identifier check looks past the read rule: IATI identifiers are unique
#: across units, so a clash must be reported whoever owns the other record.
UNIQUE_IDENTIFIERS = "activity identifiers are unique across units"


# --- reads ------------------------------------------------------------------------------


def get_activity(session: Session, principal: Principal, activity_id: int) -> Activity:
    """One activity the principal may read, or :class:`~tocsin.errors.NotFound`."""
    return get_readable(session, Activity, activity_id, principal)


def get_by_identifier(session: Session, principal: Principal, identifier: str) -> Activity:
    found = session.scalar(readable(Activity, principal).with_only_columns(Activity.id)
                           .where(Activity.identifier == identifier))
    if found is None:
        raise NotFound.of('activity', identifier)
    return get_activity(session, principal, found)


def suggest_child_identifier(session: Session, principal: Principal,
                             parent_identifier: str) -> str:
    """A free identifier for a new record below ``parent_identifier``: the parent's
    identifier and the next two-digit number (``XM-OSCE-2026-100-01``), or ``""``.

    Only identifiers the principal may read are looked at, so the suggestion tells
    nothing about hidden records; a clash with one is reported on saving, as always.
    """
    found = session.scalar(readable(Activity, principal).with_only_columns(Activity.id)
                           .where(Activity.identifier == parent_identifier))
    if found is None:
        return ""
    prefix = f"{parent_identifier}-"
    taken = set(session.scalars(
        readable(Activity, principal).with_only_columns(Activity.identifier)
        .where(Activity.identifier.startswith(prefix, autoescape=True))))
    number = 1
    while f"{prefix}{number:02d}" in taken:
        number += 1
    return f"{prefix}{number:02d}"


def activities_query(
    principal: Principal,
    *,
    level: str | None = None,
    parent_id: int | None = None,
    roots_only: bool = False,
    structure: str | None = None,
    status: int | None = None,
    crime_area: str | None = None,
    stage: str | None = None,
    country: str | None = None,
    external: bool | None = None,
    text: str | None = None,
    ids: Sequence[int] | None = None,
    identifiers: Sequence[str] | None = None,
) -> Select[Activity]:
    """``SELECT`` of the activities the principal may read, with optional filters."""
    stmt = readable(Activity, principal)
    if level:
        stmt = stmt.where(Activity.level == level)
    if parent_id is not None:
        stmt = stmt.where(Activity.parent_id == parent_id)
    if roots_only:
        stmt = stmt.where(Activity.parent_id.is_(None))
    if structure:
        stmt = stmt.where(Activity.implementing_structure == structure)
    if status is not None:
        stmt = stmt.where(Activity.status == status)
    if external is not None:
        stmt = stmt.where(Activity.is_external.is_(external))
    if crime_area:
        stmt = stmt.where(exists().where(ActivityCrimeArea.activity_id == Activity.id,
                                         ActivityCrimeArea.crime_area_code == crime_area))
    if stage:
        stmt = stmt.where(exists().where(ActivityStage.activity_id == Activity.id,
                                         ActivityStage.stage_code == stage))
    if country:
        stmt = stmt.where(exists().where(ActivityCountry.activity_id == Activity.id,
                                         ActivityCountry.country_code == country.upper()))
    if text:
        like = f"%{text.lower()}%"
        stmt = stmt.where(or_(func.lower(Activity.title).like(like),
                              func.lower(Activity.identifier).like(like),
                              func.lower(Activity.description).like(like)))
    if ids is not None:
        stmt = stmt.where(Activity.id.in_(list(ids)))
    if identifiers is not None:
        stmt = stmt.where(Activity.identifier.in_(list(identifiers)))
    return stmt.order_by(Activity.identifier)


def list_activities(session: Session, principal: Principal, *, limit: int | None = None,
                    offset: int = 0, full: bool = False, **filters: object) -> Sequence[Activity]:
    """Activities the principal may read (reads above GREEN are audited)."""
    stmt = activities_query(principal, **filters)  # type: ignore[arg-type]
    if full:
        stmt = stmt.options(*FULL)
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return list_readable(session, stmt, principal)


def parent_identifiers(session: Session, activities: Iterable[Activity],
                       principal: Principal) -> dict[int, str]:
    """Parent identifier per activity id, only where the principal may read the parent."""
    parent_ids = {a.parent_id for a in activities if a.parent_id is not None}
    if not parent_ids:
        return {}
    rows = session.execute(
        readable(Activity, principal).with_only_columns(Activity.id, Activity.identifier)
        .where(Activity.id.in_(parent_ids))
    )
    known = {ident: identifier for ident, identifier in rows}
    return {a.id: known[a.parent_id] for a in activities
            if a.parent_id is not None and a.parent_id in known}


def children_of(session: Session, principal: Principal, activity_id: int) -> Sequence[Activity]:
    return list_readable(session, activities_query(principal, parent_id=activity_id), principal)


def ancestors(session: Session, principal: Principal, activity: Activity) -> list[Activity]:
    """From the top of the hierarchy down to the direct parent.

    The climb stops below a parent the principal may not read, so nothing above
    a hidden record shows either.
    """
    chain: list[Activity] = []
    current = activity
    while current.parent_id is not None and len(chain) < 10:
        parent = linked(session, Activity, current.parent_id, principal)
        if parent is None:
            break
        chain.append(parent)
        current = parent
    return list(reversed(chain))


# --- writes -----------------------------------------------------------------------------


def resolve_owner_unit(spec: ActivitySpec, principal: Principal, vocab: Vocabulary,
                       default: int | None = None) -> int | None:
    """The owning unit: the one named, else the implementing structure's, else the caller's."""
    if spec.owner_unit:
        return vocab.units.get(spec.owner_unit)
    if default is not None:
        return default
    if spec.implementing_structure and spec.implementing_structure in vocab.units:
        return vocab.units[spec.implementing_structure]
    return principal.unit_id


def _parent_for(session: Session, principal: Principal, spec: ActivitySpec,
                self_id: int | None = None) -> tuple[int | None, list[Problem]]:
    if not spec.parent_identifier:
        return None, []
    where = f"activity {spec.identifier!r}: parent_identifier"
    parent = session.scalar(readable(Activity, principal)
                            .where(Activity.identifier == spec.parent_identifier))
    if parent is None:
        return None, [Problem(where, N_("no activity %(identifier)s",
                                         identifier=repr(spec.parent_identifier)))]
    if self_id is not None and parent.id == self_id:
        return None, [Problem(where, N_("an activity cannot be its own parent"))]
    reason = check_hierarchy(spec.level, parent.level)
    return parent.id, [Problem(where, reason)] if reason else []


def create_activity(session: Session, principal: Principal, spec: ActivitySpec,
                    *, vocab: Vocabulary | None = None) -> Activity:
    """Add one programme, project or activity; raises :class:`InputError` listing every problem."""
    vocab = vocab or Vocabulary.load(session)
    problems = problems_from(check_activity(spec, vocab), _at(spec.identifier))
    if session.scalar(unguarded_select(Activity.id, why=UNIQUE_IDENTIFIERS)
                      .where(Activity.identifier == spec.identifier)):
        problems.append(Problem(_at(spec.identifier)("identifier"),
                                N_("another activity already has this identifier")))
    parent_id, found = _parent_for(session, principal, spec)
    problems += found
    unit_id = resolve_owner_unit(spec, principal, vocab)
    if unit_id is None:
        problems.append(Problem(_at(spec.identifier)("owner_unit"),
                                N_("say which unit owns the activity")))
    if problems:
        raise InputError(problems)
    require_write(principal, unit_id)
    activity = Activity(owner_unit_id=unit_id, handling=spec.handling or Handling.GREEN.value,
                        parent_id=parent_id)
    fill(activity, spec)
    session.add(activity)
    session.flush()
    audit.record(session, principal, "create", Activity.record_type, activity.id,
                 activity.handling)
    return activity


def update_activity(session: Session, principal: Principal, activity_id: int,
                    spec: ActivitySpec, *, vocab: Vocabulary | None = None) -> Activity:
    """Replace an activity's content with ``spec`` (its id and documents' ids stay)."""
    activity = get_activity(session, principal, activity_id)
    require_write(principal, activity.owner_unit_id)
    vocab = vocab or Vocabulary.load(session)
    problems = problems_from(check_activity(spec, vocab), _at(spec.identifier))
    other = session.scalar(unguarded_select(Activity.id, why=UNIQUE_IDENTIFIERS)
                           .where(Activity.identifier == spec.identifier))
    if other is not None and other != activity.id:
        problems.append(Problem(_at(spec.identifier)("identifier"),
                                N_("another activity already has this identifier")))
    parent_id, found = _parent_for(session, principal, spec, self_id=activity.id)
    problems += found
    if (not spec.parent_identifier and activity.parent_id is not None
            and linked_id(session, Activity, activity.parent_id, principal) is None):
        # The form shows no parent the user may not read; a user never removes what
        # they cannot see, so the hidden parent stays.
        parent_id = activity.parent_id
    children = unguarded_select(Activity, why="a level change must fit every child")
    for child in session.scalars(children.where(Activity.parent_id == activity.id)):
        reason = check_hierarchy(child.level, spec.level)
        if reason:  # a child the user may not read is not named
            name = (N_("child %(identifier)s", identifier=repr(child.identifier))
                    if may_read(child, principal) else N_("a child record"))
            problems.append(Problem(_at(spec.identifier)("level"),
                                    N_("%(reason)s (%(record)s)", reason=reason, record=name)))
    unit_id = resolve_owner_unit(spec, principal, vocab, default=activity.owner_unit_id)
    if unit_id is None:
        problems.append(Problem(_at(spec.identifier)("owner_unit"), N_("unknown unit")))
    if problems:
        raise InputError(problems)
    require_write(principal, unit_id)
    # Old rows go first: new ones may reuse their unique keys (kind, year, currency).
    for rows in (activity.finance, activity.countries, activity.regions, activity.crime_areas,
                 activity.stages, activity.participants, activity.results):
        rows.clear()
    session.flush()
    fill(activity, spec)
    activity.parent_id = parent_id
    activity.owner_unit_id = unit_id  # type: ignore[assignment]
    if spec.handling:
        activity.handling = spec.handling
    session.flush()
    audit.record(session, principal, "update", Activity.record_type, activity.id,
                 activity.handling)
    return activity


def delete_activity(session: Session, principal: Principal, activity_id: int) -> None:
    """Delete an activity without children (its finance, results and documents go with it)."""
    activity = get_activity(session, principal, activity_id)
    require_write(principal, activity.owner_unit_id)
    # Counted among every record (a hidden child blocks the delete too), but the
    # message gives no number, so it says nothing about records the user cannot see.
    children = session.scalar(
        unguarded_select(func.count(Activity.id), why="a record with children cannot be deleted")
        .where(Activity.parent_id == activity.id)
    )
    if children:
        raise InputError.single(
            f"activity {activity.identifier!r}",
            N_("it has child records; delete or move them first"),
        )
    audit.record(session, principal, "delete", Activity.record_type, activity.id,
                 activity.handling, detail=f"{activity.identifier} (moved to the trash)")
    trash.discard(session, principal, activity, title=activity.title,
                  handling=activity.handling, owner_unit_id=activity.owner_unit_id)


def descendant_ids(session: Session, principal: Principal, root_ids: Iterable[int]) -> set[int]:
    """Ids of every readable activity below the given ones (not including them); the
    descent stops at a record the principal may not read."""
    found: set[int] = set()
    frontier = set(root_ids)
    while frontier:
        rows = session.scalars(readable(Activity, principal).with_only_columns(Activity.id)
                               .where(Activity.parent_id.in_(frontier)))
        frontier = set(rows) - found
        found |= frontier
    return found


def _writes(session: Session, activity_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Each activity's creations and changes in the audit log: ``id -> (how many, the
    latest entry's id)``. How many is its version: it grows with every write of that
    activity and says nothing of the rest of the log."""
    from tocsin.access.tables import AuditEntry

    out: dict[int, tuple[int, int]] = {}
    for start in range(0, len(activity_ids), 500):
        for record_id, count, latest in session.execute(
                select(AuditEntry.record_id, func.count(AuditEntry.id), func.max(AuditEntry.id))
                .where(AuditEntry.record_type == Activity.record_type,
                       AuditEntry.record_id.in_([str(i) for i in
                                                 activity_ids[start:start + 500]]),
                       AuditEntry.action.in_(("create", "update")))
                .group_by(AuditEntry.record_id)):
            out[int(record_id)] = (count, latest)
    return out


def _readable_ids(session: Session, principal: Principal,
                  identifiers: Sequence[str]) -> dict[int, str]:
    ids: dict[int, str] = {}
    for start in range(0, len(identifiers), 500):
        ids.update((i, identifier) for i, identifier in session.execute(
            readable(Activity, principal).with_only_columns(Activity.id, Activity.identifier)
            .where(Activity.identifier.in_(identifiers[start:start + 500]))))
    return ids


def versions(session: Session, principal: Principal,
             identifiers: Sequence[str]) -> dict[str, tuple[int, int]]:
    """``identifier -> (activity id, version)`` for the activities of ``identifiers`` the
    principal may read (see :func:`_writes`)."""
    ids = _readable_ids(session, principal, identifiers)
    written = _writes(session, list(ids))
    return {identifier: (i, written.get(i, (0, 0))[0]) for i, identifier in ids.items()}


def readable_activities(session: Session, principal: Principal,
                        ids: Sequence[int]) -> list[Activity]:
    """The activities of ``ids``, loaded (and their read audited), by identifier."""
    found: list[Activity] = []
    for start in range(0, len(ids), 500):
        found += list_readable(session, readable(Activity, principal).where(
            Activity.id.in_(ids[start:start + 500])), principal)
    return sorted(found, key=lambda a: a.identifier)


def edited_in_platform(session: Session, principal: Principal,
                       identifiers: Sequence[str]) -> list[Activity]:
    """The activities of ``identifiers`` the principal may read whose latest write was made
    in the platform (the form, the API, a document, a result) rather than by an import
    (audited ``import <file>``): what importing a file over them would replace. Only
    those are loaded (and their read audited), not every activity the file names."""
    from tocsin.access.tables import AuditEntry

    latest = {entry: i for i, (_, entry) in
              _writes(session, list(_readable_ids(session, principal, identifiers))).items()}
    edited: list[int] = []
    for start in range(0, len(latest), 500):
        edited += [latest[entry] for entry, detail in session.execute(
            select(AuditEntry.id, AuditEntry.detail)
            .where(AuditEntry.id.in_(list(latest)[start:start + 500])))
            if not (detail or "").startswith("import ")]
    return readable_activities(session, principal, edited)

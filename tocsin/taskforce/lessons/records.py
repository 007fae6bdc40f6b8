"""Submit observations and after-action reviews, move lessons through the cycle.

Reads go through :mod:`tocsin.access.policy`; every write checks
``require_write`` and is audited in the caller's transaction. Each transition
is checked against ``cycle.yaml`` (status and role) and stored with who and when.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session, selectinload

from tocsin.access import audit
from tocsin.access.links import linked, linked_ids
from tocsin.access.policy import get_readable, list_readable, readable, require_write
from tocsin.access.principal import Principal
from tocsin.access.roles import ROLE_LABELS, Action
from tocsin.errors import InputError, PermissionDenied, Problem
from tocsin.i18n import N_
from tocsin.taskforce.lessons import codes
from tocsin.taskforce.lessons.cycle import load_cycle
from tocsin.taskforce.lessons.spec import ActionSpec, ObservationSpec, ReviewSpec
from tocsin.taskforce.lessons.tables import (
    OUTCOMES,
    AfterActionReview,
    Lesson,
    LessonCountry,
    LessonCrimeArea,
    LessonStage,
    LessonStep,
    RemedialAction,
)
from tocsin.taskforce.programmes.tables import Activity

#: Statuses in which a lesson has been identified but not yet learned.
PENDING = ("identified", "action_assigned")


def _check_observation(session: Session, principal: Principal,
                       spec: ObservationSpec | ReviewSpec, at: str,
                       problems: list[Problem]) -> None:
    if not spec.title:
        problems.append(Problem(f"{at}.title", N_("give a title")))
    if spec.outcome not in OUTCOMES:
        problems.append(Problem(f"{at}.outcome", N_("%(value)s is not one of %(known)s",
                                                    value=repr(spec.outcome),
                                                    known=", ".join(OUTCOMES))))
    problems += codes.unknown_codes(session, "crime area", spec.crime_areas, f"{at}.crime_areas")
    problems += codes.unknown_codes(session, "stage", spec.stages, f"{at}.stages")
    problems += codes.unknown_codes(session, "country", spec.countries, f"{at}.countries")
    codes.check_activity(session, principal, spec.activity_id, f"{at}.activity_id", problems)
    problems += codes.check_handling(spec.handling, f"{at}.handling")[1]


def _new_lesson(spec: ObservationSpec, principal: Principal, owner: int) -> Lesson:
    lesson = Lesson(
        title=spec.title, observation=spec.observation, outcome=spec.outcome,
        tool_method=spec.tool_method, activity_id=spec.activity_id,
        handling=codes.check_handling(spec.handling, "")[0], owner_unit_id=owner,
        submitted_by=principal.username, status="submitted",
        crime_area_links=[LessonCrimeArea(crime_area_code=c)
                          for c in dict.fromkeys(spec.crime_areas)],
        stage_links=[LessonStage(stage_code=c) for c in dict.fromkeys(spec.stages)],
        country_links=[LessonCountry(country_code=c) for c in dict.fromkeys(spec.countries)],
    )
    lesson.history.append(_step(principal, "submit", "", "submitted", ""))
    return lesson


def _step(principal: Principal, transition: str, source: str, target: str,
          note: str) -> LessonStep:
    return LessonStep(transition=transition, from_status=source, to_status=target,
                      user_id=principal.user_id, username=principal.username,
                      role=principal.role.value, note=note, at=datetime.now(UTC))


def submit_observation(session: Session, principal: Principal, spec: ObservationSpec) -> Lesson:
    """Record a new observation (status ``submitted``); all fields are checked first."""
    problems: list[Problem] = []
    if not spec.observation:
        problems.append(Problem("observation.observation", N_("describe what was observed")))
    _check_observation(session, principal, spec, "observation", problems)
    owner = codes.unit_id(session, spec.owner_unit, principal, "observation.owner_unit", problems)
    if problems or owner is None:  # unit_id() names the problem when it finds no unit
        raise InputError(problems)
    require_write(principal, owner)
    lesson = _new_lesson(spec, principal, owner)
    session.add(lesson)
    session.flush()
    audit.record(session, principal, "create", lesson.record_type, lesson.id, lesson.handling)
    return lesson


def review_text(spec: ReviewSpec) -> str:
    return (f"What was planned: {spec.planned}\nWhat happened: {spec.happened}\n"
            f"Why the difference: {spec.why_different}\nWhat to do next time: {spec.next_time}")


def submit_review(session: Session, principal: Principal,
                  spec: ReviewSpec) -> tuple[AfterActionReview, list[Lesson]]:
    """Store an after-action review and the observations it gives (at least one)."""
    problems: list[Problem] = []
    for name in ("planned", "happened", "why_different", "next_time"):
        if not getattr(spec, name):
            problems.append(Problem(f"review.{name}", N_("answer this question")))
    _check_observation(session, principal, spec, "review", problems)
    for i, extra in enumerate(spec.observations):
        _check_observation(session, principal, extra, f"review.observations[{i}]", problems)
    owner = codes.unit_id(session, spec.owner_unit, principal, "review.owner_unit", problems)
    if problems or owner is None:  # unit_id() names the problem when it finds no unit
        raise InputError(problems)
    require_write(principal, owner)
    handling = codes.check_handling(spec.handling, "")[0]
    review = AfterActionReview(
        activity_id=spec.activity_id, title=spec.title, held_on=spec.held_on,
        planned=spec.planned, happened=spec.happened, why_different=spec.why_different,
        next_time=spec.next_time, submitted_by=principal.username, handling=handling,
        owner_unit_id=owner)
    session.add(review)
    session.flush()
    main = ObservationSpec(
        title=spec.title, observation=review_text(spec), outcome=spec.outcome,
        tool_method=spec.tool_method, activity_id=spec.activity_id,
        crime_areas=spec.crime_areas, stages=spec.stages, countries=spec.countries,
        handling=spec.handling)
    lessons = []
    for item in (main, *spec.observations):
        if item.activity_id is None:
            item = item.model_copy(update={"activity_id": spec.activity_id})
        lesson = _new_lesson(item, principal, owner)
        lesson.review_id = review.id
        session.add(lesson)
        lessons.append(lesson)
    session.flush()
    audit.record(session, principal, "create", review.record_type, review.id, review.handling)
    for lesson in lessons:
        audit.record(session, principal, "create", lesson.record_type, lesson.id,
                     lesson.handling, detail=f"from after-action review {review.id}")
    return review, lessons


def get_lesson(session: Session, principal: Principal, lesson_id: int) -> Lesson:
    return get_readable(session, Lesson, lesson_id, principal)


def get_review(session: Session, principal: Principal, review_id: int) -> AfterActionReview:
    return get_readable(session, AfterActionReview, review_id, principal)


@dataclass(frozen=True)
class Linked:
    """The activity and after-action review a lesson links to, where the reader may see them."""

    activity: Activity | None
    review: AfterActionReview | None


def linked_records(session: Session, principal: Principal, lesson: Lesson) -> Linked:
    """What a lesson's page shows of the records it links to (hidden ones as absent)."""
    return Linked(activity=linked(session, Activity, lesson.activity_id, principal),
                  review=linked(session, AfterActionReview, lesson.review_id, principal))


def link_ids(session: Session, principal: Principal,
             lessons: Sequence[Lesson]) -> dict[int, dict[str, int | None]]:
    """``activity_id`` and ``review_id`` of each lesson, ``None`` where hidden from the reader."""
    activities = set(linked_ids(session, Activity, [x.activity_id for x in lessons], principal))
    reviews = set(linked_ids(session, AfterActionReview, [x.review_id for x in lessons],
                             principal))
    return {x.id: {"activity_id": x.activity_id if x.activity_id in activities else None,
                   "review_id": x.review_id if x.review_id in reviews else None}
            for x in lessons}


def list_lessons(session: Session, principal: Principal, *, status: str | None = None,
                 crime_area: str | None = None, stage: str | None = None,
                 activity_id: int | None = None) -> Sequence[Lesson]:
    """Lessons the principal may read, newest first, optionally filtered."""
    stmt = readable(Lesson, principal).order_by(Lesson.id.desc())
    if status:
        stmt = stmt.where(Lesson.status == status)
    if crime_area:
        stmt = stmt.where(
            Lesson.crime_area_links.any(LessonCrimeArea.crime_area_code == crime_area))
    if stage:
        stmt = stmt.where(Lesson.stage_links.any(LessonStage.stage_code == stage))
    if activity_id is not None:
        stmt = stmt.where(Lesson.activity_id == activity_id)
    return list_readable(session, stmt, principal)


def advance(session: Session, principal: Principal, lesson_id: int, transition: str, *,
            note: str = "", analysis: str = "", statement: str = "",
            action: ActionSpec | None = None) -> Lesson:
    """Make one transition of the cycle, refusing it with a reason when not allowed."""
    lesson = get_lesson(session, principal, lesson_id)
    cycle = load_cycle()
    step = cycle.transition(transition, lesson.status)
    if not step.allowed_for(principal.role):
        roles = ", ".join(sorted(r.value for r in step.roles))
        raise PermissionDenied(N_("role %(role)s may not %(transition)s a lesson; allowed: "
                                  "%(roles)s", role=ROLE_LABELS[principal.role],
                                  transition=transition, roles=roles))
    require_write(principal, lesson.owner_unit_id)
    problems: list[Problem] = []
    at = f"lesson {lesson.id}: {transition}"
    if "note" in step.requires and not note.strip():
        problems.append(Problem(f"{at}.note", N_("give the reason")))
    if "analysis" in step.requires and not analysis.strip():
        problems.append(Problem(f"{at}.analysis", N_("write the analysis")))
    if "statement" in step.requires and not statement.strip():
        problems.append(Problem(f"{at}.statement", N_("state the lesson identified")))
    new_action: RemedialAction | None = None
    if "action" in step.requires:
        new_action = _action(session, lesson, action, f"{at}.action", problems)
    if "actions_done" in step.requires:
        still_open = [a for a in lesson.actions if a.status != "done"]
        if not lesson.actions:
            problems.append(Problem(at, N_("no remedial action was assigned")))
        for item in still_open:
            problems.append(Problem(f"{at}: remedial action {item.id}",
                                    N_("still open (due %(due)s, %(body)s)",
                                       due=item.due_on.isoformat(), body=item.action_body.code)))
    if problems:
        raise InputError(problems)
    if analysis.strip():
        lesson.analysis = analysis.strip()
    if statement.strip():
        lesson.statement = statement.strip()
    if new_action is not None:
        lesson.actions.append(new_action)
    source = lesson.status
    lesson.status = step.target
    lesson.history.append(_step(principal, transition, source, step.target, note.strip()))
    session.flush()
    audit.record(session, principal, "update", lesson.record_type, lesson.id, lesson.handling,
                 detail=f"{transition}: {source} -> {step.target}")
    return lesson


def _action(session: Session, lesson: Lesson, spec: ActionSpec | None, at: str,
            problems: list[Problem]) -> RemedialAction | None:
    if spec is None:
        problems.append(Problem(at, N_("give the action body, description and due date")))
        return None
    body = codes.unit_id(session, spec.action_body or "-", Principal.system(),
                         f"{at}.action_body", problems)
    if not spec.description:
        problems.append(Problem(f"{at}.description", N_("describe the remedial action")))
    if body is None:
        return None
    return RemedialAction(action_body_id=body, description=spec.description,
                          due_on=spec.due_on, status="open", handling=lesson.handling,
                          owner_unit_id=lesson.owner_unit_id)


def complete_action(session: Session, principal: Principal, action_id: int,
                    today: date | None = None) -> RemedialAction:
    """Mark a remedial action done (the action body or the lesson's owners may)."""
    action = get_readable(session, RemedialAction, action_id, principal)
    if principal.unit_id != action.action_body_id:
        require_write(principal, action.owner_unit_id)
    elif not principal.can(Action.WRITE_OWN_UNIT):
        raise PermissionDenied(N_("role %(role)s may not change records",
                                  role=ROLE_LABELS[principal.role]))
    if action.status == "done":
        raise InputError.single(f"remedial action {action.id}", N_("already done"))
    action.status = "done"
    action.done_on = today or date.today()
    session.flush()
    audit.record(session, principal, "update", action.record_type, action.id, action.handling,
                 detail="done")
    return action


@dataclass(frozen=True)
class Pending:
    """A lesson identified that has not reached ``learned``."""

    lesson: Lesson
    identified_on: date
    age_days: int
    action_bodies: list[str]
    overdue_actions: int


def pending_lessons(session: Session, principal: Principal,
                    today: date | None = None) -> list[Pending]:
    """Lessons identified but never learned, oldest first, with age and action bodies."""
    today = today or date.today()
    stmt = (readable(Lesson, principal).where(Lesson.status.in_(PENDING))
            .options(selectinload(Lesson.history), selectinload(Lesson.actions)))
    found = []
    for lesson in list_readable(session, stmt, principal):
        identified = [s.at for s in lesson.history if s.to_status == "identified"]
        when = (identified[0] if identified else lesson.created_at).date()
        found.append(Pending(
            lesson=lesson, identified_on=when, age_days=(today - when).days,
            action_bodies=sorted({a.action_body.code for a in lesson.actions}),
            overdue_actions=sum(1 for a in lesson.actions
                                if a.status != "done" and a.due_on < today)))
    return sorted(found, key=lambda p: (-p.age_days, p.lesson.id))

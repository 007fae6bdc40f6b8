"""Cases: opening one, its team (need to know), subjects as FollowTheMoney entities,
links to transaction sets, findings and traces, notes, tasks and the timeline.

Everything below a case is read and written under the case's rule: a reader of
the case sees its children; a writer of the case's unit changes them. A case
with ``need_to_know`` set is readable only by its team (and administrators), which
:mod:`tocsin.access.policy` enforces for every query through :func:`readable`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin import types
from tocsin.access import audit
from tocsin.access.links import link_target
from tocsin.access.policy import (
    get_readable,
    list_readable,
    readable,
    require_write,
    storable_id,
)
from tocsin.access.principal import Principal
from tocsin.access.tables import User
from tocsin.cases.spec import CaseSpec, LinkSpec, MemberSpec, NoteSpec, SubjectSpec, TaskSpec
from tocsin.cases.tables import (
    LINK_KINDS,
    SUBJECT_SCHEMAS,
    Case,
    CaseLink,
    CaseMember,
    CaseNote,
    CaseTask,
    Subject,
)
from tocsin.errors import InputError, NotFound, Problem
from tocsin.i18n import N_, Message
from tocsin.money.tables import TransactionSet
from tocsin.taskforce.lessons import codes

MEMBER_ROLES = ("lead", "member")


def audit_case(session: Session, principal: Principal, case: Case, detail: str,
               action: str = "update") -> None:
    """One audit entry about the case (its children are audited as changes of the case)."""
    audit.record(session, principal, action, case.record_type, case.id, case.handling,
                 detail=detail)


def get_case(session: Session, principal: Principal, case_id: int) -> Case:
    """A case the principal may read (the read audited), else :class:`NotFound`."""
    return get_readable(session, Case, case_id, principal)


def writable_case(session: Session, principal: Principal, case_id: int) -> Case:
    """A case the principal may read and change."""
    case = get_case(session, principal, case_id)
    require_write(principal, case.owner_unit_id)
    return case


def list_cases(session: Session, principal: Principal, *, status: str | None = None,
               query: str | None = None) -> Sequence[Case]:
    stmt = readable(Case, principal).order_by(Case.opened_on.desc(), Case.id.desc())
    if status:
        stmt = stmt.where(Case.status == status)
    if query:
        like = f"%{query.strip()}%"
        stmt = stmt.where(Case.title.ilike(like) | Case.reference.ilike(like))
    return list_readable(session, stmt, principal)


def _check_case(session: Session, principal: Principal, spec: CaseSpec,
                problems: list[Problem]) -> tuple[str, int | None]:
    if not spec.reference:
        problems.append(Problem("case.reference", N_("give the case's reference")))
    if not spec.title:
        problems.append(Problem("case.title", N_("give a title")))
    if spec.crime_area:
        problems += codes.unknown_codes(session, "crime area", [spec.crime_area],
                                        "case.crime_area")
    if spec.country:
        types.country.check(spec.country, "case.country", problems)
    handling, bad = codes.check_handling(spec.handling, "case.handling")
    problems += bad
    owner = codes.unit_id(session, spec.owner_unit, principal, "case.owner_unit", problems)
    return handling, owner


def create_case(session: Session, principal: Principal, spec: CaseSpec,
                today: date | None = None) -> Case:
    """Open a case; whoever opens it leads its team."""
    problems: list[Problem] = []
    handling, owner = _check_case(session, principal, spec, problems)
    if spec.reference and _reference_taken(session, spec.reference):
        problems.append(Problem("case.reference", N_("%(reference)s is already used",
                                                        reference=repr(spec.reference))))
    if problems or owner is None:
        raise InputError(problems)
    require_write(principal, owner)
    case = Case(reference=spec.reference, title=spec.title, summary=spec.summary,
                crime_area=spec.crime_area or None,
                country=types.country.clean(spec.country) if spec.country else None,
                opened_on=spec.opened_on or today or date.today(),
                need_to_know=spec.need_to_know, handling=handling, owner_unit_id=owner)
    if principal.user_id is not None:
        case.members.append(CaseMember(user_id=principal.user_id, role="lead"))
    if spec.need_to_know and principal.user_id is None:
        raise InputError.single("case.need_to_know",
                                N_("a restricted case needs a signed-in user to lead its team"))
    session.add(case)
    session.flush()
    audit_case(session, principal, case, f"opened {case.reference}", action="create")
    return case


def _reference_taken(session: Session, reference: str) -> bool:
    from tocsin.access.policy import unguarded_select

    found = session.scalar(unguarded_select(Case.id, why="case references are unique across "
                                                        "units").where(Case.reference == reference))
    return found is not None


def update_case(session: Session, principal: Principal, case_id: int, spec: CaseSpec) -> Case:
    case = writable_case(session, principal, case_id)
    problems: list[Problem] = []
    handling, owner = _check_case(session, principal, spec, problems)
    if spec.reference != case.reference and spec.reference and _reference_taken(
            session, spec.reference):
        problems.append(Problem("case.reference", N_("%(reference)s is already used",
                                                        reference=repr(spec.reference))))
    if spec.need_to_know and not case.members:
        problems.append(Problem("case.need_to_know",
                                N_("add the team before restricting the case")))
    earliest = min((a.identified_on for a in case.assets), default=None)
    if spec.opened_on and earliest and spec.opened_on > earliest:
        problems.append(Problem("case.opened_on", N_(
            "%(opened_on)s is after the first asset was identified (%(earliest)s)",
            opened_on=spec.opened_on, earliest=earliest)))
    if problems or owner is None:
        raise InputError(problems)
    require_write(principal, owner)
    before = _details(case)
    case.reference, case.title, case.summary = spec.reference, spec.title, spec.summary
    case.crime_area = spec.crime_area or None
    case.country = types.country.clean(spec.country) if spec.country else None
    if spec.opened_on:
        case.opened_on = spec.opened_on
    case.need_to_know, case.handling, case.owner_unit_id = spec.need_to_know, handling, owner
    after = _details(case)
    changed = [f"{k}: {before[k]!r} → {after[k]!r}" for k in before if before[k] != after[k]]
    # the values replaced stay in the audit log, so an edit loses nothing
    audit_case(session, principal, case, "case details changed"
               + (": " + "; ".join(changed) if changed else " (nothing new)"))
    return case


def _details(case: Case) -> dict[str, object]:
    """The case's own fields as an edit changes them (for the audit of a change)."""
    return {"reference": case.reference, "title": case.title, "summary": case.summary,
            "crime_area": case.crime_area, "country": case.country,
            "opened_on": str(case.opened_on), "need_to_know": case.need_to_know,
            "handling": case.handling, "owner_unit_id": case.owner_unit_id}


def set_status(session: Session, principal: Principal, case_id: int, status: str,
               today: date | None = None) -> Case:
    case = writable_case(session, principal, case_id)
    if status not in ("open", "closed"):
        raise InputError.single("status", N_("%(value)s is not open or closed",
                                             value=repr(status)))
    case.status = status
    case.closed_on = (today or date.today()) if status == "closed" else None
    audit_case(session, principal, case, f"case {status}")
    return case


# --- team ---------------------------------------------------------------------------------

def add_member(session: Session, principal: Principal, case_id: int, spec: MemberSpec) -> Case:
    case = writable_case(session, principal, case_id)
    if spec.role not in MEMBER_ROLES:
        raise InputError.single("member.role", N_("%(value)s is not lead or member",
                                                  value=repr(spec.role)))
    user = session.scalar(select(User).where(User.username == spec.username.lower()))
    if user is None or not user.active:
        raise InputError.single("member.username", N_("no active user %(username)s",
                                                      username=repr(spec.username)))
    current = next((m for m in case.members if m.user_id == user.id), None)
    if current is None:
        case.members.append(CaseMember(user_id=user.id, role=spec.role))
    else:
        current.role = spec.role
    session.flush()
    audit_case(session, principal, case, f"team: {user.username} as {spec.role}")
    return case


def remove_member(session: Session, principal: Principal, case_id: int, username: str) -> Case:
    case = writable_case(session, principal, case_id)
    user = session.scalar(select(User).where(User.username == username.lower()))
    member = next((m for m in case.members if user and m.user_id == user.id), None)
    if member is None:
        raise InputError.single("member.username", N_("%(username)s is not on the team",
                                                      username=repr(username)))
    if case.need_to_know and len(case.members) == 1:
        raise InputError.single("member.username",
                                N_("a restricted case keeps at least one team member"))
    case.members.remove(member)
    session.flush()
    audit_case(session, principal, case, f"team: {username} removed")
    return case


def team(session: Session, case: Case) -> list[tuple[str, str, str]]:
    """(username, full name, role in the case) of each member."""
    ids = [m.user_id for m in case.members]
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}
    return [(users[m.user_id].username, users[m.user_id].full_name, m.role)
            for m in case.members if m.user_id in users]


# --- subjects -----------------------------------------------------------------------------

def entity(schema: str, properties: dict[str, list[str]], location: str,
           problems: list[Problem]) -> tuple[dict[str, list[str]], str]:
    """FollowTheMoney properties cleaned by the FtM model, and the entity's caption."""
    from followthemoney import model

    if schema not in SUBJECT_SCHEMAS:
        problems.append(Problem(f"{location}.schema", N_(
            "%(value)s is not one of %(known)s", value=repr(schema),
            known=", ".join(SUBJECT_SCHEMAS))))
        return {}, ""
    ftm = model.get(schema)
    assert ftm is not None
    proxy = model.make_entity(schema)
    for name, values in properties.items():
        prop = ftm.get(name)
        if prop is None or prop.stub:
            problems.append(Problem(f"{location}.properties.{name}", N_(
                "%(schema)s has no property %(name)s", schema=schema, name=repr(name))))
            continue
        if prop.type.name == "entity":
            problems.append(Problem(f"{location}.properties.{name}",
                                    N_("links between entities are made as case links")))
            continue
        for value in values:
            if not str(value).strip():
                continue
            if prop.type.clean(value, proxy=proxy) is None:
                problems.append(Problem(f"{location}.properties.{name}", N_(
                    "%(value)s is not a valid %(type)s", value=repr(value),
                    type=prop.type.name)))
            else:
                proxy.add(name, value)
    if not proxy.caption or proxy.caption == ftm.label:
        problems.append(Problem(f"{location}.properties",
                                N_("give a name (or an account number, IBAN or address)")))
    return {k: list(v) for k, v in proxy.to_dict()["properties"].items()}, str(proxy.caption)


def add_subject(session: Session, principal: Principal, case_id: int,
                spec: SubjectSpec) -> Subject:
    case = writable_case(session, principal, case_id)
    problems: list[Problem] = []
    properties, caption = entity(spec.schema_, spec.properties, "subject", problems)
    if problems:
        raise InputError(problems)
    subject = Subject(schema=spec.schema_, caption=caption[:300], properties=properties)
    case.subjects.append(subject)
    session.flush()
    audit_case(session, principal, case, f"subject {subject.id} ({spec.schema_}) added")
    return subject


def subject_entity(case: Case, subject: Subject) -> dict[str, Any]:
    """The subject as a FollowTheMoney entity (id stable per case and subject)."""
    return {"id": f"tocsin-case-{case.id}-subject-{subject.id}", "schema": subject.schema,
            "caption": subject.caption, "properties": subject.properties}


def screen_subjects(session: Session, principal: Principal, case_id: int,
                    lists: Sequence[str] | None = None) -> list[Subject]:
    """Screen the case's subjects against the active sanctions and watch lists.

    Calls the platform's screening service (:func:`tocsin.screening.service.screen_entities`)
    and keeps each subject's result (entries found, scores, bands, explanations) on the
    subject. The screening registry keeps the subjects under the case's handling code so
    that later list versions re-screen them — except for a need-to-know case, whose
    subjects must not be readable outside its team, and persons whose data-subject
    category narrows their audience (:mod:`tocsin.safeguards`): those are screened without
    being kept.
    """
    from tocsin.screening.lists import all_lists
    from tocsin.screening.service import screen_entities

    case = writable_case(session, principal, case_id)
    subjects = list(case.subjects)
    if not subjects:
        raise InputError.single("subjects", N_("the case has no subjects to screen"))
    active = [x.key for x in all_lists(session) if x.active_version_id is not None]
    if not active:
        raise InputError.single("lists", N_("no screening list is loaded; import one first"))
    # persons of a narrower audience (victims, witnesses…) are screened without being
    # kept: the registry would show them to every reader of the case's handling code
    from tocsin.safeguards.records import narrowed

    narrow = narrowed(session, case)
    found: dict[int, Any] = {}
    for group, remember in (([s for s in subjects if s.id not in narrow],
                             not case.need_to_know),
                            ([s for s in subjects if s.id in narrow], False)):
        if group:
            found.update(zip([s.id for s in group], screen_entities(
                session, principal, [subject_entity(case, s) for s in group], lists=lists,
                handling=case.handling, origin=f"case {case.reference}", remember=remember),
                strict=True))
    results = [found[s.id] for s in subjects]
    for subject, result in zip(subjects, results, strict=True):
        data = result.to_dict()
        subject.screening = {"screened_at": datetime.now(UTC).isoformat(timespec="seconds"),
                             "lists": sorted(lists or active), "matches": len(result.matches),
                             **data}
    matched = sum(1 for r in results if r.matches)
    audit_case(session, principal, case, f"{len(subjects)} subjects screened, "
                                         f"{matched} with a match")
    return subjects


# --- links --------------------------------------------------------------------------------

def add_link(session: Session, principal: Principal, case_id: int, spec: LinkSpec) -> CaseLink:
    """Link a transaction set, one of its findings or a document to the case.

    The set must be readable by whoever links it (a missing and an unreadable set
    give the same problem); a finding must exist in the set's latest stored run.
    """
    case = writable_case(session, principal, case_id)
    problems: list[Problem] = []
    if spec.kind not in LINK_KINDS:
        problems.append(Problem("link.kind", N_("%(value)s is not one of %(known)s",
                                                value=repr(spec.kind),
                                                known=", ".join(LINK_KINDS))))
    detail: dict[str, Any] = {}
    if spec.kind in ("transaction_set", "finding", "trace"):
        if spec.set_id is None:
            problems.append(Problem("link.set_id", N_("give the transaction set")))
        else:
            item = link_target(session, TransactionSet, spec.set_id, principal, "link.set_id",
                               problems)
            if item is not None:
                detail["set"] = item.name
    if spec.kind == "finding" and not spec.key:
        problems.append(Problem("link.key", N_("give the finding's id")))
    if spec.kind == "document" and not spec.key:
        problems.append(Problem("link.key", N_("give the document's title or location")))
    if spec.kind == "screening":
        problems.append(Problem("link.kind", N_("screening results are kept on the subjects")))
    if problems:
        raise InputError(problems)
    link = CaseLink(kind=spec.kind, set_id=spec.set_id, key=spec.key, note=spec.note,
                    detail=detail)
    case.links.append(link)
    session.flush()
    audit_case(session, principal, case, f"link {link.id}: {spec.kind} {spec.set_id or ''} "
                                         f"{spec.key}".strip())
    return link


def add_finding_link(session: Session, principal: Principal, settings: Any, case_id: int,
                     set_id: int, finding_id: str, note: str = "") -> CaseLink:
    """Link a finding of the set's latest stored detection run (checked to exist)."""
    from tocsin.money import sets

    writable_case(session, principal, case_id)
    problems: list[Problem] = []
    link_target(session, TransactionSet, set_id, principal, "link.set_id", problems)
    if problems:
        raise InputError(problems)
    try:
        finding = sets.stored_finding(session, principal, settings, set_id, finding_id)
    except NotFound as exc:
        raise InputError.single("link.key", str(exc)) from None
    link = add_link(session, principal, case_id, LinkSpec(
        kind="finding", set_id=set_id, key=finding_id, note=note))
    link.detail = {**link.detail, "detector": finding.get("detector"),
                   "amount": finding.get("amount"), "reason": finding.get("reason", "")[:500]}
    return link


def visible_links(session: Session, principal: Principal, case: Case) -> list[CaseLink]:
    """The case's links whose transaction set the reader may read (or that have none)."""
    from tocsin.access.links import linked_ids

    readable_sets = set(linked_ids(session, TransactionSet,
                                   [lk.set_id for lk in case.links], principal))
    return [lk for lk in case.links if lk.set_id is None or lk.set_id in readable_sets]


# --- notes and tasks ----------------------------------------------------------------------

def add_note(session: Session, principal: Principal, case_id: int, spec: NoteSpec) -> CaseNote:
    case = writable_case(session, principal, case_id)
    if not spec.text:
        raise InputError.single("note.text", N_("write the note"))
    note = CaseNote(text=spec.text, author=principal.username)
    case.notes.append(note)
    session.flush()
    audit_case(session, principal, case, f"note {note.id} added")
    return note


def add_task(session: Session, principal: Principal, case_id: int, spec: TaskSpec) -> CaseTask:
    case = writable_case(session, principal, case_id)
    if not spec.title:
        raise InputError.single("task.title", N_("give the task's title"))
    task = CaseTask(title=spec.title, due_on=spec.due_on, assignee=spec.assignee)
    case.tasks.append(task)
    session.flush()
    audit_case(session, principal, case, f"task {task.id} added, due {spec.due_on}")
    return task


def set_task_status(session: Session, principal: Principal, task_id: int, status: str,
                    today: date | None = None) -> CaseTask:
    task = session.get(CaseTask, task_id) if storable_id(task_id) else None
    if task is None:
        raise NotFound.of('task', task_id)
    case = writable_case(session, principal, task.case_id)
    if status not in ("open", "done"):
        raise InputError.single("task.status", N_("%(value)s is not open or done",
                                                  value=repr(status)))
    task.status = status
    task.done_on = (today or date.today()) if status == "done" else None
    audit_case(session, principal, case, f"task {task.id} {status}")
    return task


def open_tasks(session: Session, principal: Principal, *, due_before: date | None = None,
               limit: int = 50) -> list[tuple[Case, CaseTask]]:
    """Open tasks of the cases the principal may read, soonest due first."""
    stmt = (readable(Case, principal).join(CaseTask, CaseTask.case_id == Case.id)
            .where(CaseTask.status == "open").add_columns(CaseTask)
            .order_by(CaseTask.due_on).limit(limit))
    if due_before is not None:
        stmt = stmt.where(CaseTask.due_on <= due_before)
    rows = [(c, t) for c, t in session.execute(stmt)]
    audit.record_reads(session, principal, list({c.id: c for c, _ in rows}.values()))
    return rows


# --- timeline -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Moment:
    on: date
    kind: str
    text: str


#: A stage an asset reached, as the timeline says it (the identification has its own line).
_STAGE_MOMENTS: dict[str, Callable[[str], Message]] = {
    "trace": lambda asset: N_("Trace: %(asset)s", asset=asset),
    "freeze": lambda asset: N_("Freeze: %(asset)s", asset=asset),
    "seize": lambda asset: N_("Seize: %(asset)s", asset=asset),
    "confiscate": lambda asset: N_("Confiscate: %(asset)s", asset=asset),
    "manage": lambda asset: N_("Manage: %(asset)s", asset=asset),
    "dispose": lambda asset: N_("Dispose: %(asset)s", asset=asset),
}


def _term(code: str) -> Message:
    """A stored code (``in_execution``) as the catalogs' words, translated where shown."""
    return Message(code.replace("_", " "))


def timeline(case: Case) -> list[Moment]:
    """Everything dated in the case, oldest first; the texts are messages, English as text
    and in the reader's language where shown (the case page, ``tocsin cases show``)."""
    moments = [Moment(case.opened_on, "case",
                      N_("Case %(reference)s opened", reference=case.reference))]
    if case.closed_on:
        moments.append(Moment(case.closed_on, "case", N_("Case closed")))
    moments += [Moment(_day(n.at), "note", N_("Note by %(author)s: %(text)s", author=n.author,
                                              text=n.text[:120])) for n in case.notes]
    moments += [Moment(t.due_on, "task", N_("Task due: %(title)s (done)", title=t.title)
                       if t.status == "done" else N_("Task due: %(title)s", title=t.title))
                for t in case.tasks]
    for asset in case.assets:
        moments.append(Moment(asset.identified_on, "asset",
                              N_("Asset identified: %(asset)s", asset=asset.description)))
        for s in asset.stages:
            if s.stage == "identify":
                continue
            said = _STAGE_MOMENTS[s.stage](asset.description) if s.stage in _STAGE_MOMENTS \
                else N_("%(stage)s: %(asset)s", stage=_term(s.stage), asset=asset.description)
            moments.append(Moment(s.on_date, "stage", N_(
                "%(moment)s — order %(order)s", moment=said, order=s.order_reference)
                if s.order_reference else said))
        if asset.sold_on:
            moments.append(Moment(asset.sold_on, "stage", N_("Interlocutory sale: %(asset)s",
                                                             asset=asset.description)))
    for req in case.requests:
        for h in req.history:
            said = N_("%(kind)s request %(reference)s (%(direction)s): %(status)s",
                      kind=req.kind.upper(), reference=req.reference or req.id,
                      direction=_term(req.direction), status=_term(h.status))
            moments.append(Moment(h.on_date, "request", N_(
                "%(moment)s — %(article)s", moment=said, article=h.article)
                if h.article else said))
    moments += [Moment(_day(e.at), "exchange", N_(
        "Sent: %(what)s (to %(counterpart)s)", what=e.what, counterpart=e.counterpart)
        if e.direction == "sent" else N_("Received: %(what)s (from %(counterpart)s)",
                                         what=e.what, counterpart=e.counterpart))
                for e in case.exchanges]
    return sorted(moments, key=lambda m: (m.on, m.kind))


def _day(moment: datetime) -> date:
    return moment.date()

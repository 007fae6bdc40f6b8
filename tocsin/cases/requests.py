"""International co-operation requests, the record of exchanges and the authorities directory.

Kinds (UNTOC, ``data/untoc.yaml``): mutual legal assistance (art. 18), extradition
(art. 16), joint investigations (art. 19), co-operation for confiscation (art. 13),
disposal of confiscated proceeds (art. 14), preservation and freezing (art. 13(2)).

Status flow::

    draft → sent → acknowledged → in_execution → executed | partly_executed
                                     ↘ postponed ↗        ↘ refused | withdrawn

An outgoing request is sent only when the completeness check (the content UNTOC
art. 18(15) asks for, :data:`CONTENT`) finds nothing required missing. A refusal or
postponement names its article and reason. Every request sent or answered, and every
letter generated, goes into the case's record of exchanges (who, what, when, under
which handling code), as SIENA records every exchange.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin import types
from tocsin.access import audit
from tocsin.access.policy import readable, readable_rows, require, storable_id
from tocsin.access.principal import Principal
from tocsin.access.roles import Action
from tocsin.cases.records import audit_case, get_case, writable_case
from tocsin.cases.spec import AuthoritySpec, ExchangeSpec, RequestSpec, StatusSpec
from tocsin.cases.tables import (
    EXCHANGE_DIRECTIONS,
    REQUEST_DIRECTIONS,
    REQUEST_KINDS,
    URGENCIES,
    Authority,
    Case,
    CoopRequest,
    Exchange,
    RequestStatus,
)
from tocsin.errors import InputError, NotFound, Problem
from tocsin.i18n import N_
from tocsin.taskforce.lessons import codes

DATA = Path(__file__).parent / "data"



@cache
def convention() -> dict[str, Any]:
    """The Convention's facts, article headings and kinds of request, with their source
    and whether each is confirmed (``data/untoc.yaml``)."""
    data: dict[str, Any] = yaml.safe_load((DATA / "untoc.yaml").read_text(encoding="utf-8"))
    return data


def _kind_labels() -> dict[str, str]:
    kinds = convention()["kinds"]
    return {k: f"{v['label']} (UNTOC art. {v.get('paragraph', v['article'])})"
            for k, v in kinds.items()}


#: Kind of request → its label with the article it rests on.
KIND_LABELS = _kind_labels()
#: Status → the statuses it may move to.
FLOW: dict[str, tuple[str, ...]] = {
    "draft": ("sent", "withdrawn"),
    "sent": ("acknowledged", "in_execution", "executed", "partly_executed", "refused",
             "postponed", "withdrawn"),
    "acknowledged": ("in_execution", "executed", "partly_executed", "refused", "postponed",
                     "withdrawn"),
    "in_execution": ("executed", "partly_executed", "refused", "postponed", "withdrawn"),
    "postponed": ("in_execution", "executed", "partly_executed", "refused", "withdrawn"),
    "executed": (), "partly_executed": (), "refused": (), "withdrawn": (),
}
CLOSED = ("executed", "partly_executed", "refused", "withdrawn")
#: Days after sending without an acknowledgement before a reminder shows.
ACK_REMINDER_DAYS = 30
#: Days before a deadline when a reminder shows.
DEADLINE_REMINDER_DAYS = 14


@dataclass(frozen=True)
class ContentItem:
    key: str
    field: str
    article: str
    label: str
    level: str
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class Ground:
    article: str
    label: str
    applies_to: str


@cache
def content_items() -> tuple[ContentItem, ...]:
    data = yaml.safe_load((DATA / "request_content.yaml").read_text(encoding="utf-8"))
    return tuple(ContentItem(i["key"], i["field"], i["article"], i["label"], i["level"],
                             tuple(i.get("kinds", REQUEST_KINDS))) for i in data["items"])


@cache
def refusal_grounds() -> tuple[Ground, ...]:
    data = yaml.safe_load((DATA / "refusal_grounds.yaml").read_text(encoding="utf-8"))
    return tuple(Ground(g["article"], g["label"], g["applies_to"]) for g in data["grounds"])


# --- completeness -------------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    item: ContentItem
    present: bool

    @property
    def blocking(self) -> bool:
        return not self.present and self.item.level == "required"


def completeness(request: CoopRequest, authority: Authority | None = None) -> list[Check]:
    """Each content item that applies to the request's kind, and whether it is there.

    The language must also be one the requested authority accepts when the
    directory lists its languages (art. 18(14)).
    """
    checks = []
    for item in content_items():
        if request.kind not in item.kinds:
            continue
        value = getattr(request, item.field)
        present = bool(value.strip() if isinstance(value, str) else value)
        if item.field == "language" and present and authority is not None and \
                authority.languages and request.language not in authority.languages:
            present = False
        checks.append(Check(item, present))
    return checks


def missing(request: CoopRequest, authority: Authority | None = None) -> list[Problem]:
    return [Problem(f"request.{c.item.field}", N_("%(item)s (%(article)s)", item=c.item.label,
                                                  article=c.item.article))
            for c in completeness(request, authority) if c.blocking]


# --- requests -----------------------------------------------------------------------------

def _check_request(session: Session, case: Case, spec: RequestSpec,
                   problems: list[Problem]) -> Authority | None:
    if spec.kind not in REQUEST_KINDS:
        problems.append(Problem("request.kind", N_("%(value)s is not one of %(known)s",
                                                   value=repr(spec.kind),
                                                   known=", ".join(REQUEST_KINDS))))
    if spec.direction not in REQUEST_DIRECTIONS:
        problems.append(Problem("request.direction", N_("use outgoing or incoming")))
    if spec.urgency not in URGENCIES:
        problems.append(Problem("request.urgency", N_("use normal or urgent")))
    types.country.check(spec.counterpart_country, "request.counterpart_country", problems)
    if spec.language:
        types.language.check(spec.language, "request.language", problems)
    created = spec.created_on or date.today()
    if created < case.opened_on:
        problems.append(Problem("request.created_on", N_(
            "before the case was opened (%(date)s)", date=case.opened_on)))
    if spec.deadline is not None and spec.deadline < created:
        problems.append(Problem("request.deadline", N_(
            "%(deadline)s is before the request was made (%(date)s)", deadline=spec.deadline,
            date=created)))
    assets = {a.id for a in case.assets}
    for i, asset_id in enumerate(spec.asset_ids):
        if asset_id not in assets:
            problems.append(Problem(f"request.asset_ids[{i}]", N_(
                "no asset %(id)s in this case", id=asset_id)))
    authority = None
    if spec.authority_id is not None:
        authority = session.get(Authority, spec.authority_id) \
            if storable_id(spec.authority_id) else None
        if authority is None:
            problems.append(Problem("request.authority_id", N_(
                "no authority with id %(id)s", id=spec.authority_id)))
        elif types.country.is_valid(spec.counterpart_country) and \
                authority.country != types.country.clean(spec.counterpart_country):
            problems.append(Problem("request.authority_id", N_(
                "the authority is not of the counterpart State")))
    return authority


def create_request(session: Session, principal: Principal, case_id: int, spec: RequestSpec,
                   today: date | None = None) -> CoopRequest:
    """A draft (outgoing) or a received request (incoming, status ``sent``)."""
    case = writable_case(session, principal, case_id)
    problems: list[Problem] = []
    authority = _check_request(session, case, spec, problems)
    if problems:
        raise InputError(problems)
    created = spec.created_on or today or date.today()
    fields = spec.model_dump(exclude={"created_on", "counterpart_country", "language"})
    request = CoopRequest(**fields, counterpart_country=types.country.clean(
        spec.counterpart_country), language=types.language.clean(spec.language)
        if spec.language else "", created_on=created, status="draft")
    if authority is not None and not request.requested_authority \
            and spec.direction == "outgoing":
        request.requested_authority = authority.name
    if authority is not None and not request.requesting_authority \
            and spec.direction == "incoming":
        request.requesting_authority = authority.name
    request.history.append(RequestStatus(status="draft", on_date=created,
                                         by=principal.username))
    if spec.direction == "incoming":
        request.status, request.sent_on = "sent", created
        request.history.append(RequestStatus(status="sent", on_date=created,
                                             reason="received", by=principal.username))
    case.requests.append(request)
    session.flush()
    if spec.direction == "incoming":
        case.exchanges.append(Exchange(
            direction="received", what=f"{KIND_LABELS[spec.kind]} request {spec.reference}",
            counterpart=request.requesting_authority or request.counterpart_country,
            country=request.counterpart_country, handling=case.handling,
            request_id=request.id, recorded_by=principal.username,
            at=datetime.combine(created, datetime.min.time(), UTC)))
    audit_case(session, principal, case, f"request {request.id} ({spec.kind}, "
                                         f"{spec.direction}) recorded")
    return request


def get_request(session: Session, principal: Principal, request_id: int
                ) -> tuple[Case, CoopRequest]:
    request = session.get(CoopRequest, request_id) if storable_id(request_id) else None
    if request is None:
        raise NotFound.of('request', request_id)
    try:
        case = get_case(session, principal, request.case_id)
    except NotFound:
        raise NotFound.of('request', request_id) from None
    return case, request


def writable_request(session: Session, principal: Principal, request_id: int
                     ) -> tuple[Case, CoopRequest]:
    case, request = get_request(session, principal, request_id)
    writable_case(session, principal, case.id)
    return case, request


def update_request(session: Session, principal: Principal, request_id: int,
                   spec: RequestSpec) -> CoopRequest:
    """Change a draft (a request already sent is changed by a new request)."""
    case, request = writable_request(session, principal, request_id)
    if request.status != "draft":
        raise InputError.single("request.status", N_(
            "a %(status)s request cannot be changed; only drafts can", status=request.status))
    problems: list[Problem] = []
    _check_request(session, case, spec, problems)
    if spec.kind != request.kind or spec.direction != request.direction:
        problems.append(Problem("request.kind", N_("kind and direction stay as recorded")))
    if problems:
        raise InputError(problems)
    for name, value in spec.model_dump(exclude={"created_on", "kind", "direction",
                                                "counterpart_country", "language"}).items():
        setattr(request, name, value)
    request.counterpart_country = types.country.clean(spec.counterpart_country)
    request.language = types.language.clean(spec.language) if spec.language else ""
    audit_case(session, principal, case, f"request {request.id} draft changed")
    return request


def authority_of(session: Session, request: CoopRequest) -> Authority | None:
    if request.authority_id is None:
        return None
    return session.get(Authority, request.authority_id)


def set_request_status(session: Session, principal: Principal, request_id: int,
                       spec: StatusSpec, today: date | None = None) -> CoopRequest:
    case, request = writable_request(session, principal, request_id)
    on = spec.on_date or today or date.today()
    problems: list[Problem] = []
    allowed = FLOW.get(request.status, ())
    if spec.status not in FLOW:
        problems.append(Problem("status.status", N_("%(value)s is not one of %(known)s",
                                                    value=repr(spec.status),
                                                    known=", ".join(FLOW))))
    elif spec.status not in allowed:
        problems.append(Problem("status.status", N_(
            "a %(status)s request cannot become %(wanted)s; next: %(next)s",
            status=request.status, wanted=spec.status, next=", ".join(allowed)) if allowed
            else N_("a %(status)s request cannot become %(wanted)s; it is closed",
                    status=request.status, wanted=spec.status)))
    last = request.history[-1].on_date if request.history else request.created_on
    if on < last:
        problems.append(Problem("status.on_date", N_("%(date)s is before the last change "
                                                     "(%(last)s)", date=on, last=last)))
    if spec.status in ("refused", "postponed"):
        if not spec.article:
            problems.append(Problem("status.article", N_(
                "name the article the %(status)s rests on", status=spec.status)))
        if not spec.reason:
            problems.append(Problem("status.reason", N_("give the grounds of the %(status)s",
                                                        status=spec.status)))
    if spec.status == "sent" and request.direction == "outgoing":
        problems += missing(request, authority_of(session, request))
    if problems:
        raise InputError(problems)
    request.status = spec.status
    request.history.append(RequestStatus(status=spec.status, on_date=on, article=spec.article,
                                         reason=spec.reason, by=principal.username))
    if spec.status == "sent":
        request.sent_on = on
    if spec.status in CLOSED:
        request.closed_on = on
    if request.direction == "outgoing" and spec.status == "sent":
        latest = _latest_document(request)
        case.exchanges.append(Exchange(
            direction="sent", what=f"{KIND_LABELS[request.kind]} request "
                                   f"{request.reference or request.id}"
                                   + (f", letter version {latest[0]}" if latest else ""),
            counterpart=request.requested_authority, country=request.counterpart_country,
            handling=case.handling, request_id=request.id,
            document_id=latest[1] if latest else None, recorded_by=principal.username,
            at=datetime.combine(on, datetime.min.time(), UTC)))
    elif request.direction == "incoming" and spec.status in (*CLOSED, "postponed"):
        case.exchanges.append(Exchange(
            direction="sent", what=f"Answer to request {request.reference or request.id}: "
                                   f"{spec.status.replace('_', ' ')}",
            counterpart=request.requesting_authority, country=request.counterpart_country,
            handling=case.handling, request_id=request.id, recorded_by=principal.username,
            at=datetime.combine(on, datetime.min.time(), UTC)))
    session.flush()
    audit_case(session, principal, case, f"request {request.id}: {spec.status}"
               + (f" ({spec.article})" if spec.article else ""))
    return request


def _latest_document(request: CoopRequest) -> tuple[int, int] | None:
    from sqlalchemy.orm import object_session

    from tocsin.cases.tables import CaseDocument

    session = object_session(request)
    if session is None:
        return None
    row = session.execute(select(CaseDocument.version, CaseDocument.id)
                          .where(CaseDocument.request_id == request.id)
                          .order_by(CaseDocument.version.desc()).limit(1)).first()
    return (int(row[0]), int(row[1])) if row else None


def request_json(request: CoopRequest, authority: Authority | None = None) -> dict[str, Any]:
    checks = completeness(request, authority)
    return {
        "id": request.id, "case_id": request.case_id, "kind": request.kind,
        "kind_label": KIND_LABELS[request.kind], "direction": request.direction,
        "reference": request.reference, "counterpart_country": request.counterpart_country,
        "authority_id": request.authority_id,
        "requesting_authority": request.requesting_authority,
        "requested_authority": request.requested_authority,
        "legal_basis": request.legal_basis, "urgency": request.urgency,
        "deadline": request.deadline.isoformat() if request.deadline else None,
        "language": request.language, "subject_matter": request.subject_matter,
        "facts": request.facts, "assistance": request.assistance,
        "procedure": request.procedure, "persons": request.persons,
        "purpose": request.purpose, "asset_ids": request.asset_ids, "status": request.status,
        "created_on": request.created_on.isoformat(),
        "sent_on": request.sent_on.isoformat() if request.sent_on else None,
        "closed_on": request.closed_on.isoformat() if request.closed_on else None,
        "history": [{"status": h.status, "on_date": h.on_date.isoformat(),
                     "article": h.article, "reason": h.reason, "by": h.by}
                    for h in request.history],
        "completeness": [{"field": c.item.field, "article": c.item.article,
                          "label": c.item.label, "level": c.item.level,
                          "present": c.present} for c in checks],
        "ready_to_send": not any(c.blocking for c in checks),
    }


def list_requests(session: Session, principal: Principal, *, status: str | None = None,
                  country: str | None = None, kind: str | None = None
                  ) -> list[tuple[Case, CoopRequest]]:
    """Requests of the cases the principal may read, newest first."""
    stmt = (readable(Case, principal).join(CoopRequest, CoopRequest.case_id == Case.id)
            .add_columns(CoopRequest)
            .order_by(CoopRequest.created_on.desc(), CoopRequest.id.desc()))
    if status:
        stmt = stmt.where(CoopRequest.status == status)
    if country:
        stmt = stmt.where(CoopRequest.counterpart_country == country.upper())
    if kind:
        stmt = stmt.where(CoopRequest.kind == kind)
    rows = [(c, r) for c, r in session.execute(stmt)]
    audit.record_reads(session, principal, list({c.id: c for c, _ in rows}.values()))
    return rows


# --- reminders and durations --------------------------------------------------------------

@dataclass(frozen=True)
class Reminder:
    case_id: int
    case_reference: str
    request_id: int | None
    task_id: int | None
    due: date
    text: str
    overdue: bool


def reminders(session: Session, principal: Principal, today: date | None = None,
              limit: int = 20) -> list[Reminder]:
    """What needs attention: request deadlines, requests unanswered, tasks due."""
    from tocsin.cases.records import open_tasks

    today = today or date.today()
    found: list[Reminder] = []
    for case, req in list_requests(session, principal):
        if req.status in CLOSED:
            continue
        label = f"{req.kind.upper()} request {req.reference or req.id} " \
                f"({req.direction}, {req.counterpart_country})"
        if req.deadline and req.deadline <= today + timedelta(days=DEADLINE_REMINDER_DAYS):
            found.append(Reminder(case.id, case.reference, req.id, None, req.deadline,
                                  f"{label}: deadline {req.deadline}", req.deadline < today))
        elif req.status == "sent" and req.direction == "outgoing" and req.sent_on and \
                req.sent_on + timedelta(days=ACK_REMINDER_DAYS) <= today:
            due = req.sent_on + timedelta(days=ACK_REMINDER_DAYS)
            found.append(Reminder(case.id, case.reference, req.id, None, due,
                                  f"{label}: no acknowledgement since {req.sent_on}", True))
        elif req.status == "draft" and req.urgency == "urgent":
            found.append(Reminder(case.id, case.reference, req.id, None, req.created_on,
                                  f"{label}: urgent draft not sent", True))
    for case, task in open_tasks(session, principal,
                                 due_before=today + timedelta(days=DEADLINE_REMINDER_DAYS)):
        found.append(Reminder(case.id, case.reference, None, task.id, task.due_on,
                              f"Task: {task.title}", task.due_on < today))
    return sorted(found, key=lambda r: r.due)[:limit]


@dataclass(frozen=True)
class Duration:
    country: str
    requests: int
    median_days: float
    slowest_days: int
    open_requests: int


def time_to_execution(session: Session, principal: Principal, direction: str = "outgoing"
                      ) -> list[Duration]:
    """Days from sending to execution (full or partial), per counterpart State."""
    done: dict[str, list[int]] = {}
    still_open: dict[str, int] = {}
    for _case, req in list_requests(session, principal):
        if req.direction != direction or req.sent_on is None:
            continue
        if req.status in ("executed", "partly_executed") and req.closed_on:
            done.setdefault(req.counterpart_country, []).append(
                (req.closed_on - req.sent_on).days)
        elif req.status not in CLOSED:
            still_open[req.counterpart_country] = still_open.get(req.counterpart_country, 0) + 1
    countries = sorted(set(done) | set(still_open))
    return [Duration(c, len(done.get(c, [])),
                     float(statistics.median(done[c])) if done.get(c) else 0.0,
                     max(done.get(c, [0])), still_open.get(c, 0)) for c in countries]


# --- exchanges ----------------------------------------------------------------------------

def record_exchange(session: Session, principal: Principal, case_id: int,
                    spec: ExchangeSpec) -> Exchange:
    case = writable_case(session, principal, case_id)
    problems: list[Problem] = []
    if spec.direction not in EXCHANGE_DIRECTIONS:
        problems.append(Problem("exchange.direction", N_("use sent or received")))
    if not spec.what:
        problems.append(Problem("exchange.what", N_("say what was exchanged")))
    if not spec.counterpart:
        problems.append(Problem("exchange.counterpart", N_("name the other authority")))
    if spec.country:
        types.country.check(spec.country, "exchange.country", problems)
    handling, bad = codes.check_handling(spec.handling or case.handling, "exchange.handling")
    problems += bad
    if spec.request_id is not None and spec.request_id not in {r.id for r in case.requests}:
        problems.append(Problem("exchange.request_id", N_(
            "no request %(id)s in this case", id=spec.request_id)))
    at = spec.at or datetime.now(UTC)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    if at.date() < case.opened_on:
        problems.append(Problem("exchange.at", N_("before the case was opened")))
    if problems:
        raise InputError(problems)
    exchange = Exchange(direction=spec.direction, what=spec.what, counterpart=spec.counterpart,
                        country=types.country.clean(spec.country) if spec.country else None,
                        channel=spec.channel, at=at, handling=handling,
                        restrictions=spec.restrictions, request_id=spec.request_id,
                        recorded_by=principal.username)
    case.exchanges.append(exchange)
    session.flush()
    audit_case(session, principal, case, f"exchange {exchange.id} ({spec.direction}) recorded")
    return exchange


# --- the competent authorities directory --------------------------------------------------

def list_authorities(session: Session, country: str | None = None,
                     kind: str | None = None) -> Sequence[Authority]:
    """The directory is open to every signed-in user (it holds no case data)."""
    stmt = select(Authority).order_by(Authority.country, Authority.kind, Authority.name)
    if country:
        stmt = stmt.where(Authority.country == country.upper())
    if kind:
        stmt = stmt.where(Authority.kind == kind)
    return session.scalars(stmt).all()


def _check_authority(spec: AuthoritySpec, problems: list[Problem]) -> None:
    types.country.check(spec.country, "authority.country", problems)
    if spec.kind not in REQUEST_KINDS:
        problems.append(Problem("authority.kind", N_("%(value)s is not one of %(known)s",
                                                     value=repr(spec.kind),
                                                     known=", ".join(REQUEST_KINDS))))
    if not spec.name:
        problems.append(Problem("authority.name", N_("name the authority")))
    if not spec.source:
        problems.append(Problem("authority.source", N_("say where the entry comes from")))
    for i, lang in enumerate(spec.languages):
        types.language.check(lang, f"authority.languages[{i}]", problems)


def save_authority(session: Session, principal: Principal, spec: AuthoritySpec,
                   authority_id: int | None = None) -> Authority:
    """Add or change a directory entry (coordinators and administrators)."""
    require(principal, Action.WRITE_ANY_UNIT)
    problems: list[Problem] = []
    _check_authority(spec, problems)
    item = None
    if authority_id is not None:
        item = session.get(Authority, authority_id) if storable_id(authority_id) else None
        if item is None:
            raise NotFound.of('authority', authority_id)
    if problems:
        raise InputError(problems)
    values = spec.model_dump()
    values["country"] = types.country.clean(spec.country)
    values["languages"] = [types.language.clean(x) for x in spec.languages]
    changed: list[str] = []
    if item is None:
        item = Authority(**values, updated_by=principal.username)
        session.add(item)
    else:
        for name, value in values.items():
            old = getattr(item, name)
            if str(old) != str(value):  # the value replaced stays in the audit log
                changed.append(f"{name}: {old!r} → {value!r}")
            setattr(item, name, value)
        item.updated_by = principal.username
    session.flush()
    audit.record(session, principal, "create" if authority_id is None else "update",
                 "authority", item.id, detail=f"{item.country} {item.kind}: {item.name}"
                 + (f" ({'; '.join(changed)})" if changed else ""))
    return item


def load_directory(session: Session, principal: Principal, path: Path) -> int:
    """Load directory entries from a YAML file (all or nothing); returns how many were added.

    An entry already present (same State, kind and name) is left as it is.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = data.get("authorities", [])
    problems: list[Problem] = []
    specs = []
    for i, entry in enumerate(entries):
        try:
            specs.append(AuthoritySpec.model_validate(entry))
        except ValueError as exc:
            problems.append(Problem(f"{path.name}: authorities[{i}]", str(exc).splitlines()[0]))
            continue
        local: list[Problem] = []
        _check_authority(specs[-1], local)
        problems += [Problem(f"{path.name}: authorities[{i}].{p.location.split('.', 1)[1]}",
                             p.reason) for p in local]
    if problems:
        raise InputError(problems)
    added = 0
    for spec in specs:
        exists = session.scalar(select(Authority.id).where(
            Authority.country == types.country.clean(spec.country), Authority.kind == spec.kind,
            Authority.name == spec.name))
        if exists is None:
            save_authority(session, principal, spec)
            added += 1
    return added


def readable_request_rows(principal: Principal, *columns: Any) -> Any:
    """``SELECT`` of request columns restricted to readable cases (for statistics)."""
    return readable_rows(Case, principal, *columns).join(
        CoopRequest, CoopRequest.case_id == Case.id)

"""Commitments: create, read, update, delete, link to programmes, and assess.

A commitment's current status is its latest assessment; ``assess`` appends one
to the history (who, when, status, rationale, evidence) and keeps the
commitment's ``status`` column in step in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, delete, exists, func, insert, or_, select
from sqlalchemy.orm import Session

from tocsin import trash
from tocsin.access import audit
from tocsin.access.handling import HANDLING_CODES, Handling
from tocsin.access.links import link_targets, linked
from tocsin.access.policy import (
    get_readable,
    list_readable,
    readable,
    require_write,
    storable_id,
    unguarded_select,
)
from tocsin.access.principal import Principal
from tocsin.access.tables import Unit
from tocsin.errors import InputError, NotFound, Problem
from tocsin.i18n import N_
from tocsin.reference.tables import RefInstrument, RefProvision
from tocsin.taskforce.commitments.tables import (
    STATUSES,
    Assessment,
    Commitment,
    assessment_activities,
    assessment_documents,
    commitment_activities,
    commitment_crime_areas,
    commitment_stages,
    commitment_structures,
)
from tocsin.taskforce.programmes.tables import Activity, Document
from tocsin.taskforce.programmes.vocabulary import Vocabulary
from tocsin.types.base import is_digits
from tocsin.types.names import Names

STATUS_LABELS = {
    "not_started": N_("not started"),
    "in_progress": N_("in progress"),
    "implemented": N_("implemented"),
    "ongoing": N_("ongoing"),
    "not_applicable": N_("not applicable"),
}
PRIORITY_LABELS = {1: N_("high"), 2: N_("medium"), 3: N_("low")}
#: Why a code check looks past the read rule: a clash must be reported whoever owns it.
UNIQUE_CODES = "commitment codes are unique across units"


class CommitmentSpec(BaseModel):
    """A commitment as plain data (the API body, the demo YAML entry)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="stable key, e.g. untoc:art13 or mc-dec-3-05:p2")
    instrument_code: str
    provision_key: str | None = None
    paragraph: str = ""
    summary: str
    priority: int = 2
    deadline: date | None = None
    crime_areas: list[str] = Field(default_factory=list)
    stages: list[str] = Field(default_factory=list)
    structures: list[str] = Field(default_factory=list)
    illustrative: bool = False
    handling: str | None = None
    owner_unit: str | None = None


@dataclass
class Links:
    crime_areas: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    structures: list[str] = field(default_factory=list)
    activity_ids: list[int] = field(default_factory=list)


def labels(session: Session) -> dict[str, Any]:
    """Names of the codes a commitment page shows and its form offers."""
    vocab = Vocabulary.load(session)
    instruments = {code: ident for code, ident in session.execute(
        select(RefInstrument.code, RefInstrument.identifier).order_by(RefInstrument.code))}
    # crime areas and stages are named in the page's language (the reference data's names)
    return {"crime_area": Names(vocab.crime_areas), "stage": Names(vocab.stages),
            "structure": vocab.structures, "instrument": instruments,
            "units": sorted(vocab.units), "statuses": STATUS_LABELS,
            "priorities": PRIORITY_LABELS}


def activity_ids(session: Session, principal: Principal, text: str, location: str) -> list[int]:
    """Activity ids from a form field of ids or identifiers separated by commas.

    An unknown identifier and one of an activity the principal may not read give
    the same problem at ``location``.
    """
    ids: list[int] = []
    problems: list[Problem] = []
    for token in (part.strip() for part in text.split(",")):
        if not token:
            continue
        if is_digits(token):
            ids.append(int(token))
            continue
        found = session.scalar(readable(Activity, principal).with_only_columns(Activity.id)
                               .where(Activity.identifier == token))
        if found is None:
            problems.append(Problem(location, N_("no activity %(identifier)s",
                                                 identifier=repr(token))))
        else:
            ids.append(found)
    if problems:
        raise InputError(problems)
    return ids


def check_commitment(session: Session, spec: CommitmentSpec, vocab: Vocabulary) -> list[Problem]:
    where = f"commitment {spec.code!r}"
    problems = []
    if not spec.code.strip() or spec.code != spec.code.strip():
        problems.append(Problem(f"{where}: code",
                                N_("the code is empty or has surrounding spaces")))
    if not spec.summary.strip():
        problems.append(Problem(f"{where}: summary", N_("the summary is empty")))
    if spec.priority not in (1, 2, 3):
        problems.append(Problem(f"{where}: priority", N_("priority %(priority)s is not 1-3",
                                                           priority=spec.priority)))
    if session.get(RefInstrument, spec.instrument_code) is None:
        problems.append(Problem(f"{where}: instrument_code",
                                N_("unknown instrument %(code)s",
                                   code=repr(spec.instrument_code))))
    if spec.provision_key:
        provision = session.get(RefProvision, spec.provision_key)
        if provision is None:
            problems.append(Problem(f"{where}: provision_key",
                                    N_("unknown provision %(code)s",
                                       code=repr(spec.provision_key))))
        elif provision.instrument_code != spec.instrument_code:
            problems.append(Problem(f"{where}: provision_key",
                                    N_("%(provision)s belongs to %(instrument)s, not "
                                       "%(given)s", provision=repr(spec.provision_key),
                                       instrument=repr(provision.instrument_code),
                                       given=repr(spec.instrument_code))))
    for name, known, label in (("crime_areas", vocab.crime_areas, N_("crime area")),
                               ("stages", vocab.stages, N_("justice-chain stage")),
                               ("structures", vocab.structures, N_("structure"))):
        codes = getattr(spec, name)
        for code in codes:
            if code not in known:
                problems.append(Problem(f"{where}: {name}", N_("unknown %(what)s %(code)s",
                                                               what=label, code=repr(code))))
        if len(set(codes)) != len(codes):
            problems.append(Problem(f"{where}: {name}", N_("listed twice: %(what)s",
                                                           what=label)))
    if spec.handling is not None and spec.handling not in HANDLING_CODES:
        problems.append(Problem(f"{where}: handling", N_("unknown handling %(code)s",
                                                           code=repr(spec.handling))))
    if spec.owner_unit is not None and spec.owner_unit not in vocab.units:
        problems.append(Problem(f"{where}: owner_unit", N_("unknown unit %(code)s",
                                                             code=repr(spec.owner_unit))))
    return problems


def _write_links(session: Session, commitment_id: int, spec: CommitmentSpec) -> None:
    for table, column, codes in ((commitment_crime_areas, "crime_area_code", spec.crime_areas),
                                 (commitment_stages, "stage_code", spec.stages),
                                 (commitment_structures, "structure_code", spec.structures)):
        session.execute(delete(table).where(table.c.commitment_id == commitment_id))
        if codes:
            session.execute(insert(table), [{"commitment_id": commitment_id, column: code}
                                            for code in codes])


def _fill(commitment: Commitment, spec: CommitmentSpec) -> None:
    commitment.code = spec.code
    commitment.instrument_code = spec.instrument_code
    commitment.provision_key = spec.provision_key
    commitment.paragraph = spec.paragraph
    commitment.summary = spec.summary
    commitment.priority = spec.priority
    commitment.deadline = spec.deadline
    commitment.illustrative = spec.illustrative


def create_commitment(session: Session, principal: Principal, spec: CommitmentSpec,
                      *, vocab: Vocabulary | None = None) -> Commitment:
    vocab = vocab or Vocabulary.load(session)
    problems = check_commitment(session, spec, vocab)
    if session.scalar(unguarded_select(Commitment.id, why=UNIQUE_CODES)
                      .where(Commitment.code == spec.code)):
        problems.append(Problem(f"commitment {spec.code!r}: code",
                                N_("another commitment already has this code")))
    unit_id = vocab.units.get(spec.owner_unit) if spec.owner_unit else principal.unit_id
    if unit_id is None:
        problems.append(Problem(f"commitment {spec.code!r}: owner_unit",
                                N_("say which unit owns the commitment")))
    if problems:
        raise InputError(problems)
    require_write(principal, unit_id)
    commitment = Commitment(owner_unit_id=unit_id, status="not_started",
                            handling=spec.handling or Handling.GREEN.value)
    _fill(commitment, spec)
    session.add(commitment)
    session.flush()
    _write_links(session, commitment.id, spec)
    audit.record(session, principal, "create", Commitment.record_type, commitment.id,
                 commitment.handling)
    return commitment


def update_commitment(session: Session, principal: Principal, commitment_id: int,
                      spec: CommitmentSpec) -> Commitment:
    commitment = get_commitment(session, principal, commitment_id)
    require_write(principal, commitment.owner_unit_id)
    vocab = Vocabulary.load(session)
    problems = check_commitment(session, spec, vocab)
    other = session.scalar(unguarded_select(Commitment.id, why=UNIQUE_CODES)
                           .where(Commitment.code == spec.code))
    if other is not None and other != commitment.id:
        problems.append(Problem(f"commitment {spec.code!r}: code",
                                N_("another commitment already has this code")))
    if problems:
        raise InputError(problems)
    if spec.owner_unit:
        unit_id = vocab.units[spec.owner_unit]
        require_write(principal, unit_id)
        commitment.owner_unit_id = unit_id
    _fill(commitment, spec)
    if spec.handling:
        commitment.handling = spec.handling
    _write_links(session, commitment.id, spec)
    session.flush()
    audit.record(session, principal, "update", Commitment.record_type, commitment.id,
                 commitment.handling)
    return commitment


def delete_commitment(session: Session, principal: Principal, commitment_id: int) -> None:
    commitment = get_commitment(session, principal, commitment_id)
    require_write(principal, commitment.owner_unit_id)
    audit.record(session, principal, "delete", Commitment.record_type, commitment.id,
                 commitment.handling, detail=f"{commitment.code} (moved to the trash)")
    trash.discard(session, principal, commitment, title=f"{commitment.code} — "
                  f"{commitment.summary}", handling=commitment.handling,
                  owner_unit_id=commitment.owner_unit_id)


def get_commitment(session: Session, principal: Principal, commitment_id: int) -> Commitment:
    return get_readable(session, Commitment, commitment_id, principal)


def get_by_code(session: Session, principal: Principal, code: str) -> Commitment:
    found = session.scalar(readable(Commitment, principal).with_only_columns(Commitment.id)
                           .where(Commitment.code == code))
    if found is None:
        raise NotFound.of('commitment', code)
    return get_commitment(session, principal, found)


def commitments_query(
    principal: Principal,
    *,
    instrument: str | None = None,
    crime_area: str | None = None,
    stage: str | None = None,
    structure: str | None = None,
    status: str | None = None,
    priority: int | None = None,
    text: str | None = None,
) -> Select[Commitment]:
    stmt = readable(Commitment, principal)
    if instrument:
        stmt = stmt.where(Commitment.instrument_code == instrument)
    if crime_area:
        stmt = stmt.where(exists().where(
            commitment_crime_areas.c.commitment_id == Commitment.id,
            commitment_crime_areas.c.crime_area_code == crime_area))
    if stage:
        stmt = stmt.where(exists().where(commitment_stages.c.commitment_id == Commitment.id,
                                         commitment_stages.c.stage_code == stage))
    if structure:
        stmt = stmt.where(exists().where(
            commitment_structures.c.commitment_id == Commitment.id,
            commitment_structures.c.structure_code == structure))
    if status:
        stmt = stmt.where(Commitment.status == status)
    if priority is not None:
        stmt = stmt.where(Commitment.priority == priority)
    if text:
        like = f"%{text.lower()}%"
        stmt = stmt.where(or_(func.lower(Commitment.summary).like(like),
                              func.lower(Commitment.code).like(like),
                              func.lower(Commitment.paragraph).like(like)))
    return stmt.order_by(Commitment.instrument_code, Commitment.code)


def list_commitments(
    session: Session,
    principal: Principal,
    *,
    instrument: str | None = None,
    crime_area: str | None = None,
    stage: str | None = None,
    structure: str | None = None,
    status: str | None = None,
    priority: int | None = None,
    text: str | None = None,
) -> Sequence[Commitment]:
    stmt = commitments_query(principal, instrument=instrument, crime_area=crime_area,
                             stage=stage, structure=structure, status=status,
                             priority=priority, text=text)
    return list_readable(session, stmt, principal)


def commitments_of_activity(session: Session, principal: Principal,
                            activity_id: int) -> Sequence[Commitment]:
    """Readable commitments an activity is linked to (the ones it helps implement)."""
    stmt = readable(Commitment, principal).where(exists().where(
        commitment_activities.c.commitment_id == Commitment.id,
        commitment_activities.c.activity_id == activity_id)).order_by(Commitment.code)
    return list_readable(session, stmt, principal)


def links(session: Session, commitment_ids: Iterable[int]) -> dict[int, Links]:
    """Crime areas, stages, structures and linked activity ids of each commitment.

    ``activity_ids`` holds every link, readable or not: pass it through
    :func:`tocsin.access.links.linked_ids` (or a readable query) before showing it.
    """
    ids = list(commitment_ids)
    out = {ident: Links() for ident in ids}
    if not ids:
        return out
    for table, column, attr in ((commitment_crime_areas, "crime_area_code", "crime_areas"),
                                (commitment_stages, "stage_code", "stages"),
                                (commitment_structures, "structure_code", "structures"),
                                (commitment_activities, "activity_id", "activity_ids")):
        rows = session.execute(select(table.c.commitment_id, table.c[column])
                               .where(table.c.commitment_id.in_(ids))
                               .order_by(table.c[column]))
        for commitment_id, value in rows:
            getattr(out[commitment_id], attr).append(value)
    return out


def to_spec(session: Session, commitment: Commitment) -> CommitmentSpec:
    found = links(session, [commitment.id])[commitment.id]
    unit = session.get(Unit, commitment.owner_unit_id)
    return CommitmentSpec(
        code=commitment.code, instrument_code=commitment.instrument_code,
        provision_key=commitment.provision_key, paragraph=commitment.paragraph,
        summary=commitment.summary, priority=commitment.priority,
        deadline=commitment.deadline, crime_areas=found.crime_areas, stages=found.stages,
        structures=found.structures, illustrative=commitment.illustrative,
        handling=commitment.handling, owner_unit=unit.code if unit else None,
    )


def _readable_activities(session: Session, principal: Principal,
                         activity_ids: Iterable[int], where: str) -> list[int]:
    ids = sorted(set(activity_ids))
    problems: list[Problem] = []
    link_targets(session, Activity, ids, principal, where, problems)
    if problems:
        raise InputError(problems)
    return ids


def link_activities(session: Session, principal: Principal, commitment_id: int,
                    activity_ids: Iterable[int]) -> list[int]:
    """Set the programmes and activities that implement a commitment.

    Links to activities the principal cannot read are left as they are: a
    user never removes what they cannot see.
    """
    commitment = get_commitment(session, principal, commitment_id)
    require_write(principal, commitment.owner_unit_id)
    wanted = _readable_activities(session, principal, activity_ids,
                                  f"commitment {commitment.code!r}: activities")
    current = links(session, [commitment.id])[commitment.id].activity_ids
    visible = {a.id for a in session.scalars(
        readable(Activity, principal).where(Activity.id.in_(current)))} if current else set()
    removed = visible - set(wanted)
    added = set(wanted) - set(current)
    if removed:
        session.execute(delete(commitment_activities).where(
            commitment_activities.c.commitment_id == commitment.id,
            commitment_activities.c.activity_id.in_(removed)))
    if added:
        session.execute(insert(commitment_activities), [
            {"commitment_id": commitment.id, "activity_id": a} for a in sorted(added)])
    audit.record(session, principal, "update", Commitment.record_type, commitment.id,
                 commitment.handling, detail=f"linked activities {sorted(wanted)}")
    return sorted((set(current) - removed) | added)


def assess(
    session: Session,
    principal: Principal,
    commitment_id: int,
    status: str,
    rationale: str,
    *,
    evidence_activities: Iterable[int] = (),
    evidence_documents: Iterable[int] = (),
) -> Assessment:
    """Record an assessment; it becomes the commitment's current status."""
    commitment = get_commitment(session, principal, commitment_id)
    require_write(principal, commitment.owner_unit_id)
    where = f"commitment {commitment.code!r}"
    problems = []
    if status not in STATUSES:
        problems.append(Problem(f"{where}: status", N_(
            "unknown status %(status)s; use one of %(known)s", status=repr(status),
            known=", ".join(STATUSES))))
    if not rationale.strip():
        problems.append(Problem(f"{where}: rationale", N_("say why (the rationale is empty)")))
    if problems:
        raise InputError(problems)
    activity_ids = _readable_activities(session, principal, evidence_activities,
                                        f"{where}: evidence_activities")
    document_ids = sorted(set(evidence_documents))
    for ident in document_ids:
        document = session.get(Document, ident) if storable_id(ident) else None
        parent = linked(session, Activity, document.activity_id if document else None,
                        principal)
        if parent is None:
            raise InputError.single(f"{where}: evidence_documents",
                                    N_("no document with id %(id)s", id=ident))
    assessment = Assessment(user_id=principal.user_id, username=principal.username,
                            status=status, rationale=rationale.strip())
    # through the loaded collection, so code reading the history during the flush sees it
    commitment.assessments.append(assessment)
    session.flush()
    if activity_ids:
        session.execute(insert(assessment_activities), [
            {"assessment_id": assessment.id, "activity_id": a} for a in activity_ids])
    if document_ids:
        session.execute(insert(assessment_documents), [
            {"assessment_id": assessment.id, "document_id": d} for d in document_ids])
    commitment.status = status
    audit.record(session, principal, "update", Commitment.record_type, commitment.id,
                 commitment.handling, detail=f"assessed {status}")
    session.flush()
    return assessment


@dataclass
class AssessmentView:
    assessment: Assessment
    activity_ids: list[int]
    document_ids: list[int]


def history(session: Session, principal: Principal, commitment_id: int) -> list[AssessmentView]:
    """Every assessment, newest first, with the evidence the principal may see."""
    commitment = get_commitment(session, principal, commitment_id)
    rows = session.scalars(select(Assessment).where(Assessment.commitment_id == commitment.id)
                           .order_by(Assessment.id.desc())).all()
    ids = [a.id for a in rows]
    acts: dict[int, list[int]] = {i: [] for i in ids}
    docs: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        visible = readable(Activity, principal).with_only_columns(Activity.id)
        for a_id, act in session.execute(
                select(assessment_activities.c.assessment_id, assessment_activities.c.activity_id)
                .where(assessment_activities.c.assessment_id.in_(ids),
                       assessment_activities.c.activity_id.in_(visible))):
            acts[a_id].append(act)
        for a_id, doc in session.execute(
                select(assessment_documents.c.assessment_id, assessment_documents.c.document_id)
                .join(Document, Document.id == assessment_documents.c.document_id)
                .where(assessment_documents.c.assessment_id.in_(ids),
                       Document.activity_id.in_(visible))):
            docs[a_id].append(doc)
    return [AssessmentView(a, sorted(acts[a.id]), sorted(docs[a.id])) for a in rows]

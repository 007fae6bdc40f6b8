"""Screening: subjects against the active list versions, judgements, re-screens and alerts.

:func:`screen_entities` is the one entry point every caller uses (the form, the
API, batch jobs, cases, the listed-party detector). It matches each subject
against the active version of each list through the list's blocking index
(built once per version and kept in memory), explains every score feature by
feature, and applies the judgements analysts made on earlier screens of the same
subject: an entry judged *no match* is never reported as a match again, one
judged *match* always is. Subjects screened by a user with a unit are kept
(:class:`~tocsin.screening.tables.ScreenedSubject`, guarded by the handling
code of where they came from) so that a new list version re-screens them
against the entries it added or changed only and raises alerts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from followthemoney.proxy import EntityProxy
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from tocsin.access import audit
from tocsin.access.handling import HANDLING_CODES
from tocsin.access.policy import (
    get_readable,
    list_readable,
    readable,
    readable_rows,
    require_write,
    unguarded_select,
)
from tocsin.access.principal import Principal
from tocsin.access.roles import ROLE_LABELS, Action, Role
from tocsin.errors import InputError, NotFound, PermissionDenied
from tocsin.i18n import N_
from tocsin.screening import matching
from tocsin.screening.tables import (
    Alert,
    EntryChange,
    Judgement,
    ListEntry,
    ListVersion,
    MatchRow,
    ScreenedSubject,
    ScreeningList,
)

VERDICTS = ("match", "no_match", "unsure")
#: Candidates scored per subject and list (the rest of the list is never compared).
CANDIDATES = 30
#: Results returned per subject and list.
LIMIT = 10
#: Entities accepted by one call (a batch job sends them in chunks).
MAX_SUBJECTS = 1000


# --------------------------------------------------------------------------- indexes


_INDEXES: dict[tuple[str, int, str, int], matching.Index] = {}
_LOCK = threading.Lock()
#: Indexes kept in memory (one per active version of a list).
KEEP_INDEXES = 8


def _build_index(rows: Iterable[tuple[str, str, dict[str, Any], str, str | None, str]]
                 ) -> matching.Index:
    entries = []
    for entity_id, caption, entity, programme, listed_on, reference in rows:
        proxy = matching.entity_from_dict(entity)
        entries.append(matching.IndexEntry(entity_id, caption, matching.prepare(proxy),
                                           {"programme": programme, "listed_on": listed_on,
                                            "reference": reference}))
    return matching.Index(entries)


def index_for(session: Session, version_id: int) -> matching.Index:
    """The blocking index of a list version (built on first use, then kept)."""
    version = session.get(ListVersion, version_id)
    if version is None:
        raise NotFound.of('list version', version_id)
    # ids are unique within one database only; the file's digest tells versions apart
    key = (session.get_bind().engine.url.render_as_string(hide_password=True), version_id,
           version.sha256, version.entry_count)
    with _LOCK:
        found = _INDEXES.get(key)
    if found is not None:
        return found
    rows = session.execute(select(ListEntry.entity_id, ListEntry.caption, ListEntry.entity,
                                  ListEntry.programme, ListEntry.listed_on,
                                  ListEntry.reference)
                           .where(ListEntry.version_id == version_id)
                           .order_by(ListEntry.id))
    index = _build_index(tuple(r) for r in rows)
    with _LOCK:
        while len(_INDEXES) >= KEEP_INDEXES:
            _INDEXES.pop(next(iter(_INDEXES)))
        _INDEXES[key] = index
    return index


def _active_lists(session: Session, keys: Sequence[str] | None) -> list[ScreeningList]:
    stmt = select(ScreeningList).where(ScreeningList.active_version_id.is_not(None)) \
        .order_by(ScreeningList.key)
    found = list(session.scalars(stmt))
    if keys:
        wanted = {k.strip().lower() for k in keys if k.strip()}
        unknown = wanted - {item.key for item in found}
        if unknown:
            raise NotFound(f"no list {', '.join(sorted(unknown))} with an active version")
        found = [item for item in found if item.key in wanted]
    return found


# --------------------------------------------------------------------------- subjects


def as_entity(value: EntityProxy | Mapping[str, Any], where: str = "entity") -> EntityProxy:
    """An FtM entity from a proxy or ``{"id", "schema", "properties"}``; clear errors."""
    if isinstance(value, EntityProxy):
        proxy = value
    else:
        if not isinstance(value, Mapping) or not value.get("schema"):
            raise InputError.single(where, N_("an entity needs a schema (Person, Company…)"))
        properties = value.get("properties") or {}
        if not isinstance(properties, Mapping):
            raise InputError.single(f"{where}.properties", N_("must be an object of lists"))
        clean = {k: ([v] if isinstance(v, str) else [str(x) for x in v if x is not None])
                 for k, v in properties.items() if v is not None}
        try:
            proxy = matching.entity_from_dict({"id": value.get("id"),
                                               "schema": value["schema"],
                                               "properties": clean})
        except Exception as exc:  # followthemoney raises several kinds
            raise InputError.single(where, N_("not a FollowTheMoney entity (%(why)s)",
                                              why=str(exc))) from None
    if not proxy.schema.is_a("Thing"):
        raise InputError.single(f"{where}.schema", N_(
            "%(schema)s cannot be screened; use Person, Company, Organization…",
            schema=proxy.schema.name))
    if not proxy.get_type_values(_name_type()):
        raise InputError.single(f"{where}.properties.name", N_("a subject needs a name"))
    if not proxy.id:
        proxy.make_id("subject", proxy.schema.name, *sorted(proxy.names),
                      *proxy.get("birthDate", quiet=True))
    return proxy


def _name_type() -> Any:
    from followthemoney.types import registry

    return registry.name


def _remember(session: Session, principal: Principal, proxies: Sequence[EntityProxy],
              handling: str, origin: str) -> list[ScreenedSubject | None]:
    """Keep the subjects in the principal's unit (one query for the lot); ``None`` for a
    subject the unit keeps under a handling code this principal may not read."""
    if principal.unit_id is None:
        return [None] * len(proxies)
    keys = [str(p.id)[:200] for p in proxies]
    found: dict[str, ScreenedSubject] = {}
    for start in range(0, len(keys), 500):
        part = keys[start:start + 500]
        found.update((s.subject_key, s) for s in session.scalars(
            readable(ScreenedSubject, principal).where(
                ScreenedSubject.owner_unit_id == principal.unit_id,
                ScreenedSubject.subject_key.in_(part))))
        hidden = set(session.scalars(unguarded_select(
            ScreenedSubject.subject_key, why="a subject key is unique within a unit").where(
            ScreenedSubject.owner_unit_id == principal.unit_id,
            ScreenedSubject.subject_key.in_(part)))) - set(found)
        for key in hidden:
            found[key] = None  # type: ignore[assignment]
    now = datetime.now(UTC)
    out: list[ScreenedSubject | None] = []
    for proxy, key in zip(proxies, keys, strict=True):
        properties = {k: sorted(v) for k, v in proxy.properties.items()}
        subject = found.get(key, _MISSING)
        if subject is None:
            out.append(None)
            continue
        if subject is _MISSING:
            subject = ScreenedSubject(subject_key=key, schema=proxy.schema.name,
                                      caption=str(proxy.caption)[:500], properties=properties,
                                      origin=origin[:200], handling=handling,
                                      owner_unit_id=principal.unit_id, screened_at=now)
            session.add(subject)
            found[key] = subject
        else:
            subject.properties, subject.schema = properties, proxy.schema.name
            subject.caption = str(proxy.caption)[:500]
            subject.screened_at = now
        out.append(subject)
    session.flush()
    return out


_MISSING: Any = object()


# --------------------------------------------------------------------------- screening


@dataclass
class Result:
    """One list entry found for a subject, explained."""

    list_key: str
    entity_id: str
    caption: str
    schema: str
    score: float
    #: match, review, or how a judgement settled it: confirmed, dismissed, unsure.
    band: str
    explained: matching.Explained
    entity: Mapping[str, Any]
    programme: str = ""
    listed_on: str | None = None
    reference: str = ""
    judgement: dict[str, Any] | None = None

    @property
    def is_match(self) -> bool:
        return self.band in ("match", "confirmed")

    def to_dict(self) -> dict[str, Any]:
        return {"list": self.list_key, "entity_id": self.entity_id, "caption": self.caption,
                "schema": self.schema, "score": self.score, "band": self.band,
                "match": self.is_match, "features": self.explained.features_dict(),
                "reason": self.explained.reason(), "programme": self.programme,
                "listed_on": self.listed_on, "reference": self.reference,
                "judgement": self.judgement,
                "properties": dict(self.entity.get("properties", {}))}


@dataclass
class SubjectResult:
    """What a screen found for one subject."""

    subject_key: str
    caption: str
    schema: str
    subject_id: int | None
    results: list[Result] = field(default_factory=list)

    @property
    def matches(self) -> list[Result]:
        return [r for r in self.results if r.is_match]

    def to_dict(self) -> dict[str, Any]:
        return {"subject": self.subject_key, "caption": self.caption, "schema": self.schema,
                "subject_id": self.subject_id,
                "results": [r.to_dict() for r in self.results],
                "matches": len(self.matches)}


def _bands(principal_settings: tuple[float | None, float | None]) -> tuple[float, float]:
    threshold, review = principal_settings
    if threshold is None or review is None:
        from tocsin.settings import get_settings

        settings = get_settings()
        threshold = settings.screening_threshold if threshold is None else threshold
        review = settings.screening_review if review is None else review
    if not 0.0 < threshold <= 1.0:
        raise InputError.single("threshold", N_("must be above 0 and at most 1"))
    if not 0.0 < review <= threshold:
        raise InputError.single("review", N_("the review band starts above 0 and at most at "
                                             "the threshold"))
    return float(threshold), float(review)


def _judgements(session: Session, subject_ids: Sequence[int]
                ) -> dict[tuple[int, str, str], Judgement]:
    if not subject_ids:
        return {}
    rows = session.scalars(select(Judgement).where(Judgement.subject_id.in_(subject_ids)))
    return {(j.subject_id, j.list_key, j.entity_id): j for j in rows}


def judgement_view(item: Judgement) -> dict[str, Any]:
    return {"verdict": item.verdict, "by": item.username, "note": item.note,
            "at": _aware(item.judged_at).isoformat(timespec="seconds")}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def screen_entities(session: Session, principal: Principal,
                    entities: Sequence[EntityProxy | Mapping[str, Any]], *,
                    lists: Sequence[str] | None = None, threshold: float | None = None,
                    review: float | None = None, handling: str = "AMBER",
                    origin: str = "api", remember: bool = True,
                    limit: int = LIMIT) -> list[SubjectResult]:
    """Screen FollowTheMoney entities against the active version of each list.

    ``entities`` are proxies or ``{"id", "schema", "properties"}`` dicts. Each
    result lists the entries at or above the review band (``review``) with
    ``band`` ``match`` (at or above ``threshold``) or ``review``, or — when an
    analyst judged the pair before — ``confirmed``, ``dismissed`` or ``unsure``;
    every score is explained feature by feature. With ``remember`` (and a
    principal who belongs to a unit) the subjects are kept under ``handling``
    so that judgements and re-screens of new list versions apply to them.
    """
    threshold, review = _bands((threshold, review))
    if handling not in HANDLING_CODES:
        raise InputError.single("handling", N_("use one of %(allowed)s",
                                               allowed=", ".join(HANDLING_CODES)))
    if len(entities) > MAX_SUBJECTS:
        raise InputError.single("entities", N_("at most %(most)s subjects per screen; screen "
                                               "a transaction set as a batch job",
                                               most=MAX_SUBJECTS))
    proxies = [as_entity(e, f"entities[{i}]") for i, e in enumerate(entities)]
    active = _active_lists(session, lists)
    subjects = _remember(session, principal, proxies, handling, origin) if remember \
        else [None] * len(proxies)
    kept: dict[int, list[Result]] = {}
    indexes = {x.key: index_for(session, x.active_version_id) for x in active
               if x.active_version_id is not None}
    judged = _judgements(session, [s.id for s in subjects if s is not None])
    out: list[SubjectResult] = []
    for proxy, subject in zip(proxies, subjects, strict=True):
        prepared = matching.prepare(proxy, query=True)
        item = SubjectResult(str(proxy.id), str(proxy.caption), proxy.schema.name,
                             subject.id if subject is not None else None)
        for listing in active:
            index = indexes[listing.key]
            found = {e.entity_id: (e, x) for e, x in index.match(
                prepared, limit=limit, candidates=CANDIDATES, cutoff=review)}
            if subject is not None:  # a confirmed match is shown even when it scores low
                for (sid, key, entity_id), earlier in judged.items():
                    if sid == subject.id and key == listing.key and entity_id not in found \
                            and earlier.verdict == "match":
                        entry = next((e for e in index.entries if e.entity_id == entity_id),
                                     None)
                        if entry is not None:
                            found[entity_id] = (entry, matching.score(prepared,
                                                                      entry.prepared))
            for entity_id, (entry, explained) in found.items():
                band = "match" if explained.score >= threshold else "review"
                judgement: Judgement | None = judged.get(
                    (subject.id, listing.key, entity_id)) if subject is not None else None
                if judgement is not None:
                    band = {"match": "confirmed", "no_match": "dismissed",
                            "unsure": "unsure"}[judgement.verdict]
                item.results.append(Result(
                    listing.key, entity_id, entry.caption, entry.prepared.schema.name,
                    explained.score, band, explained,
                    {"id": entity_id, "schema": entry.prepared.schema.name,
                     "properties": {k: sorted(v) for k, v in
                                    entry.prepared.proxy.properties.items()}},
                    str(entry.data.get("programme") or ""), entry.data.get("listed_on"),
                    str(entry.data.get("reference") or ""),
                    judgement_view(judgement) if judgement is not None else None))
            if subject is not None:
                kept.setdefault(subject.id, []).extend(
                    r for r in item.results if r.list_key == listing.key)
        item.results.sort(key=lambda r: (r.band == "dismissed", -r.score, r.list_key,
                                         r.entity_id))
        out.append(item)
    for listing in active:
        _keep_matches(session, listing, kept)
    audit.record(session, principal, "read", "screening", "",
                 detail=f"screened {len(proxies)} subject(s) against "
                        f"{', '.join(x.key for x in active) or 'no list'} ({origin})")
    return out


def _keep_matches(session: Session, listing: ScreeningList,
                  kept: Mapping[int, Sequence[Result]]) -> None:
    """Replace the kept candidates of these subjects on this list by those of this screen."""
    ids = list(kept)
    for start in range(0, len(ids), 500):
        session.execute(delete(MatchRow).where(MatchRow.subject_id.in_(ids[start:start + 500]),
                                               MatchRow.list_key == listing.key))
    now = datetime.now(UTC)
    rows = [{"subject_id": subject_id, "list_key": listing.key, "entity_id": r.entity_id,
             "version_id": listing.active_version_id, "caption": r.caption[:500],
             "score": r.score, "band": r.band[:10], "features": r.explained.features_dict(),
             "screened_at": now}
            for subject_id, results in kept.items() for r in results
            if r.list_key == listing.key]
    for start in range(0, len(rows), 1000):
        session.execute(insert(MatchRow), rows[start:start + 1000])


# --------------------------------------------------------------------------- judgements


def get_subject(session: Session, principal: Principal, subject_id: int) -> ScreenedSubject:
    return get_readable(session, ScreenedSubject, subject_id, principal)


def judge(session: Session, principal: Principal, subject_id: int, list_key: str,
          entity_id: str, verdict: str, note: str = "") -> Judgement:
    """Record (or change) the verdict on one subject and one list entry."""
    if not principal.can(Action.JUDGE):
        raise PermissionDenied(N_("role %(role)s may not judge matches",
                                  role=ROLE_LABELS[principal.role]))
    if verdict not in VERDICTS:
        raise InputError.single("verdict", N_("use one of %(allowed)s",
                                              allowed=", ".join(VERDICTS)))
    subject = get_subject(session, principal, subject_id)
    require_write(principal, subject.owner_unit_id)  # judgements belong to the unit
    listing = session.scalars(select(ScreeningList).where(
        ScreeningList.key == list_key.strip().lower()[:60])).first()
    if listing is None:
        raise NotFound.of('list', list_key)
    entity_id = entity_id.strip()[:200]
    known = session.scalar(select(ListEntry.id).join(
        ListVersion, ListVersion.id == ListEntry.version_id).where(
        ListVersion.list_id == listing.id, ListEntry.entity_id == entity_id).limit(1))
    if known is None:
        raise NotFound(f"entry {entity_id} of list {listing.key} not found")
    found = session.scalars(select(Judgement).where(
        Judgement.subject_id == subject.id, Judgement.list_key == listing.key,
        Judgement.entity_id == entity_id)).first()
    if found is None:
        found = Judgement(subject_id=subject.id, list_key=listing.key, entity_id=entity_id,
                          verdict=verdict, user_id=principal.user_id,
                          username=principal.username, note=note.strip()[:4000])
        session.add(found)
    else:
        found.verdict, found.note = verdict, note.strip()[:4000]
        found.user_id, found.username = principal.user_id, principal.username
        found.judged_at = datetime.now(UTC)
    band = {"match": "confirmed", "no_match": "dismissed", "unsure": "unsure"}[verdict]
    for row in session.scalars(select(MatchRow).where(
            MatchRow.subject_id == subject.id, MatchRow.list_key == listing.key,
            MatchRow.entity_id == entity_id)):
        row.band = band
    if verdict == "no_match":
        for alert in session.scalars(select(Alert).where(
                Alert.subject_id == subject.id, Alert.list_key == listing.key,
                Alert.entity_id == entity_id, Alert.status == "open")):
            alert.status, alert.closed_by = "closed", principal.username
    audit.record(session, principal, "update", subject.record_type, subject.id,
                 subject.handling, detail=f"judged {listing.key}:{entity_id} {verdict}")
    session.flush()
    return found


def subjects(session: Session, principal: Principal, limit: int = 200
             ) -> list[ScreenedSubject]:
    stmt = readable(ScreenedSubject, principal).order_by(
        ScreenedSubject.screened_at.desc(), ScreenedSubject.id.desc()).limit(limit)
    return list(list_readable(session, stmt, principal))


def subject_view(session: Session, principal: Principal, subject_id: int) -> dict[str, Any]:
    """A kept subject with its latest candidates, judgements and alerts."""
    subject = get_subject(session, principal, subject_id)
    matches = session.scalars(select(MatchRow).where(MatchRow.subject_id == subject.id)
                              .order_by(MatchRow.score.desc()))
    judged = _judgements(session, [subject.id])
    return {
        "id": subject.id, "key": subject.subject_key, "caption": subject.caption,
        "schema": subject.schema, "properties": subject.properties,
        "origin": subject.origin, "handling": subject.handling,
        "screened_at": _aware(subject.screened_at).isoformat(timespec="seconds"),
        "matches": [{"list": m.list_key, "entity_id": m.entity_id, "caption": m.caption,
                     "score": m.score, "band": m.band, "features": m.features,
                     "judgement": judgement_view(j) if (j := judged.get(
                         (subject.id, m.list_key, m.entity_id))) else None}
                    for m in matches],
        "judgements": [{"list": k[1], "entity_id": k[2], **judgement_view(j)}
                       for k, j in sorted(judged.items())],
    }


# --------------------------------------------------------------------------- re-screening


@dataclass
class RescreenReport:
    version_id: int
    entries: int
    subjects: int
    alerts: int


def rescreen_version(session: Session, version_id: int, *, threshold: float | None = None,
                     review: float | None = None) -> RescreenReport:
    """Screen every kept subject against the entries a version added or changed; alert.

    Runs for the platform (every unit's subjects), right after an import, in
    its transaction. A pair judged *no match* raises no alert; an alert
    already open for the same pair is not repeated.
    """
    threshold, review = _bands((threshold, review))
    version = session.get(ListVersion, version_id)
    if version is None:
        raise NotFound.of('list version', version_id)
    listing = session.get(ScreeningList, version.list_id)
    assert listing is not None
    changed = {c.entity_id: c.change for c in session.scalars(
        select(EntryChange).where(EntryChange.version_id == version_id,
                                  EntryChange.change.in_(("added", "changed"))))}
    if not changed:
        return RescreenReport(version_id, 0, 0, 0)
    rows = session.execute(select(ListEntry.entity_id, ListEntry.caption, ListEntry.entity,
                                  ListEntry.programme, ListEntry.listed_on,
                                  ListEntry.reference)
                           .where(ListEntry.version_id == version_id,
                                  ListEntry.entity_id.in_(list(changed))))
    index = _build_index(tuple(r) for r in rows)
    kept = session.execute(unguarded_select(
        ScreenedSubject.id, ScreenedSubject.schema, ScreenedSubject.subject_key,
        ScreenedSubject.properties,
        why="re-screening runs for the platform; alerts are shown through the read rule")
        .order_by(ScreenedSubject.id)).all()
    judged = {(j.subject_id, j.entity_id): j.verdict for j in session.scalars(
        select(Judgement).where(Judgement.list_key == listing.key,
                                Judgement.entity_id.in_(list(changed))))}
    open_alerts = {(a.subject_id, a.entity_id) for a in session.scalars(
        select(Alert).where(Alert.list_key == listing.key, Alert.status == "open"))}
    count = 0
    for subject_id, schema, key, properties in kept:
        proxy = matching.entity_from_dict({"id": key, "schema": schema,
                                           "properties": properties})
        prepared = matching.prepare(proxy, query=True)
        for entry, explained in index.match(prepared, limit=LIMIT, candidates=CANDIDATES,
                                            cutoff=review):
            verdict = judged.get((subject_id, entry.entity_id))
            if verdict == "no_match" or (subject_id, entry.entity_id) in open_alerts:
                continue
            band = "match" if explained.score >= threshold else "review"
            if verdict == "match":
                band = "confirmed"
            session.execute(delete(MatchRow).where(
                MatchRow.subject_id == subject_id, MatchRow.list_key == listing.key,
                MatchRow.entity_id == entry.entity_id))
            session.add(MatchRow(subject_id=subject_id, list_key=listing.key,
                                 entity_id=entry.entity_id, version_id=version_id,
                                 caption=entry.caption[:500], score=explained.score,
                                 band=band, features=explained.features_dict()))
            session.add(Alert(subject_id=subject_id, version_id=version_id,
                              list_key=listing.key, entity_id=entry.entity_id,
                              caption=entry.caption[:500], score=explained.score,
                              change=changed[entry.entity_id]))
            count += 1
    session.flush()
    return RescreenReport(version_id, len(changed), len(kept), count)


def alerts(session: Session, principal: Principal, *, status: str = "open",
           limit: int = 100) -> list[dict[str, Any]]:
    """Alerts about the subjects of the principal's unit (an administrator: every unit)
    that the principal may read, newest first."""
    stmt = (readable_rows(ScreenedSubject, principal, Alert, ScreenedSubject)
            .join(ScreenedSubject, ScreenedSubject.id == Alert.subject_id)
            .where(Alert.status == status)
            .order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit))
    if principal.role is not Role.ADMINISTRATOR:
        stmt = stmt.where(ScreenedSubject.owner_unit_id == principal.unit_id)
    out = []
    rows = session.execute(stmt).all()
    audit.record_reads(session, principal, [s for _a, s in rows])
    for alert, subject in rows:
        out.append({"id": alert.id, "subject_id": subject.id, "subject": subject.caption,
                    "list": alert.list_key, "entity_id": alert.entity_id,
                    "entry": alert.caption, "score": alert.score, "change": alert.change,
                    "status": alert.status,
                    "created": _aware(alert.created_at).isoformat(timespec="seconds")})
    return out


def close_alert(session: Session, principal: Principal, alert_id: int) -> None:
    alert = session.get(Alert, alert_id) if 0 < alert_id < 2**63 else None
    if alert is None:
        raise NotFound.of('alert', alert_id)
    subject = get_subject(session, principal, alert.subject_id)  # NotFound if unreadable
    if not principal.can(Action.JUDGE):
        raise PermissionDenied(N_("role %(role)s may not close alerts",
                                  role=ROLE_LABELS[principal.role]))
    require_write(principal, subject.owner_unit_id)
    alert.status, alert.closed_by = "closed", principal.username
    audit.record(session, principal, "update", subject.record_type, subject.id,
                 subject.handling, detail=f"closed screening alert {alert.id}")


def import_list(session: Session, principal: Principal, fmt: str, sources: Sequence[Any], *,
                key: str | None = None, title: str | None = None
                ) -> tuple[Any, RescreenReport]:
    """Import a list version (:func:`tocsin.screening.lists.import_list`), then re-screen
    the kept subjects against what it added or changed, in the same transaction."""
    from tocsin.screening import lists

    report = lists.import_list(session, principal, fmt, sources, key=key, title=title)
    return report, rescreen_version(session, report.version_id)

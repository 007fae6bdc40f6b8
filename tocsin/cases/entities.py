"""FollowTheMoney entities into a case: people, companies, bank accounts and crypto wallets
become subjects; nothing else is dropped silently.

A case holds subjects of the schemata :data:`~tocsin.cases.tables.SUBJECT_SCHEMAS`, each
with the properties FollowTheMoney allows. An import (a JSON-lines file, OpenSanctions
and Aleph exports included) is read and checked whole first: a line that is not JSON or
not an entity, an unknown schema or an invalid value of a subject's property is refused
naming the file, line and property, and nothing is written. What the case cannot hold —
entities of other schemata (Ownership, Payment, Address, Organization…), links from a
subject to other entities, a subject already in the case — is listed by line with the
reason, returned to the caller and kept as a note of the case, so the import's report
stays with the case.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from followthemoney import model
from sqlalchemy.orm import Session

from tocsin.access.principal import Principal
from tocsin.cases.records import audit_case, entity, writable_case
from tocsin.cases.tables import SUBJECT_SCHEMAS, CaseNote, Subject
from tocsin.errors import InputError, Problem, located
from tocsin.i18n import N_, Joined, N_plural
from tocsin.screening.readers.ftm import entity_problem

#: Most entities one import takes (a case's subjects are people, not a registry).
MAX_ENTITIES = 5_000
#: Longest line read, in bytes.
MAX_LINE = 1 << 20
#: Left-out entities named one by one in the case's note; more are counted.
NOTE_ITEMS = 200


@dataclass
class EntityImport:
    """What an import added and what it left out (location and reason)."""

    source: str
    added: list[Subject] = field(default_factory=list)
    left_out: list[Problem] = field(default_factory=list)

    def summary(self) -> str:
        """English as text (the case's note keeps it), in the reader's language shown."""
        if not self.left_out:
            return N_plural("FollowTheMoney import of %(source)s: %(count)s subject added.",
                            "FollowTheMoney import of %(source)s: %(count)s subjects added.",
                            len(self.added), source=self.source, count=len(self.added))
        items: list[str] = [located(p.location, p.reason) for p in self.left_out[:NOTE_ITEMS]]
        more = len(self.left_out) - NOTE_ITEMS
        if more > 0:
            items.append(N_("and %(count)s more", count=more))
        return N_plural("FollowTheMoney import of %(source)s: %(count)s subject added; "
                        "%(left)s:\n- %(items)s",
                        "FollowTheMoney import of %(source)s: %(count)s subjects added; "
                        "%(left)s:\n- %(items)s", len(self.added), source=self.source,
                        count=len(self.added), items=Joined(items, "\n- "),
                        left=N_plural("%(count)s entity not held by the case",
                                      "%(count)s entities not held by the case",
                                      len(self.left_out), count=len(self.left_out)))


def read_lines(data: bytes, source: str) -> list[tuple[str, dict[str, Any]]]:
    """The entities of a JSON-lines file as ``(file:line, object)``; a bad line is refused."""
    problems: list[Problem] = []
    out: list[tuple[str, dict[str, Any]]] = []
    for number, raw in enumerate(data.splitlines(), start=1):
        where = f"{source}:{number}"
        if not raw.strip():
            continue
        if len(raw) > MAX_LINE:
            problems.append(Problem(where, N_("line longer than %(most)s bytes",
                                              most=f"{MAX_LINE:,}")))
            continue
        try:
            item = json.loads(raw)
        except ValueError as exc:
            problems.append(Problem(where, N_("not JSON (%(why)s)", why=str(exc))))
            continue
        problem = entity_problem(item, where)
        if problem is not None:
            problems.append(problem)
            continue
        out.append((where, item))
        if len(out) > MAX_ENTITIES:
            raise InputError.single(source, N_("more than %(most)s entities",
                                               most=f"{MAX_ENTITIES:,}"))
        if len(problems) >= 100:
            break
    if problems:
        raise InputError(problems, summary=N_plural(
            "%(source)s: %(count)s bad line; nothing was imported",
            "%(source)s: %(count)s bad lines; nothing was imported", len(problems),
            source=source, count=len(problems)))
    if not out:
        raise InputError.single(source, N_("no entities in the file"))
    return out


def _caption(item: dict[str, Any]) -> str:
    props = item.get("properties") or {}
    for key in ("name", "accountNumber", "iban", "publicKey"):
        values = props.get(key) if isinstance(props, dict) else None
        if isinstance(values, list) and values:
            return str(values[0])[:80]
    return str(item.get("caption") or item.get("id"))[:80]


def import_entities(session: Session, principal: Principal, case_id: int,
                    items: Sequence[tuple[str, dict[str, Any]]], source: str) -> EntityImport:
    """Add the subjects among ``items`` to the case; report (and note) the rest."""
    case = writable_case(session, principal, case_id)
    result = EntityImport(source)
    problems: list[Problem] = []
    known = {(s.schema, s.caption) for s in case.subjects}
    planned: list[Subject] = []
    for where, item in items:
        schema = model.get(str(item["schema"]))
        if schema is None:
            problems.append(Problem(f"{where}.schema", N_(
                "%(value)s is not a FollowTheMoney schema", value=repr(item["schema"]))))
            continue
        properties = item.get("properties") or {}
        if not isinstance(properties, dict):
            problems.append(Problem(f"{where}.properties", N_("must be an object of lists")))
            continue
        label = f"{schema.name} {_caption(item)!r} ({item['id']})"
        if schema.name not in SUBJECT_SCHEMAS:
            result.left_out.append(Problem(where, N_(
                "%(entity)s: a case holds %(schemas)s as subjects", entity=label,
                schemas=", ".join(SUBJECT_SCHEMAS))))
            continue
        kept: dict[str, list[str]] = {}
        links: list[str] = []
        for name, values in properties.items():
            prop = schema.get(name)
            values = values if isinstance(values, list) else [values]
            if prop is not None and prop.type.name == "entity":
                links.append(name)
                continue
            kept[name] = [str(v) for v in values if v is not None]
        before = len(problems)
        cleaned, caption = entity(schema.name, kept, where, problems)
        if len(problems) > before:
            continue
        if (schema.name, caption) in known:
            result.left_out.append(Problem(where, N_("%(entity)s: already a subject of the "
                                                     "case", entity=label)))
            continue
        known.add((schema.name, caption))
        if links:
            result.left_out.append(Problem(where, N_(
                "%(entity)s: links %(links)s not kept (link records as case links)",
                entity=label, links=", ".join(sorted(links)))))
        planned.append(Subject(schema=schema.name, caption=caption[:300], properties=cleaned))
    if problems:
        raise InputError(problems, summary=N_plural(
            "%(count)s problem in %(source)s; nothing was imported",
            "%(count)s problems in %(source)s; nothing was imported", len(problems),
            count=len(problems), source=source))
    for subject in planned:
        case.subjects.append(subject)
    result.added = planned
    case.notes.append(CaseNote(text=result.summary(), author=principal.username))
    session.flush()
    audit_case(session, principal, case,
               f"FollowTheMoney import of {source}: {len(planned)} subject(s), "
               f"{len(result.left_out)} left out")
    return result

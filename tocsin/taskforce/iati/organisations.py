"""Import IATI organisation files (``iati-organisations``) into the partners registry.

Each ``iati-organisation`` is linked to a partner: the one it was linked to by an
earlier import, else a partner the importer can read whose reference organization
matches, or whose name does and that no organisation of another identifier is linked
to, else a new partner. Its budgets (total, per recipient
organisation, region and country) and total expenditure are kept as typed
rows, with the recipient's name as published; the element itself (documents,
budget lines, every narrative) is kept as published, and the report counts what
is kept only there. All of a file, or on any problem nothing.
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from lxml import etree
from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from tocsin import types
from tocsin.access import audit
from tocsin.access.handling import Handling
from tocsin.access.policy import may_read, readable, require, require_write, unguarded_get
from tocsin.access.principal import Principal
from tocsin.access.roles import Action
from tocsin.errors import InputError, Problem
from tocsin.i18n import N_, Joined, Message, N_plural
from tocsin.store.base import Base
from tocsin.taskforce.iati.exchange import ElementChanges, changed_line, element_changes
from tocsin.taskforce.iati.narratives import chosen_narrative, language_of
from tocsin.taskforce.iati.reader import (
    OTHER_LANGUAGE,
    checked_version,
    count_extensions,
    in_a_namespace,
    not_xml,
    not_xml_at_all,
    root_warnings,
    unread_version,
)
from tocsin.taskforce.iati.rules import check_element
from tocsin.taskforce.iati.scan import DOCTYPE, has_doctype
from tocsin.taskforce.iati.tables import (
    IatiOrganisation,
    IatiOrgFinance,
    overlong,
    text_columns,
)
from tocsin.taskforce.partners.records import create_partner, sync_reference_partners
from tocsin.taskforce.partners.spec import PartnerSpec
from tocsin.taskforce.partners.tables import Partner
from tocsin.taskforce.programmes.vocabulary import Vocabulary
from tocsin.types.base import is_digits

ROOT = "/iati-organisations"
FINANCE = {
    "total-budget": None,
    "recipient-org-budget": ("recipient-org", "ref"),
    "recipient-region-budget": ("recipient-region", "code"),
    "recipient-country-budget": ("recipient-country", "code"),
    "total-expenditure": None,
}
#: Children of an iati-organisation the typed rows or the partner hold (in part); every
#: other one is kept only as published and counted in the report.
MODELLED = frozenset({"organisation-identifier", "name", "reporting-org", *FINANCE})
#: Children of a budget or expenditure the typed rows hold; the others (budget-line,
#: expense-line) are kept only as published and counted.
FINANCE_PARTS = frozenset({"period-start", "period-end", "value", "recipient-org",
                           "recipient-region", "recipient-country"})
#: Values from this amount up are refused, as the activity reader refuses them (the
#: register's value column holds 18 digits before the point; conversions need room).
VALUE_LIMIT = Decimal("1e16")
#: IATI OrganisationType → the partner registry's kind.
KINDS = {"10": "national_institution", "11": "national_institution",
         "15": "national_institution", "40": "international_organization",
         "70": "private_sector", "71": "private_sector", "72": "private_sector",
         "73": "private_sector"}


@dataclass
class OrganisationImport:
    #: The file's version; empty for a portal's download (each organisation's is noted).
    version: str = ""
    created: int = 0
    updated: int = 0
    #: Of the updated organisations, those imported before whose element is the same as
    #: the file's.
    unchanged: int = 0
    #: identifier → names of the elements (and ``@attributes``) that changed since the
    #: organisation was last imported.
    changed: dict[str, list[str]] = field(default_factory=dict)
    #: identifier → element name → how many of those were added, removed, changed or moved.
    changes: dict[str, dict[str, ElementChanges]] = field(default_factory=dict)
    #: identifier → id of the partner the organisation was linked to.
    partners: dict[str, int] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    #: What the typed rows and the partner do not hold, kept only in the stored
    #: element: name → count.
    preserved: dict[str, int] = field(default_factory=dict)
    #: What was read differently from the file as it stands (a portal's attributes taken
    #: off, the version an organisation was read as).
    notes: list[Problem] = field(default_factory=list)


@dataclass
class _Organisation:
    identifier: str
    name: str
    #: Where the name was read (the chosen narrative, or the identifier for want of one).
    name_at: str
    kind: str
    xml: str
    where: str
    finance: list[dict[str, Any]]
    #: The version it was read as (in a portal's download, its own).
    version: str
    preserved: Counter[str] = field(default_factory=Counter)


def _length(table: type[Base], column: str) -> int:
    """The length of a text column of ``table``."""
    columns, lengths = text_columns(table)
    return lengths[columns.index(column)]


def _narrative(element: etree._Element | None, language: str,
               preserved: Counter[str]) -> tuple[str, etree._Element | None]:
    """The narrative the platform reads of ``element``, whitespace runs made single
    spaces, and its element; the others are counted as kept only as published."""
    if element is None:
        return "", None
    chosen, count = chosen_narrative(element, language)
    if count > 1:
        preserved[OTHER_LANGUAGE] += count - 1
    return " ".join((chosen.text or "").split()) if chosen is not None else "", chosen


def _date(element: etree._Element, problems: list[Problem], where: str) -> date | None:
    raw = element.get("iso-date", "")
    try:
        return date.fromisoformat(raw.strip()[:10])
    except ValueError:
        problems.append(Problem(where, N_("@%(attribute)s %(value)s is not a date (YYYY-MM-DD)",
                                          attribute="iso-date", value=repr(raw))))
        return None


def _value_date(value: etree._Element) -> date | None:
    """The value's @value-date (the schema requires it; the reader does not)."""
    try:
        return date.fromisoformat((value.get("value-date") or "").strip()[:10])
    except ValueError:
        return None


def read_organisations(source: Path | IO[bytes]) -> tuple[
        str, list[_Organisation], list[Problem], list[Problem], list[Problem]]:
    """``(version, organisations, problems, ruleset warnings, notes)`` of an organisation file.

    A portal's download declares no version on its root: each organisation is read as the
    version it declares, its portal attributes taken off, as the activities of one are
    (:func:`tocsin.taskforce.iati.reader.checked_version`).
    """
    data = source.read_bytes() if isinstance(source, Path) else source.read()
    problems: list[Problem] = []
    warnings: list[Problem] = []
    notes: list[Problem] = []
    out: list[_Organisation] = []
    #: identifier → where the organisation of that identifier is
    seen: dict[str, str] = {}
    version = ""
    not_read = not_xml_at_all(data[:4])  # empty, compressed …: said as for activity files
    if not_read is not None:
        return "", [], [not_read], [], []
    try:
        etree.clear_error_log()  # not_xml may read this parse's error from it
        events = etree.iterparse(io.BytesIO(data), events=("start", "end"),
                                 resolve_entities=False, no_network=True, load_dtd=False,
                                 huge_tree=False, remove_comments=True, remove_pis=True)
        depth = 0
        index = 0
        for event, element in events:
            if event == "start":
                depth += 1
                if depth == 1:
                    if element.getroottree().docinfo.doctype:
                        return "", [], [Problem("/", DOCTYPE)], [], []
                    if element.tag == "iati-activities":
                        return "", [], [Problem("/iati-activities", N_(
                            "this is an IATI activity file (iati-activities): import it as "
                            "an activity file, into the programmes"))], [], []
                    namespaced = in_a_namespace(element, "iati-organisations")
                    if namespaced is not None:
                        return "", [], [namespaced], [], []
                    if element.tag != "iati-organisations":
                        return "", [], [Problem(f"/{element.tag}", N_(
                            "the root element must be iati-organisations"))], [], []
                    version = element.get("version", "").strip()
                    # "": a portal's download, each organisation read as the version it declares
                    refusal = unread_version(version) if version else None
                    if refusal is not None:
                        return "", [], [Problem(ROOT, refusal)], [], []
                    warnings += root_warnings(element, ROOT)
                continue
            depth -= 1
            if depth != 1 or element.tag != "iati-organisation":
                continue
            index += 1
            where = f"{ROOT}/iati-organisation[{index}]"
            found = _read_one(element, where, version, problems, notes)
            if found is not None and found.identifier in seen:
                # a second one would be written over the first
                problems.append(Problem(f"{where}/organisation-identifier", N_(
                    "identifier %(identifier)s is also used by %(where)s",
                    identifier=repr(found.identifier), where=seen[found.identifier])))
            elif found is not None:
                seen[found.identifier] = where
                out.append(found)
                warnings += [Problem(where + p, r)
                             for p, r in check_element(element, "organisation")]
            element.clear(keep_tail=False)
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        # as an activity file's: libxml2 may stop inside a DOCTYPE before the root, and its
        # limits are said in words (see reader.not_xml)
        if has_doctype(data):
            return "", [], [Problem("/", DOCTYPE)], [], []
        return version, [], [not_xml(exc)], [], []
    if not out and not problems:
        problems.append(Problem(ROOT, N_("the file holds no iati-organisation")))
    return version, out, problems, warnings, notes


def _read_one(element: etree._Element, where: str, root_version: str,
              problems: list[Problem], notes: list[Problem]) -> _Organisation | None:
    version, refused, found, copy = checked_version(element, where, root_version,
                                                    "organisation")
    # the notes of a refused organisation too: they say which version it was read as
    notes += found
    if refused:
        problems += refused
        return None
    language = language_of(element)
    currency = (element.get("default-currency") or "").strip()
    identifier = (element.findtext("organisation-identifier") or "").strip()
    before = len(problems)
    if not identifier:
        # schema-valid, but the register holds each organisation by its identifier
        problems.append(Problem(f"{where}/organisation-identifier",
                                N_("the organisation identifier is empty")))
    elif len(identifier) > _length(IatiOrganisation, "identifier"):
        problems.append(Problem(f"{where}/organisation-identifier",
                                N_("the identifier exceeds 200 characters")))
    preserved: Counter[str] = Counter()
    tree = element.getroottree()

    def at(child: etree._Element) -> str:
        return where + tree.getpath(child)[len(tree.getpath(element)):]

    name, chosen = _narrative(element.find("name"), language, preserved)
    name_at = at(chosen) if name and chosen is not None else f"{where}/organisation-identifier"
    limit = _length(Partner, "name")
    if len(name) > limit:
        # the partner is known by its name: one the registry cannot hold is not cut
        problems.append(Problem(name_at, N_(
            "%(field)s has %(count)s characters; at most %(limit)s are allowed",
            field="name", count=len(name), limit=limit)))
    reporting = element.find("reporting-org")
    if reporting is not None:
        # the partner takes its kind from the type; another reporter (a ministry's
        # organisation reported under the ministry's ref) and a second language stay
        # in the stored element
        _narrative(reporting, language, preserved)
        if reporting.get("ref", identifier).strip() != identifier:
            preserved["reporting-org/@ref"] += 1
        if reporting.get("secondary-reporter") is not None:
            preserved["reporting-org/@secondary-reporter"] += 1
    kind = KINDS.get(reporting.get("type", "") if reporting is not None else "",
                     "civil_society" if reporting is not None
                     and reporting.get("type", "").startswith("2") else "national_institution")
    finance: list[dict[str, Any]] = []
    #: per finance row, where its recipient and its name were read
    sources: list[dict[str, str]] = []
    for child in element:
        if isinstance(child.tag, str) and child.tag not in MODELLED:
            preserved[child.tag] += 1
    for position, child in enumerate(c for c in element if c.tag in FINANCE):
        here = at(child)
        for part in child:
            # a publisher's own elements in it: counted with their place below
            if isinstance(part.tag, str) and part.tag not in FINANCE_PARTS \
                    and part.tag[0] != "{":
                preserved[part.tag] += 1
        start, end = child.find("period-start"), child.find("period-end")
        value = child.find("value")
        if start is None or end is None or value is None:
            problems.append(Problem(here, N_("a period-start, a period-end and a value are "
                                             "required")))
            continue
        first, last = _date(start, problems, here), _date(end, problems, here)
        if first and last and last < first:
            problems.append(Problem(here, N_("the period ends (%(end)s) before it starts "
                                             "(%(start)s)", end=last, start=first)))
        own = (value.get("currency") or "").strip()
        money = own or currency
        if not money:
            problems.append(Problem(here + "/value", N_(
                "no @currency and no default-currency on the organisation")))
        elif not types.currency.known(money):
            problems.append(Problem(here + "/value", N_(
                "@currency %(code)s is not an ISO 4217 code", code=repr(money)) if own else N_(
                "@default-currency %(code)s is not an ISO 4217 code", code=repr(money))))
        try:
            amount = Decimal((value.text or "").strip())
        except InvalidOperation:
            problems.append(Problem(here + "/value", N_("%(what)s %(value)s is not a number",
                                                        what="value", value=repr(value.text))))
            continue
        if abs(amount) >= VALUE_LIMIT:
            problems.append(Problem(here + "/value", N_("the value is not below 10^16")))
        recipient = recipient_name = ""
        source = {"currency": here + "/value"}
        target = FINANCE[child.tag]
        if target is not None:
            found = child.find(target[0])
            if found is not None:
                recipient = found.get(target[1], "").strip()
                source["recipient"] = f"{at(found)}/@{target[1]}"
                recipient_name, narrative = _narrative(found, language, preserved)
                if narrative is not None:
                    source["recipient_name"] = at(narrative)
                for extra in ("vocabulary", "vocabulary-uri"):
                    if found.get(extra) not in (None, "1"):
                        preserved[f"{target[0]}/@{extra}"] += 1
        status = child.get("status")
        finance.append({"position": position, "element": child.tag, "recipient": recipient,
                        "recipient_name": recipient_name,
                        "status": int(status) if is_digits(status) else None,
                        "period_start": first, "period_end": last, "value": amount,
                        "currency": money, "value_date": _value_date(value)})
        sources.append(source)
    for index, column, length, limit in overlong(IatiOrgFinance, finance):
        # PostgreSQL would refuse the row: left out of the column, not cut
        notes.append(Problem(sources[index].get(column, where), N_(
            "%(field)s is %(length)s characters long, more than the register "
            "holds (%(limit)s): left empty there, kept as published",
            field=column, length=length, limit=limit)))
        finance[index][column] = ""
    # the published copy without the portal's attributes, when it had any
    data = copy if copy is not None else etree.tostring(element, encoding="UTF-8")
    count_extensions(element, preserved, data)  # as for activities: every depth, by place
    if len(problems) > before:
        return None
    xml = data.decode("utf-8")
    return _Organisation(identifier=identifier, name=name or identifier, name_at=name_at,
                         kind=kind, xml=xml, where=where, finance=finance, version=version,
                         preserved=preserved)


def import_organisations(session: Session, principal: Principal, source: Path | IO[bytes],
                         *, owner_unit_id: int | None = None,
                         handling: str = Handling.GREEN.value,
                         name: str = "") -> OrganisationImport:
    """Link every organisation of the file to a partner and keep its finance; all or nothing."""
    require(principal, Action.WRITE_OWN_UNIT)
    label = name or (source.name if isinstance(source, Path) else N_("the IATI file"))
    version, organisations, problems, warnings, notes = read_organisations(source)
    if problems:
        raise InputError(problems, summary=N_plural(
            "%(count)s problem in %(source)s; nothing was applied",
            "%(count)s problems in %(source)s; nothing was applied", len(problems),
            count=len(problems), source=label))
    vocab = Vocabulary.load(session)
    sync_reference_partners(session)
    preserved: Counter[str] = Counter()
    for org in organisations:
        preserved.update(org.preserved)
    report = OrganisationImport(version=version, warnings=warnings,
                                preserved=dict(sorted(preserved.items())), notes=notes)
    unit_code = vocab.unit_code(owner_unit_id) if owner_unit_id is not None else None
    for org in organisations:
        known = session.scalar(select(IatiOrganisation).where(
            IatiOrganisation.identifier == org.identifier))
        partner: Partner | None = None
        if known is not None:
            partner = unguarded_get(session, Partner, known.partner_id,
                                    why="checked with may_read just below")
            if partner is None or not may_read(partner, principal):
                problems.append(Problem(org.where, N_(
                    "organisation %(identifier)s is linked to a partner you cannot see",
                    identifier=repr(org.identifier))))
                continue
        if partner is None:
            code = (vocab.organization_names.get(org.name.lower())
                    or vocab.organization_names.get(org.identifier.lower()))
            # a partner linked to an organisation of another identifier is that
            # organisation's: a name two identifiers share does not make them one
            # partner (only the reference organization's code may)
            others = select(IatiOrganisation.partner_id).where(
                IatiOrganisation.identifier != org.identifier)
            same = [and_(func.lower(Partner.name) == org.name.lower(),
                         Partner.id.not_in(others))]
            if code:
                same.append(Partner.ref_organization_code == code)
            matches = readable(Partner, principal).where(or_(*same))
            partner = session.scalars(matches.limit(1)).first()
        digest = hashlib.sha256(org.xml.encode("utf-8")).hexdigest()
        if partner is None:
            named = _partner_name(session, principal, org, report.notes, problems)
            if named is None:
                continue
            partner = create_partner(session, principal, PartnerSpec(
                name=named, kind=org.kind, handling=handling, owner_unit=unit_code,
                description=f"IATI organisation {org.identifier}"))
            report.created += 1
        else:
            require_write(principal, partner.owner_unit_id)
            audit.record(session, principal, "update", partner.record_type, partner.id,
                         partner.handling, detail=f"IATI organisation file {label}")
            report.updated += 1
            # as for activities: of the organisations imported before, those published
            # as they were (or written otherwise), and what changed in the others
            if known is not None:
                changes = element_changes(known.xml, org.xml, known.digest, digest)
                if changes:
                    report.changed[org.identifier] = list(changes)
                    report.changes[org.identifier] = changes
                else:
                    report.unchanged += 1
        if known is None:
            # the name fits (a partner's is shorter); the source is the import's label (a
            # file's name), not the file's content
            known = IatiOrganisation(identifier=org.identifier, partner_id=partner.id,
                                     name=org.name, version=org.version,
                                     source=label[:300],
                                     xml=org.xml, digest=digest)
            session.add(known)
        else:
            known.partner_id, known.name, known.version = partner.id, org.name, org.version
            known.xml, known.digest, known.source = org.xml, digest, label[:300]
        session.flush()
        session.execute(delete(IatiOrgFinance).where(IatiOrgFinance.organisation_id == known.id))
        if org.finance:
            session.execute(insert(IatiOrgFinance), [{**row, "organisation_id": known.id}
                                                     for row in org.finance])
        report.partners[org.identifier] = partner.id
    if problems:
        raise InputError(problems, summary=N_plural(
            "%(count)s problem in %(source)s; nothing was applied",
            "%(count)s problems in %(source)s; nothing was applied", len(problems),
            count=len(problems), source=label))
    return report


def organisation_report_lines(report: OrganisationImport) -> list[Message]:
    """The report's lines after its counts (CLI and web), each in the reader's language."""
    lines: list[Message] = []
    if report.unchanged:
        lines.append(N_plural("%(count)s organisation imported before is unchanged",
                              "%(count)s organisations imported before are unchanged",
                              report.unchanged, count=report.unchanged))
    lines += [changed_line(identifier, names, report.changes.get(identifier))
              for identifier, names in sorted(report.changed.items())]
    if report.preserved:
        kept = Joined(Joined((name, f" x{count}"), "") for name, count
                      in report.preserved.items())
        lines.append(N_("kept only as published, in the stored organisation: %(elements)s",
                        elements=kept))
    lines += [N_("IATI rule %(location)s: %(reason)s", location=p.location, reason=p.reason)
              for p in report.warnings]
    lines += [N_("note %(location)s: %(reason)s", location=p.location, reason=p.reason)
              for p in report.notes]
    return lines


def _partner_name(session: Session, principal: Principal, org: _Organisation,
                  notes: list[Problem], problems: list[Problem]) -> str | None:
    """The name of a new partner for ``org``: its own, else qualified by its identifier when
    another organisation's partner has it (partner names are unique), else None and a
    problem (the qualified name taken too, or longer than a partner's name may be)."""
    def taken(name: str) -> bool:
        found = readable(Partner, principal).with_only_columns(Partner.id).where(
            func.lower(Partner.name) == name.lower())
        return session.scalar(found.limit(1)) is not None

    if not taken(org.name):
        return org.name
    qualified = f"{org.name} ({org.identifier})"
    limit = _length(Partner, "name")
    if len(qualified) > limit:
        problems.append(Problem(org.name_at, N_(
            "the partner named %(name)s is another IATI organisation's, and %(new)s has "
            "%(count)s characters; a partner's name has at most %(limit)s",
            name=repr(org.name), new=repr(qualified), count=len(qualified), limit=limit)))
        return None
    if taken(qualified):
        problems.append(Problem(org.name_at, N_(
            "the partners named %(name)s and %(new)s exist already (partner names are "
            "unique): rename one of them in the partners registry and import the file "
            "again", name=repr(org.name), new=repr(qualified))))
        return None
    notes.append(Problem(org.where, N_(
        "the partner named %(name)s is another IATI organisation's; this "
        "organisation's partner is named %(new)s", name=repr(org.name),
        new=repr(qualified))))
    return qualified

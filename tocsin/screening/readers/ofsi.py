"""OFSI's Consolidated List of Financial Sanctions Targets in XML (``ConList.xml``, the 2022
format; OFSI closed the list in January 2026 in favour of the UK Sanctions List, read by
:mod:`.uk`, but archives and other tools still hold it).

Root ``ArrayOfFinancialSanctionsTarget`` (namespace
``http://schemas.hmtreasury.gov.uk/ofsi/consolidatedlist``) with one flat
``FinancialSanctionsTarget`` per *name* of a target: the rows of one target share its
``GroupID`` and repeat its details. Each row holds ``Name6`` (the family or whole name),
``name1`` … ``name5``, ``Title``, ``NameNonLatinScript``, ``AliasType`` (Primary name,
Primary name variation, AKA, FKA), ``AliasQuality`` (Good quality, Low quality),
``GroupTypeDescription`` (Individual, Entity, Ship), ``RegimeName``, ``DateListed``,
``DateDesignated``, ``LastUpdated``, ``UKSanctionsListRef``, ``UNRef``,
``UKStatementOfReasons``, ``OtherInformation``, ``Individual_DateOfBirth``,
``Individual_TownOfBirth``, ``Individual_CountryOfBirth``, ``Individual_Nationality``,
``Individual_PassportNumber``, ``Individual_PassportDetails``, ``Individual_NINumber``,
``Individual_NIDetails``, ``Individual_Position``, ``Individual_Gender``, ``Address1`` …
``Address6``, ``PostCode``, ``Country``, ``PhoneNumber``, ``EmailAddress``, ``Website``,
``Entity_Type``, ``Entity_BusinessRegNumber``, ``Entity_ParentCompany``,
``Entity_Subsidiaries`` and ``Ship_*`` details. Several values in one field are written
``(1) … (2) …``.

The file is streamed row by row; the rows are gathered into one entry per ``GroupID``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from followthemoney.proxy import EntityProxy

from tocsin.errors import InputError, Problem, reason_of
from tocsin.i18n import N_
from tocsin.screening.readers.base import (
    ListEntity,
    ListRead,
    add,
    add_noted,
    address,
    identification,
    let_go,
    local,
    make,
    require,
    root_tag,
    sanction,
    stream,
)
from tocsin.screening.readers.uk import uk_date

AUTHORITY = "United Kingdom (OFSI)"
WHAT = N_("OFSI consolidated list")
#: ``GroupTypeDescription`` → schema.
SCHEMA_BY_TYPE = {"individual": "Person", "entity": "Organization", "ship": "Vessel"}
_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_NUMBERED = re.compile(r"\(\d{1,2}\)")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")


def split_items(value: str | None) -> list[str]:
    """``(1) Kabul (2) Kandahar`` → both; a value without numbers is one value."""
    if not value:
        return []
    return [p for p in (" ".join(x.split()).strip(" ,;") for x in _NUMBERED.split(value)) if p]


def ofsi_date(value: str | None) -> str | None:
    """``2022-12-09T00:00:00`` → ``2022-12-09``; ``dd/mm/yyyy`` read as the UK Sanctions List
    writes it."""
    if not value:
        return None
    if _ISO.match(value):
        return value[:10]
    return uk_date(value)


@dataclass
class _Row:
    values: dict[str, str]
    place: str


def read(path: Path) -> ListRead:
    tag, line = root_tag(path)
    name = tag[tag.index("}") + 1:] if tag.startswith("{") else tag
    if name != "ArrayOfFinancialSanctionsTarget":
        raise InputError.single(f"{path.name}:{line}", N_(
            "the root element is <%(root)s>, not <ArrayOfFinancialSanctionsTarget>: not an "
            "OFSI consolidated list XML file", root=name))
    problems: list[Problem] = []
    groups: dict[str, list[_Row]] = {}
    for row in _rows(path):
        group_id = row.values.get("GroupID")
        if not group_id:
            problems.append(Problem(row.place, N_("FinancialSanctionsTarget without a "
                                                  "GroupID")))
            continue
        groups.setdefault(group_id, []).append(row)
    notes: list[Problem] = []
    entities: list[ListEntity] = []
    for group_id, group in groups.items():
        first = group[0]
        try:
            entities.append(_target(group_id, group, notes, partial(str, first.place)))
        except ValueError as exc:
            problems.append(Problem(first.place, reason_of(exc)))
    require(problems, entities, path, WHAT)
    return ListRead(entities, notes=notes)


def _rows(path: Path) -> Iterator[_Row]:
    """Each ``FinancialSanctionsTarget`` as its values by local name, let go once read."""
    count = 0
    for _, element in stream(path, ("FinancialSanctionsTarget",)):
        parent = element.getparent()
        if parent is None or parent.getparent() is not None:
            continue
        count += 1
        values = {}
        for cell in element:
            text_ = " ".join((cell.text or "").split())
            if text_ and cell.get(_NIL) != "true":
                values[local(cell)] = text_
        yield _Row(values, f"{path.name}:{element.sourceline} "
                           f"(/ArrayOfFinancialSanctionsTarget/FinancialSanctionsTarget"
                           f"[{count}])")
        let_go(element)


def _full_name(values: dict[str, str]) -> str | None:
    parts = [values.get(f"name{i}") or values.get(f"Name{i}") for i in range(1, 7)]
    return " ".join(p for p in parts if p) or None


def _target(group_id: str, group: list[_Row], notes: list[Problem],
            place: Callable[[], str]) -> ListEntity:
    rows = [r.values for r in group]
    kind = next((v for r in rows if (v := r.get("GroupTypeDescription"))), None)
    schema = SCHEMA_BY_TYPE.get((kind or "").lower())
    if schema is None:
        raise ValueError(N_("unknown GroupTypeDescription %(value)s", value=repr(kind)))
    entity = make(schema, "uk-ofsi", group_id)
    named = [r for r in rows if _full_name(r)]
    if not named:
        raise ValueError(N_("group %(id)s has no name", id=group_id))
    primary = next((r for r in named if (r.get("AliasType") or "").lower() == "primary name"),
                   named[0])
    for row in named:
        full = _full_name(row)
        if row is primary:
            add(entity, "name", full)
            if schema == "Person":
                add(entity, "firstName", row.get("name1"))
                add(entity, "middleName", [row.get(f"name{i}") for i in range(2, 6)])
                add(entity, "lastName", row.get("Name6"))
        else:
            weak = (row.get("AliasQuality") or "").lower().startswith("low")
            add(entity, "weakAlias" if weak else "alias", full)
            if (row.get("AliasType") or "").lower() == "fka":
                add(entity, "previousName", full)
    programme = next((v for r in rows if (v := r.get("RegimeName"))), "")
    dates = sorted(d for r in rows for k in ("DateDesignated", "DateListed")
                   if (d := ofsi_date(r.get(k))))
    listed_on = dates[0] if dates else None
    item = ListEntity(entity, [], programme, listed_on, group_id)
    reference = next((v for r in rows if (v := r.get("UKSanctionsListRef"))), None)
    un_reference = next((v for r in rows if (v := r.get("UNRef"))), None)
    found: list[Problem] = []
    for row in rows:  # each row repeats the target's details: each is kept once
        _details(row, item, found, place)
    seen: set[str] = set()
    for note in found:
        if str(note.reason) not in seen:  # one place per group: the same reason once
            seen.add(str(note.reason))
            notes.append(note)
    kept: dict[str, EntityProxy] = {}
    for record in item.related:
        kept.setdefault(str(record.id), record)
    item.related = list(kept.values())
    add(entity, "notes", f"UK Sanctions List: {reference}" if reference else None)
    add(entity, "notes", un_reference)
    add(entity, "topics", "sanction")
    reason = next((v for r in rows if (v := r.get("UKStatementOfReasons"))), None)
    measure = sanction(entity, AUTHORITY, programme, listed_on, group_id, reason)
    add(measure, "authorityId", reference)
    add(measure, "unscId", un_reference)
    add(measure, "modifiedAt", max((d for r in rows if (d := ofsi_date(r.get("LastUpdated")))),
                                   default=None))
    status = next((v for r in rows if (v := r.get("GroupStatus"))), None)
    add(measure, "status", status)
    item.related.insert(0, measure)
    return item


def _details(row: dict[str, str], item: ListEntity, notes: list[Problem],
             place: Callable[[], str]) -> None:
    entity = item.entity
    schema = entity.schema.name
    add(entity, "alias", row.get("NameNonLatinScript"))
    add(entity, "notes", row.get("OtherInformation"))
    countries = split_items(row.get("Country"))
    lines = [row.get(f"Address{i}") for i in range(1, 7)]
    full = ", ".join(p for p in [*lines, row.get("PostCode"), *countries] if p)
    if full and any([*lines, row.get("PostCode")]):
        record = address(entity, full, countries[0] if len(countries) == 1 else None)
        add(record, "postalCode", row.get("PostCode"))
        item.related.append(record)
        add(entity, "address", full)
    add_noted(entity, "country", countries, notes, place)
    if schema != "Vessel":
        add(entity, "phone", split_items(row.get("PhoneNumber")))
        add_noted(entity, "email", [e for v in split_items(row.get("EmailAddress"))
                                    for e in re.split(r"[;,\s]+", v) if e], notes, place)
        add(entity, "website", split_items(row.get("Website")))
    if schema == "Person":
        add(entity, "title", split_items(row.get("Title")))
        add_noted(entity, "birthDate", [ofsi_date(d) for d in split_items(
            row.get("Individual_DateOfBirth"))], notes, place)
        towns = split_items(row.get("Individual_TownOfBirth"))
        born = split_items(row.get("Individual_CountryOfBirth"))
        add(entity, "birthPlace", towns)
        add_noted(entity, "birthCountry", born, notes, place)
        add_noted(entity, "nationality", split_items(row.get("Individual_Nationality")), notes,
                  place)
        add(entity, "position", split_items(row.get("Individual_Position")))
        gender = row.get("Individual_Gender")
        add_noted(entity, "gender", gender.lower() if gender else None, notes, place)
        for number in split_items(row.get("Individual_PassportNumber")):
            add(entity, "passportNumber", number)
            record = identification(entity, "Passport", number, passport=True)
            add(record, "summary", row.get("Individual_PassportDetails"))
            item.related.append(record)
        for number in split_items(row.get("Individual_NINumber")):
            add(entity, "idNumber", number)
            record = identification(entity, "National identification number", number)
            add(record, "summary", row.get("Individual_NIDetails"))
            item.related.append(record)
    elif schema == "Organization":
        kind = row.get("Entity_Type")
        add(entity, "notes", f"Type of entity: {kind}" if kind else None)
        for number in split_items(row.get("Entity_BusinessRegNumber")):
            add(entity, "registrationNumber", number)
            item.related.append(identification(entity, "Business registration number",
                                               number))
        parent = row.get("Entity_ParentCompany")
        add(entity, "notes", f"Parent company: {parent}" if parent else None)
        child = row.get("Entity_Subsidiaries")
        add(entity, "notes", f"Subsidiaries: {child}" if child else None)
    else:
        add_noted(entity, "imoNumber", row.get("Ship_IMONumber"), notes, place)
        add_noted(entity, "flag", row.get("Ship_Flag"), notes, place)
        add_noted(entity, "pastFlags", split_items(row.get("Ship_PreviousFlags")), notes, place)
        add(entity, "type", row.get("Ship_Type"))
        add_noted(entity, "tonnage", row.get("Ship_Tonnage"), notes, place)
        add_noted(entity, "buildDate", row.get("Ship_YearBuilt"), notes, place)
        owner = row.get("Ship_CurrentOwners")
        add(entity, "notes", f"Current owner/operator: {owner}" if owner else None)
        length = row.get("Ship_Length")
        add(entity, "notes", f"Length of ship: {length}" if length else None)

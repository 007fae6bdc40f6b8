"""The UK Sanctions List as the FCDO publishes it in XML (``UK_Sanctions_List.xml``,
``UK-Sanctions-List.xml``).

Root ``Designations`` (no namespace) with ``DateGenerated`` (``dd/mm/yyyy``) and one
``Designation`` per designated person, entity or ship, holding:

- ``UniqueID`` (``AFG0006``: the record's id), ``OFSIGroupID``, ``UNReferenceNumber``,
  ``DateDesignated``, ``LastUpdated``, ``RegimeName``, ``IndividualEntityShip``
  (Individual, Entity, Ship), ``DesignationSource`` (UN, UK), ``SanctionsImposed``
  (``Asset freeze|Travel Ban``), ``OtherInformation``, ``UKStatementofReasons``;
- ``Names/Name``: ``Name1`` … ``Name6`` (``Name6`` the family name or an entity's whole
  name), ``NameType`` (Primary Name, Primary name variation, Alias) and ``AliasStrength``
  (Good quality a.k.a, Low quality a.k.a); ``NonLatinNames/NonLatinName``:
  ``NameNonLatinScript``, ``NonLatinScriptType``, ``NonLatinScriptLanguage``;
- ``Addresses/Address`` (``AddressLine1`` … ``AddressLine6``, ``AddressPostalCode``,
  ``AddressCountry``), ``PhoneNumbers/PhoneNumber``, ``EmailAddresses/EmailAddress``,
  ``Websites/Website``;
- ``IndividualDetails/Individual``: ``DOBs/DOB`` (``dd/mm/yyyy``, unknown parts written
  ``dd``, ``mm`` or ``00``), ``Nationalities/Nationality``, ``BirthDetails/Location``
  (``TownOfBirth``, ``CountryOfBirth``), ``PassportDetails/Passport`` (``PassportNumber``,
  ``PassportAdditionalInformation``), ``NationalIdentifierDetails/NationalIdentifier``
  (``NationalIdentifierNumber``, ``NationalIdentifierAdditionalInformation``),
  ``Positions/Position``, ``Genders/Gender``, ``Title``;
- ``EntityDetails/Entity``: ``TypeOfEntities/TypeOfEntity``,
  ``BusinessRegistrationNumbers/BusinessRegistrationNumber``,
  ``ParentCompanies/ParentCompany``, ``Subsidiaries/Subsidiary``;
- ``ShipDetails/Ship``: ``IMONumbers/IMONumber``, ``CurrentOwnerOperators/
  CurrentOwnerOperator``, ``CurrentBelievedFlagOfShips/CurrentBelievedFlagOfShip``,
  ``PreviousFlags/PreviousFlag``, ``TypeOfShipDetails/TypeOfShip``,
  ``TonnageOfShipDetails/TonnageOfShip``, ``YearsBuilt/YearBuilt``,
  ``HullIdentificationNumbers/HullIdentificationNumber``, ``LengthOfShip``.

The file is streamed: each designation is read and let go.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from followthemoney.proxy import EntityProxy
from lxml import etree

from tocsin.errors import InputError, Problem
from tocsin.i18n import N_
from tocsin.screening.readers.base import (
    ListEntity,
    ListRead,
    Streamed,
    add,
    add_noted,
    address,
    identification,
    items,
    let_go,
    local,
    make,
    read_records,
    root_tag,
    sanction,
    stream,
    text,
)
from tocsin.types.base import is_digits

AUTHORITY = "United Kingdom (FCDO)"
WHAT = N_("UK Sanctions List")
#: ``IndividualEntityShip`` → schema.
SCHEMA_BY_TYPE = {"individual": "Person", "entity": "Organization", "ship": "Vessel"}
#: ``AliasStrength`` values that make an alias weak.
WEAK = ("low quality a.k.a", "low quality aka", "weak")
#: ``AddressLine*`` → property of the Address entity.
ADDRESS_LINES = {"AddressLine1": "street", "AddressLine2": "street2",
                 "AddressLine3": "street2", "AddressLine4": "remarks",
                 "AddressLine5": "region", "AddressLine6": "city"}
_DMY = re.compile(r"^(dd|\d{1,2})/(mm|\d{1,2})/(\d{4})$", re.IGNORECASE)
_EMAIL_SPLIT = re.compile(r"[;,\s]+")


def uk_date(value: str | None) -> str | None:
    """``27/08/1955`` → ``1955-08-27``; ``dd/08/1955`` or ``00/08/1955`` → ``1955-08``;
    ``dd/mm/1950`` or ``00/00/1950`` → ``1950``; anything else is returned as written (the
    caller names what its property refuses)."""
    if not value:
        return None
    found = _DMY.match(value.strip())
    if not found:
        return value
    day, month, year = found.groups()
    day = None if not is_digits(day) or int(day) == 0 else int(day)
    month = None if not is_digits(month) or int(month) == 0 else int(month)
    if month is None:
        return year
    if day is None:
        return f"{year}-{month:02d}"
    return f"{year}-{month:02d}-{day:02d}"


def read(path: Path) -> ListRead:
    tag, line = root_tag(path)
    name = tag[tag.index("}") + 1:] if tag.startswith("{") else tag
    if name != "Designations":
        raise InputError.single(f"{path.name}:{line}", N_(
            "the root element is <%(root)s>, not <Designations>: not a UK Sanctions List "
            "XML file", root=name))
    state = Streamed(path, "/Designations/Designation")
    entities, notes = read_records(path, _designations(state), _designation, WHAT,
                                   place_of=state.place)
    return ListRead(entities, published=state.published, notes=notes)


def _designations(state: Streamed) -> Iterator[etree._Element]:
    """Each ``Designation`` in turn, let go once read; ``DateGenerated`` is kept in
    ``state``."""
    for _, element in stream(state.path, ("DateGenerated", "Designation")):
        parent = element.getparent()
        if parent is None or local(parent) != "Designations" or parent.getparent() is not None:
            continue
        if local(element) == "Designation":
            state.count += 1
            yield element
        else:
            state.published = uk_date(text(element))
        let_go(element)


def _texts(element: etree._Element | None, holder: str, item: str) -> list[str]:
    return [t for x in items(element, holder, item) if (t := text(x))]


def _designation(element: etree._Element, notes: list[Problem],
                 place: Callable[[], str]) -> ListEntity:
    uid = text(element, "UniqueID")
    if not uid:
        raise ValueError(N_("Designation without a UniqueID"))
    kind = text(element, "IndividualEntityShip")
    schema = SCHEMA_BY_TYPE.get((kind or "").lower())
    if schema is None:
        raise ValueError(N_("unknown IndividualEntityShip %(value)s", value=repr(kind)))
    entity = make(schema, "uk-fcdo", uid)
    _names(element, entity)
    if not entity.get("name"):
        raise ValueError(N_("designation %(id)s has no name", id=uid))
    programme = text(element, "RegimeName") or ""
    listed_on = uk_date(text(element, "DateDesignated"))
    item = ListEntity(entity, [], programme, listed_on, uid)
    group = text(element, "OFSIGroupID")
    if group:
        add(entity, "notes", f"OFSI Group ID: {group}")
    un_reference = text(element, "UNReferenceNumber")
    add(entity, "notes", un_reference)
    add(entity, "notes", text(element, "OtherInformation"))
    _addresses(element, item, notes, place)
    if schema != "Vessel":
        add(entity, "phone", _texts(element, "PhoneNumbers", "PhoneNumber"))
        for emails in _texts(element, "EmailAddresses", "EmailAddress"):
            add_noted(entity, "email", [e for e in _EMAIL_SPLIT.split(emails) if e], notes,
                      place)
        add(entity, "website", _texts(element, "Websites", "Website"))
    for person in items(element, "IndividualDetails", "Individual"):
        _individual(person, item, notes, place)
    for company in items(element, "EntityDetails", "Entity"):
        _company(company, item)
    for ship in items(element, "ShipDetails", "Ship"):
        _ship(ship, item, notes, place)
    add(entity, "topics", "sanction")
    reason = text(element, "UKStatementofReasons")
    measure = sanction(entity, AUTHORITY, programme, listed_on, uid, reason)
    add(measure, "authorityId", uid)
    add(measure, "unscId", un_reference)
    add(measure, "modifiedAt", uk_date(text(element, "LastUpdated")))
    imposed = text(element, "SanctionsImposed")
    add(measure, "provisions", imposed.split("|") if imposed else None)
    source = text(element, "DesignationSource")
    add(measure, "summary", f"Designation source: {source}" if source else None)
    item.related.insert(0, measure)
    return item


# --------------------------------------------------------------------------- names


def _full_name(name: etree._Element) -> str | None:
    """``Name1`` … ``Name5`` then ``Name6``: given names before the family name (an
    entity's or a ship's whole name is in ``Name6`` alone)."""
    parts = [text(name, f"Name{i}") for i in range(1, 7)]
    full = " ".join(p for p in parts if p)
    return full or None


def _names(element: etree._Element, entity: EntityProxy) -> None:
    person = entity.schema.name == "Person"
    names = items(element, "Names", "Name")
    primary = next((n for n in names
                    if (text(n, "NameType") or "").lower() == "primary name" and _full_name(n)),
                   next((n for n in names if _full_name(n)), None))
    for name in names:
        full = _full_name(name)
        if not full:
            continue
        if name is primary:
            add(entity, "name", full)
            if person:
                add(entity, "firstName", text(name, "Name1"))
                add(entity, "middleName", [text(name, f"Name{i}") for i in range(2, 6)])
                add(entity, "lastName", text(name, "Name6"))
            continue
        strength = (text(name, "AliasStrength") or "").lower().rstrip(".")
        add(entity, "weakAlias" if strength in WEAK else "alias", full)
    for other in items(element, "NonLatinNames", "NonLatinName"):
        # the name in its own script is the same name: a strong alias
        add(entity, "alias", text(other, "NameNonLatinScript"))


# --------------------------------------------------------------------------- addresses


def _addresses(element: etree._Element, item: ListEntity, notes: list[Problem],
               place: Callable[[], str]) -> None:
    entity = item.entity
    for found in items(element, "Addresses", "Address"):
        lines = [(local(c), t) for c in found if local(c).startswith("AddressLine")
                 and (t := text(c))]
        postcode = text(found, "AddressPostalCode")
        country = text(found, "AddressCountry")
        full = ", ".join(p for p in [*(t for _, t in lines), postcode, country] if p)
        if not full:
            continue
        record = address(entity, full, country)
        for name, value in lines:
            if name in ADDRESS_LINES:
                add(record, ADDRESS_LINES[name], value)
        add(record, "postalCode", postcode)
        item.related.append(record)
        add(entity, "address", full)
        add_noted(entity, "country", country, notes, place)


# --------------------------------------------------------------------------- details


def _individual(person: etree._Element, item: ListEntity, notes: list[Problem],
                place: Callable[[], str]) -> None:
    entity = item.entity
    add_noted(entity, "birthDate", [uk_date(d) for d in _texts(person, "DOBs", "DOB")],
              notes, place)
    add_noted(entity, "nationality", _texts(person, "Nationalities", "Nationality"), notes,
              place)
    for born in items(person, "BirthDetails", "Location"):
        town, country = text(born, "TownOfBirth"), text(born, "CountryOfBirth")
        add(entity, "birthPlace", ", ".join(p for p in (town, country) if p) or None)
        add_noted(entity, "birthCountry", country, notes, place)
    add(entity, "position", _texts(person, "Positions", "Position"))
    add(entity, "title", [t for x in person.iter("{*}Title") if (t := text(x))])
    for gender in _texts(person, "Genders", "Gender"):
        add_noted(entity, "gender", gender.lower(), notes, place)
    for passport in items(person, "PassportDetails", "Passport"):
        number = text(passport, "PassportNumber")
        if not number:
            continue
        add(entity, "passportNumber", number)
        record = identification(entity, "Passport", number, passport=True)
        add(record, "summary", text(passport, "PassportAdditionalInformation"))
        item.related.append(record)
    for national in items(person, "NationalIdentifierDetails", "NationalIdentifier"):
        number = text(national, "NationalIdentifierNumber")
        if not number:
            continue
        add(entity, "idNumber", number)
        record = identification(entity, "National identifier", number)
        add(record, "summary", text(national, "NationalIdentifierAdditionalInformation"))
        item.related.append(record)


def _company(company: etree._Element, item: ListEntity) -> None:
    entity = item.entity
    for kind in _texts(company, "TypeOfEntities", "TypeOfEntity"):
        add(entity, "notes", f"Type of entity: {kind}")
    for number in _texts(company, "BusinessRegistrationNumbers", "BusinessRegistrationNumber"):
        add(entity, "registrationNumber", number)
        item.related.append(identification(entity, "Business registration number", number))
    # Companies named, not listed here: kept as written.
    for parent in _texts(company, "ParentCompanies", "ParentCompany"):
        add(entity, "notes", f"Parent company: {parent}")
    for child in _texts(company, "Subsidiaries", "Subsidiary"):
        add(entity, "notes", f"Subsidiary: {child}")


def _ship(ship: etree._Element, item: ListEntity, notes: list[Problem],
          place: Callable[[], str]) -> None:
    entity = item.entity
    add_noted(entity, "imoNumber", _texts(ship, "IMONumbers", "IMONumber"), notes, place)
    add_noted(entity, "flag", _texts(ship, "CurrentBelievedFlagOfShips",
                                     "CurrentBelievedFlagOfShip"), notes, place)
    add_noted(entity, "pastFlags", _texts(ship, "PreviousFlags", "PreviousFlag"), notes, place)
    add(entity, "type", _texts(ship, "TypeOfShipDetails", "TypeOfShip"))
    add_noted(entity, "tonnage", _texts(ship, "TonnageOfShipDetails", "TonnageOfShip"), notes,
              place)
    add_noted(entity, "buildDate", _texts(ship, "YearsBuilt", "YearBuilt"), notes, place)
    add(entity, "registrationNumber", _texts(ship, "HullIdentificationNumbers",
                                             "HullIdentificationNumber"))
    for owner in _texts(ship, "CurrentOwnerOperators", "CurrentOwnerOperator"):
        add(entity, "notes", f"Current owner/operator: {owner}")
    length = text(ship, "LengthOfShip")
    add(entity, "notes", f"Length of ship: {length}" if length else None)

"""The UN Security Council consolidated list (XML).

``CONSOLIDATED_LIST`` holds ``INDIVIDUALS/INDIVIDUAL`` and ``ENTITIES/ENTITY``
records: ``DATAID``, the name parts ``FIRST_NAME`` … ``FOURTH_NAME``,
``UN_LIST_TYPE`` (the sanctions regime), ``REFERENCE_NUMBER`` (``QDi.001``),
``LISTED_ON``, ``NAME_ORIGINAL_SCRIPT``, ``COMMENTS1``, repeated
``INDIVIDUAL_ALIAS`` / ``ENTITY_ALIAS`` (``QUALITY`` good or low, ``ALIAS_NAME``),
addresses, dates and places of birth, ``NATIONALITY/VALUE``, ``DESIGNATION`` and
``INDIVIDUAL_DOCUMENT`` (passports and national identity numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lxml import etree

from tocsin.errors import Problem
from tocsin.i18n import N_
from tocsin.screening.readers.base import (
    ListEntity,
    ListRead,
    add,
    add_noted,
    address,
    identification,
    kids,
    local,
    make,
    parse_xml,
    read_records,
    sanction,
    text,
    year_span,
)

AUTHORITY = "UN Security Council"


def read(path: Path) -> ListRead:
    root = parse_xml(path)
    if local(root) != "CONSOLIDATED_LIST":
        raise_wrong(path, root)
    records = (element for group, record in (("INDIVIDUALS", "INDIVIDUAL"),
                                             ("ENTITIES", "ENTITY"))
               for holder in kids(root, group) for element in kids(holder, record))
    entities, notes = read_records(path, records, _entry, N_("UN consolidated list"))
    return ListRead(entities, published=root.get("dateGenerated"), notes=notes)


def raise_wrong(path: Path, root: etree._Element) -> None:
    from tocsin.errors import InputError

    raise InputError.single(f"{path.name}:{root.sourceline}", N_(
        "the root element is <%(root)s>, not <CONSOLIDATED_LIST>: not a UN list file",
        root=local(root)))


def _values(element: etree._Element, name: str) -> list[str]:
    out = []
    for holder in kids(element, name):
        for value in kids(holder, "VALUE"):
            found = text(value)
            if found:
                out.append(found)
    return out


#: The schema of each kind of record.
SCHEMAS = {"INDIVIDUAL": "Person", "ENTITY": "Organization"}


def _entry(element: etree._Element, notes: list[Problem],
           place: Callable[[], str]) -> ListEntity:
    schema = SCHEMAS[local(element)]
    data_id = text(element, "DATAID")
    if not data_id:
        raise ValueError(N_("the record has no DATAID"))
    parts = [text(element, n) for n in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME",
                                         "FOURTH_NAME")]
    name = " ".join(p for p in parts if p)
    if not name:
        raise ValueError(N_("record %(id)s has no name (FIRST_NAME is empty)", id=data_id))
    entity = make(schema, "un-sc", data_id)
    add(entity, "name", name)
    if schema == "Person":
        # FIRST_NAME is the given name; the last of the others is usually the family name
        # (the ones between are patronymics or further names, left untagged).
        add(entity, "firstName", parts[0])
        rest = [p for p in parts[1:] if p]
        add(entity, "lastName", rest[-1] if rest else None)
        add(entity, "title", _values(element, "TITLE"))
        add(entity, "position", _values(element, "DESIGNATION"))
        add_noted(entity, "nationality", _values(element, "NATIONALITY"), notes, place)
        gender = text(element, "GENDER")
        add(entity, "gender", gender.lower() if gender else None)
    add(entity, "name", text(element, "NAME_ORIGINAL_SCRIPT"))
    add(entity, "notes", text(element, "COMMENTS1"))
    reference = text(element, "REFERENCE_NUMBER") or ""
    listed_on = text(element, "LISTED_ON")
    programme = text(element, "UN_LIST_TYPE") or ""
    add(entity, "topics", "sanction")
    related = [sanction(entity, AUTHORITY, programme, listed_on, reference,
                        text(element, "COMMENTS1"))]
    alias_tag = "INDIVIDUAL_ALIAS" if schema == "Person" else "ENTITY_ALIAS"
    for alias in kids(element, alias_tag):
        value = text(alias, "ALIAS_NAME")
        quality = (text(alias, "QUALITY") or "").lower()
        add(entity, "weakAlias" if quality in ("low", "a.k.a. low") else "alias", value)
        if schema == "Person":
            # The birth an alias was used with is one more the person may have given.
            add_noted(entity, "birthDate", text(alias, "DATE_OF_BIRTH"), notes, place)
            born = ", ".join(p for p in (text(alias, "CITY_OF_BIRTH"),
                                         text(alias, "COUNTRY_OF_BIRTH")) if p)
            add(entity, "birthPlace", born or None)
        if value and text(alias, "NOTE"):
            add(entity, "notes", f"{value}: {text(alias, 'NOTE')}")
    for dob in kids(element, "INDIVIDUAL_DATE_OF_BIRTH"):
        # EXACT and APPROXIMATELY give DATE or YEAR; BETWEEN gives FROM_YEAR and TO_YEAR.
        add_noted(entity, "birthDate", text(dob, "DATE") or text(dob, "YEAR"), notes, place)
        add_noted(entity, "birthDate", year_span(text(dob, "FROM_YEAR"), text(dob, "TO_YEAR")),
                  notes, place)
    for pob in kids(element, "INDIVIDUAL_PLACE_OF_BIRTH"):
        born = ", ".join(p for p in (text(pob, "CITY"), text(pob, "STATE_PROVINCE"),
                                     text(pob, "COUNTRY")) if p)
        add(entity, "birthPlace", born or None)
        add_noted(entity, "birthCountry", text(pob, "COUNTRY"), notes, place)
    address_tag = "INDIVIDUAL_ADDRESS" if schema == "Person" else "ENTITY_ADDRESS"
    for item in kids(element, address_tag):
        country = text(item, "COUNTRY")
        full = ", ".join(p for p in (text(item, "STREET"), text(item, "CITY"),
                                     text(item, "STATE_PROVINCE"), text(item, "ZIP_CODE"),
                                     country) if p)
        if full:
            found = address(entity, full, country)
            add(found, "remarks", text(item, "NOTE"))
            related.append(found)
            add(entity, "address", full)
        add_noted(entity, "country", country, notes, place)
    for document in kids(element, "INDIVIDUAL_DOCUMENT"):
        number = text(document, "NUMBER")
        kind = text(document, "TYPE_OF_DOCUMENT") or "identity document"
        further = text(document, "TYPE_OF_DOCUMENT2")
        if not number:
            # The UN sometimes writes the number into TYPE_OF_DOCUMENT2 or NOTE ("Afghan
            # national identification card (tazkira) number 44323"): kept as written.
            described = "; ".join(p for p in (further, text(document, "NOTE")) if p)
            if described:
                add(entity, "notes", f"{kind}: {described}")
            continue
        if further:
            kind = f"{kind} ({further})"
        country = text(document, "ISSUING_COUNTRY") or text(document, "COUNTRY_OF_ISSUE")
        is_passport = "passport" in kind.lower()
        add(entity, "passportNumber" if is_passport else "idNumber", number)
        found = identification(entity, kind, number, country, is_passport)
        add(found, "startDate", text(document, "DATE_OF_ISSUE"))
        add(found, "summary", text(document, "NOTE"))
        related.append(found)
    return ListEntity(entity, related, programme, listed_on, reference)


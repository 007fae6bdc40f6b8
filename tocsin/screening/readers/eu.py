"""The EU consolidated list of persons, groups and entities subject to financial sanctions.

The XML export (``export`` in namespace ``http://eu.europa.ec/fpi/fsd/export``)
holds one ``sanctionEntity`` per listing with attributes ``logicalId``,
``euReferenceNumber`` and ``unitedNationId``, and children ``regulation``
(``programme``, ``publicationDate``, ``entryIntoForceDate``), ``subjectType``
(``code`` person or enterprise), repeated ``nameAlias`` (``wholeName``,
``firstName``, ``middleName``, ``lastName``, ``gender``, ``strong``),
``citizenship``, ``birthdate``, ``address`` and ``identification``, all
carrying their values as attributes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lxml import etree

from tocsin.errors import InputError, Problem
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
from tocsin.types.base import is_digits

AUTHORITY = "European Union"


def read(path: Path) -> ListRead:
    root = parse_xml(path)
    if local(root) != "export":
        raise InputError.single(f"{path.name}:{root.sourceline}", N_(
            "the root element is <%(root)s>, not <export>: not an EU sanctions file",
            root=local(root)))
    entities, notes = read_records(path, kids(root, "sanctionEntity"), _entry,
                                   N_("EU financial sanctions"))
    return ListRead(entities, published=root.get("generationDate"), notes=notes)


def _attr(element: etree._Element, name: str) -> str | None:
    value = element.get(name)
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


#: ``countryIso2Code`` the EU writes for a country it does not know.
UNKNOWN_COUNTRY = "00"
#: ``subjectType`` ``classificationCode`` → ``code``, for files that give only the first.
CLASSIFICATION = {"P": "person", "E": "enterprise"}


def _country(element: etree._Element) -> str | None:
    code = _attr(element, "countryIso2Code")
    return None if code == UNKNOWN_COUNTRY else code


def _birth_dates(birth: etree._Element) -> list[str]:
    """The full date, else year and month (``monthOfYear`` without ``dayOfMonth`` is a month,
    not a year), else every year of ``yearRangeFrom``…``yearRangeTo``."""
    full = _attr(birth, "birthdate")
    if full:
        return [full]
    year, month, day = (_attr(birth, n) for n in ("year", "monthOfYear", "dayOfMonth"))
    if year and is_digits(month):
        out = f"{year}-{int(month):02d}"
        return [f"{out}-{int(day):02d}" if is_digits(day) else out]
    if year:
        return [year]
    return year_span(_attr(birth, "yearRangeFrom"), _attr(birth, "yearRangeTo"))


def _entry(element: etree._Element, notes: list[Problem],
           place: Callable[[], str]) -> ListEntity:
    logical_id = _attr(element, "logicalId")
    if not logical_id:
        raise ValueError(N_("sanctionEntity without a logicalId"))
    subject = kids(element, "subjectType")
    code = ((_attr(subject[0], "code") or CLASSIFICATION.get(
        _attr(subject[0], "classificationCode") or "", "")) if subject else "")
    schema = "Person" if code == "person" else "Organization" if code == "enterprise" \
        else "LegalEntity"
    entity = make(schema, "eu-fsf", logical_id)
    names = kids(element, "nameAlias")
    if not any(_attr(n, "wholeName") for n in names):
        raise ValueError(N_("sanctionEntity %(id)s has no nameAlias with a wholeName",
                            id=logical_id))
    first = True
    for alias in names:
        whole = _attr(alias, "wholeName")
        if not whole:
            continue
        strong = (_attr(alias, "strong") or "true") == "true"
        add(entity, "name" if first else "alias" if strong else "weakAlias", whole)
        if schema == "Person":
            add(entity, "firstName", _attr(alias, "firstName"))
            add(entity, "middleName", _attr(alias, "middleName"))
            add(entity, "lastName", _attr(alias, "lastName"))
            add(entity, "title", _attr(alias, "title"))
            add(entity, "position", _attr(alias, "function"))
            gender = (_attr(alias, "gender") or "").upper()
            add(entity, "gender", {"M": "male", "F": "female"}.get(gender))
        first = False
    for citizenship in kids(element, "citizenship"):
        if schema == "Person":
            # "00" is the EU's "unknown": nothing to keep.
            add_noted(entity, "nationality", _country(citizenship), notes, place)
    for birth in kids(element, "birthdate"):
        if schema != "Person":
            continue
        add_noted(entity, "birthDate", _birth_dates(birth), notes, place)
        country = _country(birth)
        born = ", ".join(p for p in (_attr(birth, "city"), _attr(birth, "place"),
                                     _attr(birth, "countryDescription") if country else None)
                         if p)
        add(entity, "birthPlace", born or None)
        add_noted(entity, "birthCountry", country, notes, place)
    related = []
    for item in kids(element, "address"):
        country = _attr(item, "countryIso2Code")
        full = ", ".join(p for p in (_attr(item, "street"), _attr(item, "poBox"),
                                     _attr(item, "zipCode"), _attr(item, "city"),
                                     _attr(item, "region"), _attr(item, "place"),
                                     _attr(item, "countryDescription")) if p)
        if full:
            related.append(address(entity, full, country))
            add(entity, "address", full)
        add(entity, "country", country)
    for ident in kids(element, "identification"):
        number = _attr(ident, "number")
        if not number:
            continue
        kind = _attr(ident, "identificationTypeDescription") or \
            _attr(ident, "identificationTypeCode") or "identification"
        passport = (_attr(ident, "identificationTypeCode") or "") == "passport"
        if (_attr(ident, "identificationTypeCode") or "") == "tin" \
                and entity.schema.get("taxNumber"):
            add(entity, "taxNumber", number)
        elif schema == "Person":
            add(entity, "passportNumber" if passport else "idNumber", number)
        else:
            add(entity, "registrationNumber" if "regist" in kind.lower() else "idNumber",
                number)
        related.append(identification(entity, kind, number,
                                      _attr(ident, "countryIso2Code"), passport))
    regulations = kids(element, "regulation")
    programme = "; ".join(sorted({p for r in regulations if (p := _attr(r, "programme"))}))
    dates = sorted(d for r in regulations
                   if (d := _attr(r, "entryIntoForceDate") or _attr(r, "publicationDate")))
    listed_on = dates[0] if dates else None
    reference = _attr(element, "euReferenceNumber") or logical_id
    remarks = [r for r in (text(x) for x in kids(element, "remark")) if r]
    add(entity, "notes", remarks)
    add(entity, "topics", "sanction")
    if _attr(element, "unitedNationId"):
        add(entity, "unscId" if entity.schema.get("unscId") else "notes",
            _attr(element, "unitedNationId"))
    related.insert(0, sanction(entity, AUTHORITY, programme, listed_on, reference,
                               "; ".join(remarks) or None))
    return ListEntity(entity, related, programme, listed_on, reference)

"""The OFAC SDN Enhanced XML (``SDN_ENHANCED.XML``, and ``CONS_ENHANCED.XML`` for the
consolidated non-SDN lists).

Root ``sanctionsData`` in namespace :data:`NAMESPACE`, with ``publicationInfo``
(``dataAsOf``, ``filters``), ``referenceValues`` (``referenceValue refId`` with ``type``,
``value``, ``code``, ``isoCode``), ``featureTypes`` and ``entities/entity`` (attribute
``id``: OFAC's UID, the ``ent_num`` of the CSV set and the ``uid`` of the classic XML).
Each entity holds, in this order:

- ``generalInfo``: ``identityId``, ``entityType`` (Individual, Entity, Vessel, Aircraft),
  ``livingStatus``, ``remarks``, ``title``, ``isUsCitizen``, ``isUsPerson``;
- ``sanctionsLists/sanctionsList`` (attribute ``datePublished``), ``sanctionsPrograms/
  sanctionsProgram``, ``sanctionsTypes/sanctionsType``, ``legalAuthorities/legalAuthority``;
- ``names/name``: ``isPrimary``, ``aliasType`` (A.K.A., F.K.A., N.K.A.), ``isLowQuality``
  and ``translations/translation`` (``isPrimary``, ``script``, ``formattedFirstName``,
  ``formattedLastName``, ``formattedFullName``, ``nameParts/namePart`` with ``type`` and
  ``value``), one translation a script;
- ``addresses/address``: ``country`` and ``translations/translation/addressParts/
  addressPart`` (``type`` ADDRESS1…, CITY, STATE/PROVINCE, POSTAL CODE, REGION; ``value``);
- ``features/feature``: ``type`` (Birthdate, Place of Birth, Nationality Country, Gender,
  Vessel Flag, Digital Currency Address - XBT, Website…), ``value`` or ``valueRefId``,
  ``valueDate`` (``fromDateBegin``, ``fromDateEnd``, ``toDateBegin``, ``toDateEnd``);
- ``identityDocuments/identityDocument``: ``type``, ``documentNumber``, ``isValid``,
  ``issuingAuthority``, ``issuingCountry``, ``issueDate``, ``expirationDate``;
- ``relationships/relationship``: ``type`` and ``relatedEntity`` (attribute ``entityId``).

The file (about 100 MB for the SDN list) is streamed: each entity is read and let go.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import partial
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
    kid,
    kids,
    let_go,
    local,
    make,
    read_records,
    root_tag,
    sanction,
    stream,
    text,
)
from tocsin.screening.readers.ofac import _CRAFT_IDS, AUTHORITY, apply_fact, span_dates

NAMESPACE = ("https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/"
             "ENHANCED_XML")
WHAT = "OFAC SDN Enhanced XML"
#: ``entityType`` → schema.
SCHEMA_BY_TYPE = {"individual": "Person", "entity": "Organization", "vessel": "Vessel",
                  "aircraft": "Airplane"}
#: Feature types read onto a property of the entity (when its schema has it); a value the
#: property's type refuses is named in the notes.
FEATURE_PROPS = {
    **_CRAFT_IDS,
    "nationality country": "nationality", "citizenship country": "citizenship",
    "vessel flag": "flag", "other vessel flag": "pastFlags", "former vessel flag": "pastFlags",
    "vessel call sign": "callSign", "vessel type": "type", "vessel tonnage": "tonnage",
    "vessel gross registered tonnage": "grossRegisteredTonnage",
    "vessel deadweight tonnage": "deadweightTonnage", "phone number": "phone",
    "organization established date": "incorporationDate", "organization type": "legalForm",
    "title": "title",
}
#: Feature types whose ``valueDate`` is the value.
DATE_FEATURES = ("birthdate", "organization established date", "aircraft manufacture date",
                 "vessel year of build")
#: Name part type → property of a person.
NAME_PARTS = {"first name": "firstName", "last name": "lastName", "middle name": "middleName",
              "patronymic": "fatherName", "matronymic": "motherName"}
#: Order of a person's name parts in the name the platform shows.
PART_ORDER = {"first name": 0, "middle name": 1, "patronymic": 2, "matronymic": 3,
              "last name": 4}
#: Address part type → property of the Address entity.
ADDRESS_PARTS = {"address1": "street", "address2": "street2", "address3": "street2",
                 "city": "city", "state/province": "state", "postal code": "postalCode",
                 "region": "region"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass
class _Stream(Streamed):
    """:class:`Streamed`, with the file's reference values read before its entities."""

    record_path: str = "/sanctionsData/entities/entity"
    refs: dict[str, str] = field(default_factory=dict)


def read(path: Path) -> ListRead:
    tag, line = root_tag(path)
    namespace, _, name = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    if name != "sanctionsData":
        raise InputError.single(f"{path.name}:{line}", N_(
            "the root element is <%(root)s>, not <sanctionsData>: not an OFAC SDN Enhanced "
            "XML file", root=name))
    if namespace != NAMESPACE:
        raise InputError.single(f"{path.name}:{line}", N_(
            "<sanctionsData> in namespace %(found)s, not %(expected)s: not an OFAC SDN "
            "Enhanced XML file (a delta file or another export?)",
            found=repr(namespace), expected=NAMESPACE))
    state = _Stream(path)
    entities, notes = read_records(path, _entities(state), partial(_entity, refs=state.refs),
                                   WHAT, place_of=state.place)
    return ListRead(entities, published=state.published, notes=notes)


def _entities(state: _Stream) -> Iterator[etree._Element]:
    """Each ``entities/entity`` in turn, let go once read; the header is kept in ``state``."""
    for _, element in stream(state.path, ("publicationInfo", "referenceValues",
                                          "featureTypes", "entity")):
        name = local(element)
        parent = element.getparent()
        if name == "entity" and parent is not None and local(parent) == "entities":
            state.count += 1
            yield element
        elif name == "publicationInfo":
            found = text(element, "dataAsOf")
            state.published = found[:10] if found and _DATE.match(found) else found
        elif name == "referenceValues":
            for value in kids(element, "referenceValue"):
                if value.get("refId") and text(value, "value"):
                    state.refs[str(value.get("refId"))] = str(text(value, "value"))
        let_go(element)


def _true(element: etree._Element, name: str) -> bool:
    return (text(element, name) or "").lower() == "true"


def _entity(element: etree._Element, notes: list[Problem], place: Callable[[], str],
            refs: dict[str, str]) -> ListEntity:
    uid = " ".join((element.get("id") or "").split())
    if not uid:
        raise ValueError(N_("entity without an id attribute"))
    general = kid(element, "generalInfo")
    kind = text(general, "entityType") if general is not None else None
    schema = SCHEMA_BY_TYPE.get((kind or "").lower())
    if schema is None:
        raise ValueError(N_("unknown entityType %(value)s", value=repr(kind)))
    entity = make(schema, "ofac", uid)
    _names(element, entity)
    if not entity.get("name"):
        raise ValueError(N_("entity %(id)s has no primary name", id=uid))
    lists = items(element, "sanctionsLists", "sanctionsList")
    dates = []
    for listed in lists:
        published = " ".join((listed.get("datePublished") or "").split())
        if _DATE.match(published):
            dates.append(published[:10])
        elif published:
            notes.append(Problem(place(), N_("%(field)s %(value)s is not a value the platform "
                                             "can hold; left out", field="datePublished",
                                             value=repr(published))))
    listed_on = min(dates) if dates else None
    programme = "; ".join(p for p in (text(x) for x in items(
        element, "sanctionsPrograms", "sanctionsProgram")) if p)
    item = ListEntity(entity, [], programme, listed_on, uid)
    if general is not None:
        remarks = text(general, "remarks")
        if remarks:
            add(entity, "notes", remarks)
        title = text(general, "title")
        add(entity, "title" if entity.schema.get("title") else "notes", title)
        status = text(general, "livingStatus")
        if status:
            add(entity, "notes", f"Living status: {status}")
    _addresses(element, item, notes, place, refs)
    for feature in items(element, "features", "feature"):
        _feature(feature, item, notes, place, refs)
    for document in items(element, "identityDocuments", "identityDocument"):
        _document(document, item, notes, place, refs)
    for link in items(element, "relationships", "relationship"):
        _relationship(link, item)
    add(entity, "topics", "sanction")
    measure = sanction(entity, AUTHORITY, programme, listed_on, uid)
    add(measure, "provisions", [text(x) for x in items(element, "sanctionsTypes",
                                                      "sanctionsType")])
    add(measure, "provisions", [text(x) for x in items(element, "legalAuthorities",
                                                      "legalAuthority")])
    add(measure, "description", "; ".join(n for n in (text(x) for x in lists) if n) or None)
    item.related.insert(0, measure)
    return item


# --------------------------------------------------------------------------- names


def _names(element: etree._Element, entity: EntityProxy) -> None:
    person = entity.schema.name == "Person"
    for name in items(element, "names", "name"):
        primary = _true(name, "isPrimary")
        weak = _true(name, "isLowQuality")
        alias_type = (text(name, "aliasType") or "").lower()
        translations = items(name, "translations", "translation")
        # the translation OFAC marks primary (the Latin one), else the first
        chosen = next((t for t in translations if _true(t, "isPrimary")),
                      translations[0] if translations else None)
        for translation in translations:
            parts = [((text(p, "type") or "").lower(), v)
                     for p in items(translation, "nameParts", "namePart")
                     if (v := text(p, "value"))]
            full = _full_name(translation, parts, person)
            if not full:
                continue
            main = primary and translation is chosen
            # the name in its other scripts is the same name: an alias of the same strength
            add(entity, "name" if main else "weakAlias" if weak else "alias", full)
            if alias_type == "f.k.a." and entity.schema.get("previousName"):
                add(entity, "previousName", full)
            if main and person:
                for kind, value in parts:
                    if kind in NAME_PARTS:
                        add(entity, NAME_PARTS[kind], value)
                if not parts:
                    add(entity, "firstName", text(translation, "formattedFirstName"))
                    add(entity, "lastName", text(translation, "formattedLastName"))


def _full_name(translation: etree._Element, parts: list[tuple[str, str]],
               person: bool) -> str | None:
    """The name as the platform shows it: a person's given names before the family name
    (``Mohammed ABU TEIR``, as the classic XML and the CSV set are read), else OFAC's
    ``formattedFullName``, else the name parts."""
    first, last = text(translation, "formattedFirstName"), text(translation, "formattedLastName")
    full = text(translation, "formattedFullName")
    if person:
        if first and last:
            return f"{first} {last}"
        if full and "," in full:
            family, given = (p.strip() for p in full.split(",", 1))
            return f"{given} {family}" if given else family
        if not full and parts:
            return " ".join(v for _, v in sorted(parts, key=lambda p: PART_ORDER.get(p[0], 5)))
    return full or last or (" ".join(v for _, v in parts) if parts else None)


# --------------------------------------------------------------------------- addresses


def _addresses(element: etree._Element, item: ListEntity, notes: list[Problem],
               place: Callable[[], str], refs: dict[str, str]) -> None:
    entity = item.entity
    for found in items(element, "addresses", "address"):
        country_el = kid(found, "country")
        country = text(country_el) or (refs.get(str(country_el.get("refId")))
                                       if country_el is not None else None)
        for translation in items(found, "translations", "translation") or [None]:
            parts = [(text(p, "type") or "", text(p, "value"))
                     for p in items(translation, "addressParts", "addressPart")]
            full = ", ".join(v for v in [*(v for _, v in parts), country] if v)
            if not full:
                continue
            record = address(entity, full, country)
            for kind, value in parts:
                if kind.lower() in ADDRESS_PARTS:
                    add(record, ADDRESS_PARTS[kind.lower()], value)
            item.related.append(record)
            if entity.schema.is_a("Thing"):
                add(entity, "address", full)
        if entity.schema.is_a("Thing"):
            add_noted(entity, "country", country, notes, place)


# --------------------------------------------------------------------------- features


def _day(value: str | None) -> tuple[int, int, int] | None:
    if not value or not _DATE.match(value):
        return None
    try:
        found = date.fromisoformat(value[:10])
    except ValueError:
        return None
    return found.year, found.month, found.day


def _period(period: etree._Element | None) -> list[str]:
    """The dates a ``valueDate`` (or ``issueDate``…) means: ``fromDateBegin`` 1951-01-01 to
    ``toDateEnd`` 1951-12-31 is 1951, not its first day (as the advanced XML is read)."""
    if period is None:
        return []
    first = _day(text(period, "fromDateBegin"))
    last = _day(text(period, "toDateEnd") or text(period, "toDateBegin")
                or text(period, "fromDateEnd"))
    return span_dates(first, last) if first else []


def _feature(feature: etree._Element, item: ListEntity, notes: list[Problem],
             place: Callable[[], str], refs: dict[str, str]) -> None:
    entity = item.entity
    kind = text(feature, "type") or ""
    key = kind.lower()
    value = text(feature, "value") or refs.get(text(feature, "valueRefId") or "")
    dates = _period(kid(feature, "valueDate")) if key in DATE_FEATURES else []
    if key == "birthdate":
        if not entity.schema.get("birthDate"):
            add(entity, "notes", f"{kind} {value}" if value else None)
        elif dates:
            add_noted(entity, "birthDate", dates, notes, place)
        elif value:
            apply_fact(f"DOB {value}", item, notes, place)
        return
    if not value and not dates:
        return
    prop = FEATURE_PROPS.get(key)
    if prop and entity.schema.get(prop):
        add_noted(entity, prop, dates or value, notes, place)
    elif key == "place of birth" and entity.schema.get("birthPlace"):
        add(entity, "birthPlace", value)
        add(entity, "birthCountry", (value or "").rsplit(",", 1)[-1])
    elif not value or not apply_fact(f"{kind} {value}", item, notes, place):
        # Statements such as "Secondary sanctions risk:" are kept as written.
        add(entity, "notes", f"{kind} {value or dates[0]}")


# --------------------------------------------------------------------------- documents


def _document(document: etree._Element, item: ListEntity, notes: list[Problem],
              place: Callable[[], str], refs: dict[str, str]) -> None:
    entity = item.entity
    kind, number = text(document, "type"), text(document, "documentNumber")
    if not kind or not number:
        return
    country_el = kid(document, "issuingCountry")
    country = text(country_el) or (refs.get(str(country_el.get("refId")))
                                   if country_el is not None else None)
    craft = _CRAFT_IDS.get(kind.lower())
    before = len(item.related)
    if craft and entity.schema.get(craft):
        add(entity, craft, number)
    elif not apply_fact(f"{kind} {number}" + (f" ({country})" if country else ""), item,
                        notes, place):
        if entity.schema.is_a("LegalEntity"):
            add(entity, "idNumber", number)
            item.related.append(identification(entity, kind, number, country))
        else:
            add(entity, "notes", f"{kind} {number}")
    for record in item.related[before:]:
        if record.schema.name in ("Identification", "Passport"):
            add(record, "startDate", _period(kid(document, "issueDate"))[:1])
            add(record, "endDate", _period(kid(document, "expirationDate"))[:1])
            add(record, "authority", text(document, "issuingAuthority"))
    if (text(document, "isValid") or "").lower() == "false":
        add(entity, "notes", f"{kind} {number}: not valid")


# --------------------------------------------------------------------------- relationships


def _relationship(link: etree._Element, item: ListEntity) -> None:
    """A relationship to another listed entity (``Owned or Controlled By``, ``Associate
    Of``…), as a link to that entity's id (the id it has in this list)."""
    kind = text(link, "type") or "Related To"
    other = kid(link, "relatedEntity")
    other_id = " ".join((other.get("entityId") or "").split()) if other is not None else ""
    name = text(other)
    if not other_id:
        add(item.entity, "notes", f"{kind}: {name}" if name else None)
        return
    target = make("LegalEntity", "ofac", other_id)
    record = make("UnknownLink", "link", item.entity.id, target.id, kind)
    add(record, "subject", item.entity.id)
    add(record, "object", target.id)
    add(record, "role", kind)
    add(record, "description", name)
    item.related.append(record)

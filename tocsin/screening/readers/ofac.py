"""The OFAC SDN list: the legacy CSV set and the advanced XML.

**CSV set.** ``sdn.csv`` (no header: ``ent_num, SDN_Name, SDN_Type, Program,
Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks``;
``-0-`` stands for empty), ``add.csv`` (``ent_num, Add_num, Address,
City/State/Province/Postal Code, Country, Add_remarks``) and ``alt.csv``
(``ent_num, alt_num, alt_type, alt_name, alt_remarks``). Dates of birth,
nationalities, passports and identity numbers are written in ``Remarks``
(``DOB 12 Dec 1960; POB Baghdad, Iraq; nationality Iraq; Passport A123 (Iraq)``).

**Advanced XML** (``SDN_ADVANCED.XML``). ``ReferenceValueSets`` names the ids
used everywhere else (party types, alias types, name-part types, feature
types, countries, document types, programmes); ``Locations`` and
``IDRegDocuments`` are referenced by id from ``DistinctParties/DistinctParty/
Profile`` (``Identity/Alias/DocumentedName/DocumentedNamePart/NamePartValue``
and ``Feature/FeatureVersion`` for birth dates, nationality, gender,
addresses); ``SanctionsEntries/SanctionsEntry`` gives each profile its
programmes and listing date. It is read in two streamed passes (see :func:`_read_advanced`).

**Classic XML** (``sdn.xml``, ``consolidated.xml``, root ``sdnList``): streamed entry by
entry.

**Enhanced XML** (``SDN_ENHANCED.XML``, root ``sanctionsData``): read by
:mod:`tocsin.screening.readers.ofac_enhanced`, which streams the file.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from calendar import monthrange
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path

from followthemoney.proxy import EntityProxy
from lxml import etree

from tocsin.errors import InputError, Problem, reason_of
from tocsin.i18n import N_
from tocsin.screening.readers.base import (
    ListEntity,
    ListRead,
    add,
    add_noted,
    address,
    check_size,
    check_well_formed,
    identification,
    kid,
    kids,
    let_go,
    local,
    make,
    read_records,
    require,
    root_tag,
    sanction,
    stream,
    text,
    where_in,
    year_span,
)
from tocsin.types.base import is_digits

AUTHORITY = "OFAC"
NULL = "-0-"
SDN_COLUMNS = 12
SCHEMA_BY_TYPE = {"individual": "Person", "vessel": "Vessel", "aircraft": "Airplane",
                  "": "Organization"}


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.replace("\x1a", "").split())
    return None if not value or value == NULL else value


def iso_date(value: str) -> str | None:
    """``12 Dec 1960`` → ``1960-12-12``; ``Dec 1960`` → ``1960-12``; ``1960`` → ``1960``."""
    value = value.strip().removeprefix("circa").strip()
    for fmt, out in (("%d %b %Y", "%Y-%m-%d"), ("%b %Y", "%Y-%m"), ("%Y", "%Y"),
                     ("%d %B %Y", "%Y-%m-%d"), ("%Y-%m-%d", "%Y-%m-%d")):
        try:
            return datetime.strptime(value, fmt).strftime(out)
        except ValueError:
            continue
    return None


_REMARK = re.compile(
    r"^(?:alt\.\s+)?(?P<key>DOB|POB|nationality|citizen|Passport|National ID No\.|"
    r"Cedula No\.|Gender|Vessel Registration Identification|Tax ID No\.|"
    r"Registration Number|Registration ID|Business Registration Document #|"
    r"Trade License No\.|Email Address|Website|Digital Currency Address - \w+|SWIFT/BIC)"
    r"\s+(?P<value>.+)$",
    re.IGNORECASE)
_DOC = re.compile(r"^(?P<number>[^()]+?)\s*(?:\((?P<country>[^)]*)\))?"
                  r"\s*(?:(?:issued|expires)\b.*)?$")
#: Remark keys whose value is a registration number of a company.
_REGISTRATION = ("registration number", "registration id", "business registration document #",
                 "trade license no.")


def apply_remarks(entity_remarks: str, target: ListEntity, notes: list[Problem] | None = None,
                  place: Callable[[], str] | None = None) -> None:
    """Read the facts OFAC writes into ``Remarks`` onto the entity; the remarks themselves are
    kept whole as the entity's notes, so a fact no rule reads is still there to see.

    ``alt.`` marks a further value of the same kind (``DOB 1955; alt. DOB 1956``); an
    ``a.k.a.`` in the remarks is one of OFAC's weak aliases (the XML files' ``weak``
    category), and ``DOB 1989 to 1991`` is every year of the span."""
    add(target.entity, "notes", entity_remarks)
    for piece in entity_remarks.rstrip(".").split(";"):
        piece = piece.strip().rstrip(".")
        if piece.lower().startswith("a.k.a."):
            add(target.entity, "weakAlias", piece[6:].strip(" '\""))
        else:
            apply_fact(piece, target, notes, place)


def apply_fact(piece: str, target: ListEntity, notes: list[Problem] | None = None,
               place: Callable[[], str] | None = None) -> bool:
    """Read one fact as OFAC writes it (``DOB 12 Dec 1960``, ``Passport A123 (Iraq)``,
    ``alt. DOB 1961``) onto the entity; False when no rule reads it. With ``notes``, a date
    of birth or a nationality the platform cannot hold is named there."""
    entity = target.entity

    def put(prop: str, value: str) -> None:
        if notes is not None and place is not None:
            add_noted(entity, prop, value, notes, place)
        else:
            add(entity, prop, value)

    found = _REMARK.match(piece)
    if not found:
        return False
    key, value = found.group("key").lower(), found.group("value").strip()
    if key == "dob":
        ends = [iso_date(part) for part in re.split(r"\s+to\s+", value)]
        if not all(ends):
            put("birthDate", value)  # names it: no form OFAC is known to write
        add(entity, "birthDate", ends)
        if len(ends) == 2 and ends[0] and ends[1]:
            add(entity, "birthDate", year_span(ends[0][:4], ends[1][:4])[1:-1])
    elif key == "pob" and entity.schema.is_a("Person"):
        add(entity, "birthPlace", value)
        add(entity, "birthCountry", value.rsplit(",", 1)[-1])
    elif key in ("nationality", "citizen") and entity.schema.is_a("Person"):
        put("nationality" if key == "nationality" else "citizenship", value)
    elif key == "gender" and entity.schema.is_a("Person"):
        add(entity, "gender", value.lower())
    elif key in ("passport", "national id no.", "cedula no.", "tax id no.",
                 "vessel registration identification", "swift/bic", *_REGISTRATION):
        doc = _DOC.match(value)
        number = doc.group("number").strip() if doc else value
        country = doc.group("country") if doc else None
        if key == "passport" and entity.schema.is_a("Person"):
            add(entity, "passportNumber", number)
        elif key == "tax id no." and entity.schema.is_a("LegalEntity"):
            add(entity, "taxNumber", number)
        elif key in _REGISTRATION and entity.schema.is_a("LegalEntity"):
            add(entity, "registrationNumber", number)
        elif key == "vessel registration identification":
            add(entity, "imoNumber", number.replace("IMO", "").strip())
        elif key == "swift/bic" and entity.schema.is_a("Organization"):
            add(entity, "swiftBic", number)
        elif entity.schema.is_a("LegalEntity"):
            add(entity, "idNumber", number)
        if entity.schema.is_a("LegalEntity"):
            target.related.append(identification(entity, found.group("key"), number,
                                                 country, key == "passport"))
    elif key == "email address" and entity.schema.is_a("LegalEntity"):
        add(entity, "email", value)
    elif key == "website" and entity.schema.is_a("LegalEntity"):
        add(entity, "website", value)
    elif key.startswith("digital currency address") and entity.schema.is_a("Thing"):
        target.related.append(_wallet(entity, value))
    else:
        return False
    return True


def _wallet(holder_entity: EntityProxy, value: str) -> EntityProxy:
    wallet = make("CryptoWallet", "wallet", value)
    add(wallet, "publicKey", value)
    add(wallet, "holder", holder_entity.id)
    return wallet


# --------------------------------------------------------------------------- CSV set


def _rows(path: Path, width: int) -> list[tuple[int, list[str]]]:
    check_size(path)
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError:
        content = raw.decode("latin-1")
    rows = []
    reader = csv.reader(io.StringIO(content))
    try:
        for row in reader:
            if not row or (len(row) == 1 and not _clean(row[0])):
                continue
            if len(row) < width:
                raise InputError.single(f"{path.name}:{reader.line_num}",
                                        N_("%(count)s columns, expected %(expected)s",
                                           count=len(row), expected=width))
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise InputError.single(f"{path.name}:{reader.line_num}", N_("bad CSV (%(error)s)",
                                                                     error=str(exc))) from None
    return rows


def classify(paths: Sequence[Path]) -> dict[str, Path]:
    """Which file is which: ``sdn``, ``add``, ``alt`` (and ``comments``), by file name."""
    found: dict[str, Path] = {}
    for path in paths:
        name = path.name.lower()
        # The consolidated (non-SDN) list is the same set named cons_prim, cons_add, cons_alt
        # and cons_comments.
        stem = name.removeprefix("cons_")
        kind = ("comments" if "comment" in stem else "add" if stem.startswith("add")
                else "alt" if stem.startswith("alt") else "sdn" if "sdn" in stem
                or stem.startswith("prim") or name.startswith("cons") else None)
        if kind is None:
            raise InputError.single(path.name, N_("not part of an OFAC CSV set: name the files "
                                                  "sdn.csv, add.csv, alt.csv "
                                                  "(sdn_comments.csv)"))
        if kind in found:
            raise InputError.single(path.name, N_("two %(kind)s files given", kind=kind))
        found[kind] = path
    if "sdn" not in found:
        raise InputError.single(", ".join(p.name for p in paths),
                                N_("the OFAC CSV set needs sdn.csv"))
    return found


def read_csv(paths: Sequence[Path]) -> ListRead:
    files = classify(paths)
    sdn = files["sdn"]
    problems: list[Problem] = []
    notes: list[Problem] = []
    entries: dict[str, ListEntity] = {}
    remarks: dict[str, str] = {}
    lines: dict[str, str] = {}
    for line, row in _rows(sdn, SDN_COLUMNS):
        where_ = f"{sdn.name}:{line}"
        ent_num, name = _clean(row[0]), _clean(row[1])
        if not is_digits(ent_num):
            problems.append(Problem(where_, N_("ent_num %(value)s is not a number",
                                               value=repr(row[0]))))
            continue
        if not name:
            problems.append(Problem(where_, N_("%(column)s is empty", column="SDN_Name")))
            continue
        kind = (_clean(row[2]) or "").lower()
        schema = SCHEMA_BY_TYPE.get(kind)
        if schema is None:
            problems.append(Problem(where_, N_("unknown SDN_Type %(value)s",
                                               value=repr(row[2]))))
            continue
        entity = make(schema, "ofac", ent_num)
        if schema == "Person" and "," in name:
            last, first = (p.strip() for p in name.split(",", 1))
            add(entity, "name", f"{first} {last}")
            add(entity, "firstName", first)
            add(entity, "lastName", last)
        else:
            add(entity, "name", name)
        programme = " ".join((_clean(row[3]) or "").replace("] [", "; ").strip("[]").split())
        if schema == "Person":
            add(entity, "title", _clean(row[4]))
        if schema == "Vessel":
            add(entity, "callSign", _clean(row[5]))
            add(entity, "type", _clean(row[6]))
            add(entity, "tonnage", _clean(row[7]))
            add(entity, "grossRegisteredTonnage", _clean(row[8]))
            add(entity, "flag", _clean(row[9]))
            add(entity, "owner", None)
        add(entity, "topics", "sanction")
        item = ListEntity(entity, [], programme, None, ent_num)
        item.related.append(sanction(entity, AUTHORITY, programme, None, ent_num))
        entries[ent_num] = item
        remarks[ent_num] = _clean(row[11]) or ""
        lines[ent_num] = where_
    if "comments" in files:
        for _line, row in _rows(files["comments"], 2):
            key = _clean(row[0])
            if key in remarks:
                remarks[key] = f"{remarks[key]} {_clean(row[1]) or ''}".strip()
    for key, value in remarks.items():
        apply_remarks(value, entries[key], notes, partial(str, lines[key]))
    if "add" in files:
        for line, row in _rows(files["add"], 6):
            found = entries.get(_clean(row[0]) or "")
            if found is None:
                problems.append(Problem(f"{files['add'].name}:{line}",
                                        N_("address of unknown ent_num %(value)s",
                                           value=repr(row[0]))))
                continue
            item = found
            country = _clean(row[4])
            full = ", ".join(p for p in (_clean(row[2]), _clean(row[3]), country) if p)
            if full:
                item.related.append(address(item.entity, full, country))
                if item.entity.schema.is_a("Thing"):
                    add(item.entity, "address", full)
            if item.entity.schema.is_a("Thing"):
                add_noted(item.entity, "country", country, notes,
                          partial(str, f"{files['add'].name}:{line}"))
    if "alt" in files:
        for line, row in _rows(files["alt"], 5):
            found = entries.get(_clean(row[0]) or "")
            if found is None:
                problems.append(Problem(f"{files['alt'].name}:{line}",
                                        N_("alias of unknown ent_num %(value)s",
                                           value=repr(row[0]))))
                continue
            item = found
            alias = _clean(row[3])
            if alias and item.entity.schema.is_a("Person") and "," in alias:
                last, first = (p.strip() for p in alias.split(",", 1))
                alias = f"{first} {last}"
            weak = (_clean(row[2]) or "").lower() in ("a.k.a. low", "weak")
            add(item.entity, "weakAlias" if weak else "alias", alias)
    result = list(entries.values())
    require(problems, result, sdn, "OFAC SDN CSV")
    return ListRead(result, notes=notes)


# --------------------------------------------------------------------------- advanced XML

#: The sections of the advanced XML (children of ``Sanctions``; its schema fixes their
#: order: ``DateOfIssue``, ``ReferenceValueSets``, then these) and the record each holds.
_SECTIONS = {"Locations": "Location", "IDRegDocuments": "IDRegDocument",
             "DistinctParties": "DistinctParty", "ProfileRelationships": "ProfileRelationship",
             "SanctionsEntries": "SanctionsEntry", "SanctionsEntryLinks": "SanctionsEntryLink"}
#: Children of ``Sanctions`` read whole (they are small).
_WHOLE = ("DateOfIssue", "ReferenceValueSets")


def _refs(holder: etree._Element | None) -> dict[str, dict[str, etree._Element]]:
    sets: dict[str, dict[str, etree._Element]] = defaultdict(dict)
    if holder is not None:
        for values in holder:
            for item in values:
                if item.get("ID"):
                    sets[local(values)][str(item.get("ID"))] = item
    return sets


def _ref_text(refs: dict[str, dict[str, etree._Element]], group: str, key: str | None) -> str:
    item = refs.get(group, {}).get(key or "")
    return " ".join((item.text or "").split()) if item is not None else ""


#: A date as written: the texts of its ``Year``, ``Month`` and ``Day``.
_Written = tuple[str | None, str | None, str | None]


def _written(element: etree._Element) -> _Written:
    return text(element, "Year"), text(element, "Month"), text(element, "Day")


def _date_of(written: _Written) -> str | None:
    """The date to the precision its parts hold: a month or day that is no number of the
    calendar ends it there (``1971`` for month ``;3``), a year that is none gives no date."""
    year, month, day = written
    if not (is_digits(year) and len(year) == 4):
        return None
    if not (is_digits(month) and 1 <= int(month) <= 12):
        return year
    out = f"{year}-{int(month):02d}"
    if not (is_digits(day) and 1 <= int(day) <= monthrange(int(year), int(month))[1]):
        return out
    return f"{out}-{int(day):02d}"


def _date_period(element: etree._Element | None) -> str | None:
    """The start date of a ``DatePeriod`` (or a ``Date`` with Year/Month/Day children)."""
    if element is None:
        return None
    if local(element) == "DatePeriod":
        start = kid(element, "Start")
        element = kid(start, "From") if start is not None else None
        if element is None:
            return None
    return _date_of(_written(element))


def _ymd(element: etree._Element | None) -> tuple[int, int, int] | None:
    if element is None:
        return None
    parts = [text(element, n) for n in ("Year", "Month", "Day")]
    if not all(is_digits(p) for p in parts):
        return None
    year, month, day = (int(str(p)) for p in parts)
    return year, month, day


def _period_dates(period: etree._Element | None) -> list[str]:
    """The dates a ``DatePeriod`` means. OFAC writes a year of birth as the period from
    1 January to 31 December, a month as its first to its last day and "1963 to 1965" as
    1 January 1963 to 31 December 1965: read as ``1962``, ``1962-03`` and 1963, 1964,
    1965, not as the first day."""
    if period is None:
        return []
    start, end = kid(period, "Start"), kid(period, "End")
    first = _ymd(kid(start, "From")) if start is not None else None
    last = (_ymd(kid(end, "To")) or _ymd(kid(end, "From"))) if end is not None else None
    if first is None:
        found = _date_period(period)
        return [found] if found else []
    return span_dates(first, last)


def span_dates(first: tuple[int, int, int], last: tuple[int, int, int] | None) -> list[str]:
    """The dates the period from ``first`` to ``last`` (year, month, day) means: a whole
    year, a whole month, every year of a span of whole years, one day, else its two ends."""
    if last is None or last == first:
        return [_iso(first)]
    if first[1:] == (1, 1) and last[1:] == (12, 31):
        return year_span(str(first[0]), str(last[0]))
    if first[:2] == last[:2] and first[2] == 1 and last[2] == monthrange(*last[:2])[1]:
        return [_iso(first)[:7]]
    return [_iso(first), _iso(last)]


def _iso(date: tuple[int, int, int]) -> str:
    return f"{date[0]:04d}-{date[1]:02d}-{date[2]:02d}"


def _step(name: str, index: int, more: bool) -> str:
    """One step of an element's path as :func:`where` writes it: its position among its
    siblings of the same name, shown when there are several."""
    return f"{name}[{index}]" if index > 1 or more else name


def read_xml(path: Path) -> ListRead:
    """The advanced XML (``Sanctions``), the classic XML (``sdnList``: ``sdn.xml``,
    ``consolidated.xml``) or the Enhanced XML (``sanctionsData``: ``SDN_ENHANCED.XML``,
    read by :mod:`~tocsin.screening.readers.ofac_enhanced`), told apart by the root
    element. Each is streamed: a record is let go once read."""
    tag, line = root_tag(path)
    name = tag.rpartition("}")[2]
    if name == "sanctionsData":
        from tocsin.screening.readers import ofac_enhanced

        return ofac_enhanced.read(path)
    if name == "sdnList":
        return _read_classic(path, name)
    if name == "Sanctions":
        return _read_advanced(path, name)
    check_well_formed(path)  # a file that is not well-formed is named so, whatever its root
    raise InputError.single(f"{path.name}:{line}", N_(
        "the root element is <%(root)s>, not <Sanctions>, <sdnList> or <sanctionsData>: "
        "not an OFAC SDN XML file", root=name))


def _advanced_elements(path: Path) -> Iterator[tuple[str, etree._Element, bool]]:
    """``("", child, first)`` for each child of the root named in :data:`_WHOLE` or
    :data:`_SECTIONS`, and ``(section, record, first)`` for each record of such a section
    (``("Locations", <Location>, True)``); ``first`` when the child is the first of its
    name, or the record is in the first section of its name (the only ones read). Each is
    let go once the caller has it, as is all else between them; what the caller keeps of
    ``DateOfIssue`` and ``ReferenceValueSets`` is left whole."""
    ended: set[str] = set()  # children of the root ended, by name
    for _event, element in stream(path, (*_WHOLE, *_SECTIONS, *_SECTIONS.values())):
        parent = element.getparent()
        if parent is None:
            continue  # the root
        name = local(element)
        if parent.getparent() is None:
            if name in _WHOLE or name in _SECTIONS:
                yield "", element, name not in ended
            ended.add(name)
            let_go(element, keep=name in _WHOLE)
        elif parent.getparent().getparent() is None and _SECTIONS.get(local(parent)) == name:
            yield local(parent), element, local(parent) not in ended
            let_go(element)
        # else: an element of a record, let go with it


def _read_advanced(path: Path, root: str) -> ListRead:
    """``Sanctions``: its parties (``DistinctParties/DistinctParty/Profile``) refer by id to
    sections before them (``ReferenceValueSets``, ``Locations``, ``IDRegDocuments``) and
    after them (``SanctionsEntries``).

    The file is read twice, in bounded memory. The first pass keeps only what those
    references need: the reference values, each location's text, each document's kind and
    number, each profile's programmes and listing date (small next to the parties) and how
    many parties there are; the parties, parsed but not read, are let go at once. The
    second reads the parties one at a time. A second parse costs little next to reading
    the parties; keeping the parties until the sections after them are read (the 100 MB
    file is almost all parties) would cost most of the memory the whole tree did."""
    issued: _Written | None = None
    reference_sets: etree._Element | None = None
    places: list[tuple[str, list[str], bool, str | None]] = []
    papers: list[tuple[str, str | None, str | None, str]] = []
    entries: list[tuple[str, list[tuple[str, str | None]], list[_Written | None]]] = []
    tops: Counter[str] = Counter()  # children of the root, by tag
    parties: Counter[str] = Counter()  # parties of the first DistinctParties, by tag
    holder = ""  # the tag of the first DistinctParties
    for section, element, first in _advanced_elements(path):
        name = local(element)
        if not section:
            tops[str(element.tag)] += 1
            if first and name == "DateOfIssue":
                issued = _written(element)
            elif first and name == "ReferenceValueSets":
                reference_sets = element
            elif first and name == "DistinctParties":
                holder = str(element.tag)
        elif not first:
            continue
        elif section == "DistinctParties":
            parties[str(element.tag)] += 1
        elif section == "Locations":
            value_parts = []
            for part in kids(element, "LocationPart"):
                value = text(kid(part, "LocationPartValue"), "Value") \
                    if kid(part, "LocationPartValue") is not None else None
                if value:
                    value_parts.append(value)
            country_el = kid(element, "LocationCountry")
            places.append((str(element.get("ID")), value_parts, country_el is not None,
                           country_el.get("CountryID") if country_el is not None else None))
        elif section == "IDRegDocuments":
            number = text(element, "IDRegistrationNo")
            if number:
                papers.append((str(element.get("IdentityID")), element.get("IDRegDocTypeID"),
                               element.get("IssuedBy-CountryID"), number))
        elif section == "SanctionsEntries":
            measures = [(comment, measure.get("SanctionsTypeID"))
                        for measure in kids(element, "SanctionsMeasure")
                        if (comment := text(measure, "Comment"))]
            dates = [_written(date) if (date := kid(event, "Date")) is not None else None
                     for event in kids(element, "EntryEvent")]
            entries.append((str(element.get("ProfileID")), measures, dates))
    refs = _refs(reference_sets)
    locations: dict[str, tuple[str, str | None]] = {}
    for key, value_parts, has_country, country_id in places:
        country = _ref_text(refs, "CountryValues", country_id) if has_country else None
        full = ", ".join([*value_parts, *([country] if country else [])])
        locations[key] = (full, country or None)
    documents: dict[str, list[tuple[str, str, str | None]]] = defaultdict(list)
    for identity, kind_id, country_id, number in papers:
        kind = _ref_text(refs, "IDRegDocTypeValues", kind_id)
        country = _ref_text(refs, "CountryValues", country_id) or None
        documents[identity].append((kind or "document", number, country))
    programmes: dict[str, list[str]] = defaultdict(list)
    listed: dict[str, str] = {}
    for profile, measures, dates in entries:
        for comment, type_id in measures:
            if _ref_text(refs, "SanctionsTypeValues", type_id) in ("Program", ""):
                programmes[profile].append(comment)
        for written in dates:
            found = _date_of(written) if written is not None else None
            if found and (profile not in listed or found < listed[profile]):
                listed[profile] = found
    del places, papers, entries
    problems: list[Problem] = []
    entities: list[ListEntity] = []
    holder_path = f"/{root}/{_step('DistinctParties', 1, tops[holder] > 1)}"
    seen: Counter[str] = Counter()
    for section, party, first in _advanced_elements(path):
        if section != "DistinctParties" or not first:
            continue
        kind = str(party.tag)
        seen[kind] += 1
        party_path = f"{holder_path}/{_step('DistinctParty', seen[kind], parties[kind] > 1)}"
        for profile in kids(party, "Profile"):
            try:
                entities.append(_profile(profile, refs, locations, documents, programmes,
                                         listed))
            except ValueError as exc:
                problems.append(Problem(where_in(path, profile, party, party_path),
                                        reason_of(exc)))
    require(problems, entities, path, "OFAC advanced XML")
    return ListRead(entities, published=_date_of(issued) if issued is not None else None)


def _party_schema(refs: dict[str, dict[str, etree._Element]], subtype_id: str | None) -> str:
    subtype = refs.get("PartySubTypeValues", {}).get(subtype_id or "")
    if subtype is None:
        raise ValueError(N_("unknown PartySubTypeID %(value)s", value=repr(subtype_id)))
    name = (subtype.text or "").strip().lower()
    party = _ref_text(refs, "PartyTypeValues", subtype.get("PartyTypeID")).lower()
    if name == "vessel" or party == "vessel":
        return "Vessel"
    if name == "aircraft" or party == "aircraft":
        return "Airplane"
    if party == "individual" or name == "individual":
        return "Person"
    return "Organization"


def _profile(profile: etree._Element, refs: dict[str, dict[str, etree._Element]],
             locations: dict[str, tuple[str, str | None]],
             documents: dict[str, list[tuple[str, str, str | None]]],
             programmes: dict[str, list[str]], listed: dict[str, str]) -> ListEntity:
    profile_id = profile.get("ID")
    if not profile_id:
        raise ValueError(N_("Profile without an ID"))
    schema = _party_schema(refs, profile.get("PartySubTypeID"))
    entity = make(schema, "ofac", profile_id)
    programme = "; ".join(programmes.get(profile_id, []))
    item = ListEntity(entity, [], programme, listed.get(profile_id), profile_id)
    for identity in kids(profile, "Identity"):
        groups = {}
        for group in identity.iter("{*}NamePartGroup", "NamePartGroup"):
            groups[str(group.get("ID"))] = _ref_text(refs, "NamePartTypeValues",
                                                     group.get("NamePartTypeID")).lower()
        for alias in kids(identity, "Alias"):
            primary = alias.get("Primary") == "true"
            weak = alias.get("LowQuality") == "true"
            for documented in kids(alias, "DocumentedName"):
                parts: list[tuple[str, str]] = []
                for part in kids(documented, "DocumentedNamePart"):
                    value_el = kid(part, "NamePartValue")
                    value = text(value_el)
                    if value and value_el is not None:
                        parts.append((groups.get(str(value_el.get("NamePartGroupID")), ""),
                                      value))
                if not parts:
                    continue
                full = _join(parts, schema)
                prop = "name" if primary else "weakAlias" if weak else "alias"
                add(entity, prop, full)
                if primary and schema == "Person":
                    for kind, value in parts:
                        part_prop = {"first name": "firstName", "last name": "lastName",
                                     "middle name": "middleName", "patronymic": "fatherName",
                                     "matronymic": "motherName"}.get(kind)
                        if part_prop:
                            add(entity, part_prop, value)
        for kind, number, country in documents.get(str(identity.get("ID")), []):
            passport = "passport" in kind.lower()
            if schema == "Person":
                add(entity, "passportNumber" if passport else "idNumber", number)
            elif schema == "Vessel" and "imo" in kind.lower():
                add(entity, "imoNumber", number)
            elif entity.schema.is_a("LegalEntity"):
                add(entity, "registrationNumber" if "registration" in kind.lower()
                    else "idNumber", number)
            if entity.schema.is_a("LegalEntity"):
                item.related.append(identification(entity, kind, number, country, passport))
    if not entity.get("name"):
        raise ValueError(N_("profile %(id)s has no primary name", id=profile_id))
    for feature in kids(profile, "Feature"):
        kind = _ref_text(refs, "FeatureTypeValues", feature.get("FeatureTypeID")).lower()
        for version in kids(feature, "FeatureVersion"):
            _feature(item, kind, version, refs, locations)
    add(entity, "topics", "sanction")
    item.related.append(sanction(entity, AUTHORITY, programme, item.listed_on, profile_id))
    return item


def _join(parts: list[tuple[str, str]], schema: str) -> str:
    if schema != "Person":
        return " ".join(v for _, v in parts)
    order = {"first name": 0, "middle name": 1, "patronymic": 2, "matronymic": 3,
             "last name": 4}
    return " ".join(v for _, v in sorted(parts, key=lambda p: order.get(p[0], 5)))


def _feature(item: ListEntity, kind: str, version: etree._Element,
             refs: dict[str, dict[str, etree._Element]],
             locations: dict[str, tuple[str, str | None]]) -> None:
    entity = item.entity
    person = entity.schema.is_a("Person")
    detail = kid(version, "VersionDetail")
    comment = text(version, "Comment")
    country = _ref_text(refs, "CountryValues", detail.get("DetailReferenceID")) \
        if detail is not None else ""
    detail_value = (text(detail) or _ref_text(refs, "DetailReferenceValues",
                                              detail.get("DetailReferenceID"))) \
        if detail is not None else None
    location_el = kid(version, "VersionLocation")
    location = locations.get(str(location_el.get("LocationID"))) \
        if location_el is not None else None
    if ("birth" in kind and "date" in kind) or kind == "birthdate":
        add(entity, "birthDate", _period_dates(kid(version, "DatePeriod")))
    elif "place of birth" in kind and person:
        add(entity, "birthPlace", location[0] if location else detail_value)
    elif ("nationality" in kind or "citizenship" in kind) and person:
        value = location[1] if location else country or detail_value
        add(entity, "citizenship" if "citizenship" in kind else "nationality", value)
    elif kind == "gender" and person:
        add(entity, "gender", (detail_value or comment or "").lower() or None)
    elif kind == "location" and location:
        item.related.append(address(entity, location[0], location[1]))
        add(entity, "address", location[0])
        add(entity, "country", location[1])
    elif "vessel flag" in kind and entity.schema.name == "Vessel":
        add(entity, "flag", location[1] if location else country or detail_value)
    elif "digital currency address" in kind:
        value = detail_value or comment
        if value:
            item.related.append(_wallet(entity, value))


# --------------------------------------------------------------------------- classic XML

#: ``sdnType`` of the classic XML → schema.
CLASSIC_SCHEMA = {"individual": "Person", "entity": "Organization", "vessel": "Vessel",
                  "aircraft": "Airplane"}
#: ``idType`` values of aircraft and vessels → property.
_CRAFT_IDS = {"aircraft manufacturer's serial number (msn)": "serialNumber",
              "aircraft construction number (also called l/n or s/n or f/n)": "serialNumber",
              "aircraft model": "model", "aircraft manufacture date": "buildDate",
              "aircraft tail number": "registrationNumber", "mmsi": "mmsi",
              "vessel year of build": "buildDate"}


def _read_classic(path: Path, root: str) -> ListRead:
    """``sdnList/sdnEntry``: ``uid``, ``firstName``, ``lastName``, ``title``, ``sdnType``,
    ``remarks``, ``programList``, ``idList`` (``idType``, ``idNumber``, ``idCountry``),
    ``akaList`` (``category`` strong or weak), ``addressList``, ``nationalityList``,
    ``citizenshipList``, ``dateOfBirthList``, ``placeOfBirthList`` and ``vesselInfo``;
    streamed entry by entry."""
    stream = _Classic(path, root)
    entities, notes = read_records(path, stream.entries(), _classic_entry, "OFAC SDN XML",
                                   place_of=stream.place)
    published = stream.published
    with contextlib.suppress(ValueError):  # a date in another form is kept as written
        published = datetime.strptime(published, "%m/%d/%Y").strftime("%Y-%m-%d") \
            if published else None
    return ListRead(entities, published=published, notes=notes)


class _Classic:
    """The classic XML, streamed: each ``sdnEntry`` is let go once read."""

    def __init__(self, path: Path, root: str) -> None:
        self.path, self.root = path, root
        #: ``publshInformation/Publish_Date`` (sic: OFAC's spelling), as written.
        self.published: str | None = None
        #: The path step of the entry being read (``sdnEntry[3]``).
        self.step = ""

    def place(self, element: etree._Element) -> str:
        return where_in(self.path, element, element, f"/{self.root}/{self.step}")

    def entries(self) -> Iterator[etree._Element]:
        """Each ``sdnEntry`` child of the root in turn. The first is held until the next
        begins: its path is ``sdnEntry[1]`` when another follows, else ``sdnEntry``."""
        counts: Counter[str] = Counter()  # entries, by tag
        held: etree._Element | None = None
        informed = False
        for event, element in stream(self.path, ("sdnEntry", "publshInformation"),
                                      ("start", "end")):
            parent = element.getparent()
            if parent is None or parent.getparent() is not None:
                continue  # the root, or part of an entry
            name = local(element)
            if event == "start":
                if name == "sdnEntry" and held is not None:
                    self.step = _step(name, 1, element.tag == held.tag)
                    yield held
                    let_go(held)
                    held = None
                continue
            if name == "publshInformation":
                if not informed:
                    self.published = text(element, "Publish_Date")
                    informed = True
                if held is None:
                    let_go(element)
                continue
            counts[str(element.tag)] += 1
            if held is None and sum(counts.values()) == 1:
                held = element
                continue
            self.step = _step(name, counts[str(element.tag)], False)
            yield element
            let_go(element)
        if held is not None:
            self.step = _step(local(held), 1, False)
            yield held


def _values_of(element: etree._Element, holder: str, item: str, name: str) -> list[str]:
    found = kid(element, holder)
    return [v for i in (kids(found, item) if found is not None else [])
            if (v := text(i, name))]


def _classic_entry(element: etree._Element, notes: list[Problem],
                   place: Callable[[], str]) -> ListEntity:
    uid = text(element, "uid")
    if not uid:
        raise ValueError(N_("sdnEntry without a uid"))
    kind = (text(element, "sdnType") or "").lower()
    schema = CLASSIC_SCHEMA.get(kind)
    if schema is None:
        raise ValueError(N_("unknown sdnType %(value)s", value=repr(text(element, "sdnType"))))
    last, first = text(element, "lastName"), text(element, "firstName")
    if not last:
        raise ValueError(N_("sdnEntry %(id)s has no lastName", id=uid))
    entity = make(schema, "ofac", uid)
    add(entity, "name", f"{first} {last}" if first else last)
    if schema == "Person":
        add(entity, "firstName", first)
        add(entity, "lastName", last)
        add(entity, "title", text(element, "title"))
    programmes = kid(element, "programList")
    programme = "; ".join(p for p in (text(x) for x in kids(programmes, "program")) if p) \
        if programmes is not None else ""
    item = ListEntity(entity, [], programme, None, uid)
    add(entity, "topics", "sanction")
    akas = kid(element, "akaList")
    for aka in kids(akas, "aka") if akas is not None else []:
        aka_last, aka_first = text(aka, "lastName"), text(aka, "firstName")
        if aka_last and not aka_first and schema == "Person" and "," in aka_last:
            aka_last, aka_first = (p.strip() for p in aka_last.split(",", 1))  # "ZAHAR, Mahmoud"
        if aka_last:
            weak = (text(aka, "category") or "").lower() == "weak"
            add(entity, "weakAlias" if weak else "alias",
                f"{aka_first} {aka_last}" if aka_first else aka_last)
    for value in _values_of(element, "dateOfBirthList", "dateOfBirthItem", "dateOfBirth"):
        apply_fact(f"DOB {value}", item, notes, place)
    if schema == "Person":
        add(entity, "birthPlace", _values_of(element, "placeOfBirthList",
                                             "placeOfBirthItem", "placeOfBirth"))
        add_noted(entity, "nationality", _values_of(element, "nationalityList",
                                                    "nationality", "country"), notes, place)
        add_noted(entity, "citizenship", _values_of(element, "citizenshipList",
                                                    "citizenship", "country"), notes, place)
    addresses = kid(element, "addressList")
    for found in kids(addresses, "address") if addresses is not None else []:
        country = text(found, "country")
        full = ", ".join(p for p in (text(found, n) for n in (
            "address1", "address2", "address3", "city", "stateOrProvince", "postalCode",
            "country")) if p)
        if full:
            item.related.append(address(entity, full, country))
            add(entity, "address", full)
        add_noted(entity, "country", country, notes, place)
    ids = kid(element, "idList")
    for ident in kids(ids, "id") if ids is not None else []:
        id_type, number = text(ident, "idType"), text(ident, "idNumber")
        if not id_type or not number:
            continue
        country = text(ident, "idCountry")
        craft = _CRAFT_IDS.get(id_type.lower())
        if craft and entity.schema.get(craft):
            add(entity, craft, number)
        elif not apply_fact(f"{id_type} {number}" + (f" ({country})" if country else ""),
                            item, notes, place):
            # Statements such as "Secondary sanctions risk:" or "Additional Sanctions
            # Information -" are kept as written.
            add(entity, "notes", f"{id_type} {number}")
    vessel = kid(element, "vesselInfo")
    if vessel is not None and schema == "Vessel":
        add(entity, "callSign", text(vessel, "callSign"))
        add(entity, "type", text(vessel, "vesselType"))
        add_noted(entity, "flag", text(vessel, "vesselFlag"), notes, place)
        add(entity, "tonnage", text(vessel, "tonnage"))
        add(entity, "grossRegisteredTonnage", text(vessel, "grossRegisteredTonnage"))
        owner = text(vessel, "vesselOwner")
        if owner:
            add(entity, "notes", f"owner: {owner}")
    remarks = text(element, "remarks")
    if remarks:
        apply_remarks(remarks, item, notes, place)
    item.related.append(sanction(entity, AUTHORITY, programme, None, uid))
    return item

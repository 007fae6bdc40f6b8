"""Read an IATI ``iati-activities`` file into activity specs, checking everything.

The file is parsed as a stream, one ``iati-activity`` at a time, with entity
expansion, DTDs and network access off. Every activity is checked against the
2.03 schema and against the platform's rules and codes; each problem is
reported with the XPath of the element at fault and a plain reason. Nothing
is written here: :mod:`tocsin.taskforce.programmes.bulk` applies the result
only when no problem was found.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO

from lxml import etree
from pydantic import ValidationError

from tocsin import limits
from tocsin.errors import Problem
from tocsin.limits import TooLarge
from tocsin.taskforce.iati import codes
from tocsin.taskforce.iati.schema import schema_errors
from tocsin.taskforce.programmes.check import check_activity
from tocsin.taskforce.programmes.spec import (
    ActivitySpec,
    DocumentSpec,
    FinanceSpec,
    IndicatorSpec,
    ParticipantSpec,
    PeriodSpec,
    RegionSpec,
    ResultSpec,
    ShareSpec,
)
from tocsin.taskforce.programmes.vocabulary import Vocabulary

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_Loc = Callable[[str, "etree._Element | None"], None]
ROOT = "/iati-activities"


@dataclass
class ReadResult:
    """What a file holds: the activities, where each one is, and what is wrong."""

    activities: list[ActivitySpec] = field(default_factory=list)
    #: identifier → XPath of its ``iati-activity`` element.
    locations: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    #: Things left out that do not make the file wrong (e.g. unmapped sectors).
    notes: list[Problem] = field(default_factory=list)
    #: parent identifier → child identifiers named by ``related-activity type=2``.
    children: dict[str, list[str]] = field(default_factory=dict)
    #: identifiers of activities without a ``hierarchy`` attribute.
    implicit_level: set[str] = field(default_factory=set)


class _Bad(Exception):
    """One element cannot be read; carries its path so the reader can report it."""

    def __init__(self, element: etree._Element, reason: str) -> None:
        super().__init__(reason)
        self.element, self.reason = element, reason


def read_activities(source: Path | IO[bytes], vocab: Vocabulary, *,
                    own_org_ref: str | None = None) -> ReadResult:
    """Parse and check every activity of ``source``.

    ``own_org_ref`` is the organization's IATI identifier: activities reported
    by anyone else are marked external (a partner's activity).
    """
    result = ReadResult()
    index = 0
    most = limits.active().max_rows
    seen: dict[str, str] = {}
    try:
        events = etree.iterparse(
            str(source) if isinstance(source, Path) else source,
            events=("start", "end"), resolve_entities=False, no_network=True,
            load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True,
        )
        depth = 0
        for event, element in events:
            if event == "start":
                depth += 1
                if depth == 1 and not _root_ok(element, result):
                    return result
                continue
            depth -= 1
            if depth != 1 or element.tag != "iati-activity":
                continue
            index += 1
            if index > most:
                raise TooLarge.single(ROOT, f"more than {most:,} activities; the limit is set "
                                            "by TOCSIN_IMPORT_MAX_ROWS")
            where = f"{ROOT}/iati-activity[{index}]"
            _read_one(element, where, vocab, own_org_ref, result, seen)
            # free what has been read: memory stays flat for any file size
            element.clear(keep_tail=False)
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        result.problems.append(Problem(f"line {exc.lineno}", f"not well-formed XML: {exc.msg}"))
        return result
    if index == 0 and not result.problems:
        result.problems.append(Problem(ROOT, "the file holds no iati-activity"))
    _place_children(result)
    return result


def _place_children(result: ReadResult) -> None:
    """A record without ``hierarchy`` that a parent lists as its child sits at the bottom."""
    by_identifier = {spec.identifier: spec for spec in result.activities}
    for kids in result.children.values():
        for kid in kids:
            spec = by_identifier.get(kid)
            if spec is not None and kid in result.implicit_level and not spec.parent_identifier:
                spec.level = "activity"


def _root_ok(element: etree._Element, result: ReadResult) -> bool:
    if element.getroottree().docinfo.doctype:
        result.problems.append(Problem("/", "a DOCTYPE is not accepted in IATI files"))
        return False
    if element.tag != "iati-activities":
        result.problems.append(Problem(f"/{element.tag}",
                                       "the root element must be iati-activities"))
        return False
    version = element.get("version", "")
    if not version.startswith("2."):
        result.problems.append(Problem(ROOT, f"IATI version {version!r} is not read; "
                                             "export the file as version 2.0x"))
        return False
    return True


def _relative_path(activity: etree._Element, element: etree._Element) -> str:
    tree = activity.getroottree()
    return tree.getpath(element)[len(tree.getpath(activity)):]


def _read_one(element: etree._Element, where: str, vocab: Vocabulary,
              own_org_ref: str | None, result: ReadResult, seen: dict[str, str]) -> None:
    errors = schema_errors(element)
    if errors:
        for path, message in errors:
            result.problems.append(Problem(where + path.removeprefix("/iati-activity"),
                                           _plain(message)))
        return
    # field → element; turned into an XPath only for the fields that have a problem
    locations: dict[str, etree._Element] = {}
    try:
        spec, children = _map(element, vocab, own_org_ref, locations, result.notes, where)
    except _Bad as bad:
        result.problems.append(Problem(where + _relative_path(element, bad.element), bad.reason))
        return
    if spec.identifier in seen:
        result.problems.append(Problem(f"{where}/iati-identifier",
                                       f"identifier {spec.identifier!r} is also used by "
                                       f"{seen[spec.identifier]}"))
        return
    seen[spec.identifier] = where
    for issue in check_activity(spec, vocab):
        found = _locate(issue.field, locations)
        path = _relative_path(element, found) if found is not None else ""
        result.problems.append(Problem(where + path, issue.reason))
    result.activities.append(spec)
    result.locations[spec.identifier] = where
    if children:
        result.children[spec.identifier] = children
    if element.get("hierarchy") is None:
        result.implicit_level.add(spec.identifier)


def _plain(message: str) -> str:
    """Schema messages without the ``{namespace}`` noise."""
    return re.sub(r"\{[^}]*\}", "", message)


def _locate(field_name: str, locations: dict[str, etree._Element]) -> etree._Element | None:
    """The element recorded for a spec field, or for the closest field that contains it."""
    key = field_name
    while key:
        if key in locations:
            return locations[key]
        shorter = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", key)
        if shorter == key:
            # a top-level field without a recorded element: nothing closer to try
            # (without this a field such as ``default_currency`` looped forever)
            return None
        key = shorter
    return None


# --- mapping one activity ---------------------------------------------------------------


def _narrative(element: etree._Element | None, language: str) -> str:
    if element is None:
        return ""
    narratives = element.findall("narrative")
    for narrative in narratives:
        if narrative.get(XML_LANG, language) == language:
            return (narrative.text or "").strip()
    return (narratives[0].text or "").strip() if narratives else ""


def _int(element: etree._Element, attribute: str, allowed: set[int] | None = None) -> int:
    value = element.get(attribute, "").strip()
    try:
        number = int(value)
    except ValueError:
        raise _Bad(element, f"@{attribute} {value!r} is not a whole number") from None
    if allowed is not None and number not in allowed:
        listed = ", ".join(str(a) for a in sorted(allowed))
        raise _Bad(element, f"@{attribute} {number} is not one of {listed}")
    return number


def _decimal(element: etree._Element, text: str | None, what: str) -> Decimal:
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        raise _Bad(element, f"{what} {text!r} is not a number") from None
    if not value.is_finite():
        raise _Bad(element, f"{what} {text!r} is not a finite number")
    return value


def _percentage(element: etree._Element) -> Decimal | None:
    raw = element.get("percentage")
    return None if raw is None else _decimal(element, raw, "@percentage")


def _date(element: etree._Element, attribute: str = "iso-date") -> date:
    raw = element.get(attribute, "")
    try:
        return date.fromisoformat(raw.strip()[:10])
    except ValueError:
        raise _Bad(element, f"@{attribute} {raw!r} is not a date (YYYY-MM-DD)") from None


def _bool(element: etree._Element, attribute: str) -> bool | None:
    raw = element.get(attribute)
    if raw is None:
        return None
    return raw.strip().lower() in ("1", "true")


def _map(act: etree._Element, vocab: Vocabulary, own_org_ref: str | None,
         locations: dict[str, etree._Element], notes: list[Problem],
         where: str) -> tuple[ActivitySpec, list[str]]:
    def loc(key: str, element: etree._Element | None) -> None:
        if element is not None:
            locations[key] = element

    language = act.get(XML_LANG, "en").strip().lower() or "en"
    identifier = (act.findtext("iati-identifier") or "").strip()
    loc("identifier", act.find("iati-identifier"))
    reporting = act.find("reporting-org")
    assert reporting is not None  # the schema requires it
    loc("reporting_org_ref", reporting)
    hierarchy = act.get("hierarchy")
    fields: dict[str, object] = {
        "identifier": identifier,
        "language": language,
        "default_currency": act.get("default-currency"),
        "reporting_org_ref": reporting.get("ref", "").strip(),
        "reporting_org_type": reporting.get("type", "").strip(),
        "reporting_org_name": _narrative(reporting, language),
        "title": _narrative(act.find("title"), language),
    }
    loc("title", act.find("title"))
    fields["is_external"] = (own_org_ref is not None
                             and fields["reporting_org_ref"] != own_org_ref)
    descriptions = act.findall("description")
    general = [d for d in descriptions if d.get("type", "1") == "1"] or descriptions
    fields["description"] = _narrative(general[0], language) if general else ""

    status = act.find("activity-status")
    assert status is not None
    fields["status"] = _int(status, "code")
    loc("status", status)
    for element in act.findall("activity-date"):
        name = codes.DATE_FIELDS.get(element.get("type", ""))
        if name is None:
            raise _Bad(element, f"@type {element.get('type')!r} is not an activity date type 1-4")
        if name in fields:
            raise _Bad(element, f"a second activity date of type {element.get('type')}")
        fields[name] = _date(element)
        loc(name, element)
    loc("planned_start", act.find("activity-date"))

    participants = []
    for i, element in enumerate(act.findall("participating-org")):
        name = _narrative(element, language)
        ref = element.get("ref", "").strip()
        code = vocab.organization_names.get(name.lower()) or vocab.organization_names.get(
            ref.lower())
        participants.append(ParticipantSpec(
            role=_int(element, "role", {1, 2, 3, 4}), organization_code=code, name=name,
            org_ref=ref, org_type=element.get("type", "").strip()))
        loc(f"participants[{i}]", element)
    fields["participants"] = participants

    countries = []
    for i, element in enumerate(act.findall("recipient-country")):
        countries.append(ShareSpec(code=element.get("code", "").strip().upper(),
                                   percentage=_percentage(element)))
        loc(f"countries[{i}]", element)
    fields["countries"] = countries
    if countries:
        loc("countries", act.find("recipient-country"))
    regions = []
    for i, element in enumerate(act.findall("recipient-region")):
        regions.append(RegionSpec(code=element.get("code", "").strip(),
                                  vocabulary=element.get("vocabulary", "1").strip(),
                                  percentage=_percentage(element)))
        loc(f"regions[{i}]", element)
    fields["regions"] = regions
    if regions:
        loc("regions", act.find("recipient-region"))

    fields["crime_areas"], fields["stages"] = _sectors(act, vocab, loc, notes, where)
    for tag in act.findall("tag"):
        if (tag.get("vocabulary") == codes.STRUCTURE_TAG_VOCABULARY
                and tag.get("vocabulary-uri") == codes.STRUCTURE_URI):
            fields["implementing_structure"] = tag.get("code", "").strip()
            loc("implementing_structure", tag)
    fields["finance"] = _finance(act, fields.get("default_currency"), loc)
    fields["documents"] = _documents(act, language, loc)
    fields["results"] = _results(act, language, loc)

    parents = [e for e in act.findall("related-activity")
               if e.get("type") == codes.RELATED_PARENT]
    if len(parents) > 1:
        raise _Bad(parents[1], "an activity has at most one parent (related-activity type 1)")
    if parents:
        fields["parent_identifier"] = parents[0].get("ref", "").strip()
        loc("parent_identifier", parents[0])
    children = [e.get("ref", "").strip() for e in act.findall("related-activity")
                if e.get("type") == codes.RELATED_CHILD]
    if hierarchy is not None:
        level = codes.LEVEL_OF_HIERARCHY.get(min(max(int(hierarchy), 1), 3))
        fields["level"] = level
    else:
        # IATI's default hierarchy is 1; a record with a parent sits at the bottom.
        fields["level"] = "activity" if parents else "programme"
    try:
        return ActivitySpec(**fields), children
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"])
        raise _Bad(act, f"{name}: {first['msg']}") from None


def _sectors(act: etree._Element, vocab: Vocabulary, loc: _Loc, notes: list[Problem],
             where: str) -> tuple[list[ShareSpec], list[ShareSpec]]:
    crime_areas: list[ShareSpec] = []
    stages: list[ShareSpec] = []
    dac: list[tuple[etree._Element, str, Decimal | None]] = []
    for element in act.findall("sector"):
        vocabulary = element.get("vocabulary", "1").strip()
        uri = element.get("vocabulary-uri", "").strip()
        code = element.get("code", "").strip()
        if vocabulary == codes.CRIME_AREA_VOCABULARY and uri == codes.CRIME_AREA_URI:
            if not crime_areas:
                loc("crime_areas", element)
            loc(f"crime_areas[{len(crime_areas)}]", element)
            crime_areas.append(ShareSpec(code=code, percentage=_percentage(element)))
        elif vocabulary == codes.STAGE_VOCABULARY and uri == codes.STAGE_URI:
            if not stages:
                loc("stages", element)
            loc(f"stages[{len(stages)}]", element)
            stages.append(ShareSpec(code=code, percentage=_percentage(element)))
        elif vocabulary == codes.DAC_VOCABULARY:
            dac.append((element, code, _percentage(element)))
    if not crime_areas and dac:
        crime_areas = _from_dac(dac, vocab, loc, notes, where)
    return crime_areas, stages


def _from_dac(dac: list[tuple[etree._Element, str, Decimal | None]], vocab: Vocabulary,
              loc: _Loc, notes: list[Problem], where: str) -> list[ShareSpec]:
    """Crime areas from OECD-DAC codes, when every code names exactly one crime area."""
    by_code: dict[str, list[str]] = defaultdict(list)
    for area, code in vocab.dac_sectors.items():
        by_code[code].append(area)
    if any(len(by_code.get(code, [])) != 1 for _, code, _ in dac):
        notes.append(Problem(where, "OECD-DAC sectors do not map one-to-one onto crime areas; "
                                    "no crime area was taken from them"))
        return []
    shares: dict[str, Decimal | None] = {}
    for element, code, percentage in dac:
        area = by_code[code][0]
        if area not in shares:
            loc(f"crime_areas[{len(shares)}]", element)
        if percentage is None or (area in shares and shares[area] is None):
            shares[area] = None
        else:
            shares[area] = (shares.get(area) or Decimal(0)) + percentage
    return [ShareSpec(code=a, percentage=p) for a, p in shares.items()]


def _finance(act: etree._Element, default_currency: object, loc: _Loc) -> list[FinanceSpec]:
    budgets: dict[tuple[int, str], dict[str, Decimal]] = defaultdict(dict)
    flows: dict[tuple[str, int, str], Decimal] = defaultdict(Decimal)
    first: dict[tuple[str, int, str], etree._Element] = {}

    def value_of(element: etree._Element) -> tuple[Decimal, str]:
        value = element.find("value")
        assert value is not None  # required by the schema
        currency = (value.get("currency") or str(default_currency or "")).strip()
        if not currency:
            raise _Bad(value, "no @currency and no default-currency on the activity")
        return _decimal(value, value.text, "value"), currency

    for element in act.findall("budget"):
        start = element.find("period-start")
        assert start is not None
        year = _date(start).year
        amount, currency = value_of(element)
        kind = element.get("type", codes.BUDGET_ORIGINAL)
        budgets[(year, currency)][kind] = budgets[(year, currency)].get(kind, Decimal(0)) + amount
        first.setdefault(("budget", year, currency), element)
    for element in act.findall("transaction"):
        type_element = element.find("transaction-type")
        assert type_element is not None
        kind = codes.TRANSACTION_KINDS.get(type_element.get("code", "").strip())
        if kind is None:
            continue
        day = element.find("transaction-date")
        assert day is not None
        amount, currency = value_of(element)
        key = (kind, _date(day).year, currency)
        flows[key] += amount
        first.setdefault(key, element)
    lines = []
    for (year, currency), by_type in sorted(budgets.items()):
        # a revised budget replaces the original one of the same period
        chosen = by_type.get(codes.BUDGET_REVISED, by_type.get(codes.BUDGET_ORIGINAL))
        amount = sum(by_type.values(), Decimal(0)) if chosen is None else chosen
        lines.append(FinanceSpec(year=year, kind="budget", amount=amount, currency=currency))
    for (kind, year, currency), amount in sorted(flows.items()):
        lines.append(FinanceSpec(year=year, kind=kind, amount=amount,
                                 currency=currency))
    for i, line in enumerate(lines):
        loc(f"finance[{i}]", first[(line.kind, line.year, line.currency)])
    return lines


def _documents(act: etree._Element, language: str, loc: _Loc) -> list[DocumentSpec]:
    documents = []
    for i, element in enumerate(act.findall("document-link")):
        category = element.find("category")
        lang = element.find("language")
        day = element.find("document-date")
        documents.append(DocumentSpec(
            title=_narrative(element.find("title"), language),
            url=element.get("url", "").strip(),
            mime_type=element.get("format", "").strip(),
            category=category.get("code", "").strip() if category is not None else "",
            language=lang.get("code", "").strip().lower() if lang is not None else None,
            document_date=_date(day) if day is not None else None,
        ))
        loc(f"documents[{i}]", element)
    return documents


def _results(act: etree._Element, language: str, loc: _Loc) -> list[ResultSpec]:
    results = []
    for i, element in enumerate(act.findall("result")):
        indicators = []
        for j, ind in enumerate(element.findall("indicator")):
            baseline = ind.find("baseline")
            periods = []
            for k, period in enumerate(ind.findall("period")):
                start, end = period.find("period-start"), period.find("period-end")
                assert start is not None and end is not None
                target, actual = period.find("target"), period.find("actual")
                periods.append(PeriodSpec(
                    start=_date(start), end=_date(end),
                    target=target.get("value") if target is not None else None,
                    actual=actual.get("value") if actual is not None else None))
                loc(f"results[{i}].indicators[{j}].periods[{k}]", period)
            indicators.append(IndicatorSpec(
                title=_narrative(ind.find("title"), language),
                description=_narrative(ind.find("description"), language),
                measure=_int(ind, "measure"),
                ascending=_bool(ind, "ascending"),
                baseline_year=_int(baseline, "year") if baseline is not None else None,
                baseline_value=baseline.get("value") if baseline is not None else None,
                periods=periods,
            ))
            loc(f"results[{i}].indicators[{j}]", ind)
        results.append(ResultSpec(
            type=_int(element, "type"),
            title=_narrative(element.find("title"), language),
            description=_narrative(element.find("description"), language),
            aggregation_status=_bool(element, "aggregation-status"),
            indicators=indicators,
        ))
        loc(f"results[{i}]", element)
    return results

"""Write activities as an IATI 2.03 ``iati-activities`` file.

The output is deterministic: the same activities give the same bytes, so an
export, imported and exported again, is byte-identical. Activities are written
one at a time (``lxml.etree.xmlfile``), so memory stays flat for large exports.
"""

from __future__ import annotations

import copy
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO

from lxml import etree

from tocsin.errors import ConfigurationError
from tocsin.taskforce.iati import codes
from tocsin.taskforce.iati.narratives import XML_LANG, chosen_narrative, language_of
from tocsin.taskforce.programmes.spec import (
    HIERARCHY,
    ActivitySpec,
    ShareSpec,
    format_amount,
    format_decimal,
)
from tocsin.taskforce.programmes.vocabulary import Vocabulary


@dataclass(frozen=True)
class Published:
    """An activity as its publisher wrote it (``tf_iati_records``)."""

    xml: str
    version: str


def write_activities(
    activities: Iterable[ActivitySpec],
    target: Path | IO[bytes],
    vocab: Vocabulary,
    *,
    generated: datetime | None = None,
    published: Mapping[str, Published] | None = None,
) -> int:
    """Write ``activities`` to ``target``; returns how many were written.

    ``activities`` must be a collection that can be iterated twice (children are
    listed under their parent); ``generated`` adds ``generated-datetime``, which
    is left out by default so repeated exports compare equal. ``published``
    holds, per identifier, the activity as its publisher wrote it: what the
    platform has not changed since is written back exactly as published (see
    :func:`merge`).
    """
    items = list(activities)
    children: dict[str, list[str]] = defaultdict(list)
    for spec in items:
        if spec.parent_identifier:
            children[spec.parent_identifier].append(spec.identifier)
    attrs = {"version": codes.VERSION}
    if generated is not None:
        attrs["generated-datetime"] = generated.isoformat(timespec="seconds")
    count = 0
    with etree.xmlfile(_sink(target), encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element("iati-activities", attrs):
            for spec in items:
                xf.write("\n  ")
                kids = children.get(spec.identifier, [])
                source = (published or {}).get(spec.identifier)
                if source is None:
                    element = activity_element(spec, vocab, sorted(kids))
                else:
                    element = merge(spec, source, vocab, kids)
                etree.indent(element, space="  ", level=1)
                xf.write(element)
                count += 1
            xf.write("\n")
    return count


def _sink(target: Path | IO[bytes]) -> str | IO[bytes]:
    return str(target) if isinstance(target, Path) else target


def to_bytes(activities: Iterable[ActivitySpec], vocab: Vocabulary) -> bytes:
    buffer = io.BytesIO()
    write_activities(activities, buffer, vocab)
    return buffer.getvalue()


def _sub(parent: etree._Element, tag: str, attrs: Mapping[str, str] | None = None,
         text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag, dict(attrs or {}))
    if text is not None:
        element.text = text
    return element


def _narrative(parent: etree._Element, tag: str, text: str,
               attrs: Mapping[str, str] | None = None) -> etree._Element:
    element = _sub(parent, tag, attrs)
    # an empty narrative is written <narrative/>, as it reads back
    _sub(element, "narrative", text=text or None)
    return element


def _iso(day: date) -> str:
    return day.isoformat()


def _percentage(attrs: dict[str, str], share: ShareSpec) -> dict[str, str]:
    if share.percentage is not None:
        attrs["percentage"] = format_decimal(share.percentage)
    return attrs


def _bool(value: bool) -> str:
    return "1" if value else "0"


def activity_element(spec: ActivitySpec, vocab: Vocabulary,
                     children: Iterable[str] = ()) -> etree._Element:
    """One ``iati-activity`` element, its children in the order the schema demands."""
    attrs = {XML_LANG: spec.language}
    if spec.default_currency:
        attrs["default-currency"] = spec.default_currency
    attrs["hierarchy"] = str(HIERARCHY[spec.level])
    root = etree.Element("iati-activity", attrs)
    _sub(root, "iati-identifier", text=spec.identifier)
    _narrative(root, "reporting-org", spec.reporting_org_name or spec.reporting_org_ref,
               {"ref": spec.reporting_org_ref, "type": spec.reporting_org_type or "40"})
    _narrative(root, "title", spec.title)
    _narrative(root, "description", spec.description, {"type": "1"})
    _participants(root, spec, vocab)
    _sub(root, "activity-status", {"code": str(spec.status)})
    for code, field in codes.DATE_FIELDS.items():
        day = getattr(spec, field)
        if day is not None:
            _sub(root, "activity-date", {"type": code, "iso-date": _iso(day)})
    for share in spec.countries:
        _sub(root, "recipient-country", _percentage({"code": share.code}, share))
    for region in spec.regions:
        _sub(root, "recipient-region",
             _percentage({"code": region.code, "vocabulary": region.vocabulary}, region))
    _sectors(root, spec, vocab)
    if spec.implementing_structure:
        tag = _sub(root, "tag", {"vocabulary": codes.STRUCTURE_TAG_VOCABULARY,
                                 "vocabulary-uri": codes.STRUCTURE_URI,
                                 "code": spec.implementing_structure})
        name = vocab.structures.get(spec.implementing_structure, spec.implementing_structure)
        _sub(tag, "narrative", text=name)
    _finance(root, spec)
    for doc in spec.documents:
        if not doc.url:
            continue  # a stored file has no public address to publish
        link = _sub(root, "document-link", {"format": doc.mime_type or "text/html",
                                            "url": doc.url})
        _narrative(link, "title", doc.title)
        _sub(link, "category", {"code": doc.category})
        if doc.language:
            _sub(link, "language", {"code": doc.language})
        if doc.document_date:
            _sub(link, "document-date", {"iso-date": _iso(doc.document_date)})
    if spec.parent_identifier:
        _sub(root, "related-activity", {"ref": spec.parent_identifier,
                                        "type": codes.RELATED_PARENT})
    for child in children:
        _sub(root, "related-activity", {"ref": child, "type": codes.RELATED_CHILD})
    _results(root, spec)
    return root


def _participants(root: etree._Element, spec: ActivitySpec, vocab: Vocabulary) -> None:
    if not spec.participants:
        # The schema needs one participating organisation: the reporting
        # organisation is accountable for its own activity.
        _narrative(root, "participating-org", spec.reporting_org_name or spec.reporting_org_ref,
                   {"ref": spec.reporting_org_ref, "type": spec.reporting_org_type or "40",
                    "role": "2"})
        return
    for p in spec.participants:
        attrs = {}
        if p.org_ref:
            attrs["ref"] = p.org_ref
        if p.org_type:
            attrs["type"] = p.org_type
        attrs["role"] = str(p.role)
        name = p.name or vocab.organizations.get(p.organization_code or "", "")
        element = _sub(root, "participating-org", attrs)
        if name:
            _sub(element, "narrative", text=name)


def shared_out(shares: list[ShareSpec]) -> list[ShareSpec]:
    """Shares as published: IATI needs a percentage on each sector when a vocabulary has
    more than one, so shares given without are published as equal parts (to the cent,
    the last one taking the rest)."""
    if len(shares) < 2 or all(s.percentage is not None for s in shares):
        return shares
    part = (Decimal(100) / len(shares)).quantize(Decimal("0.01"))
    out = [ShareSpec(code=s.code, percentage=part) for s in shares[:-1]]
    out.append(ShareSpec(code=shares[-1].code, percentage=Decimal(100) - part * (len(shares) - 1)))
    return out


def _sectors(root: etree._Element, spec: ActivitySpec, vocab: Vocabulary) -> None:
    crime_areas, stages = shared_out(spec.crime_areas), shared_out(spec.stages)
    for share in crime_areas:
        element = _sub(root, "sector", _percentage(
            {"vocabulary": codes.CRIME_AREA_VOCABULARY, "vocabulary-uri": codes.CRIME_AREA_URI,
             "code": share.code}, share))
        _sub(element, "narrative", text=vocab.crime_areas.get(share.code, share.code))
    for code, percentage in dac_shares(crime_areas, vocab):
        attrs = {"vocabulary": codes.DAC_VOCABULARY, "code": code}
        if percentage is not None:
            attrs["percentage"] = format_decimal(percentage)
        _sub(root, "sector", attrs)
    for share in stages:
        element = _sub(root, "sector", _percentage(
            {"vocabulary": codes.STAGE_VOCABULARY, "vocabulary-uri": codes.STAGE_URI,
             "code": share.code}, share))
        _sub(element, "narrative", text=vocab.stages.get(share.code, share.code))


def dac_shares(crime_areas: Iterable[ShareSpec],
               vocab: Vocabulary) -> list[tuple[str, Decimal | None]]:
    """OECD-DAC codes for the crime areas that have one, with shares adding up to 100.

    Crime areas sharing a DAC code add up; areas without a code are left out and
    the remaining shares are scaled back to 100 (rounded to two decimals, the
    last code taking the rounding rest).
    """
    mapped: dict[str, Decimal | None] = {}
    for share in crime_areas:
        code = vocab.dac_sectors.get(share.code)
        if code is None:
            continue
        if share.percentage is None:
            mapped.setdefault(code, None)
        else:
            mapped[code] = (mapped.get(code) or Decimal(0)) + share.percentage
    if not mapped or any(v is None for v in mapped.values()):
        return [(code, None) for code in sorted(mapped)]
    total = sum((v for v in mapped.values() if v is not None), Decimal(0))
    ordered = sorted(mapped)
    if total == 0:
        return [(code, None) for code in ordered]
    out: list[tuple[str, Decimal | None]] = []
    rest = Decimal(100)
    for i, code in enumerate(ordered):
        value = mapped[code] or Decimal(0)
        part = rest if i == len(ordered) - 1 else (value * 100 / total).quantize(Decimal("0.01"))
        rest -= part
        out.append((code, part))
    return out


def _value(parent: etree._Element, amount: Decimal, currency: str, day: date) -> None:
    _sub(parent, "value", {"currency": currency, "value-date": _iso(day)},
         text=format_amount(amount))


def _finance(root: etree._Element, spec: ActivitySpec) -> None:
    lines = sorted(spec.finance, key=lambda f: (f.year, f.currency))
    for line in lines:
        if line.kind != "budget":
            continue
        budget = _sub(root, "budget", {"type": codes.BUDGET_ORIGINAL, "status": "1"})
        _sub(budget, "period-start", {"iso-date": f"{line.year:04d}-01-01"})
        _sub(budget, "period-end", {"iso-date": f"{line.year:04d}-12-31"})
        _value(budget, line.amount, line.currency, date(line.year, 1, 1))
    for kind in ("commitment", "expenditure"):
        for line in lines:
            if line.kind != kind:
                continue
            transaction = _sub(root, "transaction")
            _sub(transaction, "transaction-type", {"code": codes.KIND_TRANSACTIONS[kind]})
            # the first day of the year: never a future date for past and current years
            _sub(transaction, "transaction-date", {"iso-date": f"{line.year:04d}-01-01"})
            _value(transaction, line.amount, line.currency, date(line.year, 1, 1))


def _results(root: etree._Element, spec: ActivitySpec) -> None:
    for result in spec.results:
        attrs = {"type": str(result.type)}
        if result.aggregation_status is not None:
            attrs["aggregation-status"] = _bool(result.aggregation_status)
        element = _sub(root, "result", attrs)
        _narrative(element, "title", result.title)
        if result.description:
            _narrative(element, "description", result.description)
        for ind in result.indicators:
            iattrs = {"measure": str(ind.measure)}
            if ind.ascending is not None:
                iattrs["ascending"] = _bool(ind.ascending)
            indicator = _sub(element, "indicator", iattrs)
            _narrative(indicator, "title", ind.title)
            if ind.description:
                _narrative(indicator, "description", ind.description)
            if ind.baseline_year is not None:
                battrs = {"year": str(ind.baseline_year)}
                if ind.baseline_value is not None:
                    battrs["value"] = ind.baseline_value
                _sub(indicator, "baseline", battrs)
            for period in ind.periods:
                pel = _sub(indicator, "period")
                _sub(pel, "period-start", {"iso-date": _iso(period.start)})
                _sub(pel, "period-end", {"iso-date": _iso(period.end)})
                if period.target is not None:
                    _sub(pel, "target", {"value": period.target})
                if period.actual is not None:
                    _sub(pel, "actual", {"value": period.actual})


# --- writing back what the publisher wrote ------------------------------------------------


def _canonical(element: etree._Element) -> tuple[object, ...]:
    """A comparable form: name, attributes, trimmed text and children; comments ignored."""
    return (element.tag, tuple(sorted(element.attrib.items())), (element.text or "").strip(),
            tuple(_canonical(c) for c in element if isinstance(c.tag, str)))


def _groups(element: etree._Element) -> dict[str, list[etree._Element]]:
    groups: dict[str, list[etree._Element]] = defaultdict(list)
    for child in element:
        if isinstance(child.tag, str):
            groups[child.tag].append(child)
    return groups


def merge(spec: ActivitySpec, source: Published, vocab: Vocabulary,
          children: Iterable[str] = ()) -> etree._Element:
    """The activity as published, with what the platform changed since written over it.

    The published element is read again into a spec (``then``); the platform's
    rendering of ``then`` and of the current ``spec`` are compared element name
    by element name: where they agree, nothing was changed in the platform and
    the published elements are written back as they were (with everything the
    platform does not model); where they differ, the edit is carried into the
    published elements element by element (:func:`_retexted`, :func:`_keyed`,
    :func:`_merged_results`, :func:`_money`), and only a group the platform
    renders in no other way goes out as rendered. The children follow the
    schema's order.
    """
    from tocsin.taskforce.iati.reader import PORTAL_NAMESPACES, read_published
    from tocsin.taskforce.iati.schema import child_order

    published = etree.fromstring(source.xml.encode("utf-8"), _parser())
    then, then_children = read_published(published, vocab, source.version)
    if spec.parent_identifier is None and then.parent_identifier is not None:
        # a parent outside the platform was never linked (the import notes it):
        # not an edit, the published related-activity stays
        then = then.model_copy(update={"parent_identifier": None})
    kids = sorted(set(children) | set(then_children))
    now_element = activity_element(spec, vocab, kids)
    then_element = activity_element(then, vocab, kids)
    # the publisher's namespace declarations, so that its elements and attributes keep
    # their prefixes (a new element gave them ns0:, ns1: …); a portal's are not written
    out = etree.Element("iati-activity", nsmap={
        prefix: uri for prefix, uri in published.nsmap.items()
        if uri not in PORTAL_NAMESPACES})
    names = list(published.attrib) + [a for a in now_element.attrib if a not in published.attrib]
    for name in names:
        now_value, then_value = now_element.get(name), then_element.get(name)
        value = now_value if now_value != then_value else published.get(name)
        if value is not None:
            out.set(name, value)
    now, then_groups, original = (_groups(now_element), _groups(then_element),
                                  _groups(published))
    order = list(child_order())
    known = set(order)
    # elements of other namespaces (IATI's extension point) stay after the element
    # they followed
    extensions: dict[str, list[etree._Element]] = defaultdict(list)
    anchor = ""
    for child in published:
        if not isinstance(child.tag, str):
            continue
        if child.tag in known:
            anchor = child.tag
        else:
            extensions[anchor].append(child)
    for element in extensions.get("", []):
        out.append(copy.deepcopy(element))
    language = language_of(published)
    for tag in order:
        mine, theirs = now.get(tag, []), then_groups.get(tag, [])
        if [_canonical(e) for e in mine] == [_canonical(e) for e in theirs]:
            chosen = original.get(tag, [])
        elif tag in ("title", "description") and len(mine) == 1:
            chosen = _retexted(original.get(tag, []), mine[0], language)
        elif tag in KEYS:
            chosen = _keyed(original.get(tag, []), mine, theirs, tag, language)
        elif tag == "result":
            chosen = _merged_results(original.get(tag, []), mine, theirs, language)
        elif tag in ("budget", "transaction"):
            chosen = _money(tag, original.get(tag, []), mine, then, spec,
                            (published.get("default-currency") or "").strip())
        else:
            chosen = mine
        for element in chosen:
            out.append(copy.deepcopy(element))
        for element in extensions.get(tag, []):
            out.append(copy.deepcopy(element))
    _keep_currency(out, (published.get("default-currency") or "").strip())
    for element in out.iter():
        element.tail = None
        if len(element) and element.text is not None and not element.text.strip():
            element.text = None
    if out.nsmap:
        # only those its elements and attributes use (a root's xmlns:xsi, say, was in
        # scope and serialised with the published copy); 2.7 µs on the rich activity
        etree.cleanup_namespaces(out)
    return out


#: The elements whose amount is in the activity's default currency when they name none.
AMOUNTS = ".//value | fss/forecast | crs-add/loan-status"


def _keep_currency(out: etree._Element, published: str) -> None:
    """A default currency changed in the platform applies to amounts entered there: the
    published amounts that named none were in ``published`` (the publisher's default)
    and say so, or the new default would change the currency of every one of them."""
    if not published or (out.get("default-currency") or "").strip() == published:
        return
    for element in out.xpath(AMOUNTS):
        if not (element.get("currency") or "").strip():
            element.set("currency", published)


Key = Callable[[etree._Element], tuple[str, ...]]


def _sector_key(element: etree._Element) -> tuple[str, ...]:
    vocabulary = element.get("vocabulary", "1").strip()
    # vocabularies 98 and 99 are each publisher's own: their URI tells the platform's crime
    # areas, stages and structures from a publisher's own codes
    uri = element.get("vocabulary-uri", "").strip() if vocabulary in ("98", "99") else ""
    return vocabulary, uri, element.get("code", "").strip()


#: The key of an element among its siblings, for the groups merged element by element:
#: the platform holds the participating and partner States of an activity (the register
#: every country), of a participating organisation its reference, type, role and name
#: (not its activity id, CRS channel or other languages), the sectors of its own two
#: vocabularies and the OECD-DAC codes of its crime areas (not the other vocabularies),
#: of a document link its address, format, title, first category and language and its
#: date (not its description, other categories or other languages), the tag of its
#: implementing structure (not the others), its parent and children (not the other
#: related activities), the dates (not their narratives) and the reporting organisation's
#: reference, type and name (not its other languages or secondary-reporter flag).
KEYS: dict[str, Key] = {
    "reporting-org": lambda e: (),
    "activity-date": lambda e: (e.get("type", "").strip(),),
    "tag": _sector_key,
    "related-activity": lambda e: (e.get("ref", "").strip(), e.get("type", "").strip()),
    "recipient-country": lambda e: (e.get("code", "").strip().upper(),),
    "recipient-region": lambda e: (e.get("vocabulary", "1").strip(), e.get("code", "").strip()),
    "participating-org": lambda e: (e.get("ref", "").strip(), e.get("role", "").strip()),
    "sector": _sector_key,
    "document-link": lambda e: (e.get("url", "").strip(),),
}
#: The platform's own sector vocabularies: crime areas and justice-chain stages.
OWN_SECTORS = frozenset({(codes.CRIME_AREA_VOCABULARY, codes.CRIME_AREA_URI),
                         (codes.STAGE_VOCABULARY, codes.STAGE_URI)})
#: Within a group, the elements whose platform rendering changes together: the platform
#: writes its two sector vocabularies in full as soon as one of their codes changes (a
#: crime area written alone would, read again, be the only one, and the stages read
#: from OECD-DAC codes would go with a removed code).
FAMILIES: dict[str, Key] = {
    "sector": lambda e: ("own",) if _sector_key(e)[:2] in OWN_SECTORS else _sector_key(e)[:2],
}


def _title_key(element: etree._Element) -> tuple[str, ...]:
    return ((element.findtext("title/narrative") or "").strip(),)


#: How the platform's results and their parts are matched between the rendering of the
#: activity as published and as it is now (see :func:`_pairs`): a result by its type and
#: title, an indicator by its title, a period by its dates; a title edited in the
#: platform is matched by its place among what is left. Any other child the platform
#: writes once at most (a baseline, a target, a category), and is matched as such.
CHILD_KEYS: dict[str, Key] = {
    "result": lambda e: (e.get("type", "").strip(), *_title_key(e)),
    "indicator": _title_key,
    "period": lambda e: tuple(str(e.xpath(f"string({name}/@iso-date)"))
                              for name in ("period-start", "period-end")),
}
#: Children of a document link in the schema's order (its type is named, not declared).
DOCUMENT_LINK_ORDER = ("title", "description", "category", "language", "document-date")


def _pairs(theirs: list[etree._Element], mine: list[etree._Element], key: Key,
           retitled: bool = False) -> dict[int, int]:
    """Which rendering now (index in ``mine``) each rendering then (in ``theirs``) became.

    Identical renderings pair first, then equal keys, both in order; with ``retitled``
    what is left on both sides at the same place pairs too when the two share a child
    besides their title (a title edited in the platform: the result keeps its place
    and its description or an indicator; added ones are appended, and one removed and
    one added in its place share nothing).
    """
    out: dict[int, int] = {}
    for same in (_canonical, key):
        free: dict[object, list[int]] = defaultdict(list)
        taken = set(out.values())
        for j, element in enumerate(mine):
            if j not in taken:
                free[same(element)].append(j)
        for i, element in enumerate(theirs):
            if i not in out and free.get(same(element)):
                out[i] = free[same(element)].pop(0)
    if retitled:
        taken = set(out.values())
        out.update({i: i for i in range(min(len(theirs), len(mine)))
                    if i not in out and i not in taken and _alike(theirs[i], mine[i])})
    return out


def _alike(then: etree._Element, now: etree._Element) -> bool:
    kept = {_canonical(c) for c in then if c.tag != "title"}
    return any(_canonical(c) in kept for c in now if c.tag != "title")


def _sources(published: list[etree._Element], theirs: list[etree._Element],
             key: Key | None) -> dict[int, int]:
    """Which published element (index) each rendering then was read from.

    By ``key``, in order; without, by place: the platform reads all of them, or the
    first ones, in the order published.
    """
    if key is None:
        return {i: i for i in range(min(len(theirs), len(published)))}
    free: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for k, element in enumerate(published):
        free[key(element)].append(k)
    return {i: free[key(e)].pop(0) for i, e in enumerate(theirs) if free.get(key(e))}


def _merged(published: list[etree._Element], theirs: list[etree._Element],
            mine: list[etree._Element], sources: Mapping[int, int], pairs: Mapping[int, int],
            language: str, family: Key = lambda e: (), key: Key | None = None
            ) -> list[etree._Element]:
    """A group edited in the platform, element by element.

    What the platform does not hold (a published element no rendering was read from)
    stays as published; what it holds stays as published unless edited, and then keeps
    what the platform does not model (other narratives, attributes and children) with
    the edited parts set (:func:`_edit`); what it removed goes; what it added follows,
    and so does what only the platform holds when its ``family`` changed. An added
    element with the ``key`` of one the platform did not hold edits that one instead
    (a crime area added whose DAC code the publisher already gave).
    """
    read_from = {k: i for i, k in sources.items()}
    out: list[etree._Element] = []
    unheld: dict[tuple[str, ...], int] = {}
    for k, element in enumerate(published):
        i = read_from.get(k)
        if i is None:
            if key is not None:
                unheld.setdefault(key(element), len(out))
            out.append(copy.deepcopy(element))
        elif i in pairs:
            out.append(_edit(element, theirs[i], mine[pairs[i]], language))
        elif element.tag in ("title", "description"):
            # an emptied text: its other languages stay
            emptied = copy.deepcopy(element)
            if _set_narrative(emptied, "", language):
                out.append(emptied)
    written = {pairs[i] for i in sources if i in pairs}
    became = {j: i for i, j in pairs.items()}
    changed = {family(e) for e in theirs} | {family(e) for e in mine}
    changed -= {f for f in changed
                if [_canonical(e) for e in theirs if family(e) == f]
                == [_canonical(e) for e in mine if family(e) == f]}
    for j, element in enumerate(mine):
        if j in written or (j in became and family(element) not in changed):
            continue
        at = unheld.pop(key(element), None) if key is not None and j not in became else None
        if at is None:
            out.append(copy.deepcopy(element))
        else:
            out[at] = _edit(out[at], etree.Element(element.tag), element, language)
    return out


def _edit(published: etree._Element, then: etree._Element, now: etree._Element,
          language: str) -> etree._Element:
    """``published`` with what changed from ``then`` to ``now`` (two renderings) set."""
    kept = copy.deepcopy(published)
    # in the rendering's order: the same edit gives the same bytes
    for name in [*now.attrib, *(n for n in then.attrib if n not in now.attrib)]:
        value = now.get(name)
        if value == then.get(name):
            continue
        if value is None:
            kept.attrib.pop(name, None)
        else:
            kept.set(name, value)
    if not len(now) and (now.text or "").strip() != (then.text or "").strip():
        kept.text = now.text
    said = [n.text or "" for n in now if n.tag == "narrative"]
    if said != [n.text or "" for n in then if n.tag == "narrative"]:
        _set_narrative(kept, said[0] if said else "", language)
    tags = [c.tag for c in then] + [c.tag for c in now]
    for tag in dict.fromkeys(t for t in tags if t != "narrative"):
        theirs = [c for c in then if c.tag == tag]
        mine = [c for c in now if c.tag == tag]
        if [_canonical(e) for e in theirs] == [_canonical(e) for e in mine]:
            continue
        present = [c for c in kept if c.tag == tag]
        pairs = _pairs(theirs, mine, CHILD_KEYS.get(tag, lambda e: ()),
                       retitled=tag in CHILD_KEYS)
        merged = _merged(present, theirs, mine, _sources(present, theirs, None), pairs,
                         language)
        at = kept.index(present[0]) if present else _place(kept, tag)
        for child in present:
            kept.remove(child)
        for offset, child in enumerate(merged):
            kept.insert(at + offset, child)
    return kept


def _place(parent: etree._Element, tag: str) -> int:
    """Where a first ``tag`` goes among the children of ``parent`` (the schema's order)."""
    from tocsin.taskforce.iati.schema import child_order

    try:
        order = DOCUMENT_LINK_ORDER if parent.tag == "document-link" else child_order(
            element=parent.tag)
    except ConfigurationError:  # an element the schema names only inside another
        order = ()
    if tag not in order:
        return len(parent)
    later = set(order[order.index(tag) + 1:])
    return next((i for i, child in enumerate(parent) if child.tag in later), len(parent))


def _keyed(published: list[etree._Element], mine: list[etree._Element],
           theirs: list[etree._Element], tag: str, language: str) -> list[etree._Element]:
    """A group the platform holds by key (:data:`KEYS`), merged element by element."""
    key = KEYS[tag]
    out = _merged(published, theirs, mine, _sources(published, theirs, key),
                  _pairs(theirs, mine, key), language, FAMILIES.get(tag, lambda e: ()), key)
    if tag == "sector":
        _dac_part(out, theirs, mine)
    return out


def _is_dac(element: etree._Element) -> bool:
    return _sector_key(element)[:2] == (codes.DAC_VOCABULARY, "")


def _dac_part(out: list[etree._Element], theirs: list[etree._Element],
              mine: list[etree._Element]) -> None:
    """Scale the OECD-DAC codes the platform derives to the part the others leave.

    The platform derives DAC codes from the crime areas, shared out over 100; a
    publisher's DAC codes it does not derive (one read as a stage only, one the mapping
    table does not list) keep their published percentages. So that the vocabulary
    still adds up to 100, the derived codes share what those leave (100 less theirs).
    Nothing changes when the derived codes did not, or a percentage is missing.
    """
    derived = {KEYS["sector"](e): e.get("percentage") for e in mine if _is_dac(e)}
    if [_canonical(e) for e in theirs if _is_dac(e)] == \
            [_canonical(e) for e in mine if _is_dac(e)]:
        return
    held = [e for e in out if _is_dac(e) and KEYS["sector"](e) in derived]
    others = [e.get("percentage") for e in out if _is_dac(e) and e not in held]
    shares = [derived[KEYS["sector"](e)] for e in held]
    if not held or any(p is None for p in [*others, *shares]):
        return
    try:
        part = Decimal(100) - sum((Decimal(p) for p in others if p is not None), Decimal(0))
        values = [Decimal(p) for p in shares if p is not None]
    except ArithmeticError:
        return
    if part <= 0 or part == 100:
        return
    rest = part
    for n, (element, value) in enumerate(zip(held, values, strict=True)):
        share = rest if n == len(held) - 1 else (value * part / 100).quantize(Decimal("0.01"))
        rest -= share
        element.set("percentage", format_decimal(share))


def _merged_results(published: list[etree._Element], mine: list[etree._Element],
                    theirs: list[etree._Element], language: str) -> list[etree._Element]:
    """Results merged element by element, down to their indicators' periods.

    The platform reads every published result, in order, so each rendering then
    stands for the published result at its place; a result keeps its references,
    document links, dimensions, comments, locations and further baselines, targets
    and actuals through an edit of what the platform holds of it.
    """
    return _merged(published, theirs, mine, _sources(published, theirs, None),
                   _pairs(theirs, mine, CHILD_KEYS["result"], retitled=True), language)


def _retexted(published: list[etree._Element], edited: etree._Element,
              language: str) -> list[etree._Element]:
    """The published titles or descriptions with the one text the platform holds edited.

    The platform holds one narrative of them: the title's, and the general
    description's (the first of type 1), in the activity's language (else the first),
    as the reader takes it. Only that narrative changes; the other languages and the
    other description types stay as published.
    """
    out = [copy.deepcopy(e) for e in published]
    target = next((e for e in out if e.tag == "title" or e.get("type", "1") == "1"), None)
    if target is None:
        return [copy.deepcopy(edited), *out]
    text = edited.findtext("narrative") or ""
    if not _set_narrative(target, text, language):
        out.remove(target)  # its last narrative was emptied
    return out


def _set_narrative(element: etree._Element, text: str, language: str) -> bool:
    """Set the narrative the reader takes (the activity's language, else the first).

    An empty text removes it; ``False`` when ``element`` is left without a narrative.
    """
    chosen, _ = chosen_narrative(element, language)
    if chosen is None:
        if text:
            _sub(element, "narrative", text=text)
    elif text:
        chosen.text = text
    else:
        element.remove(chosen)
    return any(n.tag == "narrative" for n in element)


def _parser() -> etree.XMLParser:
    from tocsin.taskforce.iati.schema import safe_parser

    return safe_parser(remove_comments=True, remove_pis=True)


# --- money ----------------------------------------------------------------------------------

#: What the platform holds of a budget or a transaction: a sum per kind, year and currency.
Cell = tuple[str, int, str]


def _sums(spec: ActivitySpec, kinds: Iterable[str]) -> dict[Cell, Decimal]:
    out: dict[Cell, Decimal] = defaultdict(Decimal)
    for line in spec.finance:
        if line.kind in kinds:
            out[(line.kind, line.year, line.currency)] += line.amount
    return dict(out)


def _day(element: etree._Element, name: str) -> date | None:
    found = element.find(name)
    try:
        return date.fromisoformat((found.get("iso-date") or "").strip()[:10]) \
            if found is not None else None
    except ValueError:
        return None


def _cells(element: etree._Element, currency: str) -> set[Cell]:
    """The sums a budget or a transaction counts in, as the reader adds them up."""
    from tocsin.taskforce.iati.reader import spread

    value = element.find("value")
    if value is None:
        return set()
    currency = (value.get("currency") or currency).strip()
    if element.tag == "budget":
        start = _day(element, "period-start")
        if start is None:
            return set()
        years = spread(start, _day(element, "period-end"), Decimal(0))
        return {("budget", year, currency) for year, _ in years}
    kind = codes.TRANSACTION_KINDS.get(element.find("transaction-type").get("code", "").strip()
                                       if element.find("transaction-type") is not None else "")
    day = _day(element, "transaction-date")
    return {(kind, day.year, currency)} if kind is not None and day is not None else set()


def _set_value(element: etree._Element, amount: Decimal) -> None:
    value = element.find("value")
    if value is not None:
        value.text = format_amount(amount)


def _money(tag: str, published: list[etree._Element], mine: list[etree._Element],
           then: ActivitySpec, now: ActivitySpec, currency: str) -> list[etree._Element]:
    """Budgets or transactions edited in the platform, which holds their sums per year.

    A sum left alone leaves its published elements as they are, and so does every
    transaction type the platform does not count (incoming funds, reimbursements …).
    A changed sum made of one published element of that year alone edits that
    element's value (its period, references, organisations and descriptions stay). A
    changed sum of several transactions keeps them all and adds one of the difference,
    dated as the latest of them: transactions are events, and a correction is one
    more. A removed sum removes its elements, an added one is written as the platform
    writes it; budgets over a changed year that span other years (or overlap in one)
    are replaced by the platform's budget of each year they covered, with the status
    the replaced budgets of that year share, if they share one. Where every published
    transaction has a sector (a recipient country, a region), a transaction the platform
    writes takes those of the one it corrects, or of the latest one (:func:`_classify`):
    IATI's ruleset wants sectors on every transaction once one has them.
    """
    kinds = ("budget",) if tag == "budget" else tuple(codes.KIND_TRANSACTIONS)
    before, after = _sums(then, kinds), _sums(now, kinds)
    held = [_cells(element, currency) for element in published]
    rendered = {cell: element for element in mine for cell in _cells(element, "")}
    out = [copy.deepcopy(element) for element in published]
    rewrite: set[Cell] = set()
    corrections = []
    for cell in sorted(c for c in before.keys() | after.keys() if before.get(c) != after.get(c)):
        holders = [k for k, cells in enumerate(held) if cell in cells]
        if cell in after and len(holders) == 1 and held[holders[0]] == {cell}:
            _set_value(out[holders[0]], after[cell])
        elif tag == "transaction" and cell in after and holders:
            correction = copy.deepcopy(rendered[cell])
            _set_value(correction, after[cell] - before.get(cell, Decimal(0)))
            latest = max((d for k in holders
                          if (d := _day(published[k], "transaction-date")) is not None),
                         default=None)
            if latest is not None:
                correction.find("transaction-date").set("iso-date", _iso(latest))
                correction.find("value").set("value-date", _iso(latest))
            corrections.append(_classify(correction, published,
                                         [published[k] for k in holders]))
        else:
            rewrite.add(cell)
    replaced: set[int] = set()
    grown = True
    while grown:  # a budget over two years takes the other year with it
        grown = False
        for k, cells in enumerate(held):
            if k not in replaced and cells & rewrite:
                replaced.add(k)
                rewrite |= cells
                grown = True
    kept = [element for k, element in enumerate(out) if k not in replaced]
    written = []
    for cell in sorted(rewrite):
        if cell not in rendered:
            continue
        element = copy.deepcopy(rendered[cell])
        # the budgets a year's budget replaces were all committed (or all indicative):
        # the publisher's status stays, as it does on a budget edited in place
        statuses = {published[k].get("status") for k in replaced if cell in held[k]}
        if tag == "budget" and len(statuses) == 1 and (status := statuses.pop()):
            element.set("status", status)
        written.append(_classify(element, published, []) if tag == "transaction"
                       else element)
    return kept + written + corrections


#: What a transaction of the platform takes from the publisher's, in the schema's order.
CLASSIFIERS = ("sector", "recipient-country", "recipient-region")


def _classify(written: etree._Element, published: list[etree._Element],
              corrected: list[etree._Element]) -> etree._Element:
    """``written`` (a transaction the platform writes) with the sectors, recipient
    countries and regions of the latest of ``corrected`` (else of all ``published``),
    each where every published transaction has one: a publisher who classifies its
    transactions classifies every one, and IATI's ruleset wants it of sectors."""
    def day(element: etree._Element) -> date:
        return _day(element, "transaction-date") or date.min

    source = max(corrected or published, key=day, default=None)
    if source is None:
        return written
    for name in CLASSIFIERS:
        if all(e.find(name) is not None for e in published):
            for element in source.iterchildren(name):
                written.append(copy.deepcopy(element))
    return written

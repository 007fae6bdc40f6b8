"""What every list reader returns, and the hardened XML parsing they share.

A reader turns one publisher file (or set of files) into :class:`ListEntity`
objects: the listed entity as a FollowTheMoney entity plus the entities about it
(Sanction, Address, Identification), with the programme, listing date and the
publisher's reference kept. Readers validate everything before anything is
written and name the file, line or XPath of a bad element.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from followthemoney import model
from followthemoney.proxy import EntityProxy
from lxml import etree

from tocsin.errors import InputError, Problem, reason_of
from tocsin.i18n import N_, N_plural
from tocsin.money.ingest.xmlsafe import _check_prolog, _refuse_doctype
from tocsin.types.base import is_digits

#: A list file larger than this is refused before it is parsed.
MAX_LIST_BYTES = 1 << 30
#: Entity types a screen compares with (the rest are kept as related entities).
TARGET_SCHEMATA = ("Person", "Organization", "Company", "LegalEntity", "Vessel", "Airplane",
                   "PublicBody", "CryptoWallet", "BankAccount")


@dataclass
class ListEntity:
    """One listed entity, ready to store as a :class:`~tocsin.screening.tables.ListEntry`."""

    entity: EntityProxy
    related: list[EntityProxy] = field(default_factory=list)
    programme: str = ""
    listed_on: str | None = None
    reference: str = ""

    @property
    def caption(self) -> str:
        return str(self.entity.caption)[:500]

    def entity_dict(self) -> dict[str, Any]:
        return {"id": self.entity.id, "schema": self.entity.schema.name,
                "properties": {k: sorted(v) for k, v in self.entity.properties.items()}}

    def related_dicts(self) -> list[dict[str, Any]]:
        return sorted(({"id": r.id, "schema": r.schema.name,
                        "properties": {k: sorted(v) for k, v in r.properties.items()}}
                       for r in self.related), key=lambda d: str(d["id"]))

    def checksum(self) -> str:
        payload = json.dumps([self.entity_dict(), self.related_dicts(), self.programme,
                              self.listed_on, self.reference], sort_keys=True,
                             ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()


@dataclass
class ListRead:
    """Everything a reader found in a file."""

    entities: list[ListEntity]
    #: The publication date the file gives, if any.
    published: str | None = None
    #: What the file says that the platform cannot hold, each with its place: nothing is
    #: left out without being named here.
    notes: list[Problem] = field(default_factory=list)


def make(schema: str, *key: object) -> EntityProxy:
    """A new entity of ``schema`` whose id is derived from ``key``."""
    proxy = model.make_entity(schema)
    proxy.make_id(*[str(k) for k in key])
    return proxy


def add(proxy: EntityProxy, prop: str, values: Iterable[str | None] | str | None) -> None:
    """Add cleaned values; empty ones and values the property's type refuses are skipped."""
    if values is None:
        return
    if isinstance(values, str):
        values = [values]
    for value in values:
        if value is None:
            continue
        text = " ".join(value.split())
        if text:
            proxy.add(prop, text, quiet=True, cleaned=False)


def add_noted(proxy: EntityProxy, prop: str, values: Iterable[str | None] | str | None,
              notes: list[Problem], place: Callable[[], str]) -> None:
    """:func:`add`, naming in ``notes`` each value the property's type refuses (a country
    the platform does not know, a date it cannot read) instead of dropping it unseen;
    ``place`` gives where the record is, asked only when there is something to name."""
    if values is None:
        return
    if isinstance(values, str):
        values = [values]
    kind = proxy.schema.get(prop)
    for value in values:
        text_ = " ".join((value or "").split())
        if not text_ or kind is None:
            continue
        if kind.type.clean(text_, proxy=proxy) is None:
            notes.append(Problem(place(), N_("%(field)s %(value)s is not a value the platform "
                                           "can hold; left out", field=prop,
                                           value=repr(text_))))
            continue
        proxy.add(prop, text_, quiet=True, cleaned=False)


#: A span of birth years longer than this is kept as its two ends only.
MAX_YEAR_SPAN = 30


def year_span(start: str | None, end: str | None) -> list[str]:
    """Every year from ``start`` to ``end`` (a listed "born between 1965 and 1969" matches a
    subject born in 1967); the ends alone when the span is open, reversed or too long."""
    ends = [y for y in (start, end) if y]
    if len(ends) == 2 and is_digits(ends[0]) and is_digits(ends[1]) \
            and 0 <= int(ends[1]) - int(ends[0]) <= MAX_YEAR_SPAN:
        return [str(y) for y in range(int(ends[0]), int(ends[1]) + 1)]
    return ends


def sanction(target: EntityProxy, authority: str, programme: str, listed_on: str | None,
             reference: str, reason: str | None = None) -> EntityProxy:
    """The Sanction entity that says why and since when ``target`` is listed."""
    item = make("Sanction", "sanction", target.id, authority, programme)
    add(item, "entity", target.id)
    add(item, "authority", authority)
    add(item, "program", programme)
    add(item, "listingDate", listed_on)
    add(item, "unscId" if authority.startswith("UN") else "programId", reference)
    add(item, "reason", reason)
    return item


def identification(target: EntityProxy, kind: str, number: str, country: str | None = None,
                   passport: bool = False) -> EntityProxy:
    item = make("Passport" if passport else "Identification", "id", target.id, kind, number)
    add(item, "holder", target.id)
    add(item, "type", kind)
    add(item, "number", number)
    add(item, "country", country)
    return item


def address(target: EntityProxy, text: str, country: str | None = None) -> EntityProxy:
    item = make("Address", "address", text, country or "")
    add(item, "full", text)
    add(item, "country", country)
    return item


def check_size(path: Path) -> None:
    if not path.is_file():
        raise InputError.single(str(path), N_("no such file"))
    size = path.stat().st_size
    if size == 0:
        raise InputError.single(str(path), N_("the file is empty"))
    if size > MAX_LIST_BYTES:
        raise InputError.single(str(path), N_("the file is %(size)s bytes; lists larger than "
                                              "%(most)s bytes are refused", size=size,
                                              most=MAX_LIST_BYTES))


def parse_xml(path: Path) -> etree._Element:
    """Parse a whole list file with entities, DTDs and the network off; the root element."""
    check_size(path)
    _check_prolog(path)
    try:
        tree = etree.parse(str(path), etree.XMLParser(**XML_OPTIONS))
    except etree.XMLSyntaxError as exc:
        raise _not_well_formed(path, exc) from None
    except OSError as exc:
        raise _unreadable(path, exc) from None
    root = tree.getroot()
    _refuse_doctype(root, str(path))
    return root


#: Parsing options of every list file: no entities, DTDs or network; comments and
#: processing instructions left out.
XML_OPTIONS: dict[str, bool] = {"resolve_entities": False, "no_network": True,
                                "load_dtd": False, "huge_tree": False,
                                "remove_comments": True, "remove_pis": True}


def _not_well_formed(path: Path, exc: etree.XMLSyntaxError) -> InputError:
    """Named by the file's name and line, as the places of its records are."""
    line = exc.lineno or (exc.position[0] if exc.position else 0)
    return InputError.single(f"{path.name}:{line}" if line else path.name,
                             N_("not well-formed XML (%(error)s)", error=exc.msg))


def stream(path: Path, tags: Sequence[str], events: tuple[str, ...] = ("end",)
           ) -> Iterator[tuple[str, etree._Element]]:
    """The ``events`` of the elements named ``tags`` (in any namespace) as the file is
    parsed, for a reader that lets each record go once read (:func:`let_go`), so that
    memory stays bounded whatever the file's size. A file that is not well-formed is
    refused as :func:`parse_xml` refuses it: the streaming parser says "no element
    found", at no line, of an entity the file does not declare (``&nbsp;``), so the
    file is then parsed again, into no tree, to say what and where."""
    context = etree.iterparse(str(path), events=events, tag=[f"{{*}}{t}" for t in tags],
                              **XML_OPTIONS)
    try:
        yield from context
    except etree.XMLSyntaxError as exc:
        check_well_formed(path)
        raise _not_well_formed(path, exc) from None


def check_well_formed(path: Path) -> None:
    """Refuse a file that is not well-formed, as :func:`parse_xml` does, building no tree."""
    try:
        etree.parse(str(path), etree.XMLParser(target=_NoTree(), **XML_OPTIONS))
    except etree.XMLSyntaxError as exc:
        raise _not_well_formed(path, exc) from None
    except OSError as exc:
        raise _unreadable(path, exc) from None


def _unreadable(path: Path, exc: OSError) -> InputError:
    """Why a whole-file parse failed with an ``OSError``: libxml2 reports bytes the file's
    encoding does not allow (a Latin-1 letter in a file that says UTF-8) as a read error,
    without a line, where its streaming parser says where they are."""
    try:
        for _, element in etree.iterparse(str(path), events=("end",), **XML_OPTIONS):
            element.clear()
    except etree.XMLSyntaxError as syntax:
        return _not_well_formed(path, syntax)
    except OSError:
        pass
    return InputError.single(path.name, N_("cannot read the file: %(why)s",
                                           why=exc.strerror or str(exc)))


class _NoTree:
    """A parser target that keeps nothing and is told nothing until the end (the file is
    only checked, at the parser's own speed)."""

    def close(self) -> None:
        pass


@dataclass
class Streamed:
    """Where the reading of a streamed list is, and what its header said: the records
    before the current one are let go, so its place is counted (``record_path[n]``)."""

    path: Path
    #: The records' path in the file (``/Designations/Designation``).
    record_path: str
    published: str | None = None
    count: int = 0

    def place(self, element: etree._Element) -> str:
        return f"{self.path.name}:{element.sourceline} ({self.record_path}[{self.count}])"


def let_go(element: etree._Element, keep: bool = False) -> None:
    """Empty a streamed ``element`` (unless ``keep``: its caller holds on to it) and take
    it, and any left before it, out of the tree."""
    if not keep:
        element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is None:
        return
    while element.getprevious() is not None:
        del parent[0]
    parent.remove(element)


def root_tag(path: Path) -> tuple[str, int]:
    """The root element's tag (``{namespace}name``) and line, read without parsing the rest
    of the file; a hostile DOCTYPE is refused first."""
    check_size(path)
    _check_prolog(path)
    parser = etree.XMLPullParser(events=("start",), resolve_entities=False, no_network=True,
                                 load_dtd=False, huge_tree=False)
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(4096):
                parser.feed(chunk)
                for _, element in parser.read_events():
                    return str(element.tag), int(element.sourceline or 0)
        parser.close()
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or (exc.position[0] if exc.position else 0)
        raise InputError.single(f"{path.name}:{line}" if line else path.name,
                                N_("not well-formed XML (%(error)s)", error=exc.msg)) from None
    raise InputError.single(path.name, N_("the file is empty"))  # no element at all


def local(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag[tag.index("}") + 1:] if tag.startswith("{") else tag


def kids(element: etree._Element, name: str) -> list[etree._Element]:
    """Direct children with local name ``name``."""
    return [c for c in element if local(c) == name]


def items(element: etree._Element | None, holder: str, item: str) -> list[etree._Element]:
    """The ``item`` children of every ``holder`` child of ``element`` (``names/name``)."""
    if element is None:
        return []
    return [x for h in kids(element, holder) for x in kids(h, item)]


def kid(element: etree._Element, name: str) -> etree._Element | None:
    for c in element:
        if local(c) == name:
            return c
    return None


def text(element: etree._Element | None, name: str | None = None) -> str | None:
    found = kid(element, name) if element is not None and name else element
    if found is None or found.text is None:
        return None
    value = " ".join(found.text.split())
    return value or None


def where(path: Path, element: etree._Element) -> str:
    """``file:line (XPath)`` of an element, for error messages; the XPath names elements by
    their local names (lxml's own path of a namespaced file is ``/*/*[1]``)."""
    tree = element.getroottree()
    steps = _NAMESPACE.sub("", tree.getelementpath(element))  # indices among same-name kin
    root = f"/{local(tree.getroot())}"
    return f"{path.name}:{element.sourceline} ({root if steps == '.' else f'{root}/{steps}'})"


_NAMESPACE = re.compile(r"\{[^}]*\}")


def where_in(path: Path, element: etree._Element, record: etree._Element,
             record_path: str) -> str:
    """:func:`where` for ``element`` in (or being) ``record`` of a streamed file, whose
    earlier records are let go: ``record_path`` is the record's own path, as :func:`where`
    would have written it (``/Sanctions/DistinctParties/DistinctParty[3]``)."""
    steps = _NAMESPACE.sub("", etree.ElementTree(record).getelementpath(element))
    return f"{path.name}:{element.sourceline} " \
           f"({record_path if steps == '.' else f'{record_path}/{steps}'})"


#: Reads one record of a list: the element, the notes to name what it cannot hold in, and
#: a function giving the record's place (asked only when there is something to name).
RecordReader = Callable[[etree._Element, list[Problem], Callable[[], str]], ListEntity]


def read_records(path: Path, records: Iterable[etree._Element], read_one: RecordReader,
                 what: str, place_of: Callable[[etree._Element], str] | None = None
                 ) -> tuple[list[ListEntity], list[Problem]]:
    """Every record read by ``read_one``, and the notes they gave; a record it refuses
    (``ValueError``) is a problem naming its place, and the file is refused whole
    (:func:`require`). ``place_of`` names a record's place when :func:`where` cannot (a
    streamed file whose earlier records are already let go)."""
    locate = place_of or partial(where, path)
    problems: list[Problem] = []
    notes: list[Problem] = []
    entities: list[ListEntity] = []
    for element in records:
        try:
            entities.append(read_one(element, notes, partial(locate, element)))
        except ValueError as exc:
            problems.append(Problem(locate(element), reason_of(exc)))
    require(problems, entities, path, what)
    return entities, notes


def require(problems: list[Problem], entities: list[ListEntity], path: Path,
            what: str) -> None:
    """Refuse the file when an element was bad or nothing was found in it."""
    if problems:
        raise InputError(problems, summary=N_plural(
            "%(file)s: %(count)s bad element in the %(list)s file; nothing was imported",
            "%(file)s: %(count)s bad elements in the %(list)s file; nothing was imported",
            len(problems), file=path.name, count=len(problems), list=what))
    if not entities:
        raise InputError.single(str(path), N_("no listed entries found; is this a %(list)s "
                                              "file?", list=what))

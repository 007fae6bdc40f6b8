"""Read an IATI ``iati-activities`` file (2.01, 2.02 or 2.03), losing nothing.

The file is read as a stream, one ``iati-activity`` at a time, with entity
expansion, DTDs and network access off; each activity is freed once read, so
memory stays flat for any file size. A scan of the raw bytes finds the
activities (:mod:`tocsin.taskforce.iati.scan`), each parsed where it is read;
where the scan cannot vouch for a file it is parsed with
``lxml.etree.iterparse``, which names the line of a well-formedness error.

For each activity the reader produces

* an :class:`~tocsin.taskforce.programmes.spec.ActivitySpec`: the platform's
  view (its crime areas and stages, the participating and partner States it
  concerns, finance per year), built without re-validation (the reader has
  checked every value it puts there);
* :class:`IatiParts`: the element exactly as published plus typed rows for
  every transaction, budget, planned disbursement, sector and recipient
  country or region, ready for bulk ``INSERT``.

Each activity is checked against the schema of the file's version (in a portal's
download, whose root declares none, the version the activity declares; see
:func:`checked_version`; the IATI Datastore API's answer, a ``result`` around such a
download, is read the same way, see :func:`_answer`), the IATI code lists and the
platform's rules; every problem
names the XPath of the element at fault and a plain reason. Elements the platform
does not model are counted in :attr:`ReadResult.preserved`: they are kept as
published and written back on export. Nothing is written here.
"""

from __future__ import annotations

import gc
import hashlib
import io
import multiprocessing
import os
import re
import threading
from collections import Counter, defaultdict, deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from functools import lru_cache
from multiprocessing.reduction import ForkingPickler
from operator import attrgetter
from pathlib import Path
from typing import IO, Any, TypeVar

from lxml import etree
from pydantic import BaseModel

from tocsin import limits, types
from tocsin.errors import Problem
from tocsin.i18n import N_, Message, Number
from tocsin.limits import TooLarge
from tocsin.taskforce.iati import answers, codelists, codes
from tocsin.taskforce.iati.narratives import XML_LANG, chosen_narrative, language_of
from tocsin.taskforce.iati.scan import DOCTYPE, PROLOG_LIMIT, Scan, Unsure, has_doctype
from tocsin.taskforce.iati.scan import parse as parse_activity
from tocsin.taskforce.iati.schema import (
    VERSIONS,
    safe_parser,
    schema_errors,
    schema_message,
)
from tocsin.taskforce.iati.tables import (
    IatiBudget,
    IatiRecipient,
    IatiSector,
    IatiTransaction,
    overlong,
    overprecise,
)
from tocsin.taskforce.programmes.check import (
    FINANCE_YEARS,
    check_activity,
    column_length,
    is_http_url,
)
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
from tocsin.types.base import is_digits

ROOT = "/iati-activities"
M = TypeVar("M", bound=BaseModel)
CENT = Decimal("0.01")

#: Top-level elements the platform models (in part); every other one is kept as published.
MODELLED = frozenset({
    "iati-identifier", "reporting-org", "title", "description", "participating-org",
    "activity-status", "activity-date", "recipient-country", "recipient-region", "sector",
    "tag", "budget", "planned-disbursement", "transaction", "document-link",
    "related-activity", "result",
})


#: What the report calls the narratives kept only as published (made once: a hot path).
OTHER_LANGUAGE = N_("narrative in another language")
#: A publisher's own elements, and the elements carrying its own attributes (a namespace
#: other than xml's), anywhere in an activity.
_EXTENSION_ELEMENTS = etree.XPath(".//*[namespace-uri() != '']")
_WITH_EXTENSION_ATTRIBUTES = etree.XPath(
    "descendant-or-self::*[@*[namespace-uri() != '' and "
    "namespace-uri() != 'http://www.w3.org/XML/1998/namespace']]")
#: What the report calls a participating organisation with neither name nor reference.
ANONYMOUS_ORG = N_("participating-org without name or reference")
#: What the report calls a recipient country (region) whose code is empty.
EMPTY_COUNTRY = N_("recipient-country with an empty code")
EMPTY_REGION = N_("recipient-region with an empty code")
#: What a coded attribute must be, named when it is not (made once, not per element).
AN_ORGANISATION_ROLE = N_("an organisation role")
AN_ACTIVITY_STATUS = N_("an activity status")
A_TRANSACTION_TYPE = N_("a transaction type")

#: Coded children of a transaction → their register column.
_TRANSACTION_CODES = {"disbursement-channel": "disbursement_channel", "flow-type": "flow_type",
                      "finance-type": "finance_type", "tied-status": "tied_status"}

#: provider/receiver → their register columns and the activity-id attribute.
_ORG_KEYS = {prefix: (f"{prefix}_ref", f"{prefix}_activity_id", f"{prefix}_name",
                      f"{prefix}_type", f"{prefix}-activity-id")
             for prefix in ("provider", "receiver")}

#: Parts of a result the platform's results do not hold (kept as published).
RESULT_EXTRAS = ("reference", "document-link", "dimension", "location", "comment")
#: Result elements the platform holds one of (the first) where 2.03 allows several.
REPEATED_IN_RESULTS = ("baseline", "target", "actual")


@dataclass(slots=True)
class IatiParts:
    """What the IATI register keeps of one activity besides its platform record."""

    version: str
    xml: str
    digest: str
    transactions: list[dict[str, Any]] = field(default_factory=list)
    budgets: list[dict[str, Any]] = field(default_factory=list)
    sectors: list[dict[str, Any]] = field(default_factory=list)
    recipients: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ReadResult:
    """What a file holds: the activities, where each one is, and what is wrong."""

    activities: list[ActivitySpec] = field(default_factory=list)
    #: identifier → XPath of its ``iati-activity`` element.
    locations: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    #: Things left out of the platform's view that do not make the file wrong.
    notes: list[Problem] = field(default_factory=list)
    #: IATI ruleset findings on the incoming file (never blocking).
    warnings: list[Problem] = field(default_factory=list)
    #: parent identifier → child identifiers named by ``related-activity type=2``.
    children: dict[str, list[str]] = field(default_factory=dict)
    #: identifiers of activities without a ``hierarchy`` attribute.
    implicit_level: set[str] = field(default_factory=set)
    #: identifier → the register part (published XML and typed rows).
    iati: dict[str, IatiParts] = field(default_factory=dict)
    #: identifier → element name → how many of the activity's were kept only as
    #: published XML (an import counts those of the activities it writes).
    kept: dict[str, Counter[str]] = field(default_factory=dict)
    #: XPath of each activity with a problem → its identifier (may be empty).
    broken: dict[str, str] = field(default_factory=dict)
    version: str = ""
    count: int = 0

    @property
    def preserved(self) -> Counter[str]:
        """Element name → how many were kept only as published XML, over the activities."""
        return sum(self.kept.values(), Counter())


def _defaults(cls: type[BaseModel]) -> tuple[dict[str, Any], tuple[tuple[str, Any], ...]]:
    plain: dict[str, Any] = {}
    factories: list[tuple[str, Any]] = []
    for name, info in cls.model_fields.items():
        if info.default_factory is not None:
            factories.append((name, info.default_factory))
        elif not info.is_required():
            plain[name] = info.default
    return plain, tuple(factories)


_DEFAULTS: dict[type, tuple[dict[str, Any], tuple[tuple[str, Any], ...]]] = {}
# The slots pydantic keeps beside ``__dict__``, set through their descriptors: one C
# call each, where ``object.__setattr__`` first looks the name up on the class.
_SET_DICT = object.__setattr__
_SET_FIELDS_SET = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_SET_EXTRA = BaseModel.__dict__["__pydantic_extra__"].__set__
_SET_PRIVATE = BaseModel.__dict__["__pydantic_private__"].__set__


def _make(cls: type[M], **values: Any) -> M:
    """A spec from values the reader has already checked, without validating again.

    ``model_construct`` does the same but costs several times more; imports build
    tens of these per activity.
    """
    found = _DEFAULTS.get(cls)
    if found is None:
        found = _DEFAULTS[cls] = _defaults(cls)
    plain, factories = found
    data = {**plain, **values}
    for name, factory in factories:
        if name not in data:
            data[name] = factory()
    obj = cls.__new__(cls)
    _SET_DICT(obj, "__dict__", data)
    _SET_FIELDS_SET(obj, set(values))
    _SET_EXTRA(obj, None)
    _SET_PRIVATE(obj, None)
    return obj


def _rebuilt(cls: type[M], data: dict[str, Any], fields_set: set[str], extra: Any,
             private: Any) -> M:
    obj = cls.__new__(cls)
    _SET_DICT(obj, "__dict__", data)
    _SET_FIELDS_SET(obj, fields_set)
    _SET_EXTRA(obj, extra)
    _SET_PRIVATE(obj, private)
    return obj


def _reduce_spec(spec: BaseModel) -> tuple[Any, tuple[Any, ...]]:
    return _rebuilt, (type(spec), spec.__dict__, spec.__pydantic_fields_set__,
                      spec.__pydantic_extra__, spec.__pydantic_private__)


# The specs cross to and from the worker processes by the tens per activity:
# pydantic's own pickling calls its __getstate__ and __setstate__ for each one
# (Python, several lookups); this gives the same object with one call each way.
for _spec_class in (ActivitySpec, DocumentSpec, FinanceSpec, IndicatorSpec, ParticipantSpec,
                    PeriodSpec, RegionSpec, ResultSpec, ShareSpec):
    ForkingPickler.register(_spec_class, _reduce_spec)


class _Bad(Exception):
    """One element cannot be read; carries it so the reader can report its path."""

    def __init__(self, element: etree._Element, reason: str) -> None:
        super().__init__(reason)
        self.element, self.reason = element, reason


def _iterparse(source: Path | IO[bytes]) -> Any:
    # Parsed without the schema: each activity is validated on its own (see
    # _evaluate), in the worker processes for a large file. A file with a DOCTYPE
    # (the only place entities are declared) never gets here (see _version_of)
    # and no DTD is loaded, so there is nothing to expand. The thread's error log is
    # emptied first: not_xml may read this parse's error from it.
    etree.clear_error_log()
    return etree.iterparse(
        str(source) if isinstance(source, Path) else source,
        events=("start", "end"), tag=("iati-activities", "iati-activity"),
        no_network=True, load_dtd=False, huge_tree=False, resolve_entities=False,
        remove_comments=True, remove_pis=True,
    )


#: How a file that is not XML at all starts, and what it is.
_NOT_XML = ((b"\x1f\x8b", N_("the file is compressed (gzip): unpack it and import the XML "
                             "file inside")),
            (b"PK\x03\x04", N_("the file is a ZIP archive: unpack it and import the XML "
                               "files inside one by one")),
            # libxml2 reads UTF-8, UTF-16 and the single-byte encodings, not UTF-32 (with
            # its byte order mark or without: "<" as four bytes)
            *((magic, N_("the file is written in UTF-32, which is not read: save it as "
                         "UTF-8 and import it again"))
              for magic in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"<\x00\x00\x00",
                            b"\x00\x00\x00<")))


@dataclass(frozen=True, slots=True)
class _Root:
    """What the start of the file says: the version on the root and where the activities are."""

    version: str
    #: XPath of the element holding the activities.
    path: str = ROOT
    #: The portal's wrapper around them (the IATI Datastore's answer): what the report notes.
    notes: tuple[Problem, ...] = ()
    #: What the schema says of the root's own attributes (:func:`root_warnings`).
    warnings: tuple[Problem, ...] = ()
    #: The root's ``@linked-data-default``: the file's base for its activities' linked-data
    #: URIs, which the export (a root of its own) does not write back.
    linked_data_default: str = ""


#: Where the activities of the IATI Datastore API's answer are (see :func:`_answer`).
ANSWER = "/result/iati-activities"


def _version_of(source: Path | IO[bytes]) -> tuple[_Root | None, list[Problem]]:
    """The declared version, read from the root element only (and, in the IATI Datastore's
    answer, the wrapper before its ``iati-activities``); problems where it is not read (the
    root then ``None``, or the refused version's)."""
    start = source.tell() if not isinstance(source, Path) else 0
    if isinstance(source, Path):
        with source.open("rb") as stream:
            first = stream.read(4)
    else:
        first = source.read(4)
        source.seek(start)
    refusal = not_xml_at_all(first)
    if refusal is not None:
        return None, [refusal]
    try:
        etree.clear_error_log()
        events = etree.iterparse(
            str(source) if isinstance(source, Path) else source, events=("start", "end"),
            resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True,
            remove_pis=True)
        for _event, element in events:
            if element.getroottree().docinfo.doctype:
                return None, [Problem("/", DOCTYPE)]
            if element.tag == "result":
                return _answer(events)
            if element.tag != "iati-activities":
                return None, [_wrong_root(element)]
            return _declared(element, ROOT)
    except etree.XMLSyntaxError as exc:
        # libxml2 may stop inside the DOCTYPE, before the root is read (entities expanding
        # beyond its limit: a "billion laughs"); the refusal is the DOCTYPE's all the same
        if _has_doctype(source, start):
            return None, [Problem("/", DOCTYPE)]
        return None, [not_xml(exc)]
    finally:
        if not isinstance(source, Path):
            source.seek(start)
    return None, [Problem("/", N_("the file is empty"))]


def not_xml_at_all(first: bytes) -> Problem | None:
    """Why a file whose first bytes are ``first`` is not read as XML at all (empty,
    compressed, UTF-32), in plain words rather than the parser's; None when it may be XML.
    Activity and organisation files alike."""
    if not first:
        return Problem("/", N_("the file is empty"))
    for magic, reason in _NOT_XML:
        if first.startswith(magic):
            return Problem("/", reason)
    return None


def in_a_namespace(element: etree._Element, name: str) -> Problem | None:
    """The refusal of a root ``name`` written in a namespace (IATI's elements are in
    none), else None."""
    # the tag as lxml gives it, "{namespace}name" (QName refuses names such as "a:b"
    # whose prefix is not declared)
    namespace, _, local = str(element.tag).lstrip("{").rpartition("}")
    if not namespace or local != name:
        return None
    return Problem(f"/{name}", N_("%(element)s is in the namespace %(namespace)s, IATI's "
                                  "elements are in none: remove the xmlns declaration",
                                  element=name, namespace=repr(namespace)))


def _has_doctype(source: Path | IO[bytes], start: int) -> bool:
    """Whether the file's prolog holds a DOCTYPE (a stream is read from ``start``)."""
    if isinstance(source, Path):
        with source.open("rb") as stream:
            return has_doctype(stream.read(PROLOG_LIMIT))
    source.seek(start)
    return has_doctype(source.read(PROLOG_LIMIT))


def _declared(element: etree._Element, path: str, notes: tuple[Problem, ...] = ()
              ) -> tuple[_Root | None, list[Problem]]:
    """The version the ``iati-activities`` element declares, and why it is not read (no
    problem: it is)."""
    version = element.get("version", "").strip()
    warnings = tuple(root_warnings(element, path))
    linked_data = element.get("linked-data-default", "").strip()
    # a name some 1.0x publishers gave the attribute (ActionAid's file of 2013): the file's
    # own version, refused as such rather than as an activity not valid 2.03
    if (not version and (given := element.get("iati-version", "").strip())
            and (refusal := unread_version(given)) is not None):
        return _Root(given, path), [Problem(path, refusal)]
    if not version:
        # downloads from IATI portals (d-portal, the IATI Datastore) give no version on
        # the root: each activity is read as the version it declares (see _evaluate); ""
        # says so
        return _Root("", path, notes, warnings, linked_data), []
    refusal = unread_version(version)
    if refusal is not None:
        # the version refused, named all the same: the report's first line says the file's
        # ("IATI 1.0: 0 created"), not "(version per activity)" as for a portal's download
        return _Root(version, path), [Problem(path, refusal)]
    return _Root(version, path, notes, warnings, linked_data), []


#: xsd:dateTime as written: a date and a time, then fractions of a second and a zone.
_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")


def root_warnings(element: etree._Element, path: str) -> list[Problem]:
    """What the 2.0x schemas say of the root's own attributes (``iati-activities``,
    ``iati-organisations``): a ``generated-datetime`` that is not a date and time, an
    attribute of no namespace they do not define. The platform keeps none of them (its
    export writes its own root), so these are warnings, never refusals."""
    found = []
    for name, value in element.attrib.items():
        if name.startswith("{"):
            continue  # other namespaces' attributes: the schemas allow them
        if name == "generated-datetime":
            text = value.strip()
            try:  # the pattern, then the date and time themselves (no 2024-02-30)
                valid = bool(_DATE_TIME.fullmatch(text)
                             and datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S"))
            except ValueError:
                valid = False
            if not valid:
                found.append(Problem(f"{path}/@{name}", N_(
                    "%(value)s is not a date and time as the IATI schema wants it "
                    "(YYYY-MM-DDThh:mm:ss); not kept: the export writes its own",
                    value=repr(value))))
        elif name not in ROOT_ATTRIBUTES:
            found.append(Problem(f"{path}/@{name}", N_(
                "the IATI schema has no such attribute on %(element)s; not kept",
                element=etree.QName(element).localname)))
    return found


def _answer(events: Any) -> tuple[_Root | None, list[Problem]]:
    """The IATI Datastore API's answer, its root ``result`` just read.

    The Datastore writes ``<result><ok>True</ok><iati-activities generated-datetime="…">
    <query>…</query>`` then the activities (an earlier version put ``total-count``,
    ``page`` and ``per_page`` beside ``ok`` instead of the query). Its activities are read
    as a portal's download; the rest is the portal's wrapper, noted and not kept. Only the
    wrapper before the first activity is read here, each element freed once read.
    """
    depth = 1
    ok: str | None = None
    wrapper: list[str] = []
    activities: etree._Element | None = None
    for event, element in events:
        if event == "start":
            depth += 1
            if depth == 2 and element.tag == "iati-activities" and activities is None:
                activities = element
            elif depth == 3 and activities is not None and element.getparent() is activities:
                # the first child of iati-activities: the query (the Datastore's paging)
                if element.tag == "query":
                    wrapper.append(f"{ANSWER}/query")
                break
            continue
        depth -= 1
        if depth == 0:
            break  # the end of the answer
        if activities is not None and element is activities:
            break  # iati-activities ended before any child: the reading says it is empty
        if depth == 1:
            tag = str(element.tag)
            wrapper.append(f"/result/{tag}")
            if tag == "ok" and ok is None:
                ok = (element.text or "").strip()
        element.clear(keep_tail=False)
    if ok is None:
        return None, [Problem("/result", N_(
            "this IATI Datastore answer does not say it is ok (no ok element before "
            "iati-activities): nothing in it is read"))]
    if ok.lower() != "true":
        return None, [Problem("/result/ok", N_(
            "this IATI Datastore answer says ok is %(value)s, not True: nothing in it is read",
            value=repr(ok)))]
    if activities is None:
        return None, [Problem("/result", N_(
            "this IATI Datastore answer holds no iati-activities: there is nothing to read"))]
    note = Problem("/result", N_(
        "%(elements)s: the portal's wrapper around the activities (an IATI Datastore "
        "answer), not IATI data; not kept", elements=", ".join(wrapper)))
    return _declared(activities, ANSWER, (note,))


def unread_version(version: str) -> Message | None:
    """Why a declared version is not read (``None``: it is one of :data:`VERSIONS`)."""
    if not version.startswith("2."):
        return N_("IATI version %(version)s is not read; export the file as version 2.0x",
                  version=repr(version))
    if version not in VERSIONS:
        return N_("IATI version %(version)s is not known; versions %(versions)s are read",
                  version=repr(version), versions=", ".join(VERSIONS))
    return None


#: Namespaces in which IATI portals add attributes of their own to each activity of a
#: download, and the prefix they write them with: the IATI Datastore (IATI's and Code for
#: IATI's: ``iati-extra:version``), d-portal (``dstore:dataset``, ``dstore:index``, and the
#: root's attributes copied onto each activity as ``iati-activities:version`` …).
PORTAL_NAMESPACES = {
    answers.DATASTORE_NS: "iati-extra",
    "https://datastore.codeforiati.org/ns": "iati-extra",
    "http://d-portal.org/xmlns/dstore": "dstore",
    "http://d-portal.org/dstore": "dstore",
    "http://d-portal.org/xmlns/iati-activities": "iati-activities",
}
#: The root's own attributes, which d-portal once copied onto each activity as they were
#: (no namespace), and the name of the Registry's dataset the activity came from, which its
#: downloads of 2019-2020 wrote beside them (``dataset="oxfamgb-ml"``, IATI/D-Portal
#: ``dflat/downloads/activities.xml``); no schema allows them there.
ROOT_ATTRIBUTES = frozenset({"version", "generated-datetime", "linked-data-default",
                             "dataset"})
#: The version an activity declaring none, in a file declaring none, is read as (if valid).
ASSUMED_VERSION = "2.03"


def _portal_attributes(element: etree._Element, root_version: str
                       ) -> tuple[list[str], str | None, str]:
    """Remove the portal's attributes from an activity.

    Returns their names as written (``@dstore:dataset`` …), the version among them (a
    namespaced one before the plain copy of the root's) and the name it was read from.
    The plain copies of the root's attributes count only in a file whose root has no
    version: beside a root version they are the publisher's, and the schema refuses them.
    """
    removed: list[str] = []
    version: str | None = None
    source = ""
    attrib = element.attrib
    for name in element.keys():  # noqa: SIM118 - a list: attributes are removed below
        if name[0] == "{":
            if name == XML_LANG:  # on most activities: the only namespaced attribute
                continue
            namespace, _, local = name[1:].partition("}")
            prefix = PORTAL_NAMESPACES.get(namespace)
            if prefix is None:
                continue
            shown = f"@{prefix}:{local}"
        elif not root_version and name in ROOT_ATTRIBUTES:
            local, shown = name, f"@{name}"
        else:
            continue
        value = attrib.pop(name).strip()
        removed.append(shown)
        # an empty version says nothing: as if there were none
        if local == "version" and value and (version is None or name[0] == "{"):
            version, source = value, shown
    return removed, version, source


def _wrong_root(element: etree._Element) -> Problem:
    namespaced = in_a_namespace(element, "iati-activities")
    if namespaced is not None:
        return namespaced
    if element.tag == "iati-organisations":
        return Problem("/iati-organisations", N_(
            "this is an IATI organisation file (iati-organisations): import it as an "
            "organisation file, into the partners registry"))
    return Problem(f"/{element.tag}", N_("the root element must be iati-activities"))


def read_activities(source: Path | IO[bytes], vocab: Vocabulary, *,
                    own_org_ref: str | None = None, rules: bool = True) -> ReadResult:
    """Parse and check every activity of ``source``, all in one result.

    ``own_org_ref`` is the organization's IATI identifier: activities reported
    by anyone else are marked external (a partner's activity). ``rules`` applies
    the IATI rulesets to each activity and reports what they find as warnings.
    Holds the whole file's activities in memory: imports use :func:`iter_batches`.
    """
    result = ReadResult()
    for chunk in iter_batches(source, vocab, own_org_ref=own_org_ref, rules=rules):
        result.version = chunk.version or result.version
        result.count += chunk.count
        result.activities += chunk.activities
        result.locations.update(chunk.locations)
        result.problems += chunk.problems
        result.notes += chunk.notes
        result.warnings += chunk.warnings
        result.children.update(chunk.children)
        result.implicit_level |= chunk.implicit_level
        result.iati.update(chunk.iati)
        result.kept.update(chunk.kept)
        result.broken.update(chunk.broken)
    _place_children(result)
    return result


def iter_batches(source: Path | IO[bytes], vocab: Vocabulary, *,
                 own_org_ref: str | None = None, rules: bool = True,
                 size: int = 500) -> Iterator[ReadResult]:
    """The activities of ``source``, ``size`` at a time, each batch with its own findings.

    Memory stays bounded by the batch, whatever the file size. Problems of the
    file itself (not XML, wrong root, version, no activity) come in a batch of
    their own. Identifiers are checked for duplicates across the whole file.
    Levels implied by another activity's ``related-activity type=2`` are left
    to the caller (see :func:`_place_children`).
    """
    with fewer_collections():
        yield from _batches(source, vocab, own_org_ref, rules, size)


#: Allocations between two young-generation collections while a file is read.
#: Each activity allocates thousands of short-lived objects (rows, specs,
#: element proxies) and almost none of them is part of a cycle: at the default
#: threshold (700) the collector ran every few elements and walked the batch held
#: in memory each time it reached the older generations, about a sixth of the CPU
#: of an import. Cycles are still collected, so memory stays bounded.
GC_YOUNG_THRESHOLD = 50_000


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often for the duration (restored after)."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], GC_YOUNG_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _batches(source: Path | IO[bytes], vocab: Vocabulary, own_org_ref: str | None,
             rules: bool, size: int) -> Iterator[ReadResult]:
    if not isinstance(source, Path) and not source.seekable():
        # the reader may read twice (the root first; again after a well-formedness error)
        source = io.BytesIO(source.read())
    unwrapped = answers.unwrap(source)
    if unwrapped is not None:  # the IATI Datastore's answer in JSON or CSV
        if unwrapped.problems or unwrapped.notes:
            yield ReadResult(problems=unwrapped.problems, notes=unwrapped.notes)
        if unwrapped.xml is None:
            return
        source = io.BytesIO(unwrapped.xml)
    root, problems = _version_of(source)
    if root is None or problems:
        yield ReadResult(version=root.version if root is not None else "", problems=problems)
        return
    version, path = root.version, root.path
    if root.notes or root.warnings:
        # the portal's wrapper (the IATI Datastore's answer) and the root's attributes, in
        # a batch of their own: the batches of activities may be read again (see below)
        yield ReadResult(version=version, notes=list(root.notes),
                         warnings=list(root.warnings))
    # a second iati-activities in the Datastore's answer (the ordinary reading finds it)
    after: list[Problem] = []
    context = _Context(vocab, own_org_ref, version, rules, ReadResult(version=version),
                       linked_data_default=root.linked_data_default)
    start = source.tell() if not isinstance(source, Path) else 0
    # Each activity is validated against the schema on its own, where it is read
    # (here or in a worker process): that costs less than validating while parsing
    # and takes it off the process that also writes. lxml raises a well-formedness
    # error a little after the events before it (one read buffer, 32 KiB), so a
    # batch is given out only once the next one is complete; at such an error the
    # held batches are dropped and the file is read again, in this process, from
    # the first activity not given out up to the error.
    held: ReadResult | None = None
    given = 0
    count = 0
    most = limits.active().max_rows

    def take(outcome: _Outcome) -> ReadResult | None:
        """Record one activity; the batch to give out when one is complete."""
        nonlocal held, given
        context.result.count += 1
        _record(outcome, context)
        if context.result.count < size:
            return None
        out = held
        if out is not None:
            given += out.count
        held, context.result = context.result, ReadResult(version=version)
        return out

    # a file known to be large hands its activities to the workers from the first one:
    # reading the first batch here would leave the other cores idle meanwhile
    large = isinstance(source, Path) and source.stat().st_size >= LARGE_FILE
    # First the scan of the raw bytes (see scan.py): the activities go to the workers as
    # written, without a tree built here. Where the scan cannot vouch for the file, the
    # batches not given out yet are dropped and the file is read again the ordinary way
    # (iterparse, each activity serialised for the workers), from the first activity not
    # given out: both ways give the same activities, so what was given out stands.
    fast = True
    while True:
        stream: IO[bytes] | None = None
        readers: _Readers | None = None
        count = 0
        try:
            items: Iterator[Any]
            head: bytes | None = None
            if fast:
                stream = source.open("rb") if isinstance(source, Path) else source
                scanner = Scan(stream)
                head = scanner.start()
                items = iter(scanner)
            else:
                items = _walk(_iterparse(source), path, after)
            readers = _Readers(context, worker_count(), 0 if large else size, head)
            for item in items:
                count += 1
                _cap(count, most, path)
                if count <= given:
                    continue
                for outcome in readers.add(item, f"{path}/iati-activity[{count}]"):
                    if (batch := take(outcome)) is not None:
                        yield batch
            for outcome in readers.drain():
                if (batch := take(outcome)) is not None:
                    yield batch
            context.result.problems += after
            if held is not None:
                yield held
            if context.result.count or after:
                yield context.result
            if count == 0:
                yield ReadResult(version=version, problems=[
                    Problem(path, N_("the file holds no iati-activity"))])
            return
        except Unsure:
            if not isinstance(source, Path):
                source.seek(start)
            if not fast:
                # a worker could not parse an activity as serialised here (text after it,
                # which the copy carries as its tail): read the rest in this process
                break
            fast = False
            held, context.result = None, ReadResult(version=version)
            after.clear()
            context.seen = {k: v for k, v in context.seen.items() if v[1] <= given}
            continue
        except etree.XMLSyntaxError:
            if not isinstance(source, Path):
                source.seek(start)
            break
        finally:
            if readers is not None:
                readers.close()  # activities still in the workers are read again below
            if stream is not None and isinstance(source, Path):
                stream.close()
    context.result = ReadResult(version=version)
    context.seen = {k: v for k, v in context.seen.items() if v[1] <= given}
    after.clear()
    count = 0
    try:
        for element in _walk(_iterparse(source), path, after):
            count += 1
            _cap(count, most, path)
            if count <= given:
                continue
            context.result.count += 1
            _read_one(element, f"{path}/iati-activity[{count}]", context)
            if context.result.count >= size:
                yield context.result
                context.result = ReadResult(version=version)
    except etree.XMLSyntaxError as exc:
        context.result.problems.append(not_xml(exc))
    context.result.problems += after
    if count == 0 and not context.result.problems:
        context.result.problems.append(Problem(path, N_("the file holds no iati-activity")))
    if context.result.count or context.result.problems:
        yield context.result


def _cap(count: int, most: int, path: str = ROOT) -> None:
    if count > most:
        raise TooLarge.single(path, N_("more than %(most)s activities; the limit is set by "
                                       "TOCSIN_IMPORT_MAX_ROWS", most=f"{most:,}"))


def not_xml(exc: etree.XMLSyntaxError) -> Problem:
    """Where the XML breaks (the parser's own words for why, but for its limits)."""
    line, why, code = exc.lineno, exc.msg, exc.code
    if not line:
        # iterparse without entity expansion says only "no element found" (line 0) where a
        # file names an entity it does not declare (&nbsp; …); the thread's log, emptied
        # when the parse began, holds the parser's error itself
        found = [entry for entry in exc.error_log
                 if entry.level == etree.ErrorLevels.FATAL
                 and entry.domain == etree.ErrorDomains.PARSER]
        if found:
            line, why, code = found[-1].line, found[-1].message, found[-1].type
    where = N_("line %(line)s", line=line)
    if code == etree.ErrorTypes.ERR_RESOURCE_LIMIT:
        # the limits the reader keeps (no XML_PARSE_HUGE), which libxml2 names by its option
        depth = _DEPTH.search(why)
        if depth is not None:
            return Problem(where, N_("elements nested more than %(most)s levels deep: not "
                                     "read (IATI's are nested a few levels)",
                                     most=depth.group(1)))
        return Problem(where, N_("an attribute value or a text longer than the reader reads "
                                 "(%(most)s characters), at or before this line: not read",
                                 most=Number(MAX_TEXT)))
    if code == etree.ErrorTypes.ERR_NAME_TOO_LONG:
        return Problem(where, N_("an element or attribute name longer than the reader reads "
                                 "(%(most)s characters): not read (IATI's names are short "
                                 "words)", most=Number(MAX_NAME)))
    return Problem(where, N_("not well-formed XML: %(why)s", why=why))


#: libxml2's words for the nesting it reads, and the longest text or value it reads,
#: without XML_PARSE_HUGE (``huge_tree``), which the reader never sets.
_DEPTH = re.compile(r"Excessive depth in document: (\d+)")
MAX_TEXT = 10_000_000
#: The longest element or attribute name libxml2 reads (XML_MAX_NAME_LENGTH).
MAX_NAME = 50_000


@dataclass
class _Context:
    vocab: Vocabulary
    own_org_ref: str | None
    version: str
    rules: bool
    result: ReadResult
    #: identifier → (XPath, position) of the activity that used it first (whole file).
    seen: dict[str, tuple[str, int]] = field(default_factory=dict)
    #: The root's ``@linked-data-default`` (see :class:`_Root`).
    linked_data_default: str = ""


def _walk(events: Any, path: str = ROOT, after: list[Problem] | None = None
          ) -> Iterator[etree._Element]:
    """The top-level ``iati-activity`` elements, each freed after its consumer returns.

    In the IATI Datastore's answer (``path`` is :data:`ANSWER`) only the activities of its
    ``iati-activities`` are given: whatever ``result`` holds after it (a further
    ``iati-activities``, its activities freed unread) is refused in ``after``.
    """
    answer = path == ANSWER
    depth = 0
    lists = 0
    for event, element in events:
        if element.tag == "iati-activities":
            if event == "start" and not depth:
                lists += 1
            continue
        if event == "start":
            depth += 1
            continue
        depth -= 1
        if depth:
            continue  # an iati-activity nested in another one: the schema refuses it
        if lists < 2 or not answer:
            yield element
        element.clear(keep_tail=False)
        parent = element.getparent()
        while parent is not None and element.getprevious() is not None:
            del parent[0]
    if answer and after is not None:
        # the wrapper before the activities was read first (_answer); this is what follows
        # them, the rest of the tree being freed as it was read
        seen: Counter[str] = Counter()
        found = False
        for child in events.root.iterchildren(tag=etree.Element):
            tag = str(child.tag)
            seen[tag] += 1
            if found:
                after.append(Problem(f"/result/{tag}[{seen[tag]}]", N_(
                    "an IATI Datastore answer ends with its iati-activities: what follows "
                    "is not read")))
            found = found or tag == "iati-activities"


def _place_children(result: ReadResult) -> None:
    """A record without ``hierarchy`` that a parent lists as its child sits at the bottom."""
    by_identifier = {spec.identifier: spec for spec in result.activities}
    for kids in result.children.values():
        for kid in kids:
            spec = by_identifier.get(kid)
            if spec is not None and kid in result.implicit_level and not spec.parent_identifier:
                spec.level = "activity"


def _in_extension(element: etree._Element, top: etree._Element) -> bool:
    """Whether ``element`` is, or is inside, an element of a namespace of its own."""
    while element is not top:
        if element.tag[0] == "{":
            return True
        element = element.getparent()
    return False


def count_extensions(top: etree._Element, preserved: Counter[str],
                     data: bytes | None = None) -> None:
    """Count the publisher's own elements below ``top``'s children (an activity, an
    organisation), and its own attributes anywhere, among what is kept as published
    (written back on export): ``transaction/{ns}name``, ``transaction/@{ns}name``,
    ``result//{ns}name``, ``@{ns}name`` on ``top``. Its elements among ``top``'s children
    are counted by name as they are read; what is inside an element of its own goes with
    that element.

    Looked for where a namespace with a prefix, other than a portal's, is declared on
    ``top`` or above it (a portal's attributes are gone by then), or, given ``top``
    serialised as ``data``, where a namespace is declared after its start tag: one
    declared only inside. A search of the bytes, not of the tree, tells that: a clean
    activity pays neither XPath below."""
    if not any(prefix is not None and uri not in PORTAL_NAMESPACES
               for prefix, uri in top.nsmap.items()) and (
            data is None or data.find(b"xmlns", data.find(b">") + 1) < 0):
        return
    for element in _EXTENSION_ELEMENTS(top):
        parent = element.getparent()
        if parent is top or _in_extension(parent, top):
            continue
        first = _first_level(parent, top)
        preserved[f"{first.tag}{'/' if parent is first else '//'}{element.tag}"] += 1
    for element in _WITH_EXTENSION_ATTRIBUTES(top):
        if element is top:
            where = ""
        elif _in_extension(element, top):
            continue
        else:
            first = _first_level(element, top)
            where = f"{first.tag}/" if element is first else f"{first.tag}//"
        for name in element.attrib:
            if name[0] == "{" and name != XML_LANG:
                preserved[f"{where}@{name}"] += 1


def _first_level(element: etree._Element, top: etree._Element) -> etree._Element:
    """The child of ``top`` that ``element`` is, or is inside."""
    while (parent := element.getparent()) is not top:
        element = parent
    return element


def _relative_path(activity: etree._Element, element: etree._Element) -> str:
    tree = activity.getroottree()
    return tree.getpath(element)[len(tree.getpath(activity)):]


@dataclass(slots=True)
class _Outcome:
    """One activity read and checked on its own (before the file-wide duplicate check)."""

    where: str
    identifier: str
    problems: list[Problem]
    #: ``None`` when the activity could not be read at all (``problems`` say why).
    spec: ActivitySpec | None = None
    parts: IatiParts | None = None
    children: list[str] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    preserved: Counter[str] = field(default_factory=Counter)
    implicit_level: bool = False
    #: The published copy was made again here (a portal's attributes taken off), so the
    #: caller's serialisation of the activity is not it.
    remade: bool = False


def _reduce_fields(obj: Any) -> tuple[Any, tuple[Any, ...]]:
    return type(obj), _FIELD_VALUES[type(obj)](obj)


# An outcome and its register part cross back from a worker once per activity: a slotted
# dataclass pickles through dataclasses' own __getstate__/__setstate__ (Python, which
# looks its fields up on every call); this sends the field values and calls the class.
_FIELD_VALUES = {cls: attrgetter(*(f.name for f in fields(cls))) for cls in (_Outcome, IatiParts)}
for _slotted in _FIELD_VALUES:
    ForkingPickler.register(_slotted, _reduce_fields)


def _identifier(element: etree._Element) -> str:
    """The text of the first ``iati-identifier`` child, stripped (``findtext`` without
    ElementPath: the identifier is the first child as publishers write it)."""
    for child in element:
        if child.tag == "iati-identifier":
            return (child.text or "").strip()
    return ""


#: The notes and refusals of :func:`checked_version`, per kind of element read.
_READ_AS = {
    "activity": lambda version, attribute: N_(
        "read as %(version)s (version on the activity, %(attribute)s)", version=version,
        attribute=attribute),
    "organisation": lambda version, attribute: N_(
        "read as %(version)s (version on the organisation, %(attribute)s)", version=version,
        attribute=attribute),
}
_ASSUMED = {
    "activity": lambda version: N_(
        "read as %(version)s (no version on the file or on the activity; it is valid "
        "%(version)s)", version=version),
    "organisation": lambda version: N_(
        "read as %(version)s (no version on the file or on the organisation; it is valid "
        "%(version)s)", version=version),
}
_NOT_ASSUMED = {
    "activity": lambda version: N_(
        "no version on the file or on the activity, and it is not valid %(version)s: an "
        "activity without a version is read only as valid %(version)s", version=version),
    "organisation": lambda version: N_(
        "no version on the file or on the organisation, and it is not valid %(version)s: "
        "an organisation without a version is read only as valid %(version)s",
        version=version),
}
_METADATA = {
    "activity": lambda attributes: N_(
        "%(attributes)s: portal metadata, not IATI data; not kept, not written back on "
        "export", attributes=attributes),
    "organisation": lambda attributes: N_(
        "%(attributes)s: portal metadata, not IATI data; not kept", attributes=attributes),
}


def checked_version(element: etree._Element, where: str, root_version: str,
                    kind: str = "activity") -> tuple[str, list[Problem], list[Problem],
                                                      bytes | None]:
    """Take a portal's attributes off ``element`` and check it against its version's schema.

    ``kind``: ``activity`` (of an ``iati-activities`` file) or ``organisation``. Returns
    the version it is read as, the problems (schema or version; empty when it is read),
    the notes and, when attributes were taken off, the published copy made again without
    them (``None`` otherwise).

    A portal's attributes (:data:`PORTAL_NAMESPACES`) are taken off first: they are the
    portal's, not the publisher's, and are not written back (a note names them). Where
    the root declares no version (a portal's download) the element is read as the
    version it declares among them; one declaring none is read as 2.03 only if it
    is valid 2.03 (the current version: a 2.01 or 2.02 element is valid 2.03 too), and is
    refused otherwise rather than read against a version it may never have been.
    """
    version = root_version
    notes: list[Problem] = []
    copy: bytes | None = None
    removed, declared, source = _portal_attributes(element, version)
    if removed:
        # the published copy is the element without them: made again, without the
        # namespace declarations they needed
        detached = deepcopy(element)
        etree.cleanup_namespaces(detached)
        copy = etree.tostring(detached, encoding="UTF-8")
        notes.append(Problem(where, _METADATA[kind](", ".join(removed))))
    if not version:
        if declared is not None:
            refusal = unread_version(declared)
            if refusal is not None:
                return declared, [Problem(where, refusal)], notes, copy
            version = declared
            notes.insert(0, Problem(where, _READ_AS[kind](version, source)))
        else:
            version = ASSUMED_VERSION
    assumed = not root_version and declared is None
    errors = schema_errors(element, version, "activities" if kind == "activity"
                           else "organisations")
    if errors:
        tag = f"/iati-{kind}"
        problems = [Problem(where + path.removeprefix(tag), schema_message(message))
                    for path, message in errors]
        if assumed:
            problems.insert(0, Problem(where, _NOT_ASSUMED[kind](version)))
        return version, problems, notes, copy
    if assumed:
        notes.insert(0, Problem(where, _ASSUMED[kind](version)))
    return version, [], notes, copy


def _evaluate(element: etree._Element, where: str, context: _Context,
              data: bytes | None = None) -> _Outcome:
    """Validate, read and check one activity; ``data``: its serialisation if the caller has it.

    The portal's attributes are taken off and the version chosen first (see
    :func:`checked_version`).
    """
    identifier = _identifier(element)
    version, problems, notes, copy = checked_version(element, where, context.version)
    if copy is not None:
        data = copy
    if problems:
        return _Outcome(where, identifier, problems, notes=notes)
    if context.linked_data_default and not element.get("linked-data-uri", "").strip():
        # the activity's linked-data URI is the file's base (CAF's files): the export's
        # root is the platform's, so that base is not written back, and the report says so
        notes = [*notes, Problem(where, N_(
            "no @linked-data-uri of its own, and the file's @linked-data-default %(value)s "
            "is not written back: the export writes its own root",
            value=repr(context.linked_data_default)))]
    reader = _ActivityReader(element, context, where, version)
    try:
        spec, parts, children = reader.read(data)
    except _Bad as bad:
        return _Outcome(where, identifier,
                        [Problem(where + _relative_path(element, bad.element), bad.reason)],
                        notes=notes)
    reader.notes += fit_register(parts, where)
    found = list(reader.problems)
    for issue in check_activity(spec, context.vocab):
        if issue.field in ("countries", "regions"):
            continue  # percentages are checked on every recipient (IATI's rule) above
        at = _locate(issue.field, reader.locations)
        path = (_relative_path(element, at) if at is not None
                else _ACTIVITY_ATTRIBUTES.get(issue.field, ""))
        found.append(Problem(where + path, issue.reason))
    warnings = []
    if context.rules:
        from tocsin.taskforce.iati.rules import check_element

        warnings = [Problem(where + path, reason) for path, reason in check_element(element)]
    return _Outcome(where, identifier, found, spec, parts, children, notes + reader.notes,
                    warnings, reader.preserved, element.get("hierarchy") is None,
                    copy is not None)


#: The spec's fields read from the ``iati-activity`` element's own attributes: a rule they
#: break is refused there, not at the activity alone (which of its values was it?).
_ACTIVITY_ATTRIBUTES = {"default_currency": "/@default-currency", "language": "/@xml:lang"}

#: The lists of :class:`IatiParts` rows and the register tables they are written to.
_REGISTER = (("transactions", IatiTransaction), ("budgets", IatiBudget),
             ("sectors", IatiSector), ("recipients", IatiRecipient))


def _row_element(kind: str, row: dict[str, Any]) -> str:
    """The element name a register row was read from."""
    if kind == "budgets":
        return str(row["element"])
    if kind == "recipients":
        return "recipient-country" if row["kind"] == "country" else "recipient-region"
    return kind[:-1]  # transactions, sectors


def fit_register(parts: IatiParts, where: str) -> list[Problem]:
    """Values longer than their register column: left empty there (PostgreSQL would
    refuse the row, SQLite would keep more than the column says) and noted; the published
    copy keeps them, and the export writes them back from it."""
    notes = []
    for kind, table in _REGISTER:
        rows = getattr(parts, kind)
        found = overlong(table, rows)
        # a number with more decimals than its column keeps (a share of 0.5714285714285714
        # %): held cut to the column's scale, never rounded up, and said so
        finer = overprecise(table, rows)
        if not found and not finer:
            continue
        # the element each row was read from, and its position among those of its name
        seen: Counter[str] = Counter()
        places = []
        for row in rows:
            name = _row_element(kind, row)
            seen[name] += 1
            places.append(f"{where}/{name}[{seen[name]}]")
        for index, column, length, limit in found:
            notes.append(Problem(places[index], N_(
                "%(field)s is %(length)s characters long, more than the register "
                "holds (%(limit)s): left empty there, kept as published",
                field=column, length=length, limit=limit)))
            rows[index][column] = ""
        for index, column, value, scale in finer:
            held = value.quantize(Decimal(1).scaleb(-scale), ROUND_DOWN)
            notes.append(Problem(places[index], N_(
                "%(field)s %(value)s has more decimals than the register holds "
                "(%(scale)s): held as %(held)s there, kept as published", field=column,
                value=format(value, "f"), scale=scale, held=format(held, "f"))))
            rows[index][column] = held
    return notes


def _record(outcome: _Outcome, context: _Context) -> None:
    """Add one activity to the batch, refusing an identifier the file used before."""
    result, where, spec = context.result, outcome.where, outcome.spec
    if spec is None or outcome.parts is None:
        result.problems += outcome.problems
        # what is known of a refused activity (the version it was read as …)
        result.notes += outcome.notes
        result.broken[where] = outcome.identifier
        return
    if spec.identifier in context.seen:
        result.problems.append(Problem(f"{where}/iati-identifier",
                                       N_("identifier %(identifier)s is also used by "
                                          "%(where)s", identifier=repr(spec.identifier),
                                          where=context.seen[spec.identifier][0])))
        result.broken[where] = outcome.identifier
        return
    context.seen[spec.identifier] = (where, int(where.rsplit("[", 1)[1].rstrip("]")))
    if outcome.problems:
        result.problems += outcome.problems
        result.broken[where] = outcome.identifier
    else:
        # what a refused activity would have kept is not kept: the report's "kept as
        # published (written back on export)" counted it until a real d-portal download
        # had an activity refused for its dates, activity by activity
        result.kept[spec.identifier] = outcome.preserved
    result.notes += outcome.notes
    result.warnings += outcome.warnings
    result.activities.append(spec)
    result.iati[spec.identifier] = outcome.parts
    result.locations[spec.identifier] = where
    if outcome.children:
        result.children[spec.identifier] = outcome.children
    if outcome.implicit_level:
        result.implicit_level.add(spec.identifier)


def _read_one(element: etree._Element, where: str, context: _Context) -> None:
    _record(_evaluate(element, where, context), context)


# --- reading in worker processes -----------------------------------------------------------

#: Activities sent to a worker process at a time, and chunks in flight per worker.
WORKER_CHUNK = 25
WORKER_WINDOW = 3
_worker_context: _Context | None = None
#: A file of at least this many bytes is read by the workers from its first activity
#: (about 900 activities as publishers write them: never a small file).
LARGE_FILE = 8 * 2**20


def worker_count() -> int:
    """Reader processes for a large file (0: read in this process); see ``import_workers``."""
    wanted = limits.active().import_workers
    if wanted == 0:
        wanted = min(os.cpu_count() or 1, 4)
    return wanted if wanted > 1 else 0


def _start_worker(vocab: Vocabulary, own_org_ref: str | None, version: str,
                  rules: bool, linked_data_default: str = "") -> None:
    global _worker_context
    _worker_context = _Context(vocab, own_org_ref, version, rules, ReadResult(version=version),
                               linked_data_default=linked_data_default)
    gc.set_threshold(max(gc.get_threshold()[0], GC_YOUNG_THRESHOLD), *gc.get_threshold()[1:])


def _evaluate_chunk(items: list[tuple[bytes, str]], head: bytes | None
                    ) -> list[_Outcome] | None:
    """In a worker: read the activities; ``None`` if one of them is not well-formed.

    ``head``: the root's start tag, when the activities are as the file has them (the
    scan); the published copy is made here. Without it they were serialised by the
    caller, who keeps that copy.
    """
    context = _worker_context
    assert context is not None, "the worker was not started by _Readers"
    parser = safe_parser(remove_comments=True, remove_pis=True)
    out = []
    for data, where in items:
        if head is not None:
            try:
                element, copy = parse_activity(head, data, parser)
            except (etree.XMLSyntaxError, Unsure):
                return None  # the caller reads the file the ordinary way
            out.append(_evaluate(element, where, context, copy))
            continue
        try:
            element = etree.fromstring(data, parser)
        except etree.XMLSyntaxError:
            return None  # the caller reads the rest of the file itself
        body = data.rstrip(b" \t\r\n")
        if len(body) < len(data):
            # the white space after it, as the element had it in the file: a copy made here
            # (a portal's attributes taken off) ends as one made by the caller would
            element.tail = data[len(body):].decode("utf-8")
        outcome = _evaluate(element, where, context, data)
        if outcome.parts is not None and not outcome.remade:
            outcome.parts.xml = ""  # the caller has the copy: not sent back
        out.append(outcome)
    return out


class _Readers:
    """Activities read in order, in worker processes once the file proves large.

    The first ``start_after`` activities are read here: a small file never pays
    for starting processes. After that each activity is serialised (the published
    copy is needed anyway) and read by a worker, ``WORKER_CHUNK`` at a time, at
    most ``WORKER_WINDOW`` chunks per worker in flight, so memory stays bounded
    and the parser never runs far ahead of the writes.
    """

    def __init__(self, context: _Context, workers: int, start_after: int,
                 head: bytes | None = None) -> None:
        self.context, self.workers, self.start_after = context, workers, start_after
        #: the root's start tag when the activities come as bytes from the scan
        self.head = head
        self.seen = 0
        self.pool: ProcessPoolExecutor | None = None
        self.pending: list[tuple[bytes, str]] = []
        self.flight: deque[tuple[Future[list[_Outcome] | None], list[bytes]]] = deque()

    def add(self, item: etree._Element | bytes, where: str) -> list[_Outcome]:
        """The outcomes ready in file order (an element may be freed once this returns).

        ``item``: an element of the parsed file, or an activity's bytes from the scan.
        """
        self.seen += 1
        if self.pool is None and (not self.workers or self.seen <= self.start_after):
            if isinstance(item, bytes):
                assert self.head is not None
                try:
                    element, copy = parse_activity(self.head, item, _local_parser())
                except etree.XMLSyntaxError:
                    raise Unsure("not well-formed") from None
                return [_evaluate(element, where, self.context, copy)]
            return [_evaluate(item, where, self.context)]
        if self.pool is None:
            self.pool = self._start()
        self.pending.append((item if isinstance(item, bytes)
                             else etree.tostring(item, encoding="UTF-8"), where))
        if len(self.pending) >= WORKER_CHUNK:
            self._submit()
        if len(self.flight) > self.workers * WORKER_WINDOW:
            return self._next()
        return []

    def drain(self) -> Iterator[_Outcome]:
        if self.pending:
            self._submit()
        while self.flight:
            yield from self._next()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def _start(self) -> ProcessPoolExecutor:
        # fork copies the loaded code lists for free; a process with other threads
        # (a web server) starts its workers from a clean server process instead
        method = "fork" if threading.active_count() == 1 else "forkserver"
        context = self.context
        return ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context(method),
            initializer=_start_worker,
            initargs=(context.vocab, context.own_org_ref, context.version, context.rules,
                      context.linked_data_default))

    def _submit(self) -> None:
        assert self.pool is not None
        chunk, self.pending = self.pending, []
        # the scan's activities come back with their published copy, made in the worker
        self.flight.append((self.pool.submit(_evaluate_chunk, chunk, self.head),
                            [] if self.head is not None else [data for data, _ in chunk]))

    def _next(self) -> list[_Outcome]:
        future, copies = self.flight.popleft()
        outcomes = future.result()
        if outcomes is None:
            raise Unsure("not well-formed")
        if self.head is not None:
            return outcomes
        for outcome, data in zip(outcomes, copies, strict=True):
            if outcome.parts is not None and not outcome.parts.xml:
                outcome.parts.xml = data.decode("utf-8")
        return outcomes


def _local_parser() -> etree.XMLParser:
    """The parser of the activities read in this process (one per thread)."""
    parser: etree.XMLParser | None = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _parsers.parser = safe_parser(remove_comments=True, remove_pis=True)
    return parser


_parsers = threading.local()


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


# --- values ------------------------------------------------------------------------------


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _unknown_country(code: str) -> str:
    return N_("unknown country %(code)s: not an ISO 3166-1 country code", code=repr(code))


def _decimal(element: etree._Element, text: str | None, what: str) -> Decimal:
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        raise _Bad(element, N_("%(what)s %(value)s is not a number", what=what,
                               value=repr(text))) from None
    if not value.is_finite():
        raise _Bad(element, N_("%(what)s %(value)s is not a finite number", what=what,
                               value=repr(text)))
    return value


def _percentage(element: etree._Element) -> Decimal | None:
    raw = element.get("percentage")
    if raw is None:
        return None
    value = _decimal(element, raw, "@percentage")
    if not 0 <= value <= 100:
        raise _Bad(element, N_("@percentage %(value)s is not within 0-100", value=raw))
    return value



@lru_cache(maxsize=64)  # bounded: the type is the publisher's text
def _description_type(kind: str) -> Message:
    """What the report calls a description of another type (one message per type)."""
    return N_("description type %(type)s", type=kind)


def _has_title(element: etree._Element, language: str) -> bool:
    """Whether a document link or a result has the title text the platform needs (in the
    narrative the platform reads)."""
    title = _first_child(element, "title")
    if title is None:
        return False
    chosen, _count = chosen_narrative(title, language)
    return chosen is not None and bool((chosen.text or "").strip())


def _first_child(element: etree._Element, tag: str) -> etree._Element | None:
    """The first child named ``tag``, as ``find(tag)`` gives it: without ``find``'s
    ElementPath (Python), about a quarter of its cost; a few per activity."""
    for child in element.iterchildren(tag):
        return child
    return None


def _first_children(element: etree._Element) -> dict[str, etree._Element]:
    """The first child of each name, in one pass (as ``find`` would give each)."""
    first: dict[str, etree._Element] = {}
    for child in element:
        first.setdefault(child.tag, child)
    return first

def _date(element: etree._Element, attribute: str = "iso-date") -> date:
    raw = element.get(attribute, "")
    try:
        return date.fromisoformat(raw.strip()[:10])
    except ValueError:
        raise _Bad(element, N_("@%(attribute)s %(value)s is not a date (YYYY-MM-DD)",
                               attribute=attribute, value=repr(raw))) from None


def _int(element: etree._Element, attribute: str, allowed: frozenset[str] | None = None,
         what: str | None = None) -> int:
    value = element.get(attribute, "").strip()
    if allowed is not None and value not in allowed:
        listed = ", ".join(sorted(allowed, key=lambda c: (len(c), c)))
        raise _Bad(element, N_("@%(attribute)s %(value)s is not %(what)s (%(listed)s)",
                               attribute=attribute, value=repr(value),
                               what=what or N_("a known code"), listed=listed))
    try:
        return int(value)
    except ValueError:
        raise _Bad(element, N_("@%(attribute)s %(value)s is not a whole number",
                               attribute=attribute, value=repr(value))) from None


def _bool(element: etree._Element, attribute: str) -> bool | None:
    raw = element.get(attribute)
    if raw is None:
        return None
    return raw.strip().lower() in ("1", "true")


_VALUE_LIMIT = Decimal("1e16")
#: XML's white space (not a no-break space, which a text may mean), in runs.
_XML_SPACE = re.compile(r"[ \t\r\n]+")
#: A line break with a carriage return (CRLF, or a CR alone).
_CARRIAGE_RETURN = re.compile(r"\r\n?")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT)


class _ActivityReader:
    """Reads one ``iati-activity``: one pass over its children, dispatching by name."""

    def __init__(self, act: etree._Element, context: _Context, where: str,
                 version: str = "") -> None:
        self.act, self.context, self.where = act, context, where
        #: the version the activity is read as (the file's, unless it gives none)
        self.version = version or context.version
        self.vocab = context.vocab
        self.language = language_of(act)
        self.currency = (act.get("default-currency") or "").strip()
        self.locations: dict[str, etree._Element] = {}
        self.notes: list[Problem] = []
        self.problems: list[Problem] = []
        self.preserved: Counter[str] = Counter()
        #: the value of each negative budget, by its position among the budget rows
        self.negative_budgets: dict[int, etree._Element] = {}
        #: budgets and transactions with a date in a year no finance line holds, by
        #: ("budget" | "transaction", position among their rows): the date's element
        self.outside_years: dict[tuple[str, int], etree._Element] = {}

    def narrative(self, element: etree._Element | None, *, line: bool = False) -> str:
        """The narrative in the activity's language (else the first one).

        ``line``: a text the platform holds on one line (a title, a name), its line breaks
        and runs of white space read as one space. Publishing tools wrap long titles in
        their XML (IATI Publisher at 120 characters, with the next line's indentation);
        held with the break, the title was not found by its words, and a form, whose
        one-line field drops line breaks, saved it edited (the indentation inside it),
        so the export replaced the published title. Otherwise a line break with a
        carriage return is one line break (LF). The published text is written back as it
        is while the platform's is not edited.
        """
        if element is None:
            return ""
        chosen, count = chosen_narrative(element, self.language)
        if count > 1:
            self.preserved[OTHER_LANGUAGE] += count - 1
        text = (chosen.text or "").strip() if chosen is not None else ""
        if line:
            return _XML_SPACE.sub(" ", text)
        # a carriage return written as &#13; (AidStream's descriptions) is one line break,
        # as a form sends them back: held with it, a save of the page changed the text
        return _CARRIAGE_RETURN.sub("\n", text)

    def problem(self, element: etree._Element, reason: str) -> None:
        self.problems.append(Problem(self.where + _relative_path(self.act, element), reason))

    def value(self, parent: etree._Element, value: etree._Element | None = None
              ) -> tuple[Decimal, str, date, etree._Element]:
        """The ``value`` child of ``parent`` (``value`` when the caller has found it)."""
        if value is None:
            value = _first_child(parent, "value")
        if value is None:
            raise _Bad(parent, N_("a value is required"))
        own = value.get("currency")
        currency = (own or self.currency).strip()
        if not currency:
            raise _Bad(value, N_("no @currency and no default-currency on the activity"))
        if not types.currency.known(currency):
            # a value without its own takes the activity's: that one is wrong, not the value's
            raise _Bad(value, N_("@currency %(code)s is not an ISO 4217 code",
                                 code=repr(currency)) if own else N_(
                "@default-currency %(code)s is not an ISO 4217 code", code=repr(currency)))
        amount = _decimal(value, value.text, "value")
        if abs(amount) >= _VALUE_LIMIT:
            raise _Bad(value, N_("the value is not below 10^16"))
        return amount, currency, _date(value, "value-date"), value

    # --- the activity -------------------------------------------------------------------

    def read(self, data: bytes | None = None) -> tuple[ActivitySpec, IatiParts, list[str]]:
        """The spec, the register part and the children; ``data``: the element serialised."""
        act, loc = self.act, self.locations
        fields: dict[str, Any] = {"language": self.language,
                                  "default_currency": self.currency or None}
        participants: list[ParticipantSpec] = []
        countries: list[ShareSpec] = []
        regions: list[RegionSpec] = []
        documents: list[DocumentSpec] = []
        results: list[ResultSpec] = []
        parts = IatiParts(version=self.version, xml="", digest="")
        sectors: list[etree._Element] = []
        parents: list[etree._Element] = []
        children: list[str] = []
        description_seen = False
        for child in act:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            # the elements kept as published in one set lookup, then the most frequent
            # first: each element costs the comparisons above its own
            if tag not in MODELLED:
                self.preserved[tag] += 1
            elif tag == "transaction":
                self.transaction(child, parts)
            elif tag == "budget":
                self.budget(child, "budget", parts)
            elif tag == "participating-org":
                for extra in ("activity-id", "crs-channel-code"):
                    if child.get(extra) is not None:
                        self.preserved[f"participating-org/@{extra}"] += 1
                name = self.narrative(child, line=True)
                ref = child.get("ref", "").strip()
                # the role is read first: a code the lists do not know refuses the
                # activity, named or not
                role = _int(child, "role", codelists.codes("OrganisationRole"),
                            AN_ORGANISATION_ROLE)
                if not name and not ref:
                    # valid IATI (the schema asks only for @role), but nobody the platform
                    # can hold as a participant: kept as published and written back
                    self.kept_as_published(child, ANONYMOUS_ORG, N_(
                        "a participating organisation without a name or a reference: kept "
                        "as published, not a participant"))
                    continue
                organizations = self.vocab.organization_names
                loc[f"participants[{len(participants)}]"] = child
                participants.append(_make(ParticipantSpec,
                    role=role,
                    organization_code=organizations.get(name.lower())
                    or organizations.get(ref.lower()),
                    name=name, org_ref=ref, org_type=child.get("type", "").strip()))
            elif tag == "activity-date":
                date_field = codes.DATE_FIELDS.get(child.get("type", ""))
                if date_field is None:
                    raise _Bad(child, N_("@type %(value)s is not an activity date type 1-4",
                                         value=repr(child.get("type"))))
                if date_field in fields:
                    # the schema allows several; the platform holds one date of each type
                    # (the first): the others are kept as published and written back
                    self.kept_as_published(child, tag, N_(
                        "a second activity date of type %(type)s: the platform holds the "
                        "first; kept as published", type=child.get("type")))
                    continue
                fields[date_field] = _date(child)
                loc[date_field] = child
                loc.setdefault("planned_start", child)
                if len(child):
                    self.narratives_kept(child)
            elif tag == "recipient-country":
                self.country(child, countries, parts)
            elif tag == "description":
                if not description_seen and child.get("type", "1") == "1":
                    fields["description"] = self.narrative(child)
                    description_seen = True
                else:
                    self.preserved[_description_type(child.get("type", "1"))] += 1
            elif tag == "sector":
                sectors.append(child)
            elif tag == "iati-identifier":
                fields["identifier"] = _text(child)
                loc["identifier"] = child
            elif tag == "reporting-org":
                fields["reporting_org_ref"] = child.get("ref", "").strip()
                fields["reporting_org_type"] = child.get("type", "").strip()
                fields["reporting_org_name"] = self.narrative(child, line=True)
                loc["reporting_org_ref"] = loc["reporting_org_name"] = child
                loc["reporting_org_type"] = child
            elif tag == "title":
                fields["title"] = self.narrative(child, line=True)
                loc["title"] = child
            elif tag == "activity-status":
                fields["status"] = _int(child, "code", codelists.codes("ActivityStatus"),
                                        AN_ACTIVITY_STATUS)
                loc["status"] = child
            elif tag == "document-link":
                url = child.get("url", "").strip()
                unlinked = None
                if url and not is_http_url(url):
                    # a link the platform cannot follow (``http:www…``, a space in the
                    # path …): kept as published and written back, not a document
                    unlinked = N_("%(url)s is not an http(s) URL: the document link is kept "
                                  "as published, not linked as a document", url=repr(url))
                elif not url:
                    # an empty @url is a valid xs:anyURI, and an empty title narrative
                    # valid too: neither makes a document of the platform
                    unlinked = N_("a document link without a URL: kept as published, not "
                                  "linked as a document")
                elif not _has_title(child, self.language):
                    unlinked = N_("a document link without a title: kept as published, not "
                                  "linked as a document")
                elif ((category := _first_child(child, "category")) is not None
                      and not category.get("code", "").strip()):
                    unlinked = N_("a document link whose category code is empty: kept as "
                                  "published, not linked as a document")
                if unlinked is not None:
                    self.kept_as_published(child, tag, unlinked)
                    continue
                loc[f"documents[{len(documents)}]"] = child
                documents.append(self.document(child))
            elif tag == "result":
                if not _has_title(child, self.language):
                    # an empty title narrative is valid IATI; the platform's results need one
                    self.kept_as_published(child, tag, N_(
                        "a result without a title: kept as published, not a result of the "
                        "platform"))
                    continue
                results.append(self.result(child, len(results)))
            elif tag == "recipient-region":
                self.region(child, regions, parts)
            elif tag == "tag":
                if (child.get("vocabulary") == codes.STRUCTURE_TAG_VOCABULARY
                        and child.get("vocabulary-uri") == codes.STRUCTURE_URI):
                    fields["implementing_structure"] = child.get("code", "").strip()
                    loc["implementing_structure"] = child
                else:
                    self.preserved["tag"] += 1
            elif tag == "planned-disbursement":
                self.budget(child, "planned-disbursement", parts)
            elif tag == "related-activity":
                kind = child.get("type", "")
                if kind == codes.RELATED_PARENT:
                    parents.append(child)
                elif kind == codes.RELATED_CHILD:
                    children.append(child.get("ref", "").strip())
                else:
                    self.preserved["related-activity"] += 1
            else:  # a name added to MODELLED without its branch here is still counted
                self.preserved[tag] += 1
        fields["participants"] = participants
        fields["countries"] = countries
        fields["regions"] = regions
        fields["documents"] = documents
        fields["results"] = results
        fields.setdefault("identifier", "")
        fields.setdefault("title", "")
        fields.setdefault("reporting_org_ref", "")
        reporting = fields["reporting_org_ref"]
        fields["is_external"] = (self.context.own_org_ref is not None
                                 and reporting != self.context.own_org_ref)
        fields["crime_areas"], fields["stages"] = self.sectors(sectors, parts)
        self.check_recipients(countries, regions, parts)
        fields["finance"] = self.finance(parts)
        for extra in parents[1:]:
            # IATI allows several (a fund and its programme, say); the platform's hierarchy
            # holds one, the first, and the others are written back as published
            self.kept_as_published(extra, "related-activity", N_(
                "a further parent (related-activity type 1): the platform's hierarchy holds "
                "the first; kept as published"))
        if parents:
            fields["parent_identifier"] = parents[0].get("ref", "").strip()
            loc["parent_identifier"] = parents[0]
        hierarchy = act.get("hierarchy")
        if hierarchy is not None:
            try:
                level = int(hierarchy)
            except ValueError:
                raise _Bad(act, N_("@hierarchy %(value)s is not a whole number",
                                   value=repr(hierarchy))) from None
            fields["level"] = codes.LEVEL_OF_HIERARCHY[min(max(level, 1), 3)]
        else:
            # IATI's default hierarchy is 1; a record with a parent sits at the bottom.
            fields["level"] = "activity" if parents else "programme"
        fields.setdefault("status", 1)
        fields.setdefault("reporting_org_type", "")
        for name in ("description", "reporting_org_name"):
            fields.setdefault(name, "")
        spec = _make(ActivitySpec, **fields)
        # UTF-8 bytes (no declaration for UTF-8), hashed as they are: cheaper than
        # serialising to str and encoding that again
        if data is None:
            data = etree.tostring(act, encoding="UTF-8")
        count_extensions(act, self.preserved, data)
        parts.xml = data.decode("utf-8")
        parts.digest = hashlib.sha256(data).hexdigest()
        return spec, parts, children

    # --- recipients -----------------------------------------------------------------------

    def country(self, element: etree._Element, countries: list[ShareSpec],
                parts: IatiParts) -> None:
        code = element.get("code", "").strip().upper()
        if not code:
            self.empty_recipient(element)
            return
        if code not in codelists.codes("Country"):
            raise _Bad(element, _unknown_country(code))
        percentage = _percentage(element)
        if len(element):
            self.narratives_kept(element)
        parts.recipients.append({"position": len(parts.recipients), "kind": "country",
                                 "vocabulary": "", "vocabulary_uri": "", "code": code,
                                 "percentage": percentage})
        if code in self.vocab.countries:
            self.locations[f"countries[{len(countries)}]"] = element
            countries.append(_make(ShareSpec, code=code, percentage=self.held(element,
                                                                             percentage)))

    def narratives_kept(self, element: etree._Element, where: str = "") -> None:
        """Count the narratives of an element whose code or date the register holds but not
        its text (an activity date's "Planned start date of the activity", a recipient's
        name, a transaction sector's): they stay in the published element, written back on
        export, and the report names them (``where``: ``transaction/`` inside one)."""
        count = sum(1 for child in element if child.tag == "narrative")
        if count:
            self.preserved[f"{where}{element.tag}/narrative"] += count

    def kept_as_published(self, element: etree._Element, what: str, why: Message) -> None:
        """Count ``element`` among what is kept only as published, and say why."""
        self.preserved[what] += 1
        self.notes.append(Problem(self.where + _relative_path(self.act, element), why))

    def empty_recipient(self, element: etree._Element) -> None:
        """A ``recipient-country`` or ``-region`` with an empty ``@code``: valid IATI (the
        schema asks for @code, of any value), but it names no recipient."""
        if element.tag == "recipient-country":
            self.kept_as_published(element, EMPTY_COUNTRY, N_(
                "a recipient country with an empty code: kept as published, not a recipient"))
        else:
            self.kept_as_published(element, EMPTY_REGION, N_(
                "a recipient region with an empty code: kept as published, not a recipient"))

    def region(self, element: etree._Element, regions: list[RegionSpec],
               parts: IatiParts) -> None:
        code = element.get("code", "").strip()
        if not code:
            self.empty_recipient(element)
            return
        vocabulary = element.get("vocabulary", codelists.REGION_DAC).strip()
        if vocabulary not in codelists.codes("RegionVocabulary"):
            raise _Bad(element, N_("@vocabulary %(value)s is not a region vocabulary "
                                   "(1 OECD-DAC, 2 UN M49, 99 reporting organisation)",
                                   value=repr(vocabulary)))
        known = codelists.region_codes(vocabulary)
        if known is not None and code not in known:
            padded = code.zfill(3)
            if vocabulary == codelists.REGION_M49 and code.isdigit() and padded in known:
                # a code written as a number, its leading zeros dropped ("10" for 010,
                # Antarctica, in a publishing tool's file): refused, saying how it is written
                raise _Bad(element, N_(
                    "@code %(value)s is not a region code of UN M49, whose codes have three "
                    "digits: %(code)s is %(name)s", value=repr(code), code=repr(padded),
                    name=codelists.codelists()["RegionM49"][padded]))
            name = "OECD-DAC" if vocabulary == codelists.REGION_DAC else "UN M49"
            raise _Bad(element, N_("@code %(value)s is not a region code of %(list)s",
                                   value=repr(code), list=name))
        percentage = _percentage(element)
        if len(element):
            self.narratives_kept(element)
        parts.recipients.append({"position": len(parts.recipients), "kind": "region",
                                 "vocabulary": vocabulary,
                                 "vocabulary_uri": element.get("vocabulary-uri", "").strip(),
                                 "code": code, "percentage": percentage})
        self.locations[f"regions[{len(regions)}]"] = element
        regions.append(_make(RegionSpec, code=code, vocabulary=vocabulary,
                             percentage=self.held(element, percentage)))

    def held(self, element: etree._Element, percentage: Decimal | None) -> Decimal | None:
        """A recipient's share as the platform holds it: to the hundredth, cut (never
        rounded up, so that the shares held never add up to more than those published).

        The register keeps the published percentage; a finer one is noted. The copy
        read again on export is cut the same way, so an unedited share is not taken
        for an edit and the published value is written back.
        """
        if percentage is None:
            return None
        held = percentage.quantize(CENT, rounding=ROUND_DOWN)
        if held == percentage:
            return percentage  # as published (``25`` stays ``25``)
        self.notes.append(Problem(self.where + _relative_path(self.act, element), N_(
            "percentage %(value)s held as %(held)s here (two decimals); kept as published",
            value=element.get("percentage", "").strip(), held=format(held, "f"))))
        return held

    def check_recipients(self, countries: list[ShareSpec], regions: list[RegionSpec],
                         parts: IatiParts) -> None:
        """Recipients published with a percentage on some and not on others.

        Sums are the rulesets' to report (a warning, see ``standard.yaml``), so a file is
        never refused for them. A recipient without a percentage beside others that have
        one (a region naming where the one country lies, say) is kept as published in the
        register and read as 0 % in the platform's view, with a note.
        """
        rows = parts.recipients
        if all(r["percentage"] is None for r in rows) \
                or all(r["percentage"] is not None for r in rows):
            return
        elements = [c for c in self.act if c.tag in ("recipient-country", "recipient-region")]
        for row, element in zip(rows, elements, strict=True):
            if row["percentage"] is None:
                self.notes.append(Problem(self.where + _relative_path(self.act, element), N_(
                    "no percentage while other recipients have one: read as zero here, "
                    "kept as published")))
        countries[:] = [c if c.percentage is not None else
                        _make(ShareSpec, code=c.code, percentage=Decimal(0)) for c in countries]
        regions[:] = [r if r.percentage is not None else
                      _make(RegionSpec, code=r.code, vocabulary=r.vocabulary,
                            percentage=Decimal(0)) for r in regions]

    # --- sectors ----------------------------------------------------------------------------

    def sectors(self, elements: list[etree._Element], parts: IatiParts
                ) -> tuple[list[ShareSpec], list[ShareSpec]]:
        crime_areas: list[ShareSpec] = []
        stages: list[ShareSpec] = []
        mapped: list[tuple[etree._Element, str, str, Decimal | None]] = []
        loc = self.locations
        for element in elements:
            vocabulary = element.get("vocabulary", codelists.SECTOR_DAC5).strip()
            uri = element.get("vocabulary-uri", "").strip()
            code = element.get("code", "").strip()
            percentage = _percentage(element)
            parts.sectors.append({"position": len(parts.sectors), "vocabulary": vocabulary,
                                  "vocabulary_uri": uri, "code": code,
                                  "percentage": percentage, "name": self.narrative(element)})
            if vocabulary == codes.CRIME_AREA_VOCABULARY and uri == codes.CRIME_AREA_URI:
                loc.setdefault("crime_areas", element)
                loc[f"crime_areas[{len(crime_areas)}]"] = element
                crime_areas.append(_make(ShareSpec, code=code, percentage=percentage))
            elif vocabulary == codes.STAGE_VOCABULARY and uri == codes.STAGE_URI:
                loc.setdefault("stages", element)
                loc[f"stages[{len(stages)}]"] = element
                stages.append(_make(ShareSpec, code=code, percentage=percentage))
            else:
                self.unlisted_sector(element)
                mapping = codelists.dac_mapping().get((vocabulary, code))
                if mapping is not None:
                    mapped.append((element, mapping.crime_area or "", mapping.stage or "",
                                   percentage))
                elif vocabulary in (codelists.SECTOR_DAC5, codelists.SECTOR_DAC3):
                    self.notes.append(Problem(
                        self.where + _relative_path(self.act, element),
                        N_("sector %(code)s (vocabulary %(vocabulary)s) names no crime area "
                           "or stage in the mapping table; kept as published",
                           code=repr(code), vocabulary=vocabulary)))
        if not crime_areas and mapped:
            crime_areas = self.shares(mapped, 1, "crime_areas")
        if not stages and mapped:
            stages = self.shares(mapped, 2, "stages")
        return crime_areas, stages

    def shares(self, mapped: list[tuple[etree._Element, str, str, Decimal | None]],
               index: int, name: str) -> list[ShareSpec]:
        """Shares of the mapped codes, added up per crime area (or stage)."""
        totals: dict[str, Decimal | None] = {}
        for row in mapped:
            element, percentage = row[0], row[3]
            target = row[1] if index == 1 else row[2]
            if not target:
                continue
            if target not in totals:
                self.locations[f"{name}[{len(totals)}]"] = element
            if percentage is None or (target in totals and totals[target] is None):
                totals[target] = None
            else:
                totals[target] = (totals.get(target) or Decimal(0)) + percentage
        if any(v is None for v in totals.values()):
            return [_make(ShareSpec, code=c, percentage=None) for c in totals]
        # the mapped part of the sectors, scaled to the whole of the activity's focus
        whole = sum((v for v in totals.values() if v is not None), Decimal(0))
        out = []
        rest = Decimal(100)
        items = list(totals.items())
        for i, (code, value) in enumerate(items):
            if whole == 0:
                share = None
            elif i == len(items) - 1:
                share = rest
            else:
                share = _cents((value or Decimal(0)) * 100 / whole)
                rest -= share
            out.append(_make(ShareSpec, code=code, percentage=share))
        return out

    # --- money ------------------------------------------------------------------------------

    def org(self, element: etree._Element | None, prefix: str, row: dict[str, Any],
            with_type: bool = True) -> None:
        ref, activity_id, name, kind, attribute = _ORG_KEYS[prefix]
        if element is None:
            row[ref] = row[activity_id] = row[name] = ""
            if with_type:
                row[kind] = ""
            return
        get = element.get
        row[ref] = get("ref", "").strip()
        row[activity_id] = get(attribute, "").strip()
        row[name] = self.narrative(element)  # longer than its column: fit_register
        if with_type:
            row[kind] = get("type", "").strip()

    def budget(self, element: etree._Element, name: str, parts: IatiParts) -> None:
        first = _first_children(element)
        start_element, end_element = first.get("period-start"), first.get("period-end")
        value_element = first.get("value")
        provider, receiver = first.get("provider-org"), first.get("receiver-org")
        if start_element is None:
            raise _Bad(element, N_("a period-start is required"))
        start = _date(start_element)
        end = _date(end_element) if end_element is not None else None
        # a budget is shared over the years of its period in the platform's finance
        # lines, so a reversed one is refused; a planned disbursement feeds none of them
        # and is kept as published, IATI's ruleset warning of its order
        if end is not None and end < start and name == "budget":
            raise _Bad(end_element, N_("the period ends (%(end)s) before it starts "
                                       "(%(start)s)", end=end, start=start))
        amount, currency, value_date, value = self.value(element, value_element)
        kind = element.get("type")
        status = element.get("status")
        row: dict[str, Any] = {
            "position": len(parts.budgets), "element": name,
            "type": int(kind) if is_digits(kind) else None,
            "status": int(status) if is_digits(status) else None,
            "period_start": start, "period_end": end, "value": amount,
            "currency": currency, "value_date": value_date,
        }
        if name == "budget":
            if end is None:
                raise _Bad(element, N_("a budget needs a period-end"))
            outside = next((e for day, e in ((start, start_element), (end, end_element))
                            if _outside_years(day)), None)
            if outside is not None:
                self.outside_years[("budget", len(parts.budgets))] = outside
            if amount < 0:
                # valid IATI (a revision downwards, as DFID and FCDO publish them): the
                # register holds it; the platform's finance lines see to the year's sum
                self.negative_budgets[len(parts.budgets)] = value
            if kind and row["type"] not in (1, 2):  # "x" or "²" as much as "3"
                raise _Bad(element, N_("@type %(value)s is not a budget type (1 original, "
                                       "2 revised)", value=repr(kind)))
        self.org(provider, "provider", row, with_type=False)
        self.org(receiver, "receiver", row, with_type=False)
        # the register's row holds no organisation type: kept as published, and said so
        for org in (provider, receiver):
            if org is not None and org.get("type") is not None:
                self.preserved[f"{name}/{org.tag}/@type"] += 1
        parts.budgets.append(row)

    def transaction(self, element: etree._Element, parts: IatiParts) -> None:
        row: dict[str, Any] = {
            "position": len(parts.transactions), "type_code": 0,
            "ref": element.get("ref", "").strip(), "humanitarian": _bool(element, "humanitarian"),
            "disbursement_channel": "", "flow_type": "", "finance_type": "", "aid_types": "",
            "tied_status": "", "sector_vocabulary": "", "sector_code": "",
            "recipient_country": "", "region_vocabulary": "", "recipient_region": "",
        }
        # one pass over the children; the first of each element read by name counts
        first: dict[str, etree._Element] = {}
        countries = []
        aid_types = []
        for child in element:
            tag = child.tag
            first.setdefault(tag, child)
            if tag in _TRANSACTION_CODES:
                row[_TRANSACTION_CODES[tag]] = child.get("code", "").strip()
            elif tag == "aid-type":
                aid_types.append(f"{child.get('vocabulary', '1')}:{child.get('code', '')}")
            elif tag == "sector":
                self.unlisted_sector(child)
                if not row["sector_code"]:
                    row["sector_vocabulary"] = child.get("vocabulary", "1").strip()
                    row["sector_code"] = child.get("code", "").strip()
                    if len(child):
                        self.narratives_kept(child, "transaction/")
                else:
                    # one per vocabulary (2.03): the register's row holds the first
                    self.preserved["transaction/sector"] += 1
            elif tag == "recipient-country":
                countries.append(child)
            elif tag == "recipient-region":
                row["region_vocabulary"] = child.get("vocabulary", "1").strip()
                row["recipient_region"] = child.get("code", "").strip()
                if len(child):
                    self.narratives_kept(child, "transaction/")
        kind, day = first.get("transaction-type"), first.get("transaction-date")
        value, description = first.get("value"), first.get("description")
        provider, receiver = first.get("provider-org"), first.get("receiver-org")
        if kind is None or day is None:
            raise _Bad(element, N_("a transaction needs a transaction-type and a "
                                   "transaction-date"))
        row["type_code"] = _int(kind, "code", codelists.codes("TransactionType"),
                                A_TRANSACTION_TYPE)
        row["transaction_date"] = _date(day)
        if _outside_years(row["transaction_date"]):
            self.outside_years[("transaction", len(parts.transactions))] = day
        row["value"], row["currency"], row["value_date"], _ = self.value(element, value)
        row["description"] = self.narrative(description)
        self.org(provider, "provider", row)
        self.org(receiver, "receiver", row)
        for child in countries:
            code = child.get("code", "").strip().upper()
            if not code:
                self.empty_recipient(child)
                continue
            if code not in codelists.codes("Country"):
                raise _Bad(child, _unknown_country(code))
            row["recipient_country"] = code
            if len(child):
                self.narratives_kept(child, "transaction/")
        row["aid_types"] = " ".join(aid_types)
        parts.transactions.append(row)

    def unlisted_sector(self, element: etree._Element) -> None:
        """Note a sector (of the activity or a transaction) whose OECD-DAC code is not in the
        bundled list: kept as published, not refused (the list may lag behind the DAC's)."""
        known = codelists.sector_codes(element.get("vocabulary", codelists.SECTOR_DAC5).strip())
        code = element.get("code", "").strip()
        if known is not None and code not in known:
            self.notes.append(Problem(
                self.where + _relative_path(self.act, element),
                N_("sector %(code)s is not in the bundled OECD-DAC list; kept as published",
                   code=repr(code))))

    def finance(self, parts: IatiParts) -> list[FinanceSpec]:
        """The platform's finance per calendar year (see docs/iati.md for the rules).

        Commitments are outgoing commitments (type 2); spending is disbursements and
        expenditure (types 3 and 4), each in the year of its transaction date.
        A budget spanning several years is shared out over them in proportion to
        the days of its period in each; a revised budget replaces the original ones
        of its period: an original's share of a year is left out where a revised budget
        (of its currency) overlaps the original's period in that year.
        """
        flows: dict[tuple[str, int, str], Decimal] = defaultdict(Decimal)
        for row in parts.transactions:
            kind = codes.TRANSACTION_KINDS.get(str(row["type_code"]))
            if kind is not None and not self.beyond_finance("transaction", row["position"]):
                flows[(kind, row["transaction_date"].year, row["currency"])] += row["value"]
        budgets: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
        negative: dict[tuple[int, str], etree._Element] = {}
        first, last = FINANCE_YEARS
        # an original's share of a year stands where no revised budget covers it: a
        # charity's revised first year (April to March) leaves its original second year's
        # April to December
        revised = [(row["period_start"], row["period_end"] or row["period_start"],
                    row["currency"]) for row in parts.budgets
                   if row["element"] == "budget" and row["type"] == 2]
        for row in parts.budgets:
            if row["element"] != "budget":
                continue
            original = (row["type"] or 1) != 2
            start, end = row["period_start"], row["period_end"] or row["period_start"]
            self.beyond_finance("budget", row["position"])
            for year, amount in spread(row["period_start"], row["period_end"], row["value"]):
                if not first <= year <= last:
                    continue
                if original and revised and _revised_in(
                        revised, max(start, date(year, 1, 1)), min(end, date(year, 12, 31)),
                        row["currency"]):
                    continue
                budgets[(year, row["currency"])] += amount
                if row["position"] in self.negative_budgets:
                    negative.setdefault((year, row["currency"]),
                                        self.negative_budgets[row["position"]])
        lines = []
        for (year, currency), amount in sorted(budgets.items()):
            if amount < 0:
                # the platform's budgets are not below zero: that year has no budget line
                # there, and the register keeps every budget as published
                self.notes.append(Problem(
                    self.where + _relative_path(self.act, negative[(year, currency)]),
                    N_("the budgets of %(year)s in %(currency)s come to %(amount)s, less "
                       "than zero: no budget line of the platform for that year; kept as "
                       "published", year=year, currency=currency,
                       amount=format(_cents(amount), "f"))))
                continue
            lines.append(_make(FinanceSpec, year=year, kind="budget",
                                                     amount=_cents(amount), currency=currency))
        for (kind, year, currency), amount in sorted(flows.items()):
            lines.append(_make(FinanceSpec, year=year, kind=kind,
                                                     amount=_cents(amount), currency=currency))
        return lines

    def beyond_finance(self, kind: str, position: int) -> bool:
        """Whether a budget or transaction has a date in a year no finance line holds, and
        if so the note that says so (the register keeps it as published)."""
        element = self.outside_years.get((kind, position))
        if element is None:
            return False
        self.notes.append(Problem(
            self.where + _relative_path(self.act, element),
            N_("%(year)s is outside the years of the platform's finance lines (%(first)s to "
               "%(last)s): no finance line for it there; kept as published",
               year=_date(element).year, first=FINANCE_YEARS[0], last=FINANCE_YEARS[1])))
        return True

    # --- documents and results -------------------------------------------------------------

    def document(self, element: etree._Element) -> DocumentSpec:
        for child in element:
            if child.tag == "description" or (
                    child.tag in ("category", "language")
                    and child.getprevious() is not None and child.getprevious().tag == child.tag):
                self.preserved[f"document-link/{child.tag}"] += 1
        first = _first_children(element)
        category = first.get("category")
        lang = first.get("language")
        day = first.get("document-date")
        return _make(DocumentSpec,
            title=self.narrative(first.get("title"), line=True),
            url=element.get("url", "").strip(),
            stored_path=None, original_name="",
            mime_type=element.get("format", "").strip(),
            category=category.get("code", "").strip() if category is not None else "",
            # an empty @code (valid IATI) says no more than no language element
            language=lang.get("code", "").strip().lower() or None if lang is not None else None,
            document_date=_date(day) if day is not None else None,
        )

    def result_value(self, element: etree._Element | None, model: type[BaseModel],
                     name: str) -> str | None:
        """A baseline's, target's or actual's ``@value`` as the platform's results hold it.

        The schema sets no length (a qualitative indicator's value is often a sentence or
        a paragraph, the World Bank's up to 379 characters) and the platform holds it
        whole, up to its bound on free text (``check.RESULT_VALUE_MAX``); one longer than
        that is left out of its result and noted, kept as published and written back from
        the published copy."""
        if element is None:
            return None
        value = element.get("value")
        limit = column_length(model, name)
        if value is None or limit is None or len(value) <= limit:
            return value
        self.notes.append(Problem(self.where + _relative_path(self.act, element), N_(
            "value is %(length)s characters long, more than the platform's results hold "
            "(%(limit)s): left empty there, kept as published", length=len(value),
            limit=limit)))
        return None

    def result(self, element: etree._Element, i: int) -> ResultSpec:
        for extra in element.iter(*RESULT_EXTRAS):
            self.preserved[f"result//{extra.tag}"] += 1
        # 2.03 repeats baselines, targets and actuals; the platform holds the first of each
        for extra in element.iter(*REPEATED_IN_RESULTS):
            # not the first of its name among its siblings
            if next(extra.itersiblings(extra.tag, preceding=True), None) is not None:
                self.preserved[f"result//{extra.tag}"] += 1
        indicators = []
        # the first child of each name in one pass, as find() would give each
        for j, ind in enumerate(element.iterchildren("indicator")):
            of_indicator = _first_children(ind)
            baseline = of_indicator.get("baseline")
            periods = []
            for k, period in enumerate(ind.iterchildren("period")):
                of_period = _first_children(period)
                start, end = of_period.get("period-start"), of_period.get("period-end")
                if start is None or end is None:
                    raise _Bad(period, N_("a period needs a period-start and a period-end"))
                target, actual = of_period.get("target"), of_period.get("actual")
                periods.append(_make(PeriodSpec,
                    start=_date(start), end=_date(end),
                    target=self.result_value(target, PeriodSpec, "target"),
                    actual=self.result_value(actual, PeriodSpec, "actual")))
                self.locations[f"results[{i}].indicators[{j}].periods[{k}]"] = period
            year = baseline.get("year") if baseline is not None else None
            if baseline is not None and year is None and baseline.get("iso-date"):
                year = baseline.get("iso-date", "")[:4]
            indicators.append(_make(IndicatorSpec,
                title=self.narrative(of_indicator.get("title"), line=True),
                description=self.narrative(of_indicator.get("description")),
                measure=_int(ind, "measure"),
                ascending=_bool(ind, "ascending"),
                baseline_year=int(year) if year and is_digits(year.strip()) else None,
                baseline_value=self.result_value(baseline, IndicatorSpec, "baseline_value"),
                periods=periods,
            ))
            self.locations[f"results[{i}].indicators[{j}]"] = ind
        self.locations[f"results[{i}]"] = element
        of_result = _first_children(element)
        return _make(ResultSpec,
            type=_int(element, "type"),
            title=self.narrative(of_result.get("title"), line=True),
            description=self.narrative(of_result.get("description")),
            aggregation_status=_bool(element, "aggregation-status"),
            indicators=indicators,
        )


def _outside_years(day: date) -> bool:
    """Whether no finance line holds the year of ``day`` (:data:`FINANCE_YEARS`)."""
    return not FINANCE_YEARS[0] <= day.year <= FINANCE_YEARS[1]


def _revised_in(revised: list[tuple[date, date, str]], start: date, end: date,
                currency: str) -> bool:
    """Whether a revised budget of ``currency`` overlaps ``start``-``end`` (a part of an
    original budget's period)."""
    return any(r_start <= end and r_end >= start and r_currency == currency
               for r_start, r_end, r_currency in revised)


def spread(start: date, end: date | None, amount: Decimal) -> list[tuple[int, Decimal]]:
    """``amount`` shared over the calendar years of ``start``-``end`` by days (to the cent).

    Each year's part is the difference of the running totals to the end of it and to
    the end of the year before, each rounded: the parts add up to ``amount`` and none has
    the other sign, however many years (rounding each part alone drifts by up to half a
    cent a year, and left the last year below zero over a long period).
    """
    if end is None or end.year == start.year or end < start:
        return [(start.year, amount)]
    days = (end - start).days + 1
    out = []
    before = Decimal(0)
    for year in range(start.year, end.year + 1):
        through = amount if year == end.year else _cents(
            amount * ((date(year, 12, 31) - start).days + 1) / days)
        out.append((year, through - before))
        before = through
    return out


def read_published(element: etree._Element, vocab: Vocabulary, version: str
                   ) -> tuple[ActivitySpec, list[str]]:
    """The spec an activity stored as published reads as today, and the children it names.

    Used on export to tell what the platform changed since the import.
    """
    context = _Context(vocab, None, version, False, ReadResult(version=version))
    spec, _parts, children = _ActivityReader(element, context, "").read()
    return spec, children

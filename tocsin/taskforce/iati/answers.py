"""The IATI Datastore's search answers in JSON or CSV, read as the activities they hold.

IATI's Datastore (``api.iatistandard.org/datastore/activity/select``, and the JSON and CSV
downloads of its Search) answers with Solr documents, one per activity: its values
flattened into fields (``title_narrative``, ``transaction_value`` …), which do not hold
a whole activity, and, when asked for (``fl=iati_xml,dataset_iati_version``, or no
``fl``), ``iati_xml`` — the ``iati-activity`` element as its publisher's file holds it —
and ``dataset_iati_version``, the version on that file's root (IATI/refresher
``lakify.py`` and ``solrize.py``; IATI/datastore-services ``Download``).

:func:`unwrap` turns such an answer into the form of a portal's download: an
``iati-activities`` without a version, each activity carrying its own as
``iati-extra:version``, so the reader reads each under its version and keeps the
activity as published (the portal's attribute taken off again). Its XML answers
(``iati-activities version="2.03"`` around the ``iati_xml`` of every document) are read
as any activity file.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from lxml import etree

from tocsin import limits
from tocsin.errors import Problem
from tocsin.i18n import N_, Number
from tocsin.limits import TooLarge
from tocsin.taskforce.iati.scan import DOCTYPE, PROLOG_LIMIT, has_doctype
from tocsin.taskforce.iati.schema import safe_parser

#: The namespace the IATI Datastore writes an activity's version in (``iati-extra``).
DATASTORE_NS = "http://datastore.iatistandard.org/ns"
#: What a version looks like (``2.03``, ``1.05``; the reader says which it reads).
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.-]{0,15}")
#: How much of the file's start tells an answer from an XML file.
_HEAD = 64 * 1024


@dataclass
class Unwrapped:
    """An answer's activities as a portal's download, and what the report says of it."""

    #: ``None`` when nothing in the answer can be read.
    xml: bytes | None
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)


def unwrap(source: Path | IO[bytes]) -> Unwrapped | None:
    """The activities of ``source`` if it is a Datastore answer in JSON or CSV, else
    ``None`` (a seekable stream is left where it was)."""
    if isinstance(source, Path):
        with source.open("rb") as stream:
            head = stream.read(_HEAD)
    else:
        start = source.tell()
        head = source.read(_HEAD)
        source.seek(start)
    form = _form(head)
    if form is None:
        return None
    # read whole (its documents are not streamed): bounded as an archive's content is
    most = limits.active().archive_max_unpacked_bytes
    big = source.stat().st_size > most if isinstance(source, Path) else False
    data = b"" if big else (source.read_bytes() if isinstance(source, Path)
                            else source.read(most + 1))
    if big or len(data) > most:
        raise TooLarge.single("/", N_(
            "this IATI Datastore answer is larger than %(most)s bytes, the most read at "
            "once: ask the Datastore for it in pages (rows, cursorMark)", most=Number(most)))
    text = limits.decode_text(data.removeprefix(codecs.BOM_UTF8), N_(
        "this IATI Datastore answer (%(form)s)", form=form))
    if form == "JSON":
        return _from_json(text)
    return _from_csv(text)


def _form(head: bytes) -> str | None:
    """``JSON``, ``CSV`` or ``None`` (anything else, the reader's own business)."""
    text = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if text[:1] in (b"{", b"["):
        return "JSON"
    header = text.split(b"\n", 1)[0].rstrip(b"\r")
    if not header.startswith(b"<") and b"iati_xml" in (
            name.strip().strip(b'"') for name in header.split(b",")):
        return "CSV"
    return None


def _from_json(text: str) -> Unwrapped:
    try:
        answer = json.loads(text)
    except json.JSONDecodeError as exc:
        return Unwrapped(None, [Problem(N_("line %(line)s", line=exc.lineno), N_(
            "this IATI Datastore answer is not valid JSON: %(why)s (column %(column)s)",
            why=exc.msg, column=exc.colno))])
    if isinstance(answer, list):  # the documents alone, as the bulk downloaders save them
        return _activities(answer, "", None, "JSON")
    if isinstance(answer, dict) and "iati-activities" in answer:
        # the first Datastore's /api/1/access/activity.json ("Structure of data" in its user
        # guide): each activity's elements turned into JSON objects, which do not say where
        # a narrative's language or an element's order was; its XML answer holds them whole
        return Unwrapped(None, [Problem("/iati-activities", N_(
            "this is the first IATI Datastore's JSON answer (activity.json), in which the "
            "activities are converted to JSON and cannot be read back as published: ask it "
            "for activity.xml, which is read whole"))])
    response = answer.get("response") if isinstance(answer, dict) else None
    docs = response.get("docs") if isinstance(response, dict) else None
    if not isinstance(docs, list):
        return Unwrapped(None, [Problem("/response/docs", N_(
            "a JSON file is read as an IATI Datastore answer (its activities in "
            "response.docs, each with iati_xml); this one has no response.docs"))])
    assert isinstance(response, dict)
    return _activities(docs, "/response/docs", response, "JSON")


def _from_csv(text: str) -> Unwrapped:
    # an activity's XML is one field, often larger than the csv module allows by default
    before = csv.field_size_limit(len(text) + 1)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        rows: list[dict[str, Any]] = list(reader)
    except csv.Error as exc:
        return Unwrapped(None, [Problem(N_("line %(line)s", line=reader.line_num), N_(
            "this IATI Datastore answer is not valid CSV: %(why)s", why=str(exc)))])
    finally:
        csv.field_size_limit(before)
    return _activities(rows, "", None, "CSV")


def _where(prefix: str, index: int, form: str) -> str:
    """The place of a document: ``/response/docs[3]`` in JSON, ``row 4`` in CSV (the
    header is row 1)."""
    if form == "CSV":
        return N_("row %(row)s", row=index + 1)
    return f"{prefix}[{index}]"


def _activities(docs: list[Any], prefix: str, response: dict[str, Any] | None,
                form: str) -> Unwrapped:
    out = Unwrapped(None)
    parts = [b'<iati-activities xmlns:iati-extra="', DATASTORE_NS.encode(), b'">\n']
    read = 0
    missing: list[str] = []
    for index, doc in enumerate(docs, 1):
        where = _where(prefix, index, form)
        xml = doc.get("iati_xml") if isinstance(doc, dict) else None
        if not isinstance(xml, str) or not xml.strip():
            missing.append(where)
            continue
        try:
            element = etree.fromstring(xml.strip().encode("utf-8"), safe_parser())
        except etree.XMLSyntaxError as exc:
            # libxml2 may stop inside a DOCTYPE (entities expanding beyond its limit)
            out.problems.append(Problem(f"{where}/iati_xml", DOCTYPE if has_doctype(
                xml.strip()[:PROLOG_LIMIT].encode("utf-8")) else N_(
                "not well-formed XML: %(why)s", why=exc.msg)))
            continue
        except UnicodeEncodeError:  # a lone surrogate, which JSON's \u escapes allow
            out.problems.append(Problem(f"{where}/iati_xml", N_(
                "not well-formed XML: %(why)s", why="not Unicode text")))
            continue
        if element.getroottree().docinfo.doctype:
            # where entities are declared: refused as in a file of its own, not left to fail
            # as an undeclared entity at a line of the file rebuilt below
            out.problems.append(Problem(f"{where}/iati_xml", DOCTYPE))
            continue
        if element.tag != "iati-activity":
            out.problems.append(Problem(f"{where}/iati_xml", N_(
                "holds %(element)s, not an iati-activity", element=repr(str(element.tag)))))
            continue
        version = doc.get("dataset_iati_version")
        if isinstance(version, list):  # a multi-valued field in another schema
            version = version[0] if version else None
        name = f"{{{DATASTORE_NS}}}version"
        if isinstance(version, str) and version.strip() and element.get(name) is None:
            if not _VERSION.fullmatch(version.strip()):
                out.problems.append(Problem(f"{where}/dataset_iati_version", N_(
                    "%(value)s is not an IATI version; the activity is not read",
                    value=repr(version))))
                continue
            element.set(name, version.strip())
        parts += [etree.tostring(element, encoding="UTF-8", xml_declaration=False), b"\n"]
        read += 1
    if missing and not read and not out.problems:
        out.problems.append(Problem(prefix or "/", N_(
            "this IATI Datastore answer holds no iati_xml: ask the Datastore for it "
            "(fl=iati_xml,dataset_iati_version); its other fields do not hold whole "
            "activities")))
        return out
    out.problems += [Problem(where, N_(
        "this document of the IATI Datastore answer has no iati_xml: its activity cannot "
        "be read")) for where in missing]
    if not docs:
        out.problems.append(Problem(prefix or "/", N_(
            "this IATI Datastore answer holds no activity")))
    if not read:
        return out
    out.notes.append(Problem(prefix or "/", N_(
        "an IATI Datastore answer (%(form)s): the iati_xml of each of its documents read "
        "as an activity under its dataset_iati_version; iati-activity[n] below is its "
        "n-th document", form=form)))
    found = response.get("numFound") if response else None
    start = response.get("start", 0) if response else 0
    if isinstance(found, int) and isinstance(start, int) and (start or found > len(docs)):
        out.notes.append(Problem("/response", N_(
            "this answer is one page of a larger one: documents %(first)s to %(last)s of "
            "the %(found)s its query found; the others are not in it",
            first=Number(start + 1), last=Number(start + len(docs)), found=Number(found))))
    parts.append(b"</iati-activities>\n")
    out.xml = b"".join(parts)
    return out

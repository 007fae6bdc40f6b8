"""The IATI activity and organisation schemas (2.01, 2.02, 2.03), bundled and loaded once.

The XSD files in ``schemas/`` are the IATI Standard's own (see
``schemas/LICENSE.txt``). Each file is read against the schema of the version
it declares; exports are always 2.03.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from lxml import etree

from tocsin.errors import ConfigurationError
from tocsin.i18n import N_, Joined, Message

SCHEMAS = Path(__file__).parent / "schemas"
VERSIONS = ("2.01", "2.02", "2.03")
CURRENT = "2.03"
XSD = "{http://www.w3.org/2001/XMLSchema}"


def safe_parser(**options: object) -> etree.XMLParser:
    """A parser that expands no entities and never touches the network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False, **options)


def schema_path(version: str = CURRENT, kind: str = "activities") -> Path:
    path = SCHEMAS / version / f"iati-{kind}-schema.xsd"
    if not path.exists():
        raise ConfigurationError(N_("the IATI %(version)s %(kind)s schema is missing from "
                                    "%(folder)s", version=version, kind=kind,
                                    folder=str(SCHEMAS)))
    return path


_local = threading.local()


def activity_schema(version: str = CURRENT, kind: str = "activities") -> etree.XMLSchema:
    """The ``iati-activities`` (or ``iati-organisations``) schema of ``version``.

    One instance per thread and version: a validator keeps its error log on itself.
    """
    cached: dict[tuple[str, str], etree.XMLSchema] | None = getattr(_local, "schemas", None)
    if cached is None:
        cached = _local.schemas = {}
    schema = cached.get((version, kind))
    if schema is None:
        schema = cached[(version, kind)] = etree.XMLSchema(
            etree.parse(str(schema_path(version, kind)), safe_parser()))
    return schema


def schema_errors(element: etree._Element | etree._ElementTree, version: str = CURRENT,
                  kind: str = "activities") -> list[tuple[str, str]]:
    """``(xpath, message)`` for every schema violation, empty when valid."""
    schema = activity_schema(version, kind)
    if schema.validate(element):
        return []
    return [(entry.path or "/", entry.message) for entry in schema.error_log]


@cache
def child_order(version: str = CURRENT, element: str = "iati-activity",
                kind: str = "activities") -> tuple[str, ...]:
    """The children of ``element`` in the order the schema's sequence gives them."""
    tree = etree.parse(str(schema_path(version, kind)), safe_parser())
    found = tree.find(f".//{XSD}element[@name='{element}']")
    if found is None:
        raise ConfigurationError(N_("no element %(element)s in the IATI %(version)s schema",
                                    element=repr(element), version=version))
    order: list[str] = []
    for child in found.iterfind(f"{XSD}complexType/{XSD}sequence/{XSD}element"):
        name = child.get("ref") or child.get("name")
        if name and name not in order:
            order.append(name)
    return tuple(order)


#: How the platform says libxml2's schema messages: a table of patterns and plain
#: reasons (see the file's head).
SCHEMA_MESSAGES = Path(__file__).with_name("schema_messages.yaml")
_XML_NAMESPACE = "{http://www.w3.org/XML/1998/namespace}"
_PLACEHOLDER = re.compile(r"%\(([a-z_]+)\)s")
#: ``{uri}`` before a name: a URI, not a facet's set of values (``{'a', 'b'}``) or a
#: pattern's count (``[A-Z]{2}``).
_NAMESPACE = re.compile(r"\{[A-Za-z][\w+.-]*:[^}'\s]*\}")


@dataclass(frozen=True)
class _Wording:
    """One shape of libxml2's messages and the plain reason the platform gives for it."""

    match: re.Pattern[str]
    reason: str


@dataclass(frozen=True)
class _Table:
    wordings: tuple[_Wording, ...]
    #: XSD type → what its values look like, in words
    kinds: dict[str, str]
    #: what libxml2 lists among the expected elements that is no name → in words
    names: dict[str, str]


@cache
def _table() -> _Table:
    """The table's entries in order, with its words for types and names; an entry whose
    reason names other values than its pattern gives is refused when loaded."""
    data = yaml.safe_load(SCHEMA_MESSAGES.read_text(encoding="utf-8"))
    wordings = []
    for item in data["messages"]:
        wording = _Wording(re.compile(str(item["match"])), str(item["reason"]))
        given = set(wording.match.groupindex)
        if "type" in given:
            given = given - {"type"} | {"kind"}
        if set(_PLACEHOLDER.findall(wording.reason)) != given:
            raise ConfigurationError(N_("%(file)s: the reason %(reason)s does not name the "
                                        "values its pattern gives", file=SCHEMA_MESSAGES.name,
                                        reason=repr(wording.reason)))
        wordings.append(wording)
    return _Table(tuple(wordings),
                  {str(item["type"]): str(item["kind"]) for item in data["types"]},
                  {str(item["libxml2"]): str(item["words"]) for item in data["names"]})


def _kind(xsd_type: str | None, table: _Table) -> Message:
    """What the values of ``xsd_type`` look like, in words."""
    if xsd_type in table.kinds:
        return Message(table.kinds[xsd_type])  # in the catalogs (babel.cfg)
    if xsd_type:
        return N_("a valid value of type %(type)s", type=xsd_type)
    return N_("a value the schema accepts")


def _expected(names: str, table: _Table) -> str:
    """The elements libxml2 expects (``a, b, ##other*``), a wildcard in words."""
    listed = names.split(", ")
    if not any(name in table.names for name in listed):
        return names
    return Joined(Message(table.names[name]) if name in table.names else name
                  for name in listed)


def schema_message(message: str) -> str:
    """libxml2's schema ``message`` as a user reads it: for its usual shapes
    (:data:`SCHEMA_MESSAGES`) a plain reason in the reader's language, libxml2's own words
    after it; any other as libxml2 says it. Namespaces are written as prefixes
    (``xml:lang``), or left out."""
    said = _NAMESPACE.sub("", message.replace(_XML_NAMESPACE, "xml:"))
    table = _table()
    for wording in table.wordings:
        found = wording.match.fullmatch(said)
        if found is None:
            continue
        values: dict[str, object] = {name: value for name, value in found.groupdict().items()
                                     if name != "type"}
        if "type" in wording.match.groupindex:
            values["kind"] = _kind(found["type"], table)
        if "expected" in values:
            values["expected"] = _expected(str(values["expected"]), table)
        return N_("%(reason)s (schema: %(message)s)",
                  reason=Message(wording.reason, values), message=said)
    return said

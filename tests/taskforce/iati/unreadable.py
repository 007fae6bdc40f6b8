"""Files that are not an IATI file at all, as both readers (activities, organisations) are
given them, with what each says: the same words, for the same reasons."""

from __future__ import annotations

import gzip
from typing import Any

import pytest


def not_iati_at_all(root: str) -> list[Any]:
    """Parameters ``(data, problem)`` for a reader whose root element is ``root``: an
    empty file, a gzip and a ZIP archive, and the root in a namespace."""
    return [
        pytest.param(b"", "/: the file is empty", id="empty"),
        pytest.param(gzip.compress(f"<{root} version='2.03'/>".encode(), mtime=0),
                     "/: the file is compressed (gzip): unpack it and import the XML file "
                     "inside", id="gzip"),
        pytest.param(b"PK\x03\x04rest of a zip archive",
                     "/: the file is a ZIP archive: unpack it and import the XML files inside "
                     "one by one", id="zip"),
        pytest.param(f'<{root} xmlns="http://www.iatistandard.org" version="2.03"/>'.encode(),
                     f"/{root}: {root} is in the namespace 'http://www.iatistandard.org', "
                     "IATI's elements are in none: remove the xmlns declaration",
                     id="namespace"),
    ]

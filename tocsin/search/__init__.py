"""Search over every record type and attached documents.

Importing the package installs the ORM hooks that keep the index current
(:func:`tocsin.search.indexer.install`).
"""

from tocsin.search.extract import extract_text
from tocsin.search.indexer import ReindexReport, index_record, install, reindex, remove_record
from tocsin.search.query import ParsedQuery, Term, parse_query
from tocsin.search.registry import Provider, SearchDoc, register
from tocsin.search.service import FacetValue, Hit, SearchFilters, SearchResults, search

__all__ = [
    "FacetValue",
    "Hit",
    "ParsedQuery",
    "Provider",
    "ReindexReport",
    "SearchDoc",
    "SearchFilters",
    "SearchResults",
    "Term",
    "extract_text",
    "index_record",
    "parse_query",
    "register",
    "reindex",
    "remove_record",
    "search",
]

install()

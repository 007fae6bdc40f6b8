"""The interface every full-text backend implements (SQLite FTS5, PostgreSQL).

A backend turns a parsed query into SQL over ``search_documents``: the
matching rows with a rank (lower is better), a condition excluding documents
that match the ``-excluded`` terms, and highlighted title and snippet for the
few documents shown. Access control, filters, facets and paging are the same
for every backend and live in :mod:`tocsin.search.service`.
"""

from __future__ import annotations

import html
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select
from sqlalchemy.orm import Session

from tocsin.search.query import ParsedQuery, Term

#: Markers around matched words in raw snippets; control characters never reach the index.
MARK_START = "\x02"
MARK_END = "\x03"
ELLIPSIS = "…"


def marked_html(raw: str) -> str:
    """Escape a raw snippet, then turn the match markers into ``<mark>`` elements."""
    escaped = html.escape(raw, quote=False)
    return escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


class SearchBackend(ABC):
    """Full-text search over the ``search_documents`` table on one database engine."""

    name: str
    #: Whether :meth:`matches` can take facet filters as index tokens (``tags``);
    #: otherwise the service filters with SQL conditions on the index tables.
    indexes_facets: bool = False

    @abstractmethod
    def matches(self, query: ParsedQuery,
                tags: Sequence[Sequence[str]] = ()) -> Select[tuple[int]]:
        """``SELECT id`` of the documents matching every included term, no excluded one
        and one token of every group in ``tags`` (only when :attr:`indexes_facets`).
        ``query.include`` or ``tags`` is not empty."""

    @abstractmethod
    def ranked(self, query: ParsedQuery, ids: Sequence[int]) -> Select[tuple[int, float]]:
        """``SELECT id, rank`` of the given documents, all of which match
        ``query.include`` (lower rank first)."""

    @abstractmethod
    def among(self, column: ColumnElement[Any], ids: Sequence[int]) -> ColumnElement[bool]:
        """``column IN ids`` with the whole list bound as one parameter (a window holds
        up to a thousand ids; one placeholder each would cost more than the query)."""

    @abstractmethod
    def excluded(self, terms: Sequence[Term]) -> ColumnElement[bool]:
        """Condition on ``search_documents.id`` true for documents matching none of ``terms``."""

    @abstractmethod
    def highlights(self, session: Session, query: ParsedQuery,
                   ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """Raw ``(title, snippet)`` with :data:`MARK_START`/:data:`MARK_END` around matches."""


def backend_for(dialect: str) -> SearchBackend:
    if dialect == "sqlite":
        from tocsin.search.sqlite import SqliteBackend

        return SqliteBackend()
    if dialect == "postgresql":
        from tocsin.search.postgresql import PostgresqlBackend

        return PostgresqlBackend()
    raise NotImplementedError(f"search has no backend for the {dialect!r} database")

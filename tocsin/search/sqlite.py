"""SQLite FTS5 backend: ``bm25()`` ranking with column weights, ``snippet()`` highlights."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    column,
    func,
    literal,
    literal_column,
    select,
    table,
)
from sqlalchemy.orm import Session

from tocsin.search.base import ELLIPSIS, MARK_END, MARK_START, SearchBackend
from tocsin.search.query import ParsedQuery, Term
from tocsin.search.tables import SearchDocument

FTS = table("search_fts", column("rowid"), column("title"), column("body"))
#: bm25 weights for (title, body): a word in the title counts ten times as much.
TITLE_WEIGHT = 10.0
BODY_WEIGHT = 1.0
SNIPPET_TOKENS = 24


def fts_term(term: Term) -> str:
    """An FTS5 string: every word quoted, so no character of the input is syntax."""
    quoted = '"' + " ".join(w.replace('"', '""') for w in term.words) + '"'
    return quoted + ("*" if term.prefix else "")


def fts_expression(terms: Sequence[Term], joiner: str = " AND ") -> str:
    return joiner.join(fts_term(t) for t in terms)


def _match(expression: str) -> ColumnElement[bool]:
    return literal_column("search_fts").op("MATCH")(bindparam("fts_q", expression, unique=True))


class SqliteBackend(SearchBackend):
    name = "sqlite"

    def matches(self, query: ParsedQuery, ranked: bool = True) -> Select[tuple[int, float]]:
        rank: Any = func.bm25(literal_column("search_fts"), TITLE_WEIGHT, BODY_WEIGHT)
        expression = fts_expression(query.include)
        if query.exclude:
            expression = f"({expression}) NOT ({fts_expression(query.exclude, ' OR ')})"
        return (select(FTS.c.rowid.label("id"), (rank if ranked else literal(0.0)).label("rank"))
                .select_from(FTS).where(_match(expression)))

    def excluded(self, terms: Sequence[Term]) -> ColumnElement[bool]:
        hits = select(FTS.c.rowid).where(_match(fts_expression(terms, " OR ")))
        return SearchDocument.id.not_in(hits.scalar_subquery())

    def highlights(self, session: Session, query: ParsedQuery,
                   ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        if not ids or not query.include:
            return {}
        fts: ColumnElement[Any] = literal_column("search_fts")
        words = fts_expression(query.include, " OR ")
        stmt = (select(FTS.c.rowid, func.highlight(fts, 0, MARK_START, MARK_END),
                       func.snippet(fts, 1, MARK_START, MARK_END, ELLIPSIS, SNIPPET_TOKENS))
                .select_from(FTS).where(_match(words), FTS.c.rowid.in_(list(ids))))
        return {row[0]: (row[1] or "", row[2] or "") for row in session.execute(stmt)}

"""SQLite FTS5 backend: ``bm25()`` ranking with column weights, ``snippet()`` highlights.

``search_fts`` indexes three columns of ``search_documents``: title, body and the
facet tokens (``tags``). User terms are limited to title and body; facet filters
become tokens of the same query, so FTS5 intersects them with the words.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.orm import Session

from tocsin.search.base import ELLIPSIS, MARK_END, MARK_START, SearchBackend
from tocsin.search.query import ParsedQuery, Term
from tocsin.search.tables import SearchDocument

FTS = table("search_fts", column("rowid"), column("title"), column("body"), column("tags"))
TEXT_COLUMNS = "title body"
#: bm25 weights for (title, body); the facet tokens weigh nothing. A word in the title
#: counts ten times as much as one in the body.
TITLE_WEIGHT = 10.0
BODY_WEIGHT = 1.0
SNIPPET_TOKENS = 24


def fts_term(term: Term) -> str:
    """An FTS5 string: every word quoted, so no character of the input is syntax; a term
    with variants matches any of its forms."""
    star = "*" if term.prefix else ""
    forms = ['"' + " ".join(w.replace('"', '""') for w in words) + '"' + star
             for words in term.forms]
    return forms[0] if len(forms) == 1 else "(" + " OR ".join(forms) + ")"


def fts_expression(terms: Sequence[Term], joiner: str = " AND ") -> str:
    return joiner.join(fts_term(t) for t in terms)


def _text(expression: str) -> str:
    """Limit an expression to the title and body (never the facet tokens)."""
    return f"{{{TEXT_COLUMNS}}} : ({expression})"


def fts_query(query: ParsedQuery, tags: Sequence[Sequence[str]] = ()) -> str:
    """The whole FTS5 query: the words, one token of every facet group, no excluded term."""
    parts = [_text(fts_expression(query.include))] if query.include else []
    parts += ["tags : (" + " OR ".join(f'"{token}"' for token in group) + ")"
              for group in tags]
    expression = " AND ".join(parts)
    if query.exclude:
        expression = f"({expression}) NOT {_text(fts_expression(query.exclude, ' OR '))}"
    return expression


def _match(expression: str) -> ColumnElement[bool]:
    return literal_column("search_fts").op("MATCH")(bindparam("fts_q", expression, unique=True))


def _id_list(ids: Sequence[int]) -> Any:
    """``SELECT value FROM json_each(:ids)``: the ids as one JSON parameter."""
    listed: Any = bindparam("ids", json.dumps([int(i) for i in ids]), unique=True)
    return select(column("value")).select_from(func.json_each(listed))


def _fts_rows(ids: Sequence[int]) -> list[ColumnElement[bool]]:
    """FTS rows with these ids, in one pass over their range: a plain ``rowid IN`` would
    make FTS5 run the match (and expand prefix terms) once per id."""
    return [FTS.c.rowid.between(min(ids), max(ids)),
            literal_column("+search_fts.rowid").in_(_id_list(ids))]


class SqliteBackend(SearchBackend):
    name = "sqlite"
    indexes_facets = True

    def matches(self, query: ParsedQuery,
                tags: Sequence[Sequence[str]] = ()) -> Select[tuple[int]]:
        return (select(FTS.c.rowid.label("id")).select_from(FTS)
                .where(_match(fts_query(query, tags))))

    def ranked(self, query: ParsedQuery, ids: Sequence[int]) -> Select[tuple[int, float]]:
        rank: Any = func.bm25(literal_column("search_fts"), TITLE_WEIGHT, BODY_WEIGHT, 0.0)
        return (select(FTS.c.rowid.label("id"), rank.label("rank")).select_from(FTS)
                .where(_match(_text(fts_expression(query.include))), *_fts_rows(ids)))

    def among(self, column: ColumnElement[Any], ids: Sequence[int]) -> ColumnElement[bool]:
        return column.in_(_id_list(ids))

    def excluded(self, terms: Sequence[Term]) -> ColumnElement[bool]:
        hits = select(FTS.c.rowid).where(_match(_text(fts_expression(terms, " OR "))))
        return SearchDocument.id.not_in(hits.scalar_subquery())

    def highlights(self, session: Session, query: ParsedQuery,
                   ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        if not ids or not query.include:
            return {}
        fts: ColumnElement[Any] = literal_column("search_fts")
        words = _text(fts_expression(query.include, " OR "))
        stmt = (select(FTS.c.rowid, func.highlight(fts, 0, MARK_START, MARK_END),
                       func.snippet(fts, 1, MARK_START, MARK_END, ELLIPSIS, SNIPPET_TOKENS))
                .select_from(FTS).where(_match(words), *_fts_rows(ids)))
        return {row[0]: (row[1] or "", row[2] or "") for row in session.execute(stmt)}

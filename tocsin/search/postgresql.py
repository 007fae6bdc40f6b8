"""PostgreSQL backend: the generated ``search_vector`` column (title A, body B),
``ts_rank_cd`` ranking and ``ts_headline`` snippets.

Every term becomes its own ``phraseto_tsquery``/``to_tsquery`` call with a
bound parameter, combined with ``&&`` and ``||``; prefix terms reach
``to_tsquery`` as word characters only, so user input is never tsquery syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Table,
    any_,
    bindparam,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, REGCONFIG
from sqlalchemy.orm import Session

from tocsin.search.base import ELLIPSIS, MARK_END, MARK_START, SearchBackend
from tocsin.search.query import ParsedQuery, Term
from tocsin.search.tables import SearchDocument

CONFIG = "english"
DOCS = cast(Table, SearchDocument.__table__)
#: The generated column created by the migration (not part of the ORM metadata).
VECTOR: ColumnElement[Any] = literal_column("search_documents.search_vector")
TITLE_OPTIONS = f'StartSel="{MARK_START}", StopSel="{MARK_END}", HighlightAll=true'
BODY_OPTIONS = (f'StartSel="{MARK_START}", StopSel="{MARK_END}", MaxWords=30, MinWords=12, '
                f'MaxFragments=2, FragmentDelimiter=" {ELLIPSIS} "')


def _config() -> Any:
    return literal(CONFIG, type_=REGCONFIG)


def _unaccented(text: str) -> Any:
    return func.tocsin_unaccent(bindparam("tsq", text, unique=True))


def _form_query(words: tuple[str, ...], prefix: bool) -> Any:
    if prefix:
        return func.to_tsquery(_config(), _unaccented(" <-> ".join(words) + ":*"))
    return func.phraseto_tsquery(_config(), _unaccented(" ".join(words)))


def tsquery(term: Term) -> Any:
    """A tsquery for one term (any of its forms), built from bound parameters only and
    unaccented like the indexed text."""
    combined = _form_query(term.words, term.prefix)
    for words in term.variants:
        combined = combined.op("||")(_form_query(words, term.prefix))
    return combined


def combine(terms: Sequence[Term], operator: str) -> Any:
    combined = tsquery(terms[0])
    for term in terms[1:]:
        combined = combined.op(operator)(tsquery(term))
    return combined


class PostgresqlBackend(SearchBackend):
    name = "postgresql"

    def matches(self, query: ParsedQuery,
                tags: Sequence[Sequence[str]] = ()) -> Select[tuple[int]]:
        if tags:
            raise ValueError("the PostgreSQL backend filters facets in SQL, not by tokens")
        condition: ColumnElement[bool] = VECTOR.op("@@")(combine(query.include, "&&"))
        if query.exclude:
            condition = condition & self.excluded(query.exclude)
        return select(DOCS.c.id.label("id")).where(condition)

    def ranked(self, query: ParsedQuery, ids: Sequence[int]) -> Select[tuple[int, float]]:
        rank = -func.ts_rank_cd(VECTOR, combine(query.include, "&&"))
        return select(DOCS.c.id.label("id"), rank.label("rank")).where(self.among(DOCS.c.id, ids))

    def among(self, column: ColumnElement[Any], ids: Sequence[int]) -> ColumnElement[bool]:
        listed = bindparam("ids", [int(i) for i in ids], type_=ARRAY(Integer), unique=True)
        return column == any_(listed)

    def excluded(self, terms: Sequence[Term]) -> ColumnElement[bool]:
        vector = VECTOR
        result: ColumnElement[bool] = ~vector.op("@@")(combine(terms, "||"))
        return result

    def highlights(self, session: Session, query: ParsedQuery,
                   ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        if not ids or not query.include:
            return {}
        tsq = combine(query.include, "||")
        stmt = select(
            DOCS.c.id,
            func.ts_headline(_config(), DOCS.c.title, tsq, TITLE_OPTIONS),
            func.ts_headline(_config(), DOCS.c.body, tsq, BODY_OPTIONS),
        ).where(DOCS.c.id.in_(list(ids)))
        return {row[0]: (row[1] or "", row[2] or "") for row in session.execute(stmt)}

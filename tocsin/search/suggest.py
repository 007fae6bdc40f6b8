""""Did you mean": for a query with no results, the closest spelling of each unknown word
among the words of the records the user may read."""

from __future__ import annotations

import re
from collections.abc import Collection

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.access.policy import read_clause
from tocsin.access.principal import Principal
from tocsin.search.query import ParsedQuery, Term
from tocsin.search.synonyms import groups
from tocsin.search.tables import SearchDocument

#: The newest readable documents whose words make the vocabulary, and how much of each
#: body is read: bounded time and memory whatever the size of the index.
DOCUMENTS = 5000
BODY_CHARS = 2000
MIN_SCORE = 75.0
_WORD = re.compile(r"[^\W\d_]{3,}")


def vocabulary(session: Session, principal: Principal) -> set[str]:
    """Words (three letters or more, lower case) of the documents the principal may read,
    and every form of the synonym list."""
    rows = session.execute(
        select(SearchDocument.title, func.substr(SearchDocument.body, 1, BODY_CHARS))
        .where(read_clause(SearchDocument, principal))
        .order_by(SearchDocument.id.desc()).limit(DOCUMENTS))
    words = {w for title, body in rows for w in _WORD.findall(f"{title} {body or ''}".lower())}
    words.update(w for form in groups() for w in form)
    return words


def _closest(word: str, words: Collection[str]) -> str:
    if word in words or len(word) < 3 or not word.isalpha():
        return word
    found = process.extractOne(word, words, scorer=fuzz.ratio, score_cutoff=MIN_SCORE)
    return str(found[0]) if found else word


def _text(term: Term, words: tuple[str, ...], negated: bool = False) -> str:
    text = " ".join(words)
    text = f'"{text}"' if len(words) > 1 else text
    return ("-" if negated else "") + text + ("*" if term.prefix else "")


def suggest(session: Session, principal: Principal, query: ParsedQuery) -> str | None:
    """The query with each word the records do not use replaced by the closest one they
    do, or ``None`` when no word changes."""
    if not query.include:
        return None
    words = vocabulary(session, principal)
    parts, changed = [], False
    for term in query.include:
        fixed = tuple(w if term.prefix else _closest(w, words) for w in term.words)
        changed = changed or fixed != term.words
        parts.append(_text(term, fixed))
    parts += [_text(term, term.words, negated=True) for term in query.exclude]
    return " ".join(parts) if changed else None

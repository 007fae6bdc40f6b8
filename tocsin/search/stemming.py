"""Russian words found in any of their forms, on every engine.

Both engines index Cyrillic text word by word but stem only English (FTS5's Porter
stemmer and PostgreSQL's ``english`` configuration leave other scripts as they are).
So a query word in Cyrillic is reduced to its stem with the Snowball Russian
stemmer and searched as a prefix: ``отмывания`` becomes ``отмыван*`` and finds
``отмывание``, ``отмыванием`` …; the index itself is unchanged.

Stems shorter than :data:`MIN_STEM` letters stay whole words (``дел*`` would also
find ``делегация``), and phrases are matched as typed. Known difference between the
engines: PostgreSQL's unaccented matching folds ``ё`` (yo) into its plain form, SQLite's does not.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from tocsin.search.query import ParsedQuery, Term

#: The shortest stem searched as a prefix.
MIN_STEM = 4
_CYRILLIC = re.compile(r"[\u0400-\u04ff]+")


@cache
def _russian() -> Any:
    import snowballstemmer  # type: ignore[import-untyped]

    return snowballstemmer.stemmer("russian")


def _stemmed(term: Term) -> Term:
    if term.prefix or term.variants or term.is_phrase:
        return term
    word = term.words[0]
    if not _CYRILLIC.fullmatch(word):
        return term
    stem = str(_russian().stemWord(word))
    if len(stem) < MIN_STEM or stem == word:
        return term
    return Term((stem,), prefix=True)


def stem(query: ParsedQuery) -> ParsedQuery:
    """The query with each single Cyrillic word searched by its stem."""
    return ParsedQuery(tuple(_stemmed(t) for t in query.include),
                       tuple(_stemmed(t) for t in query.exclude))

"""Parsing what a user types into the search box, safely.

Supported: words (all must match), ``"exact phrases"``, ``prefix*`` and
``-excluded`` words or phrases. Everything else is treated as text: a term is
reduced to its word characters before any backend sees it, so no input can
inject FTS5 or ``tsquery`` syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tocsin.errors import InputError
from tocsin.i18n import N_

MAX_QUERY_CHARS = 500
MAX_TERMS = 24
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Term:
    """One search term: a word, or several words that must appear together in order."""

    words: tuple[str, ...]
    prefix: bool = False
    #: Other forms that count as this term (synonyms, spelling variants), see
    #: :mod:`tocsin.search.synonyms`.
    variants: tuple[tuple[str, ...], ...] = ()

    @property
    def forms(self) -> tuple[tuple[str, ...], ...]:
        """The term's words and every variant."""
        return (self.words, *self.variants)

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1

    def __str__(self) -> str:
        text = " ".join(self.words)
        text = f'"{text}"' if self.is_phrase else text
        return text + ("*" if self.prefix else "")


@dataclass(frozen=True)
class ParsedQuery:
    include: tuple[Term, ...] = ()
    exclude: tuple[Term, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.include and not self.exclude

    @property
    def text(self) -> str:
        """The query as understood, e.g. ``money "shell company" launder* -crypto``."""
        return " ".join([*map(str, self.include), *(f"-{t}" for t in self.exclude)])

    def words(self) -> list[str]:
        return [w for t in self.include for w in t.words]


def parse_query(text: str | None) -> ParsedQuery:
    """Parse the search box; raises :class:`InputError` only for an over-long query."""
    text = (text or "").strip()
    if len(text) > MAX_QUERY_CHARS:
        raise InputError.single("q", N_("the query is %(count)s characters long; the limit is "
                                        "%(most)s", count=len(text), most=MAX_QUERY_CHARS))
    include: list[Term] = []
    exclude: list[Term] = []
    for match in _TOKEN.finditer(text):
        negated, phrase, bare = match.group(1), match.group(2), match.group(3)
        prefix = False
        if bare is not None:
            negated = "-" if bare.startswith("-") and len(bare) > 1 else ""
            bare = bare[1:] if negated else bare
            prefix = bare.endswith("*")
            phrase = bare
        words = tuple(_WORD.findall(phrase or ""))
        if not words:
            continue
        term = Term(tuple(w.lower() for w in words), prefix=prefix)
        target = exclude if negated else include
        if term not in target:
            target.append(term)
    if len(include) + len(exclude) > MAX_TERMS:
        raise InputError.single("q", N_("the query has %(count)s terms; the limit is %(most)s",
                                        count=len(include) + len(exclude), most=MAX_TERMS))
    return ParsedQuery(tuple(include), tuple(exclude))

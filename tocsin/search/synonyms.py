"""Synonyms and spelling variants held as data (``synonyms.yaml``): ``labour`` finds
``labor``, ``crypto`` finds ``cryptocurrency``.

:func:`expand` gives every term of a parsed query the other forms of its group as
variants; each backend matches a term when any of its forms matches (stemming and
unaccented matching apply to every form).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import yaml

from tocsin.search.query import ParsedQuery, Term

_WORD = re.compile(r"\w+")


@cache
def groups() -> dict[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """Each form (as a tuple of words) → every form of its group."""
    text = resources.files("tocsin.search").joinpath("synonyms.yaml").read_text("utf-8")
    data = yaml.safe_load(text) or {}
    found: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {}
    for number, group in enumerate(data.get("groups", []), start=1):
        if not isinstance(group, list) or len(group) < 2:
            raise ValueError(f"synonyms.yaml: group {number} needs two or more forms")
        forms = tuple(tuple(_WORD.findall(str(form).lower())) for form in group)
        for form in forms:
            if not form:
                raise ValueError(f"synonyms.yaml: group {number} has an empty form")
            found[form] = tuple(dict.fromkeys((*found.get(form, ()), *forms)))
    return found


def _expand(term: Term) -> Term:
    if term.variants:
        return term
    forms = groups().get(term.words)
    if not forms:
        return term
    return Term(term.words, term.prefix, tuple(f for f in forms if f != term.words))


def _join_phrases(terms: tuple[Term, ...]) -> list[Term]:
    """Consecutive plain words that spell a form of the list become one phrase term:
    ``virtual asset`` typed without quotes finds ``cryptocurrency``."""
    known = groups()
    longest = max((len(form) for form in known), default=1)
    joined: list[Term] = []
    i = 0
    while i < len(terms):
        for size in range(min(longest, len(terms) - i), 1, -1):
            run = terms[i:i + size]
            words = tuple(t.words[0] for t in run)
            if all(len(t.words) == 1 and not t.prefix for t in run) and words in known:
                joined.append(Term(words))
                i += size
                break
        else:
            joined.append(terms[i])
            i += 1
    return joined


def expand(query: ParsedQuery) -> ParsedQuery:
    """The query with the synonyms of each term, phrase or run of words."""
    return ParsedQuery(tuple(_expand(t) for t in _join_phrases(query.include)),
                       tuple(_expand(t) for t in query.exclude))

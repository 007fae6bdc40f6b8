"""Names of codes (crime areas, stages, countries) inside messages.

What is computed once and shown to readers in every language (the coherence analysis,
the lessons' explanations) reads names in English; a :class:`Name` keeps the code beside
that English text, so a message shows the name in the reader's language: the reference
data's ``names`` for crime areas and stages, CLDR's for countries, the catalogs' for the
platform's regions. A name none of them gives in that language stays as read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Self

from tocsin import i18n
from tocsin.i18n import N_

#: The platform's regions (:class:`tocsin.reference.schema.Region`), marked for the catalogs.
REGIONS = {str(name): name for name in (
    N_("Western Europe"), N_("Northern Europe"), N_("Central Europe"),
    N_("South-Eastern Europe"), N_("Eastern Europe"), N_("South Caucasus"),
    N_("Central Asia"), N_("North America"), N_("Mediterranean"), N_("Asia-Pacific"))}


class Name(i18n.Message):
    """A code's name as a value of a message: its text is the English name (what the
    JSON API, logs and comparisons see), shown it is in the language being rendered."""

    code: str

    def __new__(cls, code: str, english: str) -> Self:
        self = str.__new__(cls, str.__str__(english))  # the English text, never translated
        self.id, self.values, self.code = english, {}, code
        return self

    def translated(self, language: str | None = None) -> str:
        language = language or i18n.current()
        english = str.__str__(self)
        if language == i18n.DEFAULT or not self.code:
            return english
        return _name_in(self.code, english, language)

    def __reduce__(self) -> tuple[type[Name], tuple[str, str]]:  # type: ignore[override]
        return Name, (self.code, str.__str__(self))


def reference_name(kind: str, code: str) -> Name:
    """A code of a reference kind (``"crime area"``, ``"stage"``) named in English as the
    reference data names it, shown in the reader's language."""
    from tocsin import types

    with i18n.using(i18n.DEFAULT):
        return Name(code, str(types.get(kind).label(code)))


def _name_in(code: str, english: str, language: str) -> str:
    from tocsin import types

    with i18n.using(language):
        if len(code) == 2 and code.isalpha() and code.isupper():
            return i18n.country_name(code, english)
        for kind in ("crime area", "stage"):
            try:
                found = str(types.get(kind).label(code))
            except (KeyError, ValueError, LookupError):
                continue
            if found != code:
                return found
    region = REGIONS.get(english)
    return region.translated(language) if region is not None else english


class Names(Mapping[str, str]):
    """English names by code, each given as a :class:`Name`: what a page or a report
    written in any language reads its names from (``names.get(code, code)``)."""

    def __init__(self, english: Mapping[str, str]) -> None:
        self._english = english

    def __getitem__(self, code: str) -> Name:
        return Name(code, self._english[code])

    def get(self, code: str, default: object = None) -> object:  # type: ignore[override]
        if code in self._english:
            return Name(code, self._english[code])
        return Name(code, default) if isinstance(default, str) else default

    def __iter__(self) -> Iterator[str]:
        return iter(self._english)

    def __len__(self) -> int:
        return len(self._english)

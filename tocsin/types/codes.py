"""Country, currency and language codes from the ISO lists that ``pycountry`` ships.

The lists are read once per process, on first use (``pycountry`` loads its JSON lazily), so
importing this module stays cheap.
"""

from __future__ import annotations

from functools import cache

from tocsin.types.base import Choice, ValueType, text_of

#: Codes in wide use that ISO 3166-1 has not (yet) assigned: Kosovo's user-assigned code,
#: used by the European Union, SWIFT and IBANs.
EXTRA_COUNTRIES: dict[str, tuple[str, str]] = {"XK": ("XKX", "Kosovo")}


@cache
def _countries() -> tuple[dict[str, str], dict[str, str]]:
    """``({alpha-2: name}, {alpha-3: alpha-2})`` for every ISO 3166-1 country."""
    import pycountry

    names = {c.alpha_2: c.name for c in pycountry.countries}
    alpha3 = {c.alpha_3: c.alpha_2 for c in pycountry.countries}
    for code, (three, name) in EXTRA_COUNTRIES.items():
        names[code] = name
        alpha3[three] = code
    return names, alpha3


@cache
def _currencies() -> dict[str, str]:
    """``{code: name}`` for every ISO 4217 currency (funds and metals included)."""
    import pycountry

    return {c.alpha_3: c.name for c in pycountry.currencies}


@cache
def _languages() -> tuple[dict[str, str], dict[str, str]]:
    """``({code: name}, {alpha-3: code})``: ISO 639-1 where a language has it, else 639-3."""
    import pycountry

    names: dict[str, str] = {}
    alpha3: dict[str, str] = {}
    for lang in pycountry.languages:
        code = getattr(lang, "alpha_2", None) or lang.alpha_3
        names[code] = lang.name
        alpha3[lang.alpha_3] = code
        bibliographic = getattr(lang, "bibliographic", None)
        if bibliographic:
            alpha3[bibliographic] = code
    return names, alpha3


class CountryType(ValueType[str]):
    """An ISO 3166-1 country, stored as its alpha-2 code; alpha-3 and any case accepted."""

    name = "country"

    def clean(self, raw: object) -> str:
        text = text_of(raw).upper()
        names, alpha3 = _countries()
        if text in names:
            return text
        if text in alpha3:
            return alpha3[text]
        raise ValueError(f"{raw!r} is not an ISO 3166-1 country code (e.g. DE or DEU)")

    def label(self, value: str) -> str:
        return _countries()[0].get(value, value)

    def choices(self) -> list[Choice]:
        return sorted((Choice(code, name) for code, name in _countries()[0].items()),
                      key=lambda c: c.label)

    def codes(self) -> frozenset[str]:
        return frozenset(_countries()[0])


class CurrencyType(ValueType[str]):
    """An ISO 4217 currency code, stored upper case."""

    name = "currency"

    def clean(self, raw: object) -> str:
        text = text_of(raw).upper()
        if text in _currencies():
            return text
        raise ValueError(f"{raw!r} is not an ISO 4217 currency code (e.g. EUR)")

    def known(self, code: str) -> bool:
        """Whether an already upper-case code is one (a set lookup, for per-row checks)."""
        return code in _currencies()

    def label(self, value: str) -> str:
        return _currencies().get(value, value)

    def choices(self) -> list[Choice]:
        return [Choice(code, f"{code} — {name}") for code, name in sorted(_currencies().items())]

    def codes(self) -> frozenset[str]:
        return frozenset(_currencies())


class LanguageType(ValueType[str]):
    """A language: ISO 639-1 two-letter code where one exists (as IATI wants), else 639-3."""

    name = "language"

    def clean(self, raw: object) -> str:
        text = text_of(raw).lower()
        names, alpha3 = _languages()
        if text in names:
            return text
        if text in alpha3:
            return alpha3[text]
        raise ValueError(f"{raw!r} is not an ISO 639 language code (e.g. en or eng)")

    def label(self, value: str) -> str:
        return _languages()[0].get(value, value)

    def choices(self) -> list[Choice]:
        # the two-letter languages: the ~180 that people pick from; 639-3 has ~7,900
        return sorted((Choice(code, name) for code, name in _languages()[0].items()
                       if len(code) == 2), key=lambda c: c.label)

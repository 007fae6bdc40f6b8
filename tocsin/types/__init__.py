"""Shared value types, one registry for importers, forms, search facets and validation.

Each type cleans a raw value into its stored form (or says why it cannot), gives the label
people read, and lists its choices for facets and select lists::

    >>> from tocsin import types
    >>> types.country.clean("deu")
    'DE'
    >>> types.currency.label("EUR")
    'Euro'
    >>> types.get("crime area").clean("Drug_Trafficking")
    'drug_trafficking'

Units live in the database: :mod:`tocsin.types.units` resolves a unit code to its id (and
back) in one place. :mod:`tocsin.types.cells` holds the one rule that neutralises spreadsheet
formulas in every CSV and Excel export.
"""

from __future__ import annotations

from typing import Any

from tocsin.types.base import Choice, ValueType
from tocsin.types.codes import CountryType, CurrencyType, LanguageType
from tocsin.types.dates import DateType
from tocsin.types.framework import CrimeAreaType, HandlingType, StageType
from tocsin.types.units import UnitType

country = CountryType()
currency = CurrencyType()
language = LanguageType()
crime_area = CrimeAreaType()
stage = StageType()
handling = HandlingType()
unit = UnitType()
date = DateType()

#: Every type by its name (the word messages use).
REGISTRY: dict[str, ValueType[Any]] = {
    t.name: t for t in (country, currency, language, crime_area, stage, handling, unit, date)
}


def get(name: str) -> ValueType[Any]:
    """The type called ``name`` (``"country"``, ``"crime area"``, …)."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown value type {name!r}; known: {', '.join(REGISTRY)}") from None


__all__ = ["REGISTRY", "Choice", "ValueType", "country", "crime_area", "currency", "date",
           "get", "handling", "language", "stage", "unit"]

"""The shared value types: clean, label, choices, and the problems they report."""

from datetime import date, datetime

import pytest

from tocsin import types
from tocsin.errors import InputError, Problem
from tocsin.types.base import is_digits


@pytest.mark.parametrize(("raw", "clean"), [("DE", "DE"), ("de", "DE"), (" deu ", "DE"),
                                            ("XK", "XK"), ("XKX", "XK")])
def test_country_accepts_alpha2_and_alpha3(raw: str, clean: str) -> None:
    assert types.country.clean(raw) == clean


@pytest.mark.parametrize("raw", ["ZZ", "D", "", "GERMANY", 276])
def test_country_refuses_what_iso_does_not_list(raw: object) -> None:
    with pytest.raises(ValueError, match="not"):
        types.country.clean(raw)


def test_country_lists_every_iso_3166_country() -> None:
    choices = {c.value: c.label for c in types.country.choices()}
    assert len(choices) >= 249
    assert choices["MD"] == "Moldova, Republic of"
    assert types.country.label("AT") == "Austria"


def test_currency_is_the_iso_4217_list_not_three_letters() -> None:
    assert types.currency.clean("eur") == "EUR"
    assert types.currency.known("CHF")
    for fake in ("ABC", "XYZ", "EU", "EURO"):
        assert not types.currency.is_valid(fake)
    assert types.currency.label("GBP") == "Pound Sterling"
    assert types.currency.label("XBT") == "Bitcoin (crypto-asset)"
    assert types.currency.label("BGN") == "Bulgarian Lev (withdrawn 2026)"
    assert len(types.currency.choices()) > 150


def test_language_prefers_the_two_letter_code() -> None:
    assert types.language.clean("EN") == "en"
    assert types.language.clean("fra") == "fr"
    assert types.language.clean("fre") == "fr"  # bibliographic code
    assert types.language.label("de") == "German"
    assert not types.language.is_valid("xx")


def test_framework_types_follow_the_reference_data() -> None:
    assert types.crime_area.clean(" Drug_Trafficking ") == "drug_trafficking"
    assert types.crime_area.label("drug_trafficking") == "Drug trafficking"
    with pytest.raises(ValueError, match="unknown crime area 'smuggling_of_ice'"):
        types.crime_area.clean("smuggling_of_ice")
    stages = [c.value for c in types.stage.choices()]
    assert stages[0] == "prevention" and len(stages) == len(set(stages))
    assert types.stage.clean("Prevention") == "prevention"


def test_handling_accepts_the_tlp_prefix() -> None:
    assert types.handling.clean("tlp:amber+strict") == "AMBER+STRICT"
    assert [c.value for c in types.handling.choices()] == [
        "CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]
    assert not types.handling.is_valid("PURPLE")


def test_dates_are_iso() -> None:
    assert types.date.clean("2024-02-29") == date(2024, 2, 29)
    assert types.date.clean(datetime(2024, 1, 2, 3, 4)) == date(2024, 1, 2)
    for bad in ("2023-02-29", "29/02/2024", "20240229"):
        assert not types.date.is_valid(bad)


def test_check_and_require_name_the_location() -> None:
    problems: list[Problem] = []
    assert types.currency.check("ECU", "row 3: currency", problems) is None
    assert types.currency.check("usd", "row 4: currency", problems) == "USD"
    assert [p.location for p in problems] == ["row 3: currency"]
    assert "ISO 4217" in problems[0].reason
    with pytest.raises(InputError, match="country: 'QQ' is not an ISO 3166-1"):
        types.country.require("QQ", "country")


def test_registry_by_name() -> None:
    assert types.get("crime area") is types.crime_area
    assert set(types.REGISTRY) == {"country", "currency", "language", "crime area", "stage",
                                   "handling code", "unit", "date"}
    with pytest.raises(KeyError, match="unknown value type"):
        types.get("colour")


def test_digits_are_what_int_reads() -> None:
    # "²".isdigit() is True, and int("²") raises ValueError
    assert [is_digits(t) for t in ("2024", "0", "", None, "\u00b2", "\u0663", "1.5", "-1")] == [
        True, True, False, False, False, False, False, False]

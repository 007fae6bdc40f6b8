"""Dates, numbers, percentages, currencies and names in the language of the page."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from tocsin import i18n, types

NBSP = {"\u00a0", "\u202f"}  # CLDR groups digits with (narrow) no-break spaces


def _plain(text: str) -> str:
    return "".join(" " if c in NBSP else c for c in text)


@pytest.mark.parametrize(("language", "expected"), [
    ("en", ("2026-03-05", "1,234,567.89", "26%", "€1,234.50", "$1,234")),
    ("fr", ("5 mars 2026", "1 234 567,89", "26 %", "1 234,50 €", "1 234 $US")),
    ("ru", ("5 мар. 2026 г.", "1 234 567,89", "26 %", "1 234,50 €", "1 234 $")),  # noqa: RUF001
])
def test_values_are_written_the_local_way(language: str, expected: tuple[str, ...]) -> None:
    with i18n.using(language):
        got = (i18n.format_date(date(2026, 3, 5)), i18n.format_number(1234567.891, 2),
               i18n.format_percent(0.256), i18n.format_money(Decimal("1234.5"), "EUR"),
               i18n.format_money(1234.4, "usd", whole=True))
    assert tuple(_plain(g) for g in got) == expected


def test_empty_and_odd_values_do_not_fail() -> None:
    with i18n.using("fr"):
        assert i18n.format_date(None) == "" and i18n.format_number(None) == ""
        assert i18n.format_date("2026") == "2026"  # only a year: shown as it came
        assert i18n.format_date("2026-03-05T10:00:00+00:00") == "5 mars 2026"
        assert i18n.format_date(datetime(2026, 3, 5, 23, 0)) == "5 mars 2026"
        assert _plain(i18n.format_money(5, "XXX-NOT")) == "5,00 XXX-NOT"
        assert _plain(i18n.format_percent(0.25678, 1)) == "25,7 %"
        assert i18n.format_money(12.5) == "12,50"


def test_accept_language_is_negotiated_by_weight() -> None:
    assert i18n.negotiate("de-DE,de;q=0.9,fr-CA;q=0.8,en;q=0.5") == "fr"
    assert i18n.negotiate("en;q=0.1, ru") == "ru"
    assert i18n.negotiate("ru;q=0, fr;q=oops") is None  # q=0 refuses; a bad weight counts 0
    assert i18n.negotiate("") is None and i18n.negotiate("xx, yy") is None


def test_country_language_and_reference_names_follow_the_language() -> None:
    with i18n.using("en"):
        assert types.crime_area.label("money_laundering") == "Money laundering"
        assert types.country.label("DE") == "Germany"
    with i18n.using("ru"):
        assert types.crime_area.label("money_laundering") == "Отмывание денег"
        assert types.stage.label("asset_recovery") == "Возвращение активов"
        assert types.country.label("DE") == "Германия"
        assert types.language.label("fr") == "французский"
        assert types.crime_area.label("no_such_area") == "no_such_area"
    with i18n.using("fr"):
        assert types.crime_area.label("money_laundering") == "Blanchiment d\u2019argent"
        assert i18n.country_name("XK", "Kosovo") == "Kosovo"
        choices = types.crime_area.choices()
        assert ("money_laundering", "Blanchiment d\u2019argent") in [
            (c.value, c.label) for c in choices]


def test_a_day_inside_a_message_is_written_in_the_readers_language() -> None:
    import pickle

    due = i18n.N_("due %(deadline)s", deadline=i18n.Date(date(2027, 3, 5)))
    assert due == "due 05 Mar 2027"  # the English text: stored, logged, sent by the API
    assert i18n.Date(date(2027, 3, 5)).translated("fr") == "05 mars 2027"
    assert "мар" in i18n.Date(date(2027, 3, 5)).translated("ru")
    with i18n.using("fr"):
        assert "mars 2027" in str(due) and "Mar" not in str(due)
        kept = i18n.from_data(i18n.to_data(due))
        assert kept == "due 05 Mar 2027" and str(kept) == str(due)
        assert str(pickle.loads(pickle.dumps(due))) == str(due)


def test_a_name_inside_a_message_follows_the_reader() -> None:
    import pickle

    from tocsin.types.names import Name

    where = i18n.N_("%(area)s in %(place)s", area=Name("drug_trafficking", "Drug trafficking"),
                    place=Name("TJ", "Tajikistan"))
    assert where == "Drug trafficking in Tajikistan"  # English: as the records spell it
    assert where.translated("fr") == "Trafic de drogues \u2013 Tadjikistan"
    assert where.translated("ru") == "Незаконный оборот наркотиков \u2013 Таджикистан"
    assert Name("Atlantis", "Atlantis").translated("ru") == "Atlantis"  # unknown: as read
    assert pickle.loads(pickle.dumps(where)).translated("fr") == where.translated("fr")


def test_region_names_are_shown_in_the_readers_language() -> None:
    from tocsin.reference.schema import Region
    from tocsin.types.names import REGIONS, Name

    assert set(REGIONS) == {r.value for r in Region}  # every region is in the catalogs
    place = Name("Central Asia", "Central Asia")
    assert str.__str__(place) == "Central Asia"
    assert place.translated("ru") == "Центральная Азия"
    assert place.translated("fr") == "Asie centrale"


def test_sizes_in_the_readers_units_and_figures() -> None:
    shown = {}
    for language in ("en", "fr", "ru"):
        with i18n.using(language):
            shown[language] = [i18n.format_size(n) for n in (812, 1300, 1_153_434, 5 * 1024 ** 3)]
    assert shown["en"] == ["812 B", "1.3 KB", "1.1 MB", "5.0 GB"]
    assert shown["fr"] == ["812 o", "1,3 Ko", "1,1 Mo", "5,0 Go"]
    assert shown["ru"] == ["812 Б", "1,3 КБ", "1,1 МБ", "5,0 ГБ"]

"""Search finds what people mean, on both engines: stems, accents, synonyms held as data,
and "did you mean" for a query without results (offered only when it finds something)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.search.conftest import principal
from tocsin.search import synonyms
from tocsin.search.query import parse_query
from tocsin.search.service import SearchFilters, search
from tocsin.store.database import Database


def _titles(db: Database, query: str, role: str = "administrator",
            unit: str | None = None) -> tuple[list[str], str | None]:
    with db.transaction() as session:
        found = search(session, principal(session, role, unit), query,
                       SearchFilters(types=("activity",)))
        return sorted(h.title for h in found.hits), found.suggestion


@pytest.fixture
def records(platform_db: Database, make_activity: Callable[..., int]) -> Database:
    make_activity("Labour exploitation in Moldova", description="Forced labour on farms.")
    make_activity("Tracing cryptocurrency payments",
                  description="Blockchain analysis of ransom paid in bitcoin.")
    make_activity("Training of prosecutors in São Tomé", description="Asset recovery.")
    make_activity("Organised crime groups laundering money",
                  description="Launderers used shell companies.")
    return platform_db


def test_english_stems_match(records: Database) -> None:
    assert _titles(records, "launder")[0] == ["Organised crime groups laundering money"]
    assert _titles(records, "prosecutor")[0] == ["Training of prosecutors in São Tomé"]


def test_accents_do_not_matter(records: Database) -> None:
    assert _titles(records, "sao tome")[0] == ["Training of prosecutors in São Tomé"]
    assert _titles(records, "São Tomé")[0] == ["Training of prosecutors in São Tomé"]


def test_spelling_variants_and_synonyms_are_data(records: Database) -> None:
    assert _titles(records, "labor trafficking Moldova")[0] == []  # "trafficking" is not there
    assert _titles(records, "labor Moldova")[0] == ["Labour exploitation in Moldova"]
    assert _titles(records, "crypto")[0] == ["Tracing cryptocurrency payments"]
    assert _titles(records, "virtual asset")[0] == ["Tracing cryptocurrency payments"]
    assert _titles(records, "organized crime")[0] == ["Organised crime groups laundering money"]
    assert _titles(records, "organized -labor")[0] == ["Organised crime groups laundering money"]
    assert ("labour",) in synonyms.groups()[("labor",)]


def test_a_query_without_results_offers_a_respelling_that_finds_something(
        records: Database) -> None:
    titles, suggestion = _titles(records, "cryptocurency paymnts")
    assert titles == [] and suggestion == "cryptocurrency payments"
    assert _titles(records, suggestion)[0] == ["Tracing cryptocurrency payments"]
    assert _titles(records, "moldova")[1] is None  # results: no suggestion
    assert _titles(records, "zzzzqqq")[1] is None  # nothing close: no suggestion


def test_suggestions_come_only_from_records_the_user_may_read(
        platform_db: Database, make_activity: Callable[..., int]) -> None:
    make_activity("Undercover operation Nightingale", handling="RED", unit="tntd-spmu")
    assert _titles(platform_db, "nightingal", "administrator")[1] == "nightingale"
    assert _titles(platform_db, "nightingal", "analyst", "oceea")[1] is None


def test_synonym_forms_are_part_of_the_understood_query() -> None:
    term = synonyms.expand(parse_query("labour")).include[0]
    assert term.words == ("labour",) and term.variants == (("labor",),)
    phrase = synonyms.expand(parse_query('"money laundering"')).include[0]
    assert ("aml",) in phrase.variants


@pytest.fixture
def russian(platform_db: Database, make_activity: Callable[..., int]) -> Database:
    make_activity("Противодействие отмыванию денег в Центральной Азии",
                  description="Обучение финансовых следователей.")
    make_activity("Торговля людьми: защита жертв",
                  description="Помощь жертвам торговли людьми.")
    make_activity("Делегация прокуроров", description="Визит делегации.")
    return platform_db


def test_a_russian_query_finds_russian_records_in_other_forms(russian: Database) -> None:
    laundering = ["Противодействие отмыванию денег в Центральной Азии"]
    assert _titles(russian, "отмывание")[0] == laundering  # indexed: отмыванию
    assert _titles(russian, "отмывания денег")[0] == laundering
    assert _titles(russian, "финансовый следователь")[0] == laundering
    assert _titles(russian, "торговли")[0] == ["Торговля людьми: защита жертв"]
    assert _titles(russian, "жертва -торговля")[0] == []
    # a short stem stays a whole word: "дело" does not find "делегация"
    assert _titles(russian, "дело")[0] == []
    assert _titles(russian, "делегация")[0] == ["Делегация прокуроров"]


def test_russian_words_are_searched_by_their_stem() -> None:
    from tocsin.search.stemming import stem

    understood = stem(parse_query('отмывания "торговля людьми" дело money')).text
    assert understood == 'отмыван* "торговля людьми" дело money'

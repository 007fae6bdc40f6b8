"""Query parsing, ranking, phrases, prefixes, exclusions, facets and snippets."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.search.conftest import principal, sqlite_only
from tocsin.errors import InputError
from tocsin.search import SearchFilters, parse_query, search
from tocsin.search.base import marked_html
from tocsin.search.sqlite import fts_expression
from tocsin.store.database import Database

ACTIVITIES = SearchFilters(types=("activity",))


def test_parser_understands_phrases_prefixes_and_exclusions() -> None:
    parsed = parse_query('"shell company" launder* -crypto -"dark web" AML/CFT')
    assert parsed.text == '"shell company" launder* "aml cft" -crypto -"dark web"'
    assert fts_expression(parsed.include) == '"shell company" AND "launder"* AND "aml cft"'


def test_parser_drops_syntax_and_limits_length() -> None:
    assert parse_query('NEAR( ^ : ") OR * -').text == "near or"
    assert parse_query("").is_empty
    with pytest.raises(InputError):
        parse_query("x" * 501)


def test_snippet_html_is_escaped_before_marking() -> None:
    assert marked_html("<b>\x02tax\x03</b> & co") == "&lt;b&gt;<mark>tax</mark>&lt;/b&gt; &amp; co"


@pytest.fixture
def corpus(make_activity: Callable[..., int]) -> None:
    make_activity("Shell company registries", description="Beneficial ownership of a shell "
                  "company used to launder proceeds.", crime_areas=("money_laundering",),
                  countries=("AL",), planned_start=None)
    make_activity("Company law reform", description="The shell of the building; "
                  "company officers trained.", crime_areas=("corruption",), countries=("RS",))
    make_activity("Cryptocurrency tracing", description="Laundering through crypto "
                  "exchanges <script>alert(1)</script>", crime_areas=("money_laundering",),
                  countries=("AL",))


def _titles(db: Database, query: str, filters: SearchFilters = ACTIVITIES) -> list[str]:
    with db.transaction() as session:
        admin = principal(session, "administrator", None)
        return [h.title for h in search(session, admin, query, filters).hits]


@pytest.mark.usefixtures("corpus")
def test_phrase_prefix_and_exclusion(platform_db: Database) -> None:
    assert _titles(platform_db, '"shell company"') == ["Shell company registries"]
    assert set(_titles(platform_db, "shell company")) == {"Shell company registries",
                                                          "Company law reform"}
    assert set(_titles(platform_db, "launder*")) == {"Shell company registries",
                                                     "Cryptocurrency tracing"}
    assert _titles(platform_db, "launder* -crypto") == ["Shell company registries"]
    assert set(_titles(platform_db, "-crypto")) == {"Shell company registries",
                                                    "Company law reform"}


@pytest.mark.usefixtures("corpus")
def test_title_matches_rank_first(platform_db: Database) -> None:
    assert _titles(platform_db, "registries")[0] == "Shell company registries"
    assert _titles(platform_db, "company")[0] in {"Shell company registries",
                                                  "Company law reform"}


@pytest.mark.usefixtures("corpus")
def test_facets_count_the_filtered_result_set(platform_db: Database) -> None:
    with platform_db.transaction() as session:
        admin = principal(session, "administrator", None)
        results = search(session, admin, "launder*", SearchFilters(
            types=("activity",), countries=("AL",)))
        assert results.total == 2
        areas = {v.value: v.count for v in results.facets["crime_area"]}
        assert areas == {"money_laundering": 2}
        assert [v.label for v in results.facets["crime_area"]] == ["Money laundering"]
        countries = results.facets["country"]
        assert [(v.value, v.count, v.selected) for v in countries] == [("AL", 2, True)]
        only = search(session, admin, "", SearchFilters(types=("activity",),
                                                        crime_areas=("corruption",)))
        assert [h.title for h in only.hits] == ["Company law reform"]


@pytest.mark.usefixtures("corpus")
def test_snippets_mark_matches_and_escape_text(platform_db: Database) -> None:
    with platform_db.transaction() as session:
        admin = principal(session, "administrator", None)
        hit = search(session, admin, "exchanges", ACTIVITIES).hits[0]
    assert "<mark>exchanges</mark>" in hit.snippet_html
    # the text is escaped (SQLite) or the tag dropped by ts_headline (PostgreSQL)
    assert "<script" not in hit.snippet_html and "alert" not in hit.title_html


@sqlite_only
@pytest.mark.usefixtures("corpus")
def test_paging(platform_db: Database) -> None:
    with platform_db.transaction() as session:
        admin = principal(session, "administrator", None)
        first = search(session, admin, "", ACTIVITIES, page=1, size=2)
        second = search(session, admin, "", ACTIVITIES, page=2, size=2)
        assert first.total == 3 and first.pages == 2
        assert len(first.hits) == 2 and len(second.hits) == 1
        with pytest.raises(InputError):
            search(session, admin, "", page=0)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list('ab "*-():^+NEAROT\'\\{}[]é_.')), max_size=40))
def test_no_input_breaks_the_query(platform_db: Database, text: str) -> None:
    with platform_db.transaction() as session:
        admin = principal(session, "administrator", None)
        search(session, admin, text, audit_reads=False)

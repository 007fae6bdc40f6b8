"""The programme form's repeatable rows on the server: regions with their vocabulary,
results with their indicators, and problems shown at the row they concern."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from tests.factories import create_user, login
from tests.taskforce.programmes.factory import QUALITATIVE, spec
from tocsin.access.principal import Principal
from tocsin.errors import Problem
from tocsin.reference.registry import load_registry
from tocsin.store.database import Database
from tocsin.taskforce.programmes import forms, records
from tocsin.taskforce.programmes.check import check_activity, region_name
from tocsin.taskforce.programmes.spec import RegionSpec, ShareSpec
from tocsin.taskforce.programmes.vocabulary import Vocabulary
from tocsin.taskforce.tabular.columns import CellError, format_regions, parse_regions

FORM = {"identifier": "XM-OSCE-ROWS-1", "level": "programme", "title": "Rows programme",
        "status": "2", "planned_start": "2025-01-01", "reporting_org_ref": "XM-OSCE",
        "implementing_structure": "tntd-spmu", "countries": "AL:50;RS:30",
        "regions": "89:20;2:150:20", "crime_areas": "money_laundering",
        "budget": "2025:EUR:1000"}


# --- regions in the compact syntax ------------------------------------------------------

def test_regions_read_and_write_every_vocabulary() -> None:
    regions = parse_regions("89:20; 2:150:20 ;99:OWN\\:7:;380")
    assert [(r.vocabulary, r.code, r.percentage) for r in regions] == [
        ("1", "89", Decimal("20")), ("2", "150", Decimal("20")), ("99", "OWN:7", None),
        ("1", "380", None)]
    assert format_regions(regions) == "89:20;2:150:20;99:OWN\\:7:;380"
    assert parse_regions(format_regions(regions)) == regions


@pytest.mark.parametrize(("text", "reason"), [
    ("1:89:20:5", "more than two ':'"),
    ("x:150:20", "region vocabulary 'x' in 'x:150:20' is not a number"),
    ("89:lots", "percentage of region 89 'lots' is not a number"),
])
def test_bad_region_cells_say_why(text: str, reason: str) -> None:
    with pytest.raises(CellError, match=re.escape(reason)):
        parse_regions(text)


def test_region_codes_are_checked_against_their_vocabulary() -> None:
    vocab = Vocabulary.from_registry(load_registry())
    activity = spec(countries=[], regions=[
        RegionSpec(vocabulary="1", code="380"),     # West Indies: in the IATI list
        RegionSpec(vocabulary="2", code="150"),     # UN M49 Europe
        RegionSpec(vocabulary="2", code="89"),      # a DAC code is not an M49 code
        RegionSpec(vocabulary="7", code="1"),
        RegionSpec(vocabulary="99", code="X" * 41),
    ])
    issues = {i.field: i.reason for i in check_activity(activity, vocab)}
    assert issues == {
        "regions[2].code": "'89' is not an UN M49 region code",
        "regions[3].vocabulary": "region vocabulary '7' is not one of 1 (OECD-DAC), "
                                 "2 (UN M49), 99 (reporting organisation's own)",
        "regions[4].code": "a region code has at most 40 characters",
    }
    assert region_name("1", "89") == "Europe, regional"
    assert region_name("2", "150") == "Europe"
    assert region_name("99", "150") is None


def test_countries_and_each_region_vocabulary_share_one_hundred() -> None:
    vocab = Vocabulary.from_registry(load_registry())
    activity = spec(countries=[ShareSpec(code="AL", percentage=Decimal("60"))], regions=[
        RegionSpec(vocabulary="1", code="89", percentage=Decimal("40")),
        RegionSpec(vocabulary="2", code="150", percentage=Decimal("50"))])
    issues = [(i.field, i.reason) for i in check_activity(activity, vocab)]
    assert issues == [("countries", "recipient countries with the regions of vocabulary 2 "
                                    "add up to 110%, more than 100%")]


# --- results and indicators from numbered fields ----------------------------------------

def test_result_rows_follow_their_numbers_and_drop_blank_rows() -> None:
    form = {
        "result-5-title": "Second", "result-5-type": "2",
        "result-5-indicator-3-title": "B2", "result-5-indicator-0-title": "B1",
        "result-0-title": "First", "result-0-indicator-0-title": "A1",
        "result-0-indicator-1-measure": "2",            # only a choice: a blank row
        "result-2-type": "1", "result-2-indicator-0-measure": "1",  # a blank result
        "result-x-title": "ignored", "title": "the activity's own",
    }
    rows = forms.result_rows(form)
    assert [(r.values.get("title"), [i.get("title") for i in r.indicators]) for r in rows] == [
        ("First", ["A1"]), ("Second", ["B1", "B2"])]


def test_results_typed_with_periods_and_problems_named_by_row() -> None:
    rows = [forms.ResultRow({"type": "2", "title": "Assets frozen",
                             "aggregation_status": "yes"}, [
        {"title": "Value frozen", "measure": "3", "ascending": "yes", "baseline_year": "2024",
         "baseline_value": "0", "period_start": "2025-01-01", "period_end": "2025-12-31",
         "target": "1000000", "actual": ""},
        {"title": "Cases", "measure": "7", "baseline_year": "24", "target": "5"}]),
        forms.ResultRow({"type": "4", "title": "Other"}, [
            {"title": "Half a period", "period_start": "2025-01-01", "period_end": "soon"}])]
    results, problems = forms.results_from_rows(rows)
    first = results[0]
    assert (first.type, first.aggregation_status) == (2, True)
    assert first.indicators[0].model_dump(exclude={"description"}) == {
        "title": "Value frozen", "measure": 3, "ascending": True, "baseline_year": 2024,
        "baseline_value": "0", "periods": [{"start": date(2025, 1, 1),
                                            "end": date(2025, 12, 31),
                                            "target": "1000000", "actual": None}]}
    assert [(p.location, p.reason) for p in problems] == [
        ("results[0].indicators[1].measure", "'7' is not an indicator measure; choose unit "
         "(1), percentage (2), nominal (3), ordinal (4), qualitative (5)"),
        ("results[0].indicators[1].baseline_year", "'24' is not a year such as 2025"),
        ("results[0].indicators[1].period_start",
         "a target or actual value needs the period's start and end"),
        ("results[1].type", "'4' is not a result type; choose output (1), outcome (2), "
         "impact (3), other (9)"),
        ("results[1].indicators[0].period_end", "'soon' is not a date (YYYY-MM-DD)"),
    ]
    assert forms.place_of("activity 'X': results[1].indicators[0].period_end") == (
        1, 0, "period_end")
    assert forms.place_of("activity 'X': results[3].title") == (3, None, "title")
    assert forms.place_of("field countries") is None


def test_a_period_with_one_date_names_the_missing_one() -> None:
    _, problems = forms.results_from_rows([forms.ResultRow({"title": "R"}, [
        {"title": "I", "period_end": "2025-12-31"}])])
    assert problems == [Problem("results[0].indicators[0].period_start",
                                "a period needs both its start and its end")]


# --- the form over HTTP, on every backend -----------------------------------------------

def test_form_creates_regions_and_several_results_with_indicators(
        tf_client: TestClient, tf_db: Database) -> None:
    username, _ = create_user(tf_db, "coordinator", "tntd-spmu")
    token = login(tf_client, username)
    created = tf_client.post("/programmes", data={
        **FORM, "csrf_token": token,
        "result-0-type": "1", "result-0-title": "Investigators trained",
        "result-0-indicator-0-title": "Investigators trained", "result-0-indicator-0-measure": "1",
        "result-0-indicator-0-baseline_year": "2024", "result-0-indicator-0-baseline_value": "0",
        "result-0-indicator-0-period_start": "2025-01-01",
        "result-0-indicator-0-period_end": "2025-12-31", "result-0-indicator-0-target": "40",
        "result-0-indicator-2-title": "Courses held", "result-0-indicator-2-measure": "1",
        "result-3-type": "2", "result-3-title": "Assets frozen",
        "result-3-indicator-0-title": "Share of requests answered",
        "result-3-indicator-0-measure": "2", "result-3-indicator-0-ascending": "yes",
    }, follow_redirects=False)
    assert created.status_code == 303, created.text
    page = tf_client.get(created.headers["location"]).text
    assert "Europe, regional" in page and "UN M49 150" in page
    with tf_db.transaction() as s:
        activity = records.get_by_identifier(s, Principal.system(), "XM-OSCE-ROWS-1")
        assert [(r.vocabulary, r.code, r.percentage) for r in activity.regions] == [
            ("1", "89", Decimal("20")), ("2", "150", Decimal("20"))]
        assert [(r.type, r.title, [(i.title, i.measure, i.ascending) for i in r.indicators])
                for r in activity.results] == [
            (1, "Investigators trained", [("Investigators trained", 1, None),
                                          ("Courses held", 1, None)]),
            (2, "Assets frozen", [("Share of requests answered", 2, True)])]
        period = activity.results[0].indicators[0].periods[0]
        assert (period.period_start, period.target_value) == (date(2025, 1, 1), "40")
    # the edit form keeps each region's vocabulary
    edit = tf_client.get(f"{created.headers['location']}/edit").text
    assert 'value="89:20;2:150:20"' in edit


def test_rejected_form_comes_back_with_each_problem_at_its_row(
        tf_client: TestClient, tf_db: Database) -> None:
    username, _ = create_user(tf_db, "coordinator", "tntd-spmu")
    token = login(tf_client, username)
    answer = tf_client.post("/programmes", data={
        **FORM, "csrf_token": token, "regions": "89:20;2:89:20",
        "result-0-title": "Fine result", "result-0-indicator-0-title": "Fine indicator",
        "result-1-title": "Result without indicator",
        "result-2-title": "Third", "result-2-indicator-0-title": "Bad year",
        "result-2-indicator-0-baseline_year": "twenty",
    })
    assert answer.status_code == 422
    html = answer.text
    assert "Nothing was saved: 1 problem<" in html  # parsing stops before the rules
    third = _fieldset(html, 'data-result="2"')
    assert "baseline year: &#39;twenty&#39; is not a year such as 2025" in third
    assert 'value="Bad year"' in third and 'value="twenty"' in third
    # the typed values are all kept; once the cell syntax is right the rules speak
    assert 'value="Result without indicator"' in html
    again = tf_client.post("/programmes", data={
        **FORM, "csrf_token": token, "regions": "89:20;2:89:20",
        "result-0-title": "Fine result", "result-0-indicator-0-title": "Fine indicator",
        "result-1-title": "Result without indicator"})
    assert again.status_code == 422
    second = _fieldset(again.text, 'data-result="1"')
    assert "a result needs at least one indicator (IATI 2.03)" in second
    assert "a result needs at least one indicator" not in _fieldset(again.text,
                                                                     'data-result="0"')
    assert "&#39;89&#39; is not an UN M49 region code" in _region_fieldset(again.text)
    with tf_db.transaction() as s:
        assert records.list_activities(s, Principal.system()) == []


def test_new_record_below_a_parent_gets_a_free_identifier(
        tf_client: TestClient, tf_db: Database) -> None:
    username, _ = create_user(tf_db, "coordinator", "tntd-spmu")
    token = login(tf_client, username)
    for identifier, parent in (("XM-OSCE-P", ""), ("XM-OSCE-P-01", "XM-OSCE-P")):
        made = tf_client.post("/programmes", data={
            **FORM, "identifier": identifier, "parent_identifier": parent,
            "level": "project" if parent else "programme", "csrf_token": token},
            follow_redirects=False)
        assert made.status_code == 303, made.text
    form = tf_client.get("/programmes/new?parent=XM-OSCE-P&level=project").text
    assert 'name="identifier" value="XM-OSCE-P-02"' in form
    form = tf_client.get("/programmes/new?parent=XM-OSCE-UNKNOWN&level=project").text
    assert 'name="identifier" value=""' in form


def test_a_qualitative_value_of_500_characters_is_taken_and_shown_whole(
        tf_client: TestClient, tf_db: Database) -> None:
    # a result's values were held in 100 characters: "target has 500 characters; at most
    # 100 are allowed", in the new-programme form and in the record page's result form alike
    username, _ = create_user(tf_db, "coordinator", "tntd-spmu")
    token = login(tf_client, username)
    indicator = "result-0-indicator-0-"
    form = tf_client.get("/programmes/new").text
    for name in ("baseline_value", "target", "actual"):  # one line grows to a paragraph
        assert (f'<textarea name="{indicator}{name}" rows="1" maxlength="20000" '
                'class="result-value">') in form
    baseline = ("No joint investigation team in the region; requests for financial information "
                "between the asset-recovery offices answered in four months on average, when "
                "at all.")
    actual = ("Two joint investigation teams agreed, one of them used in a case of laundering "
              "through casinos; requests answered in six weeks on average.")
    created = tf_client.post("/programmes", data={
        **FORM, "csrf_token": token, "result-0-type": "2",
        "result-0-title": "Proceeds traced across borders",
        f"{indicator}title": "Co-operation in practice", f"{indicator}measure": "5",
        f"{indicator}baseline_year": "2024", f"{indicator}baseline_value": baseline,
        f"{indicator}period_start": "2025-01-01", f"{indicator}period_end": "2025-12-31",
        f"{indicator}target": QUALITATIVE, f"{indicator}actual": actual},
        follow_redirects=False)
    assert created.status_code == 303, created.text
    page_url = created.headers["location"]
    added = tf_client.post(f"{page_url}/results", data={
        "type": "1", "title": "Requests answered", "indicator": "Answer in practice",
        "measure": "5", "baseline_year": "2024", "baseline_value": baseline,
        "period_start": "2025-01-01", "period_end": "2025-12-31", "target": QUALITATIVE,
        "csrf_token": token}, follow_redirects=False)
    assert added.status_code == 303, added.text
    with tf_db.transaction() as s:
        activity = records.get_by_identifier(s, Principal.system(), FORM["identifier"])
        assert [(i.baseline_value, i.periods[0].target_value, i.periods[0].actual_value)
                for r in activity.results for i in r.indicators] == [
            (baseline, QUALITATIVE, actual), (baseline, QUALITATIVE, None)]
    # the record's page shows each in its cell of the results table, whole
    page = tf_client.get(page_url).text
    cells = re.findall(r'<td class="value">(.*?)</td>', page, re.S)
    assert cells == [f"{escape(baseline)} (2024)", escape(QUALITATIVE), escape(actual),
                     f"{escape(baseline)} (2024)", escape(QUALITATIVE), ""]
    for name in ("baseline_value", "target", "actual"):
        assert (f'<textarea name="{name}" rows="1" maxlength="20000" '
                'class="result-value"></textarea>') in page
    # more than the platform takes in any free text is refused at its row, typed text kept
    pasted = " ".join([QUALITATIVE] * 41)
    refused = tf_client.post("/programmes", data={
        **FORM, "csrf_token": token, "identifier": "XM-OSCE-ROWS-2",
        "result-0-title": "Proceeds traced", f"{indicator}title": "Co-operation",
        f"{indicator}measure": "5", f"{indicator}period_start": "2025-01-01",
        f"{indicator}period_end": "2025-12-31", f"{indicator}target": pasted})
    assert refused.status_code == 422
    row = _fieldset(refused.text, 'data-result="0"')
    assert f"target has {len(pasted)} characters; at most 20000 are allowed" in row
    assert escape(pasted) in row


def _fieldset(html: str, marker: str) -> str:
    start = html.index(f'<fieldset class="result" {marker}')
    end = html.find('<fieldset class="result" ', start + 10)
    return html[start:end if end > 0 else html.index("</section>", start)]


def _region_fieldset(html: str) -> str:
    start = html.index('data-rows="regions"')
    return html[start:html.index("</fieldset>", start)]


def test_a_problem_in_the_folded_part_opens_it(tf_client: TestClient, tf_db: Database) -> None:
    username, _ = create_user(tf_db, "coordinator", "tntd-spmu")
    token = login(tf_client, username)
    answer = tf_client.post("/programmes", data={**FORM, "csrf_token": token,
                                                 "language": "klingon"})
    assert answer.status_code == 422
    assert '<details class="advanced" open>' in answer.text
    # the form's field, not the header's language switch (also named "language")
    language = answer.text.split('type="text" name="language"', 1)[1].split("</label>", 2)
    assert 'value="klingon" aria-invalid="true"' in language[0]
    assert "&#39;klingon&#39; is not an ISO 639-1 language code" in language[1]
    fine = tf_client.post("/programmes", data={**FORM, "csrf_token": token, "title": ""})
    assert fine.status_code == 422 and '<details class="advanced">' in fine.text


@pytest.mark.parametrize(("identifier", "reason"), [
    ("XM-OSCE-A B", None),  # IATI advises against spaces inside; it does not forbid them
    ("XM-OSCE-A\nB", "the identifier contains line breaks, tabs or other white space than "
                     "spaces"),
    ("XM-OSCE-A\u00a0B", "the identifier contains line breaks, tabs or other white space "
                         "than spaces"),
    (" XM-OSCE-A", "the identifier begins or ends with a space"),
    ("XM-OSCE-A ", "the identifier begins or ends with a space"),
])
def test_identifiers_hold_spaces_inside_and_no_other_white_space(
        identifier: str, reason: str | None) -> None:
    issues = {i.field: i.reason for i in check_activity(spec(identifier=identifier),
                                                        Vocabulary.from_registry(load_registry()))}
    assert issues.get("identifier") == reason

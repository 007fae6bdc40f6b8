"""An activity imported from an IATI file, edited in the platform and exported again.

Each group the platform lets a user edit (the reporting organisation, dates, structure
tag and parent, sectors, document links, results, budgets and transactions) is edited
through the services the pages use; the export carries the edit and keeps, as
published, what the platform does not hold of that group: other tags, sector
vocabularies and related activities, other languages, further categories, references,
dimensions, comments, the organisations and references of transactions. Planned
disbursements cannot be edited in the platform: they are written back as published.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy.orm import Session

from tests.factories import create_user, login
from tests.taskforce.iati.test_published_files import (
    GDI_HUB,
    QUINOA,
    QUINOA_ID,
    USAID_KI,
    USAID_KI_ID,
    WRAPPED,
    WRAPPED_ID,
    WRAPPED_TITLE,
    WRI_PLAN,
    WRI_PLAN_ID,
)
from tests.taskforce.iati.test_round_trip import RICH, _export, _import
from tocsin.access.principal import Principal
from tocsin.settings import Settings
from tocsin.store.database import Database
from tocsin.taskforce.iati.exchange import validate_export
from tocsin.taskforce.iati.schema import safe_parser, schema_errors
from tocsin.taskforce.programmes import documents, records
from tocsin.taskforce.programmes.spec import (
    ActivitySpec,
    IndicatorSpec,
    PeriodSpec,
    ResultSpec,
)
from tocsin.taskforce.programmes.tables import Activity
from tocsin.taskforce.programmes.vocabulary import Vocabulary
from tocsin.taskforce.tabular.columns import row_to_spec, spec_to_row

IDENTIFIER = "AA-AAA-123456789-ABC123"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CRIME_AREAS = "urn:tocsin:vocabulary:crime-areas"
STAGES = "urn:tocsin:vocabulary:justice-chain-stages"


def _activity(session: Session, identifier: str = IDENTIFIER) -> Activity:
    return records.get_by_identifier(session, Principal.system(), identifier)


def _spec(session: Session, identifier: str = IDENTIFIER) -> ActivitySpec:
    # as the pages read it: the parent only when it is in the platform
    activity = _activity(session, identifier)
    parents = records.parent_identifiers(session, [activity], Principal.system())
    return records.to_spec(activity, parents.get(activity.id))


def _in_form(session: Session, identifier: str = IDENTIFIER, **cells: str) -> None:
    """Change cells of the activity's form (the table's columns) and save it."""
    spec = _spec(session, identifier)
    row = spec_to_row(spec) | cells
    edited, errors = row_to_spec(row, Vocabulary.load(session).organizations)
    assert errors == [] and edited is not None
    # results and documents have their own forms and stay as they are
    edited.results, edited.documents = spec.results, spec.documents
    records.update_activity(session, Principal.system(), _activity(session, identifier).id,
                            edited)


def _save(session: Session, spec: ActivitySpec) -> None:
    records.update_activity(session, Principal.system(), _activity(session).id, spec)


def _exported(session: Session, identifier: str = IDENTIFIER) -> etree._Element:
    data = _export(session)
    root = etree.fromstring(data, safe_parser(remove_comments=True))
    assert schema_errors(root) == []
    found = next(a for a in root.iter("iati-activity") if a.findtext("iati-identifier")
                 == identifier)
    return found


def _texts(element: etree._Element | None) -> list[tuple[str | None, str | None]]:
    assert element is not None
    return [(n.get(XML_LANG), n.text) for n in element.iterchildren("narrative")]


# --- the activity form's other fields ----------------------------------------------------------


def test_the_forms_other_fields_keep_what_they_do_not_hold(session: Session) -> None:
    _import(session, RICH.read_bytes())
    _in_form(session, implementing_structure="cpc", planned_start="2022-05-01",
             reporting_org_name="Agency A, renamed")
    activity = _exported(session)
    reporting = activity.find("reporting-org")
    assert reporting is not None and reporting.get("secondary-reporter") == "0"
    assert _texts(reporting) == [(None, "Agency A, renamed"), ("fr", "Agence A")]
    start = activity.find("activity-date[@type='1']")
    assert start is not None and start.get("iso-date") == "2022-05-01"
    assert _texts(start) == [(None, "Planned start date of the activity")]
    tags = [(t.get("vocabulary"), t.get("vocabulary-uri"), t.get("code"), _texts(t))
            for t in activity.iterchildren("tag")]
    assert tags == [
        ("1", None, "1", [(None, "A description of the tag")]),
        ("2", None, "16.4", []),
        ("99", "http://example.com/vocab.html", "T1", [(None, "A tag of our own")]),
        ("99", "urn:tocsin:vocabulary:structures", "cpc", [(None, "Conflict Prevention Centre")])]
    # a structure removed in the platform is no longer tagged; the other tags stay
    _in_form(session, implementing_structure="")
    assert [t.get("code") for t in _exported(session).iterchildren("tag")] == [
        "1", "16.4", "T1"]


def test_a_new_parent_keeps_the_other_related_activities(session: Session) -> None:
    component = "AA-AAA-123456789-ABC124"
    data = RICH.read_bytes().replace(
        b'<related-activity ref="AA-AAA-123456789-ABC123" type="1"/>',
        b'<related-activity ref="AA-AAA-123456789-ABC123" type="1"/>\n'
        b'    <related-activity ref="ZZ-ZZZ-999-9" type="3"/>')
    _import(session, data)
    programme = _spec(session).model_copy(update={
        "identifier": "XM-OSCE-P1", "title": "Another programme", "results": [],
        "documents": [], "parent_identifier": None, "owner_unit": "cpc"})
    records.create_activity(session, Principal.system(), programme)
    _in_form(session, component, parent_identifier="XM-OSCE-P1")
    related = [(r.get("ref"), r.get("type"))
               for r in _exported(session, component).iterchildren("related-activity")]
    assert related == [("ZZ-ZZZ-999-9", "3"), ("XM-OSCE-P1", "1")]


# --- sectors ---------------------------------------------------------------------------------


def _sectors(activity: etree._Element) -> list[tuple[str | None, ...]]:
    return [(s.get("vocabulary"), s.get("vocabulary-uri"), s.get("code"), s.get("percentage"))
            for s in activity.iterchildren("sector")]


def test_edited_crime_areas_keep_the_other_vocabularies_as_published(session: Session) -> None:
    # the file's DAC codes read as crime areas (16063 drug trafficking, 15113 corruption)
    # and stages (15210 intelligence); vocabularies 2, 7 and the publisher's own 98 say
    # nothing the platform holds
    _import(session, RICH.read_bytes())
    assert [(c.code, c.percentage) for c in _spec(session).crime_areas] == [
        ("drug_trafficking", Decimal("62.5")), ("corruption", Decimal("37.5"))]
    _in_form(session, crime_areas="drug_trafficking:100")
    activity = _exported(session)
    assert _sectors(activity) == [
        # its crime area's whole share, of the 80 the DAC codes the platform does not
        # derive leave (15210, read as a stage only, keeps its 20)
        ("1", None, "16063", "80"),
        # 15113 went with corruption
        ("1", None, "15210", "20"),
        ("2", None, "152", "100"),
        ("7", None, "70111", "100"),
        ("98", "http://example.com/vocab.html", "1", "100"),
        # the platform's own vocabularies, in full: read again, they are the activity's
        # crime areas and stages (prevention was read from 15113 too)
        ("99", CRIME_AREAS, "drug_trafficking", "100"),
        ("98", STAGES, "prevention", "60"),
        ("98", STAGES, "intelligence", "40"),
    ]
    sectors = list(activity.iterchildren("sector"))
    assert _texts(sectors[0]) == [(None, "Narcotics control")]
    assert _texts(sectors[4]) == [(None, "A sector of our own")]
    # each vocabulary still adds up to 100, but 98, which the publisher's own codes and
    # the platform's stages share (IATI's rule groups by vocabulary, not by its URI)
    assert [str(p) for p in validate_export(etree.tostring(activity.getparent()))] == [
        "/iati-activities/iati-activity[1]/sector[5]: sector percentages of one vocabulary "
        "do not add up to 100 (vocabulary 98): 200"]
    # read back, the platform finds the edit and the stages it had
    _import(session, etree.tostring(activity.getparent()))  # updated in place
    assert [(c.code, c.percentage) for c in _spec(session).crime_areas] == [
        ("drug_trafficking", Decimal(100))]
    assert [s.code for s in _spec(session).stages] == ["prevention", "intelligence"]


def test_an_added_crime_area_takes_the_dac_code_the_publisher_gave(session: Session) -> None:
    # 15130 reads as a stage only (adjudication); the platform publishes organised
    # criminal groups under it: adding that crime area edits the published code
    data = RICH.read_bytes().replace(
        b'<sector vocabulary="1" code="15210" percentage="20"/>',
        b'<sector vocabulary="1" code="15130" percentage="20"><narrative>Legal and judicial '
        b'development</narrative></sector>')
    _import(session, data)
    _in_form(session, crime_areas="drug_trafficking:50;organized_criminal_group:50")
    activity = _exported(session)
    dac = [(s.get("code"), s.get("percentage"), _texts(s))
           for s in activity.iterchildren("sector") if s.get("vocabulary") == "1"]
    assert dac == [("16063", "50", [(None, "Narcotics control")]),
                   ("15130", "50", [(None, "Legal and judicial development")])]


def test_edited_stages_keep_their_other_languages_and_removed_ones_go(
        session: Session) -> None:
    # a file the platform wrote, translated by its publisher: the stages carry a
    # French name the platform does not hold
    data = RICH.read_bytes().replace(
        b'<sector vocabulary="2" code="152" percentage="100"/>',
        b'<sector vocabulary="2" code="152" percentage="100"/>\n'
        b'    <sector vocabulary="98" vocabulary-uri="urn:tocsin:vocabulary:justice-chain-stages"'
        b' code="prevention" percentage="70"><narrative>Prevention</narrative>'
        b'<narrative xml:lang="fr">Pr\xc3\xa9vention</narrative></sector>\n'
        b'    <sector vocabulary="98" vocabulary-uri="urn:tocsin:vocabulary:justice-chain-stages"'
        b' code="investigation" percentage="30"><narrative>Investigation</narrative></sector>')
    _import(session, data)
    assert [(s.code, s.percentage) for s in _spec(session).stages] == [
        ("prevention", 70), ("investigation", 30)]
    _in_form(session, stages="prevention:60;prosecution:40")
    activity = _exported(session)
    assert [(s.get("code"), s.get("percentage"), _texts(s)) for s in activity.iterchildren(
        "sector") if s.get("vocabulary-uri") == STAGES] == [
        ("prevention", "60", [(None, "Prevention"), ("fr", "Prévention")]),
        ("prosecution", "40", [(None, "Prosecution")])]
    # the DAC codes and the other vocabularies are as published: no crime area changed;
    # the crime areas read from the DAC codes follow, in the platform's vocabulary
    assert _sectors(activity) == [
        ("1", None, "16063", "50"), ("1", None, "15113", "30"), ("1", None, "15210", "20"),
        ("2", None, "152", "100"), ("98", STAGES, "prevention", "60"),
        ("7", None, "70111", "100"), ("98", "http://example.com/vocab.html", "1", "100"),
        ("99", CRIME_AREAS, "drug_trafficking", "62.5"),
        ("99", CRIME_AREAS, "corruption", "37.5"),
        ("98", STAGES, "prosecution", "40")]


# --- document links --------------------------------------------------------------------------


def test_an_edited_document_keeps_its_description_categories_and_languages(
        session: Session, settings: Settings) -> None:
    _import(session, RICH.read_bytes())
    spec = _spec(session)
    [report] = spec.documents
    _save(session, spec.model_copy(update={"documents": [report.model_copy(update={
        "title": "Project report 2023, revised", "category": "A07"})]}))
    documents.add_document(session, Principal.system(), settings, _activity(session).id,
                           "Evaluation", url="https://www.example.org/docs/evaluation.pdf",
                           category="A12")
    activity = _exported(session)
    links = list(activity.iterchildren("document-link"))
    assert [d.get("url") for d in links] == ["http://www.example.org/docs/report_en.odt",
                                             "https://www.example.org/docs/evaluation.pdf"]
    edited = links[0]
    assert edited.get("format") == "application/vnd.oasis.opendocument.text"
    assert _texts(edited.find("title")) == [(None, "Project report 2023, revised"),
                                            ("fr", "Rapport de projet 2023")]
    assert [c.tag for c in edited] == ["title", "description", "category", "category",
                                       "language", "language", "document-date"]
    assert [c.get("code") for c in edited.iterchildren("category")] == ["A07", "A12"]
    assert [c.get("code") for c in edited.iterchildren("language")] == ["en", "fr"]
    assert edited.findtext("description/narrative", "").startswith("Description of the "
                                                                   "content")
    assert [c.get("code") for c in links[1].iterchildren("category")] == ["A12"]
    assert validate_export(etree.tostring(activity.getparent())) == []
    # a document removed in the platform is no longer published
    for document in _activity(session).documents:
        if document.url == "http://www.example.org/docs/report_en.odt":
            documents.remove_document(session, Principal.system(), document.id)
    activity = _exported(session)
    assert [d.get("url") for d in activity.iterchildren("document-link")] == [
        "https://www.example.org/docs/evaluation.pdf"]


# --- results ---------------------------------------------------------------------------------


def test_an_edited_result_keeps_its_references_dimensions_and_comments(
        session: Session) -> None:
    _import(session, RICH.read_bytes())
    spec = _spec(session)
    [result] = spec.results
    [indicator] = result.indicators
    [period] = indicator.periods
    edited = result.model_copy(update={
        "title": "Result title, revised",
        "indicators": [indicator.model_copy(update={
            "baseline_value": "12",
            "periods": [period.model_copy(update={"actual": "14"}),
                        PeriodSpec(start=date(2023, 4, 1), end=date(2023, 6, 30), target="12")],
        })]})
    # a result added the way the activity page adds one: appended to the others
    added = ResultSpec(type=2, title="Cases prosecuted", indicators=[
        IndicatorSpec(title="Convictions", baseline_year=2023, baseline_value="0")])
    _save(session, spec.model_copy(update={"results": [edited, added]}))
    activity = _exported(session)
    results = list(activity.iterchildren("result"))
    assert [(r.get("type"), r.findtext("title/narrative")) for r in results] == [
        ("1", "Result title, revised"), ("2", "Cases prosecuted")]
    first = results[0]
    assert [c.tag for c in first] == ["title", "description", "document-link", "reference",
                                      "indicator"]
    assert first.get("aggregation-status") == "1"
    ind = first.find("indicator")
    assert ind is not None
    assert ind.get("aggregation-status") == "1"  # not held by the platform
    assert ind.find("reference").get("code") == "3429"  # type: ignore[union-attr]
    baseline = ind.find("baseline")
    assert baseline is not None
    assert (baseline.get("year"), baseline.get("iso-date"), baseline.get("value")) == (
        "2022", "2022-01-01", "12")
    assert [c.tag for c in baseline] == ["location", "dimension", "document-link", "comment"]
    periods = list(ind.iterchildren("period"))
    assert [p.find("period-start").get("iso-date") for p in periods] == [  # type: ignore[union-attr]
        "2023-01-01", "2023-04-01"]
    actual = periods[0].find("actual")
    assert actual is not None and actual.get("value") == "14"
    assert [c.tag for c in actual] == ["location", "dimension", "comment", "document-link"]
    assert periods[0].find("target/comment/narrative").text == (  # type: ignore[union-attr]
        "Target comment text")
    assert [c.tag for c in periods[1]] == ["period-start", "period-end", "target"]
    assert validate_export(etree.tostring(activity.getparent())) == []
    # a result removed in the platform is no longer published, and the one in its
    # place takes nothing of it
    _save(session, _spec(session).model_copy(update={"results": [added]}))
    activity = _exported(session)
    assert [r.findtext("title/narrative") for r in activity.iterchildren("result")] == [
        "Cases prosecuted"]
    assert activity.find("result/reference") is None


# --- budgets and transactions ----------------------------------------------------------------


def _money(activity: etree._Element, tag: str) -> list[tuple[str | None, ...]]:
    out = []
    for element in activity.iterchildren(tag):
        value = element.find("value")
        assert value is not None
        when = (element.find("transaction-type").get("code"),  # type: ignore[union-attr]
                element.find("transaction-date").get("iso-date"),  # type: ignore[union-attr]
                ) if tag == "transaction" else (
                element.get("type"), element.find("period-start").get("iso-date"))  # type: ignore[union-attr]
        out.append((*when, value.get("currency"), value.text))
    return out


def test_edited_budgets_keep_what_the_platform_left_alone(session: Session) -> None:
    # the 2023 budget is a committed one, valued in December: neither is the platform's
    data = RICH.read_bytes().replace(b'<budget type="1" status="1">', b'<budget type="1" '
                                     b'status="2">').replace(
        b'value-date="2023-01-01">3000000<', b'value-date="2022-12-15">3000000<')
    _import(session, data)
    by_year = {f.year: f.amount for f in _spec(session).finance if f.kind == "budget"}
    assert by_year == {2023: Decimal("3000000"), 2024: Decimal("1130136.99"),
                       2025: Decimal("369863.01")}
    # 2023 edited (one budget of that year: edited in place), 2026 added
    _in_form(session, budget="2023:EUR:3500000;2024:EUR:1130136.99;2025:EUR:369863.01;"
                             "2026:EUR:100000")
    activity = _exported(session)
    assert _money(activity, "budget") == [
        ("1", "2023-01-01", "EUR", "3500000.00"),
        ("1", "2024-04-01", "EUR", "1200000"),  # the budgets over 2024-2025 as published
        ("2", "2024-04-01", "EUR", "1500000"),
        ("1", "2026-01-01", "EUR", "100000.00")]
    first = next(activity.iterchildren("budget"))
    assert first.get("status") == "2"
    assert first.find("value").get("value-date") == "2022-12-15"  # type: ignore[union-attr]
    # planned disbursements are not held by the platform: as published
    assert len(list(activity.iterchildren("planned-disbursement"))) == 2
    # 2024 edited: the original and the revised budget over 2024-2025 give way to the
    # platform's budget of each of those years
    _in_form(session, budget="2023:EUR:3500000;2024:EUR:1200000;2025:EUR:369863.01;"
                             "2026:EUR:100000")
    assert _money(_exported(session), "budget") == [
        ("1", "2023-01-01", "EUR", "3500000.00"),
        ("1", "2024-01-01", "EUR", "1200000.00"),
        ("1", "2025-01-01", "EUR", "369863.01"),
        ("1", "2026-01-01", "EUR", "100000.00")]
    # a year removed in the platform is no longer budgeted
    _in_form(session, budget="2024:EUR:1200000;2025:EUR:369863.01;2026:EUR:100000")
    assert [b[1] for b in _money(_exported(session), "budget")] == [
        "2024-01-01", "2025-01-01", "2026-01-01"]


def test_budgets_of_fiscal_years_give_way_to_the_years_and_keep_their_status(
        session: Session) -> None:
    # the World Resources Institute's six committed budgets (status 2) of fiscal years
    # from October: a year of the platform's view is covered by two of them, each of
    # which covers two years, so one edited year replaces them all by the platform's
    # budget of each year. They were all committed: so are the budgets that replace them
    # (they were written indicative, status 1, though the publisher committed every one)
    _import(session, WRI_PLAN.read_bytes())
    cell = spec_to_row(_spec(session, WRI_PLAN_ID))["budget"]
    assert "2026:USD:5000000.00" in cell
    _in_form(session, WRI_PLAN_ID, budget=cell.replace("2026:USD:5000000.00",
                                                       "2026:USD:6000000.00"))
    activity = _exported(session, WRI_PLAN_ID)
    budgets = list(activity.iterchildren("budget"))
    assert [(b.get("type"), b.get("status")) for b in budgets] == [("1", "2")] * 7
    assert _money(activity, "budget") == [
        ("1", "2022-01-01", "USD", "1260273.97"), ("1", "2023-01-01", "USD", "4996556.63"),
        ("1", "2024-01-01", "USD", "5003443.37"), ("1", "2025-01-01", "USD", "5000000.00"),
        ("1", "2026-01-01", "USD", "6000000.00"), ("1", "2027-01-01", "USD", "4996556.63"),
        ("1", "2028-01-01", "USD", "3743169.40")]
    # the planned disbursements of the fiscal years, not the platform's, stay as published
    assert [p.find("period-start").get("iso-date")
            for p in activity.iterchildren("planned-disbursement")] == [
        f"{year}-10-01" for year in range(2022, 2028)]
    assert validate_export(etree.tostring(activity.getparent())) == []
    # read back, the sums are the edited ones and the budgets committed
    _import(session, etree.tostring(activity.getparent()))
    assert spec_to_row(_spec(session, WRI_PLAN_ID))["budget"] == cell.replace(
        "2026:USD:5000000.00", "2026:USD:6000000.00")


def test_a_year_of_budgets_of_two_statuses_is_written_indicative(session: Session) -> None:
    # the first fiscal year's budget only indicative: 2022 (its alone) keeps that, 2023
    # (it and the committed next one) is written as the platform writes a budget,
    # indicative; the others stay committed
    data = WRI_PLAN.read_bytes().replace(b'<budget type="1" status="2">',
                                         b'<budget type="1" status="1">', 1)
    _import(session, data)
    cell = spec_to_row(_spec(session, WRI_PLAN_ID))["budget"]
    _in_form(session, WRI_PLAN_ID, budget=cell.replace("2026:USD:5000000.00",
                                                       "2026:USD:6000000.00"))
    budgets = list(_exported(session, WRI_PLAN_ID).iterchildren("budget"))
    assert [b.get("status") for b in budgets] == ["1", "1", "2", "2", "2", "2", "2"]


def _classes(transaction: etree._Element) -> list[tuple[str, str | None, str | None]]:
    return [(c.tag, c.get("vocabulary"), c.get("code")) for c in transaction
            if c.tag in ("sector", "recipient-country", "recipient-region")]


def test_a_transaction_the_platform_adds_is_classified_as_its_siblings(
        session: Session) -> None:
    # USAID puts its sectors (DAC and its own) and the country on every transaction and
    # none on the activity. The correction an edited year adds, and the transaction of a
    # year added, went out with neither: IATI's ruleset ("sectors go either on the
    # activity or on every transaction") then found in the export what the published
    # file does not have. They take those of the transaction they correct, or of the
    # latest one
    _import(session, USAID_KI.read_bytes())
    row = spec_to_row(_spec(session, USAID_KI_ID))
    assert row["expenditure"] == "2022:USD:10028.00;2023:USD:143779.00;2024:USD:195980.00"
    _in_form(session, USAID_KI_ID, expenditure="2022:USD:10028.00;2023:USD:150000.00;"
                                               "2024:USD:195980.00;2025:USD:1000.00")
    activity = _exported(session, USAID_KI_ID)
    transactions = list(activity.iterchildren("transaction"))
    usaid = [("sector", "1", "72050"), ("sector", "99", "7001"),
             ("recipient-country", None, "KI")]
    assert [_classes(t) for t in transactions] == [usaid] * 12
    assert _money(activity, "transaction")[-2:] == [
        ("4", "2025-01-01", "USD", "1000.00"), ("4", "2023-12-31", "USD", "6221.00")]
    assert validate_export(etree.tostring(activity.getparent())) == []


def test_a_new_default_currency_leaves_the_published_amounts_in_theirs(
        session: Session) -> None:
    # USAID gives no value a @currency: each is in the activity's default, USD. The
    # default changed to EUR in the platform went out with the values as they were, so
    # the export said every one of them was in euros (read back: 350,000 EUR committed).
    # The amounts that named no currency now name the one they were in
    _import(session, USAID_KI.read_bytes())
    before = spec_to_row(_spec(session, USAID_KI_ID))
    assert (before["default_currency"], before["commitments"]) == ("USD", "2022:USD:350000.00")
    _in_form(session, USAID_KI_ID, default_currency="EUR")
    activity = _exported(session, USAID_KI_ID)
    assert activity.get("default-currency") == "EUR"
    assert {t.find("value").get("currency")
            for t in activity.iterchildren("transaction")} == {"USD"}
    assert validate_export(etree.tostring(activity.getparent())) == []
    _import(session, etree.tostring(activity.getparent()))  # read back: the same sums
    again = spec_to_row(_spec(session, USAID_KI_ID))
    assert (again["default_currency"], again["commitments"], again["expenditure"]) == (
        "EUR", "2022:USD:350000.00", before["expenditure"])


def test_edited_transactions_keep_their_references_and_organisations(session: Session) -> None:
    # a second expenditure in 2023 in USD: that year's sum is made of two transactions
    data = RICH.read_bytes().replace(
        b'<transaction><transaction-type code="5"/>',
        b'<transaction ref="X-2"><transaction-type code="4"/><transaction-date '
        b'iso-date="2023-09-30"/><value currency="USD" value-date="2023-09-30">9999.90</value>'
        b'</transaction>\n    <transaction><transaction-type code="5"/>', 1)
    _import(session, data)
    assert {(f.kind, f.year, f.currency): f.amount for f in _spec(session).finance
            if f.kind != "budget"} == {
        ("commitment", 2022, "EUR"): Decimal("250000"),
        ("expenditure", 2023, "EUR"): Decimal("-1500.50"),
        ("expenditure", 2023, "USD"): Decimal("50000.00")}
    _in_form(session, commitments="2022:EUR:300000",
             expenditure="2023:EUR:-1500.50;2023:USD:60000;2024:EUR:7000")
    activity = _exported(session)
    money = _money(activity, "transaction")
    # every type the platform does not count stays, and the edited commitment keeps
    # its reference, date and receiver
    assert [m[0] for m in money] == ["1", "2", "3", "4", "4", *map(str, range(5, 14)),
                                     "4", "4"]
    assert money[1] == ("2", "2022-05-01", None, "300000.00")
    commitment = list(activity.iterchildren("transaction"))[1]
    assert commitment.get("ref") == "1235"
    assert _texts(commitment.find("receiver-org")) == [(None, "Agency D")]
    # the two transactions of 2023 in USD stay, one more carries the difference
    assert money[2] == ("3", "2023-02-01", "USD", "40000.10")
    assert money[4] == ("4", "2023-09-30", "USD", "9999.90")
    assert money[-2:] == [("4", "2024-01-01", "EUR", "7000.00"),
                          ("4", "2023-09-30", "USD", "10000.00")]
    first = next(activity.iterchildren("transaction"))
    assert _texts(first.find("description")) == [(None, "Transaction description text"),
                                                 ("fr", "Description de la transaction")]
    # read back, the platform's sums are the edited ones
    _import(session, etree.tostring(activity.getparent()))  # updated in place
    assert {(f.kind, f.year, f.currency): f.amount for f in _spec(session).finance
            if f.kind != "budget"} == {
        ("commitment", 2022, "EUR"): Decimal("300000"),
        ("expenditure", 2023, "EUR"): Decimal("-1500.50"),
        ("expenditure", 2023, "USD"): Decimal("60000.00"),
        ("expenditure", 2024, "EUR"): Decimal("7000")}
    # a commitment removed in the platform is no longer published
    _in_form(session, commitments="")
    assert "2" not in [m[0] for m in _money(_exported(session), "transaction")]



# --- through the pages -------------------------------------------------------------------------


def test_edits_on_the_pages_keep_what_was_published(tf_client: TestClient,
                                                   tf_db: Database) -> None:
    username, _ = create_user(tf_db, "analyst", "tntd-spmu")
    token = login(tf_client, username)
    imported = tf_client.post("/programmes/import", data={"kind": "iati", "csrf_token": token},
                              files={"file": ("rich.xml", RICH.read_bytes(), "application/xml")})
    assert imported.status_code == 200 and "2 created" in imported.text
    [ident] = [a["id"] for a in tf_client.get("/api/v1/programmes").json()
               if a["identifier"] == IDENTIFIER]
    spec = ActivitySpec.model_validate(tf_client.get(f"/api/v1/programmes/{ident}").json()["spec"])
    saved = tf_client.post(f"/programmes/{ident}", data={
        **spec_to_row(spec), "crime_areas": "drug_trafficking:100",
        "expenditure": "2023:EUR:-1500.50;2023:USD:45000", "csrf_token": token},
        follow_redirects=False)
    assert saved.status_code == 303, saved.text
    tf_client.post(f"/programmes/{ident}/results", data={
        "type": "2", "title": "Cases prosecuted", "indicator": "Convictions", "measure": "1",
        "csrf_token": token})
    tf_client.post(f"/programmes/{ident}/documents", data={
        "title": "Evaluation", "category": "A12", "csrf_token": token,
        "url": "https://www.example.org/docs/evaluation.pdf"})
    exported = tf_client.get("/programmes/export/iati")
    root = etree.fromstring(exported.content, safe_parser(remove_comments=True))
    assert schema_errors(root) == []
    activity = next(a for a in root.iter("iati-activity")
                    if a.findtext("iati-identifier") == IDENTIFIER)
    assert [s.get("code") for s in activity.iterchildren("sector")][:5] == [
        "16063", "15210", "152", "70111", "1"]
    spent = [t for t in activity.iterchildren("transaction")
             if t.find("transaction-type").get("code") == "3"]  # type: ignore[union-attr]
    assert [(t.find("transaction-date").get("iso-date"),  # type: ignore[union-attr]
             t.findtext("value")) for t in spent] == [("2023-02-01", "45000.00")]
    results = list(activity.iterchildren("result"))
    assert [r.findtext("title/narrative") for r in results] == ["Result title",
                                                                "Cases prosecuted"]
    assert results[0].find("reference") is not None
    links = list(activity.iterchildren("document-link"))
    assert [d.get("url") for d in links] == ["http://www.example.org/docs/report_en.odt",
                                             "https://www.example.org/docs/evaluation.pdf"]
    assert len(list(links[0].iterchildren("category"))) == 2


def test_a_wrapped_title_stays_as_published_through_an_edit_of_another_field(
        session: Session) -> None:
    # a title wrapped over two lines as some publishing tools write it; the form's title
    # field is one line, and a browser drops the line breaks of its value. The title was
    # held with the break, so saving the form with an actual end date changed it
    # ("through community        awareness") and the export replaced the published title
    _import(session, WRAPPED.read_bytes())
    row = spec_to_row(_spec(session, WRAPPED_ID))
    assert row["title"] == WRAPPED_TITLE
    _in_form(session, WRAPPED_ID, title=row["title"].replace("\n", ""), actual_end="2027-03-31")
    activity = _exported(session, WRAPPED_ID)
    assert _texts(activity.find("title")) == [("en", (
        "Reducing the trafficking of young people along the northern route, through community"
        "\n        awareness, legal aid and the registration of births, in two districts.\n"
        "      "))]
    end = activity.find("activity-date[@type='4']")
    assert end is not None and end.get("iso-date") == "2027-03-31"
    # a title edited in the platform is written, on one line
    _in_form(session, WRAPPED_ID, title="Safe migration through registered births")
    assert _texts(_exported(session, WRAPPED_ID).find("title")) == [
        ("en", "Safe migration through registered births")]


@pytest.mark.parametrize(("source", "identifier"), [
    (WRAPPED, WRAPPED_ID), (GDI_HUB, "GB-COH-11126312-Cluster1"),
    (QUINOA, QUINOA_ID)])
def test_a_page_save_as_a_browser_sends_it_keeps_the_published_texts(
        tf_client: TestClient, tf_db: Database, source: Path, identifier: str) -> None:
    # an activity with wrapped narratives (as some publishing tools write them), Quinoa's
    # as IATI Publisher wrote it (wrapped the same way, in French) and the first of the
    # Global Disability Innovation Hub's (AidStream's, whose descriptions
    # have a carriage return, &#13;, before their line breaks) edited on their page as a
    # browser sends the form: the title's line breaks dropped (a one-line field), the
    # description's sent as CRLF (a textarea). Each description was taken for edited and
    # written back with its line breaks changed (a carriage return added, or taken away)
    username, _ = create_user(tf_db, "analyst", "tntd-spmu")
    token = login(tf_client, username)
    published = source.read_bytes()
    imported = tf_client.post("/programmes/import", data={"kind": "iati", "csrf_token": token},
                              files={"file": (source.name, published, "application/xml")})
    assert imported.status_code == 200 and "created" in imported.text
    [ident] = [a["id"] for a in tf_client.get("/api/v1/programmes").json()
               if a["identifier"] == identifier]
    spec = ActivitySpec.model_validate(tf_client.get(f"/api/v1/programmes/{ident}").json()["spec"])
    row = spec_to_row(spec)
    assert "\n" in row["description"] and "\r" not in row["description"]
    end_date = (spec.actual_end or spec.planned_end or date(2020, 12, 31)).isoformat()
    saved = tf_client.post(f"/programmes/{ident}", data={
        **row, "title": row["title"].replace("\n", ""),
        "description": row["description"].replace("\n", "\r\n"),
        "actual_end": end_date, "csrf_token": token}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    exported = tf_client.get("/programmes/export/iati")
    root = etree.fromstring(exported.content, safe_parser(remove_comments=True))
    activity = next(a for a in root.iter("iati-activity")
                    if a.findtext("iati-identifier") == identifier)
    before = next(a for a in etree.fromstring(published, safe_parser(remove_comments=True))
                  .iter("iati-activity") if a.findtext("iati-identifier") == identifier)
    for path in ("title", "description"):
        assert [_texts(e) for e in activity.iterchildren(path)] == [
            _texts(e) for e in before.iterchildren(path)]
    end = activity.find("activity-date[@type='4']")
    assert end is not None and end.get("iso-date") == end_date

"""Elements the IATI schema accepts, in their smallest valid form: read, not refused.

Each was found by reading schema-valid minimal variants of every activity element (the
2.03 schema's own test: ``schema_errors`` is empty for each case here). What the platform
cannot hold (a participating organisation named by nothing, a second date of one type, a
document link without a URL or a title) is kept as published, written back on export,
and noted; what it still refuses, and why, is listed last.
"""

from __future__ import annotations

import io

import pytest
from lxml import etree
from sqlalchemy.orm import Session

from tests.taskforce.iati.test_published_files import _round_trip, _strings
from tests.taskforce.iati.test_round_trip import _import
from tocsin.access.principal import Principal
from tocsin.reference.registry import load_registry
from tocsin.taskforce.iati.reader import read_activities
from tocsin.taskforce.iati.schema import VERSIONS, schema_errors, schema_path
from tocsin.taskforce.programmes import records
from tocsin.taskforce.programmes.vocabulary import Vocabulary

VOCAB = Vocabulary.from_registry(load_registry())
ACTIVITY = "/iati-activities/iati-activity[1]"
#: Before and after the element under test, in the schema's order.
HEAD = ('<iati-identifier>XX-P-1</iati-identifier>'
        '<reporting-org ref="XX-P" type="40"><narrative>P</narrative></reporting-org>'
        '<title><narrative>T</narrative></title><description><narrative>D</narrative>'
        '</description><participating-org ref="XX-D" role="1"><narrative>D</narrative>'
        '</participating-org>')
MIDDLE = ('<activity-status code="2"/><activity-date type="1" iso-date="2024-01-01"/>'
          '<recipient-country code="TJ"/><sector code="16063"/>')


def _file(before_status: str = "", after_dates: str = "", tail: str = "",
          attrs: str = 'xml:lang="en" default-currency="USD"') -> bytes:
    middle = MIDDLE.replace('<activity-date type="1" iso-date="2024-01-01"/>',
                            '<activity-date type="1" iso-date="2024-01-01"/>' + after_dates)
    return (f'<iati-activities version="2.03">\n  <iati-activity {attrs}>{HEAD}{before_status}'
            f"{middle}{tail}</iati-activity>\n</iati-activities>\n").encode()


def _valid(data: bytes) -> bytes:
    assert schema_errors(etree.fromstring(data)) == []
    return data


# what is read, kept as published and noted
KEPT = {
    "participating-org without name or reference": (
        _file(before_status='<participating-org role="4"/>'),
        f"{ACTIVITY}/participating-org[2]: a participating organisation without a name or a "
        "reference: kept as published, not a participant",
        "participating-org without name or reference"),
    "participating-org with an empty narrative": (
        _file(before_status='<participating-org ref="" role="4"><narrative/></participating-org>'),
        f"{ACTIVITY}/participating-org[2]: a participating organisation without a name or a "
        "reference: kept as published, not a participant",
        "participating-org without name or reference"),
    "a second activity date of one type": (
        _file(after_dates='<activity-date type="1" iso-date="2024-02-01"/>'),
        f"{ACTIVITY}/activity-date[2]: a second activity date of type 1: the platform holds the "
        "first; kept as published", "activity-date"),
    "two parents": (
        _file(tail='<related-activity ref="XX-P-2" type="1"/>'
                   '<related-activity ref="XX-P-3" type="1"/>'),
        f"{ACTIVITY}/related-activity[2]: a further parent (related-activity type 1): the "
        "platform's hierarchy holds the first; kept as published", "related-activity"),
    "a document link with an empty URL": (
        _file(tail='<document-link url="" format="application/pdf"><title><narrative>Plan'
                   '</narrative></title><category code="A01"/></document-link>'),
        f"{ACTIVITY}/document-link: a document link without a URL: kept as published, not "
        "linked as a document", "document-link"),
    "a document link with an empty title": (
        _file(tail='<document-link url="https://example.org/plan.pdf" format="application/pdf">'
                   '<title><narrative/></title><category code="A01"/></document-link>'),
        f"{ACTIVITY}/document-link: a document link without a title: kept as published, not "
        "linked as a document", "document-link"),
    "a document link with an empty category code": (
        _file(tail='<document-link url="https://example.org/plan.pdf" format="application/pdf">'
                   '<title><narrative>Plan</narrative></title><category code=""/>'
                   '</document-link>'),
        f"{ACTIVITY}/document-link: a document link whose category code is empty: kept as "
        "published, not linked as a document", "document-link"),
    "a result with an empty title": (
        _file(tail='<result type="1"><title><narrative/></title><indicator measure="1"><title>'
                   '<narrative>i</narrative></title></indicator></result>'),
        f"{ACTIVITY}/result: a result without a title: kept as published, not a result of "
        "the platform", "result"),
    "a recipient country with an empty code": (
        _file().replace(b'<recipient-country code="TJ"/>',
                        b'<recipient-country code="TJ"/><recipient-country code=""/>'),
        f"{ACTIVITY}/recipient-country[2]: a recipient country with an empty code: kept as "
        "published, not a recipient", "recipient-country with an empty code"),
    "a recipient country with an empty code on a transaction": (
        _file(tail='<transaction><transaction-type code="3"/><transaction-date iso-date='
                   '"2024-01-01"/><value value-date="2024-01-01">1</value>'
                   '<recipient-country code=""/></transaction>'),
        f"{ACTIVITY}/transaction/recipient-country: a recipient country with an empty code: "
        "kept as published, not a recipient", "recipient-country with an empty code"),
    "a recipient region with an empty code": (
        _file().replace(b'<recipient-country code="TJ"/>',
                        b'<recipient-country code="TJ"/><recipient-region code=""/>'),
        f"{ACTIVITY}/recipient-region: a recipient region with an empty code: kept as "
        "published, not a recipient", "recipient-region with an empty code"),
}


@pytest.mark.parametrize("case", sorted(KEPT))
def test_a_schema_valid_element_the_platform_cannot_hold_is_kept_as_published(
        session: Session, case: str) -> None:
    data, note, kept = KEPT[case]
    report = _import(session, _valid(data))
    assert (report.created, report.rejected) == (1, [])
    assert note in _strings(report.notes)
    assert report.preserved[kept] == 1
    activity = records.get_by_identifier(session, Principal.system(), "XX-P-1")
    assert [p.org_ref for p in activity.participants] == ["XX-D"]
    assert (activity.documents, activity.results) == ([], [])
    assert [c.country_code for c in activity.countries] == ["TJ"]
    assert activity.regions == []
    _round_trip(session, data, report)


def test_a_document_s_empty_language_code_is_no_language(session: Session) -> None:
    data = _valid(_file(tail='<document-link url="https://example.org/plan.pdf" format='
                             '"application/pdf"><title><narrative>Plan</narrative></title>'
                             '<category code="A01"/><language code=""/></document-link>'))
    report = _import(session, data)
    assert (report.created, report.rejected) == (1, [])
    activity = records.get_by_identifier(session, Principal.system(), "XX-P-1")
    assert [(d.title, d.category, d.language) for d in activity.documents] == [
        ("Plan", "A01", None)]
    _round_trip(session, data, report)


def test_the_platform_holds_the_first_date_of_a_type(session: Session) -> None:
    data, _note, _kept = KEPT["a second activity date of one type"]
    _import(session, data)
    activity = records.get_by_identifier(session, Principal.system(), "XX-P-1")
    assert activity.planned_start is not None and activity.planned_start.isoformat() == (
        "2024-01-01")


def test_an_empty_capital_spend_is_not_valid_in_any_version() -> None:
    # <capital-spend/>: every 2.0x schema requires its @percentage, so the activity is
    # refused by the schema, naming the element (not by the reader): it could not be
    # written back valid
    for version in VERSIONS:
        schema = schema_path(version).read_text()
        start = schema.index('<xsd:element name="capital-spend">')
        assert ('<xsd:attribute name="percentage" use="required"'
                in schema[start:schema.index("</xsd:element>", start)]), version
    data = _file(tail='<capital-spend/>')
    assert _strings(read_activities(io.BytesIO(data), VOCAB).problems) == [
        f"{ACTIVITY}/capital-spend: capital-spend needs @percentage, which is missing (schema: "
        "Element 'capital-spend': The attribute 'percentage' is required but missing.)"]


# schema-valid, and still refused: each is a rule of the platform or of IATI's rulesets
# whose breach leaves nothing the platform could hold (see docs/iati.md)
REFUSED = {
    "an empty title": (_file().replace(b"<title><narrative>T</narrative></title>",
                                       b"<title><narrative/></title>"),
                       f"{ACTIVITY}/title: the title is empty"),
    "a value without any currency": (
        _file(tail='<budget><period-start iso-date="2024-01-01"/><period-end iso-date='
                   '"2024-12-31"/><value value-date="2024-01-01">1</value></budget>',
              attrs='xml:lang="en"'),
        f"{ACTIVITY}/budget/value: no @currency and no default-currency on the activity"),
    "an empty activity status": (_file().replace(b'<activity-status code="2"/>',
                                                 b'<activity-status code=""/>'),
                                 f"{ACTIVITY}/activity-status: @code '' is not an activity "
                                 "status (1, 2, 3, 4, 5, 6)"),
    "an empty reporting organisation": (
        _file().replace(b'<reporting-org ref="XX-P"', b'<reporting-org ref=""'),
        f"{ACTIVITY}/reporting-org: the reporting organisation identifier is empty"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_what_the_platform_still_refuses_in_a_schema_valid_activity(case: str) -> None:
    data, problem = REFUSED[case]
    assert _strings(read_activities(io.BytesIO(_valid(data)), VOCAB).problems) == [problem]


def test_the_smallest_activity_here_is_read_clean() -> None:
    result = read_activities(io.BytesIO(_valid(_file())), VOCAB)
    assert (result.problems, result.notes, dict(result.preserved)) == ([], [], {})

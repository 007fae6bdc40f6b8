"""IATI files written by others, kept verbatim in ``tests/fixtures/iati/published``.

The IATI Standard's own annotated examples (1.04, 2.01, 2.02, 2.03; activities and
organisations), an excerpt of a real publisher's file and IATI's schema test cases:
what the platform imports, what it refuses and why, and what an export gives back.
``SOURCES.md`` there names every file's repository, path, commit and licence.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.taskforce.iati.test_round_trip import _export, _import, semantic_diff
from tests.taskforce.programmes.factory import principal
from tocsin.access.principal import Principal
from tocsin.errors import InputError, Problem
from tocsin.taskforce.iati.exchange import IatiImport, validate_export
from tocsin.taskforce.iati.organisations import import_organisations
from tocsin.taskforce.iati.rules import check_element
from tocsin.taskforce.iati.schema import activity_schema, safe_parser, schema_errors
from tocsin.taskforce.iati.tables import IatiOrganisation, IatiOrgFinance, IatiRecord
from tocsin.taskforce.partners.tables import Partner
from tocsin.taskforce.programmes import records
from tocsin.taskforce.programmes.spec import DocumentSpec

PUBLISHED = Path(__file__).parents[2] / "fixtures" / "iati" / "published"
SCHEMA_TESTS = PUBLISHED / "schema-tests"
EXAMPLE = "AA-AAA-123456789-ABC123"
ACTIVITY = "/iati-activities/iati-activity[1]"


def _strings(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


def _round_trip(session: Session, data: bytes, report: IatiImport) -> bytes:
    """Export what was imported: schema-valid, the same activities, and no ruleset finding
    the published file did not already have (the IATI Validator's view of both)."""
    exported = _export(session)
    tree = etree.fromstring(exported, safe_parser(remove_comments=True))
    assert tree.get("version") == "2.03"
    assert schema_errors(tree) == []
    assert semantic_diff(data, exported) == []
    assert _strings(validate_export(exported)) == _strings(report.warnings)
    return exported


# --- the IATI Standard's annotated activity examples -------------------------------------------

# The examples link their report as ``http:www.example.org/docs/report_en.odt`` (no
# ``//``): kept as published and written back, not made a document of the platform.
# A rule of IATI's ruleset every example breaks (a recipient country on the activity and on
# its transaction), reported on import and found again, the same, in the export.
BOTH_PLACES = (f"{ACTIVITY}: recipient countries and regions go either on the activity or "
               "on its transactions")
URL_NOTE = (f"{ACTIVITY}/document-link: 'http:www.example.org/docs/report_en.odt' is not an "
            "http(s) URL: the document link is kept as published, not linked as a document")


def test_the_2_01_example_imports_whole_and_comes_back_unchanged(session: Session) -> None:
    data = (PUBLISHED / "activity-standard-example-annotated-2.01.xml").read_bytes()
    assert b"\r\n" in data  # kept byte for byte, with the source's line ends
    report = _import(session, data)
    assert (report.version, report.created, report.rejected) == ("2.01", 1, [])
    assert URL_NOTE in _strings(report.notes)
    assert _strings(report.warnings) == [BOTH_PLACES]
    # the report says what is kept only as published
    assert {name: report.preserved[name] for name in (
        "document-link", "location", "crs-add", "fss", "policy-marker", "legacy-data",
        "country-budget-items", "other-identifier", "contact-info")} == {
        "document-link": 1, "location": 1, "crs-add": 1, "fss": 1, "policy-marker": 2,
        "legacy-data": 2, "country-budget-items": 1, "other-identifier": 1, "contact-info": 1}
    activity = records.get_by_identifier(session, Principal.system(), EXAMPLE)
    assert activity.documents == []
    exported = _round_trip(session, data, report)
    assert b'url="http:www.example.org/docs/report_en.odt"' in exported


# IATI states the recipient-percentage rule two ways: per region vocabulary (the 2.03
# schema: "within a vocabulary"; IATI-Extra-Documentation: "should sum to 100% per region
# vocabulary") and all together (standard.json's sum). The 2.02 and 2.03 examples follow
# the second: 25 % to each of two countries, 25 % to a region of vocabulary 1 and 25 % to
# one of vocabulary 99. Either reading is accepted; a file that adds up neither way is
# imported with a warning, never refused.
PER_VOCABULARY = [
    (b'code="489" vocabulary="1" percentage="25"', b'code="489" vocabulary="1" percentage="50"'),
    (b'vocabulary-uri="http://example.com/vocab.html" percentage="25"',
     b'vocabulary-uri="http://example.com/vocab.html" percentage="50"'),
]
NEITHER_WAY = [(b'code="489" vocabulary="1" percentage="25"',
                b'code="489" vocabulary="1" percentage="10"')]
NEITHER_WARNINGS = [
    f"{ACTIVITY}/recipient-region[1]: recipient-country and recipient-region percentages do "
    "not add up to 100 (vocabulary 1): 60",
    f"{ACTIVITY}/recipient-region[2]: recipient-country and recipient-region percentages do "
    "not add up to 100 (vocabulary 99): 75",
]
# Sectors likewise: a vocabulary that does not add up is a warning, never a refusal.
SECTORS_SHORT = [(b'sector vocabulary="2" code="112" percentage="50"',
                  b'sector vocabulary="2" code="112" percentage="40"')]
SECTOR_WARNINGS = [f"{ACTIVITY}/sector[1]: sector percentages of one vocabulary do not add "
                   "up to 100 (vocabulary 2): 90"]

EXAMPLES = {"2.02": "standard-202-activity-xml.xml",
            "2.03": "activity-standard-example-annotated-2.03.xml"}
# Rules of IATI's ruleset the examples themselves break, reported on import and found
# again, the same, in the export: the platform writes back what was published.
OWN_MARKER = (f"{ACTIVITY}/policy-marker[3]: a policy marker of the reporting organisation's "
              "vocabulary needs a narrative")
OWN_SECTOR = (f"{ACTIVITY}: a sector of a reporting organisation's own vocabulary (98, 99) "
              "needs a narrative")
EXAMPLE_WARNINGS = {"2.02": [BOTH_PLACES, OWN_SECTOR, OWN_MARKER],
                    "2.03": [BOTH_PLACES, OWN_MARKER]}


@pytest.mark.parametrize("version", ["2.02", "2.03"])
@pytest.mark.parametrize("shares", ["as published", "per vocabulary", "neither way",
                                    "sectors short"])
def test_the_2_02_and_2_03_examples_import_whole_and_come_back_unchanged(
        session: Session, version: str, shares: str) -> None:
    data = (PUBLISHED / EXAMPLES[version]).read_bytes()
    changes, extra = {"as published": ([], []), "per vocabulary": (PER_VOCABULARY, []),
                      "neither way": (NEITHER_WAY, NEITHER_WARNINGS),
                      "sectors short": (SECTORS_SHORT, SECTOR_WARNINGS)}[shares]
    for old, new in changes:
        assert data.count(old) == 1
        data = data.replace(old, new)
    report = _import(session, data)
    assert (report.version, report.created, report.rejected) == (version, 1, [])
    assert URL_NOTE in _strings(report.notes)
    assert sorted(_strings(report.warnings)) == sorted(EXAMPLE_WARNINGS[version] + extra)
    for name in ("location", "humanitarian-scope", "policy-marker", "result//dimension",
                 "result//reference", "participating-org/@activity-id", "crs-add"):
        assert report.preserved[name] > 0, name
    if version == "2.03":
        assert (report.preserved["tag"], report.preserved["result//document-link"],
                report.preserved["participating-org/@crs-channel-code"]) == (2, 5, 1)
    assert (version == "2.02") == (b"\r\n" in data)
    _round_trip(session, data, report)


def test_a_2_03_file_written_to_pass_the_validator_imports_and_exports_clean(
        session: Session) -> None:
    # IATI.cloud's copy of the 2.03 example with shares per vocabulary, narratives on
    # its own vocabularies and no recipient on the transaction: nothing to refuse or warn
    data = (PUBLISHED / "iati-act-no-errors.xml").read_bytes()
    report = _import(session, data)
    assert (report.version, report.created, report.rejected, report.warnings) == (
        "2.03", 1, [], [])
    assert _strings(report.notes) == [
        URL_NOTE,
        f"{ACTIVITY}/sector[1]: sector '11110' (vocabulary 1) names no crime area or stage "
        "in the mapping table; kept as published",
        f"{ACTIVITY}/sector[2]: sector '11230' (vocabulary 1) names no crime area or stage "
        "in the mapping table; kept as published",
        f"{ACTIVITY}: parent 'AA-AAA-123456789-6789' is neither in the file nor in the "
        "platform; kept without parent"]
    exported = _round_trip(session, data, report)
    assert validate_export(exported) == []


def test_version_1_files_are_refused_with_the_clear_message(session: Session) -> None:
    data = (PUBLISHED / "activity-standard-example-annotated-1.04.xml").read_bytes()
    refusal = ["/iati-activities: IATI version '1.04' is not read; export the file as "
               "version 2.0x"]
    with pytest.raises(InputError) as caught:
        _import(session, data)
    assert _strings(caught.value.problems) == refusal
    report = _import(session, data, mode="each")
    assert (report.created, _strings(report.rejected)) == (0, refusal)
    assert session.scalars(select(IatiRecord)).all() == []


# --- a real publisher's file -------------------------------------------------------------------

MAEC = PUBLISHED / "MAEC_IATI_INDONESIA-excerpt.xml"
# Each activity gives Indonesia 100 % and also names its region (789, Far East Asia)
# without a percentage (IATI asks for a percentage on each when there are several): the
# register keeps it as published, the platform's view reads it as zero, and a note says so.
MAEC_NOTES = [f"/iati-activities/iati-activity[{i}]/recipient-region: no percentage while "
              "other recipients have one: read as zero here, kept as published"
              for i in range(1, 5)]


def test_the_real_publisher_file_imports_whole_and_comes_back_unchanged(
        session: Session) -> None:
    data = MAEC.read_bytes()
    report = _import(session, data)
    assert (report.version, report.created, report.rejected) == ("2.01", 4, [])
    assert [n for n in _strings(report.notes) if "percentage" in n] == MAEC_NOTES
    # empty codes (significance="", default-tied-status code="") and xml:lang on
    # recipient-country and participating-org are kept as published
    assert {name: report.preserved[name] for name in (
        "policy-marker", "default-tied-status", "contact-info", "other-identifier")} == {
        "policy-marker": 32, "default-tied-status": 4, "contact-info": 4,
        "other-identifier": 4}
    # the narratives that really lack a language (a participating-org's language, on
    # the element, is its narrative's: XML's xml:lang applies to the content)
    assert _strings(report.warnings) == [
        f"/iati-activities/iati-activity[{i}]/other-identifier/owner-org/narrative: without "
        "iati-activity/@xml:lang every narrative needs @xml:lang" for i in range(1, 5)]
    activity = records.get_by_identifier(session, Principal.system(),
                                         "ES-DIR3-E04585801-009-001301")
    assert activity.title == "Personas cooperantes voluntarias en organismos internacionales"
    stored = session.scalars(select(IatiRecord)).all()
    assert len(stored) == 4
    _round_trip(session, data, report)


def test_a_region_without_a_percentage_beside_a_state_is_read_as_zero(
        session: Session) -> None:
    # the same file for a participating State: the platform's view holds the country
    # with its 100 % and the region with 0 %, the register both as published
    data = MAEC.read_bytes().replace(b'<recipient-country code="ID"',
                                     b'<recipient-country code="AL"')
    report = _import(session, data)
    assert (report.created, report.rejected) == (4, [])
    activity = records.get_by_identifier(session, Principal.system(),
                                         "ES-DIR3-E04585801-009-001301")
    assert [(c.country_code, c.percentage) for c in activity.countries] == [("AL", 100)]
    assert [(r.vocabulary, r.code, r.percentage) for r in activity.regions] == [
        ("1", "789", 0)]
    _round_trip(session, data, report)


def test_a_narrative_takes_the_language_its_element_declares() -> None:
    activity = etree.fromstring(
        b'<iati-activity><participating-org role="1" xml:lang="es"><narrative>Espa\xc3\xb1a'
        b'</narrative></participating-org><title><narrative>Sin idioma</narrative></title>'
        b'</iati-activity>')
    lang = [finding for finding in check_element(activity) if "xml:lang" in finding[1]]
    assert lang == [("/title/narrative",
                     "without iati-activity/@xml:lang every narrative needs @xml:lang")]


# --- the IATI Standard's annotated organisation examples ---------------------------------------

@pytest.mark.parametrize("version", ["2.01", "2.02", "2.03"])
def test_the_organisation_examples_land_in_the_partners_registry(
        session: Session, version: str) -> None:
    data = (PUBLISHED / f"organisation-standard-example-annotated-{version}.xml").read_bytes()
    report = import_organisations(session, Principal.system(), io.BytesIO(data),
                                  owner_unit_id=principal(session, "analyst").unit_id)
    assert (report.version, report.created, report.updated, report.warnings) == (
        version, 1, 0, [])
    partner = session.get(Partner, report.partners["AA-AAA-123456789"])
    assert partner is not None and partner.name == "Organisation name"
    rows = session.scalars(select(IatiOrgFinance).order_by(IatiOrgFinance.position)).all()
    expected = [("total-budget", "", "USD", 250000000),
                ("recipient-org-budget", "AA-ABC-1234567", "USD", 2500000)]
    if version != "2.01":
        expected.append(("recipient-region-budget", "A1", "USD", 25000000))
    expected.append(("recipient-country-budget", "AF", "USD", 25000000))
    if version != "2.01":
        expected.append(("total-expenditure", "", "USD", 250000000))
    assert [(r.element, r.recipient, r.currency, r.value) for r in rows] == expected
    assert {r.status for r in rows if r.element != "total-expenditure"} == (
        {None} if version == "2.01" else {2})
    stored = session.scalars(select(IatiOrganisation.xml)).one()
    assert stored.count("<document-link") == 5 and "budget-line" in stored


# --- IATI's schema test cases ------------------------------------------------------------------

def _cases(kind: str) -> list[str]:
    folder = SCHEMA_TESTS / kind
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.xml"))


def _as_2_03(data: bytes) -> bytes:
    # the cases carry version="xx" (they test the schema only); read as 2.03
    assert data.count(b'<iati-activities version="xx">') == 1
    return data.replace(b'<iati-activities version="xx">', b'<iati-activities version="2.03">')


@pytest.mark.parametrize("kind", ["should-pass", "should-fail"])
def test_schema_cases_as_published_are_refused_for_their_version(
        session: Session, kind: str) -> None:
    for name in _cases(kind):
        with pytest.raises(InputError) as caught:
            _import(session, (SCHEMA_TESTS / kind / name).read_bytes())
        assert _strings(caught.value.problems) == [
            "/iati-activities: IATI version 'xx' is not read; export the file as version 2.0x"]


# What the bundled schema makes of IATI's own cases: one should-fail case tests a
# percentage bound that the 2.0x schemas do not hold; the reader refuses it all the same.
SCHEMA_ACCEPTS = {"27-decimal-percentage-out-of-bounds.xml"}


def test_the_bundled_schemas_agree_with_the_schema_cases() -> None:
    for kind in ("should-pass", "should-fail"):
        for name in _cases(kind):
            tree = etree.parse(str(SCHEMA_TESTS / kind / name), safe_parser())
            valid = activity_schema("2.03").validate(tree)
            assert valid == (kind == "should-pass" or name in SCHEMA_ACCEPTS), name


# Read as 2.03, each broken case is refused naming the element (the first of its
# problems; the case's activity is refused whole, nothing is written).
SHOULD_FAIL = {
    "01-empty-activity.xml": f"{ACTIVITY}: Element 'iati-activity', attribute 'version': The "
                             "attribute 'version' is not allowed.",
    "02-top-level-extensibility.xml": f"{ACTIVITY}/foo: Element 'foo': This element is not "
                                      "expected.",
    "04-attribute-extensibility.xml": f"{ACTIVITY}/description: Element 'description', "
                                      "attribute 'foo': The attribute 'foo' is not allowed.",
    "05-code-attribute.xml": f"{ACTIVITY}/sector: Element 'sector', attribute 'ref': The "
                             "attribute 'ref' is not allowed.",
    "06-currencyType.xml": f"{ACTIVITY}: Element 'iati-activity', attribute 'version': The "
                           "attribute 'version' is not allowed.",
    "07-value-date.xml": f"{ACTIVITY}: Element 'iati-activity', attribute 'version': The "
                         "attribute 'version' is not allowed.",
    "17-bad-hierarchy.xml": f"{ACTIVITY}: Element 'iati-activity', attribute 'hierarchy': "
                            "'string' is not a valid value of the atomic type 'xs:int'.",
    "20-two-reporting-orgs.xml": f"{ACTIVITY}/reporting-org[1]: Element 'reporting-org': This "
                                 "element is not expected. Expected is ( iati-identifier ).",
    "21-sector-missing-code.xml": f"{ACTIVITY}/sector: Element 'sector': The attribute 'code' "
                                  "is required but missing.",
    "24-two-titles.xml": f"{ACTIVITY}/title[2]: Element 'title': This element is not expected. "
                         "Expected is ( description ).",
    "26-two-activity-status.xml": f"{ACTIVITY}/activity-status[2]: Element 'activity-status': "
                                  "This element is not expected. Expected is ( activity-date ).",
    "27-decimal-percentage-out-of-bounds.xml": f"{ACTIVITY}/participating-org: @role 'xx' is "
                                               "not an organisation role (1, 2, 3, 4)",
    "budget/01-missing-period-end.xml": f"{ACTIVITY}/budget/value: Element 'value': This element "
                                        "is not expected. Expected is ( period-end ).",
    "budget/12-non-decimal-value.xml": f"{ACTIVITY}/budget/value: Element 'value': 'eryr' is not "
                                       "a valid value of the atomic type 'xs:decimal'.",
    "capital-spend/03-contains-text.xml": f"{ACTIVITY}/activity-status: Element "
                                          "'activity-status', attribute 'percentage': The "
                                          "attribute 'percentage' is not allowed.",
    "conditions/05-non-boolen-attribute-attached.xml": f"{ACTIVITY}/conditions: Element "
                                                       "'conditions', attribute 'attached': 'x' "
                                                       "is not a valid value of the atomic type "
                                                       "'xs:boolean'.",
    "contact-info/07-two-organisations.xml": f"{ACTIVITY}/reporting-org: Element "
                                             "'reporting-org': This element is not expected. "
                                             "Expected is ( iati-identifier ).",
    "country-budget-items/03-missing-budget-item.xml": f"{ACTIVITY}/country-budget-items: "
                                                       "Element 'country-budget-items': Missing "
                                                       "child element(s). Expected is "
                                                       "( budget-item ).",
    "crs-add/06-non-iso-date-commitment-date.xml": f"{ACTIVITY}/reporting-org: Element "
                                                   "'reporting-org': This element is not "
                                                   "expected. Expected is ( iati-identifier ).",
    "default-aid-type/03-contains-text.xml": f"{ACTIVITY}/default-aid-type: Element "
                                             "'default-aid-type': Character content other than "
                                             "whitespace is not allowed because the content "
                                             "type is 'element-only'.",
}


@pytest.mark.parametrize("name", sorted(SHOULD_FAIL))
def test_broken_schema_cases_are_refused_by_xpath_and_reason(session: Session,
                                                             name: str) -> None:
    data = _as_2_03((SCHEMA_TESTS / "should-fail" / name).read_bytes())
    with pytest.raises(InputError) as caught:
        _import(session, data)
    assert _strings(caught.value.problems)[0].startswith(SHOULD_FAIL[name])
    report = _import(session, data, mode="each")
    assert report.created == 0
    assert _strings(report.rejected)[0].startswith(SHOULD_FAIL[name])
    assert session.scalars(select(IatiRecord)).all() == []


def test_every_broken_schema_case_is_listed() -> None:
    assert _cases("should-fail") == sorted(SHOULD_FAIL)


@pytest.mark.parametrize("name", _cases("should-pass"))
def test_valid_schema_cases_are_refused_only_for_their_placeholder_codes(
        session: Session, name: str) -> None:
    # schema-valid, but every code is "xx": the code lists refuse the first one met
    data = _as_2_03((SCHEMA_TESTS / "should-pass" / name).read_bytes())
    tree = etree.fromstring(data, safe_parser())
    assert schema_errors(tree) == []
    report = _import(session, data, mode="each")
    assert report.created == 0
    assert [p.location for p in report.rejected] == [
        f"{ACTIVITY}/participating-org" + ("[1]" if "repeated" in name else "")]
    assert "@role 'xx' is not an organisation role" in str(report.rejected[0])


def test_a_link_the_platform_cannot_follow_is_kept_as_published(session: Session) -> None:
    rich = (PUBLISHED.parent / "rich_2.03.xml").read_bytes()
    first = rich.index(b"    <document-link ")
    spaced = (b'    <document-link format="application/pdf" url="http://www.example.org/docs/'
              b'annual report.pdf">\n      <title><narrative>Annual report</narrative></title>\n'
              b'      <category code="A01"/>\n    </document-link>\n')
    data = rich[:first] + spaced + rich[first:]
    report = _import(session, data)
    assert report.created == 2 and report.preserved["document-link"] == 1
    assert ("/iati-activities/iati-activity[1]/document-link[1]: 'http://www.example.org/docs/"
            "annual report.pdf' is not an http(s) URL: the document link is kept as published, "
            "not linked as a document") in _strings(report.notes)
    activity = records.get_by_identifier(session, Principal.system(), EXAMPLE)
    assert [d.url for d in activity.documents] == ["http://www.example.org/docs/report_en.odt"]
    exported = _export(session)
    assert semantic_diff(data, exported) == []
    assert validate_export(exported) == []
    # an edit of the activity's documents in the platform wins over the published
    # document-links (as every edit wins over the element it changes): the link the
    # platform could not follow is then not written back; the register keeps it
    system = Principal.system()
    spec = records.to_spec(activity, "AA-AAA-123456789-6789")
    added = DocumentSpec(title="Evaluation", url="https://www.example.org/docs/evaluation.pdf")
    records.update_activity(session, system, activity.id, spec.model_copy(update={
        "documents": [*spec.documents, added], "parent_identifier": None}))
    edited = _export(session)
    assert b"annual report.pdf" not in edited and b"evaluation.pdf" in edited
    assert "annual report.pdf" in session.scalars(select(IatiRecord.xml).where(
        IatiRecord.activity_id == activity.id)).one()

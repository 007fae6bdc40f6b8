"""Schema errors in plain words: each usual shape of libxml2's messages is said first as a
plain reason, with the XPath of the element and libxml2's own words after it; any other
shape as libxml2 says it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.taskforce.programmes.factory import principal
from tocsin import i18n
from tocsin.access.principal import Principal
from tocsin.cli import programmes
from tocsin.cli.main import app as main_app
from tocsin.errors import ConfigurationError, InputError
from tocsin.taskforce.iati import schema
from tocsin.taskforce.iati.exchange import IatiImport, Mode, import_iati
from tocsin.taskforce.iati.schema import (
    SCHEMA_MESSAGES,
    safe_parser,
    schema_errors,
    schema_message,
)
from tocsin.taskforce.iati.tables import IatiRecord

ACTIVITY = "/iati-activities/iati-activity[1]"
#: The smallest activity the 2.03 schema and the platform accept; each case breaks it once.
VALID = (
    '<iati-activities version="2.03"><iati-activity xml:lang="en" default-currency="EUR">'
    "<iati-identifier>XM-DAC-1-1</iati-identifier>"
    '<reporting-org ref="XM-DAC-1" type="10"><narrative>Ministry</narrative></reporting-org>'
    "<title><narrative>Asset recovery</narrative></title>"
    "<description><narrative>Training</narrative></description>"
    '<participating-org role="1" ref="XM-DAC-1"/>'
    '<activity-status code="2"/><activity-date type="1" iso-date="2024-01-01"/>'
    "<transaction><transaction-type code=\"2\"/><transaction-date iso-date=\"2024-02-01\"/>"
    '<value value-date="2024-02-01">1500.50</value></transaction>'
    "</iati-activity></iati-activities>")

#: name → (the edit: old text, new text; the problem as the import reports it)
CASES: dict[str, tuple[tuple[str, str], str]] = {
    "an element where another is expected": (
        ('<value value-date="2024-02-01">', '<transaction-date iso-date="2024-02-02"/>'
                                            '<value value-date="2024-02-01">'),
        f"{ACTIVITY}/transaction/transaction-date[2]: transaction-date is not allowed at this "
        "place: the schema expects value here (schema: Element 'transaction-date': This "
        "element is not expected. Expected is ( value ).)"),
    "an element where only extensions are allowed": (
        ("<title><narrative>Asset recovery</narrative>",
         "<title><narrative>Asset recovery</narrative><colour/>"),
        f"{ACTIVITY}/title/colour: colour is not allowed at this place: the schema expects one "
        "of narrative, an element of another namespace here (schema: Element 'colour': This "
        "element is not expected. Expected is one of ( narrative, ##other* ).)"),
    "a missing child": (
        ('<value value-date="2024-02-01">1500.50</value>', ""),
        f"{ACTIVITY}/transaction: transaction lacks value, which it must contain (schema: "
        "Element 'transaction': Missing child element(s). Expected is ( value ).)"),
    "a missing child of several": (
        ("</transaction>", '</transaction><document-link url="https://example.org/a.pdf" '
                           'format="application/pdf"><title><narrative>Report</narrative>'
                           "</title></document-link>"),
        f"{ACTIVITY}/document-link: document-link lacks a child it must contain: one of "
        "description, category (schema: Element 'document-link': Missing child element(s). "
        "Expected is one of ( description, category ).)"),
    "a value not of an element's type": (
        (">1500.50<", ">abc<"),
        f"{ACTIVITY}/transaction/value: value holds 'abc', which is not a number, such as "
        "1500.50 (schema: Element 'value': 'abc' is not a valid value of the atomic type "
        "'xs:decimal'.)"),
    "a value not of an attribute's type": (
        ('iso-date="2024-01-01"', 'iso-date="01/01/2024"'),
        f"{ACTIVITY}/activity-date: @iso-date of activity-date is '01/01/2024', which is not a "
        "date written YYYY-MM-DD (schema: Element 'activity-date', attribute 'iso-date': "
        "'01/01/2024' is not a valid value of the atomic type 'xs:date'.)"),
    "a missing required attribute": (
        ('<activity-status code="2"/>', "<activity-status/>"),
        f"{ACTIVITY}/activity-status: activity-status needs @code, which is missing (schema: "
        "Element 'activity-status': The attribute 'code' is required but missing.)"),
    "an attribute not allowed": (
        ('<activity-status code="2"/>', '<activity-status code="2" colour="red"/>'),
        f"{ACTIVITY}/activity-status: @colour is not allowed on activity-status (schema: "
        "Element 'activity-status', attribute 'colour': The attribute 'colour' is not "
        "allowed.)"),
    "a value outside the enumeration": (
        ("<narrative>Training", '<narrative xml:space="keep">Training'),
        f"{ACTIVITY}/description/narrative: @xml:space of narrative is 'keep', which is not "
        "one of the values allowed: 'default', 'preserve' (schema: Element 'narrative', "
        "attribute 'xml:space': [facet 'enumeration'] The value 'keep' is not an element of "
        "the set {'default', 'preserve'}.)"),
    "a value of no member of a union": (
        ("<narrative>Training", '<narrative xml:lang="en gb">Training'),
        f"{ACTIVITY}/description/narrative: @xml:lang of narrative is 'en gb', which is not a "
        "value the schema accepts (schema: Element 'narrative', attribute 'xml:lang': 'en gb' "
        "is not a valid value of the local union type.)"),
    "text where only elements are allowed": (
        ("<title><narrative>", "<title>Asset recovery<narrative>"),
        f"{ACTIVITY}/title: title holds text of its own, but may contain only other elements "
        "(schema: Element 'title': Character content other than whitespace is not allowed "
        "because the content type is 'element-only'.)"),
    "an element where only text is allowed": (
        ("<narrative>Training</narrative>", "<narrative>Training<b>!</b></narrative>"),
        f"{ACTIVITY}/description/narrative: narrative holds another element, but may contain "
        "only text (schema: Element 'narrative': Element content is not allowed, because the "
        "content type is a simple type definition.)"),
}


def _broken(name: str) -> bytes:
    (old, new), _ = CASES[name]
    assert VALID.count(old) == 1, old
    return VALID.replace(old, new).encode()


def _import(session: Session, data: bytes, mode: Mode = "all") -> IatiImport:
    return import_iati(session, Principal.system(), io.BytesIO(data), name="broken.xml",
                       owner_unit_id=principal(session, "analyst").unit_id, mode=mode)


def test_the_valid_activity_is_valid() -> None:
    assert schema_errors(etree.fromstring(VALID.encode())) == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_schema_error_is_said_in_plain_words_with_its_xpath(session: Session,
                                                              name: str) -> None:
    data = _broken(name)
    with pytest.raises(InputError) as caught:
        _import(session, data)
    assert caught.value.summary == "1 problem in broken.xml; nothing was applied"
    assert [str(p) for p in caught.value.problems] == [CASES[name][1]]
    # activity by activity, the refused one is listed the same way and nothing is written
    report = _import(session, data, mode="each")
    assert [str(p) for p in report.rejected] == [CASES[name][1]]
    assert report.created == 0 and session.scalars(select(IatiRecord)).all() == []


def test_the_plain_words_are_in_the_reader_s_language(session: Session) -> None:
    with pytest.raises(InputError) as caught:
        _import(session, _broken("a value not of an element's type"))
    [problem] = caught.value.problems
    with i18n.using("fr"):
        assert str(problem.reason) == (
            "value contient 'abc', qui n’est pas un nombre, comme 1500.50 (schéma : Element "  # noqa: RUF001
            "'value': 'abc' is not a valid value of the atomic type 'xs:decimal'.)")
    with i18n.using("ru"):
        assert str(problem.reason).startswith(
            "value содержит 'abc', а это не число, например 1500.50 (схема: Element 'value'")  # noqa: RUF001


#: A schema of our own, for shapes of libxml2's messages the IATI schemas do not give: a
#: pattern facet (they have none) and an element where none is expected (they allow
#: elements of other namespaces nearly everywhere, and libxml2 then lists them).
PATTERN_XSD = b"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
<xs:simpleType name="code"><xs:restriction base="xs:string">
  <xs:pattern value="[A-Z]{2}-[0-9]+"/></xs:restriction></xs:simpleType>
<xs:element name="org"><xs:complexType><xs:sequence>
  <xs:element name="ref" type="code"/></xs:sequence>
  <xs:attribute name="ref" type="code"/></xs:complexType></xs:element>
</xs:schema>"""


def _libxml2_messages(document: bytes) -> list[str]:
    schema = etree.XMLSchema(etree.fromstring(PATTERN_XSD, safe_parser()))
    assert not schema.validate(etree.fromstring(document, safe_parser()))
    return [entry.message for entry in schema.error_log]


def test_shapes_the_iati_schemas_do_not_give_are_said_in_plain_words() -> None:
    assert [str(schema_message(m)) for m in _libxml2_messages(
        b"<org><ref>AB-1</ref><ref>AB-2</ref></org>")] == [
        "ref is not allowed at this place (schema: Element 'ref': This element is not "
        "expected.)"]
    assert [str(schema_message(m)) for m in _libxml2_messages(
        b'<org ref="xm 1"><ref>12</ref></org>')] == [
        "@ref of org is 'xm 1', which is not written as the schema requires (the pattern "
        "'[A-Z]{2}-[0-9]+') (schema: Element 'org', attribute 'ref': [facet 'pattern'] The "
        "value 'xm 1' is not accepted by the pattern '[A-Z]{2}-[0-9]+'.)",
        "ref holds '12', which is not written as the schema requires (the pattern "
        "'[A-Z]{2}-[0-9]+') (schema: Element 'ref': [facet 'pattern'] The value '12' is not "
        "accepted by the pattern '[A-Z]{2}-[0-9]+'.)"]


def test_a_message_of_another_shape_is_passed_on_as_libxml2_says_it() -> None:
    said = "Element '{urn:x}a': No match found for key-sequence ['1'] of keyref 'b'."
    assert schema_message(said) == \
        "Element 'a': No match found for key-sequence ['1'] of keyref 'b'."


def test_a_reason_naming_values_its_pattern_does_not_give_is_refused_when_loaded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # an edit of the table that would show a placeholder, or fail on every error shown
    table = yaml.safe_load(SCHEMA_MESSAGES.read_text(encoding="utf-8"))
    table["messages"][0]["reason"] = "%(element)s is not allowed before %(next)s"
    edited = tmp_path / SCHEMA_MESSAGES.name
    edited.write_text(yaml.safe_dump(table), encoding="utf-8")
    monkeypatch.setattr(schema, "SCHEMA_MESSAGES", edited)
    schema._table.cache_clear()
    try:
        with pytest.raises(ConfigurationError, match="does not name the values"):
            schema.schema_message("Element 'a': This element is not expected.")
    finally:
        schema._table.cache_clear()
    monkeypatch.undo()
    assert schema._table().wordings  # the shipped table loads


# --- the command line ----------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def platform(env: Path) -> Path:
    """A platform for the command line, its database made."""
    result = runner.invoke(main_app, ["init"])
    assert result.exit_code == 0, result.output
    return env


def test_the_command_line_says_the_file_the_xpath_and_the_plain_reason(platform: Path) -> None:
    broken = platform / "partner-activities.xml"
    broken.write_bytes(_broken("a missing required attribute"))
    result = runner.invoke(programmes.app, ["import-iati", str(broken), "--unit", "unodc"])
    assert result.exit_code == 1
    said = " ".join(str(result.exception).split())
    assert "1 problem in partner-activities.xml; nothing was applied" in said
    assert (f"{ACTIVITY}/activity-status: activity-status needs @code, which is missing "
            "(schema: Element 'activity-status': The attribute 'code' is required but "
            "missing.)") in said

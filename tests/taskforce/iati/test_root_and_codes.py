"""What the IATI Validator reports beyond the schema of each activity: the root's own
attributes and coded values outside their code lists. Both are warnings on import
(the file goes in, as published) and the codes are found again on export."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.taskforce.iati.test_organisations import _import as _import_organisations
from tests.taskforce.iati.test_round_trip import _export, _import
from tocsin.taskforce.iati.exchange import validate_export

FIXTURES = Path(__file__).parents[2] / "fixtures" / "iati"
RICH = FIXTURES / "rich_2.03.xml"
ROOT = b'<iati-activities version="2.03" generated-datetime="2024-05-06T10:15:37Z"'


@pytest.mark.parametrize(("written", "warning"), [
    (b'generated-datetime="2024-05-06"',
     "/iati-activities/@generated-datetime: '2024-05-06' is not a date and time as the IATI "
     "schema wants it (YYYY-MM-DDThh:mm:ss); not kept: the export writes its own"),
    (b'generated-datetime="2024-02-30T10:15:37"',
     "/iati-activities/@generated-datetime: '2024-02-30T10:15:37' is not a date and time as "
     "the IATI schema wants it (YYYY-MM-DDThh:mm:ss); not kept: the export writes its own"),
    (b'generated-datetime="2024-05-06T10:15:37Z" published-by="me"',
     "/iati-activities/@published-by: the IATI schema has no such attribute on "
     "iati-activities; not kept"),
])
def test_the_roots_attributes_are_checked_and_warned_about(
        session: Session, written: bytes, warning: str) -> None:
    data = RICH.read_bytes().replace(b'generated-datetime="2024-05-06T10:15:37Z"', written, 1)
    report = _import(session, data)
    assert report.created == 2
    assert [str(w) for w in report.warnings] == [warning]
    # the export writes its own root: nothing of it is found again
    assert validate_export(_export(session)) == []


def test_attributes_of_other_namespaces_and_a_good_date_time_say_nothing(
        session: Session) -> None:
    data = RICH.read_bytes().replace(
        ROOT, b'<iati-activities xmlns:x="http://example.org/x" x:note="1" version="2.03" '
        b'generated-datetime="2024-05-06T10:15:37.123456+02:00"', 1)
    assert data != RICH.read_bytes()
    report = _import(session, data)
    assert (report.created, report.warnings) == (2, [])


def test_an_organisation_files_root_is_checked_too(session: Session) -> None:
    data = (FIXTURES / "organisation_2.03.xml").read_bytes().replace(
        b'generated-datetime="2024-05-06T10:15:37Z"', b'generated-datetime="2024-05-06"', 1)
    report = _import_organisations(session, data)
    assert report.created == 1
    assert "/iati-organisations/@generated-datetime: '2024-05-06' is not a date and time" \
        in "\n".join(str(w) for w in report.warnings)


def test_a_code_outside_its_list_goes_in_with_a_warning_and_comes_back(
        session: Session) -> None:
    data = RICH.read_bytes().replace(b'<collaboration-type code="1"/>',
                                     b'<collaboration-type code="5"/>', 1)
    assert data != RICH.read_bytes()
    report = _import(session, data)
    assert report.created == 2
    warning = ("/iati-activities/iati-activity[1]/collaboration-type/@code: code '5' is not in "
               "the bundled IATI code list CollaborationType; kept as published")
    assert [str(w) for w in report.warnings] == [warning]
    assert [str(p) for p in validate_export(_export(session))] == [warning]
